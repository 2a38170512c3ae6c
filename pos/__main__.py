"""The `countertop` command line.

    countertop [--data-dir D] [--version]        open the app (first-run wizard if not connected)
    countertop demo [--products N]               start the local demo shop and open the app on it
    countertop connect --shop URL                token from stdin (or COUNTERTOP_DEVICE_TOKEN)
    countertop sync --once                       pull headless until caught up, print what it did
    countertop sell --staff NAME --item CODE[xN]... --cash A   sell headless, print the receipt
    countertop shift open|x|close --staff NAME [--count VALUExN]...   the till's shift, headless
    countertop shop ARGS...                      the reference shop's own CLI (countertop-shop)

Exit status: 0 done, 1 failed at run time (shop unreachable...), 2 bad input (nothing changed).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from pos import __version__
from pos.settings import DATA_DIR_ENV, TOKEN_ENV, Settings, SettingsError, resolve_data_dir

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
_DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
MAX_DEMO_PRODUCTS = 1_000_000


def _positive_products(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of products") from None
    if not 1 <= value <= MAX_DEMO_PRODUCTS:
        raise argparse.ArgumentTypeError(
            f"the demo shop takes 1 to {MAX_DEMO_PRODUCTS:,} products, not {value}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", default=argparse.SUPPRESS, metavar="DIR",
        help=f"folder for settings and replicas (default: ${DATA_DIR_ENV} or the user data folder)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log what happens to stderr")
    parser = argparse.ArgumentParser(
        prog="countertop", parents=[common],
        description="Countertop point of sale. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"countertop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", parents=[common], help="start the local demo shop and open the app on it")
    demo.add_argument("--products", type=_positive_products, default=None,
                      help="products to seed a NEW demo shop with (default 2,000)")
    connect = sub.add_parser("connect", parents=[common],
                             help=f"connect to a shop; the device token comes from stdin or ${TOKEN_ENV}")
    connect.add_argument("--shop", required=True, metavar="URL", help="the shop's address, e.g. https://shop.example.com")
    sync = sub.add_parser("sync", parents=[common],
                          help="send this till's sales to the shop and pull the shop's data, headless")
    sync.add_argument("--once", action="store_true",
                      help="send what waits, pull until caught up, print what was done, exit")
    sync.add_argument("--interval", type=float, default=None,
                      help="seconds between polls without --once (default 2)")
    sell = sub.add_parser("sell", parents=[common], help="sell headless: items, payment, print the receipt")
    sell.add_argument("--item", action="append", required=True, metavar="CODE[xN]",
                      help="barcode or SKU, optionally xN for N of it (repeat for more items)")
    sell.add_argument("--cash", action="append", default=[], metavar="AMOUNT", help="cash handed over")
    sell.add_argument("--card", action="append", default=[], metavar="AMOUNT", help="paid by card")
    sell.add_argument("--ref", action="append", default=[], metavar="REF",
                      help="card terminal reference, one per --card in order")
    sell.add_argument("--staff", default=None, metavar="NAME",
                      help="who sells (name or id); PIN in $COUNTERTOP_STAFF_PIN or on stdin")
    shift = sub.add_parser("shift", parents=[common], help="open a shift, print an X report, or close it")
    shift.add_argument("action", choices=("open", "x", "close"))
    shift.add_argument("--staff", default=None, metavar="NAME",
                       help="who (name or id); PIN in $COUNTERTOP_STAFF_PIN or on stdin")
    shift.add_argument("--count", action="append", default=[], metavar="VALUExPIECES",
                       help="notes and coins counted, e.g. 20x3 (open: the float; close: the drawer)")
    shift.add_argument("--card", action="append", default=[], metavar="AMOUNT",
                       help="close: the card terminal's total for the shift")
    shift.add_argument("--manager", default=None, metavar="NAME",
                       help="close: a manager approving a variance; PIN in $COUNTERTOP_MANAGER_PIN")
    sub.add_parser("shop", help="run the reference shop's command line (countertop shop --help)")
    return parser


def shop_arguments(argv: Sequence[str]) -> list[str] | None:
    """The arguments after `shop` when the command is `shop`, else None (argparse would eat them)."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--data-dir":
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return list(argv[index + 1:]) if arg == "shop" else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["_snapshot-child"]:  # the app's catalog download (pos.snapshot_child)
        from pos.snapshot_child import child_main

        return child_main(args_list[1:])
    passthrough = shop_arguments(args_list)
    if passthrough is not None:
        from sync.server.cli import main as shop_main

        return int(shop_main(passthrough) or 0)

    args = build_parser().parse_args(args_list)
    verbose = getattr(args, "verbose", False)
    root = logging.getLogger()
    existing = list(root.handlers)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        for handler in root.handlers:
            if handler not in existing:  # only our stderr: other handlers (logs) keep the record
                handler.addFilter(_not_a_retry)
    from pos import app  # after parsing: `--help` and `--version` stay fast

    try:
        settings = Settings.load(resolve_data_dir(getattr(args, "data_dir", None)))
        status = _dispatch(args, settings)
        sys.stdout.flush()  # a reader that left (`| head`) shows here, not as a traceback at exit
        return status
    except BrokenPipeError:  # `countertop sync --once | head`: the reader left, nothing went wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit's flush
        return 1
    except (app.CommandError, SettingsError) as exc:
        print(f"countertop: {exc}", file=sys.stderr)
        return exc.status if isinstance(exc, app.CommandError) else EXIT_BAD_INPUT
    except app.RUNTIME_FAILURES as exc:
        print(f"countertop: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the data folder on a read-only disk, without the rights, full...
        # Not "nothing was changed": it may come after a commit (a receipt printed to a full disk).
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"countertop: {exc.strerror or exc}{where}. Check the disk and the folder's permissions "
              "(or choose another with --data-dir).", file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        print("countertop: interrupted", file=sys.stderr)
        return 130


def _not_a_retry(record: logging.LogRecord) -> bool:
    """urllib3 warns of each retry of an unreachable shop ("Retrying ... NewConnectionError"), and the
    sync engine logs each problem it reports ("sync problem: ..."): the command's own message then
    says the same once, better; --verbose shows them."""
    message = record.getMessage()
    if record.name == "urllib3.connectionpool" and message.startswith("Retrying"):
        return False
    return not (record.name == "sync.engine" and message.startswith("sync problem: "))


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from pos import app, commands

    if args.command == "connect":
        return commands.connect_command(settings, args.shop, read_token=_read_token)
    if args.command == "sync":
        if args.once and args.interval is not None:
            raise app.CommandError("--interval is for syncing until interrupted; --once polls until "
                                   "caught up and exits. Give one of them.", EXIT_BAD_INPUT)
        interval = 2.0 if args.interval is None else args.interval
        return commands.sync_command(settings, once=args.once, interval=interval)
    if args.command == "sell":
        from pos.sell_command import sell_command

        return sell_command(settings, args.item, args.cash, args.card, args.ref, args.staff)
    if args.command == "shift":
        from pos.shift_command import shift_command

        return shift_command(settings, args.action, args)
    headless = not any(os.environ.get(name) for name in _DISPLAY_VARIABLES)
    if headless and sys.platform.startswith("linux"):  # Qt would abort the process (PLATFORM.md)
        if args.command != "demo":
            raise app.CommandError(
                "no display found (DISPLAY and WAYLAND_DISPLAY are not set): the window needs a "
                "desktop session. Without one: `countertop connect`, `sync`, `sell` and `shift` work "
                "headless, and `countertop demo` saves a screenshot of its window.", EXIT_BAD_INPUT)
        print("countertop: no display found; running the window offscreen (a screenshot goes to the "
              "data folder).", file=sys.stderr)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if args.command == "demo":
        return app.run_gui(settings, demo=True, demo_products=args.products)
    return app.run_gui(settings)


def _read_token() -> str:
    """The device token from stdin: piped by a script, or typed at a hidden prompt."""
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        return getpass.getpass("Device token: ").strip()
    for line in sys.stdin.read(64 * 1024).splitlines():
        if line.strip():
            return line.strip()
    return ""


if __name__ == "__main__":
    sys.exit(main())
