"""Server-rendered HTML of the dashboard pages: no build step, a little CSS and JavaScript.

Every value from the store goes through :func:`esc` (text and attributes alike); URLs are built
by :mod:`irp.dashboard.urls` from quoted segments and escaped again when written out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from html import escape
from typing import Any

from irp.configuration.overrides import display_order
from irp.constants import BatchStatus, CycleStatus, JobStatus
from irp.dashboard import urls
from irp.dashboard.queries import BatchDetail, BatchOverview, CycleOverview, JobDetail, JobRow, ReconEntry
from irp.records import JobTracking
from irp.repair import RepairRecord
from irp.repair_request import REPAIR_DAG_ID, RepairAction, RepairTarget

#: Seconds between automatic reloads of a page (the reader can pause them).
REFRESH_SECONDS = 15
TITLE = "IRP batches"


class Tone(StrEnum):
    """How a status looks: one colour per kind of state, shared by cycles, batches and jobs."""

    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"


TONES: dict[str, Tone] = {
    CycleStatus.ACTIVE: Tone.RUNNING,
    CycleStatus.ARCHIVED: Tone.IDLE,
    BatchStatus.INITIATED: Tone.IDLE,
    BatchStatus.ACTIVE: Tone.RUNNING,
    BatchStatus.COMPLETED: Tone.SUCCESS,
    BatchStatus.FAILED: Tone.FAILED,
    BatchStatus.CANCELLED: Tone.CANCELLED,
    BatchStatus.ERROR: Tone.FAILED,
    JobStatus.INITIATED: Tone.IDLE,
    JobStatus.SUBMITTED: Tone.QUEUED,
    JobStatus.PENDING: Tone.QUEUED,
    JobStatus.QUEUED: Tone.QUEUED,
    JobStatus.RUNNING: Tone.RUNNING,
    JobStatus.FINISHED: Tone.SUCCESS,
    JobStatus.FAILED: Tone.FAILED,
    JobStatus.CANCEL_REQUESTED: Tone.CANCELLED,
    JobStatus.CANCELLING: Tone.CANCELLED,
    JobStatus.CANCELLED: Tone.CANCELLED,
    JobStatus.ERROR: Tone.FAILED,
}


#: Segments of a progress bar, left to right: done, then failed, then still in flight.
BAR_ORDER = (Tone.SUCCESS, Tone.FAILED, Tone.CANCELLED, Tone.RUNNING, Tone.QUEUED, Tone.IDLE)


@dataclass(frozen=True)
class Roots:
    """Path prefixes of the request: the dashboard's mount point and the Airflow UI's root."""

    dashboard: str
    airflow: str

    def page(self, path: str) -> str:
        return self.dashboard.rstrip("/") + path

    def airflow_page(self, path: str) -> str:
        return self.airflow.rstrip("/") + path


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


# -- small pieces ---------------------------------------------------------------------------------------
def format_ts(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start: datetime | None, end: datetime | None) -> str:
    """``1d 2h``, ``3h 04m``, ``5m 06s``, ``7s``; an open interval runs until now."""
    if start is None:
        return ""
    seconds = max(0, int(((end or datetime.now(UTC)) - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def pill(status: str, count: int | None = None) -> str:
    tone = TONES.get(status, Tone.IDLE)
    label = esc(status) if count is None else f"{esc(status)} <b>{count}</b>"
    return f'<span class="pill tone-{tone}" data-status="{esc(status)}">{label}</span>'


def link(href: str, text: str, *, top: bool = False, css: str = "") -> str:
    target = ' target="_top"' if top else ""  # Airflow pages replace the whole UI, not our iframe
    klass = f' class="{esc(css)}"' if css else ""
    return f'<a href="{esc(href)}"{target}{klass}>{text}</a>'


def progress_bar(counts: Mapping[str, int], finished: int, total: int) -> str:
    """A bar of the live jobs, one segment per status tone, labelled with the finished share."""
    if total:
        by_tone: dict[Tone, int] = {}
        for status, count in counts.items():
            tone = TONES.get(status, Tone.IDLE)
            by_tone[tone] = by_tone.get(tone, 0) + count
        segments = "".join(
            f'<span class="seg tone-{tone}" style="width:{by_tone[tone] / total * 100:.2f}%"'
            f' title="{esc(tone)}: {by_tone[tone]}"></span>'
            for tone in BAR_ORDER
            if by_tone.get(tone)
        )
    else:
        segments = ""
    percent = finished / total * 100 if total else 0.0
    return (
        f'<div class="progress" role="progressbar" aria-valuenow="{percent:.0f}" aria-valuemin="0"'
        f' aria-valuemax="100"><div class="bar">{segments}</div>'
        f'<span class="label">{finished} / {total} finished</span></div>'
    )


def status_counts(counts: Mapping[str, int], order: Iterable[str]) -> str:
    return " ".join(pill(status, counts[status]) for status in order if counts.get(status))


def filter_bar(
    label: str, options: Sequence[tuple[str, int]], selected: Sequence[str], href: Callable[[list[str] | None], str]
) -> str:
    """Links that filter the page by one status (``href(None)`` shows everything)."""
    chips = [link(href(None), f"All <b>{sum(n for _, n in options)}</b>", css="chip" + ("" if selected else " on"))]
    for status, count in options:
        dot = f'<i class="dot tone-{TONES.get(status, Tone.IDLE)}"></i>'
        css = "chip on" if status in selected else "chip"
        chips.append(link(href([status]), f"{dot}{esc(status)} <b>{count}</b>", css=css))
    return f'<nav class="filters" aria-label="{esc(label)}"><span>{esc(label)}</span>{"".join(chips)}</nav>'


def table(headers: Sequence[str], rows: Iterable[str], empty: str, css: str = "") -> str:
    body = "".join(rows) or f'<tr><td colspan="{len(headers)}" class="empty">{esc(empty)}</td></tr>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return f'<table class="{esc(css)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def json_block(value: Any) -> str:
    return f"<pre>{esc(json.dumps(value, indent=2, sort_keys=True, default=str))}</pre>"


def airflow_links(roots: Roots, overview: BatchOverview) -> str:
    links = overview.links
    if links is None or links.dag_run is None:
        return '<span class="muted">not run yet</span>'
    parts = [link(links.dag_run, "DAG run", top=True)]
    if links.task_group:
        parts.append(link(links.task_group, "task group", top=True))
    return " · ".join(parts)


# -- the page frame -----------------------------------------------------------------------------------
_CSS = """
:root { --fg:#1a202c; --muted:#718096; --bg:#fff; --line:#e2e8f0; --head:#f7fafc; --link:#2b6cb0;
  --idle:#a0aec0; --queued:#d69e2e; --running:#3182ce; --success:#38a169; --failed:#e53e3e; --cancelled:#dd6b20; }
@media (prefers-color-scheme: dark) { :root { --fg:#e2e8f0; --muted:#a0aec0; --bg:#1a202c; --line:#2d3748;
  --head:#2d3748; --link:#90cdf4; } }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0; padding: 16px 24px; }
a { color: var(--link); text-decoration: none; } a:hover { text-decoration: underline; }
header { display: flex; justify-content: space-between; align-items: baseline; gap: 16px; flex-wrap: wrap;
  border-bottom: 1px solid var(--line); padding-bottom: 8px; margin-bottom: 12px; }
h1 { font-size: 20px; margin: 4px 0 8px; } h2 { font-size: 16px; margin: 20px 0 8px; }
.crumbs { font-size: 13px; color: var(--muted); } .crumbs a { margin-right: 2px; }
.refresh { font-size: 12px; color: var(--muted); }
.refresh button { font: inherit; padding: 1px 8px; border: 1px solid var(--line); border-radius: 4px;
  background: var(--head); color: var(--fg); cursor: pointer; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--head); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.skipped td { opacity: .6; }
td.nowrap { white-space: nowrap; }
.empty, .muted { color: var(--muted); }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  color: #fff; white-space: nowrap; margin: 1px 2px 1px 0; }
.pill b { font-weight: 800; margin-left: 2px; }
.tone-idle { background: var(--idle); } .tone-queued { background: var(--queued); }
.tone-running { background: var(--running); } .tone-success { background: var(--success); }
.tone-failed { background: var(--failed); } .tone-cancelled { background: var(--cancelled); }
.tag { font-size: 11px; border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; color: var(--muted); }
.progress { min-width: 200px; max-width: 480px; }
.progress .bar { display: flex; height: 10px; border-radius: 5px; overflow: hidden; background: var(--line); }
.progress .seg { display: block; height: 100%; }
.progress .label { font-size: 12px; color: var(--muted); }
.filters { margin: 8px 0; display: flex; gap: 6px; flex-wrap: wrap; align-items: center; font-size: 13px; }
.filters > span { color: var(--muted); margin-right: 4px; }
.chip { border: 1px solid var(--line); border-radius: 12px; padding: 1px 10px; background: var(--head);
  color: var(--fg); }
.chip.on { outline: 2px solid var(--link); }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 4px; margin-right: 5px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.error { color: var(--failed); white-space: pre-wrap; word-break: break-word; max-width: 40em; }
pre { background: var(--head); padding: 8px; border-radius: 4px; overflow: auto; max-height: 24em; font-size: 12px; }
details summary { cursor: pointer; color: var(--link); }
.repairs { margin: 8px 0 12px; display: flex; gap: 8px; flex-wrap: wrap; align-items: center; font-size: 13px; }
.repairs > span { color: var(--muted); }
.repairs a, button.primary { border: 1px solid var(--link); border-radius: 4px; padding: 2px 10px; }
form.repair { max-width: 60em; }
form.repair label { display: block; margin: 12px 0 4px; font-weight: 600; }
form.repair textarea { width: 100%; font: 12px/1.4 ui-monospace, monospace; padding: 6px; color: var(--fg);
  background: var(--head); border: 1px solid var(--line); border-radius: 4px; }
form.repair .hint { font-weight: normal; color: var(--muted); }
button.primary { font: inherit; background: var(--link); color: #fff; cursor: pointer; margin-top: 12px; }
button.primary:disabled { opacity: .5; cursor: wait; }
"""

_JS = """
(() => {
  const key = "irp-dashboard-refresh-paused";
  const seconds = Number(document.body.dataset.refresh || 0);
  const button = document.getElementById("refresh-toggle");
  let timer = null;
  const paused = () => localStorage.getItem(key) === "1";
  const schedule = () => {
    clearTimeout(timer);
    if (!paused() && seconds > 0) timer = setTimeout(() => location.reload(), seconds * 1000);
    button.textContent = paused() ? "Resume" : "Pause";
  };
  button.addEventListener("click", () => { localStorage.setItem(key, paused() ? "0" : "1"); schedule(); });
  schedule();
})();
"""


def page(roots: Roots, title: str, crumbs: Sequence[tuple[str, str | None]], body: str, *, refresh: bool = True) -> str:
    """The frame of every page: breadcrumbs, the refresh control (not on forms: a reload would lose
    what the person typed), the body."""
    trail = " › ".join(link(roots.page(href), esc(text)) if href else esc(text) for text, href in crumbs)
    now = datetime.now(UTC).strftime("%H:%M:%S")
    control = (
        f'<div class="refresh">Updated {now} UTC · refreshes every {REFRESH_SECONDS} s\n'
        '<button type="button" id="refresh-toggle">Pause</button></div>'
        if refresh
        else f'<div class="refresh">As of {now} UTC</div>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · {TITLE}</title><style>{_CSS}</style></head>
<body data-refresh="{REFRESH_SECONDS if refresh else 0}">
<header><div><nav class="crumbs">{trail}</nav><h1>{esc(title)}</h1></div>
{control}</header>
<main>{body}</main>{f"<script>{_JS}</script>" if refresh else ""}</body></html>"""


def not_found(roots: Roots, message: str) -> str:
    return page(roots, "Not found", [(TITLE, urls.cycles_path())], f'<p class="empty">{esc(message)}</p>')


def forbidden(roots: Roots, message: str) -> str:
    body = f'<p class="error" data-forbidden>{esc(message)}</p><p class="muted">Ask an Airflow admin for access.</p>'
    return page(roots, "Not allowed", [(TITLE, urls.cycles_path())], body)


# -- repairs ----------------------------------------------------------------------------------------------
def job_actions(row: JobRow) -> list[RepairAction]:
    """What may be done to a job: a replaced or skipped one is done with; one running in Moody's can be
    cancelled; any other can be resubmitted with changes or skipped."""
    if row.skipped or row.replaced_by_job_id:
        return []
    if row.moodys_workflow_id and row.status.in_progress:
        return [RepairAction.CANCEL_JOB]
    return [RepairAction.RESUBMIT_WITH_CHANGES, RepairAction.SKIP_JOB]


def repair_links(roots: Roots, actions: Sequence[RepairAction], **target: str | int) -> str:
    """Links to the pre-filled repair form, one per action (shown to people who may trigger it)."""
    if not actions:
        return ""
    links = "".join(
        f'<a data-repair-action="{esc(action)}" href="{esc(roots.page(urls.repair_path(action, **target)))}">'
        f"{esc(action.label)}</a>"
        for action in actions
    )
    return f'<nav class="repairs" aria-label="Repair"><span>Repair:</span>{links}</nav>'


def repairs_table(roots: Roots, records: Sequence[RepairRecord]) -> str:
    """Who repaired what, when and why (``irp_repair_log``), newest first."""

    def what(record: RepairRecord) -> str:
        parts = [esc(record.action.label)]
        if record.job_id:
            parts.append(f"job {link(roots.page(urls.job_path(record.job_id)), f'#{record.job_id}')}")
        elif record.batch_id:
            parts.append(f"batch {record.batch_id}")
        if record.new_job_id:
            parts.append(f"→ job {link(roots.page(urls.job_path(record.new_job_id)), f'#{record.new_job_id}')}")
        return " ".join(parts)

    def via(record: RepairRecord) -> str:
        if record.dag_id and record.run_id:
            return link(roots.airflow_page(urls.dag_run_path(record.dag_id, record.run_id)), "DAG run", top=True)
        return esc(record.origin)

    rows = (
        f'<tr data-repair-id="{record.id}"><td class="nowrap">{format_ts(record.created_ts)}</td>'
        f"<td>{esc(record.requested_by)}</td><td>{what(record)}</td><td>{esc(record.reason)}</td>"
        f"<td>{via(record)}</td></tr>"
        for record in records
    )
    return "<h2>Repairs</h2>" + table(["When (UTC)", "Who", "What", "Why", "Through"], rows, "No repairs.")


#: What each repair does, said on its form.
REPAIR_EFFECTS: dict[RepairAction, str] = {
    RepairAction.RESUBMIT_WITH_CHANGES: "The new parameters are checked with the workbook's rules (a bad value is "
    "refused, field by field, and nothing changes). The job and its configuration are skipped, and a new job on a "
    "new configuration linked to the old one replaces it. Then clear the job's task in the cycle's DAG run (the "
    "repair run's log links to it) to submit the new job.",
    RepairAction.SKIP_JOB: "The job and its configuration are skipped with your reason: recon leaves them out, and a "
    "later batch type that needs what the job would have created says so in its validation.",
    RepairAction.CANCEL_JOB: "The job is cancelled in Moody's and in the store; its batch is reconciled.",
    RepairAction.CANCEL_BATCH: "Every unfinished job of the batch is cancelled in Moody's (jobs never submitted, in "
    "the store only); the batch is reconciled.",
    RepairAction.ARCHIVE_CYCLE: "The cycle is archived: its batches can no longer be submitted, and an edited "
    "workbook can be loaded into a new cycle.",
}


@dataclass(frozen=True)
class RepairForm:
    """The repair DAG's run configuration for one job, batch or cycle, and what the form shows."""

    action: RepairAction
    target: RepairTarget
    target_value: int | str
    title: str
    cycle_name: str
    back: str  # the dashboard page of the job, batch or cycle
    facts: tuple[tuple[str, str], ...]  # (label, html)
    parameters: dict[str, Any] | None = None

    @classmethod
    def for_job(cls, action: RepairAction, detail: JobDetail) -> RepairForm:
        row = detail.job
        parameters = None
        if action is RepairAction.RESUBMIT_WITH_CHANGES:
            parameters = display_order(detail.batch_type, detail.configuration)
        facts = (
            ("Cycle", esc(detail.cycle_name)),
            ("Batch", f"{esc(detail.batch_type)} · batch {row.batch_id}"),
            ("Job", f"#{row.job_id} · {esc(row.entity)}"),
            ("Status", pill(row.status) + (' <span class="tag">skipped</span>' if row.skipped else "")),
        )
        return cls(action, RepairTarget.JOB, row.job_id, f"job {row.job_id} · {row.entity}", detail.cycle_name,
                   urls.job_path(row.job_id), facts, parameters)  # fmt: skip

    @classmethod
    def for_batch(cls, action: RepairAction, overview: BatchOverview) -> RepairForm:
        batch = overview.batch
        facts = (
            ("Cycle", esc(overview.cycle_name)),
            ("Batch", f"{esc(batch.batch_type)} · batch {batch.batch_id}"),
            ("Status", pill(batch.status)),
            ("Jobs", status_counts(batch.job_counts, JobStatus)),
        )
        return cls(action, RepairTarget.BATCH, batch.batch_id, f"{batch.batch_type} · batch {batch.batch_id}",
                   overview.cycle_name, urls.batch_path(overview.cycle_name, batch.batch_id), facts)  # fmt: skip

    @classmethod
    def for_cycle(cls, action: RepairAction, cycle: CycleOverview) -> RepairForm:
        facts = (("Cycle", esc(cycle.cycle_name)), ("Status", pill(cycle.status)),
                 ("Batches", status_counts(cycle.batch_counts, BatchStatus)))  # fmt: skip
        return cls(action, RepairTarget.CYCLE, cycle.cycle_name, f"cycle {cycle.cycle_name}", cycle.cycle_name,
                   urls.cycle_path(cycle.cycle_name), facts)  # fmt: skip

    def conf(self, reason: str = "") -> dict[str, Any]:
        """The run configuration of ``irp_repair`` (its params) this form stands for."""
        return {
            "action": self.action.value,
            self.target.value: self.target_value,
            "parameters": self.parameters or {},
            "reason": reason,
        }


_REPAIR_JS = """
(() => {
  const form = document.getElementById("repair-form");
  const result = document.getElementById("repair-result");
  const conf = JSON.parse(document.getElementById("repair-conf").textContent);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.textContent = "";
    const reason = form.elements.reason.value;
    let parameters = conf.parameters;
    if (form.elements.parameters) {
      try { parameters = JSON.parse(form.elements.parameters.value); }
      catch (error) { result.textContent = "New parameters: not valid JSON (" + error.message + ")"; return; }
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify({
          logical_date: null, conf: {...conf, parameters, reason}, note: form.dataset.label + ": " + reason,
        }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        result.dataset.runId = body.dag_run_id;
        window.top.location.href = form.dataset.runs + encodeURIComponent(body.dag_run_id);
      } else {
        const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? body);
        result.textContent = "Airflow refused the run (HTTP " + response.status + "): " + detail;
      }
    } finally { button.disabled = false; }
  });
})();
"""


def repair_page(roots: Roots, form: RepairForm) -> str:
    """The pre-filled form. Airflow 3.3's trigger form cannot be filled in from a link
    (apache/airflow#54800), so this page posts the same run to Airflow's REST API as the signed-in
    user: Airflow checks their permission and the params, and records them as the run's user."""
    facts = "".join(f"<dt>{esc(label)}</dt><dd>{value}</dd>" for label, value in form.facts)
    # Script text is not HTML: keep "</script>" and friends out of it by escaping them for JSON.
    conf = json.dumps(form.conf(), default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    parameters = ""
    if form.parameters is not None:
        parameters = (
            '<label for="parameters">New parameters <span class="hint">— the job\'s current configuration: change '
            "what must change (fields left out keep their value)</span></label>"
            f'<textarea id="parameters" name="parameters" rows="24" spellcheck="false">'
            f"{esc(json.dumps(form.parameters, indent=2, default=str))}</textarea>"
        )
    api = roots.airflow_page(urls.dag_runs_api_path(REPAIR_DAG_ID))
    runs = roots.airflow_page(urls.dag_path(REPAIR_DAG_ID)) + "/runs/"
    body = (
        f'<dl class="facts">{facts}</dl><p>{esc(REPAIR_EFFECTS[form.action])}</p>'
        f'<form id="repair-form" class="repair" data-action="{esc(form.action)}" data-label="{esc(form.action.label)}"'
        f' data-api="{esc(api)}" data-runs="{esc(runs)}">{parameters}'
        '<label for="reason">Reason <span class="hint">— required: kept with the repair, beside who asked and '
        "when</span></label>"
        '<textarea id="reason" name="reason" rows="3" required maxlength="1000"></textarea>'
        f'<button type="submit" class="primary">Trigger {esc(REPAIR_DAG_ID)}</button>'
        '<p id="repair-result" class="error" role="status"></p></form>'
        f'<script type="application/json" id="repair-conf">{conf}</script>'
        "<details><summary>Or use Airflow's trigger form</summary><p>Open "
        f"{link(roots.airflow_page(urls.dag_path(REPAIR_DAG_ID)), esc(REPAIR_DAG_ID), top=True)}, choose "
        "<b>Trigger</b>, and paste this run configuration under <b>Advanced options</b> (Airflow 3.3 cannot open its "
        f"form filled in from a link); add your reason.</p>{json_block(form.conf())}</details>"
        f"<script>{_REPAIR_JS}</script>"
    )
    crumbs = [(TITLE, urls.cycles_path()), (form.cycle_name, urls.cycle_path(form.cycle_name)),
              (form.title, form.back), (form.action.label, None)]  # fmt: skip
    return page(roots, f"{form.action.label} · {form.title}", crumbs, body, refresh=False)


# -- cycles ---------------------------------------------------------------------------------------------
def cycles_page(roots: Roots, cycles: Sequence[CycleOverview], selected: Sequence[str]) -> str:
    def href(statuses: list[str] | None) -> str:
        return roots.page(urls.cycles_path(statuses))

    options = [(s.value, sum(c.status is s for c in cycles)) for s in CycleStatus if any(c.status is s for c in cycles)]
    shown = [c for c in cycles if not selected or c.status in selected]
    rows = (
        f'<tr data-cycle="{esc(c.cycle_name)}"><td>{link(roots.page(urls.cycle_path(c.cycle_name)), esc(c.cycle_name))}'
        f"</td><td>{pill(c.status)}</td><td>{status_counts(c.batch_counts, BatchStatus)}</td>"
        f"<td>{progress_bar({JobStatus.FINISHED: c.finished_jobs}, c.finished_jobs, c.total_jobs)}</td>"
        f"<td>{format_ts(c.last_update_ts)}</td><td>{format_ts(c.created_ts)}</td>"
        f"<td>{link(roots.airflow_page(urls.dag_path(c.dag_id)), esc(c.dag_id), top=True)}</td></tr>"
        for c in shown
    )
    body = filter_bar("Cycle status", options, selected, href) + table(
        ["Cycle", "Status", "Batches", "Jobs", "Last update (UTC)", "Created (UTC)", "Airflow DAG"],
        rows,
        "No cycles yet: load a workbook or trigger a cycle DAG.",
    )
    return page(roots, "Cycles", [(TITLE, None)], body)


# -- batches --------------------------------------------------------------------------------------------
def recon_pills(history: Sequence[ReconEntry]) -> str:
    return "".join(
        f'<span title="{esc(format_ts(entry.recon_ts))} UTC">{pill(entry.result)}</span>' for entry in history
    )


def timings(overview: BatchOverview) -> str:
    """When the batch started and how long it took (or has been running); every timestamp on hover."""
    batch = overview.batch
    stamps = [("created", batch.created_ts), ("submitted", batch.submitted_ts), ("completed", batch.completed_ts)]
    title = "\n".join(f"{name} {format_ts(value)} UTC" for name, value in stamps if value)
    if batch.submitted_ts is None:
        shown = f'<span class="muted">created {format_ts(batch.created_ts)}</span>'
    else:
        verb = "took" if batch.completed_ts else "running for"
        duration = format_duration(batch.submitted_ts, batch.completed_ts)
        shown = f"started {format_ts(batch.submitted_ts)}<br><b>{verb} {duration}</b>"
    return f'<span title="{esc(title)}">{shown}</span>'


def batch_row(roots: Roots, overview: BatchOverview) -> str:
    batch = overview.batch
    href = roots.page(urls.batch_path(overview.cycle_name, batch.batch_id))
    skipped = f' <span class="tag">{batch.skipped_jobs} skipped</span>' if batch.skipped_jobs else ""
    recon = (
        f"{overview.recon_count} × {recon_pills(overview.recon_history)}"
        if overview.recon_count
        else '<span class="muted">none</span>'
    )
    return (
        f'<tr data-batch-id="{batch.batch_id}" data-batch-type="{esc(batch.batch_type)}">'
        f'<td>{link(href, esc(batch.batch_type))}<br><span class="muted">batch {batch.batch_id}</span></td>'
        f"<td>{pill(batch.status)}</td>"
        f"<td>{progress_bar(batch.job_counts, overview.finished_jobs, overview.total_jobs)}</td>"
        f"<td>{status_counts(batch.job_counts, JobStatus)}{skipped}</td>"
        f"<td class='nowrap'>{timings(overview)}</td><td>{recon}</td><td>{airflow_links(roots, overview)}</td></tr>"
    )


def batches_page(
    roots: Roots,
    cycle: CycleOverview,
    overviews: Sequence[BatchOverview],
    selected: Sequence[str],
    repairs: Sequence[RepairRecord] = (),
    can_repair: bool = False,
) -> str:
    def href(statuses: list[str] | None) -> str:
        return roots.page(urls.cycle_path(cycle.cycle_name, statuses))

    options = [(status, count) for status, count in cycle.batch_counts.items()]
    options.sort(key=lambda option: list(BatchStatus).index(BatchStatus(option[0])))
    jobs = progress_bar({JobStatus.FINISHED: cycle.finished_jobs}, cycle.finished_jobs, cycle.total_jobs)
    dag = link(roots.airflow_page(urls.dag_path(cycle.dag_id)), esc(cycle.dag_id), top=True)
    summary = (
        f'<dl class="facts"><dt>Status</dt><dd>{pill(cycle.status)}</dd><dt>Jobs</dt><dd>{jobs}</dd>'
        f"<dt>Configuration</dt><dd>{esc(cycle.configuration_id)}</dd><dt>Airflow</dt><dd>{dag}</dd></dl>"
    )
    body = (
        summary
        + filter_bar("Batch status", options, selected, href)
        + table(
            ["Batch", "Status", "Progress", "Jobs by status", "Timing (UTC)", "Recons (newest first)", "Airflow"],
            (batch_row(roots, overview) for overview in overviews),
            "No batches match." if selected else "No batches yet: the cycle's DAG creates them.",
            css="batches",
        )
        + repairs_table(roots, repairs)
    )
    if can_repair and cycle.status is CycleStatus.ACTIVE:
        body = repair_links(roots, [RepairAction.ARCHIVE_CYCLE], cycle=cycle.cycle_name) + body
    return page(roots, f"Cycle {cycle.cycle_name}", [(TITLE, urls.cycles_path()), (cycle.cycle_name, None)], body)


# -- one batch and its jobs -----------------------------------------------------------------------------
def attempt_cell(roots: Roots, row: JobRow) -> str:
    parts = [str(row.attempt)]
    if row.parent_job_id:
        parts.append(f"resubmits {link(roots.page(urls.job_path(row.parent_job_id)), f'#{row.parent_job_id}')}")
    if row.replaced_by_job_id:
        replacement = link(roots.page(urls.job_path(row.replaced_by_job_id)), f"#{row.replaced_by_job_id}")
        parts.append(f"replaced by {replacement}")
    return "<br>".join(parts)


def error_cell(row: JobRow) -> str:
    cells = []
    if row.last_error:
        cells.append(f'<div class="error">{esc(row.last_error)}</div>')
    if row.skipped_reason:
        cells.append(f'<div class="muted">{esc(row.skipped_reason)}</div>')
    return "".join(cells)


def job_row(roots: Roots, row: JobRow) -> str:
    skipped = ' <span class="tag">skipped</span>' if row.skipped else ""
    progress = "" if row.progress is None else f"{row.progress:.0f}%"
    css = ' class="skipped"' if row.skipped else ""
    return (
        f'<tr data-job-id="{row.job_id}" data-status="{esc(row.status)}"{css}>'
        f"<td>{link(roots.page(urls.job_path(row.job_id)), f'#{row.job_id}')}</td><td>{esc(row.entity)}</td>"
        f"<td>{pill(row.status)}{skipped}</td><td class='num'>{progress}</td>"
        f"<td>{esc(row.moodys_workflow_id or '')}</td><td>{attempt_cell(roots, row)}</td>"
        f"<td class='nowrap'>{format_ts(row.submitted_ts)}</td><td class='nowrap'>{format_ts(row.completed_ts)}</td>"
        f"<td>{format_duration(row.submitted_ts, row.completed_ts) if row.submitted_ts else ''}</td>"
        f"<td>{error_cell(row)}</td></tr>"
    )


def recon_table(history: Sequence[ReconEntry], total: int) -> str:
    rows = (
        f"<tr><td>{format_ts(entry.recon_ts)}</td><td>{pill(entry.result)}</td>"
        f"<td class='num'>{entry.summary.fulfilled_configs} / {entry.summary.non_skipped_configs}</td>"
        f"<td>{status_counts(entry.summary.job_status_counts, JobStatus)}</td></tr>"
        for entry in history
    )
    shown = f" (latest {len(history)} of {total})" if total > len(history) else ""
    return f"<h2>Recon history{esc(shown)}</h2>" + table(
        ["Recon (UTC)", "Result", "Fulfilled configurations", "Live jobs by status"], rows, "Not reconciled yet."
    )


def batch_actions(overview: BatchOverview) -> list[RepairAction]:
    """A batch with unfinished live jobs can be cancelled."""
    unfinished = any(count and not JobStatus(status).terminal for status, count in overview.batch.job_counts.items())
    return [RepairAction.CANCEL_BATCH] if unfinished else []


def batch_page(roots: Roots, detail: BatchDetail, selected: Sequence[str], can_repair: bool = False) -> str:
    overview = detail.overview
    batch = overview.batch

    def href(statuses: list[str] | None) -> str:
        return roots.page(urls.batch_path(overview.cycle_name, batch.batch_id, statuses))

    options = [(s.value, batch.job_counts[s.value]) for s in JobStatus if batch.job_counts.get(s.value)]
    facts = (
        f'<dl class="facts"><dt>Status</dt><dd>{pill(batch.status)}</dd>'
        f"<dt>Progress</dt><dd>{progress_bar(batch.job_counts, overview.finished_jobs, overview.total_jobs)}</dd>"
        f"<dt>Skipped jobs</dt><dd>{batch.skipped_jobs}</dd>"
        f"<dt>Timings (UTC)</dt><dd>{timings(overview)}</dd>"
        f"<dt>Airflow</dt><dd>{airflow_links(roots, overview)}</dd></dl>"
    )
    limited = (
        f'<p class="muted">Showing {len(detail.jobs)} of {detail.matching_jobs} jobs.</p>'
        if detail.matching_jobs > len(detail.jobs)
        else ""
    )
    jobs = table(
        [
            "Job",
            "Entity",
            "Status",
            "Progress",
            "Moody's id",
            "Attempt",
            "Submitted",
            "Completed",
            "Took",
            "Last error",
        ],
        (job_row(roots, row) for row in detail.jobs),
        "No jobs match." if selected else "This batch has no jobs.",
        css="jobs",
    )
    actions = repair_links(roots, batch_actions(overview), batch_id=batch.batch_id) if can_repair else ""
    body = (
        facts
        + actions
        + recon_table(overview.recon_history, overview.recon_count)
        + "<h2>Jobs</h2>"
        + filter_bar("Job status", options, selected, href)
        + limited
        + jobs
        + repairs_table(roots, detail.repairs)
    )
    title = f"{batch.batch_type} · batch {batch.batch_id}"
    crumbs = [(TITLE, urls.cycles_path()), (overview.cycle_name, urls.cycle_path(overview.cycle_name)), (title, None)]
    return page(roots, title, crumbs, body)


# -- one job --------------------------------------------------------------------------------------------
def tracking_row(entry: JobTracking) -> str:
    data = entry.tracking_data or {}
    progress = data.get("progress") if isinstance(data, dict) else None
    return (
        f"<tr><td>{format_ts(entry.tracked_ts)}</td><td>{pill(entry.job_status)}</td>"
        f"<td class='num'>{esc('' if progress is None else f'{progress}%')}</td>"
        f"<td>{esc(entry.moodys_workflow_id)}</td>"
        f"<td><details><summary>response</summary>{json_block(entry.tracking_data)}</details></td></tr>"
    )


def job_page(roots: Roots, detail: JobDetail, can_repair: bool = False) -> str:
    row = detail.job
    facts = (
        f'<dl class="facts"><dt>Entity</dt><dd>{esc(row.entity)}</dd>'
        f"<dt>Status</dt><dd>{pill(row.status)}{' <span class=tag>skipped</span>' if row.skipped else ''}</dd>"
        f"<dt>Moody's id</dt><dd>{esc(row.moodys_workflow_id or '')}</dd>"
        f"<dt>Attempt</dt><dd>{attempt_cell(roots, row)}</dd>"
        f"<dt>Submitted</dt><dd>{format_ts(row.submitted_ts)}</dd>"
        f"<dt>Completed</dt><dd>{format_ts(row.completed_ts)}</dd>"
        f"<dt>Last tracked</dt><dd>{format_ts(row.last_tracked_ts)}</dd>"
        f"<dt>Last error</dt><dd>{error_cell(row)}</dd></dl>"
    )
    chain = table(
        ["Attempt", "Job", "Status", "Moody's id", "Submitted", "Completed", "Last error"],
        (
            f"<tr{' class=skipped' if r.skipped else ''}><td>{r.attempt}</td>"
            f"<td>{link(roots.page(urls.job_path(r.job_id)), f'#{r.job_id}')}</td><td>{pill(r.status)}</td>"
            f"<td>{esc(r.moodys_workflow_id or '')}</td><td>{format_ts(r.submitted_ts)}</td>"
            f"<td>{format_ts(r.completed_ts)}</td><td>{error_cell(r)}</td></tr>"
            for r in detail.chain
        ),
        "",
    )
    tracking = table(
        ["Tracked (UTC)", "Status", "Progress", "Moody's id", "Moody's response"],
        (tracking_row(entry) for entry in reversed(detail.tracking)),
        "Never tracked.",
    )
    actions = repair_links(roots, job_actions(row), job_id=row.job_id) if can_repair else ""
    body = (
        facts
        + actions
        + repairs_table(roots, detail.repairs)
        + "<h2>Resubmission chain</h2>"
        + chain
        + f"<h2>Tracking log ({len(detail.tracking)} polls, newest first)</h2>"
        + tracking
        + "<h2>Configuration</h2><details><summary>job configuration</summary>"
        + json_block(detail.configuration)
        + "</details>"
        + (
            "<h2>Submission response</h2>" + json_block(detail.submission_response)
            if detail.submission_response
            else ""
        )
    )
    title = f"Job {row.job_id} · {row.entity}"
    crumbs = [
        (TITLE, urls.cycles_path()),
        (detail.cycle_name, urls.cycle_path(detail.cycle_name)),
        (f"{detail.batch_type} · batch {row.batch_id}", urls.batch_path(detail.cycle_name, row.batch_id)),
        (f"job {row.job_id}", None),
    ]
    return page(roots, title, crumbs, body)
