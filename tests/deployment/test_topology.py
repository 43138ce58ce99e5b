"""The multi-machine deployment's topology for real, on one machine: PostgreSQL, Redis, the CeleryExecutor.

The services of docker-compose.yml run here as processes (tests/deployment/topology.py), with the DAGs
and specs from a git DAG bundle. The tests run in order, as an operator would see a force go live:
a merged pull request reaches Airflow without a redeploy; the demo force's onboarding, triggered and
approved through the REST API, runs on the Celery worker and records the commit it ran with; and the
charging model runs from the Asset event that marks the force live.

`tests/deployment/run_topology.sh` installs PostgreSQL and Redis from Debian and runs this file alone;
`./bin/test` installs them and runs it with everything else.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from topology import BUNDLE, WORKER_HOST, Cluster, git, missing_tools, start_topology

from conftest import demo_on_legacy_site
from soh_onboarding.artifacts import safe_name
from soh_onboarding.live import register as liveforces

pytestmark = pytest.mark.slow
DAG_ID = "onboard_demo"
LIVE_FORCES = "soh://platform/live-forces"
RUN_TIMEOUT = 1500  # seconds: two shared cores, five Airflow services and the crawl


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    missing = missing_tools()
    if missing:
        message = f"the deployment topology needs {', '.join(missing)}: tests/deployment/run_topology.sh --install"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them (bin/test): missing there is a failure, not a skip
        pytest.skip(message)
    with start_topology(tmp_path_factory.mktemp("topology")) as cluster:
        yield cluster


def scheduler_saw_finished(cluster: Cluster, dag_id: str, run_id: str, task_id: str, map_index: int) -> bool:
    """The scheduler has processed the executor's event for the task (see answer_approvals)."""
    line = f"TaskInstance Finished: dag_id={dag_id}, task_id={task_id}, run_id={run_id}, map_index={map_index},"
    return line in cluster.services["scheduler"].text()


def session_as(cluster: Cluster, username: str) -> requests.Session:
    return cluster.session_as(username)


def approving_answer(detail: dict) -> dict:
    """The answer that lets the run go on: the defaults, else 'Approve', else the first option."""
    options = detail["options"]
    chosen = detail.get("defaults") or (["Approve"] if "Approve" in options else options[:1])
    params = {
        name: value.get("value") if isinstance(value, dict) else value
        for name, value in (detail.get("params") or {}).items()
    }
    if isinstance(params.get("comment"), str):
        params["comment"] = "Approved in the deployment topology test"
    return {"chosen_options": chosen, "params_input": params}


def answer_approvals(cluster: Cluster, dag_id: str, run_id: str) -> tuple[str, list[dict]]:
    """Answer every human-in-the-loop task of the run as the person it is assigned to, until the run ends.

    Airflow 3.3.2 race (tests/dpia/test_dpia_approval.py): an answer given before the scheduler has processed
    the executor's event for the paused task makes the scheduler fail it. A person never answers that
    fast; this waits until the scheduler has logged the task's "TaskInstance Finished".
    """
    answered: list[dict] = []
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        cluster.check_alive()
        try:
            state = cluster.run_state(dag_id, run_id)
            pending = cluster.get(f"/dags/{dag_id}/dagRuns/{run_id}/hitlDetails?response_received=false")
        except requests.RequestException:  # a busy API server: ask again
            time.sleep(3)
            continue
        if state in ("success", "failed"):
            return state, answered
        for detail in pending["hitl_details"]:
            ti = detail["task_instance"]
            if ti["state"] != "awaiting_input" or not scheduler_saw_finished(
                cluster, dag_id, run_id, ti["task_id"], ti["map_index"]
            ):
                continue
            users = [user["id"] for user in detail.get("assigned_users") or []]
            session = session_as(cluster, users[0]) if users else cluster.session
            body = approving_answer(detail)
            path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/{ti['map_index']}/hitlDetails"
            reply = session.patch(f"{cluster.url}/api/v2{path}", json=body, timeout=60)
            assert reply.status_code == 200, reply.text
            answered.append({"task_id": ti["task_id"], "by": users[0] if users else "admin", **body})
        time.sleep(3)
    pytest.fail(f"run {run_id} of {dag_id} did not finish in {RUN_TIMEOUT}s:\n{cluster.log_tail()}")


def test_a_merged_pull_request_reaches_airflow_without_a_redeploy(cluster: Cluster) -> None:
    first = git(cluster.origin, "rev-parse", "HEAD")
    dag = cluster.wait_for("the demo DAG from the git bundle", lambda: cluster.get(f"/dags/{DAG_ID}"), 300)
    assert dag["bundle_name"] == BUNDLE
    assert dag["bundle_version"] == first

    # The demo force's pull request: its legacy site is the sandbox this test started.
    def point_the_demo_at_the_sandbox(repo: Path) -> None:
        demo = repo / "onboarding_specs" / "demo.yaml"
        text = demo.read_text(encoding="utf-8")
        demo.write_text(demo_on_legacy_site(text, f"127.0.0.1:{cluster.sandbox_port}"), encoding="utf-8")

    merged = cluster.commit("Demo force: legacy site on the test's sandbox", point_the_demo_at_the_sandbox)
    cluster.wait_for(
        "the DAG processor to parse the merged commit",
        lambda: cluster.get(f"/dags/{DAG_ID}")["bundle_version"] == merged,
        300,
    )
    cluster.merged = merged


def test_the_demo_force_onboards_on_the_celery_worker(cluster: Cluster) -> None:
    # Up to the published, verified site: the demo's accessibility gate stops its run on barriers its legacy
    # content carries (README, go-live locally), and go-live is tested end to end in test_golive_approval.py.
    run_id = cluster.trigger(
        DAG_ID, {"run_note": "deployment topology test", "phases": ["dpia", "migration", "provisioning"]}
    )
    state, answered = answer_approvals(cluster, DAG_ID, run_id)
    assert state == "success", cluster.log_tail()
    # Every approval of the run was answered once, by the person it is assigned to: here the DPO's.
    by_task = {answer["task_id"]: answer["by"] for answer in answered}
    assert len(by_task) == len(answered)
    assert by_task["dpia.dpo_decision"] == "dpo@demoshire.police.example"
    cluster.demo_run = run_id

    # The run records the commit it ran with: Airflow's bundle version, and the spec snapshot's.
    run = cluster.get(f"/dags/{DAG_ID}/dagRuns/{run_id}")
    assert run["bundle_version"] == cluster.merged
    spec_folder = cluster.base / "artifacts" / "demo" / safe_name(run_id) / "spec"
    snapshot = json.loads((spec_folder / "snapshot.json").read_text())
    assert snapshot["code"]["commit"] == cluster.merged
    assert snapshot["code"]["source"] == "bundle"
    assert f"127.0.0.1:{cluster.sandbox_port}" in (spec_folder / "spec.yaml").read_text()

    # The migration's chunks were mapped tasks, and the Celery worker ran them.
    mapped = cluster.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/migration.process/listMapped")
    chunks = mapped["task_instances"]
    assert len(chunks) >= 2, "the demo site should make several chunks"
    worker_log = cluster.services["celery-worker"].text()
    scheduler_log = cluster.services["scheduler"].text()
    separate_host = f"hostname {WORKER_HOST}" in " ".join(cluster.services["celery-worker"].popen.args)
    for ti in chunks:
        assert ti["state"] == "success"
        assert ti["queue"] == "default"
        if separate_host:
            assert ti["hostname"] == WORKER_HOST
        finished = re.search(
            rf"TaskInstance Finished: dag_id={DAG_ID}, task_id=migration\.process, run_id={re.escape(run_id)}, "
            rf"map_index={ti['map_index']},.*?executor=(\S+)",
            scheduler_log,
        )
        assert finished and finished.group(1).startswith("CeleryExecutor"), finished
        # The worker's own log: it took the chunk from Redis, with the bundle version to run it from.
        workload = re.search(
            rf"Executing workload in Celery: .*bundle_info=BundleInfo\(name='{BUNDLE}', version='(\w+)'\) "
            rf"log_path='dag_id={DAG_ID}/run_id={re.escape(run_id)}/task_id=migration\.process/map_index={ti['map_index']}/",
            worker_log,
        )
        assert workload and workload.group(1) == cluster.merged, f"chunk {ti['map_index']} is not in the worker's log"
    assert f"{WORKER_HOST}@" in worker_log  # the worker's name, as `--celery-hostname` set it
    assert cluster.task_state(DAG_ID, run_id, "migration.finish") == "success"


def test_the_charging_model_runs_from_the_live_forces_asset_event(cluster: Cluster) -> None:
    def events_of(dag_id: str, run_id: str) -> list[dict]:
        query = urlencode({"source_dag_id": dag_id, "source_run_id": run_id})  # run ids have a '+'
        return cluster.get(f"/assets/events?{query}")["asset_events"]

    emitted = events_of(DAG_ID, cluster.demo_run)
    if not any(event["uri"] == LIVE_FORCES for event in emitted):
        # This run left go-live out (see above): the operator marks the force live, as after a manual go-live.
        marked = cluster.trigger("mark_force_live", {"force": "demo"})
        assert cluster.wait_for_run("mark_force_live", marked, RUN_TIMEOUT) == "success", cluster.log_tail()
        emitted = events_of("mark_force_live", marked)
    [event] = [event for event in emitted if event["uri"] == LIVE_FORCES]
    assert event["extra"]["force"] == "demo"

    def charging_run() -> dict | None:
        runs = cluster.get("/dags/charging_model/dagRuns?run_type=asset_triggered")["dag_runs"]
        for run in runs:
            upstream = cluster.get(f"/dags/charging_model/dagRuns/{run['dag_run_id']}/upstreamAssetEvents")
            if any(item["id"] == event["id"] for item in upstream["asset_events"]):
                return run
        return None

    run = cluster.wait_for("the charging model's run from the asset event", charging_run, 300)
    state = cluster.wait_for_run("charging_model", run["dag_run_id"], RUN_TIMEOUT)
    assert state == "success", cluster.log_tail()
    compute = cluster.task_state("charging_model", run["dag_run_id"], "compute")
    assert compute == "success"
    assert [force.slug for force in liveforces.live_forces(cluster.base / "artifacts")] == ["demo"]


def test_no_secret_reaches_a_log_or_an_artifact(cluster: Cluster) -> None:
    """Secrets live in the environment and Connections: no service's log, task log or artifact holds one."""
    folders = [cluster.base / "artifacts", cluster.home / "logs"]
    files = [service.log for service in cluster.services.values()]
    files += [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    assert len(files) > 20
    for path in files:
        content = path.read_bytes()
        for name, secret in cluster.secrets.items():
            assert secret.encode() not in content, f"the {name} is in {path}"
