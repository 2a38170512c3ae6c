#!/usr/bin/env bash
# Installs everything and starts Countertop on its built-in demo shop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    echo "demo: no display found; running the window offscreen (screenshots go to the data folder)."
    export QT_QPA_PLATFORM=offscreen
fi
exec .venv/bin/countertop demo "$@"
