"""Training texts from two-request lines: their parts, each labelled with its expected request.

A two-request line's labels belong to parts of its text, so the heads could not learn from it
whole. But the triage core also asks the model about parts (a split ticket's pieces and
requests), which a head trained on whole tickets has never seen. Here each two-request line is
triaged with the policy's rules alone (`RulesOnlyModel`: no head is involved, so training does
not depend on a previous head); when that gives as many requests as the line expects, each
request's text is paired, in order, with the expected request (its category and severity): the
parts look like what the core will ask about. Where the rules cut a line otherwise, its
description is cut where its labels say each later request begins (`expected.request_starts`,
docs/labeling-guide.md). A line whose requests are woven through each other has no marks: it
trains only where the rules cut it as labelled.

The result depends only on the corpus and the published policy, so training stays reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from supportdesk.core.policy import Policy, load_policy
from supportdesk.core.triage import TicketIn, TriageInputError, triage
from supportdesk.core.triage.ports import RulesOnlyModel
from supportdesk.ml.corpus import LabeledTicket


def labelled_parts(item: LabeledTicket) -> list[LabeledTicket]:
    """The line's description cut where its labels say each later request begins
    (`expected.request_starts`), each part paired with its expected request; none without."""
    starts = item.request_starts
    if starts is None:
        return []
    description = str(item.ticket.get("description") or "")
    bounds = [0, *starts, len(description)]
    parts = [description[a:b].strip() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    if not all(parts):
        return []
    return [
        _part(item, part, expected) for part, expected in zip(parts, item.requests, strict=True)
    ]


def _part(item: LabeledTicket, text: str, expected: dict[str, Any]) -> LabeledTicket:
    """A training item for one request of `item`: its text alone, the line's id and source."""
    return LabeledTicket(
        item.id,
        {"subject": "", "description": text},
        {"requests": [expected]},
        item.source,
        item.line,
    )


def segment_items(
    items: Iterable[LabeledTicket], policy: Policy | None = None
) -> list[LabeledTicket]:
    """One item per request of each multi-request line: as the policy's rules cut it when they
    find as many requests as the line expects, else as its labels cut it (`labelled_parts`;
    none for a woven line). Each keeps its line's id (so it falls in its line's fold and
    split)."""
    policy = policy or load_policy()
    rules = RulesOnlyModel()
    out: list[LabeledTicket] = []
    for item in items:
        if item.single_request:
            continue
        try:
            ticket = TicketIn.model_validate(item.ticket)
        except ValidationError:
            continue  # the corpus loader reports bad lines; nothing to learn from this one
        if ticket.submitted_at is None:
            continue
        try:
            decision = triage(ticket, policy, ticket.submitted_at, rules)
        except TriageInputError:
            continue
        if len(decision.requests) != len(item.requests):
            out += labelled_parts(item)
            continue
        out += [
            _part(item, request.text, expected)
            for request, expected in zip(decision.requests, item.requests, strict=True)
        ]
    return out
