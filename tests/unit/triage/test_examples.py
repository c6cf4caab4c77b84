"""The vendor's published examples (copied from ../shared/examples) are decided as expected,
both by the policy rules alone and with the shipped text model."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import RulesOnlyModel, TextModel, TicketIn, triage

DATA = Path(__file__).resolve().parents[2] / "data" / "examples"
TICKETS = [json.loads(line) for line in (DATA / "tickets.jsonl").read_text().splitlines()]
EXPECTED = {e["id"]: e for e in map(json.loads, (DATA / "expected.jsonl").read_text().splitlines())}
NOW = datetime.fromisoformat("2026-12-10T00:00:00+00:00")


def _model(kind: str) -> TextModel:
    if kind == "rules":
        return RulesOnlyModel()
    from supportdesk.ml.model import load_default_model

    return load_default_model()


@pytest.mark.parametrize("kind", ["rules", "model"])
@pytest.mark.parametrize("raw", TICKETS, ids=[t["id"] for t in TICKETS])
def test_example_is_decided_as_published(raw: dict, kind: str) -> None:
    expected = EXPECTED[raw["id"]]
    decision = triage(TicketIn.model_validate(raw), load_policy(), NOW, _model(kind))
    got = decision.model_dump(mode="json")
    assert got["support_path"] == expected["support_path"]
    assert got["channel_allowed"] == expected["channel_allowed"]
    assert got["secrets"] == expected["secrets"]
    requests = [
        {k: r[k] for k in ("category", "queue", "severity", "first_response_due", "missing")}
        for r in got["requests"]
    ]
    assert requests == expected["requests"]
    assert decision.reasons, "every decision carries its reasons"
