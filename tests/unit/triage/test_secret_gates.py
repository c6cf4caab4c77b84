"""The literal gates in front of the secret patterns skip a regex only when it cannot match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import secrets

POLICY = load_policy()
ROOT = Path(__file__).resolve().parents[3]


def ungated(text: str) -> list[tuple[int, int]]:
    return [m.span() for spec in POLICY.secrets for rx in spec.compiled for m in rx.finditer(text)]


def gated(text: str) -> list[tuple[int, int]]:
    lowered = text.lower() if text.isascii() else None
    out = []
    for spec in POLICY.secrets:
        for rx in spec.compiled:
            g = secrets.gate(rx)
            if g is None or g.may_match(text, lowered):
                out.extend(m.span() for m in rx.finditer(text))
    return out


TRICKY = [
    "PASSWORD: Summer2026!",
    "Pw is Winter#2026",
    "Contraseña: Hola#2026",
    "CONTRASEÑA = Hola#2026",
    "paſſword: Summer2026!",  # long s: the regex folds it to "s", str.lower does not
    "PİN: 48291!",  # dotted capital I
    "Authorization: BEARER abcdefghijklmnopqrstuvwxyz012345",
    "aws secret access key = " + "A" * 40,
    "key AKIAABCDEFGHIJKLMNOP and sk_live_abcdefghijklmnop",
    "login is finance@firm.example / Xero#Ledger2026",
    "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
    "token eyJhbGciOi.eyJzdWIiOi.abcdefghij",
    "nothing secret here, just a ping about shipping",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_gates_never_hide_a_match(text: str) -> None:
    assert gated(text) == ungated(text)


def test_gates_agree_on_the_corpus() -> None:
    texts = []
    for path in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts += [row.get("subject", ""), row.get("description", "")]
    assert texts
    for text in texts:
        assert gated(text) == ungated(text)


def test_gate_literals() -> None:
    def may(pattern: str, text: str) -> bool:
        g = secrets.gate(re.compile(pattern))
        assert g is not None
        return g.may_match(text, text.lower() if text.isascii() else None)

    akia = r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    assert may(akia, "key AKIA…") and may(akia, "asia") and not may(akia, "no key here")
    assert may(akia, "AKIA and ñ") and not may(akia, "akia and ñ")  # not ASCII: case counts
    bearer = r"(?i:\bBearer)\s+x"
    assert may(bearer, "BEARER x") and not may(bearer, "no token")
    assert may(bearer, "BEARER ñ")  # not ASCII: nothing case-sensitive to look for
    email = r"[\w.]+@[\w.]+"
    assert may(email, "a@b") and not may(email, "at b")
    assert secrets.gate(re.compile(r"(?i:ñandu|x)")) is None  # nothing to look for
    assert secrets.gate(re.compile(r"\d+")) is None


SECRET_PATTERNS = [rx for spec in POLICY.secrets for rx in spec.compiled] + [
    re.compile(r"(?i)api[_ -]?key\s*=\s*\w{8,}"),  # a global flag instead of a group
    re.compile(r"(?i:tok)EN_[A-Z]{4}"),
    re.compile(r"\bKſ-\d{4}"),  # long s: IGNORECASE-free, matches only itself
]


@st.composite
def near_secret(draw: st.DrawFn, rx: re.Pattern[str]) -> str:
    """A real match (any case where the pattern allows), with noise and oddities around it."""
    try:
        match = draw(st.from_regex(rx))
    except Exception:  # a construct from_regex cannot generate
        match = ""
    noise = st.sampled_from(["", " ", "İ", "ſ", "K", "ñ", "PASSWORD", "pw ", "@", "\n", "x"])
    text = draw(noise) + match + draw(noise)
    if draw(st.booleans()):
        text = text.swapcase() if draw(st.booleans()) else text.lower()
    return text


@pytest.mark.parametrize("rx", SECRET_PATTERNS, ids=lambda rx: rx.pattern[:30])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_gate_never_hides_a_match(rx: re.Pattern[str], data: st.DataObject) -> None:
    text = data.draw(near_secret(rx))
    g = secrets.gate(rx)
    if rx.search(text) is not None and g is not None:
        assert g.may_match(text, text.lower() if text.isascii() else None), (rx.pattern, text)
