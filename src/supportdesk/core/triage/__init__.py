"""The triage core: pure decision steps composed by `triage(ticket, policy, now, model)`."""

from supportdesk.core.triage.engine import (
    Prepared,
    TriageInputError,
    decide,
    own_signals,
    prepare,
    texts_to_score,
    triage,
    triage_many,
)
from supportdesk.core.triage.models import RequestDecision, TicketIn, TriageDecision
from supportdesk.core.triage.ports import RulesOnlyModel, TextModel, TextSignals

__all__ = [
    "Prepared",
    "RequestDecision",
    "RulesOnlyModel",
    "TextModel",
    "TextSignals",
    "TicketIn",
    "TriageDecision",
    "TriageInputError",
    "decide",
    "own_signals",
    "prepare",
    "texts_to_score",
    "triage",
    "triage_many",
]
