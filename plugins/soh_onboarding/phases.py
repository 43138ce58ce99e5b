"""The phases of a force's onboarding, in the order of the flow: one registry (phases.yaml, read here) that
everything else reads.

The run folder's sub-folders (artifacts.RunFolder), the DAG's task groups, the trigger form's choices and
the DAG's documentation (the Airflow glue), the dashboard's rows and report links (dashboard.py), and the
go-live prerequisites (golive/prereqs.py) are all derived from `PHASES`. A new phase is one entry in
phases.yaml, its reader here, its package, and its adapter in glue/.

Plain data and small readers of the JSON each phase writes: this module imports nothing of the library,
so every module can read it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class PhaseResult:
    """How a phase went in one run, in a few words; `ok` None while it waits or is under way."""

    text: str
    ok: bool | None = None


@dataclass(frozen=True)
class Report:
    """A document a phase writes in its folder, e.g. "dpia-scoping.html", and the tasks that link to it."""

    label: str
    file: str
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class Phase:
    """One phase of the flow."""

    id: str
    """The run folder's sub-folder, the DAG's task group and the trigger form's value: "dpia"."""
    label: str
    """Its row on the dashboard: "DPIA"."""
    does: str
    """What it does, after its title in the DAG's documentation."""
    step: str = ""
    """That title, when it is not `label`."""
    choice: str = ""
    """Its label in the trigger form's "Phases to run"; "" when an operator does not choose it (the spec check)."""
    reports: tuple[Report, ...] = ()
    result_file: str = ""
    """The file of its folder that says how it went (the dashboard reads it with `read_result`)."""
    read_result: Callable[[dict[str, Any], Any], PhaseResult | None] | None = None
    """How it went, from `result_file`'s JSON and the phase's folder; None while there is nothing to say."""
    verdict_file: str = ""
    """The file a later phase trusts as its verdict (go-live's prerequisites), and what to say when missing."""
    verdict_missing: str = ""
    decided_by: str = ""
    """Who decides the phase ("the DPO"), when a person does: its `result_file` is then their decision
    (decisions.HumanDecision's fields), which the force's onboarding record lists (record.py)."""


def _who(record: dict[str, Any]) -> str:
    """'Name' of 'Name (user id)', as the decisions record who answered."""
    return str(record.get("responded_by") or "").split(" (")[0]


def _spec_result(snapshot: dict[str, Any] | None, folder: Any) -> PhaseResult | None:
    if snapshot is None:
        return None
    commit = (snapshot.get("code") or {}).get("commit") or "unknown commit"
    return PhaseResult(f"checked ({str(commit)[:7]})", True)


def _dpia_result(decision: dict[str, Any] | None, folder: Any) -> PhaseResult | None:
    if decision is not None:
        cites = " (approval stands)" if decision.get("cites") else ""
        return PhaseResult(f"{decision.get('option')} by {_who(decision)}{cites}", bool(decision.get("approved")))
    if (folder / "screening.json").is_file():
        return PhaseResult("screened; waiting for the DPO")
    return None


def _migration_result(summary: dict[str, Any] | None, folder: Any) -> PhaseResult | None:
    if summary is not None:
        passed = bool(summary.get("quality_passed"))
        verdict = "quality checks passed" if passed else "quality checks failed"
        return PhaseResult(f"{summary.get('pages_migrated', 0)} pages migrated; {verdict}", passed)
    if (folder / "crawl").is_dir():
        return PhaseResult("crawling and processing")
    return None


def _provisioning_result(result: dict[str, Any] | None, folder: Any) -> PhaseResult | None:
    if result is None:
        return None
    counts = (result.get("verification") or {}).get("counts") or {}
    verdict = "verified" if result.get("ok") else "verification failed"
    return PhaseResult(
        f"tenant {result.get('tenant_id')} ({result.get('state')}): {counts.get('pages', 0)} pages {verdict}",
        bool(result.get("ok")),
    )


def _accessibility_result(audit: dict[str, Any] | None, folder: Any) -> PhaseResult | None:
    if audit is None:
        return None
    gate = audit.get("gate") or {}
    counts = ", ".join(f"{count} {impact}" for impact, count in (gate.get("counts") or {}).items() if count)
    verdict = "gate passed" if gate.get("passed") else "gate failed"
    return PhaseResult(f"{verdict}: {counts or 'no violations'}", bool(gate.get("passed")))


def _go_live_result(decision: dict[str, Any] | None, folder: Any) -> PhaseResult | None:
    if decision is not None:
        return PhaseResult(f"{decision.get('option')} by {_who(decision)}", bool(decision.get("approved")))
    checklist = read_json(folder / "checklist.json")
    if checklist is not None:
        counts = checklist.get("counts") or {}
        if not checklist.get("passed"):
            return PhaseResult(f"{counts.get('fail', 0)} go-live check(s) failed", False)
        return PhaseResult(f"checks passed ({counts.get('warn', 0)} warning(s)); waiting for the approver")
    return None


READERS: dict[str, Callable[[dict[str, Any], Any], PhaseResult | None]] = {
    "spec": _spec_result,
    "dpia": _dpia_result,
    "migration": _migration_result,
    "provisioning": _provisioning_result,
    "accessibility": _accessibility_result,
    "go_live": _go_live_result,
}
"""How each phase's `result_file` is read (the charging model has none: its report is the platform's)."""


def _load(text: str) -> tuple[Phase, ...]:
    """The phases of phases.yaml, in its order, each with its reader."""
    phases = []
    for phase_id, entry in yaml.safe_load(text).items():
        reports = tuple(
            Report(report["label"], report["file"], tuple(report["tasks"])) for report in entry.pop("reports", ())
        )
        phases.append(Phase(phase_id, reports=reports, read_result=READERS.get(phase_id), **entry))
    return tuple(phases)


SPEC, DPIA, MIGRATION, PROVISIONING, ACCESSIBILITY, GO_LIVE, CHARGING = _load(
    (Path(__file__).parent / "phases.yaml").read_text(encoding="utf-8")
)
"""The registry's text (labels, what each does, its reports and files) is data, in phases.yaml beside this
module; how each phase's result is read is code, in READERS."""

PHASES: tuple[Phase, ...] = (SPEC, DPIA, MIGRATION, PROVISIONING, ACCESSIBILITY, GO_LIVE)
"""A force's onboarding, in the order of the flow (ARCHITECTURE.md). CHARGING is not a force's phase: it is the
platform's charging model, run by the charging_model DAG into <store>/platform/."""

DECIDED: tuple[Phase, ...] = tuple(phase for phase in PHASES if phase.decided_by)
"""The phases a person decides, in the order of the flow: the DPIA (the DPO) and go-live (the approver)."""

FOLDERS: tuple[str, ...] = (*(phase.id for phase in PHASES), CHARGING.id)
"""The sub-folders of a run folder."""


def by_id(phase_id: str) -> Phase:
    """The phase of a run folder's sub-folder ("dpia"), the charging model's included."""
    return next(phase for phase in (*PHASES, CHARGING) if phase.id == phase_id)


def chosen_in_form() -> dict[str, str]:
    """The phases an operator chooses in the trigger form, in the order of the flow, with their labels."""
    return {phase.id: phase.choice for phase in PHASES if phase.choice}


def read_json(path: Any) -> dict[str, Any] | None:
    """A JSON object from the store, or None when the file is missing or unreadable (a result not written yet)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None


def result(phase: Phase, folder: Any) -> PhaseResult | None:
    """How `phase` went, from its folder in one run; None when it has nothing to say yet."""
    if phase.read_result is None:
        return None
    return phase.read_result(read_json(folder / phase.result_file), folder)
