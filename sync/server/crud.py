"""Generic admin routes for a synced entity: list, get, create, patch, delete."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from sync.server import changelog, db, problems
from sync.server.errors import NotFound

Doc = dict[str, Any]
Writer = Callable[..., Any]

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10**9)]


def add_read_routes(router: APIRouter, path: str, entity: str) -> None:
    what = entity.replace("_", " ")

    @router.get(path, name=f"list_{entity}", summary=f"List {what} documents")
    def list_docs(request: Request, limit: Limit = 100, offset: Offset = 0) -> list[Doc]:
        with db.read(request.app.state.engine) as conn:
            return changelog.list_docs(conn, entity, limit, offset)

    @router.get(
        path + "/{record_id}",
        name=f"get_{entity}",
        summary=f"Get one {what}",
        responses=problems.responses(404),
    )
    def get_doc(request: Request, record_id: str) -> Doc:
        with db.read(request.app.state.engine) as conn:
            found = changelog.current_doc(conn, entity, record_id)
        if found is None:
            raise NotFound(f"no {what} with id {record_id!r}")
        return found


def add_write_routes(
    router: APIRouter,
    path: str,
    entity: str,
    create_model: type[BaseModel],
    patch_model: type[BaseModel],
    create: Callable[[Any, Any], Doc],
    change: Callable[[Any, str, Any], Doc],
    remove: Callable[[Any, str], int],
) -> None:
    what = entity.replace("_", " ")

    def post(request: Request, response: Response, body: Any) -> Doc:
        with db.write(request.app.state.engine) as conn:
            doc = create(conn, body)
        response.status_code = 201
        return doc

    def patch(request: Request, record_id: str, body: Any) -> Doc:
        with db.write(request.app.state.engine) as conn:
            return change(conn, record_id, body)

    def delete(request: Request, record_id: str) -> dict[str, Any]:
        with db.write(request.app.state.engine) as conn:
            seq = remove(conn, record_id)
        return {"id": record_id, "deleted": True, "seq": seq}

    # The body types are only known here; FastAPI reads them from the annotations.
    post.__annotations__["body"] = create_model
    patch.__annotations__["body"] = patch_model
    errors = problems.responses(404, 409)
    router.add_api_route(
        path,
        post,
        methods=["POST"],
        status_code=201,
        name=f"create_{entity}",
        summary=f"Create a {what}",
        responses=errors,
    )
    router.add_api_route(
        path + "/{record_id}",
        patch,
        methods=["PATCH"],
        name=f"change_{entity}",
        summary=f"Change a {what} (only the fields sent; a change that changes nothing logs nothing)",
        responses=errors,
    )
    router.add_api_route(
        path + "/{record_id}",
        delete,
        methods=["DELETE"],
        name=f"delete_{entity}",
        summary=f"Delete a {what} (tills receive a tombstone)",
        responses=errors,
    )
