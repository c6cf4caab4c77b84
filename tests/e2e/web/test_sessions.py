"""Session lifetime rules, straight against the session store (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from supportdesk.auth import passwords
from supportdesk.directory.models import Agent, Person
from supportdesk.web import sessions


def test_sessions_end_after_their_lifetime_idle_time_or_deactivation(
    desk_env: dict[str, Any], desk: Any
) -> None:
    now = datetime.now(UTC)
    with desk_env["factory"]() as db:
        person = db.get(Person, desk.ids["msp_admin"])
        agent = db.get(Agent, desk.ids["support_agent"])
        a = sessions.create(db, person=person, now=now)
        b = sessions.create(db, person=person, now=now)
        c = sessions.create(db, agent=agent, now=now)
        db.commit()
        assert sessions.load(db, a, now=now) is not None
        assert sessions.load(db, a, now=now + sessions.SESSION_IDLE) is None  # idle too long
        late = now + sessions.SESSION_LIFETIME
        assert sessions.load(db, b, now=late) is None  # past its lifetime
        signed = sessions.load(db, c, now=now)
        assert signed is not None and signed.principal.is_agent
        assert agent is not None
        agent.active = False
        db.commit()
        assert sessions.load(db, c, now=now) is None  # deactivated: out at once
        assert sessions.load(db, "x" * 500, now=now) is None
        assert sessions.load(db, None, now=now) is None


def test_a_password_change_ends_every_session(desk_env: dict[str, Any], desk: Any) -> None:
    now = datetime.now(UTC)
    with desk_env["factory"]() as db:
        person = db.get(Person, desk.ids["msp_admin"])
        assert person is not None
        raw = sessions.create(db, person=person, now=now)
        db.commit()
        passwords.set_password(db, who=person, password="a brand new passphrase")
        db.commit()
        assert sessions.load(db, raw, now=now) is None
        assert passwords.verify(person.password_hash, "a brand new passphrase")
        assert not passwords.verify(person.password_hash, "correct horse battery staple")


def test_passwords_are_argon2id_and_length_checked() -> None:
    import pytest

    hashed = passwords.hash_password("long enough password")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "long enough password")
    assert not passwords.verify(hashed, "wrong")
    assert not passwords.verify(None, "anything at all")
    assert not passwords.verify("not a hash", "anything at all")
    with pytest.raises(ValueError):
        passwords.hash_password("short")
