"""/openapi.json declares the errors as the shop answers them: application/problem+json with a Problem
schema (not FastAPI's default application/json HTTPValidationError for 422)."""

from __future__ import annotations

import re
from typing import Any

from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop

PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}


def _document(shop: LiveShop) -> dict[str, Any]:
    resp = shop.session.get(f"{shop.url}/openapi.json", timeout=10)
    assert resp.status_code == 200
    return resp.json()


def test_a_422_on_an_admin_route_is_documented_as_the_problem_json_it_is(shop: LiveShop) -> None:
    doc = _document(shop)
    patch = doc["paths"]["/api/v1/admin/products/{record_id}"]["patch"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        assert patch[status]["content"] == {PROBLEM_MEDIA_TYPE: PROBLEM}, status
    problem = doc["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status"]
    assert {"detail", "errors"} <= set(problem["properties"])
    # ...which is what the shop answers
    answer = shop.admin_patch("products/anything", json={"title": ""})
    assert answer.status_code == 422 and answer.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
    assert set(answer.json()) <= set(problem["properties"])


def test_no_error_is_documented_as_plain_json_and_every_reference_resolves(shop: LiveShop) -> None:
    doc = _document(shop)
    errors = [
        (path, method, status, sorted(response.get("content", {})))
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status >= "400"
    ]
    assert errors and all(media == [PROBLEM_MEDIA_TYPE] for *_, media in errors), errors
    assert doc["paths"]["/api/v1/sync/changes"]["get"]["responses"]["410"]["content"] == {
        PROBLEM_MEDIA_TYPE: PROBLEM
    }
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', str(doc).replace("'", '"')))
    assert refs and refs <= set(schemas)
