"""The sender row read with a person's token is the row a submission would look up by email:
`auth.tokens.authenticate_sender` spells out `directory.repository.sender_row`'s columns by
hand (one query per request instead of two), so the two must not drift apart."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from supportdesk.auth import tokens
from supportdesk.directory import repository
from supportdesk.directory.service import resolve_requester, resolved_from_row


@pytest.mark.parametrize("who", ["north_msp", "pending", "contoso_admin", "litware_end"])
def test_the_token_sender_row_is_the_email_lookup(
    db_session: Session, world: Any, clock: Any, who: str
) -> None:
    person = world.people[who]
    raw = tokens.issue(db_session, name="t", now=clock.now, person_id=person.id).token
    principal, row = tokens.authenticate_sender(db_session, raw)
    assert principal.id == person.id
    by_email = repository.sender_row(db_session, email=person.email)
    assert by_email is not None and row is not None
    assert tuple(row) == tuple(by_email)
    assert resolved_from_row(row, person.email) == resolve_requester(db_session, email=person.email)


def test_an_agent_token_has_no_sender_row(db_session: Session, world: Any, clock: Any) -> None:
    agent = next(iter(world.agents.values()))
    raw = tokens.issue(db_session, name="t", now=clock.now, agent_id=agent.id).token
    assert tokens.authenticate_sender(db_session, raw)[1] is None
