"""Extraction of a legacy page's own content, on the sandbox site's real pages and on edge cases."""

from __future__ import annotations

import pytest

from sandbox.legacy_site import LegacySite
from soh_onboarding.migration.extract import extract, parse_date

DEMO_SELECTORS = {
    "main": "#content",
    "title": "h1",
    "published": ".news-date",
    "remove": [".breadcrumb", ".share-links"],
}
SITE = LegacySite(80, seed=5)


def page(path: str) -> str:
    return SITE.render(path, "127.0.0.1:8081").html


def test_a_news_page_gives_title_date_summary_and_body_without_chrome() -> None:
    path = next(p for p in SITE.sitemap_urls() if p.startswith("/news/") and "/archive/" not in p)
    found = extract(page(path), DEMO_SELECTORS)
    assert found.found_by == "#content" and not found.used_fallback
    assert found.title and found.title.lower().replace(" ", "-")[:12] in path
    assert found.published.startswith("20")
    assert found.summary and len(found.summary) <= 300
    for chrome in ("share-links", "breadcrumb", "news-date", "<h1", "Sign in", "<footer", "<nav"):
        assert chrome not in found.body_html
    assert found.text_length > 50


def test_pages_the_selectors_miss_fall_back_and_say_so() -> None:
    html = "<html><head><title>Old page | Demoshire Police</title></head><body><nav>Menu</nav><main><p>Only content.</p></main><footer>F</footer></body></html>"
    found = extract(html, DEMO_SELECTORS)
    assert found.found_by == "fallback:main" and found.used_fallback
    assert found.title == "Old page"
    assert found.body_html == "<p>Only content.</p>"
    bare = extract("<html><body><header>H</header><p>Loose text</p><footer>F</footer></body></html>", DEMO_SELECTORS)
    assert bare.found_by == "fallback:body" and "Loose text" in bare.body_html and "<header" not in bare.body_html


def test_images_are_listed_with_missing_alt_as_none() -> None:
    found = extract(
        '<div id="content"><h1>T</h1><p>x</p><img src="/a.png"><img src="/b.png" alt="A van"></div>', DEMO_SELECTORS
    )
    assert found.images == [{"src": "/a.png", "alt": None}, {"src": "/b.png", "alt": "A van"}]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("12th March 2019", "2019-03-12"),
        ("Published: 5 May 2020", "2020-05-05"),
        ("Tuesday 5 May 2020", "2020-05-05"),
        ("03/04/2021", "2021-04-03"),
        ("2019-03-12T10:00:00Z", "2019-03-12"),
        ("soon", ""),
    ],
)
def test_dates_as_old_sites_write_them(text: str, iso: str) -> None:
    assert parse_date(text) == iso
