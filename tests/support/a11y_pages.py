"""The labelled accessibility pages (tests/data/accessibility/pages/) served over real HTTP on 127.0.0.1.

Each page names the success criteria it fails in its second line, `<!-- expect: 1.1.1 4.1.2 -->`
(`none` for a page that passes), and why on the third. The server also answers what a real site does
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

PAGES = Path(__file__).resolve().parents[1] / "data" / "accessibility" / "pages"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Label:
    path: str  # "/images/fail-img-no-alt.html"
    family: str
    expect: frozenset[str]
    why: str

    @property
    def failing(self) -> bool:
        return bool(self.expect)


def labels() -> dict[str, Label]:
    found = {}
    for file in sorted(PAGES.rglob("*.html")):
        text = file.read_text(encoding="utf-8")
        expect = re.search(r"<!-- expect: ([^>]*?) -->", text)
        why = re.search(r"<!-- why: (.*?) -->", text)
        if not expect:
            raise ValueError(f"{file}: no '<!-- expect: ... -->' label on its second line")
        criteria = frozenset() if expect.group(1).strip() == "none" else frozenset(expect.group(1).split())
        path = "/" + file.relative_to(PAGES).as_posix()
        found[path] = Label(path, file.parent.name, criteria, why.group(1) if why else "")
    return found


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
        elif (file := (PAGES / path.lstrip("/")).resolve()).is_file() and PAGES in file.parents:
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
