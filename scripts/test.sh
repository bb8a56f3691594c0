#!/usr/bin/env bash
# The test command: lint and type checks, then every test against real services -- first the quick tier
# (`pytest -m "not deployment"`), then the deployment tier (tests/deployment/: a real Airflow
# deployment per executor; the two executors' runs go side by side, as each waits on Airflow's
# loops and Moody's more than it computes). With arguments, one pytest run with them:
# `bash scripts/test.sh tests/store -k recon`.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_postgres
ensure_venv
ensure_chromium
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
if [ "$#" -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
.venv/bin/pytest -q -m "not deployment"

logs="$(mktemp -d)"
status=0
.venv/bin/pytest -q -m deployment -k local -p no:cacheprovider > "$logs/local.log" 2>&1 &
local_pid=$!
.venv/bin/pytest -q -m deployment -k celery -p no:cacheprovider > "$logs/celery.log" 2>&1 &
celery_pid=$!
wait "$local_pid" || status=$?
wait "$celery_pid" || status=$?
for executor in local celery; do
  echo "== deployment tier, ${executor} executor"
  cat "$logs/${executor}.log"
done
rm -rf "$logs"
exit "$status"
