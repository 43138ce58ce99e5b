"""The monthly accessibility re-audit of live forces, on real parts: a live tenant on the sandbox platform
behind the sandbox ingress (its DNS server and TLS with its local CA), reached by real Chromium through
`--host-resolver-rules`, and the DAG in real Airflow (dag.test() on SQLite).

The baseline is what the onboarding does: the accessibility phase's audit of the tenant's preview
(`accessibility.run.run`), in the go-live run's folder named by golive-approved.json.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, soh
from soh_onboarding.accessibility import run as accessibility_run
from soh_onboarding.glue import live
from soh_onboarding.golive import decision, settings
from soh_onboarding.live import reaudit as monitor
from soh_onboarding.live import register as liveforces
from soh_onboarding.provisioning.client import Credentials, PlatformClient, content_hash

sys.path.insert(0, str(ROOT))
from sandbox.ingress import start as start_ingress
from sandbox.platform import SandboxPlatform
from sandbox.platform import start as start_platform
from sandbox.platform.scenarios import configured_tenant

DOMAIN, OTHER = "www.reaudit-force.example", "www.no-baseline-force.example"
TOKEN = "reaudit-token"
BAD_PATH = "/news/new-appeal/"
BAD_PAGE = (
    '<p>Have you seen this van?</p><img src="/media/van.png" width="200" height="100">'
    '<form action="/search/"><input type="text" name="reg"><button type="submit">Send</button></form>'
)
MAP_PATH = "/find-us/map/"
MAP_PAGE = '<p>Our stations on a map.</p><img src="/media/map.png" width="200" height="100">'
FIXED_PAGE = (
    '<p>Have you seen this van?</p><img src="/media/van.png" width="200" height="100" alt="A white van">'
    '<form action="/search/"><label for="reg">Registration</label><input id="reg" type="text" name="reg">'
    '<button type="submit">Send</button></form>'
)


def spec_for(slug: str, domain: str) -> dict:
    """The demo's spec for force `slug`, with its own legacy domains (two forces may not claim one)."""
    text = (ROOT / "onboarding_specs" / "demo.yaml").read_text()
    data = copy.deepcopy(yaml.safe_load(text.replace("demoshire-police.example", f"{slug}shire-police.example")))
    data["force"]["slug"] = slug
    data["tenant"]["tenant_id"] = slug
    data["tenant"]["domains"] = [domain]
    return data


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Two live tenants on the sandbox platform, the sandbox ingress in front, and the demo force's
    baseline: the onboarding audit of its preview, recorded as its approved go-live."""
    base = tmp_path_factory.mktemp("reaudit")
    sandbox = SandboxPlatform(base / "platform.sqlite3", token=TOKEN)
    configured_tenant(sandbox, "demo", (DOMAIN,), display_name="Demoshire Police", state="live")
    configured_tenant(sandbox, "other", (OTHER,), display_name="Othershire Police", state="live")
    store = base / "store"
    with (
        start_platform(sandbox) as served,
        start_ingress(base / "ingress", served.port, base / "platform.sqlite3") as ingress,
    ):
        run = store / "demo" / "manual__golive"
        out = run / "accessibility"
        out.mkdir(parents=True)
        done = accessibility_run.run(
            [served.preview_url("demo") + "sitemap.xml"],
            out,
            settings=spec_for("demo", DOMAIN)["accessibility"],
            site=served.preview_url("demo"),
            force="Demoshire Police",
        )
        assert done.gate.passed and done.gate.counts["serious"] == done.gate.counts["critical"] == 0
        approved = decision.Decision("Go live", "", "Sam Okafor (sam@x)", "2026-06-01T10:00:00+00:00", "manual__golive")
        decision.record_live(store / "demo", run, approved, {"force": "demo", "checks": []}, "2026-06-01", {})
        client = PlatformClient(Credentials(served.url, TOKEN))
        yield {"store": store, "env": ingress.env, "client": client, "base": base, "served": served}
        client.close()


def publish(client: PlatformClient, tenant: str, path: str, body: str | None) -> None:
    """Publish (or, with None, remove) one page through the platform's API, as a force's editor would."""
    if body is None:
        client.publish(tenant, "pages", [], [path])
        return
    page = {"path": path, "title": "New appeal", "summary": "", "body_html": body, "content_type": "page"}
    page["published"] = None
    page["content_hash"] = content_hash(page)
    client.publish(tenant, "pages", [page])


def test_a_new_serious_violation_is_new_then_open_then_fixed(world) -> None:
    store, client = world["store"], world["client"]
    configured = settings.load(environ=world["env"])
    spec = spec_for("demo", DOMAIN)
    try:
        clean = monitor.reaudit(spec, configured, store)
        assert clean.baseline is not None and clean.baseline.run == "manual__golive"
        assert clean.outcome.status == monitor.PASS and clean.outcome.open == [] and clean.outcome.new == []
        assert len(clean.result.audited) >= 10 and clean.result.errors == []
        assert all(page.url.startswith(f"https://{DOMAIN}/") for page in clean.result.pages)  # the live domain
        line = monitor.record(store, clean)
        assert line["statement"]["drafted"] == clean.baseline.audited_at[:10]
        assert line["statement"]["overdue"] is False

        publish(client, "demo", BAD_PATH, BAD_PAGE)  # an image without alt, a field without a label
        broken = monitor.reaudit(spec, configured, store)
        assert broken.outcome.status == monitor.FAIL and broken.outcome.alert
        assert broken.outcome.new == broken.outcome.open and broken.outcome.new
        assert {entry["page"] for entry in broken.regressions} == {BAD_PATH}
        criteria = {number for entry in broken.regressions for number in entry["wcag"]}
        assert "1.1.1" in criteria  # the image without alt
        assert criteria & {"1.3.1", "3.3.2", "4.1.2"}  # the field without a label
        assert {entry["impact"] for entry in broken.regressions} <= {"serious", "critical"}
        line = monitor.record(store, broken)
        summary = json.loads(monitor.summarise(store, [line], broken.outcome.checked_at).read_text())
        assert summary["alerts"] == ["demo"]
        assert summary["forces"]["demo"]["new_regressions"] == broken.outcome.new
        html = (store / line["report"]).read_text()
        assert "Since go-live" in html and BAD_PATH in html and ">new<" in html

        again = monitor.reaudit(spec, configured, store)  # next month, nothing done about it
        assert again.outcome.new == [] and again.outcome.open == broken.outcome.open and not again.outcome.alert
        monitor.record(store, again)

        publish(client, "demo", BAD_PATH, FIXED_PAGE)
        fixed = monitor.reaudit(spec, configured, store)
        assert fixed.outcome.open == [] and fixed.outcome.new == []
        assert fixed.outcome.fixed == broken.outcome.open
        assert fixed.outcome.status == monitor.PASS
        monitor.record(store, fixed)
        latest = json.loads((store / "demo" / monitor.FOLDER / "latest.json").read_text())
        assert latest["fixed"] == broken.outcome.open and latest["audit"]["pages"] == len(fixed.result.audited)
    finally:
        publish(client, "demo", BAD_PATH, None)


def test_an_accepted_known_issue_is_no_regression_until_it_expires(world, tmp_path: Path) -> None:
    """A violation new since go-live that the force accepted (onboarding_specs/<slug>.known-issues.yaml) is
    listed, not a regression; once the entry has expired it is a regression again and the re-audit fails."""
    from soh_onboarding.accessibility import known

    store, client = world["store"], world["client"]
    configured = settings.load(environ=world["env"])
    spec = spec_for("demo", DOMAIN)
    spec["go_live"]["key_pages"]["map"] = MAP_PATH  # audited first, whatever the sampling
    path = tmp_path / "demo.known-issues.yaml"
    path.write_text(
        "known_issues:\n"
        "  - rule: image-alt\n"
        "    pages: /find-us/*\n"
        "    reason: The station map is our supplier's image; its next release describes it.\n"
        "    expires: 2027-06-30\n"
        "    decided_by: Jane Smith, Head of Digital\n"
    )
    try:
        publish(client, "demo", MAP_PATH, MAP_PAGE)
        accepted = monitor.reaudit(spec, configured, store, known=known.read(path, date(2027, 6, 30)))
        assert accepted.outcome.status == monitor.PASS and accepted.regressions == [] and not accepted.outcome.alert
        [item] = accepted.gate.accepted
        assert (item["page"], item["rule"]) == (MAP_PATH, "image-alt")
        html = monitor.report.render_report(
            accepted.result, accepted.gate, site=accepted.site, monitoring=accepted.monitoring()
        )
        assert "Accepted known issues" in html and "not regressions while their entry is unexpired" in html

        expired = monitor.reaudit(spec, configured, store, known=known.read(path, date(2027, 7, 1)))
        assert expired.outcome.status == monitor.FAIL and expired.outcome.alert
        assert {entry["page"] for entry in expired.regressions} == {MAP_PATH}
        assert any("expired on 2027-06-30" in failure for failure in expired.known_issue_failures)
    finally:
        publish(client, "demo", MAP_PATH, None)


def test_without_a_declared_local_test_ca_the_browser_verifies_and_cannot_audit(world, tmp_path: Path) -> None:
    """The sandbox's CA is no browser's: unless the settings declare it a local test CA, Chromium refuses
    the certificate and no page is audited (status "not audited", never a silent pass)."""
    env = world["env"] | {"SOH_GOLIVE_LOCAL_TEST_CA": "0"}
    done = monitor.reaudit(spec_for("other", OTHER), settings.load(environ=env), tmp_path / "store")
    assert done.result.audited == [] and done.outcome.status == monitor.NOT_AUDITED
    assert all("ERR_CERT_AUTHORITY_INVALID" in error["error"] for error in done.result.errors)


def test_a_domain_that_does_not_resolve_is_a_clear_error(world, tmp_path: Path) -> None:
    configured = settings.load(environ=world["env"])
    with pytest.raises(monitor.ReauditError, match=r"www\.nowhere\.example does not resolve via 127\.0\.0\.1"):
        monitor.reaudit(spec_for("nowhere", "www.nowhere.example"), configured, tmp_path / "store")


def test_a_local_test_ca_needs_a_ca_bundle() -> None:
    with pytest.raises(settings.SettingsError, match="local test CA is declared but no ca_bundle"):
        settings.load(environ={"SOH_GOLIVE_LOCAL_TEST_CA": "1"})
    with pytest.raises(settings.SettingsError, match="SOH_GOLIVE_LOCAL_TEST_CA='maybe'"):
        settings.load(environ={"SOH_GOLIVE_LOCAL_TEST_CA": "maybe"})


@pytest.mark.parametrize(
    ("drafted", "today", "due", "overdue"),
    [
        ("2025-11-25", date(2026, 11, 25), "2026-11-25", False),
        ("2025-11-24", date(2026, 11, 25), "2026-11-24", True),
        ("2024-02-29", date(2025, 3, 1), "2025-02-28", True),
        (None, date(2026, 11, 25), None, True),
    ],
)
def test_the_statement_is_due_for_review_12_months_after_its_draft(drafted, today, due, overdue) -> None:
    age = monitor.statement_age(drafted, today)
    assert (age.review_due, age.overdue) == (due, overdue)


def test_pages_compare_by_path_between_the_preview_and_the_live_domain() -> None:
    preview = "http://127.0.0.1:8082/preview/demo/"
    assert monitor.page_of("http://127.0.0.1:8082/preview/demo/news/a/", preview) == "/news/a/"
    assert monitor.page_of("http://127.0.0.1:8082/preview/demo/", preview) == "/"
    assert monitor.page_of("https://www.force.example/news/a/?p=2", "https://www.force.example/") == "/news/a/?p=2"


# --- the DAG ------------------------------------------------------------------------------------------


def test_the_dag_is_wired() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "live_accessibility_audit.py"), safe_mode=True)
    assert bag.import_errors == {}
    dag = bag.dags["live_accessibility_audit"]
    assert dag.timetable.expression == "0 0 1 * *" and dag.catchup is False
    assert [t.task_id for t in dag.topological_sort()] == ["live_forces", "reaudit", "summarise"]
    assert dag.get_task("reaudit").pool == "soh_accessibility_audit"


def test_the_monthly_dag_alerts_and_reports_a_force_without_baseline(
    world, airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    store, client = world["store"], world["client"]
    specs = tmp_path / "specs"
    specs.mkdir()
    for slug, domain in (("demo", DOMAIN), ("other", OTHER)):
        (specs / f"{slug}.yaml").write_text(yaml.safe_dump(spec_for(slug, domain), sort_keys=False))
        liveforces.mark_live(store, slug, date(2026, 6, 1), "test")
    for name, value in world["env"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIRFLOW__SOH__ARTIFACT_STORE", store.as_uri())
    monkeypatch.setenv("SOH_SPECS_DIR", str(specs))
    dag = DagBag(dag_folder=str(ROOT / "dags" / "live_accessibility_audit.py"), safe_mode=True).dags[
        "live_accessibility_audit"
    ]
    publish(client, "demo", BAD_PATH, BAD_PAGE)
    try:
        assert dag.test().state == "failed"  # the alert: new serious violations on demo
    finally:
        publish(client, "demo", BAD_PATH, None)
    summary = json.loads((store / "platform" / "accessibility-monitoring.json").read_text())
    assert summary["alerts"] == ["demo"]
    assert all(item.startswith(BAD_PATH) for item in summary["forces"]["demo"]["new_regressions"])
    other = summary["forces"]["other"]
    assert other["status"] == monitor.NO_BASELINE and other["baseline"] is None and not other["alert"]
    assert other["pages"] >= 10 and other["pages_not_audited"] == 0
    assert other["statement"]["overdue"] is True and "other" in summary["statements_due"]
    assert (store / "other" / monitor.FOLDER / f"{other['checked_at'][:10]}.html").is_file()

    assert dag.test().state == "success"  # the page removed: nothing new, the regression is fixed
    summary = json.loads((store / "platform" / "accessibility-monitoring.json").read_text())
    assert summary["alerts"] == [] and summary["forces"]["demo"]["fixed"]

    broken = spec_for("other", OTHER)
    broken["tenant"]["domains"] = "not a list"  # a later change to the spec that no longer passes its check
    (specs / "other.yaml").write_text(yaml.safe_dump(broken, sort_keys=False))
    run = dag.test()
    assert run.state == "failed"  # a live force that cannot be re-audited is an alert too, not a silent gap
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert states[("summarise", -1)] == "failed"
    assert sorted(state for (task, _), state in states.items() if task == "reaudit") == ["failed", "success"]


def test_a_live_force_whose_spec_is_now_invalid_fails_with_its_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    data = spec_for("demo", DOMAIN)
    data["tenant"]["domains"] = "not a list"
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv("SOH_SPECS_DIR", str(tmp_path))
    with pytest.raises(AirflowFailException, match=r"the spec of live force demo does not pass its check:\n.*domains"):
        live.reaudit_force("demo", {})


def test_the_cli_re_audits_a_force_without_baseline_and_explains_an_unreachable_one(
    world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in world["env"].items():
        monkeypatch.setenv(name, value)
    other, nowhere = tmp_path / "other.yaml", tmp_path / "nowhere.yaml"
    other.write_text(yaml.safe_dump(spec_for("other", OTHER), sort_keys=False))
    nowhere.write_text(yaml.safe_dump(spec_for("nowhere", "www.nowhere.example"), sort_keys=False))
    done = soh("reaudit", str(other), "--store", str(tmp_path / "store"), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    line = json.loads(done.stdout)
    assert line["status"] == monitor.NO_BASELINE and line["new_regressions"] == [] and line["pages"] >= 10
    assert (tmp_path / "store" / line["report"]).is_file()
    failed = soh("reaudit", str(nowhere), "--store", str(tmp_path / "store"))
    assert failed.returncode == 1
    assert "nowhere: cannot reach the live site: www.nowhere.example does not resolve" in failed.stderr
    assert "Traceback" not in failed.stderr
