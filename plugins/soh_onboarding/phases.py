"""The phases of a force's onboarding, in the order of the flow: one registry that everything else reads.

The run folder's sub-folders (artifacts.RunFolder), the DAG's task groups, the trigger form's choices and
the DAG's documentation (the Airflow glue), the dashboard's rows and report links (dashboard.py), and the
go-live prerequisites (golive/prereqs.py) are all derived from `PHASES`. A new phase is one entry here,
its package, and its adapter in glue/.

Plain data and small readers of the JSON each phase writes: this module imports nothing of the library,
so every module can read it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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


SPEC = Phase(
    "spec",
    "Spec checked",
    "re-validates the spec and stores it, its hash and the commit it came from in the run's folder.",
    step="Check and snapshot the spec",
    result_file="snapshot.json",
    read_result=_spec_result,
)
DPIA = Phase(
    "dpia",
    "DPIA",
    "screens the processing (ICO list, EDPB/WP248 criteria) from the services enabled and the force's answers, "
    "writes the scoping document, and asks the DPO to approve it, unless the DPO already approved an identical "
    "screening. Anything but approval stops the run.",
    choice="DPIA and the DPO's sign-off",
    reports=(Report("DPIA document", "dpia-scoping.html", ("dpia.screen", "dpia.dpo_decision", "dpia.record")),),
    result_file="decision.json",
    read_result=_dpia_result,
    verdict_file="decision.json",
    verdict_missing="the DPIA phase (dpia) has not recorded the DPO's decision",
    decided_by="the DPO",
)
MIGRATION = Phase(
    "migration",
    "Content migration",
    "beside the DPIA: crawls the legacy site politely (resumable), maps every old URL to a redirect, an archive "
    "or unresolved, extracts and sanitises each page in chunks spread over workers, and writes the inventory, "
    "redirects.csv, the clean content and the migration report.",
    choice="Content migration",
    reports=(
        Report("Migration report", "migration-report.html", ("migration.finish",)),
        Report("Redirect map (CSV)", "redirects.csv", ("migration.finish",)),
    ),
    result_file="summary.json",
    read_result=_migration_result,
    verdict_file="quality.json",
    verdict_missing="the content migration (migration) has not checked its quality",
)
PROVISIONING = Phase(
    "provisioning",
    "Provisioning",
    "sets up the force's tenant on the platform (name, domains, branding); once the DPO has signed off, enables "
    "its services; once the migration is done, publishes its pages, documents and redirects in batches (only what "
    "changed; a re-run resumes), reads them back to verify, and records the preview URL.",
    choice="Provisioning on the platform",
    reports=(Report("Provisioning report", "provisioning-report.html", ("provisioning.verify",)),),
    result_file="provisioning.json",
    read_result=_provisioning_result,
)
ACCESSIBILITY = Phase(
    "accessibility",
    "Accessibility",
    "audits the tenant's preview against the spec's WCAG standard with axe-core, IBM Equal Access, "
    "HTML_CodeSniffer and a keyboard probe in Chromium, compares each legacy page with its new home through the "
    "redirect map, writes the report and a draft accessibility statement, and fails the run when the violations "
    "exceed the spec's thresholds, so go-live cannot follow.",
    choice="Accessibility audit",
    reports=(
        Report("Accessibility report", "accessibility-report.html", ("accessibility.audit",)),
        Report("Accessibility statement (draft)", "accessibility-statement.html", ("accessibility.audit",)),
    ),
    result_file="audit.json",
    read_result=_accessibility_result,
    verdict_file="audit.json",
    verdict_missing="the accessibility audit and gate (accessibility) have not run",
)
GO_LIVE = Phase(
    "go_live",
    "Go-live",
    "checks DNS, TLS, security headers, key pages, every old URL, robots.txt, sitemap.xml, security.txt, mixed "
    "content and the prerequisites, and writes the checklist; with nothing failed, asks the go-live approver; on "
    "approval switches the tenant live and records the force live (the charging model then runs); a refusal "
    "changes nothing.",
    choice="Go-live checks, the go-live decision and the switch",
    reports=(
        Report("Go-live checklist", "go-live-checklist.html", ("go_live.check", "go_live.decision", "go_live.switch")),
        Report("Old URLs checked (CSV)", "redirects-checked.csv", ("go_live.check",)),
    ),
    result_file="decision.json",
    read_result=_go_live_result,
    decided_by="the go-live approver",
)

PHASES: tuple[Phase, ...] = (SPEC, DPIA, MIGRATION, PROVISIONING, ACCESSIBILITY, GO_LIVE)
"""A force's onboarding, in the order of the flow (ARCHITECTURE.md)."""

CHARGING = Phase(
    "charging",
    "Charging",
    "recomputes every live force's share of the platform's costs.",
    reports=(
        Report("Charging report", "report.html", ("compute",)),
        Report("Charges (CSV)", "charges.csv", ("compute",)),
    ),
)
"""Not a force's phase: the platform's charging model, run by the charging_model DAG into <store>/platform/."""

DECIDED: tuple[Phase, ...] = tuple(phase for phase in PHASES if phase.decided_by)
"""The phases a person decides, in the order of the flow: the DPIA (the DPO) and go-live (the approver)."""

FOLDERS: tuple[str, ...] = (*(phase.id for phase in PHASES), CHARGING.id)
"""The sub-folders of a run folder."""


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
