"""After go-live: the old URLs the access logs say still find nothing (live/accesslogs.py, live/lostlinks.py),
from real gzip log files in the three formats with known 404s and malformed lines."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from conftest import DEMO
from sandbox.edge.logpush import write_day
from soh_onboarding.live import accesslogs, lostlinks

OLD = ("www.demoshire-police.example", "demoshire-police.example")
DAY = datetime(2026, 12, 3)
PAGES = [
    (
        "/news/2024/witness-appeal-after-burglary-in-kingsbridge.aspx",
        "/news/witness-appeal-kingsbridge-burglary/",
        "Witness appeal after burglary in Kingsbridge",
    ),
    ("/news/2024/man-charged-after-assault.aspx", "/news/man-charged-after-assault/", "Man charged after assault"),
    ("/advice/burglary-prevention.aspx", "/advice/burglary-prevention/", "How to prevent burglary"),
    ("/contact/report-lost-property.aspx", "/report/lost-property/", "Report lost property"),
]


def migration(folder: Path) -> Path:
    """A go-live run's migration: the pages it migrated (inventory.csv) and its redirect map."""
    folder.mkdir(parents=True)
    base = "https://www.demoshire-police.example"
    with (folder / "inventory.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["old_url", "canonical_url", "http_status", "content_type", "new_path", "title", "content_hash", "mapping"]
        )
        for old, new, title in PAGES:
            writer.writerow([base + old, base + old, 200, "text/html", new, title, "h", "redirect"])
    with (folder / "redirects.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["old_url", "new_url", "type", "archive_url"])
        for old, new, _ in PAGES:
            writer.writerow([base + old, "https://demo.soh.localhost" + new, "redirect", ""])
        writer.writerow([base + "/news/2009/old-story.aspx", "", "archive", ""])
        copy = "https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/" + base + "/about/history.aspx"
        writer.writerow([base + "/about/history.aspx", "", "archive", copy])
        writer.writerow([base + "/events/calendar.aspx", "", "unresolved", ""])
    return folder


def traffic() -> list[tuple[str, str, int]]:
    """A day on the old domains: redirects working (301), known 404s with known hits, a 410, other hosts."""
    requests = [(OLD[0], old, 301) for old, _, _ in PAGES for _ in range(30)]
    requests += [(OLD[0], "/news/witness-appeal-kingsbridge.aspx?utm_source=twitter", 404)] * 40  # not in the map
    requests += [(OLD[1], "/News/Witness-Appeal-Kingsbridge.aspx", 404)] * 2  # the same URL, another case
    requests += [(OLD[0], "/events/calendar.aspx", 404)] * 12  # unresolved in the map
    requests += [(OLD[0], "/advice/burglary-prevention.aspx", 404)] * 3  # redirected in the map, yet lost
    requests += [(OLD[0], "/news/2009/old-story.aspx", 410)] * 9  # archived: deliberate
    requests += [(OLD[0], "/about/history.aspx", 410)] * 2  # archived with a link to its copy: a 301 lost
    requests += [(OLD[0], f"/random-{n}.php", 404) for n in range(5)]  # a scanner, once each
    requests += [("demo.soh.localhost", "/not-here/", 404)] * 7  # the new site's own 404s: not old URLs
    return requests


@pytest.fixture
def spec() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@pytest.mark.parametrize("log_format", ["json", "combined", "common"])
def test_the_404s_are_counted_busiest_first_and_malformed_lines_are_said(
    tmp_path: Path, spec: dict, log_format: str
) -> None:
    files = write_day(tmp_path / "logs", traffic(), DAY, log_format=log_format, files=3, malformed=4)
    tally = accesslogs.count([(str(p), lambda p=p: p.open("rb")) for p in files], OLD)
    assert tally.lines == len(traffic()) + 4 and tally.malformed == 4
    assert len(tally.malformed_examples) == 4 and all(".log.gz:" in line for line in tally.malformed_examples)
    busiest = tally.busiest()
    assert busiest[0] == ("/news/witness-appeal-kingsbridge.aspx?utm_source=twitter", 404, 40)
    if log_format == "json":
        assert tally.other_hosts == 7, "the new site's own 404s are not the old domains'"
    else:
        assert ("/not-here/", 404, 7) in busiest, "a common-format file is the old domains' by where it came from"

    found = lostlinks.analyse(spec, "demo", migration(tmp_path / "migration"), tally, "2026-12-03", alert_hits=10)
    by_target = {row.target: row for row in found.rows}
    first = found.rows[0]
    assert first.in_map == lostlinks.NOT_IN_MAP and first.hits == 40
    assert first.suggestion.new_path == "/news/witness-appeal-kingsbridge-burglary/", first.suggestion
    assert "'kingsbridge'" in first.suggestion.evidence and "title" in first.suggestion.evidence
    assert by_target["/News/Witness-Appeal-Kingsbridge.aspx"].in_map == lostlinks.NOT_IN_MAP
    assert by_target["/events/calendar.aspx"].in_map == lostlinks.UNRESOLVED
    assert by_target["/advice/burglary-prevention.aspx"].in_map == lostlinks.LOST
    assert by_target["/news/2009/old-story.aspx"].in_map == lostlinks.ARCHIVED
    assert by_target["/about/history.aspx"].in_map == lostlinks.LOST
    assert by_target["/random-3.php"].suggestion is None, "nothing near: no suggestion rather than a bad one"
    assert [row.target for row in found.alerts] == [
        "/news/witness-appeal-kingsbridge.aspx?utm_source=twitter",
        "/events/calendar.aspx",
    ], "10 hits or more, not in the map or unresolved; the archived 410 never alerts"


def test_the_day_is_recorded_with_its_report_and_summary_line(tmp_path: Path, spec: dict) -> None:
    files = write_day(tmp_path / "logs", traffic(), DAY, files=1)
    tally = accesslogs.count([(str(p), lambda p=p: p.open("rb")) for p in files], OLD)
    found = lostlinks.analyse(spec, "demo", migration(tmp_path / "migration"), tally, "2026-12-03", alert_hits=10)
    store = tmp_path / "store"
    line = lostlinks.record(store, found, "Demoshire Police")
    assert line["alert"] and line["old_urls"] == len(found.rows) and line["report"] == "demo/lost-links/2026-12-03.html"
    saved = json.loads((store / "demo" / "lost-links" / "2026-12-03.json").read_text(encoding="utf-8"))
    assert saved["rows"][0]["hits"] == 40 and saved["rows"][0]["suggestion"]["new_path"].startswith("/news/")
    report = (store / line["report"]).read_text(encoding="utf-8")
    assert "Old URLs not found: Demoshire Police" in report and "2 old URL(s) not in the map" in report
    assert "<script" not in report


def test_a_damaged_gzip_and_hostile_lines_are_counted_never_fatal(tmp_path: Path) -> None:
    whole = gzip.compress(
        b"".join(f'1.2.3.4 - - [03/Dec/2026:10:00:00 +0000] "GET /a{n} HTTP/1.1" 404 0\n'.encode() for n in range(2000))
    )
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    plain = tmp_path / "plain.log"
    plain.write_text(
        '{"ClientRequestURI": "/x", "EdgeResponseStatus": "four"}\n[1,2]\n<script>alert(1)</script>\n', encoding="utf-8"
    )
    tally = accesslogs.count([(str(cut), lambda: cut.open("rb")), (str(plain), lambda: plain.open("rb"))], OLD)
    # the damaged file (and the line it cut, if it cut one) and the three hostile lines
    assert 0 < tally.lines < 2000 + 3 and tally.malformed in (4, 5), tally.malformed_examples
    assert any("ends early or is damaged" in example for example in tally.malformed_examples)


def test_memory_is_bounded_by_distinct_urls_not_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accesslogs, "MAX_TRACKED", 100)
    tally = accesslogs.Tally()
    hosts = frozenset(OLD)
    for n in range(1000):
        tally.add(accesslogs.Request(OLD[0], "GET", "/busy", 404), hosts)
        tally.add(accesslogs.Request(OLD[0], "GET", f"/scan/{n}", 404), hosts)
    assert len(tally.hits) <= 100 and tally.busiest()[0] == ("/busy", 404, 1000)
    assert tally.dropped_hits > 0 and tally.dropped_hits + sum(tally.hits.values()) == 2000


def test_the_daily_dag_reads_the_days_logs_and_alerts_on_a_busy_unmapped_url(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real Airflow (dag.test() on SQLite): the live force's go-live run's map, a day of Logpush files; the
    summarise task fails (the alert) while a busy old URL is not in the map, and the dashboard lists it."""
    from airflow.dag_processing.dagbag import DagBag

    from conftest import ROOT
    from soh_onboarding import dashboard
    from soh_onboarding.golive import decision
    from soh_onboarding.live import register

    store, specs, logs = tmp_path / "store", tmp_path / "specs", tmp_path / "logs"
    specs.mkdir()
    (specs / "demo.yaml").write_bytes(DEMO.read_bytes())
    migration(store / "demo" / "run-1" / "migration")
    register.mark_live(store, "demo", datetime(2026, 6, 1).date(), "test")
    approved = decision.Decision("Go live", "", "Sam Okafor (sam@x)", "2026-06-01T10:00:00+00:00", "run-1")
    decision.record_live(store / "demo", store / "demo" / "run-1", approved, {"force": "demo"}, "2026-06-01", {})
    write_day(logs / "demo" / "20261203", traffic(), DAY, files=2, malformed=1)
    monkeypatch.setenv("AIRFLOW__SOH__ARTIFACT_STORE", store.as_uri())
    monkeypatch.setenv("SOH_SPECS_DIR", str(specs))
    monkeypatch.setenv("SOH_ACCESS_LOGS", f"file://{logs}/{{force}}/{{date}}")

    bag = DagBag(dag_folder=str(ROOT / "dags" / "live_lost_links.py"), safe_mode=True)
    assert bag.import_errors == {}
    dag = bag.dags["live_lost_links"]
    assert [t.task_id for t in dag.topological_sort()] == ["live_forces", "count", "summarise"]
    assert dag.test(run_conf={"day": "2026-12-03"}).state == "failed", "the alert"
    summary = json.loads((store / "platform" / "lost-links.json").read_text(encoding="utf-8"))
    assert summary["alerts"] == ["demo"] and summary["forces"]["demo"]["malformed"] == 1
    (row,) = dashboard.lost_link_rows(store, ["demo"])
    assert row.day == "2026-12-03" and not row.ok and row.alerts == 1 and (store / row.report).is_file()

    assert dag.test(run_conf={"day": "2026-12-04"}).state == "success", "no logs that day: said, not an alert"
    quiet = json.loads((store / "demo" / "lost-links" / "2026-12-04.json").read_text(encoding="utf-8"))
    assert quiet["files"] == 0 and quiet["rows"] == []
