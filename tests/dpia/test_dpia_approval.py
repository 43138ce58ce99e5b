"""The DPO's sign-off for real: a running Airflow, the DPO answering through the REST API.

One Airflow for the module; the tests run in order on the demo force, as its onboarding would go:
the first run asks the DPO, who approves, and the site is published to the sandbox platform; a second run
with the same spec does not ask again and re-sends nothing; after a new service is enabled the DPO is
asked again, sees the difference, and rejects, which stops the run before anything is enabled or published.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from airflow_server import Airflow, start_airflow
from conftest import copy_specs

pytestmark = pytest.mark.slow
DAG_ID = "onboard_demo"
DPO = "dpo@demoshire.police.example"
THROUGH_PROVISIONING = ["dpia", "migration", "provisioning"]
"""The phases these runs choose: they are about the DPO's decision, and stop short of the audit and go-live
(the full run, go-live approval included, is tests/ui/test_operator_ui.py's)."""


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    base = tmp_path_factory.mktemp("dpia")
    specs = copy_specs(base / "specs", "demo.yaml")
    with start_airflow(base, specs) as airflow:
        airflow.specs = specs
        yield airflow


TASK = "dpia.dpo_decision"


def hitl_path(run_id: str) -> str:
    return Airflow.hitl_path(DAG_ID, run_id, TASK)


def wait_for_the_dpo_task(airflow: Airflow, run_id: str) -> dict:
    return airflow.wait_for_approval(DAG_ID, run_id, TASK)


def dpo_session(airflow: Airflow, user: str = DPO) -> requests.Session:
    """Signed in as the DPO (or another person the spec names), with the e-mail address the spec gives."""
    return airflow.session_as(user)


def answer_as_dpo(airflow: Airflow, run_id: str, option: str, comment: str) -> requests.Response:
    return airflow.answer_as(DPO, DAG_ID, run_id, TASK, option, comment)


def dpia_folder(airflow: Airflow, run_id: str) -> Path:
    from soh_onboarding.artifacts import safe_name

    return airflow.home.parent / "artifacts" / "demo" / safe_name(run_id) / "dpia"


def approved_record(airflow: Airflow) -> dict:
    return json.loads((airflow.home.parent / "artifacts" / "demo" / "dpia-approved.json").read_text())


def test_the_first_run_asks_the_dpo_and_records_the_approval(airflow: Airflow) -> None:
    run_id = airflow.trigger(DAG_ID, {"run_note": "first onboarding run", "phases": THROUGH_PROVISIONING})
    details = wait_for_the_dpo_task(airflow, run_id)
    assert details["subject"] == "DPIA sign-off: Demoshire Police"
    assert "a full DPIA is required" in details["body"]
    assert "no earlier approved DPIA for this force" in details["body"]
    link = re.search(r"\[DPIA scoping document\]\((http[^)]+)\)", details["body"]).group(1)
    assert link.startswith(f"{airflow.url}/soh/artifacts/demo/")
    assert details["options"] == ["Approve", "Request changes", "Reject"]
    assert details["assigned_users"] == [{"id": DPO, "name": "Priya Shah"}]

    # Assigned to the DPO: the admin cannot answer in the DPO's place.
    refused = airflow.session.patch(
        f"{airflow.url}/api/v2{hitl_path(run_id)}", json={"chosen_options": ["Approve"]}, timeout=10
    )
    assert refused.status_code == 403

    # The link opens the document for a signed-in user, and for nobody else.
    document = dpo_session(airflow).get(link, timeout=10)
    assert document.status_code == 200 and document.headers["content-type"].startswith("text/html")
    assert "<h1>DPIA scoping: Demoshire Police on the Single Online Home</h1>" in document.text
    assert requests.get(link, timeout=10).status_code in (401, 403)
    assert dpo_session(airflow).get(f"{airflow.url}/soh/artifacts/demo/../../etc/passwd", timeout=10).status_code == 404

    assert answer_as_dpo(airflow, run_id, "Approve", "Measures agreed with the digital lead").status_code == 200
    assert airflow.wait_for_run(DAG_ID, run_id) == "success"

    decision = json.loads((dpia_folder(airflow, run_id) / "decision.json").read_text())
    assert decision["option"] == "Approve" and decision["approved"] is True
    assert decision["comment"] == "Measures agreed with the digital lead"
    assert DPO in decision["responded_by"]
    assert decision["responded_at"]
    assert approved_record(airflow)["decision"]["run_id"] == run_id
    document = (dpia_folder(airflow, run_id) / "dpia-scoping.md").read_text()
    assert "| DPO's decision | **Approve** by Priya Shah" in document

    # Approved and migrated, the site is published to the sandbox platform bin/run started, and verified.
    assert airflow.task_state(DAG_ID, run_id, "provisioning.verify") == "success"
    provisioned = json.loads((dpia_folder(airflow, run_id).parent / "provisioning" / "provisioning.json").read_text())
    assert provisioned["ok"] and provisioned["preview_url"] == f"{airflow.platform_url}/preview/demo/"
    assert provisioned["published"]["pages"]["created"] == provisioned["verification"]["counts"]["pages"] > 20
    home = requests.get(provisioned["preview_url"], timeout=10)
    assert home.status_code == 200 and "Skip to main content" in home.text and "Demoshire Police" in home.text
    token = (airflow.home.parent / "sandbox" / "platform-token").read_text().strip()
    for task in ("provisioning.tenant", "provisioning.publish", "provisioning.verify"):
        log = airflow.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task}/logs/1?full_content=true")
        assert token not in json.dumps(log)


def test_a_second_run_with_the_same_spec_does_not_ask_again(airflow: Airflow) -> None:
    first = approved_record(airflow)["decision"]["run_id"]
    run_id = airflow.trigger(DAG_ID, {"phases": THROUGH_PROVISIONING})
    assert airflow.wait_for_run(DAG_ID, run_id) == "success"
    assert airflow.task_state(DAG_ID, run_id, "dpia.dpo_decision") == "skipped"
    assert airflow.task_state(DAG_ID, run_id, "dpia.approval_stands") == "success"
    decision = json.loads((dpia_folder(airflow, run_id) / "decision.json").read_text())
    assert decision["cites"] == first
    assert f"Approval of run {first} stands" in decision["comment"]
    provisioned = json.loads((dpia_folder(airflow, run_id).parent / "provisioning" / "provisioning.json").read_text())
    assert provisioned["ok"] and all(done["sent"] == 0 for done in provisioned["published"].values())


def test_a_new_service_asks_the_dpo_again_and_a_rejection_stops_the_run(airflow: Airflow) -> None:
    before = approved_record(airflow)
    spec_file = airflow.specs / "demo.yaml"
    spec_file.write_text(
        spec_file.read_text(encoding="utf-8").replace("    - clares-law\n", "    - clares-law\n    - sarahs-law\n"),
        "utf-8",
    )
    run_id = airflow.trigger(DAG_ID)
    details = wait_for_the_dpo_task(airflow, run_id)
    assert "service enabled: sarahs-law" in details["body"]

    assert answer_as_dpo(airflow, run_id, "Reject", "Sarah's Law needs its own assessment").status_code == 200
    assert airflow.wait_for_run(DAG_ID, run_id) == "failed"
    assert airflow.task_state(DAG_ID, run_id, "dpia.record") == "failed"
    # Nothing is enabled or published without the DPO's approval.
    assert airflow.task_state(DAG_ID, run_id, "provisioning.services") == "upstream_failed"
    assert airflow.task_state(DAG_ID, run_id, "provisioning.publish") == "upstream_failed"
    decision = json.loads((dpia_folder(airflow, run_id) / "decision.json").read_text())
    assert decision["option"] == "Reject" and decision["approved"] is False
    assert approved_record(airflow) == before  # a rejection never replaces the standing approval
    log = airflow.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/dpia.record/logs/1?full_content=true")
    text = json.dumps(log)
    assert "The DPO chose 'Reject': Sarah's Law needs its own assessment" in text
