"""Property-based run over the published OpenAPI schema: no operation answers 5xx.

Bounded for CI: a few examples per operation, as an administrator (who reaches every code path)
on one shared database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from .conftest import Api, Databases, make_api


@pytest.fixture(scope="module")
def shared_api(api_databases: Databases, intake: Any) -> Iterator[Api]:
    with api_databases.fresh() as (url, engine):
        instance = make_api(url, engine, intake)
        # Something to find: a ticket in each of a few states.
        for who, text in (
            ("north_msp", "Why did credits drop for tenant Contoso yesterday?"),
            ("contoso_admin", "SSO login fails for all users at Contoso since this morning."),
            ("blue_msp", "How do I configure a retention policy?"),
        ):
            instance.post(who, "/api/v1/tickets", {"description": text})
        yield instance
        instance.client.close()


@pytest.mark.parametrize("who", ["admin", "north_msp", "contoso_end"])
def test_no_server_errors(shared_api: Api, who: str) -> None:
    """As an administrator (every code path), an MSP admin and an end user (the refusals)."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", shared_api.client.app)
    headers = shared_api.h(who)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case: Any) -> None:
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # the app raised: a 500 in production
                failures.append(f"{case.method} {case.formatted_path} raised {exc!r:.300}")
                return
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:200]}"
                )

        run()
    assert operations >= 25
    assert failures == [], "\n".join(failures)
