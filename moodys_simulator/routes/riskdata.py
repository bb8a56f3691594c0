"""Risk data: servers, exposure sets, EDMs, portfolios, accounts, cedants, LOBs, treaties, analyses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from moodys_simulator.core import Simulator
from moodys_simulator.engine import JobKind, SideEffectError, SimJob
from moodys_simulator.state import (
    ACCOUNT_PROPS,
    ANALYSIS_PROPS,
    DATABASE_PROPS,
    EDM_PROPS,
    EXPOSURE_SET_PROPS,
    PORTFOLIO_PROPS,
    RDM_IMPORT_PROPS,
    SERVER_PROPS,
    TREATY_PROPS,
    EdmRecord,
)
from moodys_simulator.web import (
    NUMBER_LIMIT,
    PORTFOLIO_NAME_LIMIT,
    bad_request,
    json_body,
    located,
    not_found,
    public,
    search_rows,
    submit_job,
)


def _edm(sim: Simulator, exposure_id: int) -> EdmRecord:
    record = sim.state.edm(exposure_id)
    if record is None:
        raise not_found(f"Exposure {exposure_id} not found")
    return record


def _portfolio(record: EdmRecord, portfolio_id: int) -> dict[str, Any]:
    if portfolio_id not in record.portfolios:
        raise not_found(f"Portfolio {portfolio_id} not found")
    return record.portfolios[portfolio_id]


def riskdata_routes(sim: Simulator) -> APIRouter:
    router = APIRouter(prefix="/platform/riskdata/v1")

    @router.get("/dataservers")
    async def dataservers(request: Request) -> list:
        return search_rows(request, sim.state.servers, SERVER_PROPS)

    @router.get("/dataservers/{server_id}/databases")
    async def databases(request: Request, server_id: int) -> list:
        rows = [public(row) for row in sim.state.databases.values() if row["serverId"] == server_id]
        return search_rows(request, rows, DATABASE_PROPS)

    @router.get("/exposuresets")
    async def exposure_sets(request: Request) -> list:
        return search_rows(request, sim.state.exposure_sets.values(), EXPOSURE_SET_PROPS)

    @router.post("/exposuresets")
    async def create_exposure_set(request: Request) -> Response:
        body = await json_body(request)
        name = str(body.get("exposureSetName") or "")
        if not name:
            raise bad_request("exposureSetName is required")
        set_id = sim.state.create_exposure_set(name)
        return located(request, f"/platform/riskdata/v1/exposuresets/{set_id}")

    @router.post("/exposuresets/{set_id}/exposures")
    async def create_edm(request: Request, set_id: int) -> Response:
        body = await json_body(request)
        if set_id not in sim.state.exposure_sets:
            raise not_found(f"Exposure set {set_id} not found")
        name = str(body.get("exposureName") or "")
        server = sim.state.server(int(body.get("serverId") or 0))
        if not name or server is None:
            raise bad_request("exposureName and a valid serverId are required")

        def effect(job: SimJob) -> None:
            sim.state.create_edm(name, set_id, server)

        return submit_job(request, sim, JobKind.RISKDATA, "CREATE_EDM", name, body, effect)

    @router.get("/exposures")
    async def exposures(request: Request) -> list:
        return search_rows(request, sim.state.edm_rows(), EDM_PROPS)

    @router.get("/exposures/{exposure_id}")
    async def exposure(exposure_id: int) -> dict:
        return _edm(sim, exposure_id).row

    @router.delete("/exposures/{exposure_id}")
    async def delete_exposure(request: Request, exposure_id: int) -> Response:
        record = _edm(sim, exposure_id)

        def effect(job: SimJob) -> None:
            sim.state.edms.pop(exposure_id, None)

        return submit_job(request, sim, JobKind.RISKDATA, "DELETE_EDM", record.name, {}, effect)

    @router.post("/exposures/{exposure_id}/data-upgrade")
    async def data_upgrade(request: Request, exposure_id: int) -> Response:
        record = _edm(sim, exposure_id)
        body = await json_body(request)
        version = str(body.get("edmDataVersion") or "")
        if not version.isdigit():
            raise bad_request('edmDataVersion must be a major version such as "22"')

        def effect(job: SimJob) -> None:
            if exposure_id not in sim.state.edms:
                raise SideEffectError("EDM no longer exists")
            record.row["metrics"] = {"dataVersion": f"{version}.0.0"}
            job.output = {"databaseName": record.row["databaseName"], "dataVersion": f"{version}.0.0"}

        return submit_job(
            request,
            sim,
            JobKind.WORKFLOW,
            "EDM_DATA_UPGRADE",
            record.name,
            body,
            effect,
            ("EDM_DATA_UPGRADE",),
        )

    @router.get("/exposures/{exposure_id}/portfolios")
    async def portfolios(request: Request, exposure_id: int) -> list:
        return search_rows(request, _edm(sim, exposure_id).portfolios.values(), PORTFOLIO_PROPS)

    @router.post("/exposures/{exposure_id}/portfolios")
    async def create_portfolio(request: Request, exposure_id: int) -> Response:
        record = _edm(sim, exposure_id)
        body = await json_body(request)
        name = str(body.get("portfolioName") or "")
        if not name or len(name) > PORTFOLIO_NAME_LIMIT:
            raise bad_request(f"portfolioName size must be between 1 and {PORTFOLIO_NAME_LIMIT}")
        if len(str(body.get("portfolioNumber") or "")) > NUMBER_LIMIT:
            raise bad_request(f"portfolioNumber size must be between 0 and {NUMBER_LIMIT}")
        if record.portfolio_by_name(name) is not None:
            raise bad_request(f"Portfolio '{name}' already exists in {record.name}")
        portfolio_id = sim.state.create_portfolio(record, body)
        return located(request, f"/platform/riskdata/v1/exposures/{exposure_id}/portfolios/{portfolio_id}")

    @router.get("/exposures/{exposure_id}/portfolios/{portfolio_id}")
    async def portfolio(exposure_id: int, portfolio_id: int) -> dict:
        return _portfolio(_edm(sim, exposure_id), portfolio_id)

    @router.get("/exposures/{exposure_id}/portfolios/{portfolio_id}/accounts")
    async def accounts(request: Request, exposure_id: int, portfolio_id: int) -> list:
        record = _edm(sim, exposure_id)
        _portfolio(record, portfolio_id)
        rows = [record.accounts[account] for account in record.portfolio_accounts.get(portfolio_id, [])]
        return search_rows(request, rows, ACCOUNT_PROPS)

    @router.patch("/exposures/{exposure_id}/portfolios/{portfolio_id}/accounts")
    async def manage_accounts(request: Request, exposure_id: int, portfolio_id: int) -> dict:
        record = _edm(sim, exposure_id)
        _portfolio(record, portfolio_id)
        body = await json_body(request)
        to_add = [int(account) for account in body.get("accountsToAdd") or []]
        to_remove = {int(account) for account in body.get("accountsToRemove") or []}
        if any(account not in record.accounts for account in to_add):
            raise bad_request("accountsToAdd must name accounts of this exposure")
        current = record.portfolio_accounts.setdefault(portfolio_id, [])
        current[:] = [account for account in current if account not in to_remove]
        current.extend(account for account in to_add if account not in current)
        return {
            "addAccounts": {"completed": len(to_add), "total": len(to_add)},
            "removeAccounts": {"completed": len(to_remove), "total": len(to_remove)},
        }

    @router.get("/exposures/{exposure_id}/cedants")
    async def cedants(exposure_id: int) -> list:
        return _edm(sim, exposure_id).cedants

    @router.get("/exposures/{exposure_id}/lobs")
    async def lobs(exposure_id: int) -> list:
        return _edm(sim, exposure_id).lobs

    @router.get("/exposures/{exposure_id}/treaties")
    async def treaties(request: Request, exposure_id: int) -> list:
        return search_rows(request, (public(t) for t in _edm(sim, exposure_id).treaties.values()), TREATY_PROPS)

    @router.post("/exposures/{exposure_id}/treaties")
    async def create_treaty(request: Request, exposure_id: int) -> Response:
        record = _edm(sim, exposure_id)
        body = await json_body(request)
        if not body.get("treatyName") or len(str(body.get("treatyNumber") or "")) > NUMBER_LIMIT:
            raise bad_request(f"treatyName is required and treatyNumber size must be at most {NUMBER_LIMIT}")
        cedant = body.get("cedant") or {}
        if not any(c["cedantId"] == cedant.get("cedantId") for c in record.cedants):
            raise bad_request("cedant not found in this exposure")
        treaty_id = record.next("treaty")
        record.treaties[treaty_id] = {**body, "treatyId": treaty_id, "_lobs": []}
        return located(request, f"/platform/riskdata/v1/exposures/{exposure_id}/treaties/{treaty_id}")

    @router.post("/exposures/{exposure_id}/treaties/{treaty_id}/lob")
    async def treaty_lob(request: Request, exposure_id: int, treaty_id: int) -> Response:
        record = _edm(sim, exposure_id)
        if treaty_id not in record.treaties:
            raise not_found(f"Treaty {treaty_id} not found")
        body = await json_body(request)
        if not any(lob["lobId"] == body.get("lobId") for lob in record.lobs):
            raise bad_request("lobId not found in this exposure")
        lob_link = record.next("treatyLob")
        record.treaties[treaty_id]["_lobs"].append(body)
        return located(request, f"/platform/riskdata/v1/exposures/{exposure_id}/treaties/{treaty_id}/lob/{lob_link}")

    @router.get("/analyses")
    async def analyses(request: Request) -> list:
        return search_rows(request, sim.state.analyses.values(), ANALYSIS_PROPS)

    @router.get("/analyses/imported-rdms")
    async def imported_rdms(request: Request) -> list:
        return search_rows(request, [], RDM_IMPORT_PROPS)

    @router.get("/analyses/{analysis_id}")
    async def analysis(analysis_id: int) -> dict:
        if analysis_id not in sim.state.analyses:
            raise not_found(f"Analysis {analysis_id} not found")
        return sim.state.analyses[analysis_id]

    @router.get("/analyses/{analysis_id}/regions")
    async def analysis_regions(analysis_id: int) -> list:
        if analysis_id not in sim.state.analyses:
            raise not_found(f"Analysis {analysis_id} not found")
        return sim.state.analysis_regions.get(analysis_id, [])

    @router.delete("/analyses/{analysis_id}")
    async def delete_analysis(analysis_id: int) -> Response:
        if sim.state.analyses.pop(analysis_id, None) is None:
            raise not_found(f"Analysis {analysis_id} not found")
        sim.state.analysis_regions.pop(analysis_id, None)
        return Response(status_code=204)

    return router
