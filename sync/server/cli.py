"""`countertop-shop`: serve the reference shop, seed it, manage devices and staff, prune the change log.

Heavy imports happen inside the commands so `device add` and `seed` start quickly.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sync import __version__
from sync.server.config import choose_database

logger = logging.getLogger(__name__)

DEMO_PRODUCTS = 2000
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")  # uvicorn's
READ_ONLY = {("device", "list"), ("staff", "list")}  # commands that must not create a database


class CliError(Exception):
    """Bad input: printed as `countertop-shop: error: ...`, exit code 2."""


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database-url",
        help="SQLAlchemy URL (sqlite:///file or postgresql://...); "
        "default: $COUNTERTOP_SHOP_DATABASE_URL, else a file in the user data folder",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="countertop-shop", description="The Countertop reference shop server."
    )
    parser.add_argument("--version", action="version", version=f"countertop-shop {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the shop over HTTP")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on, 0.0.0.0 for all (default: %(default)s)"
    )
    serve.add_argument("--port", type=int, default=8000, help="TCP port, 1-65535 (default: %(default)s)")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes answering requests (default: %(default)s)"
    )
    serve.add_argument(
        "--log-level",
        default="warning",
        type=str.lower,
        choices=LOG_LEVELS,
        help="how much the server logs to stderr (default: %(default)s)",
    )
    _add_db(serve)

    seed = sub.add_parser("seed", help="add a realistic demo catalog")
    seed.add_argument(
        "--products",
        type=int,
        required=True,
        metavar="N",
        help="how many products to add (required), each with 1-4 variants and stock at two locations",
    )
    seed.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed, for a repeatable catalog (default: none, a new catalog each time)",
    )
    _add_db(seed)

    device = sub.add_parser("device", help="register, list, revoke and rotate device tokens")
    dsub = device.add_subparsers(dest="action", required=True)
    add = dsub.add_parser("add", help="register a device; prints its token once, on the last line")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="may use the admin API")
    add.add_argument(
        "--code",
        help="till code that starts its receipt numbers (1-12 letters or digits); default: T1, T2, ...",
    )
    _add_db(add)
    lst = dsub.add_parser("list", help="list devices")
    _add_db(lst)
    for action, text in (("revoke", "revoke a device's token"), ("rotate", "issue a new token for a device")):
        p = dsub.add_parser(action, help=text)
        p.add_argument("name")
        _add_db(p)

    from sync.server import cli_staff

    cli_staff.add_parser(sub, _add_db)

    changes = sub.add_parser("changes", help="change-log maintenance")
    csub = changes.add_subparsers(dest="action", required=True)
    prune = csub.add_parser("prune", help="drop change-log rows older than an age")
    prune.add_argument("--older-than", type=float, required=True, metavar="SECONDS")
    _add_db(prune)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    from sync.server.cli_staff import PinInputError
    from sync.server.db import BadDatabaseUrl, display_url, hide_password
    from sync.server.errors import ShopError

    # Error texts may quote the URL (or a driver may): the password never reaches the terminal.
    url = choose_database_url(args)
    try:
        return _run(args)
    except (CliError, BadDatabaseUrl, ShopError, PinInputError) as exc:
        print(f"countertop-shop: error: {hide_password(str(exc), url)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a database that cannot be reached is a user problem, not a traceback
        from sqlalchemy.exc import DatabaseError, OperationalError

        # A plain DatabaseError is SQLite's "file is not a database"; its subclasses other than
        # OperationalError (integrity, programming errors) are bugs, whose traceback is wanted.
        if isinstance(exc, OperationalError) or type(exc) is DatabaseError:
            reason = " ".join(line.strip() for line in str(exc.orig).splitlines() if line.strip())
            where = f" {display_url(url)}" if url else ""
            print(
                f"countertop-shop: error: cannot use the database{where}: {hide_password(reason, url)}",
                file=sys.stderr,
            )
            return 2
        raise


def choose_database_url(args: argparse.Namespace) -> str | None:
    """The database URL the command will use, if one was given (flag or environment)."""
    import os

    from sync.server.config import DATABASE_URL_ENV

    return getattr(args, "database_url", None) or os.environ.get(DATABASE_URL_ENV)


def _open(url_flag: str | None, reader: str | None = None):  # type: ignore[no-untyped-def]
    """The database, migrated to the newest schema; a `reader` (a command that only reads, named
    for the message) refuses a SQLite file that does not exist rather than create an empty shop."""
    from sync.server import db, seed

    choice = choose_database(url_flag)
    if reader is not None and (missing := _missing_sqlite_file(choice.url)) is not None:
        raise CliError(
            f"the database file {missing} does not exist; `{reader}` only reads, so it creates none"
            " (check --database-url)"
        )
    engine = db.make_engine(choice.url)
    db.upgrade(engine)
    return choice, engine, seed


def _missing_sqlite_file(url: str) -> Path | None:
    from sync.server.db import sqlite_file

    path = sqlite_file(url)
    return None if path is None or path.exists() else path


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(args)
    action = getattr(args, "action", None)
    reader = f"{args.command} {action}" if (args.command, action) in READ_ONLY else None
    _, engine, seed = _open(args.database_url, reader)
    from sync.server import db, devices

    if args.command == "seed":
        if args.products < 0:
            raise CliError("--products must be 0 or more")
        report = seed.seed(engine, args.products, args.seed)
        print(
            f"seeded {report.products} products, {report.variants} variants, "
            f"{report.inventory_levels} stock levels in {report.seconds:.1f} s"
        )
        return 0
    if args.command == "staff":
        from sync.server import cli_staff

        return cli_staff.run(args, engine)
    if args.command == "changes":
        from sync.server import changelog

        if args.older_than < 0:
            raise CliError("--older-than must be 0 or more seconds")
        with db.write(engine) as conn:
            deleted, floor = changelog.prune(conn, args.older_than)
        print(f"pruned {deleted} changes; changes before seq {floor + 1} are gone")
        return 0
    with db.write(engine) as conn:
        if args.action == "add":
            dev, token = devices.add_device(conn, args.name, args.admin, args.code)
            kind = "admin device" if dev.is_admin else "device"
            code = f" with till code {dev.code}" if dev.code else ""
            print(f"added {kind} {dev.name!r} (id {dev.id}){code}; its token is shown once, below:")
            print(token)
        elif args.action == "rotate":
            before = devices.find_device(conn, args.name)
            dev, token = devices.rotate_device(conn, args.name)
            if before.revoked_at is not None:
                print(f"{dev.name!r} was revoked at {before.revoked_at}: it is active again with this token")
            print(f"new token for {dev.name!r} (id {dev.id}); the old one no longer works:")
            print(token)
        elif args.action == "revoke":
            dev = devices.find_device(conn, args.name)
            if dev.revoked_at is not None:
                print(f"{dev.name!r} (id {dev.id}) was already revoked at {dev.revoked_at}")
            else:
                dev = devices.revoke_device(conn, dev.id)
                print(f"revoked {dev.name!r} (id {dev.id}) at {dev.revoked_at}")
        else:
            for dev in devices.list_devices(conn):
                state = f"revoked {dev.revoked_at}" if dev.revoked_at else "active"
                kind = "admin" if dev.is_admin else "till"
                print(f"{dev.id}  {dev.code or '-'}  {dev.name}  {kind}  {state}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from sync.server import db, serving
    from sync.server.config import DATABASE_URL_ENV

    if not 0 < args.port < 65536:
        raise CliError(f"--port must be 1..65535, not {args.port}")
    if args.workers < 1:
        raise CliError("--workers must be 1 or more")
    choice, engine, seed = _open(args.database_url)
    if choice.is_default and seed.is_empty(engine):
        logger.info("empty demo database %s: seeding %d products", db.display_url(choice.url), DEMO_PRODUCTS)
        seed.seed(engine, DEMO_PRODUCTS, seed=1)
    engine.dispose()
    os.environ[DATABASE_URL_ENV] = choice.url  # workers build their app from the environment
    config = uvicorn.Config(
        "sync.server.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )
    host = f"[{args.host}]" if ":" in args.host else args.host  # an IPv6 address
    ready = f"serving http://{host}:{args.port} from {db.display_url(choice.url)}"
    return 0 if serving.run(config, ready) else 1


if __name__ == "__main__":
    raise SystemExit(main())
