#!/usr/bin/env bash
# The demo command: on a fresh machine, set everything up and run the sample cycle end to end
# (`airflow dags test`) against the Moody's simulator, then print each batch's status and job counts.
# IRP_DEMO_SCALE=N runs a workbook of N times the sample instead (tools/make_sample_workbook.py
# --scale N: N x 61 jobs), as the cycle 2026-Q2-demo-xN, in .demo/xN/ and the store schema irp_demo_xN.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_postgres
ensure_venv

SCALE="${IRP_DEMO_SCALE:-1}"
DEMO="$ROOT/.demo"
CYCLE="2026-Q2-demo"
SCHEMA=irp_demo
WORKBOOK="include/workbooks/sample_cycle.xlsx"
if [ "$SCALE" != 1 ]; then
  DEMO="$ROOT/.demo/x$SCALE" CYCLE="$CYCLE-x$SCALE" SCHEMA="irp_demo_x$SCALE" WORKBOOK="$ROOT/.demo/x$SCALE/sample_x$SCALE.xlsx"
fi
SIM_PORT="${IRP_SIM_PORT:-8765}"
mkdir -p "$DEMO"
export PATH="$ROOT/.venv/bin:$PATH"
export PYTHONPATH="$ROOT/plugins:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export AIRFLOW_HOME="$DEMO/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__IRP__STORE_SCHEMA="$SCHEMA"
export AIRFLOW__IRP__STORAGE_ROOT="$DEMO/storage"
export AIRFLOW__IRP__POLL_INTERVAL=1
export AIRFLOW__CORE__MAX_MAP_LENGTH=20000  # mapped job tasks per batch (Airflow's default is 1024)
export AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME=0.25  # the next batch type starts sooner (README, "Airflow settings")
PG='{"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": "postgres"}'
export AIRFLOW_CONN_IRP_POSTGRES="$PG" AIRFLOW_CONN_SOURCE_SQL="$PG" AIRFLOW_CONN_DATABRIDGE="$PG"
export AIRFLOW_CONN_MOODYS_DEFAULT="{\"conn_type\": \"http\", \"host\": \"http://127.0.0.1:$SIM_PORT\", \"password\": \"sim-key\", \"extra\": {\"resource_group_id\": \"rg-demo\"}}"

if [ "$SCALE" != 1 ]; then
  echo "== a workbook of $SCALE times the sample ($WORKBOOK) and its cycle $CYCLE"
  python tools/make_sample_workbook.py "$WORKBOOK" --scale "$SCALE" > /dev/null
  mkdir -p "$DEMO/cycles"
  sed -e "s|^name: .*|name: $CYCLE|" -e "s|^workbook: .*|workbook: $WORKBOOK|" include/cycles/sample.yaml \
    > "$DEMO/cycles/$CYCLE.yaml"
  export AIRFLOW__IRP__CYCLES_FOLDER="$DEMO/cycles"
fi

echo "== a fresh demo store (schema $SCHEMA) and source warehouse (schema irp_source)"
python - "$SCHEMA" <<'PY'
import sys
import psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
    conn.execute(f'DROP SCHEMA IF EXISTS "{sys.argv[1]}" CASCADE')
    conn.execute(open("include/demo/source_dataset.sql").read().encode())
PY
python -m irp db upgrade
rm -rf "$DEMO/storage"

echo "== Airflow metadata database ($AIRFLOW_HOME)"
airflow db migrate > "$DEMO/airflow-db-migrate.log" 2>&1
airflow pools set moodys_api 8 "Concurrent Moody's submissions" > /dev/null 2>&1 || true

echo "== the Moody's simulator on 127.0.0.1:$SIM_PORT"
python -m moodys_simulator --port "$SIM_PORT" --seed-workbook "$WORKBOOK" \
  --queued-seconds 0.5 --pending-seconds 0.5 --running-seconds 2 > "$DEMO/simulator.log" 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$SIM_PORT/_sim/state', timeout=1)" \
    > /dev/null 2>&1 && break
  kill -0 $SIM_PID 2>/dev/null || { cat "$DEMO/simulator.log"; exit 1; }
  sleep 0.2
done

echo "== running the cycle $CYCLE (airflow dags test irp_cycle__$CYCLE); log: $DEMO/cycle.log"
airflow dags test "irp_cycle__$CYCLE" > "$DEMO/cycle.log" 2>&1 || true
finished="$(grep -E "DagRun Finished" "$DEMO/cycle.log" | tail -1)"
echo "$finished" | sed -E 's/.*(dag_id=[^,]*).*(run_duration=[^,]*).*(state=[a-z]*).*/\1 \2 \3/'
echo
python -m irp cycle status "$CYCLE"
case "$finished" in *"state=success"*) echo "The demo cycle completed." ;; *) echo "The demo cycle did not complete: see $DEMO/cycle.log"; exit 1 ;; esac
