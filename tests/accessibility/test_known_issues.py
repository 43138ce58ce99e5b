"""Accepted known accessibility issues (onboarding_specs/<slug>.known-issues.yaml): reading them with every
error located, the gate and the re-audit honouring an unexpired entry and failing on an expired one, the
reports and the statement listing them, and `validate` failing on an expired entry.

Audit results are real AuditResult and Finding objects built here (no Chromium needed); the files are
real files in a temporary folder, and `validate` runs as a force's digital team runs it.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import DEMO, SPECS, soh
from soh_onboarding import spec
from soh_onboarding.accessibility import gate, known, report
from soh_onboarding.accessibility.audit import AuditResult, PageResult
from soh_onboarding.accessibility.engines import EngineResult
from soh_onboarding.accessibility.findings import Finding
from soh_onboarding.live import reaudit

TODAY = date(2026, 12, 7)
SITE = "http://127.0.0.1:8082/preview/demo/"
ENTRY = """\
# yaml-language-server: $schema=../schemas/known-issues.schema.json
known_issues:
  - rule: color-contrast
    pages: /find-us/*
    target: .map-widget
    reason: The station map is our supplier's widget; its next release fixes the contrast.
    expires: 2027-06-30
    decided_by: Jane Smith, Head of Digital
"""


def finding(path: str, rule: str = "color-contrast", criteria: tuple[str, ...] = ("1.4.3",), **kw: str) -> Finding:
    engine, _, name = rule.rpartition(":")
    result = EngineResult(
        engine=engine or "axe",
        rule=name,
        kind="violation",
        criteria=criteria,
        target=kw.get("target", ".map-widget > .label"),
        help="Elements must meet minimum color contrast ratio thresholds",
        impact=kw.get("impact", "serious"),
    )
    return Finding(url=SITE + path.lstrip("/"), target=result.target, wcag=list(criteria), results=[result])


def audit_of(*findings: Finding, extra_pages: tuple[str, ...] = ("/",)) -> AuditResult:
    """An AuditResult as the audit returns it: one page per finding's URL, plus clean pages."""
    pages: dict[str, PageResult] = {SITE + p.lstrip("/"): PageResult(SITE + p.lstrip("/"), 200) for p in extra_pages}
    for item in findings:
        pages.setdefault(item.url, PageResult(item.url, 200)).violations.append(item)
    engines = {"axe": "axe-core 4.10", "keyboard": "keyboard probe"}
    return AuditResult("WCAG 2.2 AA", list(pages.values()), "2026-12-07T09:00:00+00:00", 1.0, 1, engines)


def write(folder: Path, text: str, name: str = "demo.known-issues.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading ----------------------------------------------------------------------------------------------


def test_the_demo_forces_file_is_valid_and_unexpired_for_about_a_year() -> None:
    first = (SPECS / "demo.known-issues.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/known-issues.schema.json"  # editors check it
    found = known.read(SPECS / "demo.known-issues.yaml", TODAY)
    assert found.valid and found.problems() == []
    [entry] = found.entries
    assert entry.expires >= date(2027, 11, 30) and entry.decided_by
    assert known.known_issues_file(DEMO) == SPECS / "demo.known-issues.yaml"
    assert known.spec_for(SPECS / "demo.known-issues.yaml") == DEMO
    # It sits beside the specs but is not taken for one.
    assert SPECS / "demo.known-issues.yaml" not in spec.spec_files()


def test_a_valid_entry_is_read_with_its_line(tmp_path: Path) -> None:
    found = known.read(write(tmp_path, ENTRY), TODAY)
    assert found.errors == []
    [entry] = found.entries
    assert (entry.line, entry.rule, entry.pages, entry.target) == (3, "color-contrast", "/find-us/*", ".map-widget")
    assert entry.expires == date(2027, 6, 30) and entry.decided_by == "Jane Smith, Head of Digital"


def entry_with(**fields: str | None) -> str:
    """ENTRY with some fields replaced (None: removed)."""
    values = {
        "rule": "color-contrast",
        "pages": "/find-us/*",
        "reason": "The station map is our supplier's widget; its next release fixes the contrast.",
        "expires": "2027-06-30",
        "decided_by": "Jane Smith, Head of Digital",
    } | fields
    lines = [f"    {key}: {value}" for key, value in values.items() if value is not None]
    return "known_issues:\n  - " + "\n".join(lines)[4:] + "\n"


@pytest.mark.parametrize(
    ("text", "expected", "hint"),
    [
        (
            entry_with(rule="'colour contrast'"),
            "demo.known-issues.yaml:2:11: known_issues[0].rule: 'colour contrast' is not in the expected form",
            "a rule such as color-contrast, ibm:label_name_visible",
        ),
        (
            entry_with(rule="wave:contrast"),
            "demo.known-issues.yaml:2:11: known_issues[0].rule: 'wave:contrast' is not in the expected form",
            "engines: axe, ibm, htmlcs, keyboard",
        ),
        (
            entry_with(rule="'1.4.99'"),
            "demo.known-issues.yaml:2:11: known_issues[0].rule: '1.4.99' is not a WCAG success criterion",
            "e.g. 1.4.3",
        ),
        (
            entry_with(pages="/find-us/[a-z*"),
            "demo.known-issues.yaml:3:12: known_issues[0].pages: '/find-us/[a-z*' is not a usable glob over the "
            "page's path: the [ at character 10 is never closed",
            "close it",
        ),
        (
            entry_with(pages="https://www.demoshire.example/find-us/*"),
            "demo.known-issues.yaml:3:12: known_issues[0].pages: 'https://www.demoshire.example/find-us/*' is not "
            "in the expected form",
            "the host is ignored",
        ),
        (
            entry_with(pages="//www.demoshire.example/find-us/*"),
            "demo.known-issues.yaml:3:12: known_issues[0].pages: '//www.demoshire.example/find-us/*' is not a "
            "usable glob over the page's path: looks like a URL with a host",
            "give the path only",
        ),
        (
            entry_with(decided_by=None),
            "demo.known-issues.yaml:2:3: known_issues[0].decided_by: required field is missing",
            "add it: Who accepted it",
        ),
        (
            entry_with(decided_by="Jane"),
            "demo.known-issues.yaml:6:17: known_issues[0].decided_by: 'Jane' is not in the expected form",
            "a name and role",
        ),
        (
            entry_with(expires="2027-02-30"),
            "demo.known-issues.yaml:5:14: known_issues[0].expires: '2027-02-30' is not a valid date",
            "YYYY-MM-DD",
        ),
        (
            entry_with(expires="2026-12-06"),
            "demo.known-issues.yaml:5:14: known_issues[0].expires: the accepted known issue color-contrast on "
            "/find-us/* (line 2) expired on 2026-12-06",
            "renew it by pull request with a new expiry",
        ),
        (
            entry_with(expires="2027-12-08"),
            "demo.known-issues.yaml:5:14: known_issues[0].expires: 2027-12-08 is more than 12 months ahead (the "
            "latest allowed today is 2027-12-07)",
            "at most 12 months",
        ),
        (
            entry_with(reason="TBC"),
            "demo.known-issues.yaml:4:13: known_issues[0].reason:",
            "it goes into the accessibility statement",
        ),
        (
            entry_with(owner="me@x.example"),
            "demo.known-issues.yaml:7:5: known_issues[0].owner: unknown field 'owner'",
            "allowed here: rule, pages, target, reason, expires, decided_by",
        ),
        (
            ENTRY + ENTRY.split("known_issues:\n")[1].replace("2027-06-30", "2027-05-31"),
            "demo.known-issues.yaml:9:5: known_issues[1]: the same rule, pages and target as the entry at line 3",
            "keep one entry",
        ),
        ("- rule: color-contrast\n", "demo.known-issues.yaml:1:1: (file): the top level is a list", "known_issues:"),
        ("", "demo.known-issues.yaml:1:1: (file): the file is empty", "starts with `known_issues:`"),
        ("known_issues: [\n", "demo.known-issues.yaml:2:1: (file):", ""),
    ],
)
def test_each_error_is_located_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str, hint: str
) -> None:
    monkeypatch.chdir(tmp_path)
    found = known.read(write(tmp_path, text), TODAY)
    formatted = [error.format() for error in found.problems()]
    assert any(line.startswith(expected) for line in formatted), formatted
    assert any(hint in line for line in formatted), formatted
    assert not found.valid or found.expired()  # nothing of a broken file is honoured (expiry: see the gate)


def test_an_entry_with_an_error_does_not_hide_the_next_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = entry_with(decided_by=None) + entry_with(pages="/a/[b").removeprefix("known_issues:\n")
    fields = [(e.line, e.field) for e in known.read(write(tmp_path, text), TODAY).errors]
    assert fields == [(2, "known_issues[0].decided_by"), (7, "known_issues[1].pages")]


def test_the_latest_expiry_is_12_months_ahead() -> None:
    assert known.months_ahead(date(2026, 12, 7)) == date(2027, 12, 7)
    assert known.months_ahead(date(2028, 2, 29)) == date(2029, 2, 28)
    assert known.months_ahead(date(2027, 3, 31), 11) == date(2028, 2, 29)


# --- matching ---------------------------------------------------------------------------------------------


def test_an_entry_matches_its_rule_or_criterion_page_and_element() -> None:
    entry = known.KnownIssue(3, 5, "color-contrast", "/find-us/*", "r" * 10, TODAY, "J, Head", ".map-widget")
    assert entry.matches(finding("/find-us/stations/"), SITE)
    assert entry.matches(finding("/find-us/stations/a/?page=2"), SITE)  # * crosses /; the query is ignored
    assert not entry.matches(finding("/news/find-us/"), SITE)
    assert not entry.matches(finding("/find-us/", target="#main > p"), SITE)
    assert not entry.matches(finding("/find-us/x/", rule="ibm:text_contrast_sufficient"), SITE)
    by_criterion = known.KnownIssue(3, 5, "1.4.3", "/find-us/*", "r" * 10, TODAY, "J, Head")
    assert by_criterion.matches(finding("/find-us/x/", rule="ibm:text_contrast_sufficient"), SITE)
    ibm = known.KnownIssue(3, 5, "ibm:label_name_visible", "/contact/", "r" * 10, TODAY, "J, Head")
    assert ibm.matches(finding("/contact/", rule="ibm:label_name_visible", criteria=("2.5.3",)), SITE)
    # The host is ignored: the same entry matches the live domain's page.
    live = Finding(
        url="https://www.demoshire.example/find-us/x/",
        target=".map-widget",
        wcag=["1.4.3"],
        results=finding("/find-us/x/").results,
    )
    assert entry.matches(live, "https://www.demoshire.example/")


# --- the gate ---------------------------------------------------------------------------------------------


def test_the_gate_does_not_count_an_accepted_issue_but_lists_it(tmp_path: Path) -> None:
    found = known.read(write(tmp_path, ENTRY), TODAY)
    result = audit_of(finding("/find-us/stations/"), finding("/find-us/", impact="serious"))
    without = gate.check(result, {})
    assert not without.passed and without.counts["serious"] == 2

    verdict = gate.check(result, {}, found, site=SITE)
    assert verdict.passed and verdict.counts["serious"] == 0, verdict.summary()
    [accepted, again] = sorted(verdict.accepted, key=lambda item: item["page"])
    assert accepted["page"] == "/find-us/" and accepted["entry"]["reason"].startswith("The station map")
    assert accepted["where"].endswith("demo.known-issues.yaml:3") and accepted["entry"]["expires"] == "2027-06-30"
    assert again["page"] == "/find-us/stations/"
    assert verdict.known_issues["accepted"] == 2 and verdict.known_issues["by_impact"] == {"serious": 2}
    assert verdict.known_issues["entries"][0]["state"] == "accepted"
    assert "accepted known issues, not counted: 2" in verdict.summary()
    assert len(result.findings) == 2  # kept in the audit, only not counted


def test_an_issue_the_entry_does_not_match_still_counts(tmp_path: Path) -> None:
    found = known.read(write(tmp_path, ENTRY), TODAY)
    verdict = gate.check(audit_of(finding("/find-us/"), finding("/news/")), {}, found, site=SITE)
    assert not verdict.passed and verdict.counts["serious"] == 1
    assert "at " + SITE + "news/" in verdict.failures[0]


def test_an_expired_entry_fails_the_gate_naming_its_line_and_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path, ENTRY)
    found = known.read(path, date(2027, 7, 1))  # the day after it expired
    verdict = gate.check(audit_of(finding("/find-us/")), {}, found, site=SITE)
    assert not verdict.passed and verdict.counts["serious"] == 1 and verdict.accepted == []
    expired = [line for line in verdict.failures if "expired" in line]
    assert expired == [
        f"{path}:3: the accepted known issue color-contrast on /find-us/* (element .map-widget) expired on "
        "2027-06-30 (1 matching violation(s) counted): renew it by pull request with a new expiry (at most 12 "
        "months ahead) and a new reason, or fix the issue and delete the entry"
    ]
    # On its last day it is still honoured.
    assert gate.check(audit_of(finding("/find-us/")), {}, known.read(path, date(2027, 6, 30)), site=SITE).passed
    # Expired with nothing left to match: the gate still fails, so the file is renewed or cleaned up.
    assert not gate.check(audit_of(), {}, found, site=SITE).passed


def test_an_entry_that_matches_nothing_is_a_warning(tmp_path: Path) -> None:
    found = known.read(write(tmp_path, ENTRY), TODAY)
    verdict = gate.check(audit_of(finding("/news/", impact="moderate")), {}, found, site=SITE)
    assert verdict.passed
    [warning] = verdict.warnings
    assert warning.endswith(
        "demo.known-issues.yaml:3: the accepted known issue color-contrast on /find-us/* (element .map-widget) "
        "matched no violation of this audit: if it is fixed, delete the entry by pull request"
    )
    assert "  warning: " in verdict.summary() and verdict.known_issues["entries"][0]["state"] == "unused"


def test_a_file_with_errors_is_not_honoured_and_fails_the_gate(tmp_path: Path) -> None:
    found = known.read(
        write(tmp_path, ENTRY.replace("decided_by: Jane Smith, Head of Digital", "decided_by: J")), TODAY
    )
    verdict = gate.check(audit_of(finding("/find-us/")), {}, found, site=SITE)
    assert not verdict.passed and verdict.counts["serious"] == 1 and verdict.accepted == []
    assert any("has errors, so none of its accepted known issues is honoured" in line for line in verdict.failures)
    assert any(":8:17: known_issues[0].decided_by: 'J' is not in the expected form" in f for f in verdict.failures)


# --- the reports ------------------------------------------------------------------------------------------


def test_the_report_audit_json_and_statement_list_accepted_issues(tmp_path: Path) -> None:
    found = known.read(write(tmp_path, ENTRY), TODAY)
    result = audit_of(finding("/find-us/"), finding("/news/", rule="image-alt", criteria=("1.1.1",), target="img"))
    verdict = gate.check(result, {"allowed_violations": {"critical": 0, "serious": 1}}, found, site=SITE)
    assert verdict.passed
    out = tmp_path / "out"
    out.mkdir()
    report.write(out, result, verdict, site=SITE, force="Demoshire Police")

    audit_json = json.loads((out / "audit.json").read_text())
    section = audit_json["known_issues"]
    assert section["accepted"] == 1 and section["by_impact"] == {"serious": 1}
    assert section["issues"][0]["url"] == SITE + "find-us/" and section["entries"][0]["matched"] == 1
    assert len(audit_json["findings"]) == 2  # the violations, accepted or not

    html = (out / "accessibility-report.html").read_text()
    assert '<h2 id="accepted-known-issues">Accepted known issues</h2>' in html
    assert "1 violation(s) accepted: 1 serious." in html
    assert "The station map is our supplier&#39;s widget" in html and "Jane Smith, Head of Digital" in html
    assert "2027-06-30" in html and "demo.known-issues.yaml:3</code>" in html
    assert "(accepted known issue:" in html

    statement = (out / "accessibility-statement.md").read_text()
    non_accessible = statement.split("## Non-accessible content")[1].split("### Disproportionate burden")[0]
    assert (
        "- Known issue: Some text does not contrast enough with its background. This fails WCAG 2.2 success "
        "criterion 1.4.3 (Contrast (Minimum))." in non_accessible
    )
    assert "The station map is our supplier's widget; its next release fixes the contrast." in non_accessible
    assert "We plan to fix this by 30 June 2027." in non_accessible
    # The other violation is listed as before; the accepted one is not listed twice.
    assert non_accessible.count("1.1.1") == 1 and non_accessible.count("1.4.3") == 1
    assert "a known issue we will fix by 30 June 2027" in statement.split("## How accessible")[1]


def test_the_reports_without_a_known_issues_file_are_as_before(tmp_path: Path) -> None:
    result = audit_of(finding("/find-us/"))
    verdict = gate.check(result, {"allowed_violations": {"serious": 1}})
    report.write(tmp_path, result, verdict, site=SITE)
    assert "known_issues" not in json.loads((tmp_path / "audit.json").read_text())
    assert "Accepted known issues" not in (tmp_path / "accessibility-report.html").read_text()
    assert "Known issue" not in (tmp_path / "accessibility-statement.md").read_text()


# --- the re-audit -----------------------------------------------------------------------------------------


def test_the_reaudit_does_not_count_an_accepted_regression(tmp_path: Path) -> None:
    live_site = "https://www.demoshire.example/"
    base = reaudit.Baseline("manual__golive", "2026-06-01T10:00:00+00:00", SITE, [], "")
    widget = Finding(
        url=live_site + "find-us/", target=".map-widget", wcag=["1.4.3"], results=finding("/find-us/").results
    )
    result = audit_of(widget)
    found = known.read(write(tmp_path, ENTRY), TODAY)
    verdict = gate.check(result, {}, found, site=live_site)
    assert reaudit.regressions(result, live_site, base) != []  # without the entry, a regression
    assert reaudit.regressions(result, live_site, base, verdict.accepted) == []

    expired = gate.check(result, {}, known.read(tmp_path / "demo.known-issues.yaml", date(2027, 7, 1)), site=live_site)
    assert [entry["page"] for entry in reaudit.regressions(result, live_site, base, expired.accepted)] == ["/find-us/"]

    done = reaudit.Reaudit(
        outcome=reaudit.sitechecks.Outcome("demo", result.started, reaudit.PASS),
        result=result,
        gate=verdict,
        site=live_site,
        baseline=base,
        baseline_missing="",
        statement=reaudit.statement_age("2026-06-01", TODAY),
    )
    line = reaudit.record(tmp_path / "store", done)
    assert line["accepted_known_issues"] == 1 and line["known_issue_failures"] == []
    html = (tmp_path / "store" / line["report"]).read_text()
    assert "Since go-live" in html and "Accepted known issues" in html
    assert "1 violation(s), not regressions while their entry is unexpired" in html
    document = json.loads(Path(line["result"]).read_text())
    assert document["gate"]["known_issues"]["issues"][0]["page"] == "/find-us/"


# --- validate -----------------------------------------------------------------------------------------------


def test_validate_fails_on_an_expired_entry_and_on_a_file_without_its_spec(tmp_path: Path) -> None:
    shutil.copy(DEMO, tmp_path / "demo.yaml")
    path = write(tmp_path, ENTRY.replace("2027-06-30", "2026-01-31"))
    done = soh("validate", str(path), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "demo.known-issues.yaml:7:14: known_issues[0].expires: the accepted known issue color-contrast on "
        "/find-us/* (element .map-widget) (line 3) expired on 2026-01-31" in done.stdout
    )
    assert "hint: renew it by pull request with a new expiry" in done.stdout
    assert "1 known accessibility issues file(s) checked: 0 valid, 1 with 1 error(s)" in done.stdout
    assert "Traceback" not in done.stderr
    # The whole folder, as the local pre-commit hook runs it: the same error, and the file is no spec.
    everything = soh("validate", str(tmp_path), cwd=tmp_path)
    assert everything.returncode == 1 and "expired on 2026-01-31" in everything.stdout
    assert "1 spec file(s) checked: 1 valid" in everything.stdout

    soon = (known.utc_today() + timedelta(days=30)).isoformat()  # validate judges expiry on today's date
    write(tmp_path, ENTRY.replace("2027-06-30", soon))
    assert soh("validate", str(tmp_path), cwd=tmp_path).returncode == 0
    write(tmp_path, ENTRY, "nosuchforce.known-issues.yaml")
    orphan = soh("validate", str(tmp_path), cwd=tmp_path)
    assert orphan.returncode == 1
    assert "nosuchforce.known-issues.yaml:1:1: (file): no spec nosuchforce.yaml beside this file" in orphan.stdout


# --- the onboarding DAG's task, in real Chromium ----------------------------------------------------------


def test_the_onboarding_task_reads_the_file_beside_the_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The glue behind the DAG's accessibility task: without the file the gate fails on an image without alt;
    with an unexpired entry for it beside the spec (found as the redirect overrides are), the task passes and
    the run's audit.json lists it; with the entry expired, the task fails naming the entry's line."""
    import sys

    from airflow.sdk.exceptions import AirflowFailException

    from conftest import ROOT

    sys.path.insert(0, str(ROOT))
    from sandbox.platform import SandboxPlatform, start
    from sandbox.platform.scenarios import configured_tenant
    from soh_onboarding.artifacts import write_json
    from soh_onboarding.glue import accessibility, runtime, snapshot

    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(DEMO, specs / "demo.yaml")
    monkeypatch.setenv("SOH_SPECS_DIR", str(specs))
    pages = {
        "/": ("Demoshire Police: home", "<p>In an emergency always call 999.</p>"),
        "/find-us/map/": ("Find us", '<p>Our stations.</p><img src="/media/map.png" width="50" height="50">'),
    }
    platform = SandboxPlatform(":memory:", token="t")
    configured_tenant(platform, "known", ("www.known.example",), "Demoshire Police", pages=pages, redirects={})
    entry = entry_with(
        rule="image-alt", pages="/find-us/*", expires=(known.utc_today() + timedelta(days=30)).isoformat()
    )
    with start(platform) as running:
        context = {"run_id": "manual__known_issues", "params": {}}
        snapshot.check_and_snapshot(str(specs / "demo.yaml"), context)
        folder = runtime.run_folder("demo", context)
        write_json(folder.phase("provisioning") / "provisioning.json", {"preview_url": f"{running.url}/preview/known/"})
        with pytest.raises(AirflowFailException, match=r"accessibility gate FAILED: 1 critical \(allowed 0\)"):
            accessibility.audit("demo", None, context)

        write(specs, entry)
        summary = accessibility.audit("demo", None, context)
        assert summary["gate"]["passed"] and summary["violations"] == 1, summary
        audit_json = json.loads((folder.root / "accessibility" / "audit.json").read_text())
        assert audit_json["known_issues"]["accepted"] == 1
        assert audit_json["known_issues"]["issues"][0]["page"] == "/find-us/map/"

        write(specs, entry_with(rule="image-alt", pages="/find-us/*", expires="2026-01-31"))
        with pytest.raises(
            AirflowFailException, match=r"demo\.known-issues\.yaml:2: the accepted known issue image-alt"
        ):
            accessibility.audit("demo", None, context)


def test_the_audit_command_takes_the_file_beside_its_spec(tmp_path: Path) -> None:
    """`audit --spec`: the gate fails on an image without alt, then passes once the file beside the spec
    accepts it, and fails again naming the line when the file's entry has expired."""
    import a11y_pages

    shutil.copy(DEMO, tmp_path / "demo.yaml")
    soon = (known.utc_today() + timedelta(days=30)).isoformat()
    with a11y_pages.serve() as served:
        page = served + "/images/fail-img-no-alt.html"

        def audit(out: str) -> tuple[int, str]:
            done = soh("audit", page, "--spec", str(tmp_path / "demo.yaml"), "--out", str(tmp_path / out))
            assert "Traceback" not in done.stderr
            return done.returncode, done.stdout

        code, stdout = audit("without")
        assert code == 1 and "1 critical (allowed 0)" in stdout
        write(tmp_path, entry_with(rule="image-alt", pages="/images/*", expires=soon))
        code, stdout = audit("with")
        assert code == 0, stdout
        assert "0 critical (allowed 0)" in stdout and "accepted known issues, not counted: 1" in stdout
        write(tmp_path, entry_with(rule="image-alt", pages="/images/*", expires="2026-01-31"))
        code, stdout = audit("expired")
        assert code == 1 and "demo.known-issues.yaml:2: the accepted known issue image-alt on /images/*" in stdout
