#!/usr/bin/env bash
# Installs everything and starts Countertop on its built-in demo shop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Without a display, `countertop demo` itself runs the window offscreen (pos/__main__.py).
exec .venv/bin/countertop demo "$@"
