"""Does a message hold more than one request? Cut it at the policy's explicit markers.

`segments()` is purely textual. `group()` then merges neighbouring segments that the classifier
gives the same owning queue, so two symptoms of one problem (or a defect plus an access
question for the same support team) stay one request, and a preamble ("Two questions:") or a
pleasantry joins its neighbour. A message becomes several requests only when it asks different
owners (e.g. the usage team and billing).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from supportdesk.core.policy.model import Policy


def segments(text: str, policy: Policy) -> list[str]:
    """The text cut where each marker match ends; pieces shorter than the policy minimum join
    their neighbour."""
    cuts = {0, len(text)}
    for rx in policy.splitting.markers.compiled:
        for m in rx.finditer(text):
            if 0 < m.end() < len(text):
                cuts.add(m.end())
    bounds = sorted(cuts)
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    pieces = [p for p in pieces if p.strip()]
    minimum = policy.splitting.min_segment_chars

    def stands_alone(piece: str) -> bool:
        return len(piece.strip()) >= minimum and not pleasantry(piece, policy)

    out: list[str] = []
    for piece in pieces:
        if out and not (stands_alone(out[-1]) and stands_alone(piece)):
            out[-1] = out[-1] + piece
        else:
            out.append(piece)
    return [p.strip() for p in out] or [text.strip()]


#: After the pleasantries are removed, a piece of at most this many words (a name, a title)
#: says nothing of its own.
PLEASANTRY_MAX_WORDS = 3


def pleasantry(piece: str, policy: Policy) -> bool:
    """True when the piece is only greetings, thanks or a sign-off (plus a name or two)."""
    patterns = policy.splitting.pleasantries
    if patterns is None:
        return False
    rest = piece
    for rx in patterns.compiled:
        rest = rx.sub(" ", rest)
    if len(rest) == len(piece):
        return False
    return len(re.findall(r"\w+", rest)) <= PLEASANTRY_MAX_WORDS


@dataclass(frozen=True)
class Part:
    text: str
    key: str | None  # the owning queue, when the classifier is sure enough


def group(pieces: list[str], keyer: Callable[[str], str | None]) -> list[Part]:
    """Merge consecutive pieces with the same key; unsure pieces join the previous part."""
    parts: list[Part] = []
    for piece in pieces:
        key = keyer(piece)
        if parts and (key is None or key == parts[-1].key or parts[-1].key is None):
            prev = parts[-1]
            parts[-1] = Part(prev.text + "\n" + piece, prev.key or key)
        else:
            parts.append(Part(piece, key))
    # A request appearing twice (A, B, A) is still two requests: fold repeats into the first.
    merged: dict[str | None, str] = {}
    for p in parts:
        merged[p.key] = merged[p.key] + "\n" + p.text if p.key in merged else p.text
    return [Part(text, key) for key, text in merged.items()]
