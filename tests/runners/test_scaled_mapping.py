"""The demo's Portfolio Mapping SQL serves every copy of a scaled sample workbook: run against the
demo source warehouse, it returns exactly the sub-portfolios entity validation expects of each
base portfolio (so a ten-times cycle can run end to end on the simulator)."""

from __future__ import annotations

from pathlib import Path

from irp.configuration import generate_job_configurations, parse_workbook
from irp.constants import BatchType
from irp.moodys.validation import sub_portfolio_pairs
from irp.runners.sql_templates import run_template
from tests.conftest import ROOT
from tests.support.specs import spec
from tools import make_sample_workbook

TEMPLATES = ROOT / "include" / "sql" / "portfolio_mapping" / "quarterly"


def mapped_sub_portfolios(conn_id: str, job: dict) -> dict[str, int]:
    """Sub-portfolio → accounts, as the Portfolio Mapping runner would create them."""
    parameters = {
        "import_file": job["Import File"],
        "portfolio": job["Portfolio"],
        "portfolio_id": 1,
        "date_value": job["Metadata"]["Current Date Value"],
        "cycle_type": job["Metadata"]["Cycle Type"],
        "edm": job["Database"],
    }
    counts: dict[str, int] = {}
    with run_template(conn_id, TEMPLATES / f"{job['Import File']}.sql", parameters) as result:
        for sub_portfolio, _account in result.rows:
            counts[sub_portfolio] = counts.get(sub_portfolio, 0) + 1
    return counts


def test_mapping_sql_creates_the_sub_portfolios_of_each_copy(source_conn: str, tmp_path: Path) -> None:
    document = parse_workbook(make_sample_workbook.write_sample(tmp_path / "x3.xlsx", scale=3))
    jobs = generate_job_configurations(document, BatchType.PORTFOLIO_MAPPING)
    assert len(jobs) == 12
    created: list[str] = []
    for job in jobs:
        expected = {name for _, name in sub_portfolio_pairs([spec(BatchType.PORTFOLIO_MAPPING, job, document)])}
        if not (TEMPLATES / f"{job['Import File']}.sql").is_file():
            assert expected == set()  # GCHU_Inland: no sub-portfolios, no script
            continue
        mapped = mapped_sub_portfolios(source_conn, job)
        assert set(mapped) == expected, job["Portfolio"]
        assert all(count > 0 for count in mapped.values())
        created += mapped
    assert len(created) == len(set(created)) == 15  # five sub-portfolios per copy, none shared
    assert {"GCHU_Coastal_Condo", "CAEQ_Wood_Frame_s0002", "MWST_Farm_s0003"} <= set(created)
