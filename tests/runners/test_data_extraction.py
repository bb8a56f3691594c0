from __future__ import annotations

import csv

import pytest

from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType
from irp.exceptions import JobError
from irp.runners.data_extraction import DataExtractionRunner
from tests.conftest import ROOT
from tests.support.specs import spec


def job_configuration(import_file: str = "CAEQ", **overrides):
    data = {
        "Metadata": {"Cycle Type": "Quarterly", "Current Date Value": "202606"},
        "Portfolio": import_file,
        "Database": "RM_EDM_202606_Quarterly_CAEQ",
        "Import File": import_file,
        "Base Portfolio?": "Y",
        "accounts_import_file": f"Modeling_202606_Moodys_{import_file}_Account.csv",
        "locations_import_file": f"Modeling_202606_Moodys_{import_file}_Location.csv",
    }
    data.update(overrides)
    return data


@pytest.fixture
def runner(source_conn, tmp_path):
    return DataExtractionRunner(
        "2026-Q1", source_conn_id=source_conn, sql_folder=ROOT / "include" / "sql", storage_root=str(tmp_path)
    )


def read_tsv(path):
    with path.open(newline="") as handle:
        return list(csv.reader(handle, delimiter="\t"))


def test_extracts_accounts_and_locations_to_tab_delimited_files(runner, tmp_path):
    result = runner.submit_job(BatchType.DATA_EXTRACTION, 1, spec(BatchType.DATA_EXTRACTION, job_configuration()))
    assert result.workflow_id == SYNCHRONOUS_WORKFLOW_ID
    folder = tmp_path / "2026-Q1" / "data"
    accounts = read_tsv(folder / "Modeling_202606_Moodys_CAEQ_Account.csv")
    locations = read_tsv(folder / "Modeling_202606_Moodys_CAEQ_Location.csv")
    assert accounts[0] == ["ACCNTNUM", "ACCNTNAME", "CEDANTID", "CEDANTNAME", "LOBNAME", "USERTXT1"]
    assert len(accounts) - 1 == result.response["account_rows"] == 24
    assert len(locations) - 1 == result.response["location_rows"] == 60
    assert {row[0] for row in locations[1:]} <= {row[0] for row in accounts[1:]}
    assert result.request["parameters"]["import_file"] == "CAEQ"


def test_hostile_values_are_bound_not_spliced(runner, tmp_path):
    """A quote-laden import file name selects nothing; it cannot widen the query."""
    hostile = "CAEQ' OR '1'='1"
    result = runner.submit_job(
        BatchType.DATA_EXTRACTION, 1, spec(BatchType.DATA_EXTRACTION, job_configuration(**{"Import File": hostile}))
    )
    assert result.response["account_rows"] == 0
    assert result.response["location_rows"] == 0


@pytest.mark.parametrize("file_name", ["../../etc/passwd", "a/b.csv", "..csv", ""])
def test_output_file_names_cannot_escape_the_data_folder(runner, file_name):
    with pytest.raises(JobError):
        runner.submit_job(
            BatchType.DATA_EXTRACTION,
            1,
            spec(BatchType.DATA_EXTRACTION, job_configuration(accounts_import_file=file_name)),
        )


def test_unknown_cycle_type_names_the_available_folders(runner):
    config = job_configuration()
    config["Metadata"]["Cycle Type"] = "Annual"
    with pytest.raises(JobError, match=r"No SQL template folder for cycle type 'Annual'.*quarterly"):
        runner.submit_job(BatchType.DATA_EXTRACTION, 1, spec(BatchType.DATA_EXTRACTION, config))


def test_test_cycle_types_use_the_test_templates(runner, tmp_path):
    config = job_configuration("MWST")
    config["Metadata"]["Cycle Type"] = "Quarterly Test Run"
    assert (
        runner.submit_job(BatchType.DATA_EXTRACTION, 1, spec(BatchType.DATA_EXTRACTION, config)).response[
            "account_rows"
        ]
        == 16
    )


def test_missing_field_is_named(runner):
    config = job_configuration()
    del config["Import File"]
    with pytest.raises(JobError, match="Missing required field: Import File"):
        runner.submit_job(BatchType.DATA_EXTRACTION, 1, spec(BatchType.DATA_EXTRACTION, config))
