"""Crawl a force's legacy website into the run's artifact folder, resumably.

Seeds are the base URL and the sitemaps; links are followed within the spec's scope (its domains and
include/exclude patterns) and robots.txt. Each URL is canonicalised first, so the same page under
another case, slash or tracking parameter is fetched once; a page whose bytes equal an earlier one's is
recorded as its duplicate. Requests go through one polite Fetcher (rate limit, retries, size limit,
address checks after DNS and at every redirect).

The checkpoint is the crawl's own record, the journal: one JSON line per URL done, with the links it
found. A re-run reads it back, and the frontier is what the done pages link to that is not done yet:
killed half-way, a crawl continues where it stopped, and a finished one finishes at once. Bodies are
stored once per content hash (gzip), for the extraction that follows.

Where the journal lives depends on the store (see `Journal`): in a local folder it is `pages.jsonl`,
appended and flushed every fraction of a second (a kill loses at most that much work, fetched again on
the re-run); object storage cannot append, so there the lines go to whole segment files
(`journal/segment-NNNNNN.jsonl`), one written every few seconds. `read_pages` reads either.

The crawl threads each take the next URL from the frontier, fetch it and record it themselves, under
one lock: no hand-over to a coordinating thread, whose wake-ups cost more than the recording.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from ..artifacts import is_local, within
from ..urls import ConnectTo, NotAWebURL, Scope, parse_connect_to
from .fetch import USER_AGENT, Fetched, Fetcher
from .traps import Traps, sketch

HTML_TYPES = ("text/html", "application/xhtml+xml")
ASSET_SUFFIXES = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".odt",
    ".csv",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".svg",
    ".webp",
)
MAX_SITEMAPS = 200
_UNSEEN = object()  # not in a cache yet (None is a cached answer: out of scope)
CANONICAL_CACHE = 50_000  # links remembered; emptied when full, so memory stays bounded
JOURNAL = "pages.jsonl"
SEGMENTS = "journal"  # the journal's segment files, on a store that cannot append
FLUSH_SECONDS = 0.2  # a local journal is flushed at least this often
SEGMENT_SECONDS = 5.0  # and a segment written at least this often on object storage
SEGMENT_LINES = 2000


class Journal:
    """The crawl's checkpoint: lines appended as URLs finish, durable within a fraction of a second.

    A local folder gets one file, appended (flushed every FLUSH_SECONDS). Object storage (S3, GCS, ...)
    cannot append to an object, and rewriting a growing one would cost O(n^2): there the lines are held
    back and written as a new whole segment every SEGMENT_SECONDS or SEGMENT_LINES, so a kill loses at
    most one segment's work, which the re-run fetches again.
    """

    def __init__(self, folder: Any) -> None:
        self.folder = folder
        self.local = is_local(folder)
        self._pending: list[str] = []
        self._last = time.monotonic()
        if self.local:
            path = folder / JOURNAL
            if path.exists():
                with path.open("rb") as journal:
                    journal.seek(0, 2)
                    cut_short = journal.tell() > 0 and (journal.seek(-1, 2) or journal.read(1)) != b"\n"
                if cut_short:
                    with path.open("a", encoding="utf-8") as journal:
                        journal.write("\n")  # end the line cut short when the crawl was killed
            self._file = path.open("a", encoding="utf-8")
        else:
            segments = folder / SEGMENTS
            segments.mkdir(parents=True, exist_ok=True)
            numbers = [int(p.name[8:14]) for p in segments.iterdir() if p.name.startswith("segment-")]
            self._next = max(numbers, default=0) + 1

    def write(self, line: str) -> None:
        now = time.monotonic()
        if self.local:
            self._file.write(line)
            if now - self._last >= FLUSH_SECONDS:
                self._file.flush()
                self._last = now
            return
        self._pending.append(line)
        if len(self._pending) >= SEGMENT_LINES or now - self._last >= SEGMENT_SECONDS:
            self._write_segment()

    def _write_segment(self) -> None:
        self._last = time.monotonic()
        if not self._pending:
            return
        name = f"segment-{self._next:06d}.jsonl"
        (self.folder / SEGMENTS / name).write_text("".join(self._pending), encoding="utf-8")
        self._pending.clear()
        self._next += 1

    def close(self) -> None:
        if self.local:
            self._file.close()
        else:
            self._write_segment()


@dataclass(frozen=True)
class CrawlSettings:
    """The limits of one crawl, from the spec's legacy_site.crawl (overridable for a trial run)."""

    max_pages: int = 20000
    requests_per_second: float = 2.0
    concurrency: int = 4
    timeout: float = 30.0  # seconds for the whole of one answer (fetch.Deadline)
    max_page_bytes: int = 5 * 1024 * 1024
    allow_private_addresses: bool = False
    time_limit: float | None = None  # seconds for the whole crawl; None: no limit
    connect_to: ConnectTo = field(default_factory=dict, hash=False, compare=False)  # host[:port] -> (address, port)

    @classmethod
    def from_spec(
        cls, spec_data: dict[str, Any], max_pages: int | None = None, time_limit: float | None = None
    ) -> CrawlSettings:
        crawl = spec_data["legacy_site"].get("crawl", {})
        return cls(
            max_pages=max_pages or crawl.get("max_pages", cls.max_pages),
            requests_per_second=crawl.get("requests_per_second", cls.requests_per_second),
            concurrency=crawl.get("concurrency", cls.concurrency),
            timeout=crawl.get("timeout_seconds", cls.timeout),
            max_page_bytes=crawl.get("max_page_bytes", cls.max_page_bytes),
            allow_private_addresses=crawl.get("allow_private_addresses", False),
            time_limit=time_limit,
            connect_to=parse_connect_to(crawl.get("connect_to")),
        )


@dataclass
class PageRecord:
    """One URL done: a line of pages.jsonl."""

    url: str  # canonical
    kind: str  # "page", "asset", or "other"
    status: int
    final_url: str
    content_type: str = ""
    encoding: str | None = None
    sha256: str = ""
    duplicate_of: str = ""  # canonical URL of the first page with the same bytes
    redirects: list[list[Any]] = field(default_factory=list)
    error: str = ""
    truncated: bool = False
    attempts: int = 0
    links: list[str] = field(default_factory=list)  # canonical, in scope
    assets: list[str] = field(default_factory=list)  # canonical documents and images
    found_on: str = ""
    seconds: float = 0.0
    sketch: list[int] = field(default_factory=list)  # of the page's text (traps.sketch), to bound traps
    last_modified: str = ""  # a document's Last-Modified header (its publication date for the accessibility checks)


@dataclass
class CrawlSummary:
    """What the crawl did, for its progress lines and the migration report."""

    pages: int = 0  # HTML pages fetched
    assets: int = 0  # documents and images fetched
    errors: int = 0  # URLs that could not be fetched (refused ones included)
    duplicates: int = 0  # pages with the same bytes as one fetched before
    refused: int = 0  # not fetched by rule: robots.txt, an address not allowed, too large ...
    robots_disallowed: int = 0  # ... of which robots.txt
    resumed_from: int = 0  # URLs done before this run, read from the checkpoint
    stopped_by: str = ""  # "", "max_pages" or "time_limit"
    seconds: float = 0.0
    traps: list[dict[str, Any]] = field(default_factory=list)  # URL shapes stopped as traps (traps.Traps.found)
    finished_at: str = ""
    """When the crawl last saw the legacy site, UTC, YYYYMMDDhhmmss: the capture time archive links are
    pinned at (mapping.ARCHIVE_URL's {timestamp}), which is before the switch."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_asset(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(ASSET_SUFFIXES)


class Crawl:
    """One crawl of one legacy site into `folder` (a pathlib-like folder of the artifact store)."""

    def __init__(
        self,
        spec_data: dict[str, Any],
        folder: Any,
        settings: CrawlSettings,
        *,
        priority: dict[str, int] | None = None,
        progress: Callable[[str], None] = print,
        progress_every: float = 5.0,
    ) -> None:
        self.scope = Scope.from_spec(spec_data)
        self.folder = folder
        self.settings = settings
        # canonical in-scope URL -> hits (traffic data): busier pages first, and each one a seed of the crawl
        self.priority = priority or {}
        self.progress = progress
        self.progress_every = progress_every
        self.sitemaps = list(spec_data["legacy_site"].get("sitemap_urls", []))
        self.fetcher = Fetcher(
            allowed=self._refusal,
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout,
            max_bytes=settings.max_page_bytes,
            allow_private=settings.allow_private_addresses,
            concurrency=settings.concurrency,
            connect_to=settings.connect_to,
        )
        self.robots: dict[str, Protego | None] = {}
        # Only URLs and hashes stay in memory, never the records: memory must not grow with page content.
        self.done: set[str] = set()
        self.hashes: dict[str, str] = {}
        self._canonical_cache: dict[str, str | None] = {}
        self._root_relative: dict[tuple[str, str], str | None] = {}  # (origin, "/path") -> as _canonical_cache
        self._saved: set[str] = set()  # bodies known to be stored (this run), and their folders
        self._lock = threading.Condition()  # the frontier, the done set, the tally and the journal
        self._in_flight = 0
        self._failure: BaseException | None = None
        self.queued: set[str] = set()
        self.frontier: list[tuple[int, int, str, str]] = []  # (-hits, order, url, found_on)
        self.order = 0
        self.summary = CrawlSummary()
        self.traps = Traps()

    # --- scope ---------------------------------------------------------------------------------

    def _refusal(self, url: str) -> str | None:
        decision = self.scope.in_scope(url)
        return None if decision else decision.reason

    def _robots(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            fetched = self.fetcher.get(f"{origin}/robots.txt")
            text = fetched.body.decode("utf-8", "replace") if fetched.ok else ""
            self.robots[origin] = Protego.parse(text) if text else None
            delay = self.robots[origin].crawl_delay(USER_AGENT) if self.robots[origin] else None
            if delay:
                self.fetcher.limiter.interval = max(self.fetcher.limiter.interval, float(delay))
        return self.robots[origin]

    def _robots_allow(self, url: str) -> bool:
        robots = self._robots(url)
        return robots is None or robots.can_fetch(url, USER_AGENT)

    # --- frontier --------------------------------------------------------------------------------

    def _canonical(self, href: str, base: str, origin: str | None = None) -> str | None:
        """The canonical in-scope URL of a link, or None. Cached: most links (navigation, footer) repeat
        on every page, and canonicalising is the costliest step per link.

        `origin` is the base's scheme://host: a root-relative link ("/news.aspx", most of a CMS's links)
        resolves against it alone (RFC 3986 5.2.2), so it is looked up before resolving it with urljoin,
        which cost more than the rest of a cache hit.
        """
        href = href.strip()
        fast = origin is not None and href.startswith("/") and not href.startswith("//")
        if fast and (known := self._root_relative.get((origin, href), _UNSEEN)) is not _UNSEEN:
            return known  # type: ignore[return-value]
        absolute = urljoin(base, href)
        found = self._canonical_cache.get(absolute, _UNSEEN)
        if found is _UNSEEN:
            try:
                found = self.scope.canonicalise(absolute)
                credentials = "@" in urlsplit(absolute).netloc  # never followed (in_scope's rule)
                found = found if not credentials and self.scope.canonical_in_scope(found) else None
            except (NotAWebURL, ValueError):
                found = None
            if len(self._canonical_cache) >= CANONICAL_CACHE:
                self._canonical_cache.clear()
            self._canonical_cache[absolute] = found
        if fast:
            if len(self._root_relative) >= CANONICAL_CACHE:
                self._root_relative.clear()
            self._root_relative[origin, href] = found
        return found

    def _enqueue(self, url: str, found_on: str) -> None:
        if url in self.queued or url in self.done:
            return
        self.queued.add(url)
        self.order += 1
        heapq.heappush(self.frontier, (-self.priority.get(url, 0), self.order, url, found_on))

    def _resume(self) -> None:
        for record in read_pages(self.folder):
            self.done.add(record.url)
            self._tally(record)
            if record.sha256 and not record.duplicate_of:
                self.hashes.setdefault(record.sha256, record.url)
            for link in [*record.links, *record.assets]:
                self._enqueue(link, record.url)
        self.summary.resumed_from = len(self.done)

    def _tally(self, record: PageRecord) -> None:
        """Count a URL done (this run's, or one resumed from the journal): in the summary, and its page's
        sketch in its URL shape, so a resumed crawl keeps a trap stopped."""
        if record.sketch and not record.duplicate_of and self.traps.observe(record.url, tuple(record.sketch)):
            self.progress(
                f"trap: URLs like {record.url} keep answering near-identical pages; no more of them are fetched "
                "(confirm with an exclusion in the spec's legacy_site.exclude_patterns)"
            )
        s = self.summary
        if record.duplicate_of:
            s.duplicates += 1
        elif record.kind == "page" and record.status == 200:
            s.pages += 1
        elif record.kind == "asset" and record.status == 200:
            s.assets += 1
        if record.error.startswith("refused"):
            s.refused += 1
            s.robots_disallowed += "robots.txt" in record.error
        elif record.error:
            s.errors += 1

    def _sitemap_urls(self) -> Iterator[str]:
        """Page URLs from the sitemaps (and sitemap indexes), bounded in count and size."""
        pending, seen = list(self.sitemaps), set()
        while pending and len(seen) < MAX_SITEMAPS:
            sitemap = pending.pop(0)
            if sitemap in seen:
                continue
            seen.add(sitemap)
            fetched = self.fetcher.get(sitemap)
            if not fetched.ok:
                self.progress(f"sitemap {sitemap}: {fetched.error or fetched.status}")
                continue
            try:
                root = ET.fromstring(fetched.body)
            except ET.ParseError as exc:
                self.progress(f"sitemap {sitemap} is not valid XML: {exc}")
                continue
            for loc in root.iter():
                if loc.tag.rsplit("}", 1)[-1] != "loc" or not loc.text:
                    continue
                if root.tag.endswith("sitemapindex"):
                    pending.append(urljoin(sitemap, loc.text.strip()))
                else:
                    yield urljoin(sitemap, loc.text.strip())

    # --- one URL ---------------------------------------------------------------------------------

    def _visit(self, url: str, found_on: str) -> PageRecord:
        started = time.monotonic()
        if not self._robots_allow(url):
            return PageRecord(url, "other", 0, url, error="refused: robots.txt disallows it", found_on=found_on)
        fetched: Fetched = self.fetcher.get(url)
        kind = "asset" if _is_asset(url) else ("page" if fetched.content_type in HTML_TYPES else "other")
        record = PageRecord(
            url=url,
            kind=kind,
            status=fetched.status,
            final_url=fetched.final_url,
            content_type=fetched.content_type,
            encoding=fetched.encoding,
            redirects=[list(hop) for hop in fetched.redirects],
            error=fetched.error or ("" if fetched.status == 200 else f"HTTP {fetched.status}"),
            truncated=fetched.truncated,
            attempts=fetched.attempts,
            found_on=found_on,
            last_modified=fetched.last_modified if kind == "asset" else "",
        )
        if fetched.ok:
            record.sha256 = hashlib.sha256(fetched.body).hexdigest()
            self._save_body(record.sha256, fetched.body)
            if kind == "page":
                record.links, record.assets, record.sketch = self._links(fetched)
        record.seconds = round(time.monotonic() - started, 3)
        return record

    def _save_body(self, sha256: str, body: bytes) -> None:
        """Each distinct body once, compressed, written by the worker that fetched it (zlib frees the GIL).

        Two workers may fetch the same bytes at once: both write the same file, whole (write, then rename).
        """
        if sha256 in self._saved:
            return
        folder = self.folder / "bodies" / sha256[:2]
        target = folder / f"{sha256}.gz"
        if target.exists():  # stored by an earlier, interrupted run
            self._saved.add(sha256)
            return
        if sha256[:2] not in self._saved:
            folder.mkdir(parents=True, exist_ok=True)
            self._saved.add(sha256[:2])
        partial = folder / f"{sha256}.{threading.get_ident()}.part"
        partial.write_bytes(gzip.compress(body, compresslevel=1))
        partial.rename(target)
        self._saved.add(sha256)

    def _links(self, fetched: Fetched) -> tuple[list[str], list[str], list[int]]:
        """The page's in-scope links and assets, and the sketch of its text (one parse for both)."""
        tree = LexborHTMLParser(fetched.body.decode(fetched.encoding or "utf-8", "replace"))
        base = fetched.final_url
        base_tag = tree.css_first("base[href]")
        if base_tag is not None:
            base = urljoin(base, base_tag.attributes.get("href") or "")
        parts = urlsplit(base)
        origin = f"{parts.scheme}://{parts.netloc}"
        links, assets = [], []
        for node in tree.css("a[href], area[href], img[src], link[rel=alternate][href]"):
            href = node.attributes.get("href") or node.attributes.get("src") or ""
            if href.lstrip().lower().startswith(("javascript:", "mailto:", "tel:", "data:", "#")):
                continue
            url = self._canonical(href, base, origin)
            if url is None or url == fetched.url:
                continue
            (assets if node.tag == "img" or _is_asset(url) else links).append(url)
        text = tree.body.text(separator=" ") if tree.body is not None else ""
        return sorted(set(links)), sorted(set(assets)), list(sketch(text))

    def _store(self, record: PageRecord) -> None:
        """Remember the page: a checkpoint line, and its links queued (a duplicate's are its original's)."""
        if record.sha256:
            first = self.hashes.setdefault(record.sha256, record.url)
            if first != record.url:
                record.duplicate_of = first
                record.links, record.assets = [], []
        self.done.add(record.url)
        self._tally(record)
        # vars(), not asdict(): the same JSON (plain fields, in order) without asdict's deep copy of every
        # list, which took 57 us a record against 18, under the lock every crawl thread waits for.
        self._journal.write(json.dumps(vars(record), ensure_ascii=False) + "\n")
        for link in [*record.links, *record.assets]:
            self._enqueue(link, record.url)

    # --- the crawl -------------------------------------------------------------------------------

    def run(self) -> CrawlSummary:
        started = time.monotonic()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._resume()
        if self.summary.resumed_from:
            self.progress(f"resuming: {self.summary.resumed_from} URLs already done")
        self._enqueue(self.scope.base_url, "")
        for url in self._sitemap_urls():
            canonical = self._canonical(url, url)
            if canonical:
                self._enqueue(canonical, "sitemap")
        for url in self.priority:  # URLs with traffic are crawled even when no link or sitemap reaches them
            self._enqueue(url, "traffic data")
        self._journal = Journal(self.folder)
        workers = [
            threading.Thread(target=self._work, args=(started,), name=f"crawl-{n}", daemon=True)
            for n in range(self.settings.concurrency)
        ]
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                while worker.is_alive():
                    worker.join(timeout=self.progress_every)
                    if worker.is_alive():
                        with self._lock:
                            self._report(started)
        finally:
            with self._lock:
                self._journal.close()
            self.fetcher.close()
        if self._failure is not None:
            raise self._failure
        self.summary.seconds = round(time.monotonic() - started, 2)
        self.summary.finished_at = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.summary.traps = self.traps.found()
        self._report(started)
        return self.summary

    def _next_url(self, started: float) -> tuple[str, str] | None:
        """The busiest URL not done yet (waiting while others may still find some); None when the crawl ends."""
        with self._lock:
            while self._failure is None:
                if self._stop(started):
                    break
                while self.frontier:
                    _, _, url, found_on = heapq.heappop(self.frontier)
                    if url in self.done:
                        continue
                    if self.traps.holds(url):
                        continue
                    self._in_flight += 1
                    return url, found_on
                if not self._in_flight:
                    break  # nothing queued, and nobody left to find more
                self._lock.wait()
            self._lock.notify_all()
            return None

    def _work(self, started: float) -> None:
        """One crawl thread: take a URL, fetch it, record it, until the frontier is empty or a limit is hit."""
        while (job := self._next_url(started)) is not None:
            try:
                record = self._visit(*job)
            except BaseException as exc:  # a bug, not a site's fault: stop every thread and raise it in run()
                with self._lock:
                    self._failure = self._failure or exc
                    self._in_flight -= 1
                    self._lock.notify_all()
                return
            with self._lock:
                self._store(record)
                self._in_flight -= 1
                self._lock.notify_all()

    def _stop(self, started: float) -> bool:
        if self.summary.pages >= self.settings.max_pages:
            self.summary.stopped_by = "max_pages"
            return True
        if self.settings.time_limit is not None and time.monotonic() - started > self.settings.time_limit:
            self.summary.stopped_by = "time_limit"
            return True
        return False

    def _report(self, started: float) -> None:
        s, elapsed = self.summary, max(time.monotonic() - started, 1e-6)
        self.progress(
            f"crawled {s.pages}/{self.settings.max_pages} pages, {s.assets} documents and images, "
            f"{s.duplicates} duplicates, {s.errors} errors, {s.refused} refused; "
            f"{len(self.frontier)} to go; {s.pages / elapsed:.1f} pages/s"
        )


def _journal_files(folder: Any) -> list[Any]:
    files = [folder / JOURNAL] if (folder / JOURNAL).exists() else []
    if (folder / SEGMENTS).exists():
        files += sorted(
            (p for p in (folder / SEGMENTS).iterdir() if p.name.startswith("segment-")), key=lambda p: p.name
        )
    return files


def read_pages(folder: Any) -> Iterator[PageRecord]:
    """The crawl's records (from the journal file or its segments), for the phases after it."""
    for path in _journal_files(folder):
        with path.open(encoding="utf-8") as journal:
            for line in journal:
                try:
                    yield PageRecord(**json.loads(line))
                except (ValueError, TypeError):
                    continue  # a line cut short when a crawl was killed


def read_body(folder: Any, sha256: str) -> bytes:
    """A stored body by its hash; the hash comes from the plan's files, so it is joined with `within`."""
    return gzip.decompress(within(folder / "bodies", f"{sha256[:2]}/{sha256}.gz").read_bytes())
