"""What information is missing: the policy's checklists, evaluated against one request."""

from __future__ import annotations

from dataclasses import dataclass

from supportdesk.core.policy.model import Checklist, ChecklistItem, Patterns, Policy
from supportdesk.core.triage.detectors import DETECTORS, Context


@dataclass(frozen=True)
class ChecklistResult:
    checklist: str | None
    missing: list[str]
    helpful: list[str]
    questions: list[str]
    present: list[str]


def _any(patterns: Patterns | None, detectors: tuple[str, ...], ctx: Context) -> bool:
    if patterns is not None and patterns.first_match(ctx.text):
        return True
    return any(DETECTORS[d](ctx) for d in detectors)


def _applies(cl: Checklist, category: str, ctx: Context) -> bool:
    if category not in cl.categories:
        return False
    if cl.applies_when is None and not cl.applies_when_roles:
        return True
    if ctx.ticket.requester.role in cl.applies_when_roles:
        return True
    return cl.applies_when is not None and cl.applies_when.first_match(ctx.whole) is not None


def _item_applies(item: ChecklistItem, category: str, queue: str, ctx: Context) -> bool:
    if item.queues is not None and queue not in item.queues:
        return False
    if item.categories is not None and category not in item.categories:
        return False
    if (item.only_when is not None or item.only_when_detectors) and not _any(
        item.only_when, item.only_when_detectors, ctx
    ):
        return False
    return not (item.not_when is not None and item.not_when.first_match(ctx.text))


def evaluate(category: str, queue: str, ctx: Context, policy: Policy) -> ChecklistResult:
    """Required items really absent → missing; optional ones → helpful. Fields always count."""
    for cl in policy.checklists:
        if not _applies(cl, category, ctx):
            continue
        missing, helpful, questions, present = [], [], [], []
        for item in cl.items:
            if not _item_applies(item, category, queue, ctx):
                continue
            given = ctx.ticket.fields.get(item.id, "").strip()
            if given or _any(item.patterns, item.detectors, ctx):
                present.append(item.id)
            elif item.required:
                missing.append(item.id)
                questions.append(item.question)
            else:
                helpful.append(item.id)
        return ChecklistResult(cl.id, missing, helpful, questions, present)
    return ChecklistResult(None, [], [], [], [])
