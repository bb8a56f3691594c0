"""The Moody's endpoints the client calls, in a module of their own: the batch-type registry names
each batch type's status endpoint while a cycle file is parsed, without importing the client."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from urllib.parse import quote


class ApiPath(StrEnum):
    """Endpoint templates (format with ``str.format``)."""

    DATASERVERS = "/platform/riskdata/v1/dataservers"
    DATABASES = "/platform/riskdata/v1/dataservers/{server_id}/databases"
    EXPOSURE_SETS = "/platform/riskdata/v1/exposuresets"
    EXPOSURE_SET_EXPOSURES = "/platform/riskdata/v1/exposuresets/{exposure_set_id}/exposures"
    EXPOSURES = "/platform/riskdata/v1/exposures"
    DATA_UPGRADE = "/platform/riskdata/v1/exposures/{exposure_id}/data-upgrade"
    PORTFOLIOS = "/platform/riskdata/v1/exposures/{exposure_id}/portfolios"
    PORTFOLIO_ACCOUNTS = "/platform/riskdata/v1/exposures/{exposure_id}/portfolios/{portfolio_id}/accounts"
    CEDANTS = "/platform/riskdata/v1/exposures/{exposure_id}/cedants"
    LOBS = "/platform/riskdata/v1/exposures/{exposure_id}/lobs"
    TREATIES = "/platform/riskdata/v1/exposures/{exposure_id}/treaties"
    TREATY_LOB = "/platform/riskdata/v1/exposures/{exposure_id}/treaties/{treaty_id}/lob"
    ANALYSES = "/platform/riskdata/v1/analyses"
    ANALYSIS = "/platform/riskdata/v1/analyses/{analysis_id}"
    ANALYSIS_REGIONS = "/platform/riskdata/v1/analyses/{analysis_id}/regions"
    MODEL_PROFILES = "/analysis-settings/modelprofiles"
    OUTPUT_PROFILES = "/analysis-settings/outputprofiles"
    EVENT_RATE_SCHEMES = "/data-store/referencetables/eventratescheme"
    SIMULATION_SETS = "/data-store/referenceTables/SimulationSet"
    PET_METADATA = "/data-store/referenceTables/PETMetadata"
    CURRENCIES = "/data-store/referencetables/currency"
    CURRENCY_VINTAGES = "/data-store/referencetables/currencyschemevintage"
    TAGS = "/platform/referencedata/v1/tags"
    IMPORT_FOLDERS = "/platform/import/v1/folders"
    IMPORT_JOBS = "/platform/import/v1/jobs"
    GEOHAZ_JOBS = "/platform/geohaz/v1/jobs"
    MODEL_JOBS = "/platform/model/v1/jobs"
    GROUPING_JOBS = "/platform/grouping/v1/jobs"
    EXPORT_JOBS = "/platform/export/v1/jobs"
    RISKDATA_JOBS = "/platform/riskdata/v1/jobs"
    WORKFLOWS = "/riskmodeler/v1/workflows"
    DATABRIDGE_DATABASE = "/databridge/v1/sql-instances/{server_name}/databases/{database_name}"
    DATABRIDGE_JOB = "/databridge/v1/jobs/{job_id}"

    def at(self, **params: Any) -> str:
        """The path with ``params`` filled in (text parameters percent-encoded as path segments)."""
        return self.value.format(**{key: quote(str(value), safe="") for key, value in params.items()})
