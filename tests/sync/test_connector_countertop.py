"""The native connector against a real HTTP server on 127.0.0.1 that answers crafted bytes.

Each broken answer must come out as the right error class with a message that names the problem.
The reference shop's own answers are covered by the end-to-end tests.
"""

from __future__ import annotations

import gzip
import logging
import socket

import orjson
import pytest

from sync.connectors.countertop import CountertopConnector
from sync.ports import AuthError, ProtocolError, SnapshotExpired, TransientError
from sync.protocol import API_PREFIX
from tests.sync.crafted_shop import (
    Answer,
    CraftedShop,
    changes_page,
    delete,
    json_answer,
    location_doc,
    ndjson_answer,
    product_doc,
    snapshot_lines,
    upsert,
)

TOKEN = "tok-secret-never-logged-0123456789"
SNAPSHOT = f"{API_PREFIX}/sync/snapshot"
CHANGES = f"{API_PREFIX}/sync/changes"
SHOP = f"{API_PREFIX}/sync/shop"

SHOP_INFO = {
    "protocol_version": 1,
    "shop_name": "Crafted",
    "currency": "EUR",
    "prices_include_tax": True,
    "device_id": "dev-1",
    "device_name": "till 1",
    "head": 10,
}


@pytest.fixture
def shop() -> CraftedShop:
    server = CraftedShop().start()
    yield server
    server.stop()


@pytest.fixture
def connector(shop: CraftedShop) -> CountertopConnector:
    conn = CountertopConnector(shop.url, TOKEN, timeout=(2, 2))
    yield conn
    conn.close()


def read_all(connector: CountertopConnector, entity: str) -> list[dict]:
    stream = connector.snapshot(entity)
    try:
        return [doc for batch in stream.batches for doc in batch]
    finally:
        stream.close()


# --- good answers -------------------------------------------------------------------------------


def test_shop_info_sends_token_and_gzip(shop: CraftedShop, connector: CountertopConnector) -> None:
    shop.routes[SHOP] = json_answer(SHOP_INFO)
    info = connector.shop_info()
    assert (info.shop_name, info.currency, info.head) == ("Crafted", "EUR", 10)
    headers = shop.seen[-1].headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert "gzip" in headers["Accept-Encoding"]


def test_snapshot_yields_validated_batches(shop: CraftedShop, connector: CountertopConnector) -> None:
    docs = [product_doc(n) for n in range(12_001)]
    shop.routes[SNAPSHOT] = ndjson_answer(snapshot_lines("product", docs, cursor=42))
    stream = connector.snapshot("product")
    assert (stream.cursor, stream.count) == (42, 12_001)
    batches = list(stream.batches)
    stream.close()
    assert [len(b) for b in batches] == [5000, 5000, 2001]
    assert [d for b in batches for d in b] == docs
    assert shop.seen[-1].query == {"entity": ["product"]}


def test_empty_snapshot(shop: CraftedShop, connector: CountertopConnector) -> None:
    shop.routes[SNAPSHOT] = ndjson_answer(snapshot_lines("location", []))
    assert read_all(connector, "location") == []


def test_changes_sends_quoted_head_and_understands_304(
    shop: CraftedShop, connector: CountertopConnector
) -> None:
    shop.routes[CHANGES] = Answer(304, b"", {"ETag": '"7"'})
    result = connector.changes(7, 100, known_head=7)
    assert result.not_modified
    assert shop.seen[-1].headers["If-None-Match"] == '"7"'
    assert shop.seen[-1].query == {"since": ["7"], "limit": ["100"]}


def test_changes_page_is_validated_into_plain_dicts(
    shop: CraftedShop, connector: CountertopConnector
) -> None:
    page = changes_page(
        [upsert(8, product_doc(1, version=3)), delete(9, product_doc(2)["id"])], since=7, head=12
    )
    page["has_more"] = True
    shop.routes[CHANGES] = json_answer(page)
    result = connector.changes(7, 2)
    assert (result.next, result.head, result.has_more, result.not_modified) == (9, 12, True, False)
    assert result.changes[0]["data"] == product_doc(1, version=3)
    assert result.changes[1]["data"] is None


# --- broken snapshots ---------------------------------------------------------------------------

GOOD = [location_doc(n) for n in range(3)]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (ndjson_answer(snapshot_lines("location", GOOD)[:-1]), "cut short"),
        (ndjson_answer(snapshot_lines("location", GOOD)[:-2]), "cut short after 2 of 3"),
        (ndjson_answer([], raw=b""), "no header"),
        (
            ndjson_answer(
                [], raw=b'{"type":"header","entity":"location","cursor":1,"count":1}\n{"id":"x","ver'
            ),
            "line 2 of the snapshot of location",
        ),
        (ndjson_answer([], raw=b"<html>hello</html>\n"), "valid header"),
        (ndjson_answer(snapshot_lines("tax_rate", GOOD)), "got one of tax_rate"),
        (
            ndjson_answer([*snapshot_lines("location", GOOD)[:3], {"type": "end", "count": 2}]),
            "fewer documents",
        ),
        (
            ndjson_answer(
                [*snapshot_lines("location", GOOD)[:-1], location_doc(9), {"type": "end", "count": 3}]
            ),
            "more documents",
        ),
        (
            ndjson_answer([*snapshot_lines("location", GOOD)[:-1], {"type": "end", "count": 4}]),
            "end line counts 4",
        ),
        (ndjson_answer([*snapshot_lines("location", GOOD), location_doc(5)]), "after its end line"),
        (
            ndjson_answer(
                [
                    *snapshot_lines("location", GOOD)[:2],
                    {**location_doc(1), "code": ""},
                    *snapshot_lines("location", GOOD)[3:],
                ]
            ),
            "line 3 of the snapshot of location",
        ),
    ],
    ids=[
        "no-trailer",
        "missing-doc",
        "empty",
        "cut-mid-line",
        "html",
        "wrong-entity",
        "early-end",
        "extra-doc",
        "trailer-count",
        "after-end",
        "invalid-doc",
    ],
)
def test_broken_snapshot_is_refused(
    shop: CraftedShop, connector: CountertopConnector, answer: Answer, expected: str
) -> None:
    shop.routes[SNAPSHOT] = answer
    with pytest.raises(ProtocolError, match=expected):
        read_all(connector, "location")


def test_gzip_garbage_is_refused(shop: CraftedShop, connector: CountertopConnector) -> None:
    good = gzip.compress(b"".join(orjson.dumps(v) + b"\n" for v in snapshot_lines("location", GOOD)))
    garbage = good[:10] + bytes(b ^ 0x5A for b in good[10:])
    shop.routes[SNAPSHOT] = Answer(
        200, garbage, {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
    )
    with pytest.raises(ProtocolError, match="not valid gzip"):
        read_all(connector, "location")


def test_gzip_cut_short_by_the_connection(shop: CraftedShop, connector: CountertopConnector) -> None:
    docs = [product_doc(n) for n in range(2000)]
    answer = ndjson_answer(snapshot_lines("product", docs))
    answer.cut_after = len(answer.body) // 2
    shop.routes[SNAPSHOT] = answer
    with pytest.raises(ProtocolError, match="cut short"):
        read_all(connector, "product")


def test_snapshot_with_wrong_content_type(shop: CraftedShop, connector: CountertopConnector) -> None:
    shop.routes[SNAPSHOT] = json_answer({"hello": 1})
    with pytest.raises(ProtocolError, match="not application/x-ndjson"):
        connector.snapshot("location")


# --- broken or inconsistent changes pages -------------------------------------------------------


def _page(changes: list[dict], since: int = 7, **overrides: object) -> dict:
    return {**changes_page(changes, since), **overrides}


P1, P2 = product_doc(1, version=2), product_doc(2, version=5)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (_page([upsert(9, P1), upsert(9, P2)]), "out of order: seq 9 follows 9"),
        (_page([upsert(9, P1), upsert(8, P2)]), "out of order: seq 8 follows 9"),
        (_page([upsert(7, P1)]), "out of order: seq 7 follows 7"),
        (_page([upsert(8, P1)], next=12, head=12), "next=12 but its last change is seq 8"),
        (_page([], next=9, head=9), "empty but says next=9"),
        (_page([upsert(8, P1)], head=5), "head=5, behind its own next=8"),
        (_page([upsert(8, P1)], has_more=True), "says there is more"),
        (_page([], has_more=True), "holds no changes"),
        (_page([upsert(8, {**P1, "variants": [{"sku": "x"}]})]), "not a valid product document"),
        (_page([upsert(8, {**P1, "title": ""})]), "title"),
        (_page([{**upsert(8, P1), "id": "someone-else"}]), "has data for id"),
        (_page([{**upsert(8, P1), "version": 9}]), "not the change's version 9"),
        (_page([{**delete(8, P1["id"]), "data": P1}]), "is a delete but carries data"),
        (_page([{**upsert(8, P1), "data": None}]), "upsert without data"),
        (_page([{**upsert(8, P1), "entity": "unicorn"}]), "malformed"),
        ({"changes": [], "next": 7}, "malformed"),
    ],
    ids=[
        "repeated-seq",
        "decreasing-seq",
        "seq-not-after-since",
        "next-disagrees",
        "empty-next",
        "head-behind",
        "more-at-head",
        "more-but-empty",
        "bad-variant",
        "empty-title",
        "id-mismatch",
        "version-mismatch",
        "delete-with-data",
        "upsert-no-data",
        "unknown-entity",
        "missing-keys",
    ],
)
def test_inconsistent_page_is_refused(
    shop: CraftedShop, connector: CountertopConnector, page: dict, expected: str
) -> None:
    shop.routes[CHANGES] = json_answer(page)
    with pytest.raises(ProtocolError, match=expected):
        connector.changes(7, 100)


def test_page_larger_than_asked_is_refused(shop: CraftedShop, connector: CountertopConnector) -> None:
    shop.routes[CHANGES] = json_answer(_page([upsert(8, P1), upsert(9, P2)]))
    with pytest.raises(ProtocolError, match="more than the 1 asked for"):
        connector.changes(7, 1)


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, b"{not json", {"Content-Type": "application/json"}),
        Answer(200, b"\x1f\x8b\x08garbage", {"Content-Type": "application/json", "Content-Encoding": "gzip"}),
        Answer(200, b"<html></html>", {"Content-Type": "text/html"}),
    ],
    ids=["not-json", "gzip-garbage", "html"],
)
def test_unreadable_page_is_refused(
    shop: CraftedShop, connector: CountertopConnector, answer: Answer
) -> None:
    shop.routes[CHANGES] = answer
    with pytest.raises(ProtocolError):
        connector.changes(7, 100)


# --- status codes and the network ---------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token(shop: CraftedShop, connector: CountertopConnector, status: int) -> None:
    shop.routes[SHOP] = Answer(
        status,
        orjson.dumps({"title": "Unauthorized", "status": status}),
        {"Content-Type": "application/problem+json"},
    )
    with pytest.raises(AuthError, match="refused this till's device token") as caught:
        connector.shop_info()
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_server_fault_is_transient(shop: CraftedShop, connector: CountertopConnector, status: int) -> None:
    shop.routes[CHANGES] = Answer(status, b"busy", {"Content-Type": "text/plain"})
    with pytest.raises(TransientError, match=f"Shop unreachable: it answered HTTP {status}"):
        connector.changes(7, 100)


def test_gone_means_snapshot_expired(shop: CraftedShop, connector: CountertopConnector) -> None:
    shop.routes[CHANGES] = Answer(410, b"{}", {"Content-Type": "application/problem+json"})
    with pytest.raises(SnapshotExpired):
        connector.changes(1, 100)


def test_not_a_shop(shop: CraftedShop, connector: CountertopConnector) -> None:
    with pytest.raises(ProtocolError, match="does not look like a Countertop shop"):
        connector.shop_info()
    shop.routes[SHOP] = Answer(200, b"<html>router login</html>", {"Content-Type": "text/html"})
    with pytest.raises(ProtocolError, match=r"is .* a Countertop shop"):
        connector.shop_info()


def test_wrong_protocol_version(shop: CraftedShop, connector: CountertopConnector) -> None:
    shop.routes[SHOP] = json_answer({**SHOP_INFO, "protocol_version": 2})
    with pytest.raises(ProtocolError, match="protocol version 2"):
        connector.shop_info()


def test_connection_refused_names_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    connector = CountertopConnector(url, TOKEN)
    with pytest.raises(TransientError, match=f"Shop unreachable: connection refused \\({url}\\)"):
        connector.shop_info()


def test_silent_server_times_out() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # accepts the connection but never answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        connector = CountertopConnector(url, TOKEN, timeout=(0.5, 0.3))
        with pytest.raises(TransientError, match="no answer in time"):
            connector.changes(0, 10)


@pytest.mark.parametrize("url", ["", "shop.example.com", "ftp://shop", "http://"])
def test_bad_address(url: str) -> None:
    with pytest.raises(ProtocolError, match="not a shop address"):
        CountertopConnector(url, TOKEN)


def test_token_never_logged(
    shop: CraftedShop, connector: CountertopConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shop.routes[SHOP] = json_answer(SHOP_INFO)
    connector.shop_info()
    shop.routes[SHOP] = Answer(401, b"", {})
    with pytest.raises(AuthError):
        connector.shop_info()
    assert caplog.records  # urllib3 did log the requests
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(connector)
