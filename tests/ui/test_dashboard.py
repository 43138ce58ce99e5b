"""What the dashboard and the task links read from the artifact store (plain files, no Airflow)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from soh_onboarding import dashboard
from soh_onboarding.artifacts import safe_name


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


RUN_NEW, RUN_OLD = "manual__2026-11-25T10:00:00+00:00", "manual__2026-11-24T10:00:00+00:00"


def test_each_phase_shows_its_latest_result_and_a_phase_without_artifacts_is_not_run(tmp_path: Path) -> None:
    new, old = tmp_path / "demo" / safe_name(RUN_NEW), tmp_path / "demo" / safe_name(RUN_OLD)
    write(old / "migration" / "summary.json", {"pages_migrated": 57, "quality_passed": True})
    write(old / "dpia" / "decision.json", {"option": "Approve", "responded_by": "Priya Shah (dpo@x)", "approved": True})
    write(new / "spec" / "snapshot.json", {"code": {"commit": "0123456789abcdef"}})
    write(new / "dpia" / "screening.json", {})
    (new / "migration").mkdir()  # the newest run chose not to migrate: its empty folder says nothing

    results = dashboard.phase_results(tmp_path, "demo", [RUN_NEW, RUN_OLD])
    assert results["spec"] == (dashboard.PhaseResult("checked (0123456)", True), RUN_NEW)
    assert results["dpia"] == (dashboard.PhaseResult("screened; waiting for the DPO", None), RUN_NEW)
    assert results["migration"] == (dashboard.PhaseResult("57 pages migrated; quality checks passed", True), RUN_OLD)
    assert results["accessibility"] is None and results["go_live"] is None
    assert dashboard.phase_reached(results) == "Content migration: done"
    assert dashboard.phase_reached(dashboard.phase_results(tmp_path, "other", [RUN_NEW])) == dashboard.NOT_RUN


def test_a_rejected_dpia_is_a_failed_phase(tmp_path: Path) -> None:
    run = tmp_path / "demo" / "r1"
    write(run / "dpia" / "decision.json", {"option": "Reject", "responded_by": "Priya Shah (dpo@x)", "approved": False})
    results = dashboard.phase_results(tmp_path, "demo", ["r1"])
    assert results["dpia"][0] == dashboard.PhaseResult("Reject by Priya Shah", False)
    assert dashboard.phase_reached(results) == "DPIA: failed"


def test_go_live_shows_the_checklist_then_the_decision(tmp_path: Path) -> None:
    run = tmp_path / "demo" / "r1"
    write(run / "go_live" / "checklist.json", {"passed": False, "counts": {"pass": 30, "warn": 1, "fail": 2}})
    assert dashboard.phase_results(tmp_path, "demo", ["r1"])["go_live"][0] == dashboard.PhaseResult(
        "2 go-live check(s) failed", False
    )
    write(run / "go_live" / "checklist.json", {"passed": True, "counts": {"pass": 33, "warn": 1, "fail": 0}})
    waiting = dashboard.phase_results(tmp_path, "demo", ["r1"])["go_live"][0]
    assert waiting == dashboard.PhaseResult("checks passed (1 warning(s)); waiting for the approver", None)
    write(
        run / "go_live" / "decision.json", {"option": "Go live", "responded_by": "Sam Okafor (sam@x)", "approved": True}
    )
    results = dashboard.phase_results(tmp_path, "demo", ["r1"])
    assert results["go_live"][0] == dashboard.PhaseResult("Go live by Sam Okafor", True)
    checklist = next(r for r in dashboard.REPORTS if r.label == "Go-live checklist")
    assert dashboard.report_relative(checklist, "onboard_demo", "r1", "go_live.decision") == (
        "demo/r1/go_live/go-live-checklist.html"
    )


def test_reports_link_from_the_tasks_that_write_them_only() -> None:
    dpia = next(r for r in dashboard.REPORTS if r.label == "DPIA document")
    assert dashboard.report_relative(dpia, "onboard_demo", RUN_NEW, "dpia.record") == (
        f"demo/{safe_name(RUN_NEW)}/dpia/dpia-scoping.html"
    )
    assert dashboard.report_relative(dpia, "onboard_demo", RUN_NEW, "migration.crawl") is None
    assert dashboard.report_relative(dpia, "charging_model", RUN_NEW, "dpia.record") is None
    charges = next(r for r in dashboard.REPORTS if r.label == "Charges (CSV)")
    assert dashboard.report_relative(charges, "charging_model", "r", "compute") == "platform/r/charging/charges.csv"
    assert dashboard.report_relative(charges, "onboard_demo", "r", "compute") is None
    assert [r.label for r in dashboard.reports_for("onboard_demo", "migration.finish")] == [
        "Migration report",
        "Redirect map (CSV)",
    ]


@pytest.mark.parametrize(
    ("day", "year"), [(date(2026, 11, 25), "2026/27"), (date(2027, 3, 31), "2026/27"), (date(2027, 4, 1), "2027/28")]
)
def test_the_financial_year_runs_april_to_march(day: date, year: str) -> None:
    assert dashboard.financial_year(day) == year


def test_the_charging_view_is_the_newest_run_with_a_summary_and_prefers_the_live_scenario(tmp_path: Path) -> None:
    summary = {
        "scenarios": {
            "base-case": {"title": "Base case", "years": [], "shares": {}},
            "live": {
                "title": "Forces live",
                "years": [{"financial_year": "2026/27"}],
                "shares": {"demo": {"years": {"2026/27": "1234.50"}}},
            },
        }
    }
    write(tmp_path / "platform" / "old" / "charging" / "summary.json", summary)
    view = dashboard.charging_view(tmp_path, ["failed-early", "old"], date(2026, 11, 25))
    assert view is not None and view.run_id == "old" and view.scenario == "live"
    assert view.charges_this_year == {"demo": "1234.50"}
    assert view.chart == "platform/old/charging/charges-live.svg"
    assert dashboard.charging_view(tmp_path, ["failed-early"], date(2026, 11, 25)) is None


def test_provisioning_and_accessibility_show_their_verdicts(tmp_path: Path) -> None:
    run = tmp_path / "demo" / "r1"
    write(
        run / "provisioning" / "provisioning.json",
        {"tenant_id": "demo", "state": "preview", "ok": True, "verification": {"counts": {"pages": 53}}},
    )
    write(
        run / "accessibility" / "audit.json",
        {"gate": {"passed": False, "counts": {"critical": 1, "serious": 0, "moderate": 2, "minor": 0}}},
    )
    results = dashboard.phase_results(tmp_path, "demo", ["r1"])
    assert results["provisioning"][0] == dashboard.PhaseResult("tenant demo (preview): 53 pages verified", True)
    assert results["accessibility"][0] == dashboard.PhaseResult("gate failed: 1 critical, 2 moderate", False)
    assert dashboard.phase_reached(results) == "Accessibility: failed"
    labels = [r.label for r in dashboard.reports_for("onboard_demo", "accessibility.audit")]
    assert labels == ["Accessibility report", "Accessibility statement (draft)"]


def test_the_accessibility_re_audit_shows_its_date_regressions_and_the_statement_age(tmp_path: Path) -> None:
    from soh_onboarding import reports
    from soh_onboarding.glue.views import DashboardView

    line = {
        "checked_at": "2026-11-01T00:10:00+00:00",
        "status": "fail",
        "new_regressions": ["/news/a/ 1.1.1 img"],
        "open_regressions": ["/news/a/ 1.1.1 img", "/b/ 4.1.2 input"],
        "fixed": [],
        "statement": {"drafted": "2025-06-01", "review_due": "2026-06-01", "age_days": 518, "overdue": True},
        "report": "demo/accessibility-monitoring/2026-11-01.html",
    }
    write(tmp_path / "platform" / "accessibility-monitoring.json", {"forces": {"demo": line, "secret": line}})
    rows = dashboard.reaudit_rows(tmp_path, ["demo", "not-live"])  # only forces the user may see
    assert [(r.slug, r.audited_on, r.new, r.open, r.statement_overdue, r.ok) for r in rows] == [
        ("demo", "2026-11-01", 1, 2, True, False)
    ]
    view = DashboardView([], None, False, {}, "now", reaudits=rows)
    html = reports.render("dashboard.html.j2", view=view, prefix="/soh", base="http://x")
    assert "older than 12 months: review due 2026-06-01" in html
    assert 'href="/soh/artifacts/demo/accessibility-monitoring/2026-11-01.html"' in html
    assert "secret" not in html
    assert dashboard.reaudit_rows(tmp_path / "empty", ["demo"]) == []


def test_the_daily_checks_show_their_date_and_regressions(tmp_path: Path) -> None:
    from soh_onboarding import reports
    from soh_onboarding.glue.views import DashboardView

    line = {
        "force": "demo",
        "checked_at": "2026-11-25T00:05:00+00:00",
        "status": "fail",
        "alert": True,
        "new_regressions": ["hsts:www.demo.example:hsts-missing"],
        "open_regressions": ["hsts:www.demo.example:hsts-missing", "tls:www.demo.example:certificate-expires-soon"],
        "fixed": ["redirects::redirect-chain"],
        "failed_checks": ["hsts"],
        "counts": {"pass": 30, "warn": 2, "fail": 1},
        "result": "/store/demo/monitoring/2026-11-25.json",
    }
    write(tmp_path / "platform" / "monitoring.json", {"forces": {"demo": line, "secret": line}})
    rows = dashboard.live_check_rows(tmp_path, ["demo", "not-live"])  # only forces the user may see
    assert [(r.slug, r.checked_on, r.ok, r.result) for r in rows] == [
        ("demo", "2026-11-25", False, "demo/monitoring/2026-11-25.json")
    ]
    view = DashboardView([], None, False, {}, "now", live_checks=rows)
    html = reports.render("dashboard.html.j2", view=view, prefix="/soh", base="http://x")
    assert '<span class="bad">hsts:www.demo.example:hsts-missing</span>' in html
    assert "tls:www.demo.example:certificate-expires-soon" in html and "redirects::redirect-chain" in html
    assert 'href="/soh/artifacts/demo/monitoring/2026-11-25.json"' in html
    assert "secret" not in html
    assert dashboard.live_check_rows(tmp_path / "empty", ["demo"]) == []
    empty = reports.render("dashboard.html.j2", view=DashboardView([], None, False, {}, "now"), prefix="/soh", base="")
    assert "No live force has been checked yet" in empty


def test_the_old_urls_not_found_show_their_day_alerts_and_report(tmp_path: Path) -> None:
    from soh_onboarding import reports
    from soh_onboarding.glue.views import DashboardView

    busy = {"force": "demo", "day": "2026-12-03", "files": 4, "lines": 120000, "malformed": 3, "old_urls": 87}
    busy |= {"not_found_hits": 950, "alert": True, "alerts": ["/a.aspx (40 hits, not in the map)"]}
    busy |= {"report": "demo/lost-links/2026-12-03.html"}
    quiet = busy | {"force": "other", "files": 0, "lines": 0, "alert": False, "alerts": [], "report": ""}
    write(tmp_path / "platform" / "lost-links.json", {"forces": {"demo": busy, "other": quiet, "secret": busy}})
    rows = dashboard.lost_link_rows(tmp_path, ["demo", "other", "not-live"])  # only forces the user may see
    assert [(r.slug, r.day, r.alerts, r.ok) for r in rows] == [
        ("demo", "2026-12-03", 1, False),
        ("other", "2026-12-03", 0, False),
    ]
    view = DashboardView([], None, False, {}, "now", lost_links=rows)
    html = reports.render("dashboard.html.j2", view=view, prefix="/soh", base="http://x")
    assert 'href="/soh/artifacts/demo/lost-links/2026-12-03.html"' in html and "120000 (3 malformed)" in html
    assert "2026-12-03: no log files" in html and "secret" not in html
