"""The sample cycle used by the Moody's tests: one job configuration per batch type, the
import CSVs, and helpers that submit and poll jobs through a MoodysHook."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from irp.constants import BatchType, JobStatus
from irp.moodys.hook import MoodysHook
from irp.moodys.jobs import RequestKeys, Step
from irp.moodys.retry import RetryPolicy
from moodys_simulator.testing import RunningSimulator
from tests.support.specs import spec

API_KEY = "sim-key-0123456789abcdef"
USER = ("simtenant", "user@sim", "s3cr3t-passw0rd")
RESOURCE_GROUP = "ba672cd9-3384-4cb3-9882-bbeb5f8478c6"
CONN_ENV = "AIRFLOW_CONN_MOODYS_DEFAULT"
#: Fast retries: the simulator's faults are immediate, tests should be too.
FAST_RETRIES = RetryPolicy(backoff_factor=0.01, max_backoff=0.05, still_processing_delay=0.05)
MAX_POLLS = 20
#: The installation id of the store these tests submit for (the hook's keys are derived from it).
INSTALLATION = uuid.UUID("5f0c8a1e-2b7d-4c39-9e51-0a6d3f2b8c47")


def key(job_id: int, step: Step, suffix: str = "") -> str:
    """The ``X-RMS-RequestId`` of one POST of a job submitted with :data:`INSTALLATION`."""
    return RequestKeys(INSTALLATION, job_id)(step, suffix)


EDM = "RM_EDM_202511_Quarterly_USFL"
PORTFOLIO = "USFL_Other"
SUB_PORTFOLIO = "USFL_Other_CB"
IMPORT_FILE = "USFL_Other"
TREATY = "XPR_1_95"
ANALYSIS = "USFL_Other_LT"
ANALYSIS_2 = "USFL_Other_NT"
GROUP = "202511_USFL_Group"
ROLLUP = "202511_USFL_Rollup"
RDM = "RM_RDM_202511_QEM_USAP"
ACCOUNTS_FILE = "Modeling_202511_Moodys_USFL_Other_Account.csv"
LOCATIONS_FILE = "Modeling_202511_Moodys_USFL_Other_Location.csv"
METADATA = {
    "Current Date Value": "202511",
    "EDM Data Version": "22.0.0",
    "Geocode Version": "22.0.0",
    "Cycle Type": "Quarterly",
}

ACCOUNTS_CSV = (
    "ACCNTNUM\tACCNTNAME\tCEDANTID\tCEDANTNAME\tLOBNAME\nA-1\tFirst\tASST\tASST\tHome\nA-2\tSecond\tASST\tASST\tHome\n"
)
LOCATIONS_CSV = "ACCNTNUM\tLOCNUM\tSTATE\nA-1\tL-1\tFL\nA-1\tL-2\tFL\nA-2\tL-3\tFL\n"


def connection_json(sim: RunningSimulator, **overrides: Any) -> str:
    conn: dict[str, Any] = {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": sim.port,
        "schema": "http",
        "password": API_KEY,
        "extra": {"resource_group_id": RESOURCE_GROUP},
    }
    conn.update(overrides)
    return json.dumps(conn)


def poll_to_terminal(hook: MoodysHook, batch_type: BatchType, workflow_id: str) -> list[JobStatus]:
    """Poll until terminal; returns every status seen."""
    seen: list[JobStatus] = []
    for _ in range(MAX_POLLS):
        status = hook.get_job_status(batch_type, workflow_id).status
        seen.append(status)
        if status.terminal:
            return seen
    raise AssertionError(f"{batch_type} job {workflow_id} did not finish: {seen}")


# -- the sample cycle: one job configuration per batch type -----------------------------------------
CONFIGURATION: dict[str, Any] = {
    "Metadata": METADATA,
    "Portfolios": [
        {"Portfolio": PORTFOLIO, "Database": EDM, "Import File": IMPORT_FILE, "Base Portfolio?": "Y"},
        {"Portfolio": SUB_PORTFOLIO, "Database": EDM, "Import File": IMPORT_FILE, "Base Portfolio?": "N"},
    ],
}
TREATY_ROW = {
    "Treaty Name": TREATY,
    "Treaty Number": TREATY,
    "Type": "Working Excess",
    "Per-Risk Limit": 3000000,
    "Occurrence Limit": 9000000,
    "Attachment Point": 2000000,
    "Inception Date": "2000-01-01T00:00:00.000Z",
    "Expiration Date": "2030-12-31T00:00:00.000Z",
    "Currency": "US Dollar",
    "Attachment Basis": "Losses Occurring",
    "Exposure Level": "Location",
    "% Covered": 100,
    "% Place": 95,
    "% Share": 100,
    "% Retention": 100,
    "Premium": 0,
    "Reinstatements": 99,
    "% Reinstatement Charge": 0,
    "Aggregate Limit": 0,
    "Aggregate Deductible Amount": 0,
    "Inuring Priority": 1,
}


def analysis_row(name: str) -> dict[str, Any]:
    return {
        "Metadata": METADATA,
        "Database": EDM,
        "Portfolio": PORTFOLIO,
        "Analysis Name": name,
        "Analysis Profile": "DLM USFL (85% SS) v23",
        "Output Profile": "Default",
        "Event Rate": "RMS 2025 Stochastic Event Rates",
        "Reinsurance Treaty 1": TREATY,
        "Reinsurance Treaty 2": None,
        "Tag 1": f"202511_{name}",
    }


def grouping_row(name: str, items: list[str]) -> dict[str, Any]:
    return {
        "Metadata": METADATA,
        "Group_Name": name,
        "items": items,
        "analysis_edm_map": {ANALYSIS: EDM, ANALYSIS_2: EDM},
        "group_names": [GROUP, ROLLUP],
    }


def export_row(item: str, is_group: bool, seed: bool, database_id: int | None = None) -> dict[str, Any]:
    return {
        "rdm_name": RDM,
        "server_name": "databridge-1",
        "analysis_names": [item],
        "is_seed_job": seed,
        "database_id": database_id,
        "is_group": is_group,
        "edm_name": None if is_group else EDM,
    }


#: (batch type, job configurations) in cycle order; running them in order builds every entity.
CYCLE: list[tuple[BatchType, list[dict[str, Any]]]] = [
    (BatchType.EDM_CREATION, [{"Metadata": METADATA, "Database": EDM, "Store in Data Bridge?": "Y"}]),
    (BatchType.PORTFOLIO_CREATION, [{"Metadata": METADATA, **CONFIGURATION["Portfolios"][0]}]),
    (
        BatchType.MRI_IMPORT,
        [
            {
                "Metadata": METADATA,
                **CONFIGURATION["Portfolios"][0],
                "accounts_import_file": ACCOUNTS_FILE,
                "locations_import_file": LOCATIONS_FILE,
            }
        ],
    ),
    (BatchType.CREATE_REINSURANCE_TREATIES, [{"Metadata": METADATA, "Database": EDM, **TREATY_ROW}]),
    (BatchType.EDM_DB_UPGRADE, [{"Metadata": METADATA, "Database": EDM, "target_edm_version": "22"}]),
    (
        BatchType.GEOHAZ,
        [{"Metadata": METADATA, **CONFIGURATION["Portfolios"][0], "geocode_version": "22.0"}],
    ),
    (BatchType.ANALYSIS, [analysis_row(ANALYSIS), analysis_row(ANALYSIS_2)]),
    (BatchType.GROUPING, [grouping_row(GROUP, [ANALYSIS, ANALYSIS_2])]),
    (BatchType.GROUPING_ROLLUP, [grouping_row(ROLLUP, [GROUP, ANALYSIS])]),
    (BatchType.EXPORT_TO_RDM, [export_row(ANALYSIS, False, True), export_row(GROUP, True, False)]),
]
CYCLE_TYPES = [batch_type for batch_type, _ in CYCLE]


def cycle_configs(batch_type: BatchType) -> list[dict[str, Any]]:
    return next(configs for kind, configs in CYCLE if kind is batch_type)


def run_batch(hook: MoodysHook, batch_type: BatchType, configs: list[Mapping[str, Any]], first_job_id: int) -> list:
    """Submit and (for asynchronous types) poll every job to FINISHED; Export seeds then appends."""
    results = []
    for offset, config in enumerate(configs):
        config = dict(config)
        if batch_type is BatchType.EXPORT_TO_RDM and not config.get("is_seed_job"):
            config["database_id"] = hook.rdm_database(RDM)[0]
        result = hook.submit_job(
            batch_type, first_job_id + offset, spec(batch_type, config), installation_id=INSTALLATION
        )
        if not batch_type.synchronous:
            statuses = poll_to_terminal(hook, batch_type, result.workflow_id)
            assert statuses[-1] is JobStatus.FINISHED, (batch_type, statuses)
        results.append(result)
    return results


def run_cycle_until(hook: MoodysHook, last: BatchType) -> None:
    """Run the cycle's batch types before ``last`` (its prerequisites)."""
    for number, (batch_type, configs) in enumerate(CYCLE):
        if batch_type is last:
            return
        run_batch(hook, batch_type, configs, first_job_id=100 * (number + 1))
