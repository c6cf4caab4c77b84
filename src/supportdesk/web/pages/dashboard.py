"""The dashboard's numbers: a few grouped queries, turned into SVG charts (`charts`).

- SLA attainment by tier and severity: of the first-response clocks that finished or fell due
  in the last 30 days, the share met.
- Volume by category and by queue per day over the last 14 days (UTC days).
- Backlog by age: working tickets by time since creation.
- Breaches this week: first-response and resolution deadlines missed, per day of the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from supportdesk.auth.principal import Principal
from supportdesk.auth.rules import ticket_filter
from supportdesk.tickets import lifecycle
from supportdesk.tickets.models import Ticket
from supportdesk.web.pages import charts
from supportdesk.web.pages.charts import Bar

VOLUME_DAYS = 14
ATTAINMENT_DAYS = 30
AGE_BUCKETS = (
    ("under 4 hours", timedelta(hours=4)),
    ("4–24 hours", timedelta(days=1)),
    ("1–3 days", timedelta(days=3)),
    ("3–7 days", timedelta(days=7)),
    ("1–4 weeks", timedelta(days=28)),
)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    table_head: tuple[str, ...]
    table_rows: list[tuple[Any, ...]]
    note: str = ""


def _day(db_session: Session, col: Any) -> ColumnElement[str]:
    if db_session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", col), "YYYY-MM-DD")
    return func.substr(cast(col, String), 1, 10)


def build(db_session: Session, *, principal: Principal, policy: Any, now: datetime) -> list[Chart]:
    seen = ticket_filter(principal)
    out = [
        _attainment(db_session, seen, policy, now),
        *_volumes(db_session, seen, now, policy),
        _backlog(db_session, seen, now),
        _breaches(db_session, seen, now),
    ]
    return out


def _cat_label(policy: Any) -> dict[str, str]:
    return {k: c.label for k, c in policy.categories.items()}


def _queue_label(policy: Any) -> dict[str, str]:
    return {k: q.label for k, q in policy.queues.items()}


def _attainment(db_session: Session, seen: Any, policy: Any, now: datetime) -> Chart:
    since = now - timedelta(days=ATTAINMENT_DAYS)
    finished = or_(Ticket.first_responded_at.is_not(None), Ticket.first_response_due_at <= now)
    q = (
        select(
            Ticket.tier,
            Ticket.severity,
            func.count(),
            func.count().filter(Ticket.first_response_breached.is_(False)),
        )
        .where(
            seen,
            Ticket.sla_started_at >= since,
            Ticket.first_response_due_at.is_not(None),
            finished,
        )
        .group_by(Ticket.tier, Ticket.severity)
    )
    got = {(t, s): (int(n), int(m)) for t, s, n, m in db_session.execute(q)}
    bars, rows = [], []
    for tier, spec in policy.tiers.items():
        if spec.help_center_only:
            continue
        for sev in (1, 2, 3):
            n, met = got.get((tier, sev), (0, 0))
            if n == 0:
                continue
            pct = 100 * met / n
            tone = "good" if pct >= 95 else "warn" if pct >= 80 else "bad"
            label = f"{spec.label} S{sev}"
            bars.append(Bar(label, pct, f"{pct:.0f}% ({met}/{n})", tone))
            rows.append((label, f"{pct:.0f}%", met, n))
    svg = charts.hbars(
        "SLA attainment by tier and severity",
        f"Share of first responses on time over the last {ATTAINMENT_DAYS} days",
        bars,
        maximum=100,
    )
    return Chart(
        "SLA attainment by tier and severity",
        svg,
        ("Tier and severity", "On time", "Met", "Due"),
        rows,
        f"First-response clocks finished or due in the last {ATTAINMENT_DAYS} days.",
    )


def _volumes(db_session: Session, seen: Any, now: datetime, policy: Any) -> list[Chart]:
    """New tickets per day by category and by queue, from one grouped pass over the window."""
    start_day = (now - timedelta(days=VOLUME_DAYS - 1)).date()
    since = datetime.combine(start_day, datetime.min.time(), tzinfo=now.tzinfo)
    day = _day(db_session, Ticket.created_at)
    q = (
        select(day, Ticket.category, Ticket.queue, func.count())
        .where(seen, Ticket.created_at >= since)
        .group_by(day, Ticket.category, Ticket.queue)
    )
    rows = db_session.execute(q).all()
    days = [(start_day + timedelta(days=i)).isoformat() for i in range(VOLUME_DAYS)]
    index = {d: i for i, d in enumerate(days)}
    short = [d[5:].replace("-", "/") for d in days]
    out = []
    for pos, title, labels in (
        (1, "Volume by category", _cat_label(policy)),
        (2, "Volume by queue", _queue_label(policy)),
    ):
        series: dict[str, list[int]] = {k: [0] * VOLUME_DAYS for k in labels}
        for row in rows:
            d, key, n = row[0], row[pos], row[3]
            if d in index and key in series:
                series[key][index[d]] += int(n)
        ordered = [(labels[k], v) for k, v in series.items() if sum(v)]
        svg = charts.stacked_columns(
            title, f"New tickets per day over the last {VOLUME_DAYS} days", short, ordered
        )
        table = [(name, sum(v), max(v)) for name, v in ordered]
        out.append(Chart(title, svg, ("Series", "Total", "Busiest day"), table, "UTC days."))
    return out


def _backlog(db_session: Session, seen: Any, now: datetime) -> Chart:
    working = Ticket.status.in_(sorted(lifecycle.WORKING))
    cols = []
    lower = now
    for _label, age in AGE_BUCKETS:
        upper = now - age
        cols.append(
            func.count().filter(and_(Ticket.created_at <= lower, Ticket.created_at > upper))
        )
        lower = upper
    cols.append(func.count().filter(Ticket.created_at <= lower))
    q = select(*cols).where(seen, working)
    counts = [int(c or 0) for c in db_session.execute(q).one()]
    labels = [label for label, _ in AGE_BUCKETS] + ["over 4 weeks"]
    tones = ["good", "good", "normal", "warn", "bad", "bad"]
    bars = [Bar(lab, n, str(n), tone) for lab, n, tone in zip(labels, counts, tones, strict=True)]
    svg = charts.hbars("Backlog by age", "Working tickets by time since they were created", bars)
    return Chart(
        "Backlog by age",
        svg,
        ("Age", "Tickets"),
        list(zip(labels, counts, strict=True)),
        "Tickets still being worked (not resolved, closed or sent elsewhere).",
    )


def _breaches(db_session: Session, seen: Any, now: datetime) -> Chart:
    start_day = (now - timedelta(days=6)).date()
    since = datetime.combine(start_day, datetime.min.time(), tzinfo=now.tzinfo)
    days = [(start_day + timedelta(days=i)).isoformat() for i in range(7)]
    index = {d: i for i, d in enumerate(days)}
    series: dict[str, list[int]] = {"First response": [0] * 7, "Resolution": [0] * 7}
    for name, due, flag in (
        ("First response", Ticket.first_response_due_at, Ticket.first_response_breached),
        ("Resolution", Ticket.resolution_due_at, Ticket.resolution_breached),
    ):
        day = _day(db_session, due)
        q = (
            select(day, func.count())
            .where(seen, flag.is_(True), due >= since, due <= now)
            .group_by(day)
        )
        for d, n in db_session.execute(q):
            if d in index:
                series[name][index[d]] += int(n)
    short = [d[5:].replace("-", "/") for d in days]
    svg = charts.stacked_columns(
        "Breaches this week",
        "Deadlines missed per day over the last 7 days",
        short,
        list(series.items()),
    )
    rows = [(name, sum(v)) for name, v in series.items()]
    return Chart("Breaches this week", svg, ("Clock", "Breaches"), rows, "By day of the deadline.")
