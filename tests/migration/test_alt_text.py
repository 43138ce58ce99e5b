"""The editors' alt text comes back into the migration; a page cut short at the size limit is not migrated.

Against a real sandbox legacy site: a first run lists the images without alt (images-missing-alt.csv), the
editors' answers go into content_mapping.alt_text, and a second run applies them.
"""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_crawl import spec_for
from test_spec_validation import DEMO_TEXT, check, edit, line_of, the_error

from sandbox.legacy_site import LegacySite, start
from soh_onboarding.migration import pipeline
from soh_onboarding.migration.alttext import MISSING_ALT_COLUMNS, MISSING_ALT_CSV
from soh_onboarding.migration.sanitise import Finding, sanitise

SITE = LegacySite(90, seed=5, slow_ms=0, fault_rate=0)
PNG = LegacySite(50).respond("/images/logo-1.png").body
ONE_MB = 1024 * 1024  # the sandbox's disclosure log is about 5 MB
KEPT = "/images/banner-1.png"  # the home page's banner: its alt is in the source


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def images(body: str) -> list[dict[str, str | None]]:
    parser = _Images()
    parser.feed(body)
    return parser.images


def content(folder: Path) -> dict[str, dict]:
    lines = (folder / "content.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["old_url"]: record for record in map(json.loads, lines)}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as table:
        return list(csv.DictReader(table))


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


@dataclass
class Runs:
    url: str
    before: Path  # no alt_text in the spec
    after: Path  # the editors' answers in the spec
    entries: dict[str, str]
    described: str  # the paths of the images the entries name
    decorative: str
    by_url: str
    pages: dict[str, str]  # spec key -> the old URL of a page showing that image


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    quiet = lambda _line: None  # noqa: E731
    with start(SITE) as running:
        data = spec_for(running.url, max_page_bytes=ONE_MB)
        data["content_mapping"].pop("alt_text", None)
        before = tmp_path_factory.mktemp("before")
        pipeline.migrate(data, before, progress=quiet)

        missing = rows(before / MISSING_ALT_CSV)
        keys = sorted({row["spec_key"] for row in missing})
        assert len(keys) >= 3, keys
        described, decorative, by_url = keys[:3]
        pages = {row["spec_key"]: row["page"] for row in missing}
        port = running.url.rstrip("/").rsplit(":", 1)[1]
        entries = {
            described: "Photograph of the man officers want to identify",
            decorative: "",
            f"http://localhost:{port}{by_url}": "Scene in Kingsbridge",  # the site's other host name
            KEPT: "An editor's text that must not replace the author's",
            "/images/no-such-image.png": "Nothing on the site has this path",
        }
        data["content_mapping"]["alt_text"] = entries
        after = tmp_path_factory.mktemp("after")
        pipeline.migrate(data, after, progress=quiet)
        yield Runs(running.url, before, after, entries, described, decorative, by_url, pages)


def the_image(folder: Path, page: str) -> dict[str, str | None]:
    """The one <img> of a migrated news or appeal page (its src is the new path of whichever legacy image
    has the same bytes, so the page, not the src, tells which legacy image it is)."""
    (image,) = images(content(folder)[page]["body_html"])
    return image


def test_the_first_run_lists_every_image_without_alt_for_the_editors(runs: Runs) -> None:
    missing = rows(runs.before / MISSING_ALT_CSV)
    assert list(missing[0]) == list(MISSING_ALT_COLUMNS)
    assert len(missing) == summary(runs.before)["images_missing_alt"] > 3
    pages = content(runs.before)
    for row in missing:
        assert row["alt"] == ""
        assert row["image_url"] in pages[row["page"]]["images_missing_alt"]
        assert row["new_path"] == pages[row["page"]]["new_path"]
        assert row["spec_key"] == re.sub(r"^https?://[^/]+", "", row["image_url"]).lower()
        assert re.fullmatch(r"/images/[a-z]+-\d+\.(png|gif)", row["spec_key"])
    report = (runs.before / "migration-report.md").read_text(encoding="utf-8")
    assert f"Still without alt text: **{len(missing)}**" in report
    assert missing[0]["spec_key"] in report


def test_the_editors_text_lands_in_the_migrated_html(runs: Runs) -> None:
    page = runs.pages[runs.described]
    assert the_image(runs.after, page)["alt"] == "Photograph of the man officers want to identify"
    assert "alt" not in the_image(runs.before, page)
    # A key given as an absolute URL on another of the legacy site's host names matches the same image.
    assert the_image(runs.after, runs.pages[runs.by_url])["alt"] == "Scene in Kingsbridge"


def test_an_editors_empty_alt_marks_the_image_decorative(runs: Runs) -> None:
    assert the_image(runs.after, runs.pages[runs.decorative])["alt"] == ""


def test_an_alt_in_the_source_is_kept(runs: Runs) -> None:
    (banner,) = images(content(runs.after)[runs.url]["body_html"])  # the home page's banner has its alt
    assert banner["alt"] == "Officers on patrol in Kingsbridge"


def test_the_report_counts_what_the_spec_filled_and_what_is_left(runs: Runs) -> None:
    before, after = summary(runs.before), summary(runs.after)
    filled = sum(
        len(record["images_alt_from_spec"]) for record in content(runs.after).values()
    )  # each image on each page it appears on
    assert filled == after["images_alt_from_spec"] >= 3
    assert before["images_alt_from_spec"] == 0
    assert after["images_missing_alt"] == before["images_missing_alt"] - filled
    still = {row["spec_key"] for row in rows(runs.after / MISSING_ALT_CSV)}
    assert not still & {runs.described, runs.decorative, runs.by_url}
    for record in content(runs.after).values():
        for image_url, key in record["images_alt_from_spec"].items():
            assert key in runs.entries and image_url.startswith(runs.url.rstrip("/"))
    report = (runs.after / "migration-report.md").read_text(encoding="utf-8")
    assert f"Filled from the spec: **{filled}** images" in report


def test_an_entry_that_matches_no_image_is_reported_unused(runs: Runs) -> None:
    assert summary(runs.after)["alt_text_unused"] == 2
    report = (runs.after / "migration-report.md").read_text(encoding="utf-8")
    # The mistyped path, and the image whose source already has alt: neither filled anything.
    section = report[report.index("Unused entries") : report.index("Still without alt text")]
    assert re.findall(r"^\| (/\S+) \|$", section, re.MULTILINE) == [KEPT, "/images/no-such-image.png"]
    assert "Unused entries in `content_mapping.alt_text`" in report
    assert "| /images/no-such-image.png |" in report


def test_a_page_cut_short_at_the_size_limit_is_unresolved_not_migrated(runs: Runs) -> None:
    log = runs.url + "disclosure-log.aspx"
    inventory = {row["old_url"]: row for row in rows(runs.before / "inventory.csv")}
    assert inventory[log]["mapping"] == "unresolved" and inventory[log]["new_path"] == ""
    assert {row["old_url"]: row for row in rows(runs.before / "redirects.csv")}[log]["type"] == "unresolved"
    pages = content(runs.before)
    assert log not in pages
    assert summary(runs.before)["legacy_problems"]["pages over the size limit"] == 1
    report = (runs.before / "migration-report.md").read_text(encoding="utf-8")
    (line,) = [line for line in report.splitlines() if line.startswith(f"| {log} |")]
    assert "over the size limit (1 MB, legacy_site.crawl.max_page_bytes): split it" in line
    # The page linking to it keeps the link's text, unlinked, as for every unresolved page.
    foi = pages[runs.url + "freedom-of-information.aspx"]
    assert "Read the disclosure log" in foi["body_html"] and "disclosure-log" not in foi["body_html"]
    assert log in foi["unresolved_links"]


def test_a_page_under_the_size_limit_is_migrated(tmp_path: Path) -> None:
    site = LegacySite(50, seed=3, faults=False)  # the disclosure log is small without faults
    with start(site) as running:
        data = spec_for(running.url, max_page_bytes=ONE_MB)
        pipeline.migrate(data, tmp_path, progress=lambda _line: None)
    assert running.url + "disclosure-log.aspx" in content(tmp_path)


# --- the sanitiser ---------------------------------------------------------------------------------


def test_the_sanitiser_asks_only_about_images_without_alt() -> None:
    asked: list[str] = []

    def alt_text(src: str) -> str | None:
        asked.append(src)
        return {"https://old.example/a.jpg": "A dog", "https://old.example/b.jpg": ""}.get(src)

    result = sanitise(
        '<p><img src="a.jpg"><img src="b.jpg"><img src="c.jpg"><img src="d.jpg" alt="Author\'s"></p>',
        base_url="https://old.example/page",
        alt_text=alt_text,
    )
    assert asked == ["https://old.example/a.jpg", "https://old.example/b.jpg", "https://old.example/c.jpg"]
    assert [(i["src"], i.get("alt")) for i in images(result.html)] == [
        ("https://old.example/a.jpg", "A dog"),
        ("https://old.example/b.jpg", ""),
        ("https://old.example/c.jpg", None),
        ("https://old.example/d.jpg", "Author's"),
    ]
    assert [f for f in result.findings if f.kind.startswith("image")] == [
        Finding("image_alt_from_spec", "https://old.example/a.jpg"),
        Finding("image_alt_from_spec", "https://old.example/b.jpg"),
        Finding("image_missing_alt", "https://old.example/c.jpg"),
    ]
    again = sanitise(result.html)
    assert again.html == result.html
    assert again.findings == [Finding("image_missing_alt", "https://old.example/c.jpg")]


def test_the_editors_text_is_escaped_and_names_an_image_link() -> None:
    result = sanitise('<a href="/x"><img src="/a.jpg"></a>', alt_text=lambda src: 'Say "hi" <b>&</b>')
    assert images(result.html)[0]["alt"] == 'Say "hi" <b>&</b>'
    assert "<b>" not in result.html
    assert not [f for f in result.findings if f.kind == "empty_link"]


# --- the spec check --------------------------------------------------------------------------------

ALT_TEXT = "  alt_text:\n"


def with_entries(*lines: str) -> str:
    return edit(ALT_TEXT, ALT_TEXT + "".join(f"    {line}\n" for line in lines))


def test_the_demo_spec_describes_every_image_its_crawl_meets_without_alt() -> None:
    entries = re.findall(r"^    (/images/\S+): \"(.*)\"$", DEMO_TEXT, re.MULTILINE)
    assert len(entries) >= 60
    assert all(text and len(text) <= 250 for _key, text in entries)


def test_a_key_that_is_not_a_path_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = with_entries('images/a.png: "A dog"')
    error = the_error(check(tmp_path, text), 'content_mapping.alt_text["images/a.png"]')
    assert (error.line, error.column) == (line_of(text, "images/a.png:"), 5)
    assert error.message == "'images/a.png' is not in the expected form"
    assert "starting with /" in error.hint and "images-missing-alt.csv" in error.hint


def test_a_url_off_the_legacy_site_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = with_entries('https://cdn.example.com/a.png: "A dog"')
    error = the_error(check(tmp_path, text), 'content_mapping.alt_text["https://cdn.example.com/a.png"]')
    assert (error.line, error.column) == (line_of(text, "cdn.example.com"), 5)
    assert error.message.startswith("https://cdn.example.com/a.png is not on the legacy site (")
    assert "path on the legacy site" in error.hint


def test_two_keys_for_the_same_image_are_an_error(tmp_path: Path) -> None:
    text = with_entries('/Images/Dog.png: "A dog"', '/images/dog.png: "A dog"')
    error = the_error(check(tmp_path, text), 'content_mapping.alt_text["/images/dog.png"]')
    assert error.line == line_of(text, "/images/dog.png:")
    assert error.message.startswith("the same image as '/Images/Dog.png'")


def test_an_alt_text_over_250_characters_is_an_error(tmp_path: Path) -> None:
    text = with_entries(f'/images/dog.png: "{"A" * 251}"')
    error = the_error(check(tmp_path, text), 'content_mapping.alt_text["/images/dog.png"]')
    assert error.line == line_of(text, "/images/dog.png:")
    assert error.message == "the value is 251 characters long, over the 250 allowed"
    assert "belongs in the page text" in error.hint


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "expected a string, got nothing (an empty value)"),
        ("12", "expected a string, got a number (12)"),
        ('" A dog"', "' A dog' is not in the expected form"),
    ],
)
def test_an_alt_text_that_is_not_text_is_an_error(tmp_path: Path, value: str, message: str) -> None:
    text = with_entries(f"/images/dog.png: {value}".rstrip())
    error = the_error(check(tmp_path, text), 'content_mapping.alt_text["/images/dog.png"]')
    assert error.line == line_of(text, "/images/dog.png:")
    assert error.message == message


def test_an_empty_alt_text_is_a_valid_editor_decision(tmp_path: Path) -> None:
    result = check(
        tmp_path, with_entries('/images/border.gif: ""', 'http://www.demoshire-police.example/images/x.png: "X"')
    )
    assert result.valid, [e.format() for e in result.errors]


class _BrokenImageSite(BaseHTTPRequestHandler):
    """A one-page legacy site whose page shows two images without alt; one of them answers 404."""

    PAGE = (
        "<!DOCTYPE html><html><head><title>Home</title></head><body><div id='content'><h1>Home</h1>"
        "<p>Welcome.</p><img src='/images/shown.png'><img src='/images/broken.png'></div></body></html>"
    )

    def do_GET(self) -> None:
        if self.path == "/":
            body, kind = self.PAGE.encode(), "text/html; charset=utf-8"
        elif self.path == "/images/shown.png":
            body, kind = PNG, "image/png"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_broken_image_is_dropped_and_not_listed_for_the_editors(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenImageSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        data = spec_for(url)
        data["content_mapping"]["alt_text"] = {"/images/broken.png": "Never shown"}
        pipeline.migrate(data, tmp_path, progress=lambda _line: None)
    finally:
        server.shutdown()
        server.server_close()
    home = content(tmp_path)[url]
    (image,) = images(home["body_html"])  # re-linking dropped the image that answers 404
    assert "alt" not in image
    assert home["images_missing_alt"] == [url + "images/shown.png"]
    assert home["images_alt_from_spec"] == {}
    assert [row["spec_key"] for row in rows(tmp_path / MISSING_ALT_CSV)] == ["/images/shown.png"]
    assert summary(tmp_path)["alt_text_unused"] == 1
