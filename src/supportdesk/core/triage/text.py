"""Text hygiene shared by the triage steps."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 control characters except tab, newline and carriage return; and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(text: str) -> str:
    """NFC-normalise and drop control characters (binary-ish input must not reach storage)."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def snippet(text: str, start: int, end: int, width: int = 30) -> str:
    """A short quote of `text[start:end]` with a little context, on one line."""
    a = max(0, start - width)
    b = min(len(text), end + width)
    s = " ".join(text[a:b].split())
    return ("…" if a > 0 else "") + s + ("…" if b < len(text) else "")


def join_subject(subject: str, body: str) -> str:
    if subject and body:
        return f"{subject}\n{body}"
    return subject or body


#: Function words that are common in English tickets (group 1) and those of German, French,
#: Spanish, Dutch, Italian, Portuguese and Polish (the rest), in one pattern so a text is scanned
#: once. Words shared with those languages ("in", "is", "we", "to", "of", "on", "my", "die",
#: "per") are in neither list.
_FUNCTION_WORDS = re.compile(
    r"\b(?:(the|and|are|our|for|it|with|you|this|that|not|but|have|has|were|be|please|there|"
    r"what|why|from|does|any|which|would|could|can|been|they|their|your|us|at|all|since|get|got)"
    r"|der|das|und|ist|nicht|mit|f[üu]r|ein|eine|wir|sie|le|la|les|des|est|et|pas|nous|vous|"
    r"pour|une|du|el|los|las|es|y|que|para|por|una|con|het|een|niet|van|voor|ook|il|di|che|"
    r"non|sono|gli|della|n[ãa]o|os|um|uma|voc[êe]|nie|si[ęe]|jest|dla|jak|czy|oraz)\b"
)
_WORDS = re.compile(r"\w+")


def word_count(text: str) -> int:
    """How many words (runs of letters, digits or underscores) `text` has."""
    return len(_WORDS.findall(text))


#: Shorter texts are too short to tell and count as English.
ENGLISH_MIN_WORDS = 6


def reads_as_english(text: str, lowered: str | None = None) -> bool:
    """Whether `text` reads as English: it has at least as many common English function words
    as common function words of the other languages tickets arrive in, or it is too short to
    tell (fewer than ENGLISH_MIN_WORDS words). Terse English ("all tenants down, 500 on
    everything") has neither and counts as English; an English sentence inside a German mail
    counts as whichever has more. `lowered` is `text.lower()` when the caller has it."""
    found = _FUNCTION_WORDS.findall(text.lower() if lowered is None else lowered)
    english = sum(1 for word in found if word)
    if english >= len(found) - english:
        return True
    return word_count(text) < ENGLISH_MIN_WORDS
