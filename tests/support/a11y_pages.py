"""The labelled accessibility pages (tests/data/accessibility/pages/) served over real HTTP on 127.0.0.1.

Each page of pages/ names the success criteria it fails in its second line, `<!-- expect: 1.1.1 4.1.2 -->`
(`none` for a page that passes), and why on the third; every criterion is scored on it (one barrier each,
so a violation of any other criterion is a false alarm). Each page of corpus/ (imported from public
sources, see its README) carries `<!-- label: fail 1.1.1 -->`, `<!-- label: fail-any 1.3.1 4.1.2 -->` (fails
one of them) or `<!-- label: pass 1.3.1 4.1.2 -->`: only those criteria are scored on it. The server also answers what a real site does
to an audit: /sitemap.xml lists every page, /hang never answers in time, /error is a 500, /img/* are
small PNGs. Used by tests/accessibility/test_accessibility.py and benchmarks/accessibility_engines.py.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "accessibility"
PAGES = DATA / "pages"
CORPUS = DATA / "corpus"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Label:
    path: str  # "/images/fail-img-no-alt.html", "/corpus/wcag-techniques/failures/f65-1.html"
    family: str
    expect: frozenset[str]  # the criteria the page fails
    why: str
    scored: frozenset[str] | None = None  # the criteria its label speaks for; None: every criterion
    source: str = "this project"
    any_of: bool = False  # fails one of `expect`, not necessarily all ("Failure of 1.3.1, 2.1.1 or 4.1.2")

    @property
    def failing(self) -> bool:
        return bool(self.expect)

    def speaks_for(self, criterion: str) -> bool:
        return self.scored is None or criterion in self.scored


def _label(file: Path, path: str, family: str) -> Label:
    text = file.read_text(encoding="utf-8")
    why = re.search(r"<!-- why: (.*?) -->", text)
    source = re.search(r"<!-- source: (.*?) -->", text)
    why_text, source_text = why.group(1) if why else "", source.group(1) if source else "this project"
    if labelled := re.search(r"<!-- label: (pass|fail|fail-any) ([0-9. ]+?) -->", text):
        criteria = frozenset(labelled.group(2).split())
        fails = criteria if labelled.group(1) != "pass" else frozenset()
        return Label(path, family, fails, why_text, criteria, source_text, labelled.group(1) == "fail-any")
    expect = re.search(r"<!-- expect: ([^>]*?) -->", text)
    if not expect:
        raise ValueError(f"{file}: no '<!-- expect: ... -->' or '<!-- label: pass|fail N.N.N -->' label")
    criteria = frozenset() if expect.group(1).strip() == "none" else frozenset(expect.group(1).split())
    return Label(path, family, criteria, why_text, None, source_text)


def labels(corpus: bool = False) -> dict[str, Label]:
    """The labelled pages by path; with `corpus`, the imported corpus too (under /corpus/)."""
    found = {}
    for file in sorted(PAGES.rglob("*.html")):
        path = "/" + file.relative_to(PAGES).as_posix()
        found[path] = _label(file, path, file.parent.name)
    if corpus:
        for file in sorted(CORPUS.rglob("*.html")):
            path = "/corpus/" + file.relative_to(CORPUS).as_posix()
            found[path] = _label(file, path, file.relative_to(CORPUS).parts[0] + "/" + file.parent.name)
    return found


def _labelled_file(path: str) -> Path | None:
    """The labelled page a URL path names (/corpus/... under CORPUS, the rest under PAGES), never a file
    outside them."""
    root, relative = (CORPUS, path.removeprefix("/corpus/")) if path.startswith("/corpus/") else (PAGES, path)
    file = (root / relative.lstrip("/")).resolve()
    return file if file.is_file() and root in file.parents else None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/hang":
            deadline = time.monotonic() + self.server.hang_seconds
            while time.monotonic() < deadline and not self.server.stopping.is_set():
                time.sleep(0.05)
            self._send(200, b"<!DOCTYPE html><html lang='en'><title>late</title><p>late</p></html>", "text/html")
        elif path == "/error":
            self._send(
                500, b"<!DOCTYPE html><html lang='en'><title>Error</title><h1>Server error</h1></html>", "text/html"
            )
        elif path == "/sitemap.xml":
            base = f"http://{self.headers.get('Host')}"
            locs = "".join(f"<url><loc>{base}{p}</loc></url>" for p in labels())
            body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
            self._send(200, body.encode(), "application/xml")
        elif path.startswith("/img/"):
            self._send(200, PNG, "image/png")
        elif file := _labelled_file(path):
            self._send(200, file.read_bytes(), "text/html; charset=utf-8")
        else:
            self._send(
                404, b"<!DOCTYPE html><html lang='en'><title>Not found</title><h1>Not found</h1></html>", "text/html"
            )

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hang_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hang_seconds = hang_seconds
        self.stopping = threading.Event()


@contextmanager
def serve(hang_seconds: float = 30.0) -> Iterator[str]:
    """Serve the labelled pages; yields the base URL 'http://127.0.0.1:<port>'."""
    server = _Server(hang_seconds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
