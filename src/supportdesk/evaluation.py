"""Scoring triage decisions against labelled expectations (`supportdesk eval`).

Pure functions: `parse_cases` turns JSON Lines (a labelled corpus, or tickets plus a separate
expectations file keyed by id, as in `shared/examples/`) into cases and bad lines; `run_cases`
triages them with the core; `score` compares decisions with expectations field by field:

- per ticket: `support_path`, `channel_allowed`, `secrets` (the sorted kinds, exact), `split`
  (the number of requests);
- per request, matched in order (expected request i against decided request i; an absent
  decided request counts as wrong): `category`, `queue`, `severity`, `sla`
  (`first_response_due`, compared as instants, only where the expectation carries it);
- `missing`: item precision and recall over matched requests (unmatched requests count all their
  items as false negatives / false positives);
- a category confusion table (expected → decided; "-" when no request was decided at that index).

A field absent from an expectation is not scored for that row.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from supportdesk.core.triage.models import TicketIn, TriageDecision

TICKET_FIELDS = ("support_path", "channel_allowed", "secrets", "split")
REQUEST_FIELDS = ("category", "queue", "severity", "sla")
NONE = "-"


@dataclass(frozen=True)
class BadLine:
    source: str
    line: int | None
    id: str | None
    error: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.id + ': ' if self.id else ''}{self.error}"


@dataclass(frozen=True)
class Case:
    id: str
    ticket: TicketIn
    expected: Mapping[str, Any]


@dataclass
class Tally:
    correct: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.correct += bool(ok)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass
class ItemTally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Mismatch:
    id: str
    field: str
    expected: Any
    got: Any
    request: int | None = None


@dataclass
class Report:
    cases: int = 0
    fields: dict[str, Tally] = field(
        default_factory=lambda: {f: Tally() for f in TICKET_FIELDS + REQUEST_FIELDS}
    )
    missing: ItemTally = field(default_factory=ItemTally)
    #: (expected category, decided category or "-") → count
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)

    def to_json(self, max_mismatches: int | None = None) -> dict[str, Any]:
        def acc(t: Tally) -> dict[str, Any]:
            return {"accuracy": t.accuracy, "correct": t.correct, "total": t.total}

        cats = sorted({c for pair in self.confusion for c in pair})
        shown = self.mismatches if max_mismatches is None else self.mismatches[:max_mismatches]
        return {
            "cases": self.cases,
            "fields": {name: acc(t) for name, t in self.fields.items()},
            "missing": {
                "precision": self.missing.precision,
                "recall": self.missing.recall,
                "tp": self.missing.tp,
                "fp": self.missing.fp,
                "fn": self.missing.fn,
            },
            "confusion": {
                exp: {got: self.confusion[(exp, got)] for got in cats if self.confusion[(exp, got)]}
                for exp in cats
                if any(self.confusion[(exp, g)] for g in cats)
            },
            "mismatches": [m.__dict__ for m in shown],
            "bad_lines": [
                {"source": b.source, "line": b.line, "id": b.id, "error": b.error} for b in self.bad
            ],
        }


# --- reading ---------------------------------------------------------------------------------


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(line)'}: {err['msg']}" for err in exc.errors()
    )


def _json_rows(
    lines: Iterable[str], source: str, bad: list[BadLine]
) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            bad.append(BadLine(source, number, None, f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            bad.append(BadLine(source, number, None, "not a JSON object"))
            continue
        rid = row.get("id")
        if not isinstance(rid, str) or not rid:
            bad.append(BadLine(source, number, None, "missing 'id' (needed to match expectations)"))
            continue
        rows.append((number, row))
    return rows


def _check_expected(expected: Any) -> str | None:
    if not isinstance(expected, dict):
        return "no 'expected' object"
    requests = expected.get("requests")
    if requests is not None and (
        not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests)
    ):
        return "'expected.requests' must be a list of objects"
    return None


def parse_cases(
    lines: Iterable[str],
    source: str,
    *,
    expected_lines: Iterable[str] | None = None,
    expected_source: str = "expected",
) -> tuple[list[Case], list[BadLine]]:
    """Cases from a labelled JSONL stream (`expected` inside each line) or, with
    `expected_lines`, from tickets plus expectations keyed by id. Never raises on bad input."""
    bad: list[BadLine] = []
    rows = _json_rows(lines, source, bad)
    separate: dict[str, dict[str, Any]] | None = None
    if expected_lines is not None:
        separate = {}
        for number, row in _json_rows(expected_lines, expected_source, bad):
            if row["id"] in separate:
                bad.append(BadLine(expected_source, number, row["id"], "duplicate id"))
                continue
            separate[row["id"]] = {k: v for k, v in row.items() if k != "id"}
    cases: list[Case] = []
    seen: set[str] = set()
    for number, row in rows:
        rid = row["id"]
        if rid in seen:
            bad.append(BadLine(source, number, rid, "duplicate id"))
            continue
        seen.add(rid)
        expected = separate.get(rid) if separate is not None else row.get("expected")
        problem = _check_expected(expected)
        if problem:
            bad.append(BadLine(source, number, rid, problem))
            continue
        try:
            ticket = TicketIn.model_validate({k: v for k, v in row.items() if k != "expected"})
        except ValidationError as exc:
            bad.append(BadLine(source, number, rid, _describe(exc)))
            continue
        assert expected is not None
        cases.append(Case(rid, ticket, expected))
    if separate is not None:
        for rid in sorted(set(separate) - seen):
            bad.append(BadLine(expected_source, None, rid, "expectation without a ticket"))
    return cases, bad


# --- running ---------------------------------------------------------------------------------


def run_cases(
    cases: Sequence[Case], policy: Any, model: Any, now: datetime | None = None
) -> tuple[list[tuple[Case, TriageDecision]], list[BadLine]]:
    """Triage every case as of its own `submitted_at` (the decision the requester got then), or
    as of `now` for a case without one (a case with neither becomes a bad line: the score must
    not depend on when the evaluation runs).

    All texts go to the model once first (a cached model then answers each ticket from memory);
    a case the core rejects becomes a bad line.
    """
    from supportdesk.core.triage import TriageInputError, prepare, triage
    from supportdesk.core.triage.engine import score_all

    prepared = []
    for case in cases:
        with contextlib.suppress(TriageInputError):  # reported below, when triage fails alike
            prepared.append(prepare(case.ticket, policy))
    if prepared and model is not None:
        score_all(prepared, policy, model)  # in two batched calls, whole texts of split tickets too
    bad: list[BadLine] = []
    decided: list[tuple[Case, TriageDecision]] = []
    for case in cases:
        as_of = case.ticket.submitted_at or now
        if as_of is None:
            bad.append(BadLine("triage", None, case.id, "no submitted_at; pass --now to score it"))
            continue
        try:
            decision = triage(case.ticket, policy, as_of, model)
        except ValueError as exc:  # TriageInputError and friends: the core refused the input
            bad.append(BadLine("triage", None, case.id, str(exc)))
            continue
        decided.append((case, decision))
    return decided, bad


# --- scoring ---------------------------------------------------------------------------------


def _instant(value: Any) -> datetime | None | str:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)  # compared as text, so it can only match itself


def _same_instant(a: Any, b: Any) -> bool:
    x, y = _instant(a), _instant(b)
    if isinstance(x, datetime) and isinstance(y, datetime):
        if (x.tzinfo is None) != (y.tzinfo is None):
            return False
        return x == y
    return x == y


def score_one(
    report: Report, case_id: str, expected: Mapping[str, Any], got: TriageDecision
) -> None:
    """Add one decision to `report`."""
    report.cases += 1

    def check(name: str, exp: Any, actual: Any, ok: bool, request: int | None = None) -> None:
        report.fields[name].add(ok)
        if not ok:
            report.mismatches.append(Mismatch(case_id, name, exp, actual, request))

    if "support_path" in expected:
        check(
            "support_path",
            expected["support_path"],
            got.support_path,
            expected["support_path"] == got.support_path,
        )
    if "channel_allowed" in expected:
        check(
            "channel_allowed",
            expected["channel_allowed"],
            got.channel_allowed,
            bool(expected["channel_allowed"]) == got.channel_allowed,
        )
    if "secrets" in expected:
        exp_secrets = sorted(set(expected["secrets"] or []))
        got_secrets = sorted(set(got.secrets))
        check("secrets", exp_secrets, got_secrets, exp_secrets == got_secrets)

    exp_reqs: list[Mapping[str, Any]] = list(expected.get("requests") or [])
    if "requests" not in expected:
        return
    check("split", len(exp_reqs), len(got.requests), len(exp_reqs) == len(got.requests))
    for i, exp in enumerate(exp_reqs):
        dec = got.requests[i] if i < len(got.requests) else None
        if "category" in exp:
            got_cat = dec.category if dec else NONE
            report.confusion[(str(exp["category"]), got_cat)] += 1
            check("category", exp["category"], got_cat, exp["category"] == got_cat, i)
        if "queue" in exp:
            got_queue = dec.queue if dec else None
            check("queue", exp["queue"], got_queue, exp["queue"] == got_queue, i)
        if "severity" in exp:
            got_sev = dec.severity if dec else None
            check("severity", exp["severity"], got_sev, exp["severity"] == got_sev, i)
        if "first_response_due" in exp:
            got_due = dec.first_response_due if dec else NONE
            ok = dec is not None and _same_instant(exp["first_response_due"], got_due)
            shown = got_due.isoformat() if isinstance(got_due, datetime) else got_due
            check("sla", exp["first_response_due"], shown, ok, i)
        if "missing" in exp:
            exp_items = set(exp["missing"] or [])
            got_items = set(dec.missing) if dec else set()
            report.missing.tp += len(exp_items & got_items)
            report.missing.fp += len(got_items - exp_items)
            report.missing.fn += len(exp_items - got_items)
            if exp_items != got_items:
                report.mismatches.append(
                    Mismatch(case_id, "missing", sorted(exp_items), sorted(got_items), i)
                )
    for j in range(len(exp_reqs), len(got.requests)):  # decided requests nobody expected
        report.missing.fp += len(got.requests[j].missing)


def score(decided: Iterable[tuple[Case, TriageDecision]], bad: Iterable[BadLine] = ()) -> Report:
    report = Report(bad=list(bad))
    for case, decision in decided:
        score_one(report, case.id, case.expected, decision)
    return report


# --- rendering -------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1%}"


def render(report: Report, *, max_mismatches: int = 20) -> list[str]:
    out = [f"cases scored: {report.cases}   bad lines: {len(report.bad)}", ""]
    out.append(f"{'field':<16} {'accuracy':>8}  {'correct/total':>13}")
    for name, tally in report.fields.items():
        if tally.total:
            out.append(f"{name:<16} {_pct(tally.accuracy):>8}  {tally.correct:>6}/{tally.total:<6}")
    m = report.missing
    if m.tp + m.fp + m.fn:
        out.append(
            f"{'missing items':<16} precision {_pct(m.precision)}  recall {_pct(m.recall)}  "
            f"(tp {m.tp}, fp {m.fp}, fn {m.fn})"
        )
    if report.confusion:
        exp_cats = sorted({e for e, _ in report.confusion})
        got_cats = sorted({g for _, g in report.confusion})
        width = max(len(c) for c in exp_cats + got_cats + ["expected \\ decided"]) + 1
        out += ["", "category confusion (rows expected, columns decided)"]
        out.append(" " * width + " ".join(f"{c[:8]:>8}" for c in got_cats))
        for e in exp_cats:
            cells = " ".join(f"{report.confusion[(e, g)] or '.':>8}" for g in got_cats)
            out.append(f"{e:<{width}}{cells}")
    if report.mismatches and max_mismatches:
        out += [
            "",
            f"first {min(max_mismatches, len(report.mismatches))} of "
            f"{len(report.mismatches)} mismatches",
        ]
        for mm in report.mismatches[:max_mismatches]:
            where = f"{mm.id}" + (f"[{mm.request}]" if mm.request is not None else "")
            out.append(f"  {where:<14} {mm.field:<15} expected {mm.expected!r}, got {mm.got!r}")
    if report.bad:
        out += ["", "bad lines (not scored)"]
        out += [f"  {b}" for b in report.bad]
    return out
