"""The operators' view in a real browser: `bin/run` (Airflow standalone with the sandbox) driven by headless
Debian Chromium through Playwright, as the National Live Service team and the DPO would use it.

The tests run in order on one Airflow: the operator signs in and triggers the demo force's full onboarding
from the trigger form (every phase, with a page limit so it fits a test); the DPO gets an e-mail (an SMTP
server started here), follows its link and approves in the UI; the run migrates, provisions, audits and
checks the site, and the go-live approver, mailed in turn, approves going live in the UI; the run succeeds,
the switch's asset event runs the charging model, and the dashboard and each task's report links show it.
Screenshots go to docs/screenshots/ (the README's operator walkthrough uses them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
import requests
from smtp_sink import Mailbox, html_of, smtp_server

from airflow_server import Airflow, start_airflow
from conftest import ROOT, copy_specs
from soh_onboarding.glue import options

pytestmark = pytest.mark.slow
SHOTS = ROOT / "docs" / "screenshots"
DAG_ID = "onboard_demo"
PAGE_LIMIT = 120
"""The trigger form's page limit: the whole flow on a sample of the demo's legacy site, so the test fits CI."""
DPO = "dpo@demoshire.police.example"
APPROVER = "sam.okafor@demoshire.police.example"
TEAM = "live-service@soh.example"
STATE: dict[str, Any] = {}
"""What one test hands the next (the run id, the e-mail's link)."""


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Airflow]:
    base = tmp_path_factory.mktemp("operator-ui")
    specs = copy_specs(base / "specs")
    with start_airflow(
        base,
        specs,
        AIRFLOW_CONN_SOH_SMTP=mailbox.conn_uri,
        AIRFLOW__SOH__NOTIFY_EMAIL=TEAM,
    ) as airflow:
        yield airflow


def password(airflow: Airflow, user: str) -> str:
    return airflow.password(user)


@contextmanager
def signed_in(browser: Any, airflow: Airflow, user: str) -> Iterator[Any]:
    """A new browser session signed in through Airflow's login page, closed after use: an open Airflow
    page polls the API server, which slows the tasks' calls to it on a small machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield _sign_in(context.new_page(), airflow, user)
    finally:
        context.close()


def _sign_in(page: Any, airflow: Airflow, user: str) -> Any:
    page.set_default_timeout(60_000)
    page.goto(f"{airflow.url}/")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password(airflow, user))
    if user == "admin":
        shot(page, "01-sign-in")
    page.press("input[name=password]", "Enter")  # FAB's sign-in form
    page.wait_for_url(lambda url: "/auth/login" not in url)
    return page


def shot(page: Any, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def dashboard_row(page: Any, slug: str) -> dict[str, str]:
    row = page.locator(f"#forces tr[data-force='{slug}']")
    cells = row.locator("td[data-col]")
    return {cells.nth(i).get_attribute("data-col"): cells.nth(i).inner_text() for i in range(cells.count())}


def test_the_plugin_refuses_anyone_not_signed_in(airflow: Airflow) -> None:
    for path in ("/soh/dashboard", "/soh/artifacts/platform/live-forces.json", "/soh/artifacts/demo/x/dpia/a.html"):
        assert requests.get(f"{airflow.url}{path}", timeout=10).status_code == 401, path
        forged = requests.get(f"{airflow.url}{path}", cookies={"_token": "forged"}, timeout=10)
        assert forged.status_code in (401, 403), path
        bearer = requests.get(f"{airflow.url}{path}", headers={"Authorization": "Bearer forged"}, timeout=10)
        assert bearer.status_code in (401, 403), path


def test_the_operator_triggers_the_demo_force_from_the_trigger_form(airflow: Airflow, browser: Any) -> None:
    airflow.wait_for(f"DAG {DAG_ID}", lambda: airflow.get(f"/dags/{DAG_ID}"))
    with signed_in(browser, airflow, "admin") as page:
        # The dashboard is in Airflow's navigation.
        page.get_by_role("link", name="Onboarding").click()
        page.wait_for_url(f"{airflow.url}/plugin/soh-onboarding")
        frame = page.frame_locator("iframe")
        assert frame.locator("h1").inner_text() == "Force onboarding"
        assert frame.locator("#forces tr[data-force='demo'] th").inner_text() == "Demoshire Police"

        page.goto(f"{airflow.url}/dags/{DAG_ID}")
        page.get_by_role("button", name="Trigger").first.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("button", name="What to run").click()
        assert dialog.get_by_text("Phases to run").is_visible()
        assert dialog.get_by_text("DPIA and the DPO's sign-off").is_visible()
        assert dialog.get_by_text("Content migration").first.is_visible()
        assert dialog.get_by_text("Dry run").is_visible()
        for label in options.RUN_PHASES.values():  # every phase is chosen unless the operator removes it
            assert dialog.locator(f'[aria-label="Remove {label}"]').count() == 1, label
        shot(page, "02-trigger-form")
        dialog.get_by_role("button", name="Content migration").click()
        dialog.locator("input[name=element_page_limit]").fill(str(PAGE_LIMIT))
        dialog.get_by_role("button", name="About this run").click()
        dialog.locator("input[name=element_run_note], textarea[name=element_run_note]").fill("first onboarding run")
        dialog.get_by_role("button", name="Trigger").last.click()

        runs = airflow.wait_for("the triggered run", lambda: airflow.get(f"/dags/{DAG_ID}/dagRuns")["dag_runs"], 60)
    run = runs[0]
    assert run["conf"]["run_note"] == "first onboarding run"
    assert run["conf"]["phases"] == list(options.RUN_PHASES) and run["conf"]["dry_run"] is False
    assert run["conf"]["page_limit"] == PAGE_LIMIT
    STATE["run_id"] = run["dag_run_id"]


def test_the_dpo_is_mailed_and_the_dashboard_shows_the_approval_waiting(
    airflow: Airflow, browser: Any, mailbox: Mailbox
) -> None:
    run_id = STATE["run_id"]
    message = mailbox.wait_for("DPIA sign-off: Demoshire Police waits for you", 300)
    assert DPO in str(message["X-Envelope-To"]) and TEAM in str(message["X-Envelope-To"])
    link = re.search(r'href="([^"]+/required_actions[^"]*)"', html_of(message)).group(1).replace("&amp;", "&")
    assert link.startswith(f"{airflow.url}/dags/{DAG_ID}/runs/")
    STATE["answer_link"] = link

    with signed_in(browser, airflow, "admin") as page:
        page.goto(f"{airflow.url}/soh/dashboard")
        row = dashboard_row(page, "demo")
        assert "DPIA sign-off: Demoshire Police" in row["approvals"] and "Priya Shah" in row["approvals"]
        assert row["last-run"].startswith("running")
        assert row["accessibility"] == "not run"
        answer = page.locator("#forces tr[data-force='demo'] td[data-col=approvals] a").get_attribute("href")
        assert answer.endswith("/tasks/dpia.dpo_decision/required_actions")
        assert dashboard_row(page, "hampshire")["last-run"] == "not run"
        page.goto(f"{airflow.url}/plugin/soh-onboarding")
        page.frame_locator("iframe").locator("#forces").wait_for()
        shot(page, "03-dashboard-approval-waiting")

    # A person never answers within a second; the scheduler must have seen the task paused (3.3.2 race).
    processed = f"TaskInstance Finished: dag_id={DAG_ID}, task_id=dpia.dpo_decision, run_id={run_id},"
    airflow.wait_for("the scheduler to see the DPO's task paused", lambda: processed in airflow.log.read_text(), 180)


def test_the_dpo_follows_the_mail_and_approves_in_the_ui(airflow: Airflow, browser: Any) -> None:
    with signed_in(browser, airflow, DPO) as page:
        page.goto(STATE["answer_link"])
        page.get_by_text("DPIA sign-off: Demoshire Police").first.wait_for()
        assert page.get_by_text("no earlier approved DPIA for this force").is_visible()
        page.locator("[name=element_comment]").fill("Measures agreed with the digital lead")
        shot(page, "04-dpo-approves")
        page.get_by_role("button", name="Approve").click()
        run_id = STATE["run_id"]
        hitl = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/dpia.dpo_decision/-1/hitlDetails"
        decision = airflow.wait_for("the DPO's answer", lambda: airflow.get(hitl)["chosen_options"], 60)

    assert decision == ["Approve"]
    assert airflow.get(hitl)["responded_by_user"]["name"] == DPO  # FAB's login name; its id is a database number
    assert airflow.get(hitl)["params_input"]["comment"] == "Measures agreed with the digital lead"


def test_the_approver_is_mailed_the_checklist_and_approves_going_live_in_the_ui(
    airflow: Airflow, browser: Any, mailbox: Mailbox
) -> None:
    run_id = STATE["run_id"]
    # Migration, provisioning, the accessibility audit and the go-live checks run first (minutes).
    message = mailbox.wait_for("Go live: Demoshire Police waits for you", 1500)
    assert APPROVER in str(message["X-Envelope-To"])
    link = re.search(r'href="([^"]+/required_actions[^"]*)"', html_of(message)).group(1).replace("&amp;", "&")
    for task in ("migration.finish", "provisioning.verify", "accessibility.audit", "go_live.check"):
        assert airflow.task_state(DAG_ID, run_id, task) == "success", task
    processed = f"TaskInstance Finished: dag_id={DAG_ID}, task_id=go_live.decision, run_id={run_id},"
    airflow.wait_for(
        "the scheduler to see the approver's task paused", lambda: processed in airflow.log.read_text(), 180
    )

    with signed_in(browser, airflow, "admin") as page:
        page.goto(f"{airflow.url}/soh/dashboard")
        row = dashboard_row(page, "demo")
        assert "Go live: Demoshire Police" in row["approvals"] and "Sam Okafor" in row["approvals"]
        assert row["accessibility"].startswith("gate passed"), row["accessibility"]

    with signed_in(browser, airflow, APPROVER) as page:
        page.goto(link)
        page.get_by_text("Go live: Demoshire Police").first.wait_for()
        assert page.get_by_text("redirects").first.is_visible()  # the checklist is what the approver reads
        page.locator("[name=element_comment]").fill("Press office ready; DNS moved at 09:00")
        shot(page, "04b-approver-goes-live")
        page.get_by_role("button", name="Go live", exact=True).click()
        hitl = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/go_live.decision/-1/hitlDetails"
        decision = airflow.wait_for("the approver's answer", lambda: airflow.get(hitl)["chosen_options"], 60)

    assert decision == ["Go live"]
    assert airflow.get(hitl)["responded_by_user"]["name"] == APPROVER
    assert airflow.wait_for_run(DAG_ID, run_id, 600) == "success"
    assert airflow.task_state(DAG_ID, run_id, "go_live.switch") == "success"
    assert airflow.task_state(DAG_ID, run_id, "outcome") == "skipped"  # runs only when a task failed


def test_each_task_links_to_its_report(airflow: Airflow, browser: Any) -> None:
    run_id = STATE["run_id"]
    with signed_in(browser, airflow, "admin") as page:
        expected = [  # (task, link, what the report's heading says)
            ("dpia.record", "DPIA document", "DPIA scoping: Demoshire Police"),
            ("migration.finish", "Migration report", "Content migration: Demoshire Police"),
            ("provisioning.verify", "Provisioning report", "Provisioning: Demoshire Police"),
            ("provisioning.edge", "Edge report", "The edge: Demoshire Police"),
            ("accessibility.audit", "Accessibility report", "Accessibility audit: http"),
            ("accessibility.audit", "Accessibility statement (draft)", "Accessibility statement"),
            ("go_live.check", "Go-live checklist", "Go-live checklist: Demoshire Police"),
            ("go_live.switch", "Edge at the switch", "The edge: Demoshire Police"),
        ]
        shots = {
            "Migration report": "06-migration-report",
            "DPIA document": "07-dpia-document",
            "Accessibility report": "10-accessibility-report",
            "Go-live checklist": "11-go-live-checklist",
        }
        run = quote(run_id, safe="")
        page.goto(f"{airflow.url}/dags/{DAG_ID}/runs/{run}/tasks/migration.finish/details")
        page.get_by_role("link", name="Migration report").wait_for()
        assert page.get_by_role("link", name="Redirect map (CSV)").is_visible()
        assert page.get_by_role("link", name="DPIA document").count() == 0  # only the tasks that write a report link it
        shot(page, "05-task-report-links")

        for task_id, label, heading in expected:
            page.goto(f"{airflow.url}/dags/{DAG_ID}/runs/{run}/tasks/{task_id}/details")
            href = page.get_by_role("link", name=label).get_attribute("href")
            assert href.startswith(f"{airflow.url}/soh/artifacts/demo/")
            page.goto(href)
            assert heading in page.locator("h1").first.inner_text(), task_id
            if label in shots:
                shot(page, shots[label])
        # A CSV is a download for the browser: fetched with the browser's session, it is the redirect map.
        page.goto(f"{airflow.url}/dags/{DAG_ID}/runs/{run}/tasks/migration.finish/details")
        csv = page.get_by_role("link", name="Redirect map (CSV)").get_attribute("href")
        reply = page.request.get(csv)
        assert reply.status == 200 and reply.headers["content-type"].startswith("text/csv")
        assert reply.text().startswith("old_url,new_url,type")
        page.goto(f"{airflow.url}/dags/{DAG_ID}/runs/{run}/tasks/go_live.check/details")
        checked = page.request.get(page.get_by_role("link", name="Old URLs checked (CSV)").get_attribute("href"))
        assert checked.status == 200 and checked.text().startswith("old_url,type,expected,status")


def test_the_dashboard_shows_the_force_onboarded_and_its_charge(airflow: Airflow, browser: Any) -> None:
    # The switch emitted soh://platform/live-forces: the charging model runs from that asset event.
    charging = airflow.wait_for(
        "the charging model's run", lambda: airflow.get("/dags/charging_model/dagRuns")["dag_runs"], 120
    )[0]["dag_run_id"]
    assert airflow.wait_for_run("charging_model", charging, 300) == "success"

    with signed_in(browser, airflow, "admin") as page:
        page.goto(f"{airflow.url}/soh/dashboard")
        row = dashboard_row(page, "demo")
        assert row["last-run"].startswith("success")
        assert row["phase"] == "Go-live: done"
        assert re.fullmatch(r"\d+ pages migrated; quality checks passed", row["pages"]), row["pages"]
        assert row["approvals"] == "none"
        assert re.fullmatch(r"live from \d{4}-\d\d-\d\d", row["go-live"]), row["go-live"]
        assert row["accessibility"].startswith("gate passed"), row["accessibility"]
        assert re.fullmatch(r"£[\d,]+\.\d\d", row["charge"]), row["charge"]
        assert page.locator("#phases tr[data-force='demo'] td[data-phase=dpia]").inner_text() == (
            "Approve by Priya Shah"
        )
        assert page.locator("#phases tr[data-force='demo'] td[data-phase=go_live]").inner_text() == (
            "Go live by Sam Okafor"
        )
        assert dashboard_row(page, "thames-valley")["pages"] == "not run"
        summary = page.locator("#charging-summary").inner_text()
        assert charging in summary and "live" in summary
        chart = page.locator("img.chart")
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart did not load"
        assert page.locator("#charging tbody tr").count() >= 1

        for label, check in (("DPIA document", "DPIA scoping"), ("Migration report", "Content migration")):
            page.goto(f"{airflow.url}/soh/dashboard")
            page.locator("#forces tr[data-force='demo']").get_by_role("link", name=label).click()
            assert check in page.locator("h1").first.inner_text()

        # After go-live the daily checks re-check the live site; the dashboard shows their result.
        checks = airflow.trigger("live_site_checks", {})
        assert airflow.wait_for_run("live_site_checks", checks, 600) == "success"
        page.goto(f"{airflow.url}/soh/dashboard")
        daily = page.locator("#live-checks-table tr[data-force='demo']")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d: (pass|warn)", daily.locator("td[data-col=check-date]").inner_text())
        assert daily.locator("td[data-col=check-new]").inner_text() == "none"
        daily.get_by_role("link", name="Checklist (JSON)").wait_for()

        page.goto(f"{airflow.url}/soh/dashboard")
        page.locator("img.chart").wait_for()
        shot(page, "08-dashboard", full_page=True)

        page.goto(f"{airflow.url}/dags/charging_model/runs/{quote(charging, safe='')}/tasks/compute/details")
        report = page.get_by_role("link", name="Charging report").get_attribute("href")
        charges = page.get_by_role("link", name="Charges (CSV)").get_attribute("href")
        assert page.request.get(charges).text().startswith("scenario,financial_year,force_slug")
        page.goto(report)
        assert page.locator("h1").first.inner_text() == "Single Online Home charging model"
        shot(page, "09-charging-report")


def test_a_rollback_is_decided_by_the_approver_and_takes_the_force_off(airflow: Airflow, browser: Any) -> None:
    """After go-live: rollback_force's decision is assigned at run time to the force's go-live approver and
    the national team (another person is refused); approved, the old domains' DNS goes back, the tenant to
    preview, the register says live until today, and the charging model re-runs from the Asset event. A
    second rollback changes nothing."""
    artifacts = airflow.home.parent / "artifacts"
    charging_runs = len(airflow.get("/dags/charging_model/dagRuns")["dag_runs"])
    run = airflow.trigger("rollback_force", {"force": "demo", "reason": "the force's search broke after go-live"})
    details = airflow.wait_for_approval("rollback_force", run, "decide")
    assert {user["id"] for user in details["assigned_users"]} == {APPROVER, "live-service@soh.police.example"}
    assert "back to the legacy site's records" in details["body"]
    assert airflow.answer_as(DPO, "rollback_force", run, "decide", "Roll back", "not mine").status_code == 403
    answered = airflow.answer_as(APPROVER, "rollback_force", run, "decide", "Roll back", "agreed with the chief")
    assert answered.status_code == 200, answered.text
    assert airflow.wait_for_run("rollback_force", run, 300) == "success"

    register = json.loads((artifacts / "platform" / "live-forces.json").read_text(encoding="utf-8"))
    assert register["forces"]["demo"]["live_until"] == register["forces"]["demo"]["rolled_back_at"][:10]
    site = requests.get(f"{airflow.platform_url}/", headers={"Host": "demo.soh.localhost"}, timeout=10)
    assert "noindex" in site.headers.get("X-Robots-Tag", ""), "the tenant is back in preview"
    airflow.wait_for(
        "the charging model's re-run",
        lambda: len(airflow.get("/dags/charging_model/dagRuns")["dag_runs"]) > charging_runs,
        120,
    )

    again = airflow.trigger("rollback_force", {"force": "demo", "reason": "checking it is idempotent"})
    airflow.wait_for_approval("rollback_force", again, "decide")
    assert airflow.answer_as(APPROVER, "rollback_force", again, "decide", "Roll back", "again").status_code == 200
    assert airflow.wait_for_run("rollback_force", again, 300) == "success"
    [record] = list(artifacts.glob("demo/*/rollback/rollback.json"))
    attempts = json.loads(record.read_text(encoding="utf-8"))["attempts"]
    assert len(attempts) == 2 and attempts[1]["register"]["changed"] is False
    assert attempts[1]["edge"]["records_restored"] == [] and attempts[1]["edge"]["edge_written"] == 0
