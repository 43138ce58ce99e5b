"""What the operators' dashboard and the task links show, read from the artifact store.

Plain Python (no Airflow): the web side (glue/views.py) asks Airflow which runs exist and which
approvals wait, with the signed-in user's permissions, and this module reads what those runs wrote.
What it shows of each phase (its row, its reports and how it went) comes from the phase registry,
phases.py: a new phase is visible once it is there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import phases
from .artifacts import safe_name
from .phases import PhaseResult

NOT_RUN = "not run"


@dataclass(frozen=True)
class Report:
    """A document in a run's folder, e.g. "dpia/dpia-scoping.html", and the tasks that link to it."""

    label: str
    path: str
    tasks: tuple[str, ...]
    platform: bool = False
    """True for the platform's runs (<store>/platform/<run>/...), False for a force's onboarding runs."""

    @property
    def phase(self) -> str:
        return self.path.split("/", 1)[0]


REPORTS: list[Report] = [
    Report(report.label, f"{phase.id}/{report.file}", report.tasks, platform=phase is phases.CHARGING)
    for phase in (*phases.PHASES, phases.CHARGING)
    for report in phase.reports
]
"""Every report a run writes, from the phase registry (the Airflow plugin builds a task link per entry)."""

PLATFORM_DAGS = ("charging_model",)
"""The platform's DAGs whose runs write to <store>/platform/<run id>/."""


def force_of_dag(dag_id: str) -> str | None:
    """The force slug of an onboarding DAG (onboard_<slug>), None for any other DAG."""
    return dag_id.removeprefix("onboard_") if dag_id.startswith("onboard_") else None


def dag_of_force(slug: str) -> str:
    """The onboarding DAG of a force: `force_of_dag`'s inverse (spec.ForceSpec.dag_id, without the spec)."""
    return f"onboard_{slug}"


def report_relative(report: Report, dag_id: str, run_id: str, task_id: str) -> str | None:
    """The report's path in the store (relative to its root) for this task, None when the task does not link
    to it (another DAG, another task)."""
    if task_id not in report.tasks:
        return None
    owner = ("platform" if dag_id in PLATFORM_DAGS else None) if report.platform else force_of_dag(dag_id)
    if owner is None:
        return None
    return f"{safe_name(owner)}/{safe_name(run_id)}/{report.path}"


def reports_for(dag_id: str, task_id: str) -> list[Report]:
    return [report for report in REPORTS if task_id in report.tasks and (report.platform == (dag_id in PLATFORM_DAGS))]


# --- phase results ---------------------------------------------------------------------------------

PHASE_LABELS = {phase.id: phase.label for phase in phases.PHASES}
"""The dashboard's rows, in the order of the flow."""


def run_folder(store: Any, slug: str, run_id: str) -> Any:
    return store / safe_name(slug) / safe_name(run_id)


def phase_results(store: Any, slug: str, run_ids: Sequence[str]) -> dict[str, tuple[PhaseResult, str] | None]:
    """Per phase, the outcome in the newest of `run_ids` (newest first) that got that far, with its run id."""
    found: dict[str, tuple[PhaseResult, str] | None] = dict.fromkeys(PHASE_LABELS)
    for run_id in run_ids:
        root = run_folder(store, slug, run_id)
        if not root.is_dir():
            continue
        for phase in phases.PHASES:
            if found.get(phase.id) is None and (root / phase.id).is_dir():
                result = phases.result(phase, root / phase.id)
                if result is not None:
                    found[phase.id] = (result, run_id)
    return found


def phase_reached(results: dict[str, tuple[PhaseResult, str] | None]) -> str:
    """The furthest phase of the flow with a result, and how it stands."""
    for phase in reversed(list(PHASE_LABELS)):
        entry = results.get(phase)
        if entry is not None:
            result = entry[0]
            state = {True: "done", False: "failed", None: "under way"}[result.ok]
            return f"{PHASE_LABELS[phase]}: {state}"
    return NOT_RUN


# --- the platform: live dates and charges ----------------------------------------------------------


def financial_year(day: date) -> str:
    """The UK public sector's financial year (April to March) of `day`, labelled as the charging model does."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def live_dates(store: Any) -> dict[str, str]:
    from .live import register

    try:
        return {entry.slug: entry.live_date.isoformat() for entry in register.live_forces(store, rolled_back=False)}
    except (OSError, ValueError, KeyError):
        return {}


@dataclass(frozen=True)
class ChargingView:
    """The latest charging model run: one scenario's years, its chart, and the force's charges this year."""

    run_id: str
    scenario: str
    title: str
    year: str
    years: list[dict[str, Any]]
    chart: str
    report: str
    charges_this_year: dict[str, str] = field(default_factory=dict)


PREFERRED_SCENARIOS = ("live", "base-case")
"""The dashboard shows the live register's scenario when the run computed it, else the base case."""


def charging_view(store: Any, run_ids: Iterable[str], today: date) -> ChargingView | None:
    """From the newest of `run_ids` (the charging model's successful runs, newest first) with a summary."""
    for run_id in run_ids:
        folder = run_folder(store, "platform", run_id) / "charging"
        summary = phases.read_json(folder / "summary.json")
        if not summary or not summary.get("scenarios"):
            continue
        scenarios = summary["scenarios"]
        scenario = next((name for name in PREFERRED_SCENARIOS if name in scenarios), next(iter(scenarios)))
        data = scenarios[scenario]
        year = financial_year(today)
        relative = f"platform/{safe_name(run_id)}/charging"
        return ChargingView(
            run_id=run_id,
            scenario=scenario,
            title=data.get("title", scenario),
            year=year,
            years=data.get("years", []),
            chart=f"{relative}/charges-{scenario}.svg",
            report=f"{relative}/report.html",
            charges_this_year={
                slug: share["years"][year] for slug, share in data.get("shares", {}).items() if year in share["years"]
            },
        )
    return None


# --- after go-live: the daily site checks ---------------------------------------------------------------


@dataclass(frozen=True)
class LiveCheckRow:
    """One live force's latest daily site check (live/sitechecks.py's summary line)."""

    slug: str
    checked_on: str
    status: str
    new: list[str]
    open: list[str]
    fixed: list[str]
    result: str  # relative to the store

    @property
    def ok(self) -> bool:
        return self.status != "fail" and not self.new


def _summary_lines(store: Any, summary: tuple[str, str], slugs: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """(slug, line) of a monitoring summary file (`forces` by slug) for each of `slugs` that has one, sorted."""
    lines = (phases.read_json(store / summary[0] / summary[1]) or {}).get("forces") or {}
    return [(slug, lines[slug]) for slug in sorted(set(slugs) & set(lines))]


def live_check_rows(store: Any, slugs: Iterable[str]) -> list[LiveCheckRow]:
    """The latest daily check of each of `slugs` (the forces the user may see) that has one."""
    from .live import sitechecks

    rows = []
    for slug, line in _summary_lines(store, sitechecks.SUMMARY, slugs):
        checked_on = str(line.get("checked_at", ""))[:10]
        rows.append(
            LiveCheckRow(
                slug=slug,
                checked_on=checked_on,
                status=str(line.get("status", "")),
                new=list(line.get("new_regressions") or []),
                open=list(line.get("open_regressions") or []),
                fixed=list(line.get("fixed") or []),
                # sitechecks.record writes <force>/monitoring/<date>.json (the line's "result" is its full path)
                result=f"{safe_name(slug)}/monitoring/{checked_on}.json" if checked_on else "",
            )
        )
    return rows


# --- after go-live: the monthly accessibility re-audit ------------------------------------------------


@dataclass(frozen=True)
class ReauditRow:
    """One live force's latest accessibility re-audit (live/reaudit.py's summary line)."""

    slug: str
    audited_on: str
    status: str
    new: int
    open: int
    fixed: int
    statement_drafted: str | None
    statement_due: str | None
    statement_overdue: bool
    report: str  # relative to the store

    @property
    def ok(self) -> bool:
        return self.status == "pass" and not self.new


def reaudit_rows(store: Any, slugs: Iterable[str]) -> list[ReauditRow]:
    """The latest re-audit of each of `slugs` (the forces the user may see) that has one."""
    from .live import reaudit

    rows = []
    for slug, line in _summary_lines(store, reaudit.SUMMARY, slugs):
        statement = line.get("statement") or {}
        rows.append(
            ReauditRow(
                slug=slug,
                audited_on=str(line.get("checked_at", ""))[:10],
                status=str(line.get("status", "")),
                new=len(line.get("new_regressions") or []),
                open=len(line.get("open_regressions") or []),
                fixed=len(line.get("fixed") or []),
                statement_drafted=statement.get("drafted"),
                statement_due=statement.get("review_due"),
                statement_overdue=bool(statement.get("overdue")),
                report=str(line.get("report", "")),
            )
        )
    return rows


# --- after go-live: the old URLs not found (access logs) ----------------------------------------------


@dataclass(frozen=True)
class LostLinkRow:
    """One live force's latest day of access logs (live/lostlinks.py's summary line)."""

    slug: str
    day: str
    files: int
    lines: int
    malformed: int
    old_urls: int
    not_found_hits: int
    alerts: int
    report: str  # relative to the store

    @property
    def ok(self) -> bool:
        return not self.alerts and self.files > 0


def lost_link_rows(store: Any, slugs: Iterable[str]) -> list[LostLinkRow]:
    """The latest day of access logs read for each of `slugs` (the forces the user may see) that has one."""
    from .live import lostlinks

    return [
        LostLinkRow(
            slug=slug,
            day=str(line.get("day", "")),
            files=int(line.get("files") or 0),
            lines=int(line.get("lines") or 0),
            malformed=int(line.get("malformed") or 0),
            old_urls=int(line.get("old_urls") or 0),
            not_found_hits=int(line.get("not_found_hits") or 0),
            alerts=len(line.get("alerts") or []),
            report=str(line.get("report", "")),
        )
        for slug, line in _summary_lines(store, lostlinks.SUMMARY, slugs)
    ]
