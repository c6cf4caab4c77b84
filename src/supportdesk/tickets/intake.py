"""The triage dependencies of the ticket service: the policy and the text model.

Loaded once per process (lazily), never per request. Tests build an `Intake` with
`RulesOnlyModel()` when the model is not under test.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from supportdesk.core.sla import BusinessCalendar
from supportdesk.core.triage.models import TicketIn, TriageDecision
from supportdesk.core.triage.ports import TextModel
from supportdesk.errors import InvalidInput


@dataclass
class Intake:
    policy: Any  # supportdesk.core.policy.Policy
    model: TextModel | None = None

    def triage(self, ticket: TicketIn, now: datetime) -> TriageDecision:
        from supportdesk.core.triage import TriageInputError, triage

        try:
            return triage(ticket, self.policy, now, self.model)
        except TriageInputError as exc:
            raise InvalidInput(str(exc)) from exc

    def calendar(self, tier: str) -> BusinessCalendar | None:
        cal: BusinessCalendar | None = self.policy.calendar_for(tier)
        return cal

    def target(self, tier: str, severity: int, kind: str) -> Any:
        return self.policy.target(tier, severity, kind)

    def queue_for(self, category: str) -> str:
        return str(self.policy.categories[category].queue)

    @property
    def at_risk_fraction(self) -> float:
        return float(getattr(self.policy, "at_risk_fraction", 0.75))

    def redact(self, text: str) -> tuple[str, list[str]]:
        """Replace every secret the policy knows by the core's marker; return the kinds."""
        from supportdesk.core.triage.secrets import redact

        result = redact(text, self.policy)
        return result.text, sorted(result.kinds)


log = logging.getLogger("supportdesk.intake")
_lock = threading.Lock()


def _load_model() -> TextModel:
    """The trained text model; when its assets are missing the desk still runs on the policy
    rules alone (decision reasons then name the `rules-only` model) and says so in the log."""
    from supportdesk.core.triage.ports import RulesOnlyModel
    from supportdesk.ml.model import load_default_model

    try:
        return load_default_model()
    except (OSError, ValueError, RuntimeError) as exc:
        log.warning("text model unavailable (%s); triaging with the policy rules only", exc)
        return RulesOnlyModel()


_default: dict[tuple[str | None, bool], Intake] = {}


def default_intake(policy_path: Path | None = None, rules_only: bool = False) -> Intake:
    """The process-wide intake: the policy and (unless `rules_only`) the ML model, loaded once."""
    key = (str(policy_path) if policy_path else None, rules_only)
    with _lock:
        if key not in _default:
            from supportdesk.core.policy import load_policy

            policy = load_policy(policy_path)
            model: TextModel | None
            if rules_only:
                from supportdesk.core.triage.ports import RulesOnlyModel

                model = RulesOnlyModel()
            else:
                model = _load_model()
            _default[key] = Intake(policy=policy, model=model)
        return _default[key]
