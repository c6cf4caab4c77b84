"""Does a message hold more than one request? Cut it at the policy's explicit markers.

`segments()` reads only the text and the policy: it cuts at the explicit markers, and between
two sentences without a marker when they clearly ask different teams (`sentence_cuts`).
`group()` then merges neighbouring segments that the classifier gives the same owning queue, so
two symptoms of one problem (or a defect plus an access question for the same support team) stay
one request, and a preamble ("Two questions:") or a pleasantry joins its neighbour. A message
becomes several requests only when it asks different owners (e.g. the usage team and billing).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from supportdesk.core.policy.model import Patterns, Policy, SentenceCut
from supportdesk.core.triage.classify import route, rule_scores
from supportdesk.core.triage.text import word_count


def segments(text: str, policy: Policy) -> list[str]:
    """The text cut where each marker match ends and between sentences that ask different
    teams; pieces shorter than the policy minimum join their neighbour."""
    cuts = {0, len(text)}
    notes = policy.splitting.call_notes
    call_note = notes is not None and notes.first_match(text[:CALL_NOTE_HEAD]) is not None
    for m in policy.splitting.markers.finditer_each(text):
        if call_note and _BULLET.match(text, m.end()):
            continue  # a call note's bullets are the notes of one call, not a list of asks
        if 0 < m.end() < len(text):
            cuts.add(m.end())
    cuts.update(c for c in sentence_cuts(text, policy) if 0 < c < len(text))
    bounds = sorted(cuts)
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    pieces = [p for p in pieces if p.strip()]
    minimum = policy.splitting.min_segment_chars

    def stands_alone(piece: str, last: bool = False, before: str = "") -> bool:
        if len(piece.strip()) < minimum or pleasantry(piece, policy, signature=last):
            return False
        if not last:
            return True
        # a signature block that a blank line parted from its sign-off ("Best regards,\n\n
        # Erik Sørensen\nSolutions Engineer\n…"): the sign-off ends the piece before
        signed = before.rstrip().rsplit("\n", 1)[-1]
        return not (signed and pleasantry(f"{signed}\n{piece}", policy, signature=True))

    out: list[str] = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        if out and not (stands_alone(out[-1]) and stands_alone(piece, last, out[-1])):
            out[-1] = out[-1] + piece
        else:
            out.append(piece)
    return [p.strip() for p in out] or [text.strip()]


#: A call note is recognised by `Splitting.call_notes` within this many first characters.
CALL_NOTE_HEAD = 200
_BULLET_MARK = r"[-•*–]"
#: A cut that a bulleted line follows.
_BULLET = re.compile(rf"\s*{_BULLET_MARK}\s")
#: The start of a numbered, lettered or bulleted list item.
_LIST_ITEM = re.compile(rf"\s*(?:\(?\d{{1,2}}[.)]|\(?[a-z][.)]|{_BULLET_MARK})\s")

#: Where one sentence ends and the next begins (a capital letter, digit or opening quote next).
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[\"'“¿¡(]?[A-Z0-9À-Ý])"
    # terse writing without capitals ("mfa code never shows up. greyfield is closing, cancel
    # their tenant pls"): after a word of 2+ letters that is no abbreviation (etc., incl.,
    # approx., vs., ca., no.)
    r"|(?<=[a-z]{2}[.!?])(?<!etc\.)(?<!ncl\.)(?<!rox\.)(?<! vs\.)(?<! ca\.)(?<! no\.)"
    r"\s+(?=[a-zà-ý])"
)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of the text, in order, covering all of it."""
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def sentences(text: str, clauses: Patterns | None = None) -> list[str]:
    """The text's sentences, stripped, empty ones dropped; with `clauses`, each sentence is
    cut further where one of those patterns matches (the match itself is dropped)."""
    found = [text[a:b].strip() for a, b in _sentence_spans(text)]
    if clauses is not None:
        found = [part.strip() for sentence in found for part in _cut_at(sentence, clauses)]
    return [s for s in found if s]


def boundary_sentences(text: str, policy: Policy) -> list[str]:
    """The sentences a boundary model is asked about (`Splitting.boundary`): `sentences` cut
    at the boundary's clauses; none without a boundary section."""
    cfg = policy.splitting.boundary
    return sentences(text, cfg.clauses) if cfg is not None else []


def _cut_at(text: str, patterns: Patterns) -> list[str]:
    """`text` in pieces, cut out at each match of `patterns` (in order, non-overlapping)."""
    pieces, start = [], 0
    for m in sorted(patterns.finditer_each(text), key=lambda m: m.start()):
        if m.start() >= start:
            pieces.append(text[start : m.start()])
            start = m.end()
    pieces.append(text[start:])
    return pieces


def sentence_cuts(text: str, policy: Policy) -> list[int]:
    """Cuts between two neighbouring sentences with no marker between them, where one is a
    product problem for the support queue and the other asks the money or usage teams something
    ("The Salesforce connector returns 500 on every sync. Why were we charged twice in May?").
    The policy's `splitting.sentence_cut` says which queues and how clear each sentence must be;
    without it there are no such cuts."""
    cut = policy.splitting.sentence_cut
    if cut is None:
        return []
    spans = _sentence_spans(text)
    if len(spans) < 2:
        return []
    starts = [a for a, _ in spans]
    sentences = [text[a:b] for a, b in spans]
    # One sentence of each cut pair must ask something: where neither of two neighbours asks,
    # their queues are never needed (reading a sentence's signals is the costly step).
    asking = [cut.asks.first_match(s) is not None for s in sentences]
    queues: dict[int, str | None] = {}

    def queue(i: int) -> str | None:
        if i not in queues:
            queues[i] = _clear_queue(sentences[i], policy, cut)
        return queues[i]

    out = []
    for i in range(1, len(sentences)):
        if not (asking[i - 1] or asking[i]):
            continue
        before = queue(i - 1)
        after = queue(i) if before is not None else None
        if before is None or after is None or before == after:
            continue
        if cut.support_queue not in (before, after) or {before, after} & set(cut.never_queues):
            continue
        other = i if before == cut.support_queue else i - 1
        if asking[other]:
            out.append(starts[i])
    return out


def _clear_queue(sentence: str, policy: Policy, cut: SentenceCut) -> str | None:
    """The queue of the sentence's best category when its policy signals are clear, else None."""
    best, top, second = rule_scores(sentence, policy).top()
    if best is None or top < cut.min_score or top - second < cut.min_lead:
        return None
    return route(best, sentence, policy)[0]


#: After the pleasantries are removed, a piece of at most this many words (a name, a title)
#: says nothing of its own.
PLEASANTRY_MAX_WORDS = 3
#: A sign-off block ("Kind regards, Priya Chandran, Accounts Manager | Harrowgate IT Services"):
#: it opens with a pleasantry, ends no sentence and asks nothing, in at most this many words.
SIGN_OFF_MAX_WORDS = 16
_OPENS_WITH_WORD = re.compile(r"[\W_]*\w")
#: A sentence's end: "!" or "?", or a full stop after a lowercase word (not in "B.V.", "Ltd.",
#: "Co. KG", an e-mail address or a web address of a signature block).
_SENTENCE = re.compile(r"[!?]|(?<=[a-zß-ÿ]{2})(?<!Inc)(?<!Ltd)(?<!Corp)(?<!Pty)\.(?=\s|$)")


def pleasantry(piece: str, policy: Policy, *, signature: bool = False) -> bool:
    """True when the piece is only greetings, thanks or a sign-off plus a name or two; or, when
    it ends the message (`signature`), a sign-off followed by a signature block (a name, a
    title, a company, a phone number)."""
    patterns = policy.splitting.pleasantries
    if patterns is None:
        return False
    rest = patterns.sub_each(" ", piece)
    if len(rest) == len(piece):
        return False
    words = word_count(rest)
    if words <= PLEASANTRY_MAX_WORDS:
        return True
    if not signature or words > SIGN_OFF_MAX_WORDS or _SENTENCE.search(piece):
        return False
    if not _sign_off(piece, patterns):
        return False
    cut = policy.splitting.sentence_cut  # its request phrases: a sign-off asks for nothing
    return cut is None or cut.asks.first_match(piece) is None


def without_sign_off(piece: str, policy: Policy) -> str:
    """The piece without the sign-off block that ends it ("…take a look?\n\nViele Grüße\nJonas
    Brandl\nAlpenblick IT GmbH" → "…take a look?"); the piece itself when it ends otherwise."""
    lines = piece.rstrip().split("\n")
    for k in range(max(1, len(lines) - SIGN_OFF_MAX_LINES), len(lines)):
        if pleasantry("\n".join(lines[k:]), policy, signature=True):
            return "\n".join(lines[:k]).rstrip()
    return piece


#: A sign-off block (the sign-off, a name, a title, a company, a phone number) spans at most
#: this many lines.
SIGN_OFF_MAX_LINES = 5


def _sign_off(piece: str, patterns: Patterns) -> bool:
    """The piece opens with a pleasantry word ("Regards", "Cordialement", "Thanks"), not with
    punctuation alone (a bullet's dash)."""
    head = _OPENS_WITH_WORD.match(piece)
    if head is None:
        return False
    start = head.end() - 1
    return any(m.start() == start for m in patterns.finditer_each(piece))


@dataclass(frozen=True)
class Part:
    text: str
    key: str | None  # the owning queue, when the classifier is sure enough


def group(pieces: list[str], keyer: Callable[[str], str | None]) -> list[Part]:
    """Merge consecutive pieces with the same key; unsure pieces join the previous part. A
    first piece that ends in a colon before a list ("Two things before we close on the 23rd:"
    + "1) …") introduces the list's first item: it joins it, and its own key counts only when
    the item has none."""
    keys = [keyer(p) for p in pieces]
    if len(pieces) > 1 and pieces[0].rstrip().endswith(":") and _LIST_ITEM.match(pieces[1]):
        pieces = [pieces[0] + "\n" + pieces[1], *pieces[2:]]
        keys = [keys[1] or keys[0], *keys[2:]]
    parts: list[Part] = []
    for piece, key in zip(pieces, keys, strict=True):
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
