"""The sandbox legacy force website: deterministic, served for real on 127.0.0.1, every fault really there.

The ground truth (LegacySite's broken_links, duplicates, redirect_chains, ...) is what the crawler's tests
will check their findings against, so these tests check the truth against what the server really serves.
"""

from __future__ import annotations

import itertools
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import airflow_env, run_sandbox
from sandbox.legacy_site import LegacySite, start
from sandbox.legacy_site import site as site_module

ROOT = Path(__file__).resolve().parents[2]
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def site() -> LegacySite:
    return LegacySite(200, seed=3, fault_rate=0.0, slow_ms=800)


@pytest.fixture(scope="module")
def served(site: LegacySite):
    with start(site) as running:
        yield running


def get(served, url: str, **kwargs) -> requests.Response:
    return requests.get(urljoin(served.url, url), timeout=20, allow_redirects=False, **kwargs)


class _Tags(HTMLParser):
    """Start tags with their attributes, and whether each sits inside <div id="content">."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None], bool]] = []
        self.depth = 0  # div depth inside #content, 0 outside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "div" and (self.depth or attributes.get("id") == "content"):
            self.depth += 1
        self.tags.append((tag, attributes, self.depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.depth:
            self.depth -= 1


def tags(body: str) -> list[tuple[str, dict[str, str | None], bool]]:
    parser = _Tags()
    parser.feed(body)
    return parser.tags


def hrefs(body: str) -> list[str]:
    return [str(a["href"]) for tag, a, _ in tags(body) if tag == "a" and a.get("href")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- the generator ---------------------------------------------------------------------------------


def test_same_seed_gives_a_byte_identical_site_and_another_seed_another_site() -> None:
    first, second, other = LegacySite(120, seed=11), LegacySite(120, seed=11), LegacySite(120, seed=12)
    urls = list(first.canonical_urls())
    assert urls == list(second.canonical_urls())
    assert len(urls) == len(set(urls)) > 120
    for url in [*urls, "/robots.txt", "/sitemap.xml", "/sitemaps/pages-1.xml", "/calendar/2026/03.aspx"]:
        assert first.respond(url).body == second.respond(url).body, url
    assert any(first.respond(u).body != other.respond(u).body for u in urls[:30])


def test_every_canonical_url_is_its_own_canonical_form_and_sizes_are_checked(site: LegacySite) -> None:
    for url in site.canonical_urls():
        assert site.canonical_of(url) == url
    assert site.last_page_url() == site.page_url(199)
    for pages in (49, 50_001):
        with pytest.raises(ValueError, match="50 to 50000"):
            LegacySite(pages)


HUGE = LegacySite(50_000, seed=2)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=49_999), st.sampled_from(["case", "slash", "tracking", "host"]))
def test_any_page_of_a_large_site_is_found_again_from_its_url_and_its_variants(index: int, how: str) -> None:
    url = HUGE.page_url(index)
    assert HUGE.canonical_of(url) == url and HUGE.kind_of(url) is not None
    variant = {
        "case": url.upper(),
        "slash": url + "/" if url.endswith(".aspx") else url,
        "tracking": url + "?utm_source=twitter&fbclid=x",
        "host": f"http://localhost:8081{url}",
    }[how]
    assert HUGE.canonical_of(variant) == url
    mangled = url.replace(".aspx", "-x.aspx").replace(".pdf", "-x.pdf").replace(".docx", "-x.docx")
    assert HUGE.canonical_of(mangled) is None


def test_an_in_process_crawl_finds_exactly_the_broken_links_and_the_variants_of_the_ground_truth(
    site: LegacySite,
) -> None:
    seen, queue, broken, variants = {"/"}, deque(["/"]), set(), set()
    while queue:
        url = queue.popleft()
        response = site.respond(url, attempt=1)
        if response.status in (301, 302):
            location = dict(response.headers)["Location"]
            if location not in seen:
                seen.add(location)
                queue.append(location)
            continue
        if not response.content_type.startswith("text/html") or response.status != 200:
            continue
        for href in hrefs(response.body.decode(response.content_type.split("charset=")[1])):
            parts = urlsplit(href)
            if parts.scheme not in ("", "http") or (parts.netloc and parts.port != 8081):
                continue
            if site.robots_disallowed(href) or href.startswith("/calendar/") or href.startswith("/images/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if href != site.canonical_of(href) and site.canonical_of(href) and not site.redirect_chain(href)[1:]:
                variants.add(href)
            if site.respond(target, attempt=1).status == 404:
                broken.add(target)
            elif target not in seen:
                seen.add(target)
                queue.append(target)
    assert broken == {link for links in site.broken_links().values() for link in links}
    truth = {v for vs in site.duplicates().values() for v in vs}
    assert variants - {"/default.aspx"} == truth
    assert set(site.canonical_urls()) <= seen  # every canonical page is reachable from the home page


def test_a_clean_site_has_no_faults_and_every_link_answers_directly() -> None:
    clean = LegacySite(60, seed=3, faults=False)
    assert not clean.broken_links() and not clean.duplicates() and not clean.redirect_chains()
    assert not clean.redirect_loop() and not clean.windows_1252_pages() and not clean.slow_pages()
    assert not clean.failing_urls() and not clean.images_without_alt() and not clean.active_content()
    assert clean.enormous_page() is None and clean.calendar_start() is None
    assert clean.respond("/calendar/2026/03.aspx").status == 404
    for url in clean.canonical_urls():
        response = clean.respond(url)
        assert response.status == 200 and response.delay_seconds == 0
        for href in clean.links(url):
            if href.startswith("/") and not clean.robots_disallowed(href):
                assert clean.respond(href).status == 200, (url, href)
    assert len(clean.respond("/disclosure-log.aspx").body) < 50_000


def test_documents_are_valid_pdfs_and_images_valid_pngs_and_gifs(served) -> None:
    document = get(served, "/documents/annual-report.pdf")
    assert document.headers["Content-Type"] == "application/pdf"
    body = document.content
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    xref = int(body.rsplit(b"startxref\n", 1)[1].split()[0])
    assert body[xref:].startswith(b"xref")
    assert get(served, "/images/appeal-3.png").content.startswith(b"\x89PNG\r\n\x1a\n")
    assert get(served, "/images/news-3.gif").content.startswith(b"GIF89a")


# ----- each fault, really served ---------------------------------------------------------------------


def test_broken_links_answer_404(site: LegacySite, served) -> None:
    broken = site.broken_links(served.host)
    assert len(broken) >= 5
    for page, links in list(broken.items())[:10]:
        assert set(links) <= set(hrefs(get(served, page).text))
        for link in links:
            assert get(served, link).status_code == 404


def test_redirect_chains_are_served_hop_by_hop(site: LegacySite, served) -> None:
    chains = site.redirect_chains(served.host)
    assert ["/Pages/ContactUs.aspx", "/contact.aspx", "/contact-us.aspx"] in chains
    assert any(chain[0].startswith("/newsitem.aspx?id=") for chain in chains)
    for chain in chains[:6]:
        assert len(chain) >= 3
        for here, there in itertools.pairwise(chain):
            response = get(served, here)
            assert response.status_code == 301 and response.headers["Location"] == there
        assert get(served, chain[-1]).status_code == 200


def test_the_redirect_loop_never_ends(site: LegacySite, served) -> None:
    loop = site.redirect_loop()
    assert loop[0] == loop[-1] and len(loop) == 3
    assert loop[0] in hrefs(get(served, "/").text)
    with pytest.raises(requests.TooManyRedirects):
        requests.get(served.url + loop[0].lstrip("/"), timeout=20)


def test_the_same_page_answers_under_several_urls(site: LegacySite, served) -> None:
    duplicates = site.duplicates(served.host)
    kinds = {"case": 0, "slash": 0, "tracking": 0, "host": 0}
    for canonical, variants in duplicates.items():
        page = get(served, canonical)
        assert page.status_code == 200
        for variant in variants:
            response = requests.get(urljoin(served.url, variant), timeout=20, allow_redirects=False)
            assert response.status_code == 200, variant
            if variant.startswith("http://localhost"):
                kinds["host"] += 1
                heading = re.search(r"<h1>(.*?)</h1>", page.text)
                assert heading and heading.group(0) in response.text
                continue
            assert response.content == page.content, variant
            kinds["case"] += any(c.isupper() for c in urlsplit(variant).path)
            kinds["slash"] += variant.endswith("/")
            kinds["tracking"] += "utm_source=" in variant
    assert all(kinds.values()), kinds
    assert get(served, "/DEFAULT.aspx").content == get(served, "/").content


def test_windows_1252_pages_say_so_and_are_encoded_so(site: LegacySite, served) -> None:
    pages = site.windows_1252_pages(served.host)
    assert "/about-us.aspx" in pages and any(p.startswith("/news/archive/") for p in pages)
    for url in pages[:5]:
        response = get(served, url)
        assert response.headers["Content-Type"] == "text/html; charset=windows-1252"
        assert b"\xa3250" in response.content and b"\x92" in response.content  # £ and ’ in windows-1252
        with pytest.raises(UnicodeDecodeError):
            response.content.decode("utf-8")
        assert "Demoshire’s officers" in response.content.decode("windows-1252")
    assert "£250".encode() in get(served, "/cookies.aspx").content


def test_one_page_is_enormous(site: LegacySite, served) -> None:
    response = get(served, site.enormous_page())
    assert response.status_code == 200 and len(response.content) > 4_000_000
    assert len(get(served, "/cookies.aspx").content) < 20_000
    assert site.enormous_page() in hrefs(get(served, "/freedom-of-information.aspx").text)


def test_the_calendar_links_forward_forever(site: LegacySite, served) -> None:
    url = site.calendar_start()
    assert url in hrefs(get(served, "/").text)
    for _ in range(30):
        response = get(served, url)
        assert response.status_code == 200
        forward = [h for h in hrefs(response.text) if h.startswith("/calendar/") and h > url]
        assert len(forward) == 1
        url = forward[0]
    assert url == "/calendar/2028/09.aspx"
    assert "/calendar/9999/12.aspx" in hrefs(get(served, "/calendar/9999/11.aspx").text)


def test_robots_txt_disallows_the_system_pages_and_points_at_the_sitemap(site: LegacySite, served) -> None:
    text = get(served, "/robots.txt").text
    assert "Disallow: /_layouts/" in text and "Disallow: /search/" in text
    assert f"Sitemap: {served.url}sitemap.xml" in text
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    home_links = hrefs(get(served, "/").text)
    disallowed = [h for h in home_links if site.robots_disallowed(h)]
    assert any(h.startswith("/_layouts/") for h in disallowed) and any(h.startswith("/search/") for h in disallowed)
    for href in home_links:
        if href.startswith("/"):
            assert robots.can_fetch("soh-crawler", served.url + href.lstrip("/")) != site.robots_disallowed(href)
            assert get(served, href).status_code in (200, 301)  # disallowed pages are there all the same


def test_the_sitemap_index_lists_every_canonical_page_and_nothing_faulty(served) -> None:
    big = LegacySite(2500, seed=1)
    with start(big) as running:
        index = ET.fromstring(get(running, "/sitemap.xml").content)
        listed = []
        for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS):
            urlset = ET.fromstring(requests.get(loc.text, timeout=20).content)
            listed += [urlsplit(u.text).path for u in urlset.findall("s:url/s:loc", SITEMAP_NS)]
    assert len(index) == 3
    assert listed == list(big.sitemap_urls())
    assert all(big.canonical_of(u) == u for u in listed)


def test_images_without_alt_are_served_without_alt(site: LegacySite, served) -> None:
    missing = site.images_without_alt(served.host)
    assert any(p.startswith("/appeals/") for p in missing) and any(p.startswith("/news/") for p in missing)
    for page, sources in list(missing.items())[:5]:
        images = {a["src"]: a for tag, a, _ in tags(get(served, page).text) if tag == "img"}
        for src in sources:
            assert "alt" not in images[src]
            assert get(served, src).status_code == 200


def test_inline_scripts_event_handlers_and_javascript_links_are_in_the_content(site: LegacySite, served) -> None:
    active = site.active_content(served.host)
    for flavour in ("script", "event-handler", "javascript-link"):
        page = next(p for p, found in active.items() if flavour in found)
        inside = [(tag, a) for tag, a, in_content in tags(get(served, page).text) if in_content]
        if flavour == "script":
            assert any(tag == "script" for tag, _ in inside)
        elif flavour == "event-handler":
            assert any("onclick" in a for _, a in inside)
        else:
            assert any(str(a.get("href", "")).startswith("javascript:") for _, a in inside)
    assert "/contact-us.aspx" in active


def test_appeals_name_people_and_the_privacy_notice_is_served(site: LegacySite, served) -> None:
    named = site.named_people(served.host)
    assert all(p.startswith("/appeals/") for p in named) and len(named) == site.counts["appeals"]
    page, people = next(iter(named.items()))
    assert all(person.replace("'", "&#x27;") in get(served, page).text for person in people)
    assert "Data Protection Officer" in get(served, "/privacy-notice.aspx").text


def test_a_slow_page_is_slow_but_does_not_block_a_fast_one(site: LegacySite, served) -> None:
    slow = site.slow_pages()[0]
    finished: dict[str, float] = {}
    began = time.monotonic()

    def fetch(url: str) -> None:
        assert get(served, url).status_code == 200
        finished[url] = time.monotonic() - began

    threads = [threading.Thread(target=fetch, args=(slow,))]
    threads[0].start()
    time.sleep(0.05)
    threads.append(threading.Thread(target=fetch, args=("/cookies.aspx",)))
    threads[1].start()
    for thread in threads:
        thread.join()
    assert finished[slow] >= 0.75
    assert finished["/cookies.aspx"] < finished[slow]


def test_latency_delays_every_answer_without_holding_back_the_others() -> None:
    """`latency_ms` is think time per answer (a real CMS and network), slept in the request's own thread.

    Eight requests on eight connections at once: each waits at least the latency, and together they take far
    less than eight latencies one after the other (they overlap). A server that did not sleep fails the first
    bound; one that slept while holding the others back (a lock, one thread) fails the second.
    """
    latency = 0.4
    site = LegacySite(50, seed=1, faults=False, latency_ms=latency * 1000)
    urls = ["/robots.txt", "/sitemap.xml", *itertools.islice(site.canonical_urls(), 6)]
    took: dict[str, float] = {}
    with start(site) as running:
        ready = threading.Barrier(len(urls) + 1)

        def fetch(url: str) -> None:
            with requests.Session() as session:  # a connection of its own
                ready.wait()
                began = time.monotonic()
                assert session.get(urljoin(running.url, url), timeout=20, allow_redirects=False).status_code == 200
                took[url] = time.monotonic() - began

        threads = [threading.Thread(target=fetch, args=(url,)) for url in urls]
        for thread in threads:
            thread.start()
        ready.wait()
        began = time.monotonic()
        for thread in threads:
            thread.join()
        together = time.monotonic() - began
    assert len(took) == len(urls)
    assert min(took.values()) >= latency
    assert together < len(urls) * latency / 2, (together, took)


def test_latency_is_checked() -> None:
    with pytest.raises(ValueError, match="latency_ms"):
        LegacySite(50, latency_ms=-1)


def test_some_first_requests_fail_with_500_and_the_retry_succeeds() -> None:
    flaky = LegacySite(100, seed=5, fault_rate=0.3)
    failing = flaky.failing_urls()
    assert 0.15 * 100 < len(failing) < 0.5 * len(list(flaky.canonical_urls()))
    steady = next(u for u in flaky.canonical_urls() if not flaky.fails_first(u))
    with start(flaky) as running:
        for url in failing[:3]:
            assert get(running, url).status_code == 500
            assert get(running, url).status_code == 200
        assert get(running, steady).status_code == 200


def test_a_50000_page_site_serves_its_last_page_without_generating_the_others(monkeypatch) -> None:
    rendered = []
    original = site_module._Page.item
    monkeypatch.setattr(site_module._Page, "item", lambda self, kind, k: (rendered.append(k), original(self, kind, k)))
    tracemalloc.start()
    huge = LegacySite(50_000, seed=9)
    with start(huge) as running:
        last = huge.last_page_url()
        response = get(running, last, headers={"Connection": "close"})
        if response.status_code == 500:
            response = get(running, last)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 200 and "<h1>" in response.text
    assert last.startswith("/neighbourhoods/")
    assert len(rendered) <= 2  # the page itself (twice if its first request was a 500), nothing else
    assert peak < 20_000_000


# ----- the command line and the demo spec ------------------------------------------------------------


def test_the_cli_serves_the_site_until_interrupted() -> None:
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "legacy-site", "--pages", "80", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--seed", "4", "--no-faults", "--latency-ms", "5", "--quiet"],
        cwd=ROOT,
        env=airflow_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/robots.txt", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.1)
        assert response.status_code == 200
        expected = LegacySite(80, seed=4, faults=False)
        last = requests.get(f"http://127.0.0.1:{port}{expected.last_page_url()}", timeout=10)
        assert last.content == expected.respond(expected.last_page_url(), f"127.0.0.1:{port}").body
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert f"on http://127.0.0.1:{port}/" in out and "80 pages" in out and "5 ms per answer" in out


def test_the_cli_refuses_a_size_out_of_range() -> None:
    done = run_sandbox("legacy-site", "--pages", "10")
    assert done.returncode == 2 and "50 to 50000" in done.stderr


def test_the_demo_specs_rules_map_the_sites_canonical_urls() -> None:
    spec = yaml.safe_load((ROOT / "onboarding_specs" / "demo.yaml").read_text())
    legacy, mapping = spec["legacy_site"], spec["content_mapping"]
    site = LegacySite(500, seed=0)
    # fetched from the CLI's default port, under the public names the site then links to
    assert set(legacy["crawl"]["connect_to"].values()) == {"127.0.0.1:8081"}
    assert set(legacy["crawl"]["connect_to"]) == {urlsplit(legacy["base_url"]).hostname, *legacy["other_domains"]}
    expected = {
        "news": "news",
        "appeals": "appeal",
        "advice": "advice",
        "stations": "station",
        "neighbourhoods": "neighbourhood",
        "documents": "document",
        "static": "page",
        "listing": "page",
        "home": "page",
    }
    seen = set()
    for url in site.canonical_urls():
        path, kind = urlsplit(url).path, site.kind_of(url)
        if kind == "news-archive":
            assert any(re.search(rule["match"], path) for rule in mapping["archive"]), url
            seen.add(kind)
            continue
        matched = next((r["content_type"] for r in mapping["rules"] if re.search(r["match"], path)), None)
        assert matched == expected.get(kind), (url, kind, matched)
        seen.add(kind)
    assert seen == {*expected, "news-archive"}
    excluded = [re.compile(p) for p in legacy["exclude_patterns"]]
    for url in (site.calendar_start(), "/_layouts/15/Authenticate.aspx"):
        assert any(p.search(url) for p in excluded)
    privacy = urlsplit(spec["dpia"]["screening"]["privacy_notice_url"]).path
    assert site.kind_of(privacy) == "static"


def test_nothing_in_the_library_imports_the_sandbox() -> None:
    """The sandbox's servers start from `python -m sandbox`; the library does not know the sandbox exists."""
    for path in (ROOT / "plugins").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            assert not re.match(r"\s*(from|import)\s+sandbox\b", line), f"{path}:{number}: {line}"


@pytest.mark.parametrize(
    ("host", "other"),
    [
        ("127.0.0.1:8081", "localhost:8081"),
        ("localhost:8081", "127.0.0.1:8081"),
        ("www.demoshire-police.example", "demoshire-police.example"),  # a public name (the spec's connect_to)
        ("demoshire-police.example", "www.demoshire-police.example"),
    ],
)
def test_host_variants_link_the_other_name_of_the_host_asked_for(host: str, other: str) -> None:
    site = LegacySite(60, seed=3)
    variants = {v for found in site.duplicates(host).values() for v in found if v.startswith("http://")}
    assert variants and {urlsplit(v).netloc for v in variants} == {host, other}
