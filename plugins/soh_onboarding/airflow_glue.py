"""The one module of the library that knows Airflow: configuration, context, and failing a task.

The DAG files in dags/ wire tasks to the functions here; these functions turn Airflow's context and
configuration into plain arguments for the domain modules, and their results back into task results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import project, provenance, reports, spec
from .artifacts import RunFolder

STEPS = (
    {
        "title": "Check and snapshot the spec",
        "text": "re-validates the spec and stores it, its hash and the commit it came from in the run's folder.",
    },
    {
        "title": "DPIA",
        "text": "screens the processing (ICO list, EDPB/WP248 criteria) from the services enabled and the "
        "force's answers, writes the scoping document, and asks the DPO to approve it, unless the DPO "
        "already approved an identical screening. Anything but approval stops the run.",
    },
)
"""What a run does, in order, for the DAG's documentation. Each phase adds its step when it lands."""


def dag_doc(force: spec.ForceSpec) -> str:
    """The DAG's doc_md, rendered from the spec (parse time: no I/O beyond the template)."""
    return reports.render("dag_doc.md.j2", spec=force, steps=STEPS)


def artifact_store() -> Any:
    """The root of the artifact store, from `[soh] artifact_store` (env AIRFLOW__SOH__ARTIFACT_STORE).

    A URL such as file:///srv/soh/artifacts or s3://bucket/soh (with an Airflow connection for the
    credentials, `[soh] artifact_store_conn_id`); by default the artifacts/ folder of the project.
    """
    from airflow.configuration import conf
    from airflow.sdk import ObjectStoragePath

    url = conf.get("soh", "artifact_store", fallback="") or project.DEFAULT_ARTIFACT_STORE.as_uri()
    conn_id = conf.get("soh", "artifact_store_conn_id", fallback="") or None
    return ObjectStoragePath(url, conn_id=conn_id)


def artifact_url(path: Any) -> str:
    """Where a signed-in user opens an artifact in the browser: Airflow's API server, under /soh."""
    from airflow.configuration import conf

    from .artifact_views import PREFIX

    relative = str(path).removeprefix(str(artifact_store())).lstrip("/")
    base = (conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")
    return f"{base}{PREFIX}/artifacts/{relative}"


def run_folder(slug: str, context: dict[str, Any]) -> RunFolder:
    return RunFolder.for_run(artifact_store(), slug, context["run_id"])


def check_and_snapshot(spec_file: str, context: dict[str, Any]) -> dict[str, Any]:
    """First task of every run: the spec must still be valid, and is recorded as the run used it."""
    from airflow.sdk.exceptions import AirflowFailException

    result = spec.load_one(Path(spec_file))
    if not result.valid:
        listing = "\n".join(error.format() for error in result.errors)
        raise AirflowFailException(f"The spec no longer passes its check; fix it by pull request:\n{listing}")
    force = result.specs[0]
    folder = run_folder(force.slug, context)
    dag_run = context.get("dag_run")
    code = provenance.code_version(force.path, getattr(dag_run, "bundle_version", None))
    note = (context.get("params") or {}).get("run_note") or ""
    record = provenance.snapshot_spec(force, folder.phase("spec"), code, context["run_id"], note)
    print(f"Spec {force.path.name} is valid; snapshot in {folder.root / 'spec'} (commit {code.commit or 'unknown'})")
    return {"run_folder": str(folder.root), "spec_sha256": record["spec_sha256"], "commit": code.commit}


# --- DPIA ----------------------------------------------------------------------------------------


def _screen_snapshot(folder: RunFolder) -> tuple[dict[str, Any], Any, Any]:
    """Screen the spec exactly as the run snapshotted it."""
    from airflow.sdk.exceptions import AirflowFailException

    from . import catalogue, dpia

    spec_data = provenance.read_snapshot(folder.root / "spec")
    try:
        services = catalogue.load()
        return spec_data, services, dpia.screen(spec_data, services)
    except (catalogue.CatalogueError, dpia.ScreeningQuestions) as exc:
        raise AirflowFailException(str(exc)) from None


def dpia_screen(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Screen, write the scoping document, and say whether the DPO must be asked (again)."""
    from . import dpia

    folder = run_folder(slug, context)
    spec_data, services, screening = _screen_snapshot(folder)
    out = folder.phase("dpia")
    dpia.write_documents(out, screening, spec_data, services, context["run_id"], _now())
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


def dpia_route(screened: dict[str, Any]) -> str:
    """Branch: ask the DPO unless an approval of an identical screening stands."""
    return "dpia.approval_stands" if screened["standing_approval"] else "dpia.dpo_decision"


def dpia_record(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Record the DPO's decision (or the approval that stands); stop the run unless approved."""
    from airflow.sdk.exceptions import AirflowFailException

    from . import dpia

    ti = context["ti"]
    screened = ti.xcom_pull(task_ids="dpia.screen")
    answer = ti.xcom_pull(task_ids="dpia.dpo_decision")
    folder = run_folder(slug, context)
    spec_data, services, screening = _screen_snapshot(folder)
    if screening.fingerprint != screened["fingerprint"]:
        raise AirflowFailException("the snapshot's screening changed during the run; start a new run")
    if answer:
        user = answer.get("responded_by_user") or {}
        decision = dpia.Decision(
            option=answer["chosen_options"][0],
            comment=(answer.get("params_input") or {}).get("comment", "") or "",
            responded_by=_person(spec_data, user),
            responded_at=str(answer.get("responded_at", "")),
            fingerprint=screening.fingerprint,
            run_id=context["run_id"],
        )
    elif screened["standing_approval"]:
        standing = screened["standing_approval"]
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
        raise AirflowFailException("no decision was recorded for the DPIA; answer the DPO's task in the Airflow UI")
    out = folder.phase("dpia")
    dpia.record_decision(out, folder.force, screening, decision)
    dpia.write_documents(out, screening, spec_data, services, context["run_id"], _now(), decision)
    if not decision.approved:
        why = f": {decision.comment}" if decision.comment else ""
        raise AirflowFailException(f"The DPO chose '{decision.option}'{why}. Publishing and go-live will not run.")
    print(
        f"DPIA approved by {decision.responded_by}"
        + (f" (approval of run {decision.cites} stands)" if decision.cites else "")
    )
    return {"option": decision.option, "responded_by": decision.responded_by, "cites": decision.cites}


def _person(spec_data: dict[str, Any], user: dict[str, Any]) -> str:
    """'Name (user id)': the spec names the people its approvals are assigned to, by e-mail address."""
    user_id = str(user.get("id") or "unknown")
    names = {person["email"]: person["name"] for person in spec_data["contacts"].values() if isinstance(person, dict)}
    name = names.get(user_id) or user.get("name") or user_id
    return f"{name} ({user_id})"


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
