"""`GET /sync/changes`: a page of the change log, assembled from stored JSON without re-encoding."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, text

from sync.server import changelog, db
from sync.server.errors import Gone

_PAGE = text(
    "SELECT seq, entity, entity_id, op, version, data FROM change_log"
    " WHERE seq > :since AND seq <= :head ORDER BY seq LIMIT :limit"
)


@dataclass(frozen=True)
class Page:
    body: bytes
    head: int


def since_problem(since: int, head: int, floor: int) -> str | None:
    """Why the changes after `since` cannot be served (a 410), or None when they can.

    The log holds every seq in (floor, head], so any since in [floor, head] is served: at the floor
    the page starts at floor + 1, at the head it is empty. The one rule for the route, its 304 and
    the idle poll's fast path, so none of them answers a cursor the others would refuse.
    """
    if since < floor:
        return f"changes up to seq {floor} have been pruned; since={since} is too old: take a new snapshot"
    if since > head:
        return f"since={since} is ahead of the shop's head {head}: the shop was replaced; re-snapshot"
    return None


def read_page(engine: Engine, since: int, limit: int) -> Page:
    with db.read(engine) as conn:
        head, floor = changelog.head(conn)
        if (why := since_problem(since, head, floor)) is not None:
            raise Gone(why)
        rows = conn.execute(_PAGE, {"since": since, "head": head, "limit": limit}).all()
    parts = [
        b'{"seq":%d,"entity":"%s","id":%s,"op":"%s","version":%d,"data":%s}'
        % (seq, entity.encode(), orjson.dumps(eid), op.encode(), version, data.encode() if data else b"null")
        for seq, entity, eid, op, version, data in rows
    ]
    nxt = rows[-1][0] if rows else max(since, 0)
    # seqs in (floor, head] have no gaps (a rolled-back write rolls the counter back too).
    has_more = nxt < head
    body = b'{"changes":[%s],"next":%d,"head":%d,"has_more":%s}' % (
        b",".join(parts),
        nxt,
        head,
        b"true" if has_more else b"false",
    )
    return Page(body, head)
