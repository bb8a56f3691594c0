"""``/_sim`` admin endpoints: reset, state, faults, job outcomes, config, clock, portfolio mapping."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from moodys_simulator.core import Simulator
from moodys_simulator.engine import Outcome, OutcomeRule
from moodys_simulator.faults import FaultRule
from moodys_simulator.filters import compile_filter
from moodys_simulator.state import (
    ACCOUNT_PROPS,
)
from moodys_simulator.web import (
    ADMIN_PREFIX,
    bad_request,
    find_job,
    json_body,
    not_found,
    public,
)


def state_view(sim: Simulator) -> dict[str, Any]:
    edms = []
    for record in sim.state.edms.values():
        portfolios = []
        for portfolio_id, portfolio in record.portfolios.items():
            accounts = [record.accounts[a] for a in record.portfolio_accounts.get(portfolio_id, [])]
            portfolios.append(
                {
                    **portfolio,
                    "accountsCount": len(accounts),
                    "locationsCount": sum(a["locationsCount"] for a in accounts),
                }
            )
        edms.append(
            {
                **record.row,
                "portfolios": portfolios,
                "treaties": [{**public(t), "lobs": t["_lobs"]} for t in record.treaties.values()],
                "cedants": record.cedants,
                "lobs": record.lobs,
            }
        )
    return {
        "options": {"mode": sim.options.mode.value, "ticks_per_phase": sim.options.ticks_per_phase},
        "apiRequests": sim.api_requests,
        "apiRoutes": dict(sim.api_routes),
        "exposureSets": list(sim.state.exposure_sets.values()),
        "edms": edms,
        "analyses": list(sim.state.analyses.values()),
        "databases": list(sim.state.databases.values()),
        "tags": list(sim.state.tags.values()),
        "jobs": [
            {
                "jobId": job.job_id,
                "kind": job.kind.value,
                "type": job.type,
                "name": job.name,
                "status": job.status.value,
                "progress": job.progress,
                "submittedAt": job.submitted_at,
                "endedAt": job.ended_at,
                #: Time from submission to the terminal status, as planned at submission.
                "plannedSeconds": sum(p.length for p in job.phases if math.isfinite(p.length)),
            }
            for job in sim.engine.jobs.values()
        ],
        "submissions": {rid: submission.to_json() for rid, submission in sim.submissions.submissions.items()},
        "faults": [rule.to_json() for rule in sim.faults.rules],
        "objects": sorted(sim.state.objects),
    }


def admin_routes(sim: Simulator) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX)

    @router.post("/reset")
    async def reset() -> dict:
        sim.reset()
        return {"status": "reset"}

    @router.get("/state")
    async def state() -> dict:
        sim.engine.refresh_all()
        return state_view(sim)

    @router.post("/faults")
    async def add_fault(request: Request) -> dict:
        rule = FaultRule.from_json(await json_body(request))
        sim.faults.add(rule)
        return rule.to_json()

    @router.delete("/faults")
    async def clear_faults() -> dict:
        sim.faults.clear()
        return {"status": "cleared"}

    @router.post("/job-outcomes")
    async def job_outcome(request: Request) -> dict:
        body = await json_body(request)
        rule = OutcomeRule(
            body.get("kind"),
            str(body.get("nameRegex") or ".*"),
            Outcome(str(body.get("outcome") or "FAILED")),
            int(body.get("atProgress", 50)),
            str(body.get("message") or "Simulated failure"),
        )
        sim.engine.outcome_rules.append(rule)
        return {"status": "added"}

    @router.delete("/job-outcomes")
    async def clear_job_outcomes() -> dict:
        sim.engine.outcome_rules.clear()
        return {"status": "cleared"}

    @router.post("/config")
    async def config(request: Request) -> Response:
        try:
            sim.configure(await json_body(request))
        except ValueError as error:
            raise bad_request(str(error)) from None
        return JSONResponse({"status": "configured"})

    @router.post("/clock/advance")
    async def advance_clock(request: Request) -> dict:
        sim.clock_offset += float((await json_body(request)).get("seconds") or 0)
        sim.engine.refresh_all()
        return {"offset": sim.clock_offset}

    @router.post("/tokens/expire")
    async def expire_tokens() -> dict:
        sim.expire_tokens()
        return {"status": "expired"}

    @router.post("/jobs/{job_id}/advance")
    async def advance_job(request: Request, job_id: int) -> dict:
        job = find_job(sim, job_id, None)
        amount = float((await json_body(request)).get("by") or 1) if await request.body() else 1.0
        sim.engine.advance(job, amount)
        return sim.engine.platform_view(job)

    @router.post("/portfolio-mapping")
    async def portfolio_mapping(request: Request) -> dict:
        """Emulate the Portfolio Mapping SQL: create sub-portfolios of a base portfolio, each with
        the base accounts matching an optional account filter (default: all accounts)."""
        body = await json_body(request)
        record = sim.state.edm_by_name(str(body.get("edmName") or ""))
        base = record.portfolio_by_name(str(body.get("portfolioName") or "")) if record else None
        if record is None or base is None:
            raise not_found("EDM or base portfolio not found")
        created = []
        for sub in body.get("subPortfolios") or []:
            predicate = compile_filter(sub.get("accountFilter"), ACCOUNT_PROPS)
            accounts = [a for a in record.portfolio_accounts[base["portfolioId"]] if predicate(record.accounts[a])]
            existing = record.portfolio_by_name(str(sub["name"]))
            portfolio_id = (
                existing["portfolioId"]
                if existing
                else sim.state.create_portfolio(
                    record, {"portfolioName": sub["name"], "description": f"Mapped from {base['portfolioName']}"}
                )
            )
            record.portfolio_accounts[portfolio_id] = accounts
            created.append({"portfolioId": portfolio_id, "portfolioName": sub["name"], "accounts": len(accounts)})
        return {"portfolios": created}

    @router.get("/downloads/{name}")
    async def download(name: str) -> Response:
        return PlainTextResponse(f"simulated file {name}")

    return router
