"""The lighter model: hashed word + character n-gram TF-IDF features. Compared with the embedding
head in `supportdesk model train`, and mixed into it (`model.LexicalHead`).

Words (unigrams and bigrams) and character 3-5-grams (within word boundaries) are hashed with
crc32 into a fixed number of buckets (stable across processes, unlike `hash()`), weighted by
sublinear term frequency times smoothed IDF fitted on the training texts, and L2-normalised.
The same `train_softmax` head then sits on top (without standardisation).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from supportdesk.ml.head import F32

N_FEATURES = 1 << 14
_WORD = re.compile(r"[a-z0-9]+(?:['_.-][a-z0-9]+)*")


def _tokens(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    grams = [f"w:{w}" for w in words]
    grams += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        padded = f" {w} "
        for n in (3, 4, 5):
            grams += [f"c:{padded[i : i + n]}" for i in range(max(1, len(padded) - n + 1))]
    return grams


def _counts(text: str, n_features: int) -> Counter[int]:
    return Counter(zlib.crc32(g.encode()) % n_features for g in _tokens(text))


class HashedTfidf:
    """Fit on training texts (IDF), then transform any texts into dense float32 rows."""

    def __init__(self, n_features: int = N_FEATURES) -> None:
        self.n_features = n_features
        self.idf: npt.NDArray[np.float64] | None = None

    @classmethod
    def fitted(cls, idf: npt.NDArray[np.floating]) -> HashedTfidf:
        """A transform whose IDF was fitted before (as stored in a head file)."""
        out = cls(n_features=int(idf.shape[0]))
        out.idf = np.asarray(idf, dtype=np.float64)
        return out

    def fit(self, texts: Sequence[str]) -> HashedTfidf:
        df = np.zeros(self.n_features)
        for text in texts:
            df[list(_counts(text, self.n_features))] += 1
        n = len(texts)
        self.idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        return self

    def transform(self, texts: Sequence[str]) -> F32:
        if self.idf is None:
            raise RuntimeError("HashedTfidf.fit must run before transform")
        out = np.zeros((len(texts), self.n_features), dtype=np.float64)
        for row, text in enumerate(texts):
            counts = _counts(text, self.n_features)
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.int64)
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))
            out[row, cols] = tf * self.idf[cols]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.clip(norms, 1e-12, None)).astype(np.float32)
