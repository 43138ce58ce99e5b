"""E-mail notifications for real: Airflow runs the demo DAG (dag.test() in its own process) and its
notifiers send through the SMTP provider to an SMTP server on 127.0.0.1 started by the test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_sink import Mailbox, html_of, smtp_server

from conftest import ROOT, airflow_env

pytestmark = pytest.mark.slow
UI = "http://airflow.example:8080"
TEAM = "live-service@soh.example"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


def run_demo(spec_dir: Path, mailbox: Mailbox | None, code: str, **env: str) -> subprocess.Popen:
    """The demo DAG run by Airflow in a separate process, configured like a deployment."""
    extra = {"SOH_SPECS_DIR": str(spec_dir), "AIRFLOW__API__BASE_URL": UI, "AIRFLOW__SOH__NOTIFY_EMAIL": TEAM, **env}
    if mailbox is not None:
        extra["AIRFLOW_CONN_SOH_SMTP"] = mailbox.conn_uri
    program = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        "dag = DagBag(dag_folder='dags', safe_mode=True).dags['onboard_demo']\n" + code
    )
    return subprocess.Popen(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=airflow_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def contradict_the_screening(spec_dir: Path) -> None:
    """Innovative technology 'false' yet described: the screening stops the run with a question."""
    demo = spec_dir / "demo.yaml"
    text = demo.read_text(encoding="utf-8").replace(
        "    innovative_technology: false\n",
        "    innovative_technology: false\n    innovative_technology_description: face matching on CCTV stills\n",
    )
    demo.write_text(text, encoding="utf-8")


def test_a_failed_run_mails_the_force_and_the_team_with_a_link_to_the_task(
    airflow_db: Path, spec_dir: Path, mailbox: Mailbox
) -> None:
    contradict_the_screening(spec_dir)
    done = run_demo(spec_dir, mailbox, "print('STATE', dag.test(run_conf={'phases': ['dpia']}).state)")
    output = done.communicate(timeout=300)[0]
    assert "STATE failed" in output, output[-3000:]

    message = mailbox.wait_for("Demoshire Police: run failed", timeout=30)
    assert sorted(str(message["X-Envelope-To"]).split(", ")) == ["alex.morgan@demoshire.police.example", TEAM]
    assert message["From"] == "soh-onboarding@live-service.example"
    html = html_of(message)
    assert "The onboarding run of Demoshire Police failed at “Screen the processing" in html
    assert "dpia.screen" in html
    assert f'href="{UI}/dags/onboard_demo/runs/manual__' in html
    assert "/tasks/dpia.screen" in html
    assert len(mailbox.messages) == 1  # one e-mail per failed run, not one per task


def test_a_waiting_approval_mails_the_dpo_the_link_to_answer(
    airflow_db: Path, spec_dir: Path, mailbox: Mailbox
) -> None:
    """The DPO's task waits for ever under dag.test(): the mail arrives while it waits, then the run is ended."""
    running = run_demo(spec_dir, mailbox, "dag.test(run_conf={'phases': ['dpia']})")
    try:
        message = mailbox.wait_for("DPIA sign-off: Demoshire Police waits for you")
    finally:
        running.kill()
        running.communicate(timeout=60)
    assert sorted(str(message["X-Envelope-To"]).split(", ")) == ["dpo@demoshire.police.example", TEAM]
    html = html_of(message)
    assert "The onboarding of Demoshire Police waits for your decision." in html
    assert "Priya Shah (dpo@demoshire.police.example)" in html
    assert "Approve, Request changes, Reject" in html
    assert "the task fails after 14 days" in html
    assert f'href="{UI}/dags/onboard_demo/runs/manual__' in html
    assert "/tasks/dpia.dpo_decision/required_actions?map_index=-1" in html


def test_without_an_smtp_connection_the_dpo_task_still_waits(airflow_db: Path, spec_dir: Path) -> None:
    """Mail is off, not broken: the approval task goes on waiting and says so in its log."""
    running = run_demo(spec_dir, None, "dag.test(run_conf={'phases': ['dpia']})")
    lines: list[str] = []
    try:
        for line in running.stdout:
            lines.append(line)
            if "Waiting for Human-in-the-loop input" in line:
                break
    finally:
        running.kill()
        running.communicate(timeout=60)
    output = "".join(lines)
    assert "E-mail is off (no Airflow connection 'soh_smtp')" in output, output[-3000:]
    assert "Waiting for Human-in-the-loop input" in output
