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


# --- the platform: live forces and the charging model ------------------------------------------

LIVE_FORCES_URI = "soh://platform/live-forces"
"""Emitted when a force goes live (the mark-live DAG today, the go-live phase later); schedules charging."""
CHARGING_MODEL_URI = "soh://charging/model"
"""Emitted when the charging model is recomputed, with the summary in the event's extra."""
PLATFORM_SLUG = "platform"
"""The artifact store's folder for platform-wide runs (not one force's): <store>/platform/<run id>/charging/."""


def charging_scenarios() -> list[str]:
    """The model's scenario names, for the trigger form; [] when the model file does not pass its schema
    (the run then reports the located errors). Parse time: reads one small local file, nothing else."""
    from . import chargingmodel

    return chargingmodel.scenario_names()


def mark_force_live(context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """Record a force in the live-forces register and put it in the Asset event's extra.

    The date defaults to the spec's charging.live_from. The force must have a valid spec: its figures
    (FTE, population, cap) are what the charging model weights it by.
    """
    from datetime import date

    from airflow.sdk.exceptions import AirflowFailException

    from . import liveforces

    params = context.get("params") or {}
    slug = str(params.get("force") or "").strip()
    spec_file = project.specs_dir() / f"{slug}.yaml"
    if not slug or not spec_file.is_file():
        raise AirflowFailException(
            f"No spec for force '{slug}' in {project.specs_dir()}: mark live only onboarded forces."
        )
    result = spec.load_one(spec_file)
    if not result.valid:
        listing = "\n".join(error.format() for error in result.errors)
        raise AirflowFailException(f"The spec of '{slug}' does not pass its check; fix it by pull request:\n{listing}")
    force = result.specs[0]
    given = params.get("live_date") or ""
    try:
        live_date = date.fromisoformat(given) if given else date.fromisoformat(force.data["charging"]["live_from"])
    except ValueError:
        raise AirflowFailException(f"live_date '{given}' is not a date written YYYY-MM-DD") from None
    source = f"{context['dag'].dag_id if context.get('dag') else 'mark_force_live'} run {context['run_id']}"
    entry, changed = liveforces.mark_live(artifact_store(), force.slug, live_date, source)
    extra = {"force": entry.slug, "live_date": entry.live_date.isoformat(), "source": entry.source, "changed": changed}
    context["outlet_events"][asset].extra = extra
    print(f"{force.name} is live from {entry.live_date} ({'recorded' if changed else 'already recorded'})")
    return extra


def compute_charging(context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """Compute the charging model into <store>/platform/<run id>/charging/; fail on a model error or a
    failed quality check, with a readable summary; emit the summary on the Asset event."""
    from airflow.sdk.exceptions import AirflowFailException

    from . import chargingreport, chargingrun
    from .chargingmodel import ChargingModelError

    params = context.get("params") or {}
    scenario = params.get("scenario") or chargingrun.ALL
    for event in _triggering_events(context):
        print(f"triggered by {event}")
    store = artifact_store()
    folder = RunFolder.for_run(store, PLATFORM_SLUG, context["run_id"]).phase("charging")
    try:
        outcome = chargingrun.run(folder, [scenario], store=store)
    except ChargingModelError as error:
        raise AirflowFailException(
            f"The charging model cannot be computed; fix config/charging-model.yaml or the specs:\n{error.listing()}"
        ) from None
    if not outcome.ok and outcome.quality is not None:
        raise AirflowFailException(f"{outcome.quality.explain()}\nThe tables and report are in {folder}.")
    extra = chargingreport.asset_extra(outcome.summary, str(folder))
    context["outlet_events"][asset].extra = extra
    print(f"charging model: {', '.join(outcome.scenarios)} computed into {folder}")
    return {"folder": str(folder), "scenarios": outcome.scenarios}


def _triggering_events(context: dict[str, Any]) -> list[str]:
    events = context.get("triggering_asset_events") or {}
    described = []
    for asset, items in dict(events).items():
        for event in items:
            described.append(f"{getattr(asset, 'uri', asset)} {getattr(event, 'extra', {})}")
    return described
