"""The literal gates in front of the secret patterns skip a regex only when it cannot match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

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
    akia = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
    assert secrets.gate(akia) == secrets.Gate(("AKIA", "ASIA"), False)
    bearer = re.compile(r"(?i:\bBearer)\s+x")
    assert secrets.gate(bearer) == secrets.Gate(("bearer",), True)
    assert secrets.gate(re.compile(r"[\w.]+@[\w.]+")) == secrets.Gate(("@",), False)
    assert secrets.gate(re.compile(r"(?i:ñandu|x)")) is None  # nothing ASCII to look for
    assert secrets.gate(re.compile(r"\d+")) is None
