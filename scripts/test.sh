#!/usr/bin/env bash
# Installs everything (Debian packages incl. PostgreSQL, .venv, the project) and runs the whole
# test suite, then the linters and the layer contracts. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-test-tools
export QT_QPA_PLATFORM=offscreen
status=0
.venv/bin/python -m pytest "$@" || status=$?
echo "== ruff"
.venv/bin/ruff check . || status=1
echo "== import-linter"
.venv/bin/lint-imports || status=1
if [ -f ../shared/tools/check_layers.py ]; then
    echo "== check_layers"
    .venv/bin/python ../shared/tools/check_layers.py . || status=1
fi
exit $status
