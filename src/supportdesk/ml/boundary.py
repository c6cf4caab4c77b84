"""The request-boundary head: where, between a message's sentences, a second request begins.

For each sentence after the first, the head gives the probability that a new request starts
there. It reads the lexical heads' answers about the text on either side of that boundary (the
sentences before it, the sentences after it), the request-count head's answer about the whole
message, and the first words of the sentence after the boundary and the last word before it:

- the category probabilities of each side, their difference and their Jensen-Shannon
  divergence, and how much more likely the best pair of different categories makes the two
  sides than the whole text's best category;
- the request-count head's probability of several requests (and its log-odds);
- the words on each side (log of the shorter side), the boundary's place, the sentence count;
- the hashed first word and first two words of the next sentence ("Also,", "Separately we",
  "Why were"), and the hashed last word of the one before.

The triage core asks it through `BoundaryModel.request_boundaries` where the policy's markers
cut a message into requests for different teams: when no boundary reaches the policy's
`splitting.boundary.one_request_below`, the message stays one request. Where nothing cut a
message, a boundary from `splitting.boundary.new_request_from` starts a second request (when
the two sides read as asks for different teams).

Training (`fit_boundary`) needs to know where a two-request line's second request begins. The
corpus marks it (`expected.request_starts`), but a head trained on those marks told one- from
two-request messages slightly worse, out of fold (docs/model.md, ninth session), so the label
is inferred instead: the boundary where the text before it reads most like
the first expected category and the text after it like the second, as read by lexical heads
fitted without that line (5 folds by id, as everywhere in training). The features of every
training line come from those same out-of-fold heads, so the boundary head learns from answers
like the ones it will get about unseen text. Lines whose two requests share a category (the
boundary cannot be placed by category) and lines of three or more requests are left out.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: The classes of the boundary head, per boundary: the same request goes on, or a new one starts.
BOUNDARY_CLASSES: tuple[str, ...] = ("same", "new")
#: Hash buckets of the next sentence's opening words, and of the previous sentence's last word.
OPENING_BUCKETS = 256
CLOSING_BUCKETS = 64
_DENSE = 10


def feature_dim(categories: int) -> int:
    """The width of a boundary's feature row for a head with `categories` classes."""
    return 3 * categories + _DENSE + OPENING_BUCKETS + CLOSING_BUCKETS


def side_texts(sentences: Sequence[str]) -> list[str]:
    """The texts the lexical heads are asked about for `sentences`: the prefixes (one sentence,
    two, …, all of them: the whole message last), then the suffixes from the second sentence on."""
    n = len(sentences)
    prefixes = [" ".join(sentences[:k]) for k in range(1, n + 1)]
    suffixes = [" ".join(sentences[k:]) for k in range(1, n)]
    return prefixes + suffixes


def _bucket(token: str, buckets: int) -> int:
    return zlib.crc32(token.encode("utf-8")) % buckets


def _words(sentence: str) -> list[str]:
    return sentence.lower().split()


def features(
    sentences: Sequence[str], category: npt.NDArray[np.floating], several: float
) -> npt.NDArray[np.float64]:
    """One feature row per boundary (before sentence 1, 2, …, n-1) of `sentences`.

    `category` holds the lexical category probabilities of `side_texts(sentences)`, row by row;
    `several` is the request-count head's probability that the whole message holds several
    requests. All boundaries at once (a ticket's decision reads them all)."""
    n = len(sentences)
    if n < 2:
        raise ValueError("a boundary needs at least two sentences")
    if category.shape[0] != 2 * n - 1:
        raise ValueError(f"need {2 * n - 1} rows of side probabilities, got {category.shape[0]}")
    probs = np.asarray(category, dtype=np.float64)
    classes = probs.shape[1]
    a, b = probs[: n - 1], probs[n:]  # before and after each boundary
    la, lb = np.log(a + 1e-6), np.log(b + 1e-6)
    log_m = np.log(0.5 * (a + b) + 1e-12)
    divergence = 0.5 * ((a * (la - log_m)).sum(axis=1) + (b * (lb - log_m)).sum(axis=1))
    pair = la[:, :, None] + lb[:, None, :]
    pair[:, np.arange(classes), np.arange(classes)] = -np.inf
    gain = pair.reshape(n - 1, -1).max(axis=1) - 2.0 * np.log(probs[n - 1] + 1e-6).max()
    words = np.cumsum([0] + [len(s.split()) for s in sentences])
    k = np.arange(1, n)
    shorter = np.minimum(words[k], words[n] - words[k])
    several_logit = float(np.log(several + 1e-4) - np.log(1.0 - several + 1e-4))
    out = np.zeros((n - 1, feature_dim(classes)))
    out[:, : 3 * classes] = np.hstack([a, b, np.abs(a - b)])
    dense = out[:, 3 * classes : 3 * classes + _DENSE]
    dense[:, 0] = divergence
    dense[:, 1] = gain
    dense[:, 2] = a.argmax(axis=1) != b.argmax(axis=1)
    dense[:, 3] = np.log(shorter + 1.0)
    dense[:, 4] = k / n
    dense[:, 5] = np.log(n)
    dense[:, 6] = several
    dense[:, 7] = several_logit
    dense[:, 8] = k == 1
    dense[:, 9] = k == n - 1
    opening = 3 * classes + _DENSE
    for row, k_ in enumerate(range(1, n)):
        nxt = _words(sentences[k_])
        for token in ("^" + " ".join(nxt[:1]), " ".join(nxt[:2])):
            out[row, opening + _bucket(token, OPENING_BUCKETS)] = 1.0
        before = _words(sentences[k_ - 1])
        if before:
            out[row, opening + OPENING_BUCKETS + _bucket("$" + before[-1], CLOSING_BUCKETS)] = 1.0
    return out


def boundary_of(category: npt.NDArray[np.floating], n: int, first: int, second: int) -> int:
    """The boundary (0 for the one before sentence 1, …) where the text before reads most like
    category `first` and the text after like category `second`, from the side probabilities of
    `side_texts` over `n` sentences."""
    probs = np.asarray(category, dtype=np.float64)
    scores = np.log(probs[: n - 1, first] + 1e-6) + np.log(probs[n:, second] + 1e-6)
    return int(np.argmax(scores))
