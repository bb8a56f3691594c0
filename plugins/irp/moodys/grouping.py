"""``regionPerilSimulationSet`` of a grouping job (contract §3.10, 0.12.0 rules).

Empty when every member region is ELT and no peril/region mixes event-rate schemes. Otherwise one
row per distinct member region:

* PLT region: ``eventRateSchemeId`` 0, ``simulationSetId`` = its PET id, ``simulationPeriods`` =
  its periods; model region and version from ``PETMetadata``;
* ELT region in a group with PLT members (converted to PLT): its scheme, and the simulation set of
  that scheme (else of its peril and model region) with the set's default periods;
* ELT region otherwise: its scheme, simulation set and periods 0.

Model region, model version and peril of ELT rows come from the event-rate scheme table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from irp.moodys.api import SIMULATION_SET_PARAMS, Analysis, ApiPath, Framework, MoodysApi
from irp.moodys.errors import MoodysLookupError

Row = Mapping[str, Any]


def _scheme_id(region: Row) -> int:
    return int(region.get("eventRateSchemeId") or region.get("rateSchemeId") or 0)


def _region_code(region: Row) -> str:
    return str(region.get("regionCode") or region.get("region") or "")


def _is_plt(region: Row) -> bool:
    return str(region.get("framework") or "").upper() == Framework.PLT


@dataclass(frozen=True)
class ReferenceTables:
    """The reference rows the rows are built from."""

    schemes: Mapping[int, Row]
    pets: Mapping[int, Row]
    simulation_sets: Sequence[Row]

    def simulation_set(self, scheme_id: int, peril: str, model_region: str) -> Row:
        """The set of the scheme, else the first of the peril and model region."""
        by_scheme = [row for row in self.simulation_sets if int(row.get("eventRateSchemeId") or 0) == scheme_id]
        by_peril = [
            row
            for row in self.simulation_sets
            if (row.get("perilCode"), row.get("modelRegionCode")) == (peril, model_region)
        ]
        if not by_scheme and not by_peril:
            raise MoodysLookupError(f"No simulation set for {peril}/{model_region} (event rate scheme {scheme_id})")
        return (by_scheme or by_peril)[0]


def _plt_row(region: Row, tables: ReferenceTables) -> dict[str, Any]:
    pet_id = int(region.get("petId") or 0)
    pet = tables.pets.get(pet_id)
    if pet is None:
        raise MoodysLookupError(f"PET {pet_id} of a PLT member is not in PETMetadata")
    return {
        "engineVersion": str(region.get("engineVersion") or ""),
        "eventRateSchemeId": 0,
        "modelRegionCode": str(pet["modelRegionCode"]),
        "modelVersion": str(pet.get("modelVersionCode") or pet.get("modelVersion") or ""),
        "perilCode": str(pet["perilCode"]),
        "regionCode": _region_code(region),
        "simulationPeriods": int(region.get("periods") or 0),
        "simulationSetId": pet_id,
    }


def _elt_row(region: Row, tables: ReferenceTables, to_plt: bool) -> dict[str, Any]:
    scheme_id = _scheme_id(region)
    scheme = tables.schemes.get(scheme_id)
    if scheme is None:
        raise MoodysLookupError(f"Event rate scheme {scheme_id} of an ELT member is not active")
    peril, model_region = str(scheme["perilCode"]), str(scheme["modelRegionCode"])
    simulation_set = tables.simulation_set(scheme_id, peril, model_region) if to_plt else None
    return {
        "engineVersion": str(region.get("engineVersion") or ""),
        "eventRateSchemeId": scheme_id,
        "modelRegionCode": model_region,
        "modelVersion": str(scheme.get("modelVersionCode") or ""),
        "perilCode": peril,
        "regionCode": _region_code(region),
        "simulationPeriods": int(simulation_set.get("defaultPeriods") or 0) if simulation_set else 0,
        "simulationSetId": int(simulation_set["id"]) if simulation_set else 0,
    }


def needs_simulation_set(regions: Sequence[Row]) -> bool:
    """True when a member region is PLT or one peril/region mixes event-rate schemes."""
    schemes: dict[tuple[str, str], set[int]] = defaultdict(set)
    for region in regions:
        if not _is_plt(region):
            schemes[(str(region.get("perilCode") or ""), _region_code(region))].add(_scheme_id(region))
    return any(_is_plt(region) for region in regions) or any(len(ids) > 1 for ids in schemes.values())


def region_peril_simulation_set(api: MoodysApi, members: Sequence[Analysis]) -> tuple[list[dict[str, Any]], bool]:
    """(rows, simulateToPLT) for a grouping of ``members``."""
    regions = [region for member in members for region in api.analysis_regions(member.analysis_id)]
    to_plt = any(_is_plt(region) for region in regions)
    if not needs_simulation_set(regions):
        return [], to_plt
    tables = ReferenceTables(
        schemes={int(row["eventRateSchemeId"]): row for row in api.active_event_rate_schemes()},
        pets={int(row["id"]): row for row in api.reference_rows(ApiPath.PET_METADATA)} if to_plt else {},
        simulation_sets=api.reference_rows(ApiPath.SIMULATION_SETS, SIMULATION_SET_PARAMS) if to_plt else [],
    )
    rows: list[dict[str, Any]] = []
    for region in regions:
        row = _plt_row(region, tables) if _is_plt(region) else _elt_row(region, tables, to_plt)
        if row not in rows:
            rows.append(row)
    return rows, to_plt
