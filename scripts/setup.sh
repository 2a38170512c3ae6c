#!/usr/bin/env bash
# Installs everything Countertop needs on a fresh Debian machine, idempotently:
# missing Debian packages (Qt system libraries, PostgreSQL, poppler, libusb), a virtual
# environment in .venv and the project with its dev extras. Safe to run again; it only
# does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

QT_RUNTIME="libgl1 libegl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 fonts-dejavu-core
  libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-xfixes0 libxcb-sync1 libxcb-shm0"
PRINTING="libusb-1.0-0 poppler-utils"
TEST_EXTRA="postgresql wrk"

want="$QT_RUNTIME $PRINTING"
[ "${1:-}" = "--with-test-tools" ] && want="$want $TEST_EXTRA"

missing=()
for pkg in $want; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then missing+=("python3-venv"); fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PY" -m venv .venv
fi

# Reinstall only when the dependency list changed.
stamp=".venv/.countertop-installed"
want_hash=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_hash" ]; then
    echo "setup: installing Python packages into .venv"
    log=".venv/pip-install.log"
    if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".[dev]"; } >"$log" 2>&1; then
        grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -40 >&2
        echo "setup: pip install failed (full log: $log)" >&2
        exit 1
    fi
    echo "$want_hash" > "$stamp"
fi
