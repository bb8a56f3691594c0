"""New parameters of one job checked with the workbook's rules (``irp.configuration.overrides``).

The store-level behaviour (what a resubmission with changes writes) is in tests/repair."""

from __future__ import annotations

import json
from typing import Any

import pytest

from irp.configuration import generate_job_configurations, required_batch_types
from irp.configuration.overrides import InvalidParametersError, document_sheets, override_job_configuration
from irp.configuration.validation import validate_sheets
from irp.constants import BatchType


def stored(document: dict[str, Any]) -> dict[str, Any]:
    """The document as Postgres gives it back: JSONB sorts keys (shorter first), so order is lost."""
    return json.loads(json.dumps(document, sort_keys=True))


@pytest.mark.parametrize("name", ["sample_document", "reference_document"])
def test_a_stored_document_put_back_as_sheets_passes_the_rules(name: str, request: pytest.FixtureRequest) -> None:
    document = request.getfixturevalue(name)
    report = validate_sheets(document_sheets(stored(document)))
    assert report.errors == ()
    assert report.document is not None
    assert {k: v for k, v in report.document.items() if k != "_validation"} == {
        k: v for k, v in document.items() if k != "_validation"
    }


def test_no_change_regenerates_every_job_as_it_was(sample_document: dict[str, Any]) -> None:
    document = stored(sample_document)
    for batch_type in required_batch_types(document):
        for job in generate_job_configurations(document, batch_type):
            assert override_job_configuration(document, batch_type, job, {}) == job


def test_findings_name_the_field_and_the_cell_of_a_standard_workbook(sample_document: dict[str, Any]) -> None:
    document = stored(sample_document)
    job = generate_job_configurations(document, BatchType.ANALYSIS)[1]
    with pytest.raises(InvalidParametersError) as refused:
        override_job_configuration(document, BatchType.ANALYSIS, job, {"Output Profile": "HAZARD_Analysis"})
    ((field, location, rule),) = [(e.field, e.location, e.rule) for e in refused.value.errors]
    assert (field, location, rule) == ("Output Profile", "Analysis Table!E3", "unknown-reference-data")


def test_a_date_is_stored_as_the_document_stores_dates(sample_document: dict[str, Any]) -> None:
    document = stored(sample_document)
    job = generate_job_configurations(document, BatchType.CREATE_REINSURANCE_TREATIES)[0]
    new = override_job_configuration(
        document, BatchType.CREATE_REINSURANCE_TREATIES, job, {"Expiration Date": "2026-11-30"}
    )
    assert new["Expiration Date"] == "2026-11-30T00:00:00.000Z"
    assert new["Database"] == job["Database"]


def test_a_portfolio_that_stops_being_a_base_portfolio_has_no_job(sample_document: dict[str, Any]) -> None:
    document = stored(sample_document)
    job = generate_job_configurations(document, BatchType.PORTFOLIO_CREATION)[0]
    with pytest.raises(InvalidParametersError, match="the workbook would not create this Portfolio Creation job"):
        override_job_configuration(document, BatchType.PORTFOLIO_CREATION, job, {"Base Portfolio?": "N"})


def test_parameters_must_be_an_object(sample_document: dict[str, Any]) -> None:
    job = generate_job_configurations(sample_document, BatchType.ANALYSIS)[0]
    with pytest.raises(InvalidParametersError) as refused:
        override_job_configuration(sample_document, BatchType.ANALYSIS, job, ["Event Rate"])
    assert [str(e) for e in refused.value.errors] == ["parameters must be a JSON object"]
