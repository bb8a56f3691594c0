"""Reference data served by the simulator: model/output profiles, event-rate schemes, currencies,
currency vintages, simulation sets, PET metadata and the software→model version map.

Defaults work without a workbook. With ``seed_workbook`` the ``Moody's Reference Data`` sheet
(columns ``Model Profiles``, ``Output Profiles``, ``Event Rate Schemes``) adds its names; a model
profile's peril and region are inferred from its name and every event-rate scheme is offered for
every (peril, region) the profiles use, so each (profile, scheme) pair of the workbook resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE_SHEET = "Moody's Reference Data"
MODEL_PROFILES_COLUMN = "Model Profiles"
OUTPUT_PROFILES_COLUMN = "Output Profiles"
EVENT_RATES_COLUMN = "Event Rate Schemes"

#: Name keyword -> (peril code, model region code), first match wins.
PERIL_KEYWORDS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("FL", ("FL", "NAFL")),
    ("FLOOD", ("FL", "NAFL")),
    ("HU", ("WS", "NAWS")),
    ("HURRICANE", ("WS", "NAWS")),
    ("MICHAEL", ("WS", "NAWS")),
    ("IAN", ("WS", "NAWS")),
    ("MILTON", ("WS", "NAWS")),
    ("EQ", ("EQ", "NAEQ")),
    ("ST", ("CS", "NACS")),
    ("WF", ("FR", "NAWF")),
    ("FF", ("FR", "NAWF")),
)
DEFAULT_PERIL = ("WS", "NAWS")


def infer_peril(name: str) -> tuple[str, str]:
    upper = name.upper().replace("_", " ")
    words = set(upper.replace("(", " ").replace(")", " ").split())
    for keyword, codes in PERIL_KEYWORDS:
        if keyword in words or any(
            word.startswith("US" + keyword) or word.startswith("CB" + keyword) for word in words
        ):
            return codes
    return DEFAULT_PERIL


@dataclass
class ReferenceData:
    model_profiles: list[dict[str, Any]] = field(default_factory=list)
    output_profiles: list[dict[str, Any]] = field(default_factory=list)
    event_rate_schemes: list[dict[str, Any]] = field(default_factory=list)
    currencies: list[dict[str, Any]] = field(default_factory=list)
    currency_schemes: list[dict[str, Any]] = field(default_factory=list)
    currency_vintages: list[dict[str, Any]] = field(default_factory=list)
    simulation_sets: list[dict[str, Any]] = field(default_factory=list)
    pet_metadata: list[dict[str, Any]] = field(default_factory=list)
    software_model_versions: list[dict[str, Any]] = field(default_factory=list)

    def add_model_profile(self, name: str, software: str | None = None) -> dict[str, Any]:
        peril, region = infer_peril(name)
        software = software or ("HDv2.0" if " HD" in f" {name.upper()}" else "RL23")
        profile = {
            "id": 4400 + len(self.model_profiles) + 1,
            "name": name,
            "softwareVersionCode": software,
            "perilCode": peril,
            "modelRegionCode": region,
        }
        self.model_profiles.append(profile)
        return profile

    def add_output_profile(self, name: str) -> None:
        self.output_profiles.append({"id": 120 + len(self.output_profiles) + 1, "name": name})

    def add_event_rate_scheme(self, name: str, peril: str, region: str) -> None:
        self.event_rate_schemes.append(
            {
                "eventRateSchemeId": 700 + len(self.event_rate_schemes) + 1,
                "eventRateSchemeName": name,
                "perilCode": peril,
                "modelRegionCode": region,
                "modelVersionCode": "23.0",
                "isActive": True,
            }
        )

    def perils(self) -> list[tuple[str, str]]:
        return sorted({(p["perilCode"], p["modelRegionCode"]) for p in self.model_profiles})

    def add_event_rate_names(self, names: list[str]) -> None:
        known = {(s["eventRateSchemeName"], s["perilCode"], s["modelRegionCode"]) for s in self.event_rate_schemes}
        for name in names:
            for peril, region in self.perils():
                if (name, peril, region) not in known:
                    self.add_event_rate_scheme(name, peril, region)

    def finish(self) -> None:
        """Derive simulation sets, PETs and version maps consistent with the profiles."""
        self.simulation_sets = [
            {
                "id": index,
                "name": f"{peril} 50K",
                "eventRateSchemeId": next(
                    (s["eventRateSchemeId"] for s in self.event_rate_schemes if s["perilCode"] == peril), 0
                ),
                "modelRegionCode": region,
                "perilCode": peril,
                "modelVersionCode": "23.0",
                "defaultPeriods": 50000,
                "rlVersion": "RL22, RL23",
                "peqtSource": "SYSTEM",
                "isActive": True,
            }
            for index, (peril, region) in enumerate(self.perils(), start=1)
        ]
        self.pet_metadata = [
            {
                "id": index,
                "petName": f"{region} PET 50K",
                "modelRegionCode": region,
                "modelVersionCode": "2.0",
                "perilCode": peril,
            }
            for index, (peril, region) in enumerate(self.perils(), start=1)
        ]
        self.software_model_versions = [
            {
                "softwareVersionCode": software,
                "modelRegionCode": region,
                "modelVersionCode": "23.0",
                "isActive": True,
            }
            for software, region in sorted(
                {(p["softwareVersionCode"], p["modelRegionCode"]) for p in self.model_profiles}
            )
        ]


DEFAULT_MODEL_PROFILES = (
    ("DLM USFL (85% SS) v23", "RL23"),
    ("DLM USHU_Full (85% SS) v23", "RL23"),
    ("DLM USEQ v23", "RL23"),
    ("DLM USST High Frq v23", "RL23"),
    ("HD USWF v2", "HDv2.0"),
)
DEFAULT_OUTPUT_PROFILES = ("Default", "Modeling_Output_Profile")
DEFAULT_EVENT_RATES = (
    "RMS 2025 Stochastic Event Rates",
    "RMS 2023 Historical Event Rates",
    "RMS 2023 Stochastic Event Rates",
)


def read_workbook_reference(path: str | Path) -> dict[str, list[str]]:
    """Columns of the ``Moody's Reference Data`` sheet (header -> non-blank values)."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(workbook[REFERENCE_SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        return {}
    headers = [str(header) if header is not None else "" for header in rows[0]]
    columns: dict[str, list[str]] = {header: [] for header in headers if header}
    for row in rows[1:]:
        for header, value in zip(headers, row, strict=False):
            if header and value is not None and str(value) != "":
                columns[header].append(str(value))
    return columns


def build_reference_data(seed_workbook: str | None = None) -> ReferenceData:
    data = ReferenceData()
    for name, software in DEFAULT_MODEL_PROFILES:
        data.add_model_profile(name, software)
    for name in DEFAULT_OUTPUT_PROFILES:
        data.add_output_profile(name)
    workbook = read_workbook_reference(seed_workbook) if seed_workbook else {}
    known_profiles = {p["name"] for p in data.model_profiles}
    for name in workbook.get(MODEL_PROFILES_COLUMN, []):
        if name not in known_profiles:
            data.add_model_profile(name)
    known_outputs = {p["name"] for p in data.output_profiles}
    for name in workbook.get(OUTPUT_PROFILES_COLUMN, []):
        if name not in known_outputs:
            data.add_output_profile(name)
    data.add_event_rate_names([*DEFAULT_EVENT_RATES, *workbook.get(EVENT_RATES_COLUMN, [])])
    data.currencies = [
        {"currencyId": 1, "currencyCode": "USD", "currencyName": "US Dollar"},
        {"currencyId": 2, "currencyCode": "EUR", "currencyName": "Euro"},
        {"currencyId": 3, "currencyCode": "GBP", "currencyName": "British Pound"},
    ]
    data.currency_schemes = [{"currencySchemeCode": "RMS", "currencySchemeName": "RMS"}]
    data.currency_vintages = [
        {"currencySchemeCode": "RMS", "vintage": "RL23", "effectiveDate": "2023-06-01T00:00:00.000Z"},
        {"currencySchemeCode": "RMS", "vintage": "RL25", "effectiveDate": "2025-05-28T00:00:00.000Z"},
    ]
    data.finish()
    return data
