"""Each force sees and approves only its own onboarding, on a running Airflow with FAB's auth manager.

One Airflow (bin/run: scheduler, DAG processor, triggerer, API server, as `airflow standalone` starts
them, with the logins access-sync made from the specs) for two forces: Demoshire (force A) and the
Metropolitan Police (force B). Demoshire's DPO signs in through the REST API and a real browser.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_server import Airflow, start_airflow
from conftest import ROOT, copy_specs

pytestmark = pytest.mark.slow

A, B = "onboard_demo", "onboard_metropolitan"
A_DPO, B_DPO = "dpo@demoshire.police.example", "dpo@met.police.example"
NATIONAL = "live-service@soh.police.example"
TASK = "dpia.dpo_decision"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    base = tmp_path_factory.mktemp("access")
    specs = copy_specs(base / "specs", "demo.yaml", "metropolitan.yaml")
    with start_airflow(base, specs) as airflow:
        airflow.specs = specs
        airflow.wait_for("both DAGs", lambda: {A, B} <= {d["dag_id"] for d in airflow.get("/dags")["dags"]} or None)
        yield airflow


@pytest.fixture(scope="module")
def b_run(airflow: Airflow) -> str:
    """A run of force B waiting for its DPO: triggered by the national team, the DPIA phase only."""
    reply = airflow.session_as(NATIONAL).post(
        f"{airflow.url}/api/v2/dags/{B}/dagRuns", json={"logical_date": None, "conf": {"phases": ["dpia"]}}, timeout=10
    )
    assert reply.status_code == 200, reply.text
    run_id = reply.json()["dag_run_id"]
    airflow.wait_for_approval(B, run_id, TASK)
    return run_id


def dag_ids(session: requests.Session, airflow: Airflow) -> set[str]:
    reply = session.get(f"{airflow.url}/api/v2/dags", params={"limit": 100}, timeout=10)
    assert reply.status_code == 200, reply.text
    return {dag["dag_id"] for dag in reply.json()["dags"]}


def test_the_run_command_says_where_the_passwords_are(airflow: Airflow) -> None:
    text = airflow.log.read_text()
    assert f"{airflow.home}/passwords.json" in text
    assert (airflow.home / "passwords.json").stat().st_mode & 0o777 == 0o600
    assert "admin" in json.loads((airflow.home / "passwords.json").read_text())


def test_a_forces_dpo_sees_only_their_force(airflow: Airflow) -> None:
    # and rollback_force, a platform DAG whose decision a force's approvers answer (never trigger)
    assert dag_ids(airflow.session_as(A_DPO), airflow) == {A, "rollback_force"}
    refused = airflow.session_as(A_DPO).post(
        f"{airflow.url}/api/v2/dags/rollback_force/dagRuns", json={"logical_date": None}, timeout=10
    )
    assert refused.status_code == 403, refused.text
    assert {A, B, "charging_model"} <= dag_ids(airflow.session_as(NATIONAL), airflow)
    assert airflow.session_as(A_DPO).get(f"{airflow.url}/api/v2/dags/{B}", timeout=10).status_code == 403


def test_no_default_password_and_a_wrong_one_is_refused(airflow: Airflow) -> None:
    assert airflow.token("admin", "admin").status_code == 401
    assert airflow.token(A_DPO, "wrong password").status_code == 401


def test_a_forces_dpo_cannot_trigger_another_force(airflow: Airflow) -> None:
    session = airflow.session_as(A_DPO)
    reply = session.post(f"{airflow.url}/api/v2/dags/{B}/dagRuns", json={"logical_date": None}, timeout=10)
    assert reply.status_code == 403, reply.text


@pytest.mark.parametrize(
    "path",
    [
        "metropolitan/{run}/dpia/dpia-scoping.html",
        "metropolitan/{run}/dpia/screening.json",
        "metropolitan/no-such-run/dpia/dpia-scoping.html",  # 403 before 404: no probing of names
        "demo/../metropolitan/{run}/dpia/dpia-scoping.html",
        "demo/%2e%2e/metropolitan/{run}/dpia/dpia-scoping.html",
        "demo%2F..%2Fmetropolitan/{run}/dpia/dpia-scoping.html",
        "./metropolitan/{run}/dpia/dpia-scoping.html",
        "platform/live-forces.json",
    ],
)
def test_another_forces_files_are_forbidden(airflow: Airflow, b_run: str, path: str) -> None:
    from soh_onboarding.artifacts import safe_name

    url = f"{airflow.url}/soh/artifacts/" + path.format(run=safe_name(b_run))
    # Sent as written: requests would resolve the dot segments itself, as a browser does.
    signed_in = airflow.session_as(A_DPO)
    request = requests.Request("GET", url, headers={"Authorization": signed_in.headers["Authorization"]}).prepare()
    request.url = url
    reply = signed_in.send(request, timeout=10)
    assert reply.status_code == 403, (path, reply.status_code, reply.text[:200])


def test_the_owners_and_the_national_team_open_the_files(airflow: Airflow, b_run: str) -> None:
    from soh_onboarding.artifacts import safe_name

    url = f"{airflow.url}/soh/artifacts/metropolitan/{safe_name(b_run)}/dpia/dpia-scoping.html"
    for user in (B_DPO, NATIONAL, "admin"):
        reply = airflow.session_as(user).get(url, timeout=10)
        assert reply.status_code == 200, (user, reply.status_code)
        assert "Metropolitan Police Service" in reply.text


def test_only_the_assigned_dpo_answers_the_approval(airflow: Airflow, b_run: str) -> None:
    for user in (A_DPO, NATIONAL, "admin"):  # another force's DPO, the national team, the admin: none named
        reply = airflow.answer_as(user, B, b_run, TASK, "Approve", f"{user} tries")
        assert reply.status_code == 403, (user, reply.status_code, reply.text)
    assert airflow.get(Airflow.hitl_path(B, b_run, TASK))["response_received"] is False
    reply = airflow.answer_as(B_DPO, B, b_run, TASK, "Reject", "not ours to publish yet")
    assert reply.status_code == 200, reply.text
    assert reply.json()["responded_by"]["name"] == B_DPO, reply.json()


def test_the_onboarding_record_is_the_forces_and_the_national_teams(airflow: Airflow, b_run: str) -> None:
    import io
    import zipfile

    assert airflow.wait_for_run(B, b_run) == "failed"  # the DPO rejected: the decision is recorded, the run stops
    url = f"{airflow.url}/soh/forces/metropolitan/record.zip"
    assert airflow.session_as(A_DPO).get(url, timeout=60).status_code == 403
    assert requests.get(url, timeout=60).status_code == 401
    for user in (B_DPO, NATIONAL):
        reply = airflow.session_as(user).get(url, timeout=120)
        assert reply.status_code == 200, (user, reply.status_code, reply.text[:300])
        assert reply.headers["content-type"] == "application/zip"
        assert "metropolitan-onboarding-record-" in reply.headers["content-disposition"]
        manifest = json.loads(zipfile.ZipFile(io.BytesIO(reply.content)).read("manifest.json"))
        runs = {run["run_id"]: run for run in manifest["runs"]}
        assert runs[b_run]["who_triggered"] == NATIONAL  # from Airflow's database
        decisions = [d for d in manifest["decisions"] if d.get("run_id") == b_run]
        assert any(d["option"] == "Reject" and B_DPO in d["responded_by"] for d in decisions), decisions
        assert any(d["comment"] == "not ours to publish yet" for d in decisions), decisions


def sync(airflow: Airflow, specs: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env |= {"AIRFLOW_HOME": str(airflow.home), "SOH_SPECS_DIR": str(specs), "PYTHONPATH": str(ROOT / "plugins")}
    command = (
        f'source bin/airflow-env && python -m soh_onboarding access-sync --passwords "{airflow.home}/passwords.json"'
    )
    return subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_new_dpo_in_the_spec_moves_the_rights_on_the_next_sync(airflow: Airflow, b_run: str) -> None:
    again = sync(airflow, airflow.specs)
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stdout  # idempotent: bin/run synced at start
    spec = airflow.specs / "demo.yaml"
    original = spec.read_text(encoding="utf-8")
    spec.write_text(original.replace(A_DPO, "new.dpo@demoshire.police.example"), encoding="utf-8")
    try:
        moved = sync(airflow, airflow.specs)
        assert moved.returncode == 0, moved.stderr
        assert "user created: new.dpo@demoshire.police.example" in moved.stdout
        assert f"user disabled (no longer named in a spec): {A_DPO}" in moved.stdout
        assert airflow.token(A_DPO).status_code in (401, 403)  # the old DPO's login no longer works
        assert dag_ids(airflow.session_as("new.dpo@demoshire.police.example"), airflow) == {A, "rollback_force"}
    finally:
        spec.write_text(original, encoding="utf-8")
    back = sync(airflow, airflow.specs)
    assert "user disabled (no longer named in a spec): new.dpo@demoshire.police.example" in back.stdout, back.stdout
    assert f"user {A_DPO}: " in back.stdout and "(enabled again)" in back.stdout, back.stdout


def test_in_the_browser_a_dpo_sees_only_their_force(airflow: Airflow, b_run: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{airflow.url}/")
        page.fill("input[name=username]", A_DPO)
        page.fill("input[name=password]", airflow.password(A_DPO))
        page.press("input[name=password]", "Enter")
        page.wait_for_url(lambda url: "/auth/login" not in url)
        page.goto(f"{airflow.url}/dags")
        page.get_by_text("Demoshire Police: onboarding").first.wait_for()
        assert page.get_by_text("Metropolitan Police Service: onboarding").count() == 0
        page.goto(f"{airflow.url}/soh/dashboard")
        assert page.locator("#forces tr[data-force='demo']").count() == 1
        assert page.locator("#forces tr[data-force='metropolitan']").count() == 0
        assert "Metropolitan" not in page.content()
    finally:
        context.close()
