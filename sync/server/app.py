"""The FastAPI application: sync and admin routers, problem+json errors, the idle-poll fast path."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI
from sqlalchemy import Engine

from sync.protocol import API_PREFIX, PROTOCOL_VERSION
from sync.server import db, problems
from sync.server.config import DATABASE_URL_ENV
from sync.server.fastpath import IdlePollFastPath

logger = logging.getLogger(__name__)


def create_app(engine: Engine) -> FastAPI:
    from sync.server import routes_sync

    app = FastAPI(
        title="Countertop reference shop",
        version=f"{PROTOCOL_VERSION}",
        description="Sync protocol v1 for Countertop tills, and an admin API for storefronts and scripts.",
    )
    app.state.engine = engine
    problems.install(app)
    # Errors are problem+json (problems.py); the document says so, rather than FastAPI's default 422.
    app.include_router(routes_sync.router, prefix=API_PREFIX, responses=problems.responses(401, 422))
    for router in _admin_routers():
        app.include_router(
            router, prefix=f"{API_PREFIX}/admin", responses=problems.responses(401, 403, 422)
        )
    app.add_middleware(IdlePollFastPath, engine=engine)
    return app


def _admin_routers() -> list:  # type: ignore[type-arg]
    from sync.server import (
        routes_admin_books,
        routes_admin_catalog,
        routes_admin_customers,
        routes_admin_orders,
        routes_admin_staff,
        routes_admin_stock,
    )

    return [
        routes_admin_catalog.router,
        routes_admin_stock.router,
        routes_admin_customers.router,
        routes_admin_orders.router,
        routes_admin_staff.router,
        routes_admin_books.router,
    ]


def app_from_environment() -> FastAPI:
    """uvicorn's factory (`serve` sets the URL in the environment so every worker finds it)."""
    engine = db.make_engine(os.environ[DATABASE_URL_ENV])
    return create_app(engine)
