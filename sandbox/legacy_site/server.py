"""Serve a LegacySite over HTTP on 127.0.0.1: a thread per request, so a slow page never blocks another.

`start(site)` runs it in a background thread for tests (a context manager; port 0 picks a free port);
`serve(site, port)` runs it in the foreground until Ctrl-C (the CLI).
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .site import LegacySite, Response


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as real web servers do: replies are not held back on kept-alive connections

    def version_string(self) -> str:
        return "Microsoft-IIS/7.5"

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        attempt = self.server.count(self.path)
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"
        try:
            response = self.server.site.respond(self.path, host, attempt)
        except Exception:  # a request the generator cannot parse must not kill the connection silently
            self.log_error("cannot answer %r", self.path)
            response = Response(500, "text/plain; charset=utf-8", b"Server Error in '/' Application.")
        if response.delay_seconds:  # a slow page, the site's latency: this thread sleeps, the others go on
            time.sleep(response.delay_seconds)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Powered-By", "ASP.NET")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            try:
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a crawler's timeout)
                self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: LegacySite, port: int, verbose: bool):
        super().__init__(("127.0.0.1", port), _Handler)
        self.site, self.verbose = site, verbose
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, target: str) -> int:
        """How many times `target` was asked for before (the intermittent 500s depend on it)."""
        with self._lock:
            seen = self._attempts[target]
            self._attempts[target] += 1
            return seen


class RunningSite:
    """A site served in a background thread: `.url` is its base URL (ending in /); `.stop()` ends it."""

    def __init__(self, site: LegacySite, port: int = 0, verbose: bool = False):
        self.site = site
        self._server = _Server(site, port, verbose)
        self.port = self._server.server_port
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}/"
        self._thread = threading.Thread(target=self._server.serve_forever, name="legacy-site", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(site: LegacySite, port: int = 0, verbose: bool = False) -> RunningSite:
    return RunningSite(site, port, verbose)


def serve(site: LegacySite, port: int, verbose: bool = True) -> None:
    """Serve in the foreground until interrupted, saying where."""
    server = _Server(site, port, verbose)
    faults = (
        f"faults on: 500s on {site.fault_rate:.0%} of first requests, slow pages {site.slow_ms} ms"
        if site.faults
        else "faults off"
    )
    latency = f", {site.latency_ms:g} ms per answer" if site.latency_ms else ""
    print(
        f"Legacy Demoshire Police site ({site.pages} pages, seed {site.seed}, {faults}{latency}) "
        f"on http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop)",
        flush=True,
    )
    # Ctrl-C and a plain kill both stop it, even when it was started in the background of a shell without
    # job control (which starts it with SIGINT ignored, and Python then never raises KeyboardInterrupt)
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.default_int_handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
