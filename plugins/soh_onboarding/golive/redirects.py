"""Every old URL of the redirect map, checked as the public will meet it after go-live.

A `redirect` row must answer exactly one 301 to its new URL, which must answer 200; an `archive` row a
deliberate 410 (whose page offers the map's suggested page, when it names one), or, when it links its
archived copy, one 301 to that copy; an `unresolved` row is a warning (someone still has to decide).
Each row's hops are followed one at a time (at most MAX_HOPS), so chains, loops and wrong targets are
reported by name. All rows are checked, `concurrency` at a time: the ingress is shared by every force.

Off the new site: a national destination (config/destinations.yaml) is asked once per URL, however many
old URLs go there, and must end in a 200 (its own redirects are its owner's business, not a chain of
ours); an archived copy is not asked at all: the archive is another organisation's service, thousands of
old URLs would each be a request to it, and its copy was pinned before the switch (migration/archive.py).
"""

from __future__ import annotations

import csv
import html
import io
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from ..migration.mapping import ARCHIVE, UNRESOLVED
from .model import FAIL, PASS, WARN, Check
from .net import LookupFailed

MAX_HOPS = 10
KEEP_ALIVE_BODY = 256 * 1024
EVIDENCE_ROWS = 50
DEFAULT_PORTS = {"http": 80, "https": 443}
_HREF = re.compile(r"""<a\s[^>]*?href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
DESTINATION, ARCHIVED_COPY = "national destination", "archived copy"
"""Where a row goes when it leaves the new site (Row.off_site)."""


@dataclass
class Row:
    old_url: str
    new_url: str
    type: str
    hops: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    final_status: int = 0
    detail: str = ""
    off_site: str = ""  # DESTINATION or ARCHIVED_COPY when new_url is not on the new site
    suggested: str = ""  # a 410's suggested page, which its "page removed" answer must offer

    @property
    def status(self) -> str:
        if not self.findings:
            return PASS
        return WARN if self.findings == ["old-url-unresolved"] else FAIL


def normalise(url: str) -> str:
    """Scheme and host lower-cased, default port dropped, empty path as '/': how browsers compare."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(parts.scheme.lower())) else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def read_map(text: str) -> list[Row]:
    """redirects.csv of the migration (old_url,new_url,type; archive_url and destination when it has them)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"old_url", "new_url", "type"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"the redirect map lacks the column(s) {', '.join(sorted(missing))}")
    rows = []
    for r in reader:
        kind, new_url = (r["type"] or "").strip(), (r["new_url"] or "").strip()
        archived, destination = (r.get("archive_url") or "").strip(), (r.get("destination") or "").strip()
        if kind == ARCHIVE and archived:
            rows.append(Row(r["old_url"].strip(), archived, kind, off_site=ARCHIVED_COPY))
        else:
            row = Row(r["old_url"].strip(), new_url, kind, off_site=DESTINATION if destination else "")
            row.suggested = (r.get("suggested_url") or "").strip() if kind == ARCHIVE else ""
            rows.append(row)
    return rows


class _Walker:
    def __init__(self, session: requests.Session, timeout: float) -> None:
        self.session = session
        self.timeout = timeout
        self._targets: dict[str, tuple[int, str]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def answer(self, url: str) -> tuple[int, str]:
        """(status, absolute Location or '') of one GET, no redirect followed.

        A small body (redirects, 410s, most pages) is read so the connection goes back to the pool and
        the next URL skips the TCP and TLS handshakes; a large or unsized one is not read, and its
        connection is dropped instead."""
        with self.session.get(url, allow_redirects=False, timeout=self.timeout, stream=True) as response:
            location = response.headers.get("Location")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) <= KEEP_ALIVE_BODY:
                _ = response.content
            return response.status_code, urljoin(url, location) if location else ""

    def target(self, url: str) -> tuple[int, str]:
        """Targets are shared by many old URLs: each is asked once a run, even by rows checked at the same
        time (a lock per target: the others wait for the first answer)."""
        with self._lock:
            lock = self._locks.setdefault(url, threading.Lock())
        with lock:
            if url not in self._targets:
                self._targets[url] = self.answer(url)
            return self._targets[url]

    def check(self, row: Row) -> Row:
        if row.type == UNRESOLVED:
            row.findings.append("old-url-unresolved")
            row.detail = "no decision in the redirect map: redirect or archive it"
            return row
        try:
            self._walk(row)
        except (requests.RequestException, LookupFailed) as exc:
            row.findings.append("old-url-unreachable")
            row.detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        return row

    def _gone(self, row: Row) -> None:
        """A 410 that must offer its suggested page: one GET, its body read for the link."""
        with self.session.get(row.old_url, allow_redirects=False, timeout=self.timeout, stream=True) as response:
            row.final_status = response.status_code
            row.hops.append(f"{response.status_code} {row.old_url}")
            body = response.raw.read(KEEP_ALIVE_BODY, decode_content=True).decode("utf-8", "replace")
        if row.final_status != 410:
            row.findings.append("archived-url-not-410")
            row.detail = f"answers {row.final_status}, not 410 Gone"
            return
        links = {normalise(urljoin(row.old_url, html.unescape(href))) for href in _HREF.findall(body)}
        if normalise(row.suggested) not in links:
            row.findings.append("gone-page-without-suggestion")
            row.detail = f"its 410 page does not offer {row.suggested}"

    def _walk(self, row: Row) -> None:
        if row.type == ARCHIVE and not row.new_url and row.suggested:
            self._gone(row)
            return
        status, location = self.answer(row.old_url)
        row.hops.append(f"{status} {row.old_url}" + (f" -> {location}" if location else ""))
        if row.type == ARCHIVE and not row.new_url:
            row.final_status = status
            if status != 410:
                row.findings.append("archived-url-not-410")
                row.detail = f"answers {status}, not 410 Gone"
            return
        if not (300 <= status < 400 and location):
            row.final_status = status
            row.findings.append("old-url-not-redirected")
            row.detail = f"answers {status}, not a 301 to {row.new_url}"
            return
        if status != 301:
            row.findings.append("redirect-not-301")
            row.detail = f"answers {status}, not 301"
        if normalise(location) != normalise(row.new_url):
            row.findings.append("redirect-wrong-target")
            row.detail = f"redirects to {location}, not {row.new_url}"
        if row.off_site == ARCHIVED_COPY:
            row.final_status = status
            return  # the archive is not asked (the module's docstring)
        seen = {normalise(row.old_url)}
        current = location
        for _ in range(MAX_HOPS):
            if normalise(current) in seen:
                row.findings.append("redirect-loop")
                row.detail = f"loops back to {current}"
                return
            seen.add(normalise(current))
            status, location = self.target(current) if len(row.hops) == 1 else self.answer(current)
            row.hops.append(f"{status} {current}" + (f" -> {location}" if location else ""))
            if not (300 <= status < 400 and location):
                break
            current = location
        else:
            row.findings.append("redirect-chain-too-long")
            row.detail = f"more than {MAX_HOPS} redirects"
            return
        row.final_status = status
        if len(row.hops) > 2 and row.off_site != DESTINATION:
            row.findings.append("redirect-chain")
            if not row.detail:
                row.detail = f"{len(row.hops) - 1} redirects before the page"
        if status != 200:
            row.findings.append("redirect-target-not-200")
            row.detail = row.detail or f"{current} answers {status}"


def check(rows: list[Row], session: requests.Session, timeout: float, concurrency: int) -> tuple[Check, list[Row]]:
    """Check every row, `concurrency` at a time; one Check summarising them, and the rows for the CSV."""
    walker = _Walker(session, timeout)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="golive-redirect") as pool:
        done = list(pool.map(walker.check, rows))
    counts = Counter(f for row in done for f in row.findings)
    by_type = Counter(row.type for row in done)
    problems = [row for row in done if row.findings]
    evidence: dict[str, Any] = {
        "urls": len(done),
        "by_type": dict(by_type),
        "off_site": dict(Counter(row.off_site for row in done if row.off_site)),
        "findings": dict(counts),
        "ok": sum(not row.findings for row in done),
        "examples": [
            {
                "old_url": r.old_url,
                "expected": r.new_url or r.type,
                "findings": r.findings,
                "detail": r.detail,
                "hops": r.hops,
            }
            for r in sorted(problems, key=lambda r: (r.status != FAIL, r.old_url))[:EVIDENCE_ROWS]
        ],
    }
    statuses = {row.status for row in done}
    status = FAIL if FAIL in statuses else WARN if WARN in statuses else PASS
    if not done:
        return Check(
            "redirects", "redirects", "", WARN, "the redirect map is empty", evidence, ["redirect-map-empty"]
        ), done
    if problems:
        listing = ", ".join(f"{name} ({n})" for name, n in counts.most_common())
        summary = f"{len(problems)} of {len(done)} old URLs: {listing}"
    else:
        summary = f"all {len(done)} old URLs answer one 301 to a 200 page, or 410"
        archived = sum(row.off_site == ARCHIVED_COPY for row in done)
        if archived:
            summary += f" ({archived} of the 301s to an archived copy, which is not asked)"
    return Check("redirects", "redirects", "", status, summary, evidence, sorted(counts)), done


def rows_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["old_url", "type", "expected", "status", "findings", "final_status", "detail", "hops"])
    for row in rows:
        writer.writerow(
            [
                row.old_url,
                row.type,
                row.new_url,
                row.status,
                " ".join(row.findings),
                row.final_status,
                row.detail,
                " | ".join(row.hops),
            ]
        )
    return out.getvalue()
