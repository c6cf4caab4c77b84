"""Token use cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportdesk.auth import tokens
from supportdesk.auth.principal import Principal
from supportdesk.auth.schemas import TokenCreate
from supportdesk.directory.models import Agent, Person
from supportdesk.errors import InvalidInput, PermissionDenied
from supportdesk.tickets import audit


def issue_token(
    db_session: Session, *, data: TokenCreate, principal: Principal, now: datetime
) -> tokens.IssuedToken:
    """Administrators issue tokens for anyone; everyone else only for themself, with at most
    their own scopes."""
    person_id, agent_id = data.person_id, data.agent_id
    if person_id is None and agent_id is None:
        if principal.kind == "agent":
            agent_id = principal.id
        elif principal.kind == "person":
            person_id = principal.id
        else:
            raise InvalidInput("say whom the token is for", field="person_id")
    own = (agent_id == principal.id and principal.kind == "agent") or (
        person_id == principal.id and principal.kind == "person"
    )
    if not own and not principal.sees_all:
        raise PermissionDenied("only administrators issue tokens for others")
    if own and data.scopes is not None:
        extra = [s for s in data.scopes if not principal.has(s)]
        if extra:
            raise InvalidInput(f"you do not hold the scopes {extra}", field="scopes")
    if person_id is not None and db_session.get(Person, person_id) is None:
        raise InvalidInput(f"person {person_id} not found", field="person_id")
    if agent_id is not None and db_session.get(Agent, agent_id) is None:
        raise InvalidInput(f"agent {agent_id} not found", field="agent_id")
    scopes = data.scopes
    if own and scopes is None:
        scopes = sorted(principal.scopes)
    issued = tokens.issue(
        db_session,
        name=data.name,
        now=now,
        person_id=person_id,
        agent_id=agent_id,
        scopes=scopes,
    )
    audit.record(
        db_session,
        actor=principal.key,
        action="token.issued",
        entity="api_token",
        entity_id=issued.id,
        new={
            "name": data.name,
            "scopes": issued.scopes,
            "person_id": person_id,
            "agent_id": agent_id,
        },
        at=now,
    )
    db_session.commit()
    return issued
