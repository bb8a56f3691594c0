#!/usr/bin/env bash
# The test command: lint, then every test against real services -- first the quick tier
# (`pytest -m "not deployment"`), then the deployment tier (a real Airflow deployment per executor,
# tests/deployment/). With arguments, one pytest run with them: `bash scripts/test.sh tests/store -k recon`.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_postgres
ensure_venv
ensure_chromium
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ "$#" -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
.venv/bin/pytest -q -m "not deployment"
exec .venv/bin/pytest -q -m deployment
