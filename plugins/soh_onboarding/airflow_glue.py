"""The one module of the library that knows Airflow: configuration, context, and failing a task.

The DAG files in dags/ wire tasks to the functions here; these functions turn Airflow's context and
configuration into plain arguments for the domain modules, and their results back into task results.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from . import project, provenance, reports, spec
from .artifacts import RunFolder, write_json

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
    {
        "title": "Provisioning",
        "text": "sets up the force's tenant on the platform (name, domains, branding); once the DPO has signed off, "
        "enables its services; once the migration is done, publishes its pages, documents and redirects in "
        "batches (only what changed; a re-run resumes), reads them back to verify, and records the preview URL.",
    },
    {
        "title": "Accessibility",
        "text": "audits the tenant's preview against the spec's WCAG standard with axe-core, IBM Equal Access, "
        "HTML_CodeSniffer and a keyboard probe in Chromium, compares each legacy page with its new home "
        "through the redirect map, writes the report and a draft accessibility statement, and fails the run "
        "when the violations exceed the spec's thresholds, so go-live cannot follow.",
    },
    {
        "title": "Go-live",
        "text": "checks DNS, TLS, security headers, key pages, every old URL, robots.txt, sitemap.xml, security.txt, "
        "mixed content and the prerequisites, and writes the checklist; with nothing failed, asks the go-live "
        "approver; on approval switches the tenant live and records the force live (the charging model then "
        "runs); a refusal changes nothing.",
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


def ui_base() -> str:
    """Airflow's UI as people reach it (`[api] base_url`), for links in e-mails and pages."""
    from airflow.configuration import conf

    return (conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")


def run_url(dag_id: str, run_id: str) -> str:
    """A DAG run in the Airflow UI."""
    from urllib.parse import quote

    return f"{ui_base()}/dags/{dag_id}/runs/{quote(run_id, safe='')}"


def task_url(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
    """A task instance in the Airflow UI (its log, details, and for a HITL task its required action)."""
    mapped = f"/mapped/{map_index}" if map_index is not None and map_index >= 0 else ""
    return f"{run_url(dag_id, run_id)}/tasks/{task_id}{mapped}"


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
    code = provenance.code_version(force.path, bundle_version(context))
    note = (context.get("params") or {}).get("run_note") or ""
    record = provenance.snapshot_spec(force, folder.phase("spec"), code, context["run_id"], note)
    print(f"Spec {force.path.name} is valid; snapshot in {folder.root / 'spec'} (commit {code.commit or 'unknown'})")
    options = run_options(context)
    print(f"Phases chosen: {', '.join(options['phases']) or 'none'}{'; dry run' if options['dry_run'] else ''}")
    return {"run_folder": str(folder.root), "spec_sha256": record["spec_sha256"], "commit": code.commit}


def bundle_version(context: dict[str, Any]) -> str | None:
    """The version (a git bundle's commit) of the DAG bundle the task was parsed from; None for an
    unversioned bundle such as a local dags folder. The task instance knows it; the Task SDK's dag_run
    does not carry it, older contexts might."""
    bundle = getattr(context.get("ti"), "bundle_instance", None)
    return getattr(bundle, "version", None) or getattr(context.get("dag_run"), "bundle_version", None)


def specs_dir(context: dict[str, Any]) -> Path:
    """The specs of the checkout the running DAG came from (deployed: the git bundle's commit)."""
    return project.specs_dir(getattr(context.get("dag"), "fileloc", None))


# --- DPIA ----------------------------------------------------------------------------------------


def _screen_snapshot(folder: RunFolder) -> tuple[dict[str, Any], Any, Any]:
    """Screen the spec exactly as the run snapshotted it."""
    from airflow.sdk.exceptions import AirflowFailException

    from . import dpia
    from .dpia import catalogue

    spec_data = provenance.read_snapshot(folder.root / "spec")
    try:
        services = catalogue.load()
        return spec_data, services, dpia.screen(spec_data, services)
    except (catalogue.CatalogueError, dpia.ScreeningQuestions) as exc:
        raise AirflowFailException(str(exc)) from None


def dpia_screen(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Screen, write the scoping document, and say whether the DPO must be asked (again)."""
    from . import dpia

    phase_gate("dpia", context)
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
        decision = dpia.Decision.from_answer(
            answer, spec_data, fingerprint=screening.fingerprint, run_id=context["run_id"]
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

    params = context.get("params") or {}
    slug = str(params.get("force") or "").strip()
    spec_file = specs_dir(context) / f"{slug}.yaml"
    if not slug or not spec_file.is_file():
        raise AirflowFailException(
            f"No spec for force '{slug}' in {specs_dir(context)}: mark live only onboarded forces."
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
    return _record_live(force.slug, force.name, live_date, context, asset)


def _record_live(slug: str, name: str, live_date: Any, context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """Record the force in the live-forces register and put it on the Asset event (mark_force_live, go-live)."""
    from . import liveforces

    source = f"{context['dag'].dag_id if context.get('dag') else 'mark_force_live'} run {context['run_id']}"
    entry, changed = liveforces.mark_live(artifact_store(), slug, live_date, source)
    extra = {"force": entry.slug, "live_date": entry.live_date.isoformat(), "source": entry.source, "changed": changed}
    context["outlet_events"][asset].extra = extra
    print(f"{name} is live from {entry.live_date} ({'recorded' if changed else 'already recorded'})")
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
        outcome = chargingrun.run(folder, [scenario], store=store, specs_dir=specs_dir(context))
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
"""Pages per mapped processing task: small enough to spread a large site over Celery workers
(`[soh] migration_chunk_pages` overrides it: smaller chunks spread a site over more workers)."""


def chunk_pages() -> int:
    from airflow.configuration import conf

    return max(1, conf.getint("soh", "migration_chunk_pages", fallback=CHUNK_PAGES))


def _migration(slug: str, context: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    folder = run_folder(slug, context)
    return provenance.read_snapshot(folder.root / "spec"), folder.phase("migration")


def migration_crawl(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Crawl the legacy site into the run's folder; a retry or re-run resumes from its journal."""
    from .migration import pipeline

    phase_gate("migration", context)
    spec_data, folder = _migration(slug, context)
    limit = (context.get("params") or {}).get("page_limit")
    return pipeline.crawl_site(spec_data, folder, max_pages=limit).as_dict()


def migration_plan(slug: str, context: dict[str, Any]) -> list[dict[str, int]]:
    """Map every old URL; return one job per chunk of pages, for the mapped processing tasks."""
    from .migration import pipeline

    spec_data, folder = _migration(slug, context)
    decided = pipeline.plan(spec_data, folder)
    chunks = max(1, -(-len(decided.pages) // chunk_pages()))
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
    previous = pipeline.previous_migration(artifact_store(), slug)  # before this run writes its summary.json
    summary = pipeline.finish(spec_data, folder, crawled, previous)
    report = artifact_url(folder / "migration-report.html")
    print(f"migrated {summary.pages_migrated} pages; report: {report}")
    if not summary.quality_passed:
        raise AirflowFailException(f"The migration's quality checks failed (report: {report}):\n{summary.quality}")
    return asdict(summary)


# --- the trigger form: phases to run, dry run --------------------------------------------------

RUN_PHASES = {
    "dpia": "DPIA and the DPO's sign-off",
    "migration": "Content migration",
    "provisioning": "Provisioning on the platform",
    "accessibility": "Accessibility audit",
    "go_live": "Go-live checks, the go-live decision and the switch",
}
"""The phases an operator can choose in the trigger form, in the order of the flow, with their labels.
A phase that lands adds one line here, and calls `phase_gate` first thing in its first task(s)."""


def run_options(context: dict[str, Any]) -> dict[str, Any]:
    """The trigger form's choices for this run: {"phases": [...], "dry_run": bool}. A run triggered
    without them (REST, the schedule) runs every phase for real."""
    params = context.get("params") or {}
    phases = params.get("phases")
    return {
        "phases": list(RUN_PHASES) if phases is None else [str(phase) for phase in phases],
        "dry_run": bool(params.get("dry_run") or False),
    }


def phase_gate(phase: str, context: dict[str, Any]) -> None:
    """Skip this task, saying why, when the operator did not choose `phase` for this run.

    Call it first in a phase's first task(s): the phase's later tasks are skipped with it (their trigger
    rules see a skipped upstream), and so is every later phase that needs this one's output in the run.
    The reason is the task's log line in the UI."""
    from airflow.sdk.exceptions import AirflowSkipException

    if phase not in RUN_PHASES:
        raise ValueError(f"unknown phase {phase!r}; add it to airflow_glue.RUN_PHASES")
    chosen = run_options(context)["phases"]
    if phase not in chosen:
        listed = ", ".join(RUN_PHASES[name] for name in chosen if name in RUN_PHASES) or "none"
        raise AirflowSkipException(
            f"Skipped: '{RUN_PHASES[phase]}' was not chosen in this run's trigger form (phases chosen: {listed})."
        )


OUTCOME_FILE = "outcome.json"
"""In the run's folder: the tasks that failed, written by the run's last task for the failure e-mail."""


def fail_the_run(slug: str, context: dict[str, Any]) -> None:
    """The last task of every onboarding run, run only when another task failed: it fails the run.

    Airflow sets a run's state from its last tasks; when the operator left later phases out (skipped),
    a failure in an earlier one would otherwise end the run as a success and send no failure e-mail.
    It records which tasks failed, so the e-mail names them rather than this task."""
    from airflow.sdk.exceptions import AirflowFailException

    ti = context["ti"]
    states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
    failed = sorted(task_id for task_id, state in states.items() if state == "failed" and task_id != ti.task_id)
    write_json(run_folder(slug, context).root / OUTCOME_FILE, {"failed_tasks": failed})
    raise AirflowFailException(
        f"Failed in this run: {', '.join(failed) or 'a task (see the grid)'}. The run is failed so that a phase "
        "left out of the run cannot hide it; the failed task's log says what went wrong."
    )


def failed_tasks(dag_id: str, run_id: str) -> list[str]:
    """The failed tasks the run's last task recorded (empty when it did not run or cannot be read)."""
    import json

    slug = dag_id.removeprefix("onboard_")
    try:
        path = RunFolder.for_run(artifact_store(), slug, run_id).root / OUTCOME_FILE
        return list(json.loads(path.read_text(encoding="utf-8")).get("failed_tasks") or [])
    except (OSError, ValueError):
        return []


def is_dry_run(context: dict[str, Any]) -> bool:
    """True when the operator asked for a dry run: do everything (crawl, check, report, ask for approvals)
    except what changes the outside world — writing to the platform, switching DNS, marking a force live.
    A phase calls `dry_run_skips` before each such write, and writes its report either way."""
    return run_options(context)["dry_run"]


def dry_run_skips(context: dict[str, Any], action: str) -> bool:
    """True (and a log line saying what was not done) when `action` must not happen in this dry run:

    if not airflow_glue.dry_run_skips(context, f"create the tenant {slug} on the platform"):
        client.create_tenant(...)
    """
    if is_dry_run(context):
        print(f"Dry run: did not {action}.")
        return True
    return False


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


def attach_params(dag: Any, params: dict[str, Any]) -> None:
    """Give a DAG built without params its trigger form, once its tasks exist.

    Airflow deep-copies a DAG's params into every operator made inside it, once per class of the
    operator's hierarchy (four times for a @task), and the DAG processor then serialises each task's copy,
    validating every Param against its JSON Schema several times per task (`ParamsDict.dump()` in
    `_is_excluded`). The copies change nothing a task sees: at run time a task's params are the DAG's,
    then its own, then the run's conf (`airflow.sdk.definitions.param.process_params`). Building the tasks
    first and attaching the form afterwards skips the copies altogether; the DAG's params, the trigger
    form and every task's run-time params are those of Airflow's default build (tests/test_dags.py).
    Airflow validates a DAG's params at construction only for a scheduled DAG; ours have no schedule."""
    from airflow.sdk.definitions.param import ParamsDict

    if dag.timetable.can_be_scheduled:
        raise ValueError(f"{dag.dag_id}: a scheduled DAG must get its params at construction, to be validated")
    object.__setattr__(dag, "params", ParamsDict(params))


# --- go-live -------------------------------------------------------------------------------------


def _golive_settings() -> Any:
    """config/go-live.yaml with the environment's overrides; a broken file fails the task, located."""
    from airflow.sdk.exceptions import AirflowFailException

    from .golive import settings

    try:
        return settings.load()
    except settings.SettingsError as error:
        raise AirflowFailException(str(error)) from None


def golive_check(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Run every go-live check on the run's snapshot of the spec; write the checklist; fail on a failed check
    (the approver is only asked to decide on a checklist with nothing failed)."""
    from airflow.sdk.exceptions import AirflowFailException

    from .golive import checks

    phase_gate("go_live", context)
    folder = run_folder(slug, context)
    spec_data = provenance.read_snapshot(folder.root / "spec")
    checklist, rows = checks.run_checks(spec_data, _golive_settings(), folder.root)
    out = folder.phase("go_live")
    checks.write_report(out, checklist, rows)
    report = artifact_url(out / checks.HTML_NAME)
    for check in checklist.checks:
        print(f"{check.status.upper():4} {check.key}: {check.summary}")
    counts = checklist.counts()
    if not checklist.passed:
        failed = "\n".join(f"- {c.key}: {c.summary} [{', '.join(c.findings)}]" for c in checklist.failed())
        raise AirflowFailException(
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


def golive_switch(slug: str, context: dict[str, Any], asset: Any, switch: Any = None) -> dict[str, Any]:
    """Record the approver's decision; on approval switch the tenant live (`switch(spec_data)`, the
    platform's API), record the force live and emit the live-forces Asset; on refusal change nothing."""
    import json
    from datetime import UTC, datetime

    from airflow.sdk.exceptions import AirflowFailException

    from .golive import decision as golive_decision

    answer = context["ti"].xcom_pull(task_ids="go_live.decision")
    folder = run_folder(slug, context)
    out = folder.phase("go_live")
    spec_data = provenance.read_snapshot(folder.root / "spec")
    checklist = json.loads((out / "checklist.json").read_text(encoding="utf-8"))
    if not answer:
        raise AirflowFailException("no go-live decision was recorded; answer the go-live task in the Airflow UI")
    decision = golive_decision.Decision.from_answer(answer, spec_data, run_id=context["run_id"])
    golive_decision.record_decision(out, decision, checklist)
    if not decision.approved:
        raise AirflowFailException(
            f"Go-live refused: {decision.why_not()}. Nothing was changed: the tenant is not switched live, "
            "the live-forces register and the charging model are as they were."
        )
    if dry_run_skips(context, f"switch {spec_data['force']['name']} live and record it live (approved)"):
        return {"approved_by": decision.responded_by, "platform": None, "dry_run": True}
    if switch is None:
        switch = lambda data: golive_decision.switch_live(platform_client(), data["tenant"]["tenant_id"])  # noqa: E731
    switched = switch(spec_data)
    live_date = datetime.now(UTC).date()
    extra = _record_live(slug, spec_data["force"]["name"], live_date, context, asset)
    golive_decision.record_live(folder.force, folder.root, decision, checklist, live_date.isoformat(), switched)
    print(f"Go-live approved by {decision.responded_by}; {spec_data['force']['name']} is live from {live_date}")
    return extra | {"approved_by": decision.responded_by, "platform": switched}


# --- after go-live: the daily checks of every live force -------------------------------------------


def monitored_forces() -> list[str]:
    """The forces of the live-forces register that still have a spec (the checks need its domains)."""
    from . import liveforces

    slugs = [force.slug for force in liveforces.live_forces(artifact_store())]
    kept = [slug for slug in slugs if (project.specs_dir() / f"{slug}.yaml").is_file()]
    for slug in sorted(set(slugs) - set(kept)):
        print(f"{slug} is in the live-forces register but has no spec in {project.specs_dir()}: not checked")
    print(f"checking {len(kept)} live force(s): {', '.join(kept) or 'none'}")
    return kept


def _live_spec(slug: str) -> dict[str, Any]:
    """The live force's spec as it is now; an invalid one fails the task with every error located."""
    from airflow.sdk.exceptions import AirflowFailException

    result = spec.load_one(project.specs_dir() / f"{slug}.yaml")
    if not result.valid:
        listing = "\n".join(error.format() for error in result.errors)
        raise AirflowFailException(f"the spec of live force {slug} does not pass its check:\n{listing}")
    return result.specs[0].data


def monitor_force(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Re-run the machine checks of one live force and compare with its go-live and its last check."""
    from .artifacts import force_folder
    from .golive import checks, decision, monitor

    spec_data = _live_spec(slug)
    store = artifact_store()
    record = decision.approved_record(force_folder(store, slug))
    run = force_folder(store, slug) / record["run"] if record else None
    checklist, _ = checks.run_checks(spec_data, _golive_settings(), run, prerequisites=False, live=True)
    last = monitor.last_result(store, slug)
    outcome = monitor.compare(
        checklist, record["baseline_findings"] if record else [], last["findings"] if last else None
    )
    line = monitor.record(store, checklist, outcome)
    for finding in outcome.new:
        print(f"NEW REGRESSION {finding}")
    for finding in outcome.fixed:
        print(f"fixed since the last check: {finding}")
    print(f"{slug}: {checklist.status}; {len(outcome.open)} open regression(s), {len(outcome.new)} new")
    return line


def monitoring_summary(lines: list[dict[str, Any]] | None, context: dict[str, Any]) -> dict[str, Any]:
    """Write the dashboard's summary; fail (the alert) when any force has a new regression."""
    from airflow.sdk.exceptions import AirflowFailException

    from .golive import monitor

    lines = [line for line in (lines or []) if line]
    path = monitor.summarise(artifact_store(), lines, _now())
    alerts = [line for line in lines if line.get("alert")]
    print(f"summary for the dashboard: {artifact_url(path)}")
    if alerts:
        listing = "\n".join(f"- {line['force']}: {', '.join(line['new_regressions'])}" for line in alerts)
        raise AirflowFailException(f"Regressions on {len(alerts)} live force(s):\n{listing}")
    return {"forces": len(lines), "alerts": 0}


# --- after go-live: the monthly accessibility re-audit of every live force ----------------------------


def reaudit_force(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Re-audit one live force's live site; compare with the audit its go-live passed with and the last
    re-audit. Playwright is imported by the audit only, here at run time."""
    from airflow.sdk.exceptions import AirflowFailException

    from .accessibility import monitor

    spec_data = _live_spec(slug)
    store = artifact_store()
    try:
        done = monitor.reaudit(spec_data, _golive_settings(), store, progress=print)
    except monitor.ReauditError as error:
        raise AirflowFailException(f"{slug}: {error}") from None
    line = monitor.record(store, done)
    if done.baseline is None:
        print(f"NO BASELINE: {done.baseline_missing}; every serious or critical violation counts")
    for item in done.outcome.new:
        print(f"NEW ACCESSIBILITY REGRESSION {item}")
    for item in done.outcome.fixed:
        print(f"fixed since the last re-audit: {item}")
    if done.statement.overdue:
        print(f"the accessibility statement (drafted {done.statement.drafted or 'never'}) is due for review")
    print(
        f"{slug}: {done.outcome.status}; {len(done.outcome.open)} open regression(s), {len(done.outcome.new)} new; "
        f"{line['pages']} page(s) in {line['seconds']} s; report {artifact_url(store / line['report'])}"
    )
    return line


def reaudit_summary(lines: list[dict[str, Any]] | None, context: dict[str, Any]) -> dict[str, Any]:
    """Write the dashboard's summary of the re-audits; fail (the alert) on new regressions, a live site
    none of whose pages could be audited, or a live force whose re-audit task failed (e.g. its spec no
    longer passes its check: the task's log says why)."""
    from airflow.sdk.exceptions import AirflowFailException

    from .accessibility import monitor

    lines = [line for line in (lines or []) if line]
    path = monitor.summarise(artifact_store(), lines, _now())
    print(f"summary for the dashboard: {artifact_url(path)}")
    listed = (context["ti"].xcom_pull(task_ids="live_forces") if "ti" in context else None) or []
    alerts = [f"- {line['force']}: {', '.join(line['new_regressions'])}" for line in lines if line.get("alert")]
    alerts += [
        f"- {line['force']}: no page could be audited" for line in lines if line["status"] == monitor.NOT_AUDITED
    ]
    alerts += [
        f"- {slug}: not re-audited, its task failed (see its log)"
        for slug in sorted(set(listed) - {line["force"] for line in lines})
    ]
    if alerts:
        raise AirflowFailException(
            "Accessibility re-audit alerts (new serious or critical violations, or no audit):\n" + "\n".join(alerts)
        )
    return {"forces": len(lines), "alerts": 0}


# --- provisioning on the platform ----------------------------------------------------------------

PLATFORM_CONN_ID = "soh_platform"
"""The Airflow Connection to the platform's admin API: host, port and schema (http or https) or
extra {"base_url": ...}; the API token as its password."""


def platform_client() -> Any:
    """A client of the platform's API with the URL and token of the Connection soh_platform."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

    from .provisioning.client import Credentials, PlatformClient, PlatformError

    try:
        conn = Connection.get(PLATFORM_CONN_ID)
    except AirflowNotFoundException:
        raise AirflowFailException(
            f"No Airflow Connection '{PLATFORM_CONN_ID}': create it with the platform's URL and API token "
            "(locally ./bin/run sets AIRFLOW_CONN_SOH_PLATFORM for the sandbox)"
        ) from None
    extra = conn.extra_dejson or {}
    base_url = extra.get("base_url") or f"{conn.schema or 'https'}://{conn.host}" + (
        f":{conn.port}" if conn.port else ""
    )
    try:
        return PlatformClient(Credentials(base_url, conn.password or ""))
    except PlatformError as error:
        raise AirflowFailException(f"The Connection '{PLATFORM_CONN_ID}' is not usable: {error}") from None


def _on_platform(work: Any) -> Any:
    """Run `work(client)`: a refusal (4xx) or a redirect (3xx: the Connection points at the wrong place)
    fails the task for good; giving up on a failing platform (5xx, timeouts) raises for Airflow to retry
    the task later."""
    from airflow.sdk.exceptions import AirflowFailException

    from .provisioning.client import PlatformError

    with platform_client() as client:
        try:
            result = work(client)
        except PlatformError as error:
            if error.status is not None and error.status < 500:
                raise AirflowFailException(f"The platform refused: {error}") from None
            raise
        print(f"platform calls: {client.stats.as_dict()}")
        return result


def _provisioning(slug: str, context: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    folder = run_folder(slug, context)
    return provenance.read_snapshot(folder.root / "spec"), folder.phase("migration"), folder.phase("provisioning")


def provisioning_tenant(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    from . import provisioning

    phase_gate("provisioning", context)
    spec_data, _, _ = _provisioning(slug, context)
    if dry_run_skips(context, f"create or update the tenant {spec_data['tenant']['tenant_id']} on the platform"):
        return {"tenant_id": spec_data["tenant"]["tenant_id"], "preview_url": None, "state": None, "dry_run": True}
    tenant = _on_platform(lambda client: provisioning.ensure_tenant(client, spec_data))
    print(f"tenant {tenant['tenant_id']} ({tenant['state']}): domains {', '.join(tenant['domains'])}")
    return {"tenant_id": tenant["tenant_id"], "preview_url": tenant["preview_url"], "state": tenant["state"]}


def provisioning_services(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    from . import provisioning

    spec_data, _, _ = _provisioning(slug, context)
    if dry_run_skips(context, f"enable {len(spec_data['tenant']['services'])} services on the platform"):
        return {"services": [], "dry_run": True}
    tenant = _on_platform(lambda client: provisioning.enable_services(client, spec_data))
    print(f"services enabled: {', '.join(tenant['services'])}")
    return {"services": tenant["services"]}


def provisioning_publish(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Publish the run's migration; a retry or a re-run sends only what the platform does not have yet."""
    from dataclasses import asdict

    from . import provisioning

    spec_data, migration, _ = _provisioning(slug, context)
    tenant_id = spec_data["tenant"]["tenant_id"]
    if dry_run_skips(context, f"publish the migration's pages, documents and redirects to the tenant {tenant_id}"):
        return {}
    published = _on_platform(lambda client: provisioning.publish(client, tenant_id, migration))
    return {kind: asdict(done) for kind, done in published.items()}


def provisioning_verify(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Read everything back; write provisioning.json and the report; record the preview URL."""
    from airflow.sdk.exceptions import AirflowFailException

    from . import provisioning

    spec_data, migration, out = _provisioning(slug, context)
    tenant_id = spec_data["tenant"]["tenant_id"]
    if dry_run_skips(context, f"verify the tenant {tenant_id} (nothing was published)"):
        return {"tenant_id": tenant_id, "preview_url": None, "dry_run": True}
    sent = context["ti"].xcom_pull(task_ids="provisioning.publish") or {}
    published = {kind: provisioning.Published(**done) for kind, done in sent.items()}

    def check(client: Any) -> Any:
        checked = provisioning.verify(client, tenant_id, migration)
        return provisioning.write_outputs(out, spec_data, client.get_tenant(tenant_id), published, checked)

    result = _on_platform(check)
    report = artifact_url(out / "provisioning-report.html")
    if not result.ok:
        raise AirflowFailException(
            "The platform does not hold what was published:\n" + "\n".join(result.verification.problems) + f"\n{report}"
        )
    counts = result.verification.counts
    print(
        f"verified: {counts['pages']} pages, {counts['assets']} assets, {counts['redirects']} redirects; report {report}"
    )
    print(f"preview: {result.preview_url}")
    return {"tenant_id": tenant_id, "preview_url": result.preview_url, "live_url": result.live_url, "counts": counts}


# --- accessibility ------------------------------------------------------------------------------


def accessibility_audit(slug: str, context: dict[str, Any], site_url: str | None = None) -> dict[str, Any]:
    """Audit the tenant's site and judge the gate: the sitemap under `site_url`, by default the tenant's
    preview as provisioning recorded it (provisioning/provisioning.json, `preview_url`).

    With the run's migration/redirects.csv, the legacy pages whose new home was audited are audited
    too (before and after). Playwright is imported by the audit only, here at run time.
    """
    import json

    from airflow.sdk.exceptions import AirflowFailException

    from .accessibility import compare, run

    phase_gate("accessibility", context)
    folder = run_folder(slug, context)
    spec_data = provenance.read_snapshot(folder.root / "spec")
    out = folder.phase("accessibility")
    verified = context["ti"].xcom_pull(task_ids="provisioning.verify") if "ti" in context else None
    if site_url is None and verified:
        site_url = verified["preview_url"]
    if site_url is None:
        provisioned = folder.root / "provisioning" / "provisioning.json"
        if not provisioned.exists():
            raise AirflowFailException(f"{provisioned} is missing: provisioning must run first (it gives the preview)")
        site_url = json.loads(provisioned.read_text(encoding="utf-8"))["preview_url"]
    base = site_url.rstrip("/") + "/"
    redirects = None
    redirects_csv = folder.root / "migration" / "redirects.csv"
    if redirects_csv.exists():
        redirects = compare.read_redirects(
            redirects_csv.read_text(encoding="utf-8"), source=str(redirects_csv), new_base=base
        )
    outcome = run.run(
        [base + "sitemap.xml"],
        out,
        settings=dict(spec_data.get("accessibility") or {}),
        key_paths=list((spec_data.get("go_live") or {}).get("key_pages", {}).values()),
        redirects=redirects,
        force=spec_data["force"]["name"],
        contact_email=spec_data["contacts"]["digital_lead"]["email"],
        site=base,
        progress=print,
        legacy_connect_to=spec_data["legacy_site"].get("crawl", {}).get("connect_to"),
    )
    report = artifact_url(out / outcome.files["report"])
    print(outcome.gate.summary())
    print(f"report: {report}; statement draft: {artifact_url(out / outcome.files['statement_html'])}")
    if not outcome.gate.passed:
        raise AirflowFailException(f"{outcome.gate.summary()}\nreport: {report}")
    return {
        "pages": len(outcome.result.audited),
        "violations": len(outcome.result.findings),
        "needs_review": len(outcome.result.needs_review),
        "errors": len(outcome.result.errors),
        "gate": outcome.gate.as_dict(),
        "comparison": outcome.comparison.totals if outcome.comparison else None,
        "report": report,
    }
