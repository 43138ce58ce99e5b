"""The crawler against the sandbox legacy site: each of the site's faults handled, checked against its truth."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import DEMO, ROOT, airflow_env, serving
from sandbox.legacy_site import LegacySite, start
from soh_onboarding.migration.crawl import Crawl, CrawlSettings, read_body, read_pages
from soh_onboarding.migration.fetch import Fetcher
from soh_onboarding.urls import Scope

DEMO_DATA = yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def spec_for(url: str, **crawl: object) -> dict:
    """The demo spec pointed at a sandbox site served at `url`."""
    data = copy.deepcopy(DEMO_DATA)
    legacy = data["legacy_site"]
    legacy["base_url"] = url
    legacy["sitemap_urls"] = [f"{url}sitemap.xml"]
    legacy["other_domains"] = ["localhost"]  # the site links some pages on its other host name
    legacy["crawl"] = legacy["crawl"] | {"requests_per_second": 1000, "concurrency": 8, "timeout_seconds": 5} | crawl
    return data


def settings(data: dict, **overrides: object) -> CrawlSettings:
    base = CrawlSettings.from_spec(data)
    return CrawlSettings(**(base.__dict__ | overrides))


class Crawled:
    def __init__(self, site: LegacySite, url: str, folder: Path, data: dict, lines: list[str]) -> None:
        self.site, self.url, self.folder, self.data, self.lines = site, url, folder, data, lines
        self.scope = Scope.from_spec(data)
        self.records = {r.url: r for r in read_pages(folder)}

    def canonical(self, path: str) -> str:
        return self.scope.canonicalise(path, base=self.url)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    site = LegacySite(120, seed=7, slow_ms=300)
    with start(site) as running:
        data = spec_for(running.url, max_pages=5000, max_page_bytes=1024 * 1024)
        folder = tmp_path_factory.mktemp("crawl")
        lines: list[str] = []
        summary = Crawl(data, folder, settings(data), progress=lines.append, progress_every=0.5).run()
        crawled = Crawled(site, running.url, folder, data, lines)
        crawled.summary = summary
        crawled.host = running.host
        yield crawled


def test_every_canonical_page_is_crawled(crawled: Crawled) -> None:
    wanted = {crawled.canonical(path) for path in crawled.site.sitemap_urls()}
    fetched = {url for url, r in crawled.records.items() if r.status == 200}
    missing = wanted - fetched - {url for url, r in crawled.records.items() if r.duplicate_of}
    assert missing == set()
    assert crawled.summary.pages >= len([u for u in wanted if not u.endswith((".pdf", ".png", ".gif"))]) - 5


def test_broken_links_are_recorded_as_404(crawled: Crawled) -> None:
    broken = {crawled.canonical(link) for links in crawled.site.broken_links(crawled.host).values() for link in links}
    assert broken
    for url in broken:
        assert crawled.records[url].status == 404 and crawled.records[url].error == "HTTP 404"


def test_redirect_chains_are_followed_and_recorded(crawled: Crawled) -> None:
    chains = crawled.site.redirect_chains(crawled.host)
    assert chains
    for chain in chains:
        record = crawled.records[crawled.canonical(chain[0])]
        assert record.status == 200
        assert len(record.redirects) == len(chain) - 1
        assert crawled.scope.canonicalise(record.final_url) == crawled.canonical(chain[-1])


def test_the_redirect_loop_is_stopped(crawled: Crawled) -> None:
    loop = crawled.site.redirect_loop()
    record = crawled.records[crawled.canonical(loop[0])]
    assert record.error == "redirect loop" and record.status == 0


def test_duplicate_urls_are_fetched_once(crawled: Crawled) -> None:
    variants = crawled.site.duplicates(crawled.host)
    assert variants
    for canonical_path, urls in variants.items():
        canonical = crawled.canonical(canonical_path)
        for variant in urls:
            mapped = crawled.scope.canonicalise(variant, base=crawled.url)
            # the variant canonicalises to the page itself, or was fetched and found a byte-identical duplicate
            assert (
                mapped == canonical
                or crawled.records.get(mapped) is None
                or crawled.records[mapped].duplicate_of == canonical
            )


def test_windows_1252_pages_keep_their_encoding(crawled: Crawled) -> None:
    pages = crawled.site.windows_1252_pages(crawled.host)
    assert pages
    for path in pages:
        record = crawled.records[crawled.canonical(path)]
        assert record.encoding.lower() in ("windows-1252", "cp1252")
        text = read_body(crawled.folder, record.sha256).decode(record.encoding)
        assert "’" in text or "£" in text


def test_the_enormous_page_is_cut_at_the_limit(crawled: Crawled) -> None:
    record = crawled.records[crawled.canonical(crawled.site.enormous_page())]
    assert record.truncated
    assert len(read_body(crawled.folder, record.sha256)) == 1024 * 1024


def test_the_infinite_calendar_is_not_followed_when_excluded(crawled: Crawled) -> None:
    assert not any("/calendar/" in url for url in crawled.records)


def test_robots_txt_is_obeyed(crawled: Crawled) -> None:
    disallowed = [
        url for url in crawled.records if crawled.site.robots_disallowed(url.removeprefix(crawled.url.rstrip("/")))
    ]
    assert disallowed
    for url in disallowed:
        assert crawled.records[url].error == "refused: robots.txt disallows it"
        assert crawled.records[url].attempts == 0


def test_intermittent_500s_are_retried(crawled: Crawled) -> None:
    failing = [crawled.canonical(path) for path in crawled.site.failing_urls()]
    assert failing
    for url in failing:
        record = crawled.records[url]
        if record.status == 200 and not record.redirects:
            assert record.attempts == 2


def test_progress_is_reported(crawled: Crawled) -> None:
    assert crawled.lines[-1].startswith(f"crawled {crawled.summary.pages}/5000 pages")


def test_slow_pages_time_out_and_are_reported(tmp_path: Path) -> None:
    site = LegacySite(60, seed=1, slow_ms=1500, fault_rate=0)
    with start(site) as running:
        data = spec_for(running.url, timeout_seconds=0.5)
        crawl = Crawl(data, tmp_path, settings(data, timeout=0.5), progress=lambda _: None)
        crawl.fetcher.retries, crawl.fetcher.backoff = 1, 0.01
        crawl.run()
    records = {r.url: r for r in read_pages(tmp_path)}
    slow = [Scope.from_spec(data).canonicalise(p, base=running.url) for p in site.slow_pages()]
    assert slow
    for url in slow:
        assert "Timeout" in records[url].error and records[url].attempts == 2


TRICKLE_SECONDS = 0.5  # a trickling answer sends one byte every half second ...
TRICKLE_BYTES = 60  # ... for 30 s, far longer than the 1 s the crawls below allow a whole answer


class _Trickling(BaseHTTPRequestHandler):
    """A small site some of whose answers trickle, each byte in time for a timeout of each socket read but the
    whole answer never in time: `slow_head` paths send their status line and headers a byte at a time,
    `slow_body` paths their body, after headers sent at once. The home page links /a, /b and the slow pages."""

    protocol_version = "HTTP/1.1"
    slow_head: frozenset[str] = frozenset()
    slow_body: frozenset[str] = frozenset()

    def do_GET(self) -> None:
        slow_pages = sorted(p for p in self.slow_head | self.slow_body if p.startswith("/slow"))
        links = "".join(f'<a href="{path}">{path}</a>' for path in ["/a", "/b", *slow_pages])
        body = f"<html><body><h1>{self.path}</h1>{links}</body></html>".encode()
        kind = "text/html"
        if self.path == "/sitemap.xml":
            body, kind = (
                b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/b</loc></url></urlset>',
                "application/xml",
            )
        if self.path in self.slow_body:
            body = b"x" * TRICKLE_BYTES
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
        padding = "X-Padding: " + "x" * max(TRICKLE_BYTES - len(head) - 15, 1) + "\r\n"
        head = (head + padding + "\r\n").encode()
        try:
            if self.path in self.slow_head:
                self._trickle(head)
                self.wfile.write(body)
            elif self.path in self.slow_body:
                self.wfile.write(head)
                self._trickle(body)
            else:
                self.wfile.write(head + body)
        except (BrokenPipeError, ConnectionResetError):  # the crawler gave up
            self.close_connection = True

    def _trickle(self, data: bytes) -> None:
        self.close_connection = True
        for byte in data:
            self.wfile.write(bytes([byte]))
            time.sleep(TRICKLE_SECONDS)

    def log_message(self, *args: object) -> None:
        pass


def _trickling_crawl(
    tmp_path: Path, head: set[str], body: set[str], progress: Callable[[str], None] = lambda _: None
) -> tuple[Crawl, str, float]:
    """Crawl a _Trickling site (those paths slow) allowing 1 s a whole answer, each request tried twice at most:
    the crawl, the site's URL and the seconds the crawl took."""
    handler = type("Trickling", (_Trickling,), {"slow_head": frozenset(head), "slow_body": frozenset(body)})
    with serving(handler) as base:
        data = spec_for(base + "/", timeout_seconds=1)
        crawl = Crawl(data, tmp_path, settings(data), progress=progress)
        crawl.fetcher.retries, crawl.fetcher.backoff = 1, 0.01
        started = time.monotonic()
        crawl.run()
        return crawl, base + "/", time.monotonic() - started


def test_a_trickling_answer_times_out_as_a_whole_and_the_crawl_goes_on(tmp_path: Path) -> None:
    """A page whose headers, or whose body, trickle in a byte every half second is given up when the whole
    answer has not come within the timeout (not when one read waits longer than it), reported as timed out,
    and the other pages are crawled; the crawl ends well before the trickles would."""
    crawl, url, seconds = _trickling_crawl(tmp_path, head={"/slow-headers"}, body={"/slow-body"})
    assert seconds < TRICKLE_BYTES * TRICKLE_SECONDS / 2
    records = {r.url: r for r in read_pages(tmp_path)}
    canonical = {
        path: crawl.scope.canonicalise(path, base=url) for path in ("/", "/a", "/b", "/slow-headers", "/slow-body")
    }
    assert all(records[canonical[path]].status == 200 for path in ("/", "/a", "/b"))
    for path, attempts in (("/slow-headers", 2), ("/slow-body", 1)):  # no headers: retried; a body cut short: not
        record = records[canonical[path]]
        assert record.status == 0 and record.error == "TimeoutError: timed out (no whole answer within 1 s)", record
        assert record.attempts == attempts
    assert crawl.summary.pages == 3 and crawl.summary.errors == 2


def test_a_trickling_robots_txt_or_sitemap_does_not_hold_the_crawl(tmp_path: Path) -> None:
    """robots.txt and the sitemaps come through the same fetcher, under the same deadline for a whole answer."""
    lines: list[str] = []
    crawl, url, seconds = _trickling_crawl(tmp_path, head={"/robots.txt"}, body={"/sitemap.xml"}, progress=lines.append)
    assert seconds < TRICKLE_BYTES * TRICKLE_SECONDS / 2
    assert f"sitemap {url}sitemap.xml: TimeoutError: timed out (no whole answer within 1 s)" in lines
    assert crawl.robots == {url.rstrip("/"): None}  # not read: nothing disallowed
    assert crawl.summary.pages == 3 and crawl.summary.errors == 0


def test_the_infinite_calendar_is_bounded_by_max_pages(tmp_path: Path) -> None:
    site = LegacySite(50, seed=2, fault_rate=0, slow_ms=0)
    with start(site) as running:
        data = spec_for(running.url)
        data["legacy_site"]["exclude_patterns"] = []
        summary = Crawl(data, tmp_path, settings(data, max_pages=150), progress=lambda _: None).run()
    assert summary.stopped_by == "max_pages"
    assert summary.pages >= 150
    assert sum(1 for r in read_pages(tmp_path) if "/calendar/" in r.url) > 0


def test_loopback_is_refused_unless_the_spec_allows_it(tmp_path: Path) -> None:
    site = LegacySite(50, fault_rate=0)
    with start(site) as running:
        data = spec_for(running.url, allow_private_addresses=False)
        summary = Crawl(data, tmp_path, settings(data), progress=lambda _: None).run()
    assert summary.pages == 0
    [record] = [r for r in read_pages(tmp_path) if r.url == Scope.from_spec(data).base_url]
    assert record.error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1 is a loopback address")


def test_a_host_name_resolving_to_loopback_is_refused_after_dns() -> None:
    fetcher = Fetcher(allowed=lambda url: None, requests_per_second=100, allow_private=False)
    fetched = fetcher.get("http://localhost:9/")
    assert fetched.error == "refused: localhost resolves to 127.0.0.1 is a loopback address"


PUBLIC, APEX = "www.demoshire-police.example", "demoshire-police.example"


def test_public_names_are_crawled_from_their_connect_to_address(tmp_path: Path) -> None:
    """As curl's --connect-to: the site is reached at 127.0.0.1:P, but asked for by its public name (Host
    header), so its pages, links and sitemaps are on the public names and so is every URL recorded; the
    crawl finds, path for path, what a crawl of the address itself finds."""
    site = LegacySite(60, seed=3, fault_rate=0, slow_ms=0)
    with start(site) as running:
        target = f"127.0.0.1:{running.port}"
        data = spec_for(f"http://{PUBLIC}/", connect_to={PUBLIC: target, APEX: target})
        data["legacy_site"]["other_domains"] = [APEX]
        summary = Crawl(data, tmp_path / "public", settings(data), progress=lambda _: None).run()
        direct = spec_for(running.url)
        expected = Crawl(direct, tmp_path / "direct", settings(direct), progress=lambda _: None).run()
    records = list(read_pages(tmp_path / "public"))
    assert summary.pages >= 50
    timing = {"seconds": 0, "finished_at": ""}
    assert summary.as_dict() | timing == expected.as_dict() | timing

    def outcome(folder: Path) -> set[tuple[str, int, str]]:
        return {(urlsplit(r.url).path, r.status, r.error) for r in read_pages(folder)}

    assert outcome(tmp_path / "public") == outcome(tmp_path / "direct")
    assert {urlsplit(r.url).netloc for r in records} == {PUBLIC}  # the apex's links folded onto the base host
    bodies = b"".join(read_body(tmp_path / "public", r.sha256) for r in records if r.kind == "page" and r.sha256)
    assert f"http://{PUBLIC}/".encode() in bodies  # the site saw the public Host header ...
    assert f"http://{APEX}/".encode() in bodies  # ... and named its other host after it
    assert b"127.0.0.1" not in bodies


def test_a_connect_to_target_is_checked_like_any_address(tmp_path: Path) -> None:
    site = LegacySite(50, fault_rate=0)
    with start(site) as running:
        data = spec_for(f"http://{PUBLIC}/", connect_to={PUBLIC: f"127.0.0.1:{running.port}"})
        data["legacy_site"]["crawl"]["allow_private_addresses"] = False
        summary = Crawl(data, tmp_path, settings(data), progress=lambda _: None).run()
    assert summary.pages == 0
    [record] = [r for r in read_pages(tmp_path) if r.url == f"http://{PUBLIC}/"]
    assert record.error == (
        f"refused: {PUBLIC} (connect_to 127.0.0.1:{running.port}) resolves to 127.0.0.1 is a loopback address"
    )


def test_a_connect_to_host_never_goes_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    fetcher = Fetcher(allowed=lambda u: None, requests_per_second=100, connect_to={PUBLIC: ("127.0.0.1", 9)})
    assert fetcher._proxy_for("http", PUBLIC, 80) is None
    assert fetcher._proxy_for("http", "www.elsewhere.example", 80) == "http://proxy.invalid:3128"


def test_redirects_out_of_scope_are_refused_not_followed(tmp_path: Path) -> None:
    """A redirect to a private address, or to another domain, is refused before any connection to it."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            targets = {
                "/private": "http://10.1.2.3/admin",
                "/metadata": "http://169.254.169.254/latest/",
                "/elsewhere": "http://example.org/",
            }
            self.send_response(302)
            self.send_header("Location", targets.get(self.path, "/"))
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        scope = Scope.from_spec(spec_for(url + "/"))
        fetcher = Fetcher(
            allowed=lambda u: None if scope.in_scope(u) else scope.in_scope(u).reason,
            requests_per_second=100,
            allow_private=True,
        )
        for path, host in (("/private", "10.1.2.3"), ("/metadata", "169.254.169.254"), ("/elsewhere", "example.org")):
            fetched = fetcher.get(url + path)
            assert fetched.error.startswith("refused: host") and host in fetched.error, fetched.error
            assert fetched.redirects == [(url + path, 302)]
    finally:
        server.shutdown()


CRAWL_SCRIPT = """
import sys, json
sys.path[:0] = [{plugins!r}, {root!r}]
from pathlib import Path
from soh_onboarding.migration.crawl import Crawl, CrawlSettings
data = json.loads(Path(sys.argv[1]).read_text())
settings = CrawlSettings(**json.loads(sys.argv[3]))
Crawl(data, Path(sys.argv[2]), settings, progress=lambda line: print(line, flush=True), progress_every=0.2).run()
"""


def test_killed_half_way_a_rerun_resumes_and_ends_with_the_same_pages(tmp_path: Path) -> None:
    site = LegacySite(150, seed=3, fault_rate=0, slow_ms=0)
    with start(site) as running:
        data = spec_for(running.url, requests_per_second=60)
        spec_file = tmp_path / "spec.json"
        spec_file.write_text(json.dumps(data, default=str))
        script = tmp_path / "crawl.py"
        script.write_text(CRAWL_SCRIPT.format(plugins=str(ROOT / "plugins"), root=str(ROOT)))
        folder = tmp_path / "killed"
        limits = json.dumps(settings(data).__dict__)
        process = subprocess.Popen(
            [sys.executable, str(script), str(spec_file), str(folder), limits],
            env=airflow_env(),
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            journal = folder / "pages.jsonl"
            if journal.exists() and journal.read_text().count("\n") >= 60:
                break
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        done_before = (folder / "pages.jsonl").read_text().count("\n")
        assert done_before >= 60

        lines: list[str] = []
        summary = Crawl(data, folder, settings(data), progress=lines.append).run()
        assert summary.resumed_from >= 60
        assert lines[0].startswith(f"resuming: {summary.resumed_from} URLs already done")

        whole = tmp_path / "whole"
        Crawl(data, whole, settings(data), progress=lambda _: None).run()

    def outcome(folder: Path) -> dict[str, tuple]:
        # Which of two byte-identical URLs the crawl met first depends on thread timing; what each URL
        # answered does not. (The inventory chooses the original of duplicates by rule, not by order.)
        return {r.url: (r.status, r.sha256, r.error) for r in read_pages(folder)}

    resumed, uninterrupted = outcome(folder), outcome(whole)
    assert resumed == uninterrupted
    urls = [r.url for r in read_pages(folder)]
    assert len(urls) == len(set(urls))  # nothing fetched twice

    # a finished crawl, run again, fetches nothing
    again = Crawl(data, folder, settings(data), progress=lambda _: None)
    assert again.run().resumed_from == len(urls)
    assert [r.url for r in read_pages(folder)] == urls


def test_connections_are_kept_alive_and_a_closed_one_is_replaced() -> None:
    """One connection carries many requests; when the server closes it, the next request opens (and checks) a
    new one instead of failing."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    peers: list[int] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            peers.append(self.client_address[1])
            body = b"<html><body>ok</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            if self.path == "/close":
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            if self.path == "/drop":  # closed without saying so, as a server's keep-alive timeout does
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        fetcher = Fetcher(allowed=lambda u: None, requests_per_second=1000, allow_private=True)
        assert all(fetcher.get(f"{url}/{n}").ok for n in range(10))
        assert len(set(peers)) == 1  # ten requests, one connection
        assert fetcher.get(f"{url}/close").ok  # the server closes this one after answering
        assert all(fetcher.get(f"{url}/{n}").ok for n in range(3))
        assert len(set(peers)) == 2 and len(peers) == 14
        assert fetcher.get(f"{url}/drop").ok
        time.sleep(0.1)  # let the server's close arrive
        again = fetcher.get(f"{url}/after-drop")
        assert again.ok and again.attempts == 1  # sent again on a new connection, not counted as a retry
        assert len(set(peers)) == 3
        fetcher.close()
        refusing = Fetcher(allowed=lambda u: None, requests_per_second=1000, allow_private=False)
        assert refusing.get(f"{url}/again").error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    finally:
        server.shutdown()


def test_root_relative_links_resolve_by_origin_as_urljoin_resolves_them(tmp_path: Path) -> None:
    """A root-relative link is looked up by (origin, link) before urljoin: the answer must be urljoin's.

    The same links from pages in different folders and on other origins (one out of scope), some with dot segments,
    queries, fragments, index pages and escapes; each asked twice (the second time from the cache).
    """
    data = spec_for("http://127.0.0.1:8081/")
    fast, plain = Crawl(data, tmp_path / "a", settings(data)), Crawl(data, tmp_path / "b", settings(data))
    links = [
        "/news.aspx",
        " /News/Item.aspx?utm_source=x&id=2#top ",
        "/advice/../appeals/Default.aspx",
        "/./stations/%7Ealpha/",
        "/%2e%2e/neighbourhoods/",
        "//evil.example/x",
        "/",
        "relative.aspx",
    ]
    bases = [
        "http://127.0.0.1:8081/news/2019/a.aspx",
        "http://127.0.0.1:8081/advice/b/",
        "http://localhost:8081/c.aspx",
        "https://127.0.0.1:8081/d.aspx",
        "http://elsewhere.example/e.aspx",  # out of scope: its links are not the same links
    ]
    for _ in range(2):
        for base in bases:
            parts = urlsplit(base)
            for link in links:
                expected = plain._canonical(link, base)
                assert fast._canonical(link, base, f"{parts.scheme}://{parts.netloc}") == expected, (link, base)
    assert fast._root_relative  # the fast path was taken
