"""The one module of the library that knows Airflow: configuration, context, and failing a task.

The DAG files in dags/ wire tasks to the functions here; these functions turn Airflow's context and
configuration into plain arguments for the domain modules, and their results back into task results.
"""

from __future__ import annotations

import copy
import gc
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
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
    {
        "title": "Content migration",
        "text": "beside the DPIA: crawls the legacy site politely (resumable), maps every old URL to a redirect, "
        "an archive or unresolved, extracts and sanitises each page in chunks spread over workers, and "
        "writes the inventory, redirects.csv, the clean content and the migration report.",
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


# --- content migration ---------------------------------------------------------------------------

CHUNK_PAGES = 500
"""Pages per mapped processing task: small enough to spread a large site over Celery workers."""


def _migration(slug: str, context: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    folder = run_folder(slug, context)
    return provenance.read_snapshot(folder.root / "spec"), folder.phase("migration")


def migration_crawl(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Crawl the legacy site into the run's folder; a retry or re-run resumes from its journal."""
    from .migration import pipeline

    spec_data, folder = _migration(slug, context)
    limit = (context.get("params") or {}).get("page_limit")
    return pipeline.crawl_site(spec_data, folder, max_pages=limit).as_dict()


def migration_plan(slug: str, context: dict[str, Any]) -> list[dict[str, int]]:
    """Map every old URL; return one job per chunk of pages, for the mapped processing tasks."""
    from .migration import pipeline

    spec_data, folder = _migration(slug, context)
    decided = pipeline.plan(spec_data, folder)
    chunks = max(1, -(-len(decided.pages) // CHUNK_PAGES))
    print(
        f"{len(decided.pages)} pages, {len(decided.assets)} documents and images, {len(decided.mappings)} old URLs mapped; {chunks} chunk(s)"
    )
    return [{"chunk": chunk, "chunks": chunks} for chunk in range(chunks)]


def migration_process(slug: str, job: dict[str, int], context: dict[str, Any]) -> int:
    from .migration import pipeline

    spec_data, folder = _migration(slug, context)
    done = pipeline.process(spec_data, folder, job["chunk"], job["chunks"])
    print(f"chunk {job['chunk'] + 1} of {job['chunks']}: {done} pages extracted, sanitised and re-linked")
    return done


def migration_finish(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    from dataclasses import asdict

    from airflow.sdk.exceptions import AirflowFailException

    from .migration import pipeline

    spec_data, folder = _migration(slug, context)
    crawled = context["ti"].xcom_pull(task_ids="migration.crawl")
    summary = pipeline.finish(spec_data, folder, crawled)
    report = artifact_url(folder / "migration-report.html")
    print(f"migrated {summary.pages_migrated} pages; report: {report}")
    if not summary.quality_passed:
        raise AirflowFailException(f"The migration's quality checks failed (report: {report}):\n{summary.quality}")
    return asdict(summary)


# --- parse time: how the shard files build thousands of DAGs quickly --------------------------------

DAG_BUILDER_MODULE = "soh_onboarding_dag_builder"


def dag_builder(path: Path) -> ModuleType:
    """The module that builds the onboarding DAGs (dags/onboarding.py), for the shard files that use it.

    Loaded by path, since Airflow does not promise the DAG folder is on sys.path, and under one name, so
    a process that parses every shard file (a DagBag over dags/) defines the tasks once. Loaded again
    when the file changed, as a long-lived process re-parsing the folder would expect."""
    stamp = path.stat().st_mtime_ns
    loaded = sys.modules.get(DAG_BUILDER_MODULE)
    if loaded is not None and loaded.__file__ == str(path) and getattr(loaded, "_soh_stamp", None) == stamp:
        return loaded
    module_spec = importlib.util.spec_from_file_location(DAG_BUILDER_MODULE, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load the DAG builder from {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[DAG_BUILDER_MODULE] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[DAG_BUILDER_MODULE]
        raise
    module._soh_stamp = stamp  # type: ignore[attr-defined]
    return module


@contextmanager
def bulk_build() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a DAG file builds its DAGs.

    Every operator and task group refers back to its DAG, and all of them live as long as the parse, so
    each collection walks every object built so far for nothing: about 15% of the time at 1,000 DAGs.
    Collection resumes afterwards, as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def share_params(dag: Any) -> None:
    """Let the DAG's tasks copy its trigger form (params) cheaply.

    Airflow deep-copies the DAG's params into each operator once per class of its hierarchy (four times
    for a @task), so that every task has Param objects of its own. The deep copy walks every schema
    (types, titles, descriptions): a third of the time it took to build a DAG. After this call the copies
    are still new Param objects with their own values and sources, but they share the (never modified)
    schema dicts, as Airflow's own Param.__copy__ does. The DAG's params keep their keys, values and
    order, so the trigger form and the serialised DAG are unchanged."""
    params = dag.params
    object.__setattr__(dag, "params", _shared_schema_params()(params, params.suppress_exception))


def drop_dag_param_copies(dag: Any) -> None:
    """Take the copies of the DAG's params off its tasks, once the DAG is built; keep the tasks' own.

    A task's params at run time are the DAG's, then the task's own, then the run's conf
    (`airflow.sdk.definitions.param.process_params`), so the copies change nothing a task sees. But the
    DAG processor serialises every task's params, and on the way Airflow validates each Param against
    its JSON Schema several times per task (`ParamsDict.dump()` in `_is_excluded` and `str()`): three
    quarters of the time to serialise one of our DAGs (23 to 5 ms), more than building it."""
    from airflow.sdk.definitions.param import ParamsDict

    for task in dag.tasks:
        params = task.params
        own = {key: params.get_param(key) for key in params if params.get_param(key).source != "dag"}
        if len(own) < len(params):
            task.params = ParamsDict(own, params.suppress_exception)


@cache
def _shared_schema_params() -> type:
    from airflow.sdk.definitions.param import Param, ParamsDict

    class SharedSchemaParams(ParamsDict):
        """A DAG's params whose deep copy shares the schemas (see share_params)."""

        __slots__ = ()

        def __deepcopy__(self, memo: dict[int, Any] | None) -> ParamsDict:
            copies = {}
            for key in self:
                param = self.get_param(key)
                value = copy.deepcopy(param.value, memo)
                copies[key] = Param(value, param.description, source=param.source, schema=param.schema)
            return ParamsDict(copies, self.suppress_exception)

    return SharedSchemaParams
