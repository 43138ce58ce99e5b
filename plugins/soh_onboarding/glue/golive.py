"""Go-live's adapter: the checks and their checklist, then the approver's decision and the switch live."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .live import record_live
from .options import dry_run_skips, phase_gate
from .runtime import artifact_url, fail, golive_settings, on_edge, platform_client, run_folder, snapshot


def check(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Run every go-live check on the run's snapshot of the spec; write the checklist; fail on a failed check
    (the approver is only asked to decide on a checklist with nothing failed)."""
    from ..golive import checks

    phase_gate("go_live", context)
    folder = run_folder(slug, context)
    checklist, rows = checks.run_checks(snapshot(folder), golive_settings(), folder.root)
    out = folder.phase("go_live")
    checks.write_report(out, checklist, rows)
    report = artifact_url(out / checks.HTML_NAME)
    for item in checklist.checks:
        print(f"{item.status.upper():4} {item.key}: {item.summary}")
    counts = checklist.counts()
    if not checklist.passed:
        failed = "\n".join(f"- {c.key}: {c.summary} [{', '.join(c.findings)}]" for c in checklist.failed())
        fail(
            f"{counts['fail']} go-live check(s) failed, so the go-live approver is not asked:\n{failed}\n"
            f"Checklist: {report}"
        )
    print(f"{counts['pass']} checks passed, {counts['warn']} warning(s); checklist: {report}")
    return {
        "status": checklist.status,
        "counts": counts,
        "report": report,
        "body": checks.decision_body(checklist, report),
    }


def switch(slug: str, answer: dict[str, Any] | None, context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """Record the approver's decision (`answer`, the decision task's result); on approval switch the tenant
    live on the platform, then its old domains' DNS at the edge (when this environment has one), record the
    force live and emit the live-forces Asset; on refusal change nothing."""
    from ..golive import checks
    from ..golive import decision as golive_decision

    folder = run_folder(slug, context)
    out = folder.phase("go_live")
    spec_data = snapshot(folder)
    checklist = json.loads((out / checks.JSON_NAME).read_text(encoding="utf-8"))
    if not answer:
        fail("no go-live decision was recorded; answer the go-live task in the Airflow UI")
    decision = golive_decision.Decision.from_answer(answer, spec_data, run_id=context["run_id"])
    golive_decision.record_decision(out, decision, checklist)
    if not decision.approved:
        fail(
            f"Go-live refused: {decision.why_not()}. Nothing was changed: the tenant is not switched live, "
            "the live-forces register and the charging model are as they were."
        )
    name = spec_data["force"]["name"]
    if dry_run_skips(context, f"switch {name} live and record it live (approved)"):
        return {"approved_by": decision.responded_by, "platform": None, "dry_run": True}
    switched = golive_decision.switch_live(platform_client(), spec_data["tenant"]["tenant_id"])
    switched_edge = _switch_edge(folder, spec_data)
    live_date = datetime.now(UTC).date()
    extra = record_live(slug, name, live_date, context, asset)
    golive_decision.record_live(folder.force, folder.root, decision, checklist, live_date.isoformat(), switched)
    print(f"Go-live approved by {decision.responded_by}; {name} is live from {live_date}")
    return extra | {"approved_by": decision.responded_by, "platform": switched, "edge": switched_edge}


def _switch_edge(folder: Any, spec_data: dict[str, Any]) -> dict[str, Any] | None:
    """The go-live switch at the edge: the old domains' DNS to the platform, where their Bulk Redirects
    answer every old URL (idempotent: a retry of this task finishes what a failed one began)."""
    refused = "The tenant is live on the platform, but the edge was not switched (clear this task to try again: it changes only what still differs)"
    done = on_edge(
        spec_data, folder.phase("migration"), folder.phase("go_live"), live=True, dry_run=False, refused=refused
    )
    if done is None:
        return None
    print(done.summary())
    return {"changes": done.changes, "written": done.written}
