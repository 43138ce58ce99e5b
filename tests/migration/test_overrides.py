"""A force's redirect overrides (<slug>.redirects.csv): each error at its line, the validate command's answer."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import DEMO, demo_on_legacy_site, soh
from sandbox.legacy_site import LegacySite, start
from soh_onboarding.golive.redirects import read_map
from soh_onboarding.migration import overrides, pipeline
from soh_onboarding.migration.destinations import Destination, Destinations, DestinationsError
from soh_onboarding.migration.mapping import LinkLookup, Mapping, rewrite_links
from soh_onboarding.provisioning.items import read_redirects

DEMO_DATA = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
OLD = "http://www.demoshire-police.example"
HEADER = "old_url,type,new_url,note\n"


def errors(text: str) -> list[tuple[int, str, str]]:
    """(line, column, message) of each error in an overrides file holding `text`."""
    scope = overrides.Scope.from_spec(DEMO_DATA)
    found = overrides.parse(text, "demo.redirects.csv", scope, DEMO_DATA["tenant"]["domains"])
    assert found.errors or found.rows
    return [(e.line, e.field, e.message) for e in found.errors]


def test_a_valid_file_reads_every_kind_of_row() -> None:
    scope = overrides.Scope.from_spec(DEMO_DATA)
    text = (
        HEADER + "/News/Appeal.aspx,redirect,/news/demo/appeal/,renamed by the news team\n"
        f"{OLD}/about/history.aspx,archive,https://webarchive.nationalarchives.gov.uk/ukgwa/2024/x,kept\n"
        "/jobs/closed.aspx,archive,,\n"
        "/intranet/login.aspx,unresolved,,not public\n"
    )
    found = overrides.parse(text, "demo.redirects.csv", scope, DEMO_DATA["tenant"]["domains"])
    assert found.errors == []
    assert [(r.line, r.type) for r in found.rows] == [
        (2, "redirect"),
        (3, "archive"),
        (4, "archive"),
        (5, "unresolved"),
    ]
    first = found.rows[0]
    assert (first.old_url, first.new_path, first.note) == (
        f"{OLD}/news/appeal.aspx",
        "/news/demo/appeal/",
        "renamed by the news team",
    )
    assert [r.archive_action for r in found.rows[1:3]] == ["archive_link", "gone"]


def test_the_tenant_domain_is_not_an_old_url() -> None:
    text = HEADER + "https://demo.soh.localhost/x.aspx,redirect,/contact/,\n"
    assert errors(text) == [(2, "old_url", "'https://demo.soh.localhost/x.aspx' is not on the legacy site")]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("/a.aspx,redirct,/a/,\n", (4, "type", "unknown type 'redirct'")),
        ("/a.aspx,,/a/,\n", (4, "type", "the type is empty")),
        ("/a.aspx,redirect,/a/\n", (4, "(row)", "3 field(s), the header has 4")),
        (",redirect,/a/,\n", (4, "old_url", "the old URL is empty")),
        (
            "https://elsewhere.example/a,redirect,/a/,\n",
            (4, "old_url", "'https://elsewhere.example/a' is not on the legacy site"),
        ),
        ("/a.aspx,redirect,,\n", (4, "new_url", "a redirect needs a new_url")),
        ("/a.aspx,redirect,news/a/,\n", (4, "new_url", "'news/a/' is not a path")),
        (
            "/a.aspx,redirect,https://evil.example/a/,\n",
            (4, "new_url", "'https://evil.example/a/' is neither on the new site nor a national destination"),
        ),
        ("/a.aspx,redirect,/a/?x=1,\n", (4, "new_url", "'/a/?x=1' has a query or fragment")),
        ("/a.aspx,redirect,/a/../../b/,\n", (4, "new_url", "new path /a/../../b/ climbs above the site root")),
        ("/a.aspx,unresolved,/a/,\n", (4, "new_url", "an unresolved row has no new_url")),
        ("/a.aspx,archive,/a/,\n", (4, "new_url", "'/a/' is not an archive URL")),
        (
            f"/a.aspx,archive,{OLD}/b.aspx,\n",
            (4, "new_url", f"'{OLD}/b.aspx' is on the legacy site, which goes away at the switch"),
        ),
        ("/a.aspx,redirect,/a.aspx,\n", (4, "new_url", f"{OLD}/a.aspx redirects to itself (a loop)")),
        (
            f"/a.aspx,redirect,{OLD}/b.aspx,\n",
            (4, "new_url", f"redirects to {OLD}/b.aspx, a URL of the legacy site"),
        ),
        ('/a.aspx,redirect,"/a/,\n', (4, "(row)", "this line is not valid CSV (unexpected end of data)")),
    ],
)
def test_each_kind_of_error_names_its_line(rows: str, expected: tuple[int, str, str]) -> None:
    """After a good row and a blank line, the bad row is line 4."""
    assert errors(HEADER + "/fine.aspx,archive,,\n\n" + rows) == [expected]


def test_duplicates_chains_and_a_bad_header() -> None:
    text = (
        HEADER + "/a.aspx,redirect,/news/demo/a/,\n"  # 2
        "/b.aspx,redirect,/A.aspx,\n"  # 3: to an old URL that itself redirects
        "/c.aspx,archive,,\n"  # 4
        "/d.aspx,redirect,/c.aspx,\n"  # 5: to an archived one
        "/A.aspx,archive,,\n"  # 6: /a.aspx again (canonical old URLs are lower case)
    )
    assert errors(text) == [
        (3, "new_url", f"redirects to {OLD}/a.aspx, which itself redirects to /news/demo/a/ (a chain)"),
        (5, "new_url", f"redirects to {OLD}/c.aspx, which is archived (gone)"),
        (6, "old_url", f"{OLD}/a.aspx is already on line 2"),
    ]
    assert errors("old_url,kind,new_url\n/a.aspx,redirect,/a/\n") == [
        (1, "(header)", "missing column(s) type"),
        (1, "(header)", "unknown column(s) 'kind'"),
    ]
    assert errors("old_url\n") == [(1, "(header)", "missing column(s) type, new_url")]


def test_a_file_with_errors_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "demo.redirects.csv"
    path.write_text(HEADER + "/a.aspx,redirect,/news/demo/a/,\n/b.aspx,gone,,\n", encoding="utf-8")
    found = overrides.read(path, DEMO_DATA)
    assert [e.line for e in found.errors] == [3] and found.rows == []
    path.write_bytes(HEADER.encode() + b"/a.aspx,archive,,caf\xe9\n")
    assert [(e.line, e.message) for e in overrides.read(path, DEMO_DATA).errors] == [(2, "not UTF-8 text (byte 46)")]


def specs_folder(tmp_path: Path, csv_text: str | None) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "demo.yaml").write_bytes(DEMO.read_bytes())
    if csv_text is not None:
        (folder / "demo.redirects.csv").write_text(csv_text, encoding="utf-8")
    return folder


def test_validate_exits_1_with_file_line_messages(tmp_path: Path) -> None:
    folder = specs_folder(
        tmp_path, HEADER + "/a.aspx,redirect,/news/demo/a/,\n/b.aspx,redirct,/b/,\n/A.aspx,archive,,\n"
    )
    (folder / "demoo.redirects.csv").write_text(HEADER, encoding="utf-8")
    done = soh("validate", str(folder), "--store", str(tmp_path / "no-store"), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "specs/demo.redirects.csv:3:1: type: unknown type 'redirct'" in lines
    assert f"specs/demo.redirects.csv:4:1: old_url: {OLD}/a.aspx is already on line 2" in lines
    assert "    hint: one row per old URL: keep line 2 or line 4, not both" in lines
    assert "specs/demoo.redirects.csv:1:1: (file): no spec demoo.yaml beside this file, so it never applies" in lines
    assert lines[-2:] == [
        "1 spec file(s) checked: 1 valid",
        "2 redirect overrides file(s) checked: 0 valid, 2 with 3 error(s)",
    ]
    assert "Traceback" not in done.stderr
    alone = soh("validate", "--github", str(folder / "demo.redirects.csv"), "--store", str(tmp_path / "no-store"))
    assert alone.returncode == 1
    assert f"::error file={folder / 'demo.redirects.csv'},line=3,col=1::type: unknown type 'redirct'" in alone.stdout


def test_validate_exits_0_on_a_good_file(tmp_path: Path) -> None:
    folder = specs_folder(tmp_path, HEADER + "/a.aspx,redirect,/news/demo/a/,renamed\n/b.aspx,archive,,\n")
    done = soh("validate", str(folder / "demo.yaml"), "--store", str(tmp_path / "no-store"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        f"specs/demo.redirects.csv: checked on its own (no passing migration of demo in {tmp_path / 'no-store'})",
        "1 spec file(s) checked: 1 valid",
        "1 redirect overrides file(s) checked: 1 valid",
    ]


# --- against a real migration of the sandbox site ---------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A store holding one passing migration of the demo force (store/demo/run-1/migration), and a specs
    folder whose demo.yaml fetched it; the legacy site is stopped once the migration is done."""
    root = tmp_path_factory.mktemp("overrides")
    site = LegacySite(50, seed=2, fault_rate=0, slow_ms=0)
    with start(site) as running:
        text = demo_on_legacy_site(DEMO.read_text(encoding="utf-8"), running.host)
        folder = root / "store" / "demo" / "run-1" / "migration"
        summary = pipeline.migrate(yaml.safe_load(text), folder, max_pages=40, progress=lambda _line: None)
    assert summary.quality_passed and summary.by_mapping["unresolved"] == 1, summary
    specs = root / "specs"
    specs.mkdir()
    (specs / "demo.yaml").write_text(text, encoding="utf-8")
    yield root / "store", specs


CORRECTIONS = (
    HEADER + '/disclosure-log.aspx,redirect,/advice/,"split up; its parts are in advice"\n'  # 2: was unresolved
    "/about-us.aspx,archive,,section closed\n"  # 3: its page was migrated; the old URL answers 410 now
)
NO_LONGER = (
    "/no-such-page.aspx,redirect,/advice/,\n"  # 4: the crawl never saw it
    "/accessibility.aspx,redirect,/not-migrated/,\n"  # 5: no page there
    "/advice.aspx,redirect,/advice/burglary.aspx,\n"  # 6: that old URL itself redirects
)


def table(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["old_url"]: row for row in csv.DictReader(handle)}


def test_validate_checks_against_the_latest_migration(store: tuple[Path, Path]) -> None:
    root, specs = store
    migration = root / "demo" / "run-1" / "migration"
    (specs / "demo.redirects.csv").write_text(CORRECTIONS + NO_LONGER, encoding="utf-8")
    done = soh("validate", str(specs / "demo.redirects.csv"), "--store", str(root), cwd=specs)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert (
        f"demo.redirects.csv:4:1: old_url: {OLD}/no-such-page.aspx is not an old URL of the migration in {migration}"
        in lines
    )
    assert (
        f"demo.redirects.csv:5:1: new_url: no page was migrated to /not-migrated/ (migration in {migration})" in lines
    )
    assert (
        f"demo.redirects.csv:6:1: new_url: redirects to {OLD}/advice/burglary.aspx, which itself redirects to "
        "/advice/advice-and-information/burglary/ (a chain)" in lines
    )
    assert not any(line.startswith(("demo.redirects.csv:2:", "demo.redirects.csv:3:")) for line in lines)
    assert f"demo.redirects.csv: checked against the migration in {migration}" in lines
    (specs / "demo.redirects.csv").write_text(CORRECTIONS, encoding="utf-8")
    good = soh("validate", str(specs), "--store", str(root), cwd=specs)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.splitlines()[-1] == "1 redirect overrides file(s) checked: 1 valid"


def test_apply_without_crawling_again(store: tuple[Path, Path], tmp_path: Path) -> None:
    """The legacy site is stopped: a request to it would fail the crawl's pages and the quality checks; and
    the crawl's journal is left byte for byte as it was."""
    root, specs = store
    run = tmp_path / "run-2"
    shutil.copytree(root / "demo" / "run-1", run)
    journal = (run / "migration" / "crawl" / "pages.jsonl").read_bytes()
    before = table(run / "migration" / "redirects.csv")
    assert {row["source"] for row in before.values()} == {"crawl"}
    (specs / "demo.redirects.csv").write_text(CORRECTIONS + NO_LONGER, encoding="utf-8")
    done = soh("overrides", "apply", str(specs / "demo.yaml"), "--run", str(run), "--store", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "overrides (" in done.stdout and "2 applied, 3 no longer apply" in done.stdout
    assert (run / "migration" / "crawl" / "pages.jsonl").read_bytes() == journal

    after = table(run / "migration" / "redirects.csv")
    assert after.keys() == before.keys()
    assert after[f"{OLD}/disclosure-log.aspx"] == {
        "old_url": f"{OLD}/disclosure-log.aspx",
        "new_url": "https://demo.soh.localhost/advice/",
        "type": "redirect",
        "archive_url": "",
        "source": "override",
        "note": "split up; its parts are in advice",
        "destination": "",
        "suggested_url": "",
    }
    about = after[f"{OLD}/about-us.aspx"]
    assert (about["type"], about["new_url"], about["source"], about["note"]) == (
        "archive",
        "",
        "override",
        "section closed",
    )
    # The rows that no longer apply leave their old URLs as computed.
    changed = {url for url in after if after[url] != before[url]}
    assert changed == {f"{OLD}/disclosure-log.aspx", f"{OLD}/about-us.aspx"}

    # The readers of redirects.csv read it by column name: the platform's and go-live's answers follow it.
    published = {r["from_path"]: (r["to_path"], r["status"]) for r in read_redirects(run / "migration")[0]}
    assert published["/disclosure-log.aspx"] == ("/advice/", 301) and published["/about-us.aspx"] == (None, 410)
    checked = {row.old_url: row.type for row in read_map((run / "migration" / "redirects.csv").read_text())}
    assert checked[f"{OLD}/about-us.aspx"] == "archive"

    summary = json.loads((run / "migration" / "summary.json").read_text(encoding="utf-8"))
    assert summary["quality_passed"] and summary["pages_migrated"] == 34  # the about-us page is still published
    assert summary["unresolved_share"] == 0.0  # the one unresolved URL was decided
    report = (run / "migration" / "migration-report.md").read_text(encoding="utf-8")
    assert "## Corrections of the redirect map" in report and "**2** applied, **3** no longer apply" in report
    assert f"| 4 | {OLD}/no-such-page.aspx | redirect | {OLD}/no-such-page.aspx is not an old URL" in report
    assert "| 3 | " + f"{OLD}/about-us.aspx | archive | 410 Gone | section closed |" in report

    (specs / "demo.redirects.csv").write_text(HEADER + "/a.aspx,gone,,\n", encoding="utf-8")
    refused = soh("overrides", "apply", str(specs / "demo.yaml"), "--run", str(run), "--store", str(root))
    assert refused.returncode == 1 and "demo.redirects.csv:2:1: type: unknown type 'gone'" in refused.stderr
    assert table(run / "migration" / "redirects.csv") == after  # nothing of a file with errors is applied
    (specs / "demo.redirects.csv").write_text(CORRECTIONS, encoding="utf-8")
    empty = soh("overrides", "apply", str(specs / "demo.yaml"), "--run", str(tmp_path / "nothing"))
    assert empty.returncode == 1 and "no crawl in" in empty.stderr and "Traceback" not in empty.stderr


def test_the_dags_plan_task_reads_them_from_its_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The onboarding DAG's plan task (glue/migration.py) takes them from the specs beside the running DAG, at
    the time it runs; a file with errors fails the task with every error at its line."""
    from airflow.sdk.exceptions import AirflowFailException

    from soh_onboarding.glue import migration as glue

    folder = specs_folder(tmp_path, None)
    monkeypatch.setenv("SOH_SPECS_DIR", str(folder))
    assert glue.overrides("demo", DEMO_DATA, {}) is None
    (folder / "demo.redirects.csv").write_text(HEADER + "/a.aspx,redirect,/news/demo/a/,renamed\n", encoding="utf-8")
    found = glue.overrides("demo", DEMO_DATA, {})
    assert [(row.line, row.new_path, row.note) for row in found.rows] == [(2, "/news/demo/a/", "renamed")]
    (folder / "demo.redirects.csv").write_text(HEADER + "/a.aspx,redirct,/a/,\n", encoding="utf-8")
    with pytest.raises(AirflowFailException, match=r"demo.redirects.csv:2:1: type: unknown type 'redirct'"):
        glue.overrides("demo", DEMO_DATA, {})


# --- off the new site: national destinations ------------------------------------------------------------

POLICE_UK = Destinations(
    "destinations.yaml",
    (Destination("Police.uk", "https://www.police.uk/"), Destination("Report online", "https://www.gov.uk/report/")),
)


UNENCODED = "'{}' holds characters a URL cannot hold unencoded (spaces, quotes, <, >, non-ASCII)"


def off_site_errors(text: str) -> tuple[list[tuple[int, str, str]], list[overrides.Override]]:
    scope = overrides.Scope.from_spec(DEMO_DATA)
    found = overrides.parse(text, "demo.redirects.csv", scope, DEMO_DATA["tenant"]["domains"], None, POLICE_UK)
    return [(e.line, e.field, e.message) for e in found.errors], found.rows


def test_a_redirect_leaves_the_new_site_only_for_a_national_destination() -> None:
    found, rows = off_site_errors(
        HEADER + "/neighbourhoods.aspx,redirect,https://www.police.uk/pu/your-area/,find your team\n"
        "/report.aspx,redirect,https://WWW.GOV.UK/report/crime?x=1,\n"
    )
    assert found == []
    assert [(r.new_path, r.destination, r.destination_name) for r in rows] == [
        (None, "https://www.police.uk/pu/your-area/", "Police.uk"),
        (None, "https://WWW.GOV.UK/report/crime?x=1", "Report online"),
    ]
    found, _ = off_site_errors(
        HEADER + "/a.aspx,redirect,https://www.police.uk.evil.example/,\n"  # 2: another host
        "/b.aspx,redirect,https://www.gov.uk/reporting/,\n"  # 3: /reporting/ is not under /report/
        "/c.aspx,redirect,http://www.police.uk/,\n"  # 4: another scheme
        "/d.aspx,redirect,https://www.police.uk/x#top,\n"  # 5: a fragment
        "/e.aspx,redirect,https://www.police.uk/,\n"  # 6: fine
        "/f.aspx,redirect,/e.aspx,\n"  # 7: to an old URL that goes to the destination
        "/g.aspx,redirect,https://www.police.uk/report a crime/,\n"  # 8: not encoded
        "/h.aspx,archive,https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/x<y,\n"  # 9: a <
    )
    assert found == [
        (2, "new_url", "'https://www.police.uk.evil.example/' is neither on the new site nor a national destination"),
        (3, "new_url", "'https://www.gov.uk/reporting/' is neither on the new site nor a national destination"),
        (4, "new_url", "'http://www.police.uk/' is neither on the new site nor a national destination"),
        (5, "new_url", "'https://www.police.uk/x#top' has a fragment"),
        (7, "new_url", f"redirects to {OLD}/e.aspx, which itself redirects to https://www.police.uk/ (a chain)"),
        (8, "new_url", UNENCODED.format("https://www.police.uk/report a crime/")),
        (9, "new_url", UNENCODED.format("https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/x<y")),
    ]


def test_the_national_allow_list_is_read_from_config_and_refused_when_malformed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = Destinations.load()
    assert listed.match("https://www.police.uk/pu/contact-us/").name == "Police.uk, the national police site"
    assert listed.match("https://www.actionfraud.police.uk/").url == "https://www.actionfraud.police.uk/"
    assert listed.match("https://evil.example/") is None
    path = tmp_path / "demo.redirects.csv"
    path.write_text(HEADER + "/fraud.aspx,redirect,https://www.actionfraud.police.uk/,national\n", encoding="utf-8")
    assert overrides.read(path, DEMO_DATA).errors == []  # config/destinations.yaml, the default

    bad = tmp_path / "destinations.yaml"
    cases = {
        "destinations: {}\n": "needs a list `destinations`, each with name and url",
        "destinations:\n  - name: x\n": "destinations[1]: each destination needs a name and a url",
        "destinations:\n  - {name: x, url: 'ftp://x.example/'}\n": "must be https://host/path",
        "destinations:\n  - {name: x, url: 'https://x.example/?a=1'}\n": "without query or fragment",
        "destinations: [\n": "not valid YAML",
    }
    for text, message in cases.items():
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(DestinationsError, match=re.escape(message)):
            Destinations.load(bad)
    monkeypatch.setenv("SOH_DESTINATIONS", str(bad))
    refused = overrides.read(path, DEMO_DATA)
    assert [(e.line, e.field) for e in refused.errors] == [(1, "(file)")] and str(bad) in refused.errors[0].message
    monkeypatch.setenv("SOH_DESTINATIONS", str(tmp_path / "missing.yaml"))
    assert "cannot read the national destinations" in overrides.read(path, DEMO_DATA).errors[0].message


def test_content_links_to_an_old_url_sent_off_site_go_there_too() -> None:
    scope = overrides.Scope.from_spec(DEMO_DATA)
    lookup = LinkLookup(
        [
            Mapping(
                f"{OLD}/neighbourhoods.aspx",
                None,
                "redirect",
                None,
                None,
                "override",
                destination_url="https://www.police.uk/pu/your-area/",
                destination="Police.uk",
            )
        ],
        scope,
    )
    html, changed, _ = rewrite_links('<a href="/neighbourhoods.aspx#map">Find us</a>', f"{OLD}/", lookup)
    assert (html, changed) == ('<a href="https://www.police.uk/pu/your-area/#map">Find us</a>', 1)


def test_a_destination_and_the_suggested_pages_of_410s_in_a_real_migration(
    store: tuple[Path, Path], tmp_path: Path
) -> None:
    """Applied to the sandbox site's migration: the destination is in redirects.csv with its name, the
    inventory says so, the quality checks still pass, and the platform gets the whole URL. Every 410 of the
    map offers the migrated page nearest by words, when one is near enough."""
    root, specs = store
    run = tmp_path / "run-3"
    shutil.copytree(root / "demo" / "run-1", run)
    (specs / "demo.redirects.csv").write_text(
        HEADER + "/disclosure-log.aspx,redirect,https://www.gov.uk/make-a-freedom-of-information-request,national\n"
        "/advice/burglary.aspx,archive,,retired: the advice is now in crime prevention\n",
        encoding="utf-8",
    )
    done = soh("overrides", "apply", str(specs / "demo.yaml"), "--run", str(run), "--store", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    (specs / "demo.redirects.csv").unlink()
    after = table(run / "migration" / "redirects.csv")
    moved = after[f"{OLD}/disclosure-log.aspx"]
    assert (moved["type"], moved["new_url"], moved["destination"], moved["source"]) == (
        "redirect",
        "https://www.gov.uk/make-a-freedom-of-information-request",
        "GOV.UK",
        "override",
    )
    inventory = table(run / "migration" / "inventory.csv")
    assert inventory[f"{OLD}/disclosure-log.aspx"]["mapping"] == "destination"
    summary = json.loads((run / "migration" / "summary.json").read_text(encoding="utf-8"))
    assert summary["quality_passed"], summary["quality"]
    published = {r["from_path"]: r for r in read_redirects(run / "migration")[0]}
    assert published["/disclosure-log.aspx"]["to_path"] == "https://www.gov.uk/make-a-freedom-of-information-request"

    # the burglary advice page was migrated, so its retired old URL offers that page, found by its words
    gone = after[f"{OLD}/advice/burglary.aspx"]
    assert (gone["type"], gone["suggested_url"]) == (
        "archive",
        "https://demo.soh.localhost/advice/advice-and-information/burglary/",
    )
    assert published["/advice/burglary.aspx"] == {
        "from_path": "/advice/burglary.aspx",
        "to_path": None,
        "status": 410,
        "suggested_path": "/advice/advice-and-information/burglary/",
    }
    # the archived news stories' nearest pages are other stories from the same headline template (a share
    # of 0.37 to 0.57 of their words): not offered to the public
    stories = [row for url, row in after.items() if "/news/archive/" in url]
    assert len(stories) == 8 and all(row["suggested_url"] == "" for row in stories)
    assert all(row["suggested_url"] == "" for row in after.values() if row["type"] != "archive")
