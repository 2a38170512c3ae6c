"""Errors the shop's write functions raise; `problems.py` turns them into problem+json responses."""

from __future__ import annotations


class ShopError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ShopError):
    status = 404
    title = "Not found"


class Conflict(ShopError):
    status = 409
    title = "Conflict"


class Invalid(ShopError):
    status = 422
    title = "Invalid request"


class Unauthorized(ShopError):
    status = 401
    title = "Unauthorized"


class Forbidden(ShopError):
    status = 403
    title = "Forbidden"


class Gone(ShopError):
    """A `since` the change log cannot serve: older than what was pruned, or ahead of the head (the
    shop's data was replaced). Either way the till takes a new snapshot; the detail says which."""

    status = 410
    title = "Cursor out of range"


class Rejected(Exception):
    """A pushed mutation the shop refuses for good (a business outcome, answered with 200 `rejected`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Stale(Exception):
    """A pushed change based on an old version: answered `conflict` with the current document."""

    def __init__(self, current: dict) -> None:  # type: ignore[type-arg]
        super().__init__("base version is stale")
        self.current = current
