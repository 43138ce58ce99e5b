"""The DPIA phase's adapter: screen, ask the DPO (or cite an approval that stands), record the decision."""

from __future__ import annotations

from typing import Any

from .. import dpia, reports
from ..artifacts import RunFolder
from ..dpia import catalogue
from .options import phase_gate
from .runtime import artifact_url, fail, now, run_folder, snapshot

DPO_DECISION, APPROVAL_STANDS = "dpia.dpo_decision", "dpia.approval_stands"
"""The branch's two ways, by task id (an Airflow branch names the tasks it follows)."""


def _screened(folder: RunFolder) -> tuple[dict[str, Any], Any, Any]:
    """The spec as the run snapshotted it, the service catalogue, and the screening of the one by the other."""
    spec_data = snapshot(folder)
    try:
        services = catalogue.load()
        return spec_data, services, dpia.screen(spec_data, services)
    except (catalogue.CatalogueError, dpia.ScreeningQuestions) as exc:
        fail(str(exc))


def screen(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Screen, write the scoping document, and say whether the DPO must be asked (again)."""
    phase_gate("dpia", context)
    folder = run_folder(slug, context)
    spec_data, services, screening = _screened(folder)
    out = folder.phase("dpia")
    dpia.write_documents(out, screening, spec_data, services, context["run_id"], now())
    standing, changes = dpia.compare_with_approval(screening, folder.force)
    document = artifact_url(out / "dpia-scoping.html")
    body = reports.render("dpia_decision_body.md.j2", screening=screening, changes=changes, document=document)
    print(
        f"DPIA screening of {slug}: full DPIA required: {screening.full_dpia_required}; criteria met: "
        f"{', '.join(c.id for c in screening.met) or 'none'}; documents in {out}"
    )
    print(
        "The DPO's approval of an identical screening stands."
        if standing
        else f"The DPO is asked: {'; '.join(changes)}"
    )
    return {
        "fingerprint": screening.fingerprint,
        "full_dpia_required": screening.full_dpia_required,
        "consult_ico": screening.consult_ico,
        "changes": changes,
        "standing_approval": standing["decision"] if standing else None,
        "body": body,
        "document": document,
    }


def route(screened: dict[str, Any]) -> str:
    """Branch: ask the DPO unless an approval of an identical screening stands."""
    return APPROVAL_STANDS if screened["standing_approval"] else DPO_DECISION


def record(
    slug: str, screened: dict[str, Any], answer: dict[str, Any] | None, stands: dict[str, Any] | None, context: dict
) -> dict[str, Any]:
    """Record the DPO's decision (or the approval that stands); stop the run unless approved.

    `answer` is the DPO's answer and `stands` the approval that stands: the branch skips one of the two
    tasks, whose value is then None."""
    folder = run_folder(slug, context)
    spec_data, services, screening = _screened(folder)
    if screening.fingerprint != screened["fingerprint"]:
        fail("the snapshot's screening changed during the run; start a new run")
    if answer:
        decision = dpia.Decision.from_answer(
            answer, spec_data, fingerprint=screening.fingerprint, run_id=context["run_id"]
        )
    elif stands:
        standing = stands
        decision = dpia.Decision(
            option=dpia.APPROVE,
            comment=f"Approval of run {standing['run_id']} stands: the screening is unchanged.",
            responded_by=standing["responded_by"],
            responded_at=standing["responded_at"],
            fingerprint=screening.fingerprint,
            run_id=context["run_id"],
            cites=standing["run_id"],
        )
    else:
        fail("no decision was recorded for the DPIA; answer the DPO's task in the Airflow UI")
    out = folder.phase("dpia")
    dpia.record_decision(out, folder.force, screening, decision)
    dpia.write_documents(out, screening, spec_data, services, context["run_id"], now(), decision)
    if not decision.approved:
        why = f": {decision.comment}" if decision.comment else ""
        fail(f"The DPO chose '{decision.option}'{why}. Publishing and go-live will not run.")
    print(
        f"DPIA approved by {decision.responded_by}"
        + (f" (approval of run {decision.cites} stands)" if decision.cites else "")
    )
    return {"option": decision.option, "responded_by": decision.responded_by, "cites": decision.cites}
