"""Typed settings of the till, declared in one place.

Everything here lives in `<data dir>/settings.json`. Secrets never do: the device token goes to the
OS keyring (`pos.services.connection`). Window geometry is the only thing kept in QSettings.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from pos.domain.embedded import DEFAULT_LAYOUTS, EmbeddedLayout, check_layouts
from pos.domain.errors import DomainError
from pos.printing.config import PrinterSettingsError, PrintingSettings

log = logging.getLogger(__name__)

APP_NAME = "Countertop"
DATA_DIR_ENV = "COUNTERTOP_DATA_DIR"
TOKEN_ENV = "COUNTERTOP_DEVICE_TOKEN"
SETTINGS_FILE = "settings.json"
SETTINGS_VERSION = 1
# The demo shop listens on a new free port each time, so its replica cannot be keyed by URL.
DEMO_SHOP_KEY = "demo"
DEFAULT_IDLE_LOCK_SECONDS = 300
MAX_IDLE_LOCK_SECONDS = 24 * 3600


class SettingsError(Exception):
    """The settings file or a value given by a person is unusable; the message says why."""


def resolve_data_dir(
    cli_value: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None
) -> Path:
    """`--data-dir` beats `COUNTERTOP_DATA_DIR`, which beats the platform's user data folder."""
    env = os.environ if environ is None else environ
    if cli_value:
        return Path(cli_value).expanduser().absolute()
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser().absolute()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def normalise_shop_url(url: str) -> str:
    """Return the shop URL in one canonical form or raise SettingsError with a clear message."""
    text = (url or "").strip()
    if not text:
        raise SettingsError("The shop URL is empty. Example: https://shop.example.com")
    if "://" not in text:
        raise SettingsError(f"{text!r} is not a shop URL: it must start with http:// or https://")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise SettingsError(f"{text!r} is not a shop URL: it must start with http:// or https://")
    try:
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise SettingsError(f"{text!r} has an invalid port ({exc})") from None
    if not parts.hostname:
        raise SettingsError(f"{text!r} has no host name. Example: https://shop.example.com")
    if parts.query or parts.fragment:
        raise SettingsError(f"{text!r}: a shop URL has no query (?...) or fragment (#...)")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{netloc}{path}"


def shop_slug(url: str) -> str:
    """A folder name for a shop URL: readable, stable and safe on every file system."""
    parts = urlsplit(normalise_shop_url(url))
    raw = f"{parts.scheme}-{parts.netloc}{parts.path}"
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    return slug[:120] or "shop"


@dataclass(frozen=True)
class ShopConnection:
    """The shop this till works against (its token is in the keyring, not here)."""

    url: str
    device_id: str
    device_name: str
    shop_name: str
    currency: str = ""
    demo: bool = False
    folder: str = ""  # the replica's folder under shops/ when not the URL's own: the shop moved (kept_for)

    @property
    def replica_key(self) -> str:
        return DEMO_SHOP_KEY if self.demo else (self.folder or shop_slug(self.url))

    def kept_for(self, previous: ShopConnection | None) -> ShopConnection:
        """This connection in `previous`'s replica folder when it is the same device at another
        address (the shop moved, or localhost for 127.0.0.1): the till file there holds the sales
        not yet sent, which only this device can send, and the replica needs no new snapshot."""
        if previous is None or previous.demo or self.demo or not self.device_id:
            return self
        if previous.device_id != self.device_id or previous.replica_key == self.replica_key:
            return self
        return replace(self, folder=previous.replica_key)


@dataclass
class Settings:
    data_dir: Path
    connection: ShopConnection | None = None
    demo_products: int = 2000
    extra: dict[str, object] = field(default_factory=dict)  # keys written by newer versions, kept as is
    # How this shop's scales print price- and weight-embedded EAN-13s (pos.domain.embedded).
    embedded_barcodes: tuple[EmbeddedLayout, ...] = DEFAULT_LAYOUTS
    # Printers, receipt header/footer and which document goes to which printer (pos.printing.config).
    printing: PrintingSettings = field(default_factory=PrintingSettings)
    # The till locks itself after this many seconds without a key press or click; 0 = never.
    idle_lock_seconds: int = DEFAULT_IDLE_LOCK_SECONDS

    @property
    def path(self) -> Path:
        return self.data_dir / SETTINGS_FILE

    def replica_path(self, connection: ShopConnection | None = None) -> Path:
        conn = connection or self.connection
        if conn is None:
            raise SettingsError("No shop connection yet: run `countertop connect --shop URL` first.")
        return self.data_dir / "shops" / conn.replica_key / "replica.sqlite3"

    @property
    def demo_database_path(self) -> Path:
        return self.data_dir / "demo-shop.sqlite3"

    @classmethod
    def load(cls, data_dir: Path) -> Settings:
        if data_dir.exists() and not data_dir.is_dir():
            raise SettingsError(f"{data_dir} is a file, not a folder: give --data-dir (or "
                                f"{DATA_DIR_ENV}) a folder for Countertop's data.")
        settings = cls(data_dir=data_dir)
        if not settings.path.exists():
            return settings
        try:
            raw = json.loads(settings.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"Cannot read {settings.path}: {exc}") from None
        if not isinstance(raw, dict):
            raise SettingsError(f"Cannot read {settings.path}: not a JSON object")
        return _from_json(settings, raw)

    def save(self) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        doc: dict[str, object] = dict(self.extra)
        doc["version"] = SETTINGS_VERSION
        doc["connection"] = asdict(self.connection) if self.connection else None
        doc["demo_products"] = self.demo_products
        doc["embedded_barcodes"] = [layout.to_dict() for layout in self.embedded_barcodes]
        doc["printing"] = self.printing.to_dict()
        doc["idle_lock_seconds"] = check_idle_lock(self.idle_lock_seconds)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def with_connection(self, connection: ShopConnection | None) -> Settings:
        return replace(self, connection=connection)


def _from_json(settings: Settings, raw: dict[str, object]) -> Settings:
    conn = raw.get("connection")
    known = {"version", "connection", "demo_products", "embedded_barcodes", "printing", "idle_lock_seconds"}
    settings.extra = {k: v for k, v in raw.items() if k not in known}
    if isinstance(raw.get("demo_products"), int) and raw["demo_products"] > 0:
        settings.demo_products = raw["demo_products"]  # type: ignore[assignment]
    if "embedded_barcodes" in raw:
        settings.embedded_barcodes = parse_embedded_layouts(raw["embedded_barcodes"], settings.path)
    if "idle_lock_seconds" in raw:
        try:
            settings.idle_lock_seconds = check_idle_lock(raw["idle_lock_seconds"])
        except SettingsError as exc:
            raise SettingsError(f"{settings.path}: {exc}") from None
    if "printing" in raw:
        try:
            settings.printing = PrintingSettings.from_dict(raw["printing"])
        except PrinterSettingsError as exc:
            raise SettingsError(f"{settings.path}: 'printing': {exc}") from None
    if conn is None:
        return settings
    if not isinstance(conn, dict):
        raise SettingsError(f"{settings.path}: 'connection' must be an object")
    try:
        settings.connection = ShopConnection(
            url=normalise_shop_url(str(conn["url"])),
            device_id=str(conn.get("device_id", "")),
            device_name=str(conn.get("device_name", "")),
            shop_name=str(conn.get("shop_name", "")),
            currency=str(conn.get("currency", "")),
            demo=bool(conn.get("demo", False)),
            folder=_folder(conn.get("folder", ""), settings.path),
        )
    except KeyError as exc:
        raise SettingsError(f"{settings.path}: connection lacks {exc}") from None
    return settings


def _folder(value: object, where: Path) -> str:
    """A replica folder name from the settings file: one plain name, never a path elsewhere."""
    folder = str(value or "")
    if folder and (not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,119}", folder)):
        raise SettingsError(f"{where}: connection folder {folder!r} is not a shop folder name")
    return folder


def parse_embedded_layouts(raw: object, where: Path | str = "settings") -> tuple[EmbeddedLayout, ...]:
    """The `embedded_barcodes` setting: a list of layouts; SettingsError saying what is wrong."""
    if not isinstance(raw, list):
        raise SettingsError(f"{where}: 'embedded_barcodes' must be a list of layouts")
    try:
        return check_layouts(EmbeddedLayout.from_dict(item) for item in raw)
    except (DomainError, TypeError) as exc:
        raise SettingsError(f"{where}: 'embedded_barcodes': {exc}") from None


def check_idle_lock(value: object) -> int:
    """The idle-lock time: whole seconds from 0 (never) to a day; SettingsError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_IDLE_LOCK_SECONDS:
        raise SettingsError(
            f"'idle_lock_seconds' must be whole seconds from 0 (never lock) to {MAX_IDLE_LOCK_SECONDS}, "
            f"not {value!r}"
        )
    return value
