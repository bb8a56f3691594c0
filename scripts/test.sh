#!/usr/bin/env bash
# The test command: lint, then every test against the real Postgres (and the simulator).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_postgres
ensure_venv
ensure_chromium
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
