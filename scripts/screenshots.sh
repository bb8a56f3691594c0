#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/*.png) from the browser tests, on purpose: test runs
# never write tracked files.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_postgres
ensure_venv
ensure_chromium
IRP_SCREENSHOTS="$ROOT/docs" exec .venv/bin/pytest -q -m "not deployment" tests/dashboard/test_dashboard_browser.py \
  tests/dashboard/test_repair_browser.py "$@"
