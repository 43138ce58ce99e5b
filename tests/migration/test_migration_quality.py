"""The content migration's Great Expectations checks: a valid output folder passes, each fault fails readably."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from soh_onboarding.migration import quality
from soh_onboarding.migration.quality import check_migration, legacy_host_names, legacy_links, unsafe_markup

OLD = "https://www.legacy.police.uk"
NEW = "https://www.police.uk/legacy-force/"
HOSTS = ["www.legacy.police.uk", "legacy.police.uk"]
INVENTORY_HEADER = ["old_url", "canonical_url", "http_status", "content_type", "new_path", "title", "content_hash"]


def inventory_row(old: str, mapping: str, new_path: str = "", title: str = "", status: int = 200) -> dict:
    return {
        "old_url": old,
        "canonical_url": old,
        "http_status": status,
        "content_type": "news" if new_path else "",
        "new_path": new_path,
        "title": title,
        "content_hash": f"h{abs(hash(old)) % 10**6}",
        "mapping": mapping,
    }


def page(old: str, new_path: str, title: str, body: str) -> dict:
    return {
        "old_url": old,
        "new_path": new_path,
        "title": title,
        "summary": "",
        "published": "2025-01-01",
        "content_type": "news",
        "body_html": body,
        "content_hash": "x",
        "found_by": "crawl",
        "findings": {},
        "images_missing_alt": [],
        "unresolved_links": [],
    }


def valid_output() -> dict:
    """A small migration: three pages, a duplicate, an archived and an unresolved URL, a broken link."""
    pages = [
        page(f"{OLD}/news/one", "/news/one/", "Arrest in Oxford", '<p>An arrest. <a href="/news/two/">More</a></p>'),
        page(f"{OLD}/news/two", "/news/two/", "Appeal", '<p>Call 101.</p><img src="/media/a.jpg" alt="A road">'),
        page(f"{OLD}/contact", "/contact-us/", "Contact us", '<p><a href="https://www.gov.uk/">GOV.UK</a></p>'),
    ]
    inventory = [
        inventory_row(f"{OLD}/news/one", "redirect", "/news/one/", "Arrest in Oxford"),
        inventory_row(f"{OLD}/news/two", "redirect", "/news/two/", "Appeal"),
        inventory_row(f"{OLD}/contact", "redirect", "/contact-us/", "Contact us"),
        inventory_row(f"{OLD}/news/one-copy", "duplicate", "/news/one/", "Arrest in Oxford"),
        inventory_row(f"{OLD}/news/archive/2009", "archive", "", "Old news"),
        inventory_row(f"{OLD}/misc", "unresolved", "", "Miscellany"),
        inventory_row(f"{OLD}/broken", "error", "", "", status=0),
    ]
    redirects = [
        {"old_url": f"{OLD}/news/one", "new_url": "https://www.police.uk/news/one/", "type": "redirect"},
        {"old_url": f"{OLD}/news/two", "new_url": "https://www.police.uk/news/two/", "type": "redirect"},
        {"old_url": f"{OLD}/contact", "new_url": "https://www.police.uk/contact-us/", "type": "redirect"},
        {"old_url": f"{OLD}/news/archive/2009", "new_url": "", "type": "archive"},
        {"old_url": f"{OLD}/misc", "new_url": "", "type": "unresolved"},
    ]
    return {"inventory": inventory, "redirects": redirects, "content": pages}


def write(folder: Path, output: dict) -> Path:
    with (folder / "inventory.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*INVENTORY_HEADER, "mapping"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(output["inventory"])
    with (folder / "redirects.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["old_url", "new_url", "type"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(output["redirects"])
    (folder / "content.jsonl").write_text("".join(json.dumps(p) + "\n" for p in output["content"]), "utf-8")
    return folder


def run(folder: Path, output: dict, share: float = 0.25) -> quality.QualityResult:
    write(folder, output)
    return check_migration(folder, legacy_hosts=HOSTS, new_base_url=NEW, max_unresolved_share=share)


def failed(result: quality.QualityResult) -> dict[str, str]:
    return {r.description: r.details for r in result.results if not r.success}


def assert_readable(summary: str) -> None:
    assert "Traceback" not in summary and "expect_" not in summary and "ExpectationValidationResult" not in summary
    assert summary.splitlines()[0].endswith("migration checks failed:")


def test_a_valid_output_passes_every_check(tmp_path) -> None:
    result = run(tmp_path, valid_output())
    assert result.success, result.summary()
    assert len(result.results) == 13 and all(isinstance(r, tuple) and len(r) == 3 for r in result.results)
    assert result.summary() == "all 13 migration checks passed"
    assert result.as_dict()["passed"] == 13


def test_duplicate_new_paths_fail(tmp_path) -> None:
    output = valid_output()
    output["inventory"][1]["new_path"] = "/news/one/"
    result = run(tmp_path, output)
    assert not result.success
    assert failed(result) == {"new paths unique": "1 duplicate, e.g. /news/one/ (2 old URLs)"}
    assert "- new paths unique: 1 duplicate, e.g. /news/one/ (2 old URLs)" in result.summary()
    assert_readable(result.summary())


def test_a_page_without_a_title_or_body_fails(tmp_path) -> None:
    output = valid_output()
    output["content"][0]["title"] = "  "
    output["content"][1]["body_html"] = '<p> </p><img src="/media/a.jpg" alt="">'
    result = run(tmp_path, output)
    assert failed(result) == {
        "every migrated page has a title": "1 page, e.g. /news/one/",
        "every migrated page has a body": "1 page, e.g. /news/two/",
    }
    assert_readable(result.summary())


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<p>Hi</p><script>alert(1)</script>", "<script>"),
        ('<p><a href="/x" onclick="steal()">x</a></p>', "onclick= on <a>"),
        ('<p><a href="javascript:alert(1)">x</a></p>', "javascript: URL in href on <a>"),
        ('<p><a href="VBScript:msgbox(1)">x</a></p>', "vbscript: URL in href on <a>"),
        ('<p>Map</p><img src="data:image/svg+xml;base64,PHN2Zz4=" alt="map">', "data: URL in src on <img>"),
        ('<p>Map</p><iframe src="https://maps.example/"></iframe>', "<iframe>"),
        ("<style>p{}</style><p>Text</p>", "<style>"),
    ],
)
def test_unsafe_markup_fails(tmp_path, body, problem) -> None:
    output = valid_output()
    output["content"][2]["body_html"] = body
    result = run(tmp_path, output)
    assert failed(result) == {"no unsafe markup in page bodies": f"1 page, e.g. /contact-us/ ({problem})"}
    assert_readable(result.summary())


def test_a_link_or_image_on_the_legacy_site_fails(tmp_path) -> None:
    output = valid_output()
    output["content"][0]["body_html"] = f'<p><a href="{OLD}/news/misc">Old</a></p>'
    output["content"][1]["body_html"] = '<p>See</p><img src="//legacy.police.uk/a.jpg" alt="x">'
    result = run(tmp_path, output)
    assert failed(result) == {
        "no content link points at the legacy site": (
            f"2 pages, e.g. /news/one/ → {OLD}/news/misc, /news/two/ → //legacy.police.uk/a.jpg"
        )
    }
    assert_readable(result.summary())


def test_a_redirect_to_a_page_not_migrated_fails(tmp_path) -> None:
    output = valid_output()
    output["redirects"][1]["new_url"] = "https://www.police.uk/news/gone/"
    output["redirects"][2]["new_url"] = "https://elsewhere.example/contact-us/"
    output["inventory"][3]["new_path"] = "/news/one-copy/"
    result = run(tmp_path, output)
    assert failed(result) == {
        "every redirect lands on a migrated page": (
            f"2 redirects, e.g. {OLD}/news/two → /news/gone/, {OLD}/contact → https://elsewhere.example/contact-us/"
        ),
        "every duplicate lands on a migrated page": f"1 duplicate, e.g. {OLD}/news/one-copy → /news/one-copy/",
    }
    assert_readable(result.summary())


def test_an_unmapped_url_fails(tmp_path) -> None:
    output = valid_output()
    output["inventory"][5]["mapping"] = ""
    output["inventory"][3]["new_path"] = ""  # a duplicate that redirects nowhere
    output["redirects"].pop(3)  # the archived page is not in redirects.csv
    result = run(tmp_path, output)
    assert failed(result) == {
        "every URL found is mapped": f"1 URL, e.g. {OLD}/misc (mapping '')",
        "every redirected URL has a new path": f"1 URL, e.g. {OLD}/news/one-copy (duplicate)",
        "every old page is in redirects.csv": f"1 old URL, e.g. {OLD}/news/archive/2009 (archive)",
    }
    assert_readable(result.summary())


def test_too_many_unresolved_urls_fail(tmp_path) -> None:
    result = run(tmp_path, valid_output(), share=0.1)
    assert failed(result) == {
        "unresolved share within the spec's threshold": f"20% (1 of 5 old URLs) is over the spec's 10%, e.g. {OLD}/misc"
    }
    assert_readable(result.summary())
    assert run(tmp_path, valid_output(), share=0.2).success  # at the threshold is within it


def test_a_missing_file_fails_readably(tmp_path) -> None:
    write(tmp_path, valid_output())
    (tmp_path / "redirects.csv").unlink()
    result = check_migration(tmp_path, legacy_hosts=HOSTS, new_base_url=NEW, max_unresolved_share=0.5)
    assert not result.success
    assert (
        result.summary()
        == "1 of 1 migration checks failed:\n- the migration output is complete: redirects.csv is missing"
    )


def test_legacy_hosts_with_a_port_match_links_on_that_host() -> None:
    hosts = legacy_host_names(["localhost:8080", "Legacy.Police.UK"])
    assert hosts == {"localhost:8080", "localhost", "legacy.police.uk"}
    body = '<a href="http://localhost:8080/a">a</a><a href="https://LEGACY.police.uk/b">b</a><a href="/c">c</a>'
    assert legacy_links(body, hosts) == ["http://localhost:8080/a", "https://LEGACY.police.uk/b"]


def test_importing_the_module_imports_neither_pandas_nor_great_expectations() -> None:
    code = (
        "import sys; import soh_onboarding.migration.quality; "
        "print(sorted(m for m in ('pandas', 'great_expectations') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": "plugins"},
    )
    assert out.stdout.strip() == "[]"


SAFE_FRAGMENTS = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "Text & more ",
            '<a href="/news/one/" rel="noopener noreferrer">',
            "</a>",
            '<img src="/a.jpg" alt="An image">',
            "<ul><li>Item</li></ul>",
            "<h2>Heading</h2>",
            "&lt;script&gt; shown as text",
            '<abbr title="Police Community Support Officer">PCSO</abbr>',
        ]
    ),
    max_size=8,
).map("".join)
SCRIPTS = st.sampled_from(
    ["<script>alert(1)</script>", "<SCRIPT src=//evil.example/x.js></SCRIPT>", "<script\n>x</script>", "<ScRiPt/>"]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(body=SAFE_FRAGMENTS, script=SCRIPTS, where=st.integers(min_value=0))
def test_a_script_injected_anywhere_in_a_body_is_caught(body, script, where) -> None:
    assert unsafe_markup(body) == []
    at = where % (len(body) + 1)
    assert "<script>" in unsafe_markup(body[:at] + script + body[at:])


def test_an_injected_script_fails_the_whole_suite(tmp_path) -> None:
    output = valid_output()
    body = output["content"][0]["body_html"]
    output["content"][0]["body_html"] = body[:10] + "<script>x()</script>" + body[10:]
    result = run(tmp_path, output)
    assert list(failed(result)) == ["no unsafe markup in page bodies"]


def test_no_page_or_most_of_the_previous_pages_lost_fail(tmp_path) -> None:
    """A legacy site that is down gives an output with no page; one failing part-way, far fewer pages."""
    down = {"inventory": [inventory_row(f"{OLD}/", "error", status=0)], "redirects": [], "content": []}
    result = run(tmp_path, down)
    assert_readable(result.summary())
    assert failed(result) == {
        "the migration has pages": f"no page was migrated: the crawl found 1 URL, 1 of them could not be fetched, "
        f"e.g. {OLD}/. Is the legacy site up, and does the crawl allow its address (legacy_site.base_url, "
        "legacy_site.crawl.connect_to and allow_private_addresses)?"
    }
    folder = write(tmp_path, valid_output())  # 3 pages, one URL not fetched

    def against(pages: int, **options: object) -> quality.QualityResult:
        previous = quality.PreviousMigration(pages, "run-1/migration/summary.json")
        return check_migration(
            folder, legacy_hosts=HOSTS, new_base_url=NEW, max_unresolved_share=0.25, previous=previous, **options
        )

    assert failed(against(7, unfetched=[f"{OLD}/broken (HTTP 503)"])) == {
        "pages lost since the previous migration within the spec's threshold": "3 pages, 57.1% fewer than the 7 of "
        "the previous migration (run-1/migration/summary.json); the spec allows 50% fewer "
        f"(content_mapping.max_page_loss_share); the crawl found 7 URLs, 1 of them could not be fetched, e.g. "
        f"{OLD}/broken (HTTP 503)"
    }
    assert against(6).success  # half of them lost: "most" is more than the share
    assert against(7, max_page_loss_share=0.6).success
