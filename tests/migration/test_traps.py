"""Crawler traps: an endless calendar nobody excluded is stopped by the crawler itself, and reported.

A real HTTP server on 127.0.0.1 serves a small force site: a paginated news listing whose stories each have
their own text, and, linked from every page's navigation, an event calendar that links the month before and
after it forever, each month near-identical ("No events this month").
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from conftest import DEMO, serving
from soh_onboarding.migration.crawl import Crawl, CrawlSettings, read_pages
from soh_onboarding.migration.traps import TRAP_AFTER, similarity, sketch, url_shape

STORIES, PER_LISTING = 40, 5
WORDS = [
    "officer",
    "patrol",
    "burglary",
    "appeal",
    "witness",
    "vehicle",
    "station",
    "community",
    "road",
    "theft",
    "court",
    "charge",
    "arrest",
]
WORDS += [
    "river",
    "school",
    "market",
    "bridge",
    "festival",
    "cyclist",
    "shop",
    "garden",
    "library",
    "flood",
    "storm",
    "fire",
    "rescue",
]


def story_text(n: int) -> str:
    rng = random.Random(n)
    return " ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(150))


def page(title: str, body: str) -> bytes:
    nav = '<nav><a href="/">Home</a> <a href="/news/?page=1">News</a> <a href="/events/calendar?month=2025-06">Events</a></nav>'
    footer = "<footer>Demoshire Police, Police Headquarters, Demoshire. Call 101, or 999 in an emergency.</footer>"
    return f"<!doctype html><html><head><title>{title}</title></head><body>{nav}<main><h1>{title}</h1>{body}</main>{footer}</body></html>".encode()


def month(value: str, step: int) -> str:
    year, number = (int(part) for part in value.split("-"))
    number += step
    year, number = year + (number - 1) // 12, (number - 1) % 12 + 1
    return f"{year:04d}-{number:02d}"


class TrapSite(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        parts = parts._replace(path=parts.path.rstrip("/") or "/")  # the demo spec's canonical URLs drop it
        query = parse_qs(parts.query)
        if parts.path == "/":
            body = page("Demoshire Police", "<p>Welcome to Demoshire Police.</p>")
        elif parts.path == "/news":
            number = int(query.get("page", ["1"])[0])
            first = (number - 1) * PER_LISTING
            items = "".join(
                f'<li><a href="/news/story-{n}">Story {n}</a> {story_text(n)[:200]}</li>'
                for n in range(first, min(first + PER_LISTING, STORIES))
            )
            more = f'<a href="/news/?page={number + 1}">Older news</a>' if first + PER_LISTING < STORIES else ""
            body = page(f"News, page {number}", f"<ul>{items}</ul>{more}")
        elif parts.path.startswith("/news/story-"):
            number = int(parts.path.rsplit("-", 1)[1])
            body = page(f"Story {number}", f"<p>{story_text(number)}</p>")
        elif parts.path == "/events/calendar":
            shown = query.get("month", ["2025-06"])[0]
            links = f'<a href="?month={month(shown, -1)}">Previous month</a> <a href="?month={month(shown, 1)}">Next month</a>'
            grid = " ".join(str(day) for day in range(1, 31))
            body = page(f"Events: {shown}", f"<p>{grid}</p><p>No events this month.</p>{links}")
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def spec_for(url: str) -> dict:
    data = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    legacy = data["legacy_site"]
    legacy["base_url"] = url
    legacy["sitemap_urls"] = []
    legacy["exclude_patterns"] = []
    legacy["crawl"] = legacy["crawl"] | {"requests_per_second": 1000, "concurrency": 4, "timeout_seconds": 5}
    return data


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serving(TrapSite) as url:
        yield url.rstrip("/") + "/"


def crawl(site: str, folder: Path, max_pages: int) -> tuple[Crawl, list[str]]:
    data = spec_for(site)
    lines: list[str] = []
    base = CrawlSettings.from_spec(data)
    settings = CrawlSettings(**(base.__dict__ | {"max_pages": max_pages, "allow_private_addresses": True}))
    crawler = Crawl(data, folder, settings, progress=lines.append)
    crawler.run()
    return crawler, lines


def test_an_endless_calendar_is_stopped_and_every_story_is_still_reached(site: str, tmp_path: Path) -> None:
    crawler, lines = crawl(site, tmp_path, max_pages=150)
    paths = [urlsplit(record.url).path for record in read_pages(tmp_path)]
    stories = {path for path in paths if path.startswith("/news/story-")}
    calendar = [path for path in paths if path == "/events/calendar"]
    assert len(stories) == STORIES, f"only {len(stories)} of {STORIES} stories crawled: the calendar took the budget"
    # The trap is seen after TRAP_AFTER near-identical months; a few more were already being fetched.
    assert len(calendar) <= TRAP_AFTER + 10, f"{len(calendar)} calendar months crawled"
    assert crawler.summary.stopped_by == "", "the crawl ended by itself, not on its page budget"
    [trap] = crawler.summary.traps
    assert trap["pattern"].endswith("/events/calendar?month=*")
    assert trap["pages"] == len(calendar) and trap["skipped"] >= 1
    assert any(line.startswith("trap: URLs like ") and "exclude_patterns" in line for line in lines)


def test_a_resumed_crawl_keeps_the_trap_stopped(site: str, tmp_path: Path) -> None:
    first, _ = crawl(site, tmp_path, max_pages=150)
    months = first.traps.shapes[url_shape(first.summary.traps[0]["example"])].pages
    again, _ = crawl(site, tmp_path, max_pages=300)
    assert again.summary.resumed_from > 0
    assert [t["pattern"] for t in again.summary.traps] == [t["pattern"] for t in first.summary.traps]
    calendar = [r for r in read_pages(tmp_path) if urlsplit(r.url).path == "/events/calendar"]
    assert len(calendar) == months, "the resumed crawl fetched more months of a known trap"


def test_a_paginated_listing_and_its_stories_are_not_a_trap(site: str, tmp_path: Path) -> None:
    crawler, _ = crawl(site, tmp_path, max_pages=150)
    listing = crawler.traps.shapes[url_shape(crawler.scope.canonicalise(site + "news/?page=2"))]
    assert listing.pages == STORIES // PER_LISTING and listing.near_identical == 0


def test_shapes_and_sketches() -> None:
    assert url_shape("https://a.example/events/2025/03/14/") == url_shape("https://a.example/events/2031/11/02/")
    assert url_shape("https://a.example/news/") != url_shape("https://a.example/contact/")
    assert url_shape("https://a.example/c?b=1&a=2") == "a.example/c?a=*&b=*"
    assert similarity(sketch(story_text(1)), sketch(story_text(1))) == 1.0
    assert similarity(sketch(story_text(1)), sketch(story_text(2))) < 0.2
    june = sketch("Events: 2025-06 " + " ".join(map(str, range(1, 31))) + " No events this month. " * 3)
    july = sketch("Events: 2025-07 " + " ".join(map(str, range(1, 31))) + " No events this month. " * 3)
    assert similarity(june, july) >= 0.9


def test_the_migration_report_lists_the_trap_for_the_force_to_confirm(site: str, tmp_path: Path) -> None:
    from soh_onboarding.migration import pipeline

    data = spec_for(site)
    data["legacy_site"]["crawl"]["allow_private_addresses"] = True
    pipeline.migrate(data, tmp_path, max_pages=150, progress=lambda line: None)
    report = (tmp_path / "migration-report.md").read_text(encoding="utf-8")
    section = report.split("## Crawler traps", 1)[1].split("\n## ", 1)[0]
    assert "`" + url_shape(site + "events/calendar?month=2025-06") + "`" in section
    assert "exclude_patterns" in section
