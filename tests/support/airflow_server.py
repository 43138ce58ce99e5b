"""A real Airflow for tests: `bin/run` (airflow standalone on SQLite) on a free port, driven by REST.

Tests that need the scheduler, the API and the UI together start one per module with `start_airflow`
and talk to it as an operator's tools would: log in, trigger runs, answer approvals, read states.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import demo_on_legacy_site

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Airflow:
    """A running Airflow and an authenticated REST session to it."""

    def __init__(self, url: str, home: Path, process: subprocess.Popen, log: Path) -> None:
        self.url, self.home, self.process, self.log = url, home, process, log
        self.platform_url = ""  # the sandbox platform bin/run started beside it
        self.session = requests.Session()

    POLL_SECONDS = 1.0
    READ_TIMEOUT, WRITE_TIMEOUT = 10.0, 90.0
    """Seconds a REST call may take; the topology's five services on two shared cores need more. A write
    waits for SQLite's one writer: a trigger in the go-live approval test once took over 30 s while a fresh
    Airflow ran its daily checks and re-audit, and is not retried after a timeout (it may have been done)."""

    def check_alive(self, what: str) -> None:
        """Fail the test, with the log, when Airflow has exited."""
        if self.process.poll() is not None:
            pytest.fail(f"Airflow exited ({self.process.returncode}) while waiting for {what}:\n{self.log_tail()}")

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 180) -> Any:
        """Poll `check` until it returns something truthy; fail with the server's log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive(what)
            try:
                value = check()
            except (requests.RequestException, OSError, KeyError, ValueError):
                value = None
            if value:
                return value
            time.sleep(self.POLL_SECONDS)
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def password(self, user: str) -> str:
        """bin/run's local password of a login (access-sync keeps them in $AIRFLOW_HOME/passwords.json)."""
        return json.loads((self.home / "passwords.json").read_text())[user]

    def token(self, user: str, password: str | None = None) -> requests.Response:
        """FAB's token endpoint, as the REST API's clients sign in."""
        body = {"username": user, "password": self.password(user) if password is None else password}
        return requests.post(f"{self.url}/auth/token", json=body, timeout=10)

    def login(self) -> None:
        reply = self.token("admin")
        reply.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def get(self, path: str) -> Any:
        reply = self.session.get(f"{self.url}/api/v2{path}", timeout=self.READ_TIMEOUT)
        reply.raise_for_status()
        return reply.json()

    def post(self, path: str, body: dict) -> Any:
        reply = self._write("post", path, body)
        assert reply.status_code in (200, 201), reply.text
        return reply.json()

    def patch(self, path: str, body: dict) -> Any:
        reply = self._write("patch", path, body)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def _write(self, method: str, path: str, body: dict, attempts: int = 4) -> requests.Response:
        """Send a change, again after a pause if Airflow answers "Database error", as an operator clicks again.

        On SQLite (bin/run's database) one writer holds the lock at a time: a fresh Airflow runs the daily
        checks and the monthly re-audit at once, and a request that waits more than the driver's 5 s for the
        lock fails with a 500 "Database error". Airflow writes the request's audit-log entry before it handles
        the request (a dependency of every endpoint, where both CI failures were), so the request was not
        handled. Any other answer, and the last one, is the test's to judge."""
        for _ in range(attempts - 1):
            reply = self.session.request(method, f"{self.url}/api/v2{path}", json=body, timeout=self.WRITE_TIMEOUT)
            if reply.status_code != 500 or "Database error" not in reply.text:
                return reply
            time.sleep(3)
        return self.session.request(method, f"{self.url}/api/v2{path}", json=body, timeout=self.WRITE_TIMEOUT)

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        """Trigger a run once the DAG is known to the API; returns the run id."""
        self.wait_for(f"DAG {dag_id}", lambda: self.get(f"/dags/{dag_id}"))
        return self.post(f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 240) -> str:
        def finished() -> str | None:
            state = self.run_state(dag_id, run_id)
            return state if state in ("success", "failed") else None

        return self.wait_for(f"run {run_id} of {dag_id}", finished, timeout)

    def task_state(self, dag_id: str, run_id: str, task_id: str) -> str | None:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")["state"]

    @staticmethod
    def hitl_path(dag_id: str, run_id: str, task_id: str) -> str:
        """The REST path of an approval task's human-in-the-loop details (read them, or answer with PATCH)."""
        return f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails"

    def wait_for_approval(self, dag_id: str, run_id: str, task_id: str, timeout: float = 240) -> dict:
        """An approval task's details, once it waits for its answer and the scheduler has seen it pause.

        Airflow 3.3.2 race (like apache/airflow#66374 for deferred tasks): an answer given before the
        scheduler has processed the executor's event for the paused task makes the scheduler fail the
        task. A person never answers that fast; this waits until the scheduler has logged the event."""
        self.wait_for(
            f"{task_id} to wait for input",
            lambda: self.task_state(dag_id, run_id, task_id) == "awaiting_input",
            timeout,
        )
        processed = f"TaskInstance Finished: dag_id={dag_id}, task_id={task_id}, run_id={run_id},"
        self.wait_for(
            f"the scheduler to see {task_id} paused",
            lambda: processed in self.log.read_text(errors="replace"),
            120,
        )
        return self.get(self.hitl_path(dag_id, run_id, task_id))

    def session_as(self, user: str) -> requests.Session:
        """Signed in as a person the specs name (their e-mail address), with bin/run's generated password."""
        session = requests.Session()
        token = self.token(user)
        token.raise_for_status()
        session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return session

    def answer_as(
        self, user: str, dag_id: str, run_id: str, task_id: str, option: str, comment: str
    ) -> requests.Response:
        """Answer an approval task as `user`, with an option and a comment, as the person would in the UI."""
        return self.session_as(user).patch(
            f"{self.url}/api/v2{self.hitl_path(dag_id, run_id, task_id)}",
            json={"chosen_options": [option], "params_input": {"comment": comment}},
            timeout=10,
        )


@contextmanager
def start_airflow(base: Path, specs: Path | None = None, **env_extra: str) -> Iterator[Airflow]:
    """Start `bin/run` with its own Airflow home, artifact store, sandbox ports (legacy site, platform) and
    sandbox data, and (optionally) specs folder under `base`; the demo spec in `specs` is pointed at this
    Airflow's legacy site sandbox. `airflow.platform_url` is its sandbox platform."""
    port, sandbox_port, platform_port = free_port(), free_port(), free_port()
    home = base / "airflow-home"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "PYTEST", "SOH_GOLIVE_"))
        and key not in ("PYTHONPATH", "SOH_SPECS_DIR", "SOH_CACHE_DIR")
    }
    defaults = dict(
        AIRFLOW_HOME=str(home),
        SOH_AIRFLOW_PORT=str(port),
        SOH_SANDBOX_PORT=str(sandbox_port),
        SOH_SANDBOX_PAGES="60",  # a small legacy site: the tests are about the orchestration
        SOH_SANDBOX_PLATFORM_PORT=str(platform_port),
        SOH_SANDBOX_EDGE_PORT=str(free_port()),  # the sandbox edge (Cloudflare's API)
        SOH_SANDBOX_CMS_PORT=str(free_port()),  # the sandbox CMS: not 8084, so two runs side by side do not collide
        SOH_SANDBOX_DIR=str(base / "sandbox"),
        SOH_SANDBOX_DNS_PORT=str(free_port()),  # the sandbox ingress, which the go-live checks are pointed at
        SOH_SANDBOX_HTTP_PORT=str(free_port()),
        SOH_SANDBOX_HTTPS_PORT=str(free_port()),
        SOH_CACHE_DIR=str(base / "spec-cache"),
        AIRFLOW__SOH__ARTIFACT_STORE=(base / "artifacts").as_uri(),
        # This checkout's library, whatever editable install the venv holds (worktrees share one venv).
        PYTHONPATH=str(ROOT / "plugins"),
    )
    env.update(defaults | env_extra)  # the test's own values win (e.g. its sandbox folder)
    if specs is not None:
        env["SOH_SPECS_DIR"] = str(specs)
        demo = specs / "demo.yaml"
        if demo.exists():  # the demo force's legacy site is the sandbox bin/run starts, on its own port here
            text = demo_on_legacy_site(demo.read_text(encoding="utf-8"), f"127.0.0.1:{sandbox_port}")
            demo.write_text(text, encoding="utf-8")
    log = base / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "run")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    airflow = Airflow(f"http://127.0.0.1:{port}", home, process, log)
    airflow.platform_url = f"http://127.0.0.1:{platform_port}"
    try:
        airflow.wait_for(
            "the API server", lambda: requests.get(f"{airflow.url}/api/v2/monitor/health", timeout=5).ok, 300
        )
        airflow.login()
        yield airflow
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)
        # bin/run exits once it has signalled its components, but a scheduler can hang in its shutdown with
        # its executor's workers: whatever of the group is left is killed, so no test leaves Airflow behind
        time.sleep(2)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
