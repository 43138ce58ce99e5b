"""Traffic data (a CSV of path and hits): it orders and seeds the crawl, orders the unresolved list, and the
report gives the share of traffic redirected. Against the sandbox site, and with bad files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from test_crawl import settings, spec_for

from sandbox.legacy_site import LegacySite, start
from soh_onboarding import project
from soh_onboarding.migration import pipeline
from soh_onboarding.migration.crawl import Crawl, read_pages
from soh_onboarding.migration.traffic import TrafficDataError, load_for_spec, parse_traffic
from soh_onboarding.urls import Scope

BASE = "http://127.0.0.1:8081/"


def scope() -> Scope:
    return Scope.from_spec(spec_for(BASE))


def test_paths_and_urls_are_canonicalised_and_added_up() -> None:
    text = (
        "\ufeffPage,Hits\n"
        "/News/Item-1.aspx,10\n"
        "/news/item-1.aspx?utm_source=mail,5\n"
        "http://localhost:8081/news/item-1.aspx,1\n"  # the site's other host name: the same page
        "https://www.example.org/elsewhere,99\n"
        "/calendar/2026/03.aspx,3\n"  # the demo spec excludes /calendar/
        "/,1\n"
        ",\n"
    )
    traffic = parse_traffic(text, scope(), "hits.csv")
    assert traffic.hits == {f"{BASE}news/item-1.aspx": 16, BASE: 1}
    assert (traffic.skipped_elsewhere, traffic.skipped_excluded) == (1, 1)
    assert traffic.ordered()[0] == (f"{BASE}news/item-1.aspx", 16)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "hits.csv: the file is empty; it needs a header row such as 'path,hits'"),
        (
            "page,when\n/a,1\n",
            "hits.csv line 1: the header 'page,when' has no a hits (or count) column; use 'path,hits'",
        ),
        ("path,hits\n/a,1\n/b,many\n", "hits.csv line 3: hits 'many' is not a whole number of visits"),
        ("path,hits\n/a\n", "hits.csv line 2: 1 field(s), the header has 2"),
        ("path,hits\n,4\n", "hits.csv line 2: the path is empty"),
        ("path,hits\nhttp://[::1:8081/x,4\n", "hits.csv line 2: 'http://[::1:8081/x' is not a URL or path"),
    ],
)
def test_a_bad_file_is_refused_with_its_line(text: str, message: str) -> None:
    with pytest.raises(TrafficDataError) as error:
        parse_traffic(text, scope(), "hits.csv")
    assert str(error.value).startswith(message)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    data = spec_for(BASE)
    data["legacy_site"]["traffic_data"] = "traffic/none.csv"
    with pytest.raises(TrafficDataError, match=r"^traffic/none.csv: no such file \(legacy_site.traffic_data\)"):
        load_for_spec(data, tmp_path)
    assert load_for_spec(spec_for(BASE), tmp_path) is None


def test_busiest_urls_are_crawled_first_even_when_nothing_links_to_them(tmp_path: Path) -> None:
    site = LegacySite(200, seed=5, fault_rate=0, slow_ms=0)
    with start(site) as running:
        data = spec_for(running.url, concurrency=1)
        data["legacy_site"]["sitemap_urls"] = []  # the crawl finds pages by links only
        deep = [site.page_url(i) for i in (199, 150, 120)]  # items far from the home page
        hits = {running.url.rstrip("/") + path: n for path, n in zip(deep, (30, 20, 10), strict=True)}
        hits[running.url.rstrip("/") + "/no-such-page.aspx"] = 5  # an old URL no link reaches at all
        crawl = Crawl(data, tmp_path, settings(data, max_pages=6), priority=hits, progress=lambda _: None)
        crawl.run()
    records = list(read_pages(tmp_path))
    first = [r.url for r in records[:4]]
    assert first == list(hits)  # busiest first, before the home page (no hits)
    assert [r.found_on for r in records[:4]] == ["traffic data"] * 4
    assert [r.status for r in records[:4]] == [200, 200, 200, 404]


def test_the_report_orders_unresolved_urls_by_traffic_and_gives_the_share_redirected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = LegacySite(60, seed=2, fault_rate=0, slow_ms=0)
    with start(site) as running:
        data = spec_for(running.url)
        # without the catch-all rule, the section listings (/news.aspx, ...) are left unresolved
        mapping = data["content_mapping"]
        mapping["rules"] = [rule for rule in mapping["rules"] if rule["match"] != r"^/(?P<slug>[a-z0-9-]+)\.aspx$"]
        mapping["max_unresolved_share"] = 1
        base = running.url.rstrip("/")
        hits = {
            "/": 400,  # the home page: a redirect in the demo spec
            "/News.aspx": 300,  # a listing: unresolved (no rule names it)
            "/no-such-page.aspx": 200,  # never answered: not redirected
            site.page_url(10): 100,
        }
        rows = [["path", "hits"], *([path, n] for path, n in hits.items())]
        (tmp_path / "traffic").mkdir()
        with (tmp_path / "traffic" / "demo.csv").open("w", newline="") as file:
            csv.writer(file).writerows(rows)
        data["legacy_site"]["traffic_data"] = "traffic/demo.csv"
        monkeypatch.setattr(project, "ROOT", tmp_path)
        out = tmp_path / "out"
        summary = pipeline.migrate(data, out, progress=lambda _: None)

    inventory = {row["old_url"]: row for row in csv.DictReader((out / "inventory.csv").open())}
    canonical = {Scope.from_spec(data).canonicalise(base + path): n for path, n in hits.items()}
    redirected = sum(
        n
        for url, n in canonical.items()
        if inventory[url]["mapping"] in ("redirect", "duplicate") and inventory[url]["new_path"]
    )
    assert 0 < redirected < sum(hits.values())
    assert summary.traffic_hits == 1000
    assert summary.traffic_redirected_share == round(redirected / 1000, 4)
    report = (out / "migration-report.md").read_text()
    assert f"**{summary.traffic_redirected_share:.1%}** of 1,000 hits" in report
    unresolved = report.split("## Unresolved")[1]
    rows_in_report = [line for line in unresolved.splitlines() if line.startswith(f"| {base}")]
    assert rows_in_report[0].startswith(f"| {base}/news.aspx | page | 300 |")
    hits_column = [line.split(" | ")[2] for line in rows_in_report]  # | Old URL | Kind | Hits | Why |
    assert hits_column[1:] == ["0"] * (len(rows_in_report) - 1)  # the rest have no traffic: after it
    assert json.loads((out / "summary.json").read_text())["traffic_hits"] == 1000


def test_the_cli_names_the_bad_line_of_the_traffic_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import DEMO
    from soh_onboarding import cli

    (tmp_path / "traffic").mkdir()
    (tmp_path / "traffic" / "demo.csv").write_text("path,hits\n/,10\n/news.aspx,lots\n", encoding="utf-8")
    spec_file = tmp_path / "demo.yaml"
    text = DEMO.read_text(encoding="utf-8")
    spec_file.write_text(
        text.replace("  content_selectors:", "  traffic_data: traffic/demo.csv\n  content_selectors:", 1)
    )
    monkeypatch.setattr(project, "ROOT", tmp_path)
    code = cli.main(["migrate", str(spec_file), "--out", str(tmp_path / "out")])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        f"{spec_file}: legacy_site.traffic_data: traffic/demo.csv line 3: hits 'lots' is not a whole number of visits"
    )
