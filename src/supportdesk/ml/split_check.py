"""The split check: does a message really hold the several requests a cut proposes?

The triage core finds requests by a cascade of cuts (the policy's markers, the model cut, the
ask cut, the boundary cut; `core/triage/engine.py`). Out of fold, about one proposed split in
six is a single request cut in two. This head reads one proposed split and gives the
probability that the message really holds several requests; below the policy's
`splitting.split_check_below` the core keeps the message whole.

Its features are all lexical (no embedding, so checking a split never runs the network):

- how the split was found (one of `MECHANISMS`, one-hot);
- the request-count head's p(several) for the whole message, and its log-odds;
- the boundary head's best boundary over the message's sentences, and its log-odds, and the
  sentence count (log);
- how much surer each part is of its own best category than the whole message is of its best
  (mean log ratio), and how far apart the parts' category distributions are (the smallest
  Jensen-Shannon divergence between two parts);
- the words of the shortest part and of the whole message (log), and the number of parts.

Training (`train.fit_split_check`) runs the cascade out of fold: each training line is split by
heads fitted without it, and each proposed split is labelled by whether its line holds several
requests. The head is a two-class logistic regression, unweighted so that its probability
stays calibrated to how often proposed splits hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: How a split was found, as the core names it.
MECHANISMS: tuple[str, ...] = ("markers", "model", "ask", "boundary")
#: The classes of the head: the proposed parts are one request, or several.
SPLIT_CLASSES: tuple[str, ...] = ("one", "several")
FEATURES = len(MECHANISMS) + 10


def _logit(p: float) -> float:
    return math.log(p + 1e-4) - math.log(1.0 - p + 1e-4)


def _divergence(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    a, b = a + 1e-9, b + 1e-9
    m = 0.5 * (a + b)
    return float(0.5 * ((a * np.log(a / m)).sum() + (b * np.log(b / m)).sum()))


def features(
    how: str,
    several: float,
    boundaries: Sequence[float] | None,
    sentences: int,
    whole: npt.NDArray[np.floating],
    parts: npt.NDArray[np.floating],
    part_words: Sequence[int],
    whole_words: int,
) -> npt.NDArray[np.float64]:
    """One feature row for a proposed split. `whole` holds the lexical category probabilities
    of the whole message, `parts` one row per proposed request; `boundaries` the boundary
    head's answer over the message's sentences (None: it had none)."""
    if len(parts) < 2 or len(part_words) != len(parts):
        raise ValueError("a split needs at least two parts, each with its word count")
    probs = np.asarray(parts, dtype=np.float64)
    best = float(np.max(boundaries)) if boundaries else 0.0
    surer = float(np.mean(np.log(probs.max(axis=1) + 1e-6))) - math.log(float(whole.max()) + 1e-6)
    apart = min(
        _divergence(probs[i], probs[j]) for i in range(len(probs)) for j in range(i + 1, len(probs))
    )
    row = [float(how == m) for m in MECHANISMS]
    row += [
        several,
        _logit(several),
        best,
        _logit(best),
        math.log(sentences + 1),
        surer,
        apart,
        math.log(min(part_words) + 1),
        math.log(whole_words + 1),
        float(len(parts)),
    ]
    return np.asarray(row, dtype=np.float64)
