"""Scoring on hand-made decisions: no policy, no model."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from supportdesk.core.triage.models import RequestDecision, TicketIn, TriageDecision
from supportdesk.evaluation import Case, Report, parse_cases, render, score, score_one

TICKET = {
    "submitted_at": "2026-12-01T11:00:00-07:00",
    "requester": {"role": "msp_admin"},
    "account": {"tier": "standard"},
    "subject": "s",
    "description": "d",
}


def req(
    category: str,
    queue: str = "support",
    severity: int = 3,
    due: str | None = None,
    missing: list[str] | None = None,
) -> RequestDecision:
    return RequestDecision(
        category=category,
        queue=queue,
        severity=severity,
        first_response_due=datetime.fromisoformat(due) if due else None,
        missing=missing or [],
    )


def decision(
    *requests: RequestDecision,
    path: str = "accept",
    channel: bool = True,
    secrets: list[str] | None = None,
) -> TriageDecision:
    return TriageDecision(
        id="x",
        support_path=path,
        channel_allowed=channel,
        secrets=secrets or [],
        requests=list(requests),
        reasons=[],
    )


def case(expected: dict[str, Any], cid: str = "x") -> Case:
    return Case(cid, TicketIn.model_validate(TICKET), expected)


def test_perfect_decision_scores_everything_right() -> None:
    exp = {
        "support_path": "accept",
        "channel_allowed": True,
        "secrets": ["api_key"],
        "requests": [
            {
                "category": "billing",
                "queue": "billing",
                "severity": 3,
                "first_response_due": "2026-12-02T17:00:00-07:00",
                "missing": ["invoice_reference"],
            }
        ],
    }
    got = decision(
        req("billing", "billing", 3, "2026-12-03T00:00:00+00:00", ["invoice_reference"]),
        secrets=["api_key"],
    )
    report = score([(case(exp), got)])
    assert all(t.correct == t.total == 1 for t in report.fields.values())
    assert report.missing.precision == report.missing.recall == 1.0
    assert report.mismatches == []


def test_requests_are_matched_in_order() -> None:
    exp = {
        "requests": [
            {"category": "credits_usage", "queue": "usage", "severity": 3},
            {"category": "billing", "queue": "billing", "severity": 3},
        ]
    }
    swapped = decision(req("billing", "billing"), req("credits_usage", "usage"))
    report = score([(case(exp), swapped)])
    assert report.fields["split"].accuracy == 1.0
    assert (report.fields["category"].correct, report.fields["category"].total) == (0, 2)
    assert report.confusion[("credits_usage", "billing")] == 1
    assert report.confusion[("billing", "credits_usage")] == 1


def test_unsplit_message_loses_the_second_request() -> None:
    exp = {
        "requests": [
            {"category": "credits_usage", "missing": ["date_time"]},
            {"category": "billing", "missing": ["invoice_reference"]},
        ]
    }
    merged = decision(req("credits_usage", "usage", missing=["date_time", "workspace_or_tenant"]))
    report = score([(case(exp), merged)])
    assert report.fields["split"].accuracy == 0.0
    assert (report.fields["category"].correct, report.fields["category"].total) == (1, 2)
    assert report.confusion[("billing", "-")] == 1
    m = report.missing
    assert (m.tp, m.fp, m.fn) == (1, 1, 1)
    assert m.precision == m.recall == 0.5


def test_extra_decided_request_counts_its_missing_items_as_false_positives() -> None:
    exp = {"requests": [{"category": "technical", "missing": []}]}
    got = decision(req("technical"), req("billing", "billing", missing=["billing_item"]))
    report = score([(case(exp), got)])
    assert report.fields["split"].accuracy == 0.0
    assert report.fields["category"].accuracy == 1.0
    assert report.missing.fp == 1


def test_sla_only_scored_where_expected_and_compared_as_instants() -> None:
    exp = {"requests": [{"category": "setup", "first_response_due": "2026-12-02T17:00:00-07:00"}]}
    same_instant = decision(req("setup", due="2026-12-03T00:00:00+00:00"))
    wrong = decision(req("setup", due="2026-12-03T01:00:00+00:00"))
    none = decision(req("setup"))
    r = score([(case(exp, "a"), same_instant), (case(exp, "b"), wrong), (case(exp, "c"), none)])
    assert (r.fields["sla"].correct, r.fields["sla"].total) == (1, 3)
    no_sla = score([(case({"requests": [{"category": "setup"}]}), none)])
    assert no_sla.fields["sla"].total == 0
    null_expected = score([(case({"requests": [{"first_response_due": None}]}), none)])
    assert null_expected.fields["sla"].accuracy == 1.0


def test_ticket_level_fields() -> None:
    exp = {
        "support_path": "redirect_to_msp",
        "channel_allowed": False,
        "secrets": ["password", "api_key"],
        "requests": [{"severity": 2}],
    }
    got = decision(
        req("technical", severity=1), path="accept", channel=True, secrets=["api_key", "password"]
    )
    report = Report()
    score_one(report, "t1", exp, got)
    f = report.fields
    assert f["support_path"].accuracy == 0.0
    assert f["channel_allowed"].accuracy == 0.0
    assert f["secrets"].accuracy == 1.0  # order does not matter
    assert f["severity"].accuracy == 0.0
    assert {m.field for m in report.mismatches} == {"support_path", "channel_allowed", "severity"}


def test_bad_lines_are_reported_not_fatal() -> None:
    good = json.dumps({"id": "ok", **TICKET, "expected": {"requests": [{"category": "setup"}]}})
    lines = [
        good,
        "{not json",
        "[1, 2]",
        json.dumps({**TICKET, "expected": {}}),  # no id
        json.dumps({"id": "noexp", **TICKET}),
        json.dumps({"id": "badticket", "requester": {}, "expected": {"requests": []}}),
        json.dumps({"id": "ok", **TICKET, "expected": {}}),  # duplicate
        "",
    ]
    cases, bad = parse_cases(lines, "f.jsonl")
    assert [c.id for c in cases] == ["ok"]
    assert [b.line for b in bad] == [2, 3, 4, 5, 6, 7]
    assert "not valid JSON" in bad[0].error
    assert "account" in bad[4].error
    report = score([(cases[0], decision(req("setup")))], bad)
    text = "\n".join(render(report))
    assert "f.jsonl:2: not valid JSON" in text
    assert report.to_json()["bad_lines"][0]["line"] == 2


def test_expectations_in_a_separate_file() -> None:
    tickets = [json.dumps({"id": i, **TICKET}) for i in ("e1", "e2")]
    expected = [
        json.dumps({"id": "e1", "support_path": "accept", "requests": [{"category": "setup"}]}),
        json.dumps({"id": "e3", "support_path": "accept", "requests": []}),
    ]
    cases, bad = parse_cases(tickets, "t.jsonl", expected_lines=expected, expected_source="e.jsonl")
    assert [c.id for c in cases] == ["e1"]
    assert cases[0].expected["support_path"] == "accept"
    assert {(b.id, b.error) for b in bad} == {
        ("e2", "no 'expected' object"),
        ("e3", "expectation without a ticket"),
    }


def test_json_output_shape() -> None:
    exp = {"requests": [{"category": "access", "queue": "support", "severity": 3}]}
    report = score([(case(exp), decision(req("technical")))])
    payload = report.to_json()
    assert payload["fields"]["category"] == {"accuracy": 0.0, "correct": 0, "total": 1}
    assert payload["confusion"] == {"access": {"technical": 1}}
    json.dumps(payload, default=str)
