"""RFC 9457 problem+json responses for every error, so no bad request ever turns into a bare 500."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sync.protocol import PROBLEM_MEDIA_TYPE
from sync.server.errors import ShopError, Unauthorized

logger = logging.getLogger(__name__)

# What every error answer is, in the OpenAPI document (components/schemas/Problem).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem: every error the shop answers, as application/problem+json",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "always about:blank"},
        "title": {"type": "string", "description": "the kind of problem, e.g. Conflict"},
        "status": {"type": "integer", "description": "the HTTP status"},
        "detail": {"type": "string", "description": "what went wrong here, in words"},
        "errors": {
            "type": "array",
            "description": "422 for a body or query that does not validate: each value's problem",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_WHEN = {
    401: "missing, wrong or revoked device token",
    403: "the token's device is not an admin device",
    404: "no record with that id (or none of one the body names)",
    409: "the change conflicts with the shop's data (the detail says how); nothing was changed",
    410: "since is older than the pruned change log or ahead of the shop's head: take a new snapshot",
    422: "the body or query does not validate, or the body is not JSON; nothing was changed",
}


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response (route or router `responses=`) answered as a Problem."""
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for these error statuses, each a Problem with the usual description."""
    return {status: problem_response(_WHEN[status]) for status in statuses}



def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _validation_detail(errors: list[dict[str, Any]], body: Any = None) -> str:
    parts = []
    for e in errors[:5]:
        if e.get("type") == "json_invalid":
            parts.append(_json_detail(e, body))
            continue
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{where}: {e.get('msg')}" if where else str(e.get("msg")))
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def _json_detail(error: dict[str, Any], body: Any) -> str:
    """FastAPI's "JSON decode error" at loc ("body", position), said plainly. A body that decodes but
    cannot be read (gzip_body.JsonRequest: a number of over 4,300 digits) comes without its text,
    and its position means nothing."""
    loc = error.get("loc", ())
    at = f" (at character {loc[-1]})" if body and loc and isinstance(loc[-1], int) else ""
    reason = (error.get("ctx") or {}).get("error")
    return f"the request body is not valid JSON{at}" + (f": {reason}" if reason else "")


def _clean(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Pydantic puts the raw input and exception objects in its errors; keep what JSON can carry.
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": str(e.get("type"))} for e in errors
    ]


def install(app: FastAPI) -> None:
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()  # cached by FastAPI in app.openapi_schema
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's way to extend its document

    @app.exception_handler(ShopError)
    async def _shop_error(_req: Request, exc: ShopError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return problem(exc.status, exc.title, exc.detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        return problem(422, "Invalid request", _validation_detail(errors, exc.body), _clean(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> Response:
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail), headers=exc.headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_req: Request, exc: IntegrityError) -> Response:
        logger.info("integrity error: %s", exc.orig)
        return problem(409, "Conflict", f"the change conflicts with existing data: {_first_line(exc.orig)}")

    @app.exception_handler(DataError)
    async def _data(_req: Request, exc: DataError) -> Response:
        return problem(422, "Invalid request", f"a value does not fit the database: {_first_line(exc.orig)}")

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> Response:
        logger.exception("unexpected error")
        return problem(500, "Internal server error", "the shop failed to answer; the error is in its log")

    @app.exception_handler(OperationalError)
    async def _operational(_req: Request, exc: OperationalError) -> Response:
        logger.warning("database unavailable: %s", exc.orig)
        return problem(
            503,
            "Service unavailable",
            "the shop database is busy or unreachable; retry later",
            headers={"Retry-After": "1"},
        )


def _first_line(err: object) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else "constraint violated"


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
