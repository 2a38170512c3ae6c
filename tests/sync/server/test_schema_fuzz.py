"""Property-based requests from /openapi.json against the admin API: no input ever yields a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.fixtures.shop_server import LiveShop, make_live_shop


@pytest.fixture(scope="module")
def fuzz_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    live = make_live_shop(tmp_path_factory.mktemp("fuzz"), products=10)
    yield live
    live.stop()


def test_admin_api_never_answers_5xx(fuzz_shop: LiveShop) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_shop.url}/openapi.json").include(
        path_regex="^/api/v1/admin/"
    )
    headers = fuzz_shop.headers(fuzz_shop.admin_token)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(base_url=fuzz_shop.url, headers=headers, timeout=30)
            where = f"{case.method} {case.formatted_path} {case.body!r:.200}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
            if response.status_code >= 400 and response.status_code != 405:
                content_type = response.headers.get("content-type", [""])[0]
                assert content_type == "application/problem+json", (where, response.text)

        check()
