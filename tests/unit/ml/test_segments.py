"""Two-request lines become training texts in parts (`segment_items`)."""

from __future__ import annotations

from typing import Any

from supportdesk.ml.corpus import LabeledTicket
from supportdesk.ml.segments import segment_items


def line(
    ident: str, description: str, *requests: tuple[str, int], starts: list[str] | None = None
) -> LabeledTicket:
    ticket: dict[str, Any] = {
        "id": ident,
        "submitted_at": "2026-12-01T11:00:00-07:00",
        "requester": {"email": "admin@msp.example", "role": "msp_admin"},
        "account": {"name": "Bluewater MSP", "tier": "standard"},
        "subject": "Two things",
        "description": description,
    }
    expected: dict[str, Any] = {"requests": [{"category": c, "severity": s} for c, s in requests]}
    if starts is not None:
        expected["request_starts"] = starts
    return LabeledTicket(ident, ticket, expected, "test", 1)


def test_each_part_of_a_two_request_line_carries_its_expected_request() -> None:
    item = line(
        "two",
        "1) Why did tenant Bayside's credits drop on 29 Nov? "
        "2) Invoice 8812 charged a pack nobody ordered, please refund it.",
        ("credits_usage", 3),
        ("billing", 2),
    )
    parts = segment_items([item])
    assert [(p.id, p.category, p.severity) for p in parts] == [
        ("two", "credits_usage", 3),
        ("two", "billing", 2),
    ]
    assert "credits drop" in parts[0].text and "Invoice 8812" in parts[1].text
    assert "Invoice 8812" not in parts[0].text


def test_lines_the_rules_cut_otherwise_and_single_requests_give_nothing() -> None:
    one_piece = line(
        "uncut",
        "Why did tenant Bayside's credits drop on 29 Nov",
        ("credits_usage", 3),
        ("billing", 3),
    )
    single = line("single", "Invoice 8812 charged a pack nobody ordered.", ("billing", 3))
    assert segment_items([one_piece, single]) == []


def test_where_the_rules_cut_otherwise_the_labelled_start_cuts_the_line() -> None:
    text = (
        "Why did tenant Bayside's credits drop on 29 Nov\n"
        "[10:02] Pat: the invoice 8812 charged a pack nobody ordered"
    )
    marked = line("marked", text, ("credits_usage", 3), ("billing", 2), starts=["the invoice 8812"])
    parts = segment_items([marked])
    assert [(p.category, p.severity) for p in parts] == [("credits_usage", 3), ("billing", 2)]
    # the chat speaker before the marked words goes with the new request
    assert parts[0].text == "Why did tenant Bayside's credits drop on 29 Nov"
    assert parts[1].text == "[10:02] Pat: the invoice 8812 charged a pack nobody ordered"
    # the rules' own cut wins where it finds the expected number of requests
    ruled = line(
        "ruled",
        "1) Why did tenant Bayside's credits drop on 29 Nov? "
        "2) Invoice 8812 charged a pack nobody ordered, please refund it.",
        ("credits_usage", 3),
        ("billing", 2),
        starts=["pack nobody ordered"],
    )
    assert "Invoice 8812" in segment_items([ruled])[1].text
