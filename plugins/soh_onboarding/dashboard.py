"""What the operators' dashboard and the task links show, read from the artifact store.

Plain Python (no Airflow): the web side (artifact_views.py) asks Airflow which runs exist and which
approvals wait, with the signed-in user's permissions, and this module reads what those runs wrote.
Two registries make a new phase visible with one line each:

- `REPORTS`: a document a run writes, linked from the tasks that write it (operator extra links in the
  Airflow UI) and from the dashboard;
- `phase_result`: a decorator naming the function that says, from a run's phase folder, how the phase
  went; a phase without artifacts yet shows "not run".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .artifacts import PHASES, safe_name

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
    Report("DPIA document", "dpia/dpia-scoping.html", ("dpia.screen", "dpia.dpo_decision", "dpia.record")),
    Report("Migration report", "migration/migration-report.html", ("migration.finish",)),
    Report("Redirect map (CSV)", "migration/redirects.csv", ("migration.finish",)),
    Report("Provisioning report", "provisioning/provisioning-report.html", ("provisioning.verify",)),
    Report("Accessibility report", "accessibility/accessibility-report.html", ("accessibility.audit",)),
    Report("Accessibility statement (draft)", "accessibility/accessibility-statement.html", ("accessibility.audit",)),
    Report(
        "Go-live checklist", "go_live/go-live-checklist.html", ("go_live.check", "go_live.decision", "go_live.switch")
    ),
    Report("Old URLs checked (CSV)", "go_live/redirects-checked.csv", ("go_live.check",)),
    Report("Charging report", "charging/report.html", ("compute",), platform=True),
    Report("Charges (CSV)", "charging/charges.csv", ("compute",), platform=True),
]
"""Every report a run writes. Adding one is one line here (the Airflow plugin builds a task link per entry)."""

PLATFORM_DAGS = ("charging_model",)
"""The platform's DAGs whose runs write to <store>/platform/<run id>/."""


def force_of_dag(dag_id: str) -> str | None:
    """The force slug of an onboarding DAG (onboard_<slug>), None for any other DAG."""
    return dag_id.removeprefix("onboard_") if dag_id.startswith("onboard_") else None


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


@dataclass(frozen=True)
class PhaseResult:
    """How a phase went in one run, in a few words; `ok` None while it waits or is under way."""

    text: str
    ok: bool | None = None


PhaseReader = Callable[[Any], PhaseResult | None]
PHASE_RESULTS: dict[str, PhaseReader] = {}
PHASE_LABELS = {
    "spec": "Spec checked",
    "dpia": "DPIA",
    "migration": "Content migration",
    "provisioning": "Provisioning",
    "accessibility": "Accessibility",
    "go_live": "Go-live",
}


def phase_result(phase: str) -> Callable[[PhaseReader], PhaseReader]:
    """Register how to read `phase`'s outcome from its folder (return None when the folder has nothing yet)."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; phases are {', '.join(PHASES)}")

    def register(reader: PhaseReader) -> PhaseReader:
        PHASE_RESULTS[phase] = reader
        return reader

    return register


def _json(path: Any) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None


@phase_result("spec")
def _spec(folder: Any) -> PhaseResult | None:
    snapshot = _json(folder / "snapshot.json")
    if snapshot is None:
        return None
    commit = (snapshot.get("code") or {}).get("commit") or "unknown commit"
    return PhaseResult(f"checked ({str(commit)[:7]})", True)


@phase_result("dpia")
def _dpia(folder: Any) -> PhaseResult | None:
    decision = _json(folder / "decision.json")
    if decision is not None:
        who = str(decision.get("responded_by") or "").split(" (")[0]
        cites = " (approval stands)" if decision.get("cites") else ""
        return PhaseResult(f"{decision.get('option')} by {who}{cites}", bool(decision.get("approved")))
    if (folder / "screening.json").is_file():
        return PhaseResult("screened; waiting for the DPO")
    return None


@phase_result("migration")
def _migration(folder: Any) -> PhaseResult | None:
    summary = _json(folder / "summary.json")
    if summary is not None:
        passed = bool(summary.get("quality_passed"))
        verdict = "quality checks passed" if passed else "quality checks failed"
        return PhaseResult(f"{summary.get('pages_migrated', 0)} pages migrated; {verdict}", passed)
    if (folder / "crawl").is_dir():
        return PhaseResult("crawling and processing")
    return None


@phase_result("provisioning")
def _provisioning(folder: Any) -> PhaseResult | None:
    result = _json(folder / "provisioning.json")
    if result is None:
        return None
    counts = (result.get("verification") or {}).get("counts") or {}
    verdict = "verified" if result.get("ok") else "verification failed"
    return PhaseResult(
        f"tenant {result.get('tenant_id')} ({result.get('state')}): {counts.get('pages', 0)} pages {verdict}",
        bool(result.get("ok")),
    )


@phase_result("accessibility")
def _accessibility(folder: Any) -> PhaseResult | None:
    audit = _json(folder / "audit.json")
    if audit is None:
        return None
    gate = audit.get("gate") or {}
    counts = ", ".join(f"{count} {impact}" for impact, count in (gate.get("counts") or {}).items() if count)
    verdict = "gate passed" if gate.get("passed") else "gate failed"
    return PhaseResult(f"{verdict}: {counts or 'no violations'}", bool(gate.get("passed")))


@phase_result("go_live")
def _go_live(folder: Any) -> PhaseResult | None:
    decision = _json(folder / "decision.json")
    if decision is not None:
        who = str(decision.get("responded_by") or "").split(" (")[0]
        return PhaseResult(f"{decision.get('option')} by {who}", bool(decision.get("approved")))
    checklist = _json(folder / "checklist.json")
    if checklist is not None:
        counts = checklist.get("counts") or {}
        if not checklist.get("passed"):
            return PhaseResult(f"{counts.get('fail', 0)} go-live check(s) failed", False)
        return PhaseResult(f"checks passed ({counts.get('warn', 0)} warning(s)); waiting for the approver")
    return None


def run_folder(store: Any, slug: str, run_id: str) -> Any:
    return store / safe_name(slug) / safe_name(run_id)


def phase_results(store: Any, slug: str, run_ids: Sequence[str]) -> dict[str, tuple[PhaseResult, str] | None]:
    """Per phase, the outcome in the newest of `run_ids` (newest first) that got that far, with its run id."""
    found: dict[str, tuple[PhaseResult, str] | None] = dict.fromkeys(PHASE_LABELS)
    for run_id in run_ids:
        root = run_folder(store, slug, run_id)
        if not root.is_dir():
            continue
        for phase, reader in PHASE_RESULTS.items():
            if found.get(phase) is None and (root / phase).is_dir():
                result = reader(root / phase)
                if result is not None:
                    found[phase] = (result, run_id)
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
        return {entry.slug: entry.live_date.isoformat() for entry in register.live_forces(store)}
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
        summary = _json(folder / "summary.json")
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
    lines = (_json(store / summary[0] / summary[1]) or {}).get("forces") or {}
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
