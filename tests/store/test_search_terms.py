"""Typed words are expanded into index terms through a cache (pos.store.search.TermCache); a
change to the catalog must show in the very next search of the same CatalogService."""

from __future__ import annotations

import copy

from sqlalchemy import Engine

from pos.services.catalog import CatalogService
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd


def test_a_new_or_renamed_product_is_found_by_the_next_search_of_a_typed_word(engine: Engine) -> None:
    replica = SqliteReplica(engine)
    docs = list(cd.products(120))
    cd.load_catalog(replica, copy.deepcopy(docs))
    catalog = CatalogService(engine)
    cotton = catalog.search_keys("cott")
    assert cotton and catalog.search_keys("cottonwood") == []  # both words now cached
    added = copy.deepcopy(docs[0]) | {"id": "new-1", "title": "Cottonwood Bowl", "version": 1}
    added["variants"] = [dict(added["variants"][0], id="new-1-v", sku="NEW-1", barcode=None)]
    replica.apply_changes([cd.change(50, "product", added)], cursor=50)
    found = catalog.search_keys("cott")
    rows = catalog.rows(found)
    assert "new-1" in {row.id for row in rows.values()} and len(found) == len(cotton) + 1
    assert [rows[key].id for key in catalog.search_keys("cottonwood")] == ["new-1"]
    renamed = dict(added, version=2, title="Walnut Bowl")
    replica.apply_changes([cd.change(51, "product", renamed)], cursor=51)
    assert catalog.search_keys("cottonwood") == []
    assert catalog.search_keys("cott") == cotton
