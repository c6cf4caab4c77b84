"""The batch use case behind `supportdesk triage`: lines in, decisions out, nothing lost.

Lines are read in chunks; each chunk is validated line by line (a bad line becomes an error
object in its place), then all its texts go to the model together (`score_all`: two calls, the
second for the whole texts of split tickets that turn out to be one request), then each ticket
is decided. Output order is input order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

from pydantic import ValidationError

from supportdesk.core.policy import Policy
from supportdesk.core.triage import TicketIn, TriageInputError, decide, own_signals, prepare
from supportdesk.core.triage.engine import Prepared, score_all
from supportdesk.core.triage.ports import RulesOnlyModel, TextModel

CHUNK = 256
MAX_LINE = 200_000


def describe_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(line)"
        msg = err["msg"]
        if err["type"] == "timezone_aware":
            msg = "needs a UTC offset (e.g. 2026-12-01T11:00:00-07:00); naive times are ambiguous"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


def parse_line(line: str) -> tuple[TicketIn | None, dict[str, Any] | None]:
    """(ticket, None) or (None, error object)."""
    if len(line) > MAX_LINE:
        return None, {
            "id": None,
            "error": f"line is {len(line)} characters; the limit is {MAX_LINE}",
        }
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, {"id": None, "error": f"not valid JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(raw, dict):
        return None, {"id": None, "error": "each line must be a JSON object"}
    rid = raw.get("id") if isinstance(raw.get("id"), str | int) else None
    try:
        return TicketIn.model_validate(raw), None
    except ValidationError as exc:
        return None, {"id": rid, "error": describe_validation(exc)}


def run_batch(
    lines: Iterable[str], out: TextIO, policy: Policy, model: TextModel | None, now: datetime
) -> int:
    """Write one JSON line per non-blank input line; return how many failed."""
    model = model or RulesOnlyModel()
    failed = 0
    chunk: list[str] = []
    for line in lines:
        if line.strip():
            chunk.append(line)
        if len(chunk) >= CHUNK:
            failed += _run_chunk(chunk, out, policy, model, now)
            chunk = []
    if chunk:
        failed += _run_chunk(chunk, out, policy, model, now)
    return failed


def _run_chunk(
    chunk: list[str], out: TextIO, policy: Policy, model: TextModel, now: datetime
) -> int:
    results: list[Any] = []
    for line in chunk:
        ticket, error = parse_line(line)
        if ticket is None:
            results.append(error)
            continue
        try:
            results.append(prepare(ticket, policy))
        except TriageInputError as exc:
            results.append({"id": ticket.id, "error": str(exc)})
    scored = score_all([r for r in results if isinstance(r, Prepared)], policy, model)
    failed = 0
    for r in results:
        if isinstance(r, dict):
            failed += 1
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
            continue
        try:
            decision = decide(r, policy, now, own_signals(r, scored), model)
        except Exception as exc:  # one ticket's failure must not sink the batch
            failed += 1
            problem = f"could not decide this ticket ({type(exc).__name__}); nothing was stored"
            out.write(json.dumps({"id": r.ticket.id, "error": problem}) + "\n")
            continue
        out.write(
            decision.model_dump_json(exclude={"redacted_subject", "redacted_description"}) + "\n"
        )
    out.flush()
    return failed
