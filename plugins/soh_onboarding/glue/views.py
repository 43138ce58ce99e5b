"""Run artifacts (reports, documents, CSVs) and the onboarding dashboard, inside Airflow, to signed-in users only.

Mounted by the Airflow plugin (plugins/soh_plugin.py) under /soh, so an approval request or a task's
link can point an operator or a DPO at a document in the artifact store, whatever the store is (a local
folder, or object storage when deployed). This is the Airflow glue's web side: it knows Airflow's
authentication, and nothing of the phases that wrote the files (dashboard.py reads those).

The dashboard (/soh/dashboard, in Airflow's navigation as "Onboarding") asks Airflow's database
which onboarding DAGs, runs and waiting approvals the signed-in user may see (the auth manager's DAG
permissions), and the artifact store how each phase went.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseOperatorLink
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from .. import dashboard, reports, urls
from ..artifacts import OutsideFolder, within
from . import runtime
from .runtime import PLUGIN_PREFIX as PREFIX

DASHBOARD = "/dashboard"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
TEXT_TYPES = {".md": "text/markdown; charset=utf-8", ".csv": "text/csv; charset=utf-8", ".json": "application/json"}


def artifact_dag(relative: str) -> str | None:
    """The DAG whose readers may open this store path: the force's onboarding DAG for `<force>/...`, the
    charging model's (the national team) for `platform/...`; None for a path that climbs out of the store.

    Decided on the path with its `.` and `..` segments resolved, as the file would be found, so that
    `demo/../other-force/...` (plain or %-encoded: the server decodes it first) belongs to `other-force`."""
    path = "/" + relative.replace("\\", "/")
    if urls.dot_segments(path)[1]:
        return None
    owner = next((part for part in urls.remove_dot_segments(path).split("/") if part), None)
    if owner is None:
        return None
    return dashboard.PLATFORM_DAGS[0] if owner == "platform" else dashboard.dag_of_force(owner)


def artifact_file(relative: str) -> Any | None:
    """The store's file for a URL path, or None: nothing there, a hidden name, or a way out of the store.

    `within` refuses `..` and, on a local store, a symbolic link anywhere below the store's root, so a
    link left in a run folder serves neither /etc/passwd nor another force's files (object storage has
    no links: its paths are only checked segment by segment).
    """
    parts = [part for part in relative.split("/") if part]
    if any(part.startswith(".") for part in parts):
        return None
    try:
        path = within(runtime.artifact_store(), "/".join(parts))
    except OutsideFolder:
        return None
    return path if path.is_file() else None


def build_app() -> FastAPI:
    # Imported here, when the API server builds the plugin's app, not by every process importing this module.
    from airflow.api_fastapi.core_api.security import get_user

    from .access import may_read

    app = FastAPI(title="SOH onboarding", docs_url=None, redoc_url=None, openapi_url=None)
    signed_in = Depends(get_user)  # 401 without a valid token (bearer header or the UI's session cookie)

    @app.get("/artifacts/{relative:path}")
    def artifact(relative: str, user: Any = signed_in) -> Response:
        # The same rule as the DAG's pages: a force's files to those who may read its DAG. Asked before
        # looking for the file, so that another force's file names cannot be probed.
        dag_id = artifact_dag(relative)
        if dag_id is not None and not may_read(user, dag_id):
            raise HTTPException(status_code=403, detail="not yours to read: another force's onboarding")
        path = artifact_file(relative)
        if path is None:
            raise HTTPException(status_code=404, detail="no such artifact")
        suffix = "." + path.name.rsplit(".", 1)[-1] if "." in path.name else ""
        media_type = TEXT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers = {
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(path.read_bytes(), media_type=media_type, headers=headers)

    @app.get("/forces/{slug}/record.zip")
    def onboarding_record(slug: str, user: Any = signed_in) -> StreamingResponse:
        """The force's onboarding record (docs/onboarding-record.md): to that force and the national team."""
        from ..record import download_name
        from .record import NoRecord, record_zip

        if not may_read(user, dashboard.dag_of_force(slug)):
            raise HTTPException(status_code=403, detail="not yours to read: another force's onboarding")
        try:
            pieces = record_zip(slug)
        except NoRecord as missing:
            raise HTTPException(status_code=404, detail=str(missing)) from None
        name = download_name(slug, datetime.now(UTC).date())
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        return StreamingResponse(pieces, media_type="application/zip", headers=headers)

    @app.get(DASHBOARD, response_class=HTMLResponse)
    def onboarding_dashboard(user: Any = signed_in) -> HTMLResponse:
        page = reports.render("dashboard.html.j2", view=dashboard_view(user), prefix=PREFIX, base=runtime.ui_base())
        return HTMLResponse(page, headers=PAGE_HEADERS)

    return app


# --- the dashboard: what Airflow knows (runs, approvals) with what the store holds ---------------------

RUNS_LOOKED_AT = 20
"""Per force, the newest runs searched for each phase's latest result."""


@dataclass
class ForceRow:
    slug: str
    name: str
    dag_id: str
    last_run: dict[str, Any] | None
    reached: str
    phases: dict[str, Any]
    approvals: list[dict[str, Any]] = field(default_factory=list)
    live_date: str = ""
    planned_live: str = ""
    charge: str = ""
    reports: list[dict[str, str]] = field(default_factory=list)


@dataclass
class DashboardView:
    forces: list[ForceRow]
    charging: dashboard.ChargingView | None
    charging_allowed: bool
    phase_labels: dict[str, str]
    generated: str
    live_checks: list[dashboard.LiveCheckRow] = field(default_factory=list)
    reaudits: list[dashboard.ReauditRow] = field(default_factory=list)
    lost_links: list[dashboard.LostLinkRow] = field(default_factory=list)


def dashboard_view(user: Any) -> DashboardView:
    """Everything the dashboard shows, for this user: only the DAGs their permissions let them read."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    store = runtime.artifact_store()
    today = datetime.now(UTC).date()
    with create_session() as session:
        allowed = get_auth_manager().get_authorized_dag_ids(user=user, method="GET", session=session)
        dags = session.scalars(
            select(DagModel).where(DagModel.dag_id.like("onboard\\_%", escape="\\"), DagModel.is_stale.is_(False))
        ).all()
        dags = sorted((dag for dag in dags if dag.dag_id in allowed), key=lambda dag: dag.dag_display_name)
        ids = [dag.dag_id for dag in dags]
        waiting = session.execute(
            select(HITLDetail, TaskInstance)
            .join(TaskInstance, HITLDetail.ti_id == TaskInstance.id)
            .where(
                TaskInstance.dag_id.in_(ids),
                TaskInstance.state == "awaiting_input",
                HITLDetail.responded_at.is_(None),
            )
        ).all()
        charging_allowed = "charging_model" in allowed
        charging_runs = (
            session.scalars(
                select(DagRun.run_id)
                .where(DagRun.dag_id == "charging_model", DagRun.state == "success")
                .order_by(DagRun.id.desc())
                .limit(RUNS_LOOKED_AT)
            ).all()
            if charging_allowed
            else []
        )
        live = dashboard.live_dates(store)
        charging = dashboard.charging_view(store, charging_runs, today) if charging_allowed else None
        rows = []
        for dag in dags:
            slug = dashboard.force_of_dag(dag.dag_id) or dag.dag_id
            runs = session.scalars(
                select(DagRun).where(DagRun.dag_id == dag.dag_id).order_by(DagRun.id.desc()).limit(RUNS_LOOKED_AT)
            ).all()
            run_ids = [run.run_id for run in runs]
            results = dashboard.phase_results(store, slug, run_ids)
            last = runs[0] if runs else None
            rows.append(
                ForceRow(
                    slug=slug,
                    name=dag.dag_display_name.removesuffix(": onboarding"),
                    dag_id=dag.dag_id,
                    last_run=_run(last) if last else None,
                    reached=dashboard.phase_reached(results),
                    phases={
                        phase: {"text": entry[0].text, "ok": entry[0].ok, "run_id": entry[1]} if entry else None
                        for phase, entry in results.items()
                    },
                    approvals=[_approval(detail, ti) for detail, ti in waiting if ti.dag_id == dag.dag_id],
                    live_date=live.get(slug, ""),
                    planned_live=_planned_live(store, slug, run_ids),
                    charge=reports.pounds(charging.charges_this_year.get(slug)) if charging else "",
                    reports=_reports(store, dag.dag_id, slug, results)
                    + (
                        [{"label": "Onboarding record (zip)", "url": f"{PREFIX}/forces/{slug}/record.zip"}]
                        if runs
                        else []
                    ),
                )
            )
    return DashboardView(
        forces=rows,
        charging=charging,
        charging_allowed=charging_allowed,
        phase_labels=dashboard.PHASE_LABELS,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        live_checks=dashboard.live_check_rows(store, [row.slug for row in rows]),
        reaudits=dashboard.reaudit_rows(store, [row.slug for row in rows]),
        lost_links=dashboard.lost_link_rows(store, [row.slug for row in rows]),
    )


def _run(run: Any) -> dict[str, Any]:
    started = run.start_date or run.run_after
    return {
        "run_id": run.run_id,
        "state": str(getattr(run.state, "value", run.state) or "queued"),
        "started": started.strftime("%Y-%m-%d %H:%M") if started else "",
        "url": runtime.run_url(run.dag_id, run.run_id),
    }


def _approval(detail: Any, ti: Any) -> dict[str, Any]:
    people = ", ".join(str(user.get("name") or user.get("id")) for user in detail.assignees or []) or "anyone"
    return {
        "subject": detail.subject,
        "assigned": people,
        "since": detail.created_at.strftime("%Y-%m-%d %H:%M") if detail.created_at else "",
        "url": runtime.task_url(ti.dag_id, ti.run_id, ti.task_id, ti.map_index) + "/required_actions",
    }


def _planned_live(store: Any, slug: str, run_ids: list[str]) -> str:
    """The spec's charging.live_from, from the newest run's spec snapshot (the store, not the DAG folder)."""
    from ..spec import provenance

    for run_id in run_ids:
        folder = dashboard.run_folder(store, slug, run_id) / "spec"
        if (folder / "spec.yaml").is_file():
            try:
                return str((provenance.read_snapshot(folder).get("charging") or {}).get("live_from") or "")
            except Exception:  # an unreadable snapshot only costs the dashboard this cell
                return ""
    return ""


def _reports(store: Any, dag_id: str, slug: str, results: dict[str, Any]) -> list[dict[str, str]]:
    """Links to the reports of each phase's latest result."""
    links = []
    for report in dashboard.REPORTS:
        entry = results.get(report.phase)
        if report.platform or not entry:
            continue
        relative = dashboard.report_relative(report, dag_id, entry[1], report.tasks[-1])
        if relative and artifact_file(relative) is not None:
            links.append({"label": report.label, "url": f"{PREFIX}/artifacts/{relative}"})
    return links


# --- links on tasks -------------------------------------------------------------------------------


class ReportLink(BaseOperatorLink):
    """A task's link to a report it wrote (one per entry of dashboard.REPORTS); shown only on the tasks
    the entry names, once the file exists in the run's folder."""

    def __init__(self, report: dashboard.Report) -> None:
        self.report = report

    @property
    def name(self) -> str:
        return self.report.label

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        relative = dashboard.report_relative(self.report, ti_key.dag_id, ti_key.run_id, ti_key.task_id)
        if relative is None or artifact_file(relative) is None:
            return ""
        return f"{runtime.ui_base()}{PREFIX}/artifacts/{relative}"
