"""The trigger form's choices for a run (the phases to run, a dry run), and failing the run when a phase failed."""

from __future__ import annotations

import json
from typing import Any

from .. import phases
from ..artifacts import RunFolder, write_json
from .runtime import artifact_store, fail, run_folder

RUN_PHASES = phases.chosen_in_form()
"""The phases an operator can choose in the trigger form, in the order of the flow, with their labels (from
the phase registry). A phase's first task(s) call `phase_gate` first thing."""


def run_options(context: dict[str, Any]) -> dict[str, Any]:
    """The trigger form's choices for this run: {"phases": [...], "dry_run": bool}. A run triggered
    without them (REST, the schedule) runs every phase for real."""
    params = context.get("params") or {}
    chosen = params.get("phases")
    return {
        "phases": list(RUN_PHASES) if chosen is None else [str(phase) for phase in chosen],
        "dry_run": bool(params.get("dry_run") or False),
    }


def phase_gate(phase: str, context: dict[str, Any]) -> None:
    """Skip this task, saying why, when the operator did not choose `phase` for this run.

    Call it first in a phase's first task(s): the phase's later tasks are skipped with it (their trigger
    rules see a skipped upstream), and so is every later phase that needs this one's output in the run.
    The reason is the task's log line in the UI."""
    from airflow.sdk.exceptions import AirflowSkipException

    if phase not in RUN_PHASES:
        raise ValueError(f"unknown phase {phase!r}; add it to the phase registry (phases.py)")
    chosen = run_options(context)["phases"]
    if phase not in chosen:
        listed = ", ".join(RUN_PHASES[name] for name in chosen if name in RUN_PHASES) or "none"
        raise AirflowSkipException(
            f"Skipped: '{RUN_PHASES[phase]}' was not chosen in this run's trigger form (phases chosen: {listed})."
        )


def is_dry_run(context: dict[str, Any]) -> bool:
    """True when the operator asked for a dry run: do everything (crawl, check, report, ask for approvals)
    except what changes the outside world — writing to the platform, switching DNS, marking a force live.
    A phase calls `dry_run_skips` before each such write, and writes its report either way."""
    return run_options(context)["dry_run"]


def dry_run_skips(context: dict[str, Any], action: str) -> bool:
    """True (and a log line saying what was not done) when `action` must not happen in this dry run:

    if not options.dry_run_skips(context, f"create the tenant {slug} on the platform"):
        client.create_tenant(...)
    """
    if is_dry_run(context):
        print(f"Dry run: did not {action}.")
        return True
    return False


OUTCOME_FILE = "outcome.json"
"""In the run's folder: the tasks that failed, written by the run's last task for the failure e-mail."""


def fail_the_run(slug: str, context: dict[str, Any]) -> None:
    """The last task of every onboarding run, run only when another task failed: it fails the run.

    Airflow sets a run's state from its last tasks; when the operator left later phases out (skipped),
    a failure in an earlier one would otherwise end the run as a success and send no failure e-mail.
    It records which tasks failed, so the e-mail names them rather than this task."""
    ti = context["ti"]
    states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
    failed = sorted(task_id for task_id, state in states.items() if state == "failed" and task_id != ti.task_id)
    write_json(run_folder(slug, context).root / OUTCOME_FILE, {"failed_tasks": failed})
    fail(
        f"Failed in this run: {', '.join(failed) or 'a task (see the grid)'}. The run is failed so that a phase "
        "left out of the run cannot hide it; the failed task's log says what went wrong."
    )


def failed_tasks(dag_id: str, run_id: str) -> list[str]:
    """The failed tasks the run's last task recorded (empty when it did not run or cannot be read)."""
    slug = dag_id.removeprefix("onboard_")
    try:
        path = RunFolder.for_run(artifact_store(), slug, run_id).root / OUTCOME_FILE
        return list(json.loads(path.read_text(encoding="utf-8")).get("failed_tasks") or [])
    except (OSError, ValueError):
        return []
