"""The whole migration on the sandbox site: outputs, safety, mappings, and the same output every time."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_crawl import spec_for

from conftest import DEMO, demo_on_legacy_site, soh
from sandbox.legacy_site import LegacySite, start
from soh_onboarding.migration import pipeline

SITE = LegacySite(120, seed=11, slow_ms=100)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict, str]]:
    with start(SITE) as running:
        data = spec_for(running.url)
        first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
        quiet = lambda _line: None  # noqa: E731
        pipeline.migrate(data, first, chunks=3, progress=quiet)
        pipeline.migrate(data, second, chunks=1, progress=quiet)
        yield first, second, data, running.url


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as table:
        return list(csv.DictReader(table))


def content(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "content.jsonl").read_text(encoding="utf-8").splitlines()]


def test_outputs_have_the_promised_columns(migrated) -> None:
    folder = migrated[0]
    assert list(rows(folder / "inventory.csv")[0]) == list(pipeline.INVENTORY_COLUMNS)
    assert (folder / "redirects.csv").read_text().splitlines()[
        0
    ] == "old_url,new_url,type,archive_url,source,note,destination,suggested_url"
    assert (folder / "migration-report.html").read_text().startswith("<!DOCTYPE html>")
    assert {p.name for p in folder.iterdir()} >= {
        "inventory.csv",
        "redirects.csv",
        "content.jsonl",
        "assets.csv",
        "assets",
        "summary.json",
    }


def test_each_new_path_is_unique_and_every_page_has_title_and_body(migrated) -> None:
    pages = content(migrated[0])
    assert len(pages) > 80
    paths = [p["new_path"] for p in pages]
    assert len(paths) == len(set(paths))
    assert all(p["title"] and p["body_html"].strip() for p in pages)


def test_content_is_safe_and_never_links_to_the_old_site(migrated) -> None:
    folder, _, _, url = migrated
    for page in content(folder):
        body = page["body_html"].lower()
        for unsafe in ("<script", "onclick", "onmouseover", "javascript:", "<style", "<iframe"):
            assert unsafe not in body, (page["old_url"], unsafe)
        assert url.rstrip("/") not in page["body_html"] and "localhost:" not in page["body_html"]
    active = SITE.active_content(url.split("//")[1].rstrip("/"))
    assert active  # the site did carry scripts, handlers and javascript: links


def test_windows_1252_text_arrives_intact(migrated) -> None:
    assert any("£250" in page["body_html"] and "’" in page["body_html"] for page in content(migrated[0]))


def test_missing_alt_text_is_flagged_not_invented(migrated) -> None:
    flagged = [page for page in content(migrated[0]) if page["images_missing_alt"]]
    assert flagged
    for page in flagged:
        assert 'alt=""' not in page["body_html"]


def test_mappings_follow_the_spec_rules(migrated) -> None:
    inventory = {row["old_url"]: row for row in rows(migrated[0] / "inventory.csv")}
    news = [
        row
        for row in inventory.values()
        if "/news/" in row["old_url"] and "/archive/" not in row["old_url"] and row["mapping"] == "redirect"
    ]
    assert news and all(
        row["content_type"] == "news" and row["new_path"].startswith("/news/demo/news/demoshire/") for row in news
    )
    archived = [row for row in inventory.values() if "/news/archive/" in row["old_url"]]
    assert archived and all(row["mapping"] == "archive" and not row["new_path"] for row in archived)
    assert all(row["mapping"] == "error" for row in inventory.values() if row["http_status"] == "404")
    redirects = {row["old_url"]: row for row in rows(migrated[0] / "redirects.csv")}
    for old, row in inventory.items():
        if row["mapping"] == "redirect":
            assert redirects[old]["new_url"] == "https://demo.soh.localhost" + row["new_path"]


def test_every_run_writes_the_same_output(migrated) -> None:
    """Different chunking and a different crawl (thread timing) give byte-identical results."""
    first, second = migrated[0], migrated[1]
    for name in ("inventory.csv", "redirects.csv", "content.jsonl", "assets.csv", "summary.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_rerunning_on_the_same_folder_changes_nothing(migrated) -> None:
    folder, _, data, _url = migrated  # the module's sandbox is still serving
    before = {name: (folder / name).read_bytes() for name in ("inventory.csv", "redirects.csv", "content.jsonl")}
    lines: list[str] = []
    pipeline.migrate(data, folder, chunks=2, progress=lines.append)
    assert lines[0].startswith("resuming: ")
    assert before == {name: (folder / name).read_bytes() for name in before}


def test_the_cli_migrates_a_spec(tmp_path: Path) -> None:
    site = LegacySite(50, seed=2, fault_rate=0, slow_ms=0)
    with start(site) as running:
        text = demo_on_legacy_site(DEMO.read_text(encoding="utf-8"), running.host)
        data = yaml.safe_load(text)
        assert set(data["legacy_site"]["crawl"]["connect_to"].values()) == {running.host}
        spec_file = tmp_path / "demo.yaml"
        spec_file.write_text(text, encoding="utf-8")
        done = soh("migrate", str(spec_file), "--out", str(tmp_path / "out"), "--max-pages", "40", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["pages_migrated"] > 20
    assert "crawled" in done.stderr and "migrated" in done.stderr
    assert "quality: all 13 migration checks passed" in done.stderr
    invalid = soh("migrate", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "x"))
    assert invalid.returncode == 1 and "cannot read the file" in invalid.stderr
