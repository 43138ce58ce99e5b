"""The rollback's adapter: what the person deciding is shown and who may decide, then the rollback itself
(golive/rollback.py decides every step) and the live-forces Asset event that re-runs the charging model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator

from .. import access
from .runtime import adapters, artifact_store, edge_client, fail, platform_client, specs_dir, valid_spec


class RollbackApproval(HITLOperator):
    """The rollback's decision, assigned at run time: the force's go-live approver and the national team.

    A platform DAG serves every force, so who may decide is known only once the force is chosen: the
    assigned users are rendered from the prepare task's result like the subject and the body."""

    template_fields = (*HITLOperator.template_fields, "assigned_users")


def _force(context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    params = context.get("params") or {}
    slug = str(params.get("force") or "").strip()
    path = specs_dir(context) / f"{slug}.yaml"
    if not slug or not path.is_file():
        fail(f"No spec for force '{slug}' in {specs_dir(context)}: roll back only an onboarded force")
    return slug, valid_spec(path, f"The spec of '{slug}' does not pass its check; fix it by pull request").data


def deciders(spec_data: dict[str, Any]) -> list[dict[str, str]]:
    """Who may decide a force's rollback: its go-live approver, and the national team (config/access.yaml)."""
    approver = spec_data["contacts"]["go_live_approver"]
    people = [{"id": approver["email"], "name": approver["name"]}]
    for member in access.national_team():
        if member["email"].lower() not in {person["id"].lower() for person in people}:
            people.append({"id": member["email"], "name": member["name"]})
    return people


def prepare(context: dict[str, Any]) -> dict[str, Any]:
    """Check the force can be rolled back and say what will change (the decision's body) and who decides."""
    from ..golive import rollback

    slug, spec_data = _force(context)
    reason = str((context.get("params") or {}).get("reason") or "").strip()
    if not reason:
        fail("Give the reason for the rollback (the trigger form's reason): it is recorded with the decision")
    try:
        body = rollback.summary(artifact_store(), slug, spec_data)
    except rollback.RollbackError as error:
        fail(str(error))
    people = deciders(spec_data)
    print(body)
    print("to be decided by: " + ", ".join(f"{p['name']} ({p['id']})" for p in people))
    return {
        "force": slug,
        "name": spec_data["force"]["name"],
        "body": f"{body}\n\nReason given: {reason}",
        "deciders": people,
    }


def roll_back(answer: dict[str, Any] | None, context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """On approval, every step of the rollback; then the live-forces Asset event (the charging model's next
    run); on refusal nothing changes."""
    from dataclasses import asdict

    from ..artifacts import safe_name, write_json
    from ..golive import rollback

    slug, spec_data = _force(context)
    if not answer:
        fail("no rollback decision was recorded; answer the decision task in the Airflow UI")
    reason = str((context.get("params") or {}).get("reason") or "").strip()
    decision = rollback.RollbackDecision.from_answer(answer, spec_data, reason=reason)
    store = artifact_store()
    try:
        found = rollback.target(store, slug)
    except rollback.RollbackError as error:
        fail(str(error))
    found.out.mkdir(parents=True, exist_ok=True)
    write_json(found.out / f"decision-{safe_name(context['run_id'])}.json", asdict(decision))
    if not decision.approved:
        fail(f"Rollback refused by {decision.responded_by}: nothing was changed; {slug} stays live")
    edge = edge_client() if adapters().edge != "none" else None
    today = datetime.now(UTC).date()
    try:
        with platform_client() as client:
            done = rollback.roll_back(store, slug, spec_data, client, decision, today, edge=edge)
    except rollback.RollbackError as error:
        fail(f"{slug} is not rolled back: {error}")
    finally:
        if edge is not None:
            edge.close()
    context["outlet_events"][asset].extra = {"force": slug, "live_until": today.isoformat(), "rolled_back": True}
    print(f"{spec_data['force']['name']} is rolled back: live until {today}, the tenant in preview")
    return {
        "force": slug,
        "live_until": today.isoformat(),
        "edge": edge is not None,
        "decided_by": decision.responded_by,
        "register_changed": done["register"]["changed"],
    }
