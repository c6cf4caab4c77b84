"""The labelled corpus (`data/corpus/*.jsonl`, see docs/labeling-guide.md) and its splits.

Every line is a ticket in the `supportdesk triage` input format plus an `expected` object. Lines
that are not valid JSON, or lack an id, a subject/description or a well-formed `expected`, are
collected as `BadLine`s and reported; they never stop a run.

Splits are deterministic and depend only on each line's id: `sha256("holdout:" + id)` puts 20% of
ids in the held-out test part, and `sha256("fold:" + id)` assigns the training part to folds for
validation. Adding lines never moves an existing line between train and test.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from supportdesk.core.triage.models import CATEGORIES

TEST_FRACTION = 0.2
Split = Literal["train", "test", "all"]


@dataclass(frozen=True)
class BadLine:
    source: str
    line: int
    error: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.error}"


#: What may stand between the start of a line and the words that open a new request and still
#: belong to it: a list marker, a chat line's time stamp and speaker, a speaker's name.
_LINE_PREFIX = re.compile(
    r"[ \t]*(?:[-•*–+]|\(?\w{1,2}[.)]|\[[^\]\n]{1,25}\][^:\n]{0,50}:|[A-Z][^:.!?\n]{0,40}:)?[ \t]*"
)


def line_start(text: str, at: int) -> int:
    """`at`, moved back to the start of its line when only a line prefix stands before it
    (labellers copy the opening words of a request with or without its list marker or chat
    speaker; both mark the same place)."""
    begin = text.rfind("\n", 0, at) + 1
    return begin if begin < at and _LINE_PREFIX.fullmatch(text, begin, at) else at


@dataclass(frozen=True)
class LabeledTicket:
    id: str
    ticket: dict[str, Any]
    expected: dict[str, Any]
    source: str
    line: int

    @property
    def text(self) -> str:
        """What the model reads: subject, a newline, description (as the triage core joins them
        when it asks the model about a whole ticket)."""
        subject = str(self.ticket.get("subject") or "")
        description = str(self.ticket.get("description") or "")
        if subject and description:
            return f"{subject}\n{description}"
        return subject or description

    @property
    def requests(self) -> list[dict[str, Any]]:
        return list(self.expected.get("requests") or [])

    @property
    def single_request(self) -> bool:
        return len(self.requests) == 1

    @property
    def category(self) -> str:
        return str(self.requests[0]["category"])

    @property
    def request_starts(self) -> list[int] | None:
        """Where each request after the first begins, as offsets into the description, from
        the line's `expected.request_starts` (the verbatim opening words of each; checked on
        load); None when the line has none (one request, or requests woven through each
        other)."""
        starts = self.expected.get("request_starts")
        if not starts:
            return None
        description = str(self.ticket.get("description") or "")
        return [line_start(description, description.index(start)) for start in starts]

    @property
    def severity(self) -> int:
        return int(self.requests[0]["severity"])


@dataclass
class Corpus:
    items: list[LabeledTicket] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    #: sha256 over the files' names and bytes, in name order: identifies what a head was trained on.
    sha256: str = ""


def _bucket(salt: str, ticket_id: str) -> float:
    digest = hashlib.sha256(f"{salt}:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_test(ticket_id: str, fraction: float = TEST_FRACTION) -> bool:
    return _bucket("holdout", ticket_id) < fraction


def fold_of(ticket_id: str, folds: int) -> int:
    return int(_bucket("fold", ticket_id) * folds)


def select(items: Iterable[LabeledTicket], split: Split) -> list[LabeledTicket]:
    if split == "all":
        return list(items)
    want_test = split == "test"
    return [it for it in items if is_test(it.id) == want_test]


def select_ids(ids: Iterable[str], split: str) -> set[str]:
    """The ids of `ids` that fall in `split` ("train", "test" or "all")."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be train, test or all, not {split!r}")
    return {i for i in ids if split == "all" or is_test(i) == (split == "test")}


def _check_expected(expected: Any) -> str | None:
    if not isinstance(expected, dict):
        return "'expected' must be an object"
    requests = expected.get("requests")
    if not isinstance(requests, list) or not requests:
        return "'expected.requests' must be a non-empty list"
    for i, req in enumerate(requests):
        if not isinstance(req, dict):
            return f"expected.requests[{i}] must be an object"
        if req.get("category") not in CATEGORIES:
            return f"expected.requests[{i}].category {req.get('category')!r} is not a category"
        if req.get("severity") not in (1, 2, 3):
            return f"expected.requests[{i}].severity {req.get('severity')!r} is not 1, 2 or 3"
    return None


def _check_starts(row: dict[str, Any]) -> str | None:
    """`expected.request_starts` of a line with several requests: null where they are woven
    through each other, else one string per request after the first, each found exactly once
    in the description, in text order, none at its very start."""
    expected = row["expected"]
    wanted = len(expected["requests"]) - 1
    if "request_starts" not in expected:
        return "'expected.request_starts' is required with several requests" if wanted else None
    if not wanted:
        return "'expected.request_starts' belongs to lines with several requests"
    starts = expected["request_starts"]
    if starts is None:
        return None
    if (
        not isinstance(starts, list)
        or len(starts) != wanted
        or not all(isinstance(s, str) and s.strip() for s in starts)
    ):
        return f"'expected.request_starts' must be null or a list of {wanted} non-empty strings"
    description = row.get("description")
    if not isinstance(description, str):
        return "'expected.request_starts' needs a description"
    last = 0
    for start in starts:
        found = description.count(start)
        if found != 1:
            return f"expected.request_starts {start!r} occurs {found} times in the description"
        at = description.index(start)
        if at <= last:
            return f"expected.request_starts {start!r} is out of order or at the very start"
        last = at
    return None


def parse_lines(
    lines: Iterable[str], source: str, *, expected_required: bool = True
) -> tuple[list[tuple[int, dict[str, Any]]], list[BadLine]]:
    """JSON objects of a JSONL stream with their 1-based line numbers; blank lines are skipped."""
    rows: list[tuple[int, dict[str, Any]]] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            bad.append(BadLine(source, number, f"not JSON: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            bad.append(BadLine(source, number, "not a JSON object"))
            continue
        if not isinstance(row.get("id"), str) or not row["id"]:
            bad.append(BadLine(source, number, "missing 'id'"))
            continue
        if expected_required:
            problem = _check_expected(row.get("expected")) or _check_starts(row)
            if problem:
                bad.append(BadLine(source, number, problem))
                continue
        rows.append((number, row))
    return rows, bad


def read_labeled(path: Path) -> tuple[list[LabeledTicket], list[BadLine]]:
    text = path.read_text(encoding="utf-8")
    rows, bad = parse_lines(text.splitlines(), str(path))
    items = []
    for number, row in rows:
        ticket = {k: v for k, v in row.items() if k != "expected"}
        items.append(LabeledTicket(row["id"], ticket, row["expected"], str(path), number))
    return items, bad


def corpus_files(location: Path) -> list[Path]:
    if location.is_file():
        return [location]
    return sorted(location.glob("*.jsonl"))


def load_corpus(location: Path) -> Corpus:
    """Every `*.jsonl` of a directory (name order), or one file. Duplicate ids are bad lines
    (the later one is dropped): an id decides the split, so it must be unique."""
    files = corpus_files(location)
    if not files:
        raise FileNotFoundError(f"no *.jsonl corpus files in {location}")
    corpus = Corpus(files=[str(f) for f in files])
    digest = hashlib.sha256()
    seen: dict[str, str] = {}
    for path in files:
        data = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
        items, bad = read_labeled(path)
        corpus.bad.extend(bad)
        for item in items:
            if item.id in seen:
                corpus.bad.append(
                    BadLine(
                        item.source,
                        item.line,
                        f"duplicate id {item.id!r} (first in {seen[item.id]})",
                    )
                )
                continue
            seen[item.id] = f"{item.source}:{item.line}"
            corpus.items.append(item)
    corpus.sha256 = digest.hexdigest()
    return corpus


def single_request(items: Sequence[LabeledTicket]) -> list[LabeledTicket]:
    """Lines whose label belongs to the whole text (two-request labels describe segments)."""
    return [it for it in items if it.single_request]
