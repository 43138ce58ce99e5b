"""The legacy Demoshire Police website: every response a pure function of (seed, size, faults, request).

Nothing is generated ahead: a URL is parsed back to (kind, index), and that one page is rendered. So a
50,000-page site costs no more memory than a 50-page one, and the same seed gives byte-identical pages.

The ground truth (which links are broken, which URLs are duplicates, ...) is computed from the same
rules, for tests; it is never served. Enumerations over the whole site render every page: O(pages).
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

from . import content as words
from . import documents

MIN_PAGES, MAX_PAGES = 50, 50_000
PER_PAGE = 20  # items per listing page (?page=N)
DEFAULT_HOST = "127.0.0.1:8081"
ROBOTS_DISALLOW = ("/_layouts/", "/search/", "/print/")
SITEMAP_CHUNK = 1000
TODAY = date(2026, 3, 1)  # the site's "now": fixed, so pages never depend on the clock
ARCHIVE_BEFORE = date(2021, 3, 1)  # news older than five years lives under /news/archive/<year>/
ITEM_KINDS = ("news", "appeals", "advice", "stations", "documents", "neighbourhoods")
MAX_LATENCY_MS = 10_000  # a per-answer delay longer than 10 s is a mistake, not a slow site
ENORMOUS_ROWS = 40_000  # rows in the disclosure log when faults are on: about 5 MB
LOOP = ("/Pages/Archive.aspx", "/archive.aspx")


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    delay_seconds: float = 0.0


@dataclass
class Rendered:
    """A rendered page and the facts recorded while rendering it (the ground truth's raw material)."""

    url: str
    kind: str
    title: str
    encoding: str = "utf-8"
    links: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    chain_starts: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    active: set[str] = field(default_factory=set)
    people: list[str] = field(default_factory=list)
    html: str = ""


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def _fraction(*parts: object) -> float:
    """A deterministic number in [0, 1) from its parts (sha256, so independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _variant_case(path: str) -> str:
    """/news/man-charged-1.aspx -> /News/Man-Charged-1.aspx (IIS serves paths case-insensitively)."""
    return "/".join("-".join(w[:1].upper() + w[1:] for w in seg.split("-")) for seg in path.split("/"))


class LegacySite:
    """A deterministic old force website of `pages` content pages (50 to 50,000).

    `pages` counts static pages, news, appeals, advice, stations, documents and neighbourhood pages;
    the home page and section listings come on top. `faults=False` gives a clean site: no broken links,
    redirects, duplicates, windows-1252, enormous page, calendar, missing alt text, active content,
    slow pages or 500s (robots.txt and the sitemap stay). `fault_rate` is the share of URLs whose first
    request answers 500; `slow_ms` the delay of slow pages. `latency_ms` is added to every answer, faults or
    not: a real force site is never answered in 0 ms (its CMS renders each page and the network adds a round
    trip), and a benchmark against a server that answers instantly on localhost measures only CPU.
    """

    def __init__(
        self,
        pages: int = 200,
        seed: int = 0,
        *,
        faults: bool = True,
        fault_rate: float = 0.05,
        slow_ms: int = 1500,
        latency_ms: float = 0.0,
    ):
        if not MIN_PAGES <= pages <= MAX_PAGES:
            raise ValueError(f"pages must be from {MIN_PAGES} to {MAX_PAGES}, not {pages}")
        if not 0 <= fault_rate <= 1:
            raise ValueError(f"fault_rate must be from 0 to 1, not {fault_rate}")
        if not 0 <= latency_ms <= MAX_LATENCY_MS:
            raise ValueError(f"latency_ms must be from 0 to {MAX_LATENCY_MS}, not {latency_ms}")
        self.latency_ms = latency_ms
        self.pages, self.seed, self.faults = pages, seed, faults
        self.fault_rate = fault_rate if faults else 0.0
        self.slow_ms = slow_ms if faults else 0
        rest = pages - len(words.STATIC_PAGES)
        counts = {
            "documents": max(3, rest // 20),
            "stations": min(60, max(3, rest // 25)),
            "neighbourhoods": max(5, rest // 8),
            "advice": min(500, max(5, rest // 10)),
            "appeals": max(5, rest // 6),
        }
        counts["news"] = rest - sum(counts.values())
        self.counts = {kind: counts[kind] for kind in ITEM_KINDS}

    # ----- addressing: (kind, index) <-> canonical URL -------------------------------------------------

    def _rng(self, kind: str, k: int) -> random.Random:
        return random.Random(f"{self.seed}:{kind}:{k}")

    @staticmethod
    def _named(base: list[str], k: int) -> str:
        return base[k] if k < len(base) else f"{base[k % len(base)]}-{k}"

    @staticmethod
    def _index_of(base: list[str], name: str) -> int | None:
        match = re.fullmatch(r".*-(\d+)", name)
        if match and int(match[1]) >= len(base):
            return int(match[1])
        return base.index(name) if name in base else None

    def news_date(self, k: int) -> date:
        span = 3650 * k // max(1, self.counts["news"])
        return TODAY - timedelta(days=span + self._rng("news", k).randrange(3))

    def title(self, kind: str, k: int) -> str:
        rng = self._rng(kind, k)
        town = rng.choice(words.TOWNS)
        if kind == "news":
            return rng.choice(words.NEWS_TEMPLATES).format(crime=rng.choice(words.CRIMES), town=town)
        if kind == "appeals":
            template = rng.choice(words.APPEAL_TEMPLATES)
            person = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.SURNAMES)}"
            return template.format(name=person, age=rng.randrange(14, 80), crime=rng.choice(words.CRIMES), town=town)
        if kind == "advice":
            return words.ADVICE_TOPICS[k % len(words.ADVICE_TOPICS)].replace("-", " ").capitalize() + (
                f": guide {k}" if k >= len(words.ADVICE_TOPICS) else ""
            )
        if kind == "stations":
            return f"{words.TOWNS[k % len(words.TOWNS)]} police station" + (f" ({k})" if k >= len(words.TOWNS) else "")
        if kind == "documents":
            return self._named(words.DOCUMENTS, k).replace("-", " ").capitalize()
        if kind == "neighbourhoods":
            return f"{self._named(words.WARDS, k).replace('-', ' ').title()} ward, {self._area(k).replace('-', ' ').title()}"
        raise ValueError(kind)

    @staticmethod
    def _area(k: int) -> str:
        return words.AREAS[k % len(words.AREAS)]

    def item_url(self, kind: str, k: int) -> str:
        if kind == "news":
            slug = f"{_slugify(self.title('news', k))}-{k}"
            day = self.news_date(k)
            return f"/news/archive/{day.year}/{slug}.aspx" if day < ARCHIVE_BEFORE else f"/news/{slug}.aspx"
        if kind == "appeals":
            return f"/appeals/{_slugify(self.title('appeals', k))}-{k}.aspx"
        if kind == "advice":
            return f"/advice/{self._named(words.ADVICE_TOPICS, k)}.aspx"
        if kind == "stations":
            town = _slugify(words.TOWNS[k % len(words.TOWNS)])
            return f"/stations/{town}-police-station" + (f"-{k}" if k >= len(words.TOWNS) else "") + ".aspx"
        if kind == "documents":
            return f"/documents/{self._named(words.DOCUMENTS, k)}.{documents.kind_of(k).format}"
        if kind == "neighbourhoods":
            return f"/neighbourhoods/{self._area(k)}/{self._named(words.WARDS, k)}.aspx"
        raise ValueError(kind)

    def page_url(self, i: int) -> str:
        """The i-th content page (0 <= i < pages): static pages, then each kind of item in turn."""
        if not 0 <= i < self.pages:
            raise IndexError(i)
        static = list(words.STATIC_PAGES)
        if i < len(static):
            return f"/{static[i]}.aspx"
        i -= len(static)
        for kind, count in self.counts.items():
            if i < count:
                return self.item_url(kind, i)
            i -= count
        raise AssertionError("unreachable")

    def last_page_url(self) -> str:
        return self.page_url(self.pages - 1)

    def listing_pages(self, section: str) -> int:
        return max(1, -(-self.counts[section] // PER_PAGE))

    def _parse(self, path: str) -> tuple[str, int | str] | None:
        """A lower-cased canonical path -> (kind, index or name), or None when nothing lives there."""
        if path in ("/", "/default.aspx"):
            return ("home", 0)
        if match := re.fullmatch(r"/([a-z0-9-]+)\.aspx", path):
            name = match[1]
            if name in words.STATIC_PAGES:
                return ("static", name)
            if name in words.SECTIONS:
                return ("listing", name)
            return None
        if match := re.fullmatch(r"/(news|appeals)/(?:archive/\d{4}/)?[a-z0-9-]+-(\d+)\.aspx", path):
            kind, k = match[1], int(match[2])
        elif match := re.fullmatch(r"/(advice|stations)/([a-z0-9-]+)\.aspx", path):
            kind = match[1]
            name = match[2] if kind == "advice" else match[2].removesuffix("-police-station")
            if kind == "stations":
                towns = [_slugify(t) for t in words.TOWNS]
                trail = re.fullmatch(r"[a-z0-9-]+-police-station-(\d+)", match[2])
                found = int(trail[1]) if trail else (towns.index(name) if name in towns else None)
            else:
                found = self._index_of(words.ADVICE_TOPICS, name)
            if found is None:
                return None
            k = found
        elif match := re.fullmatch(r"/documents/([a-z0-9-]+)\.(?:pdf|docx)", path):
            kind, found = "documents", self._index_of(words.DOCUMENTS, match[1])
            if found is None:
                return None
            k = found
        elif match := re.fullmatch(r"/neighbourhoods/[a-z0-9-]+/([a-z0-9-]+)\.aspx", path):
            kind, found = "neighbourhoods", self._index_of(words.WARDS, match[1])
            if found is None:
                return None
            k = found
        else:
            return None
        if not 0 <= k < self.counts[kind] or self.item_url(kind, k) != path:
            return None
        return (kind, k)

    def canonical_of(self, url: str) -> str | None:
        """The canonical URL (path, plus ?page=N on listings) a served URL shows, or None if it is not a page.

        Folds what the server folds: host, case, a trailing slash after .aspx, tracking parameters, page=1.
        """
        parts = urlsplit(url)
        path = parts.path.lower()
        if path.endswith(".aspx/"):
            path = path[:-1]
        parsed = self._parse(path)
        if parsed is None:
            return None
        if parsed[0] == "home":
            return "/"
        if parsed[0] == "listing":
            page = self._page_param(parts.query)
            if page is None or page > self.listing_pages(str(parsed[1])):
                return None
            return path + (f"?page={page}" if page > 1 else "")
        return path

    @staticmethod
    def _page_param(query: str) -> int | None:
        value = dict(parse_qsl(query)).get("page", "1")
        return int(value) if value.isdigit() and int(value) >= 1 else None

    def canonical_urls(self) -> Iterator[str]:
        """Every canonical page: home, listings with each ?page=N, content pages (documents included)."""
        yield "/"
        for section in words.SECTIONS:
            for page in range(1, self.listing_pages(section) + 1):
                yield f"/{section}.aspx" + (f"?page={page}" if page > 1 else "")
        for i in range(self.pages):
            yield self.page_url(i)

    def sitemap_urls(self) -> Iterator[str]:
        """What the sitemap lists: the canonical pages without listing pagination."""
        return (url for url in self.canonical_urls() if "?" not in url)

    def kind_of(self, url: str) -> str | None:
        canonical = self.canonical_of(url)
        if canonical is None:
            return None
        parsed = self._parse(canonical.split("?")[0])
        assert parsed is not None
        if parsed[0] == "news" and canonical.startswith("/news/archive/"):
            return "news-archive"
        return parsed[0]

    # ----- fault rules (all deterministic from kind and index) ----------------------------------------

    def is_windows_1252(self, kind: str, key: int | str) -> bool:
        if not self.faults:
            return False
        if kind == "news" and isinstance(key, int):
            return self.news_date(key) < ARCHIVE_BEFORE  # the old CMS's archive was never converted
        return (kind == "advice" and isinstance(key, int) and key % 4 == 1) or (kind == "static" and key == "about-us")

    def is_slow(self, url: str) -> bool:
        if not self.faults:
            return False
        path = urlsplit(url).path.lower()
        if path.startswith("/search/"):
            return True
        parsed = self._parse(path.removesuffix("/") if path.endswith(".aspx/") else path)
        return parsed is not None and parsed[0] == "stations" and int(parsed[1]) % 3 == 1

    def fails_first(self, url: str) -> bool:
        """True when the first request to this URL (path and query as sent) answers 500; retries succeed."""
        if not self.fault_rate or url in ("/", "/robots.txt") or url.startswith("/sitemap"):
            return False
        return _fraction(self.seed, "500", url) < self.fault_rate

    # ----- rendering -----------------------------------------------------------------------------------

    def render(self, url: str, host: str = DEFAULT_HOST) -> Rendered | None:
        """The page a canonical URL shows, with the facts recorded while rendering it; None if none."""
        canonical = self.canonical_of(url)
        if canonical is None:
            return None
        path, _, query = canonical.partition("?")
        kind, key = self._parse(path)  # type: ignore[misc]
        page = _Page(self, canonical, kind, host)
        if kind == "home":
            page.home()
        elif kind == "static":
            page.static(str(key))
        elif kind == "listing":
            page.listing(str(key), self._page_param(query) or 1)
        elif kind == "documents":
            page.document(int(key))
        else:
            page.item(kind, int(key))
        return page.done()

    def respond(self, target: str, host: str = DEFAULT_HOST, attempt: int = 0) -> Response:
        """The response to GET `target` (path and query as sent), the `attempt`-th time it is asked for,
        with the site's `latency_ms` added to whatever delay the answer already has (a slow page's)."""
        response = self._answer(target, host, attempt)
        if not self.latency_ms:
            return response
        return replace(response, delay_seconds=response.delay_seconds + self.latency_ms / 1000)

    def _answer(self, target: str, host: str, attempt: int) -> Response:
        parts = urlsplit(target)
        path = parts.path
        delay = self.slow_ms / 1000 if self.is_slow(target) else 0.0
        if attempt == 0 and self.fails_first(target):
            return _html_response(500, _error_page("Server Error in '/' Application.", "Runtime Error"), delay)
        lower = path.lower()
        if lower == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", self.robots_txt(host).encode())
        if lower == "/sitemap.xml" or lower.startswith("/sitemaps/"):
            body = self.sitemap(lower, host)
            if body is None:
                return _html_response(404, _error_page("404 NOT FOUND", "The resource cannot be found."))
            return Response(200, "application/xml; charset=utf-8", body.encode())
        if redirect := self._redirect(lower, parts.query):
            return Response(301, "text/html; charset=utf-8", b"", (("Location", redirect),))
        if match := re.fullmatch(r"/images/[a-z]+-(\d+)\.(png|gif)", lower):
            if match[2] == "gif":
                return Response(200, "image/gif", words.GIF)
            number = int(match[1])
            return Response(200, "image/png", words.png(number * 37 % 256, number * 91 % 256, number * 53 % 256))
        if lower.startswith("/_layouts/"):
            return self._layouts(lower)
        if lower.startswith("/search/"):
            return self._search(dict(parse_qsl(parts.query)).get("q", ""), delay)
        if self.faults and (match := re.fullmatch(r"/calendar/(\d{4})/(\d{2})\.aspx", lower)):
            year, month = int(match[1]), int(match[2])
            if 1 <= year <= 9999 and 1 <= month <= 12:
                return _html_response(200, _Page(self, lower, "calendar", host).calendar(year, month).html)
        rendered = self.render(target, host)
        if rendered is None:
            return _html_response(404, _error_page("404 NOT FOUND", "The resource cannot be found."), delay)
        if rendered.kind == "documents":
            _, k = self._parse(urlsplit(rendered.url).path)  # type: ignore[misc]
            kind = documents.kind_of(int(k))
            headers = (("Last-Modified", kind.last_modified),) if kind.last_modified else ()
            body = documents.body(int(k), rendered.title)
            return Response(200, kind.media_type, body, headers, delay_seconds=delay)
        return _html_response(200, rendered.html, delay, rendered.encoding)

    def _redirect(self, path: str, query: str) -> str | None:
        if not self.faults:
            return None
        if path == "/pages/default.aspx":
            return "/"
        if path == "/pages/contactus.aspx":
            return "/contact.aspx"
        if path == "/contact.aspx":
            return "/contact-us.aspx"
        if path == LOOP[0].lower():
            return LOOP[1]
        if path == LOOP[1]:
            return LOOP[0]
        ident = dict(parse_qsl(query)).get("id", "")
        if path in ("/newsitem.aspx", "/news/item.aspx") and ident.isdigit() and int(ident) < self.counts["news"]:
            return f"/news/item.aspx?id={ident}" if path == "/newsitem.aspx" else self.item_url("news", int(ident))
        return None

    def _layouts(self, path: str) -> Response:
        if path.endswith(".css"):
            return Response(200, "text/css", b"body{font-family:Verdana,Arial,sans-serif}#content{margin:1em}")
        body = _error_page("Sign in to Demoshire Police", "SharePoint: enter your user name and password.")
        return _html_response(200, body)

    def _search(self, query: str, delay: float) -> Response:
        rng = random.Random(f"{self.seed}:search:{query}")
        hits = [self.page_url(rng.randrange(self.pages)) for _ in range(10)]
        items = "".join(f'<li><a href="{h}">{h}</a></li>' for h in hits)
        body = f"<html><head><title>Search</title></head><body><h1>Results for {html.escape(query)}</h1><ul>{items}</ul></body></html>"
        return _html_response(200, body, delay)

    def robots_txt(self, host: str = DEFAULT_HOST) -> str:
        rules = "".join(f"Disallow: {prefix}\n" for prefix in ROBOTS_DISALLOW)
        return f"# Demoshire Police\nUser-agent: *\n{rules}\nUser-agent: BadBot\nDisallow: /\n\nSitemap: http://{host}/sitemap.xml\n"

    def sitemap(self, path: str, host: str = DEFAULT_HOST) -> str | None:
        """/sitemap.xml is a sitemap index; /sitemaps/pages-N.xml list SITEMAP_CHUNK canonical URLs each."""
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        total = 1 + len(words.SECTIONS) + self.pages
        chunks = -(-total // SITEMAP_CHUNK)
        if path == "/sitemap.xml":
            entries = "".join(
                f"<sitemap><loc>http://{host}/sitemaps/pages-{n}.xml</loc></sitemap>" for n in range(1, chunks + 1)
            )
            return f'{head}<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
        match = re.fullmatch(r"/sitemaps/pages-(\d+)\.xml", path)
        if not match or not 1 <= int(match[1]) <= chunks:
            return None
        start = (int(match[1]) - 1) * SITEMAP_CHUNK
        urls = self._sitemap_slice(start, start + SITEMAP_CHUNK)
        entries = "".join(f"<url><loc>http://{host}{html.escape(u)}</loc></url>" for u in urls)
        return f'{head}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n'

    def _sitemap_slice(self, start: int, stop: int) -> list[str]:
        fixed = ["/", *(f"/{s}.aspx" for s in words.SECTIONS)]
        out = fixed[start:stop]
        first = max(0, start - len(fixed))
        out += [self.page_url(i) for i in range(first, min(self.pages, stop - len(fixed)))]
        return out

    # ----- ground truth (never served) ----------------------------------------------------------------

    def _all_rendered(self, host: str) -> Iterator[Rendered]:
        for url in self.canonical_urls():
            rendered = self.render(url, host)
            if rendered is not None and rendered.kind != "documents":
                yield rendered

    def links(self, url: str, host: str = DEFAULT_HOST) -> list[str]:
        rendered = self.render(url, host)
        return rendered.links if rendered else []

    def broken_links(self, host: str = DEFAULT_HOST) -> dict[str, list[str]]:
        """Page -> the links on it that answer 404."""
        return {r.url: r.broken for r in self._all_rendered(host) if r.broken}

    def duplicates(self, host: str = DEFAULT_HOST) -> dict[str, set[str]]:
        """Canonical URL -> the other URLs (case, trailing slash, tracking parameters, host) linked for it."""
        found: dict[str, set[str]] = {}
        for rendered in self._all_rendered(host):
            for variant in rendered.variants:
                canonical = self.canonical_of(variant)
                assert canonical is not None, variant
                found.setdefault(canonical, set()).add(variant)
        return found

    def redirect_chain(self, url: str) -> list[str]:
        """The URLs a redirect goes through from `url` to the page that answers (or until it loops)."""
        chain = [url]
        while True:
            parts = urlsplit(chain[-1])
            target = self._redirect(parts.path.lower(), parts.query)
            if target is None or target in chain:
                return chain + ([target] if target else [])
            chain.append(target)

    def redirect_chains(self, host: str = DEFAULT_HOST) -> list[list[str]]:
        """Every redirect chain linked from the site (two or more hops), without the loop."""
        starts = dict.fromkeys(s for r in self._all_rendered(host) for s in r.chain_starts)
        return [self.redirect_chain(start) for start in starts]

    def redirect_loop(self) -> list[str]:
        """The loop linked from the home page: [a, b, a]; empty without faults."""
        return self.redirect_chain(LOOP[0]) if self.faults else []

    def windows_1252_pages(self, host: str = DEFAULT_HOST) -> list[str]:
        return [r.url for r in self._all_rendered(host) if r.encoding == "windows-1252"]

    def enormous_page(self) -> str | None:
        return "/disclosure-log.aspx" if self.faults else None

    def slow_pages(self) -> list[str]:
        """Canonical pages answered slowly (search results, under /search/, are slow too)."""
        return [url for url in self.canonical_urls() if self.is_slow(url)]

    def failing_urls(self) -> list[str]:
        """Canonical URLs whose first request answers 500 (any other URL can too: see fails_first)."""
        return [url for url in self.canonical_urls() if self.fails_first(url)]

    @staticmethod
    def robots_disallowed(url: str) -> bool:
        return urlsplit(url).path.startswith(ROBOTS_DISALLOW)

    def calendar_start(self) -> str | None:
        return f"/calendar/{TODAY.year}/{TODAY.month:02d}.aspx" if self.faults else None

    def images_without_alt(self, host: str = DEFAULT_HOST) -> dict[str, list[str]]:
        return {r.url: r.images_without_alt for r in self._all_rendered(host) if r.images_without_alt}

    def active_content(self, host: str = DEFAULT_HOST) -> dict[str, set[str]]:
        """Page -> what active content its #content holds: "script", "event-handler", "javascript-link".

        (Every page's chrome also has an inline analytics script in its head, outside #content.)
        """
        return {r.url: r.active for r in self._all_rendered(host) if r.active}

    def named_people(self, host: str = DEFAULT_HOST) -> dict[str, list[str]]:
        """Appeal page -> the (fictional) people it names: the legacy content's personal data."""
        return {r.url: r.people for r in self._all_rendered(host) if r.people}


class _Page:
    """Builds one page's HTML, recording every link and fault it emits."""

    def __init__(self, site: LegacySite, url: str, kind: str, host: str):
        self.site, self.host, self.parts = site, host, []
        self.out = Rendered(url=url, kind=kind, title="")
        self.crumbs: list[tuple[str, str]] = []
        self.date: date | None = None

    # helpers
    def link(self, href: str, text: str, *, extra: str = "") -> str:
        self.out.links.append(href)
        return f'<a href="{html.escape(href)}"{extra}>{html.escape(text)}</a>'

    def variant(self, href: str, text: str) -> str:
        self.out.variants.append(href)
        return self.link(href, text)

    def p(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def img(self, src: str, alt: str | None) -> None:
        self.out.links.append(src)
        if alt is None:
            self.out.images_without_alt.append(src)
            self.parts.append(f'<img src="{src}" width="300" height="200">')
        else:
            self.parts.append(f'<img src="{src}" alt="{html.escape(alt)}" width="300" height="200">')

    def related(self, kind: str, k: int, how: int) -> None:
        """Links to other items, some through the site's faults, chosen by `how`."""
        site = self.site
        faults = site.faults
        items = []
        for offset, other_kind in ((1, kind), (3, "news"), (5, "advice"), (2, "documents")):
            j = (k * 7 + offset) % site.counts[other_kind]
            url = site.item_url(other_kind, j)
            title = site.title(other_kind, j)
            if faults and other_kind == "news" and how % 5 == 0:
                start = f"/newsitem.aspx?id={j}"
                self.out.chain_starts.append(start)
                items.append(self.link(start, title))
            elif faults and other_kind == "news" and how % 4 == 1:
                items.append(self.variant(_variant_case(url), title))
            elif faults and other_kind == "news" and how % 6 == 2:
                items.append(self.variant(url + "?utm_source=newsletter&utm_medium=email", title))
            elif faults and other_kind == "advice" and how % 5 == 2:
                items.append(self.variant(url + "/", title))
            elif faults and other_kind == kind and how % 8 == 3:
                items.append(self.variant(f"http://{_other_host(self.host)}{url}", title))
            elif faults and other_kind == kind and how % 9 == 5:
                items.append(self.variant(f"http://{self.host}{_variant_case(url)}", title))
            else:
                items.append(self.link(url, title))
        if faults and how % 7 == 3:
            dead = f"/news/withdrawn-statement-{k}.aspx" if how % 2 else f"/documents/leaflet-{k}-old.pdf"
            self.out.broken.append(dead)
            items.append(self.link(dead, "Read the full statement"))
        self.parts.append('<div class="related"><h2>Related</h2><ul>' + "".join(f"<li>{i}</li>" for i in items))
        self.parts.append("</ul></div>")

    def active(self, how: int, flavour: int) -> None:
        """Inline script, an onclick handler or a javascript: link inside #content, on some pages."""
        if not self.site.faults:
            return
        if how % 9 == 4:
            self.out.active.add("script")
            self.parts.append(
                "<script>document.write('<p>Updated ' + new Date().toLocaleDateString() + '</p>');</script>"
            )
        if how % flavour == 3:
            self.out.active.add("event-handler")
            self.parts.append(
                "<p><button onclick=\"alert('Thank you for your feedback')\" onmouseover=\"this.style.color='red'\">"
                "Was this page useful?</button></p>"
            )
        if how % 10 == 7:
            self.out.active.add("javascript-link")
            self.parts.append("<p>" + self.link("javascript:window.print()", "Print this page") + "</p>")

    # page kinds
    def home(self) -> None:
        site = self.site
        self.out.title = "Demoshire Police: home"
        self.p("Welcome to the Demoshire Police website. In an emergency always call 999.")
        self.p(words.FLOURISH)
        self.parts.append("<h2>Latest news</h2><ul>")
        for k in range(min(5, site.counts["news"])):
            self.parts.append("<li>" + self.link(site.item_url("news", k), site.title("news", k)) + "</li>")
        self.parts.append("</ul><h2>Find out more</h2><ul>")
        for section, label in words.SECTIONS.items():
            self.parts.append("<li>" + self.link(f"/{section}.aspx", label) + "</li>")
        self.parts.append("<li>" + self.link("/search/results.aspx?q=burglary", "Popular: burglary") + "</li>")
        if site.faults:
            self.parts.append("<li>" + self.link(site.calendar_start() or "", "What’s on: events calendar") + "</li>")
            self.parts.append("<li>" + self.link(LOOP[0], "News archive") + "</li>")
        self.parts.append("</ul>")
        self.img("/images/banner-1.png", "Officers on patrol in Kingsbridge")

    def static(self, name: str) -> None:
        site = self.site
        self.out.title = words.STATIC_PAGES[name]
        self.crumbs = [(self.out.url, self.out.title)]
        self.out.encoding = "windows-1252" if site.is_windows_1252("static", name) else "utf-8"
        if name == "privacy-notice":
            self.p(
                "Demoshire Police is the controller of the personal data you give us. We use it to prevent and "
                "detect crime, under Part 3 of the Data Protection Act 2018, and for other tasks under UK GDPR."
            )
            self.p("Contact our Data Protection Officer at dpo@demoshire.police.example.")
        elif name == "disclosure-log":
            rows = ENORMOUS_ROWS if site.faults else 50
            self.p("Every freedom of information request answered since 2005.")
            rng = random.Random(f"{site.seed}:foi")
            table = ["<table><tr><th>Reference</th><th>Date</th><th>Subject</th><th>Outcome</th></tr>"]
            for row in range(rows):
                crime = words.CRIMES[rng.randrange(len(words.CRIMES))]
                table.append(
                    f"<tr><td>FOI-{row:06d}</td><td>{2005 + row % 21}-{row % 12 + 1:02d}-{row % 28 + 1:02d}</td>"
                    f"<td>Number of {crime} offences recorded in {words.TOWNS[row % len(words.TOWNS)]}</td>"
                    f"<td>{'Disclosed' if row % 3 else 'Partially disclosed'}</td></tr>"
                )
            self.parts.append("".join(table) + "</table>")
        elif name == "contact-us":
            self.p("Call 101 for non-emergencies, or 999 in an emergency.")
            self.parts.append("<p>" + self.link("/stations.aspx", "Find a police station") + "</p>")
            if site.faults:
                self.out.active.add("javascript-link")
                self.parts.append("<p>" + self.link("javascript:openChat()", "Live chat") + "</p>")
        elif name == "freedom-of-information":
            self.p("Ask us for information under the Freedom of Information Act 2000.")
            self.parts.append("<p>" + self.link("/disclosure-log.aspx", "Read the disclosure log") + "</p>")
        else:
            self.p(f"{self.out.title} at Demoshire Police.")
        self.p(words.FLOURISH)

    def listing(self, section: str, page: int) -> None:
        site = self.site
        self.out.title = words.SECTIONS[section] + (f" (page {page})" if page > 1 else "")
        self.crumbs = [(f"/{section}.aspx", words.SECTIONS[section])]
        start = (page - 1) * PER_PAGE
        self.parts.append('<ul class="listing">')
        for k in range(start, min(start + PER_PAGE, site.counts[section])):
            item = self.link(site.item_url(section, k), site.title(section, k))
            when = f' <span class="news-date">{site.news_date(k):%d/%m/%Y}</span>' if section == "news" else ""
            self.parts.append(f"<li>{item}{when}</li>")
        self.parts.append('</ul><div class="pager">')
        last = site.listing_pages(section)
        if page == 2 and site.faults:  # the old pager's "?page=1" duplicates the section's first page
            self.parts.append(self.variant(f"/{section}.aspx?page=1", "« Previous"))
        elif page > 1:
            back = f"/{section}.aspx" + (f"?page={page - 1}" if page > 2 else "")
            self.parts.append(self.link(back, "« Previous"))
        if page < last:
            self.parts.append(self.link(f"/{section}.aspx?page={page + 1}", "Next »"))
        self.parts.append(f"<span>Page {page} of {last}</span></div>")

    def document(self, k: int) -> None:
        self.out.title = self.site.title("documents", k)

    def item(self, kind: str, k: int) -> None:
        site = self.site
        rng = site._rng(kind, k)
        how = int(_fraction(site.seed, kind, k, "how") * 1_000_000)
        self.out.title = site.title(kind, k)
        self.crumbs = [(f"/{kind}.aspx", words.SECTIONS[kind]), (self.out.url, self.out.title)]
        self.out.encoding = "windows-1252" if site.is_windows_1252(kind, k) else "utf-8"
        town = rng.choice(words.TOWNS)
        if kind == "news":
            self.date = site.news_date(k)
            self.p(f"Officers in {town} are {rng.choice(['investigating', 'responding to', 'following up'])} reports.")
            self.p(words.FLOURISH)
            self.img(f"/images/news-{k}.gif", None if site.faults and how % 4 == 1 else f"Scene in {town}")
        elif kind == "appeals":
            self.date = TODAY - timedelta(days=k % 700)
            people = [f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.SURNAMES)}" for _ in range(2)]
            self.out.people = people
            self.p(
                f"Officers would like to speak to {people[0]}, {rng.randrange(18, 70)}, of {town}, who may have "
                f"information. {people[1]} was last seen near {rng.choice(words.TOWNS)} station."
            )
            self.p("If you can help, call 101 quoting the reference below, or contact Crimestoppers anonymously.")
            self.p(f"Reference: 44{k:08d}")
            self.img(f"/images/appeal-{k}.png", None if site.faults and k % 3 == 0 else f"Photograph of {people[0]}")
        elif kind == "advice":
            self.p(f"How to protect yourself from {self.out.title.lower()}. {words.FLOURISH}")
            self.parts.append("<ul><li>Lock doors and windows</li><li>Never give out bank details</li></ul>")
        elif kind == "stations":
            street = rng.choice(["High Street", "Market Place", "Station Road", "Church Lane"])
            postcode = f"DM{rng.randrange(1, 30)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
            self.parts.append(
                f'<div class="address"><p>{rng.randrange(1, 120)} {street}<br>{words.TOWNS[k % len(words.TOWNS)]}'
                f"<br>{postcode}</p></div><p>Front counter open Monday to Friday, 8am–6pm.</p>"
            )
        elif kind == "neighbourhoods":
            sergeant = f"PS {rng.choice(words.SURNAMES)}"
            self.p(f"Your neighbourhood team for {self.out.title} is led by {sergeant}.")
            self.p(f"Priorities: {rng.choice(words.CRIMES)} and {rng.choice(words.CRIMES)}.")
            self.parts.append(
                "<p>"
                + self.link(site.item_url("stations", k % site.counts["stations"]), "Your nearest station")
                + "</p>"
            )
        if kind != "neighbourhoods" or how % 3 == 0:
            self.parts.append(
                "<p>"
                + self.link(
                    site.item_url("documents", k % site.counts["documents"]),
                    f"Download the leaflet ({documents.kind_of(k % site.counts['documents']).format.upper()})",
                )
                + "</p>"
            )
        self.related(kind, k, how)
        self.active(how, 6 if kind == "advice" else 11)

    def calendar(self, year: int, month: int) -> Rendered:
        prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
        next_year, next_month = (year, month + 1) if month < 12 else (year + 1, 1)
        self.out.title = f"Events calendar: {date(year, month, 1):%B} {year}"
        self.crumbs = [(self.out.url, self.out.title)]
        self.p("Community meetings, surgeries and open days.")
        if prev_year >= 1:
            self.parts.append(self.link(f"/calendar/{prev_year:04d}/{prev_month:02d}.aspx", "« Previous month"))
        if next_year <= 9999:
            self.parts.append(self.link(f"/calendar/{next_year:04d}/{next_month:02d}.aspx", "Next month »"))
        return self.done()

    def done(self) -> Rendered:
        out, site = self.out, self.site
        title = html.escape(out.title)
        nav = "".join(f"<li>{self.link(f'/{s}.aspx', label)}</li>" for s, label in list(words.SECTIONS.items())[:5])
        home = self.link("/Pages/Default.aspx" if site.faults else "/", "Home")
        crumbs = " &gt; ".join([home, *(self.link(href, text) for href, text in self.crumbs)])
        out.links += ["/", "/images/logo-1.png"]
        logo = '<a href="/"><img src="/images/logo-1.png" alt="Demoshire Police" /></a>'
        signin = self.link(f"/_layouts/15/Authenticate.aspx?Source={out.url}", "Sign in")
        contact = self.link("/Pages/ContactUs.aspx" if site.faults else "/contact-us.aspx", "Contact us")
        if site.faults:
            out.chain_starts.append("/Pages/ContactUs.aspx")
        footer = " | ".join(
            [
                contact,
                *(
                    self.link(f"/{n}.aspx", words.STATIC_PAGES[n])
                    for n in words.STATIC_PAGES
                    if n not in ("contact-us", "disclosure-log")
                ),
            ]
        )
        published = f'<p class="news-date">{self.date:%d %B %Y}</p>' if self.date else ""
        share = (
            '<div class="share-links">'
            + self.link(f"https://twitter.com/intent/tweet?url=http://{self.host}{out.url}", "Share on Twitter")
            + " "
            + self.link(f"https://www.facebook.com/sharer.php?u=http://{self.host}{out.url}", "Share on Facebook")
            + "</div>"
        )
        charset = out.encoding
        out.html = (
            f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            f'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml" lang="en">\n<head>\n'
            f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />\n'
            f"<title>{title} - Demoshire Police</title>\n"
            f'<link rel="stylesheet" href="/_layouts/15/styles/core.css" />\n'
            "<script>var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-000000-1']); _gaq.push(['_trackPageview']);</script>\n"
            "</head>\n<body>\n"
            f'<div id="header">{logo} {signin}\n'
            '<form action="/search/results.aspx" method="get"><input name="q" /><input type="submit" value="Search" /></form>\n'
            f'<ul id="nav">{nav}</ul></div>\n'
            f'<div class="breadcrumb">{crumbs}</div>\n'
            f'<div id="content">\n<h1>{title}</h1>\n{published}{"".join(self.parts)}\n{share}\n</div>\n'
            f'<div id="footer">{footer}<p>© Demoshire Police 2009–2026</p></div>\n'
            "</body>\n</html>\n"
        )
        return out


def _other_host(host: str) -> str:
    """The same server under another name: 127.0.0.1:P <-> localhost:P on the local address; a public name
    served through the spec's connect_to (www.demoshire-police.example) <-> its apex, and back, as forces'
    sites answer with and without www."""
    name, _, port = host.lower().partition(":")
    if name == "localhost" or re.fullmatch(r"[0-9.]+|\[.*", name):
        other = "localhost" if name != "localhost" else "127.0.0.1"
    elif name.startswith("www."):
        other = name.removeprefix("www.")
    else:
        other = f"www.{name}"
    return f"{other}:{port}" if port else other


def _error_page(title: str, message: str) -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{message}</p></body></html>"


def _html_response(status: int, body: str, delay: float = 0.0, encoding: str = "utf-8") -> Response:
    return Response(status, f"text/html; charset={encoding}", body.encode(encoding), delay_seconds=delay)
