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
