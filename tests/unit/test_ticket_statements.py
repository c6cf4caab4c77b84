"""The creation path's combined INSERT stays within what psycopg caches."""

from __future__ import annotations

from psycopg._queries import MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy.dialects.postgresql import psycopg

from supportdesk.tickets.service import _INSERT_TICKET_WITH


def test_ticket_with_key_has_few_enough_parameters_for_psycopg_to_cache_it():
    # Past the limit psycopg re-parses the statement on every execution (a column added to
    # tickets can cross it): that cost more CPU than the round trip the statement saves.
    for statement in _INSERT_TICKET_WITH.values():
        compiled = statement.compile(dialect=psycopg.dialect())
        assert len(compiled.params) <= MAX_CACHED_STATEMENT_PARAMS
