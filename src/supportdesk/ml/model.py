"""`EmbeddingTextModel`: the shipped implementation of the triage core's `TextModel` port.

A text is embedded (all-MiniLM-L6-v2, see `embedder.py`), then two trained softmax heads give a
probability per category and per severity. Both are mixed with those of lighter lexical heads
(hashed word and character n-gram TF-IDF, `baseline.py`), which read the other languages and
the corpus's own vocabulary better than the English encoder does:

    p(c) ∝ p_embedding(c) ** (1 - w) * p_lexical(c) ** w        (w = the bundle's lexical weight)

and the same for severity with its own weight (heads trained before 2026-11-30, fourth session,
have no lexical severity head: their severity is the embedding head's alone). A third lexical
head, trained on whole corpus lines, reads whether a message holds one request or several
(`several_requests`); head files before 2026-11-30, seventh session, have none. A boundary
head reads those lexical answers about the text before and after each sentence boundary and
says where a second request begins (`request_boundaries`, `boundary.py`); head files before
2026-11-30, eighth session, have none.

The heads, the weight, the tuned confidence threshold and the provenance (corpus sha256, embedder
id) live in one file, `assets/head.npz`.
"""

from __future__ import annotations

import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from supportdesk.core.triage.models import CATEGORIES
from supportdesk.core.triage.ports import TextSignals
from supportdesk.ml import boundary, split_check
from supportdesk.ml.baseline import HashedTfidf
from supportdesk.ml.boundary import BOUNDARY_CLASSES
from supportdesk.ml.cache import EmbeddingCache
from supportdesk.ml.embedder import Embedder, MiniLMEmbedder, ModelAssetError, compute_of
from supportdesk.ml.head import SoftmaxHead, softmax
from supportdesk.ml.npzio import write_npz

HEAD_FORMAT = 1
SEVERITIES: tuple[str, ...] = ("1", "2", "3")
#: The classes of the request-count head: a message holds one request, or more than one.
REQUEST_COUNTS: tuple[str, ...] = ("one", "several")
#: Texts whose lexical probabilities a model remembers (one float per class of each lexical
#: head: at most 7 + 3 + 2), oldest dropped first.
LEXICAL_CACHE_ENTRIES = 50_000
#: Messages whose boundary probabilities a model remembers (a policy replay asks again about
#: the same sentences), oldest dropped first.
BOUNDARY_CACHE_ENTRIES = 20_000
#: The boundary head reads the text before and after every boundary: its cost grows with the
#: square of the sentence count. Above this many sentences it has no opinion (corpus messages
#: have at most 12; 1,000 short sentences would take seconds, a 50,000-character message of
#: 10,000 could take hours).
BOUNDARY_MAX_SENTENCES = 40
#: Split checks remembered (`split_holds`): the core asks about a markers' cut twice per
#: decision (a batch asks whether it needs the whole text first), and a replay asks again.
SPLIT_CACHE_ENTRIES = 20_000


def default_head_path() -> Path:
    return Path(str(resources.files("supportdesk.ml") / "assets" / "head.npz"))


@dataclass(frozen=True)
class LexicalHead:
    """The TF-IDF category head (and, in newer head files, severity head) mixed into the
    embedding heads' probabilities; in the newest, also the request-count head (one request or
    several, `REQUEST_COUNTS`), which is used alone."""

    idf: np.ndarray
    category: SoftmaxHead
    #: w in p ∝ p_embedding^(1-w) · p_lexical^w (chosen out of fold, see `train.LEXICAL_WEIGHT`).
    weight: float
    severity: SoftmaxHead | None = None
    #: The same for severity (`train.LEXICAL_SEVERITY_WEIGHT`).
    severity_weight: float = 0.0
    requests: SoftmaxHead | None = None
    _features: HashedTfidf = field(init=False, repr=False, compare=False)
    #: The heads' weights and biases side by side (category columns, then severity, then the
    #: request count), with their standardisation folded in, computed once at load:
    #: logits = Σ value · _weights[column] + _bias over a text's non-zero features.
    _weights: np.ndarray = field(init=False, repr=False, compare=False)
    _bias: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        heads = [h for h in (self.category, self.severity, self.requests) if h is not None]
        weights = [h.weights / h.scale[:, None] for h in heads]
        biases = [h.bias - (h.mean / h.scale) @ h.weights for h in heads]
        object.__setattr__(self, "_features", HashedTfidf.fitted(self.idf))
        object.__setattr__(self, "_weights", np.hstack(weights))
        object.__setattr__(self, "_bias", np.concatenate(biases))

    def probas(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """The lexical heads' own (category, severity) probabilities of `texts`, severity None
        without a severity head."""
        category, severity, _ = self.all_probas(texts)
        return category, severity

    def all_probas(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(category, severity, request count) probabilities of `texts`, None for a head this
        file lacks; computed from each text's non-zero features only (a dense row would be
        65,536 floats)."""
        logits = np.empty((len(texts), self._bias.shape[0]), dtype=np.float64)
        for i, (cols, vals) in enumerate(self._features.rows(texts)):
            logits[i] = vals @ self._weights[cols] + self._bias
        out: list[np.ndarray | None] = []
        start = 0
        for head in (self.category, self.severity, self.requests):
            if head is None:
                out.append(None)
                continue
            end = start + len(head.classes)
            out.append(softmax(logits[:, start:end]).astype(np.float32))
            start = end
        category, severity, requests = out
        assert category is not None
        return category, severity, requests


def mix_proba(embedding: np.ndarray, lexical: np.ndarray, weight: float) -> np.ndarray:
    """Row-wise p ∝ embedding^(1-weight) · lexical^weight (a weighted geometric mean)."""
    logp = (1.0 - weight) * np.log(np.clip(embedding, 1e-9, None)) + weight * np.log(
        np.clip(lexical, 1e-9, None)
    )
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float32)


@dataclass(frozen=True)
class HeadBundle:
    """Everything `supportdesk model train` produces."""

    category: SoftmaxHead
    severity: SoftmaxHead
    #: Below this category probability the triage says "low confidence".
    confidence_threshold: float
    corpus_sha256: str
    embedder_id: str
    lexical: LexicalHead | None = None
    #: Where a second request begins (`boundary.py`); it reads the lexical heads' answers, so
    #: it needs a lexical head with a request-count head. Head files before 2026-11-30, eighth
    #: session, have none.
    boundary: SoftmaxHead | None = None
    #: Whether a proposed split holds (`split_check.py`); it reads the lexical heads' and the
    #: boundary head's answers. Head files before 2026-11-30, tenth session, have none.
    split_check: SoftmaxHead | None = None

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "format": np.array(HEAD_FORMAT),
            "confidence_threshold": np.array(self.confidence_threshold, dtype=np.float64),
            "corpus_sha256": np.array(self.corpus_sha256),
            "embedder_id": np.array(self.embedder_id),
        }
        arrays.update(self.category.to_arrays("category"))
        arrays.update(self.severity.to_arrays("severity"))
        if self.lexical is not None:
            arrays["lexical_idf"] = np.asarray(self.lexical.idf, dtype=np.float64)
            arrays["lexical_weight"] = np.array(self.lexical.weight, dtype=np.float64)
            arrays.update(self.lexical.category.to_arrays("lexical_category"))
            if self.lexical.severity is not None:
                arrays["lexical_severity_weight"] = np.array(
                    self.lexical.severity_weight, dtype=np.float64
                )
                arrays.update(self.lexical.severity.to_arrays("lexical_severity"))
            if self.lexical.requests is not None:
                arrays.update(self.lexical.requests.to_arrays("lexical_requests"))
        if self.boundary is not None:
            arrays.update(self.boundary.to_arrays("boundary"))
        if self.split_check is not None:
            arrays.update(self.split_check.to_arrays("split_check"))
        write_npz(path, arrays)

    @classmethod
    def load(cls, path: Path) -> HeadBundle:
        if not path.is_file():
            raise ModelAssetError(
                f"no trained head at {path}: run `supportdesk model train` (needs data/corpus/)"
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            if int(arrays["format"]) != HEAD_FORMAT:
                raise ModelAssetError(f"{path}: head format {int(arrays['format'])} unsupported")
            bundle = cls(
                category=SoftmaxHead.from_arrays(arrays, "category"),
                severity=SoftmaxHead.from_arrays(arrays, "severity"),
                confidence_threshold=float(arrays["confidence_threshold"]),
                corpus_sha256=str(arrays["corpus_sha256"]),
                embedder_id=str(arrays["embedder_id"]),
                lexical=_lexical_from(arrays),
                boundary=(
                    SoftmaxHead.from_arrays(arrays, "boundary")
                    if "boundary_weights" in arrays
                    else None
                ),
                split_check=(
                    SoftmaxHead.from_arrays(arrays, "split_check")
                    if "split_check_weights" in arrays
                    else None
                ),
            )
        except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelAssetError(f"{path} is not a valid head file: {exc}") from exc
        if set(bundle.category.classes) - set(CATEGORIES):
            raise ModelAssetError(f"{path}: unknown categories {bundle.category.classes}")
        if bundle.severity.classes != SEVERITIES:
            raise ModelAssetError(f"{path}: severity classes {bundle.severity.classes}")
        lex = bundle.lexical
        if lex is not None and (
            lex.category.classes != bundle.category.classes
            or lex.category.dim != lex.idf.shape[0]
            or not 0.0 <= lex.weight <= 1.0
            or (
                lex.severity is not None
                and (
                    lex.severity.classes != SEVERITIES
                    or lex.severity.dim != lex.idf.shape[0]
                    or not 0.0 <= lex.severity_weight <= 1.0
                )
            )
            or (
                lex.requests is not None
                and (lex.requests.classes != REQUEST_COUNTS or lex.requests.dim != lex.idf.shape[0])
            )
        ):
            raise ModelAssetError(f"{path}: the lexical head does not fit the category head")
        if bundle.boundary is not None and (
            lex is None
            or lex.requests is None
            or bundle.boundary.classes != BOUNDARY_CLASSES
            or bundle.boundary.dim != boundary.feature_dim(len(lex.category.classes))
        ):
            raise ModelAssetError(f"{path}: the boundary head does not fit the lexical heads")
        if bundle.split_check is not None and (
            bundle.boundary is None
            or bundle.split_check.classes != split_check.SPLIT_CLASSES
            or bundle.split_check.dim != split_check.FEATURES
        ):
            raise ModelAssetError(f"{path}: the split check does not fit the other heads")
        return bundle


def _lexical_from(arrays: dict[str, np.ndarray]) -> LexicalHead | None:
    if "lexical_idf" not in arrays:
        return None
    severity = None
    if "lexical_severity_weights" in arrays:
        severity = SoftmaxHead.from_arrays(arrays, "lexical_severity")
    return LexicalHead(
        idf=np.asarray(arrays["lexical_idf"], dtype=np.float64),
        category=SoftmaxHead.from_arrays(arrays, "lexical_category"),
        weight=float(arrays["lexical_weight"]),
        severity=severity,
        severity_weight=float(arrays.get("lexical_severity_weight", 0.0)),
        requests=(
            SoftmaxHead.from_arrays(arrays, "lexical_requests")
            if "lexical_requests_weights" in arrays
            else None
        ),
    )


class EmbeddingTextModel:
    """`TextModel`: MiniLM sentence embedding + softmax heads for category and severity."""

    def __init__(
        self,
        embedder: Embedder,
        heads: HeadBundle,
        *,
        cache: EmbeddingCache | None = None,
    ) -> None:
        if heads.embedder_id != embedder.id:
            raise ModelAssetError(
                f"head was trained on {heads.embedder_id} vectors, embedder is {embedder.id}"
            )
        if heads.category.dim != embedder.dim or heads.severity.dim != embedder.dim:
            raise ModelAssetError("head and embedder dimensions differ")
        self.embedder = embedder
        self.heads = heads
        self.cache = (
            cache
            if cache is not None
            else EmbeddingCache(embedder.id, embedder.dim, max_entries=50_000)
        )
        self._lexical_known: OrderedDict[str, np.ndarray] = OrderedDict()
        self._boundaries_known: OrderedDict[tuple[str, ...], list[float]] = OrderedDict()
        self._splits_known: OrderedDict[tuple[object, ...], float] = OrderedDict()
        self.confidence_threshold = heads.confidence_threshold
        mixed = "+tfidf" if heads.lexical is not None else ""
        self.name = f"{embedder.id}+softmax{mixed}@{heads.corpus_sha256[:12]}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(self.embedder, texts)

    def knows(self, texts: Sequence[str]) -> bool:
        """Whether every text's vector is cached: `predict` would not run the network."""
        return all(t in self.cache for t in texts)

    def _lexical(self, texts: Sequence[str]) -> np.ndarray:
        """The lexical heads' probabilities, one row per text: the categories, then (with a
        lexical severity head) the severities, then (with a request-count head) its two.
        Remembered per text like the embeddings (a replay under a new policy recomputes
        neither)."""
        assert self.heads.lexical is not None
        known = self._lexical_known
        new = [t for t in dict.fromkeys(texts) if t not in known]
        if new:
            rows = np.hstack([p for p in self.heads.lexical.all_probas(new) if p is not None])
            for text, row in zip(new, rows, strict=True):
                known[text] = row
            while len(known) > LEXICAL_CACHE_ENTRIES:
                known.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def predict_quick(self, texts: Sequence[str]) -> list[TextSignals]:
        """Category signals from the lexical head alone (no embedding, ~0.3 ms a text), for the
        core's split search; no opinion at all when the bundle has no lexical head."""
        if not texts or self.heads.lexical is None:
            return [TextSignals() for _ in texts]
        names = self.heads.lexical.category.classes
        return [
            TextSignals(category={c: float(p) for c, p in zip(names, row, strict=True)})
            for row in self._lexical(texts)[:, : len(names)]
        ]

    def several_requests(self, texts: Sequence[str]) -> list[float | None]:
        """The request-count head's probability that each text holds more than one request
        (lexical, no embedding); None for every text when the head file has no such head."""
        lexical = self.heads.lexical
        if lexical is None or lexical.requests is None:
            return [None for _ in texts]
        if not texts:
            return []
        return [float(p) for p in self._lexical(texts)[:, -1]]

    def request_boundaries(self, sentences: Sequence[str]) -> list[float] | None:
        """For each sentence after the first, the boundary head's probability that a new
        request starts there (lexical, no embedding); None when the head file has no boundary
        head, there is no boundary, or there are more than `BOUNDARY_MAX_SENTENCES`."""
        head, lexical = self.heads.boundary, self.heads.lexical
        if head is None or lexical is None or lexical.requests is None:
            return None
        if not 2 <= len(sentences) <= BOUNDARY_MAX_SENTENCES:
            return None
        key = tuple(sentences)
        known = self._boundaries_known.get(key)
        if known is None:
            rows = self._lexical(boundary.side_texts(sentences))
            k = len(lexical.category.classes)
            several = float(rows[len(sentences) - 1, -1])  # the whole message's, last column
            x = boundary.features(sentences, rows[:, :k], several)
            known = self._boundaries_known[key] = [float(p) for p in head.predict_proba(x)[:, 1]]
            while len(self._boundaries_known) > BOUNDARY_CACHE_ENTRIES:
                self._boundaries_known.popitem(last=False)
        return list(known)

    def split_holds(
        self, whole: str, sentences: Sequence[str], parts: Sequence[str], how: str
    ) -> float | None:
        """The split check's probability that `whole` really holds the several requests
        `parts` proposes (`split_check.py`; lexical, no embedding); None when the head file has no
        split check or there are fewer than two parts."""
        head = self.heads.split_check
        if head is None:
            return None
        key = (how, whole, tuple(sentences), tuple(parts))
        known = self._splits_known.get(key)
        if known is None:
            x = self.split_features(whole, sentences, parts, how)
            if x is None:
                return None
            known = self._splits_known[key] = float(head.predict_proba(x[None, :])[0, 1])
            while len(self._splits_known) > SPLIT_CACHE_ENTRIES:
                self._splits_known.popitem(last=False)
        return known

    def split_features(
        self, whole: str, sentences: Sequence[str], parts: Sequence[str], how: str
    ) -> np.ndarray | None:
        """The split check's feature row for a proposed split (`split_check.features`), from this
        bundle's lexical heads and its boundary head (no boundary head: a best boundary of 0);
        None without a request-count head or with fewer than two parts."""
        lexical = self.heads.lexical
        if lexical is None or lexical.requests is None or len(parts) < 2:
            return None
        k = len(lexical.category.classes)
        rows = self._lexical([whole, *parts])
        return split_check.features(
            how,
            float(rows[0, -1]),
            self.request_boundaries(sentences),
            len(sentences),
            rows[0, :k],
            rows[1:, :k],
            [len(p.split()) for p in parts],
            len(whole.split()),
        )

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        if not texts:
            return []
        vectors = self.embed(texts)
        cat = self.heads.category.predict_proba(vectors)
        sev = self.heads.severity.predict_proba(vectors)
        lexical = self.heads.lexical
        if lexical is not None:
            rows = self._lexical(texts)
            k = len(lexical.category.classes)
            cat = mix_proba(cat, rows[:, :k], lexical.weight)
            if lexical.severity is not None:
                levels = len(lexical.severity.classes)
                sev = mix_proba(sev, rows[:, k : k + levels], lexical.severity_weight)
        cat_names = self.heads.category.classes
        sev_levels = [int(s) for s in self.heads.severity.classes]
        return [
            TextSignals(
                category={c: float(p) for c, p in zip(cat_names, cat_row, strict=True)},
                severity={s: float(p) for s, p in zip(sev_levels, sev_row, strict=True)},
            )
            for cat_row, sev_row in zip(cat, sev, strict=True)
        ]


def load_default_model(
    head_path: Path | None = None, *, cache_file: Path | None = None
) -> EmbeddingTextModel:
    """The shipped model: installed ONNX file (sha256-checked) + `assets/head.npz`.

    The embedder runs the compute path (float or integer) whose vectors the head was trained on,
    as its `embedder_id` records. Raises `ModelAssetError` with the reason when a file is missing
    or does not match.
    """
    heads = HeadBundle.load(head_path or default_head_path())
    model = EmbeddingTextModel(MiniLMEmbedder(compute=compute_of(heads.embedder_id)), heads)
    if cache_file is not None and cache_file.is_file():
        model.cache.load(cache_file)
    return model
