"""The sandbox platform, served for real: its tenant sites, its admin API's rules, its persistence and faults."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selectolax.lexbor import LexborHTMLParser

from conftest import run_sandbox
from sandbox.platform import Faults, SandboxPlatform, misconfigured_tenant, start
from sandbox.platform.api import page_hash
from sandbox.platform.scenarios import configured_tenant

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    platform = SandboxPlatform(tmp_path_factory.mktemp("platform") / "p.sqlite3", token=TOKEN)
    configured_tenant(platform, "good", ("www.good-force.example",))
    misconfigured_tenant(platform, "broken", ("www.broken-force.example",))
    with start(platform) as served:
        yield served


def page(url: str, **kwargs) -> tuple[requests.Response, LexborHTMLParser]:
    reply = requests.get(url, timeout=10, **kwargs)
    return reply, LexborHTMLParser(reply.text)


def test_every_page_has_the_accessible_template(running) -> None:
    for path in ("", "news/force/man-charged/", "accessibility/", "privacy-notice/", "cookies/", "no-such-page/"):
        reply, tree = page(f"{running.url}/preview/good/{path}")
        assert reply.status_code == (404 if path.startswith("no-such") else 200), path
        skip = tree.css_first("a.skip-link")
        assert skip.text() == "Skip to main content" and skip.attributes["href"] == "#main-content"
        assert tree.css_first("main#main-content h1") is not None
        assert tree.css_first("header nav[aria-label=Main]") is not None
        assert tree.css_first("footer") is not None
        assert "Quickly exit this site" in tree.css_first("header").text()
        assert tree.css_first("[role=region][aria-label='Cookies on Goodshire Police']") is not None
        footer_links = [a.text() for a in tree.css("footer a")]
        assert footer_links[:3] == ["Accessibility statement", "Privacy notice", "Cookies"]
        assert tree.css_first("html").attributes["lang"] == "en-GB"
    css = requests.get(f"{running.url}/preview/good/_platform/site.css", timeout=10).text
    assert "#00305e" in css and "#1d5e9c" in css


def test_the_cookie_choice_hides_the_banner(running) -> None:
    session = requests.Session()
    after = session.post(
        f"{running.url}/preview/good/cookies/consent", data={"analytics": "no", "return_to": "/news/"}, timeout=10
    )
    assert after.url == f"{running.url}/preview/good/news/"
    assert "cookie-banner" not in after.text
    assert "Analytics cookies are currently not accepted" in session.get(f"{running.url}/preview/good/cookies/").text


def test_domains_are_served_by_host_with_redirects_and_gone(running) -> None:
    host = {"Host": "www.good-force.example"}
    moved = requests.get(f"{running.url}/news/man-charged-1.aspx", headers=host, allow_redirects=False, timeout=10)
    assert moved.status_code == 301
    assert moved.headers["Location"] == "http://www.good-force.example/news/force/man-charged/"
    gone = requests.get(f"{running.url}/news/archive/2015/old-story.aspx", headers=host, timeout=10)
    assert gone.status_code == 410 and "has been removed" in gone.text
    slash = requests.get(f"{running.url}/news", headers=host, allow_redirects=False, timeout=10)
    assert slash.status_code == 301 and slash.headers["Location"].endswith("/news/")
    service = requests.get(f"{running.url}/contact/af/contact-us/", headers=host, timeout=10)
    assert service.status_code == 200 and "<h1>Contact us</h1>" in service.text
    unknown = requests.get(f"{running.url}/news/", headers={"Host": "www.nobody.example"}, timeout=10)
    assert unknown.status_code == 404
    in_preview = requests.get(f"{running.url}/preview/good/advice/burglary.aspx", allow_redirects=False, timeout=10)
    assert in_preview.headers["Location"] == f"{running.url}/preview/good/advice/burglary/"


def test_robots_and_sitemap_follow_the_address_and_state(running) -> None:
    sitemap = requests.get(f"{running.url}/preview/good/sitemap.xml", timeout=10).text
    assert f"<loc>{running.url}/preview/good/news/force/man-charged/</loc>" in sitemap
    assert f"<loc>{running.url}/preview/good/ro/report/ocr/af/how-to-report-a-crime/</loc>" in sitemap
    robots = requests.get(f"{running.url}/robots.txt", headers={"Host": "www.good-force.example"}, timeout=10)
    assert "Disallow: /\n" in robots.text and "Sitemap: http://www.good-force.example/sitemap.xml" in robots.text
    assert robots.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_security_headers_are_per_tenant(running) -> None:
    good = requests.get(f"{running.url}/", headers={"Host": "www.good-force.example"}, timeout=10).headers
    assert good["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert (
        "script-src" not in good["Content-Security-Policy"] and "default-src 'self'" in good["Content-Security-Policy"]
    )
    assert good["X-Frame-Options"] == "DENY" and good["X-Content-Type-Options"] == "nosniff"
    bad = requests.get(f"{running.url}/", headers={"Host": "www.broken-force.example"}, timeout=10).headers
    assert "Strict-Transport-Security" not in bad


def test_the_misconfigured_tenant_has_its_problems(running) -> None:
    host = {"Host": "www.broken-force.example"}
    first = requests.get(f"{running.url}/news/man-charged-1.aspx", headers=host, allow_redirects=False, timeout=10)
    hop = first.headers["Location"].removeprefix("http://www.broken-force.example")
    second = requests.get(f"{running.url}{hop}", headers=host, allow_redirects=False, timeout=10)
    assert first.status_code == second.status_code == 301  # a chain of two hops
    missing = requests.get(f"{running.url}/contact/af/contact-us/", headers=host, timeout=10)
    assert missing.status_code == 404
    wrong = requests.get(f"{running.url}/contact-us.aspx", headers=host, allow_redirects=False, timeout=10)
    assert wrong.headers["Location"].endswith("/cookies/")


def test_the_api_refuses_without_the_token_and_checks_hashes(running) -> None:
    api = running.api_url
    assert requests.get(f"{api}/health", timeout=10).json()["status"] == "ok"
    assert requests.get(f"{api}/tenants", timeout=10).status_code == 401
    wrong = requests.get(f"{api}/tenants", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401 and TOKEN not in wrong.text
    good = {"path": "/x/", "title": "X", "body_html": "<p>x</p>"}
    bad_hash = requests.post(
        f"{api}/tenants/good/pages/batch",
        json={"upsert": [good | {"content_hash": "0" * 64}]},
        headers=AUTH,
        timeout=10,
    )
    assert bad_hash.status_code == 422 and "does not match the content of /x/" in bad_hash.text
    script = good | {"body_html": "<script>alert(1)</script>"}
    unsafe = requests.post(
        f"{api}/tenants/good/pages/batch",
        json={"upsert": [script | {"content_hash": page_hash(script)}]},
        headers=AUTH,
        timeout=10,
    )
    assert unsafe.status_code == 422 and "unsafe markup" in unsafe.text
    taken = requests.put(
        f"{api}/tenants/good/domains", json={"domains": ["www.broken-force.example"]}, headers=AUTH, timeout=10
    )
    assert taken.status_code == 409


def test_a_retried_batch_is_applied_once(running) -> None:
    api, body = running.api_url, {"path": "/once/", "title": "Once", "body_html": "<p>1</p>"}
    batch = {"upsert": [body | {"content_hash": page_hash(body)}]}
    headers = AUTH | {"Idempotency-Key": "test-key-0001"}
    first = requests.post(f"{api}/tenants/good/pages/batch", json=batch, headers=headers, timeout=10).json()
    again = requests.post(f"{api}/tenants/good/pages/batch", json=batch, headers=headers, timeout=10).json()
    assert first == again and first["created"] == 1
    other = {"upsert": [], "delete": ["/once/"]}
    reused = requests.post(f"{api}/tenants/good/pages/batch", json=other, headers=headers, timeout=10)
    assert reused.status_code == 409 and "different body" in reused.text
    assert running.platform.store.page("good", "/once/")["revision"] == 1


def test_state_survives_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "p.sqlite3"
    with start(SandboxPlatform(database, token=TOKEN)) as first:
        created = requests.put(
            f"{first.api_url}/tenants/kept", json={"display_name": "Kept Police"}, headers=AUTH, timeout=10
        )
        assert created.status_code == 201
    with start(SandboxPlatform(database, token=TOKEN)) as second:
        again = requests.put(
            f"{second.api_url}/tenants/kept", json={"display_name": "Kept Police"}, headers=AUTH, timeout=10
        )
        assert again.status_code == 200 and again.json()["created_at"] == created.json()["created_at"]


def test_the_fault_mode_serves_500s_429s_and_timeouts() -> None:
    platform = SandboxPlatform(token=TOKEN, faults=Faults.mixed(0.9, stall_seconds=0.5, retry_after=2, seed=1))
    statuses, timeouts = [], 0
    with start(platform) as served:
        for _ in range(40):
            try:
                statuses.append(requests.get(f"{served.api_url}/tenants", headers=AUTH, timeout=0.25).status_code)
            except requests.Timeout:
                timeouts += 1
        throttled = next(
            r
            for r in (requests.get(f"{served.api_url}/tenants", headers=AUTH, timeout=2) for _ in range(50))
            if r.status_code == 429
        )
        assert throttled.headers["Retry-After"] == "2"
        assert requests.get(f"{served.api_url}/health", timeout=2).status_code == 200  # never faulted
        time.sleep(0.5)
    assert 500 in statuses and 429 in statuses and timeouts > 0


def test_the_cli_needs_a_token() -> None:
    done = run_sandbox("platform", "--port", "1")
    assert done.returncode == 2 and "SOH_SANDBOX_PLATFORM_TOKEN" in done.stderr


def test_old_domains_redirect_each_old_url_to_the_primary_domain_in_one_hop(tmp_path: Path) -> None:
    """A tenant's domains after the first (the force's old domains) are canonicalised as real platforms do:
    an old URL in the redirect map answers its 301 to the new page on the primary domain over https, or its
    410; any other path a 301 to the same path there. The primary domain serves the site as before."""
    platform = SandboxPlatform(tmp_path / "p.sqlite3", token=TOKEN)
    configured_tenant(platform, "good", ("www.new-force.example", "www.old-force.example", "old-force.example"))
    new = "https://www.new-force.example"
    with start(platform) as served:
        for old in ("www.old-force.example", "old-force.example"):
            host = {"Host": old}

            def get(path: str, host: dict = host) -> requests.Response:
                return requests.get(f"{served.url}{path}", headers=host, allow_redirects=False, timeout=10)

            moved = get("/news/man-charged-1.aspx")
            assert moved.status_code == 301 and moved.headers["Location"] == f"{new}/news/force/man-charged/"
            assert moved.headers["Strict-Transport-Security"]  # the tenant's headers on every answer
            gone = get("/news/archive/2015/old-story.aspx")
            assert gone.status_code == 410 and "has been removed" in gone.text
            for path in ("/", "/news/", "/robots.txt", "/search/results.aspx?q=a%20b", "/no-such-page.aspx"):
                other = get(path)
                assert (other.status_code, other.headers["Location"]) == (301, f"{new}{path}"), path
        primary = {"Host": "www.new-force.example"}
        home = requests.get(f"{served.url}/", headers=primary, timeout=10)
        assert home.status_code == 200 and "<h1>" in home.text
        own = requests.get(f"{served.url}/news/man-charged-1.aspx", headers=primary, allow_redirects=False, timeout=10)
        assert own.headers["Location"] == "http://www.new-force.example/news/force/man-charged/"  # as asked


def test_the_client_and_the_sandbox_hash_a_page_alike() -> None:
    """The contract defines the content hash; the client and the sandbox each implement it (the sandbox
    stands in for a platform that does not share our code), so they are checked against each other."""
    from soh_onboarding.provisioning.client import content_hash

    pages = [
        {"path": "/a/", "title": "A", "body_html": "<p>a</p>"},
        {"path": "/é/", "title": "Café £5", "summary": None, "body_html": "<p>ü</p>", "content_type": "news"},
        {"path": "/b/", "title": "B", "summary": "s", "body_html": "", "published": "2026-01-01", "extra": 1},
    ]
    for page in pages:
        assert content_hash(page) == page_hash(page), page
    assert len({content_hash(page) for page in pages}) == len(pages)
