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
