"""The README's run command for real: bin/run starts Airflow standalone; its REST API shows the DAGs.

One Airflow is started for the module (about a minute), with a copy of the specs in which one is
broken, and checked as an operator would: the valid forces have DAGs, the broken spec is an import
error naming its line, and a triggered demo run succeeds and writes its snapshot.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conftest import ROOT, SPECS

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"bin/run exited ({process.returncode}) while waiting for {what}:\n{log.read_text()[-4000:]}")
        try:
            value = check()
        except (requests.RequestException, OSError, KeyError, ValueError):
            value = None
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}:\n{log.read_text()[-4000:]}")


class Airflow:
    def __init__(self, url: str, home: Path, process: subprocess.Popen, log: Path) -> None:
        self.url, self.home, self.process, self.log = url, home, process, log
        self.session = requests.Session()

    def login(self) -> None:
        passwords = self.home / "simple_auth_manager_passwords.json.generated"
        password = json.loads(passwords.read_text())["admin"]
        reply = self.session.post(
            f"{self.url}/auth/token", json={"username": "admin", "password": password}, timeout=10
        )
        reply.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def get(self, path: str) -> dict:
        reply = self.session.get(f"{self.url}/api/v2{path}", timeout=10)
        reply.raise_for_status()
        return reply.json()


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    base = tmp_path_factory.mktemp("standalone")
    specs = base / "specs"
    specs.mkdir()
    for spec_file in SPECS.glob("*.yaml"):
        (specs / spec_file.name).write_bytes(spec_file.read_bytes())
    broken = specs / "hampshire.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("nation: England", "nation: Englnd", 1), "utf-8")

    port = free_port()
    home = base / "airflow-home"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "PYTEST")) and key not in ("PYTHONPATH", "SOH_SPECS_DIR")
    }
    env.update(
        AIRFLOW_HOME=str(home),
        SOH_AIRFLOW_PORT=str(port),
        SOH_SPECS_DIR=str(specs),
        AIRFLOW__SOH__ARTIFACT_STORE=(base / "artifacts").as_uri(),
    )
    log = base / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "run")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    airflow = Airflow(f"http://127.0.0.1:{port}", home, process, log)
    try:
        wait_for(
            "the API server",
            lambda: requests.get(f"{airflow.url}/api/v2/monitor/health", timeout=5).ok,
            300,
            process,
            log,
        )
        airflow.login()
        yield airflow
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_run_command_prints_where_to_log_in(airflow: Airflow) -> None:
    text = airflow.log.read_text()
    assert "open http://127.0.0.1:" in text
    assert "simple_auth_manager_passwords.json.generated" in text


def test_valid_forces_have_dags_and_the_broken_spec_is_an_import_error(airflow: Airflow) -> None:
    def onboarding_dags() -> set[str] | None:
        ids = {dag["dag_id"] for dag in airflow.get("/dags")["dags"] if dag["dag_id"].startswith("onboard_")}
        return ids if len(ids) >= 3 else None

    ids = wait_for("the onboarding DAGs", onboarding_dags, 180, airflow.process, airflow.log)
    assert ids == {"onboard_demo", "onboard_metropolitan", "onboard_thames-valley"}
    dag = airflow.get("/dags/onboard_thames-valley")
    assert dag["dag_display_name"] == "Thames Valley Police: onboarding"

    errors = wait_for(
        "the import error", lambda: airflow.get("/importErrors")["import_errors"], 120, airflow.process, airflow.log
    )
    [error] = errors
    assert error["filename"].endswith("onboarding_spec_errors.py")
    assert "hampshire.yaml:" in error["stack_trace"]
    assert "force.nation: 'Englnd' is not an allowed value" in error["stack_trace"]


def test_a_triggered_demo_run_succeeds(airflow: Airflow) -> None:
    wait_for("the demo DAG", lambda: airflow.get("/dags/onboard_demo"), 180, airflow.process, airflow.log)
    reply = airflow.session.post(
        f"{airflow.url}/api/v2/dags/onboard_demo/dagRuns",
        json={"logical_date": None, "conf": {"run_note": "from the REST API"}},
        timeout=10,
    )
    assert reply.status_code in (200, 201), reply.text
    run_id = reply.json()["dag_run_id"]

    def finished() -> str | None:
        state = airflow.get(f"/dags/onboard_demo/dagRuns/{run_id}")["state"]
        return state if state in ("success", "failed") else None

    assert wait_for("the demo run", finished, 240, airflow.process, airflow.log) == "success"
    snapshots = list((airflow.home.parent / "artifacts" / "demo").glob("*/spec/snapshot.json"))
    assert [json.loads(p.read_text())["note"] for p in snapshots] == ["from the REST API"]
