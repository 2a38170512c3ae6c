"""Admin API: locations, tax rates and products (variants inside the product)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from sync.server import catalog, records
from sync.server.auth import admin_device
from sync.server.crud import add_read_routes, add_write_routes
from sync.server.gzip_body import JsonRoute
from sync.server.schemas import LocationIn, LocationPatch, ProductIn, ProductPatch, TaxRateIn, TaxRatePatch

router = APIRouter(route_class=JsonRoute, dependencies=[Depends(admin_device)], tags=["admin: catalog"])


def _simple(entity: str):  # type: ignore[no-untyped-def]
    return (
        lambda conn, body: records.create(conn, entity, body.model_dump()),
        lambda conn, rid, body: records.change(conn, entity, rid, records.patch_fields(body)),
        lambda conn, rid: records.remove(conn, entity, rid),
    )


add_read_routes(router, "/locations", "location")
add_write_routes(router, "/locations", "location", LocationIn, LocationPatch, *_simple("location"))
add_read_routes(router, "/tax-rates", "tax_rate")
add_write_routes(router, "/tax-rates", "tax_rate", TaxRateIn, TaxRatePatch, *_simple("tax_rate"))
add_read_routes(router, "/products", "product")
add_write_routes(
    router,
    "/products",
    "product",
    ProductIn,
    ProductPatch,
    catalog.create_product,
    catalog.change_product,
    catalog.delete_product,
)
