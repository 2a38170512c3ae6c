"""Validate a shop's answer to `POST /sync/push` against the batch that was sent.

The answer must hold one result per mutation, for the same ids in the same order. Anything else is
refused whole with a ProtocolError, so the till settles nothing of it and sends the batch again.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from sync.connectors.snapshot_reader import describe_validation_error
from sync.ports import ProtocolError
from sync.protocol import MutationResult, PushResponse


def parse_push_response(body: bytes, sent_ids: Sequence[str]) -> list[MutationResult]:
    try:
        results = PushResponse.model_validate_json(body).results
    except ValidationError as exc:
        raise ProtocolError(f"the answer to a push is malformed ({describe_validation_error(exc)})") from None
    if len(results) != len(sent_ids):
        raise ProtocolError(
            f"the shop answered {len(results)} results to a push of {len(sent_ids)} mutations"
        )
    for index, (result, sent) in enumerate(zip(results, sent_ids, strict=True)):
        if result.id != sent:
            raise ProtocolError(
                f"result {index + 1} of the answer to a push is for mutation {result.id[:64]!r}, "
                f"but mutation {sent!r} was sent in that place"
            )
        if result.seq is not None and result.seq < 0:
            raise ProtocolError(f"the shop answered a negative seq ({result.seq}) for mutation {sent!r}")
    return results
