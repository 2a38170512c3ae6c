"""Validate a `/sync/changes` page: its schema, then that it is consistent with itself and the request.

A page that passes is safe to apply in one transaction; one that fails is refused whole with a
ProtocolError whose message says exactly what was wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from sync.connectors.snapshot_reader import describe_validation_error
from sync.ports import ChangesResult, ProtocolError
from sync.protocol import CHANGES_PAGE, DOC_VALIDATORS, Change, ChangesPage


def parse_changes_page(body: bytes, *, since: int, limit: int) -> ChangesResult:
    try:
        page: ChangesPage = CHANGES_PAGE.validate_json(body)
    except ValidationError as exc:
        raise ProtocolError(f"the changes page is malformed ({describe_validation_error(exc)})") from None
    changes = page["changes"]
    check_page_consistency(page, since=since, limit=limit)
    for change in changes:
        change["data"] = _validated_data(change)
    return ChangesResult(changes=changes, next=page["next"], head=page["head"], has_more=page["has_more"])


def check_page_consistency(page: ChangesPage, *, since: int, limit: int) -> None:
    changes, nxt, head = page["changes"], page["next"], page["head"]
    if len(changes) > limit:
        raise ProtocolError(f"the changes page has {len(changes)} changes, more than the {limit} asked for")
    previous = since
    for change in changes:
        if change["seq"] <= previous:
            raise ProtocolError(
                f"the changes page is out of order: seq {change['seq']} follows {previous} "
                f"(asked for changes after {since})"
            )
        previous = change["seq"]
    expected_next = changes[-1]["seq"] if changes else since
    if nxt != expected_next:
        raise ProtocolError(
            f"the changes page says next={nxt} but its last change is seq {expected_next}"
            if changes
            else f"the changes page is empty but says next={nxt} (asked for changes after {since})"
        )
    if head < nxt:
        raise ProtocolError(f"the changes page says head={head}, behind its own next={nxt}")
    if page["has_more"] and (not changes or nxt >= head):
        raise ProtocolError(
            f"the changes page says there is more, but next={nxt} has reached head={head}"
            if changes
            else "the changes page says there is more but holds no changes"
        )


def _validated_data(change: Change) -> dict[str, Any] | None:
    where = f"change seq {change['seq']} ({change['op']} {change['entity']} {change['id']})"
    data = change["data"]
    if change["op"] == "delete":
        if data is not None:
            raise ProtocolError(f"{where} is a delete but carries data")
        return None
    if data is None:
        raise ProtocolError(f"{where} is an upsert without data")
    try:
        doc = DOC_VALIDATORS[change["entity"]].validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(
            f"{where} has data that is not a valid {change['entity']} document "
            f"({describe_validation_error(exc)})"
        ) from None
    if doc["id"] != change["id"] or doc["version"] != change["version"]:
        raise ProtocolError(
            f"{where} has data for id {doc['id']} version {doc['version']}, "
            f"not the change's version {change['version']}"
        )
    return doc
