"""The sandbox's ingress: HTTP and HTTPS on 127.0.0.1, as a platform's TLS-terminating load balancer.

Sites are chosen by the Host header and certificates by SNI. A host is served either by a `Site` (a small
configurable website, what the go-live tests build) or forwarded to an HTTP backend on 127.0.0.1 (the
sandbox platform, which routes its tenants' domains by Host): http is upgraded to https with a 301, https is
passed on with X-Forwarded-Proto. `Ingress.forward_known` forwards every host a callable knows (the
platform's tenant domains) and issues each one's certificate at its first handshake, as an ACME-driven
ingress does; an unknown host gets the default certificate and a 421, as real ones answer. Its `upgrade`
callable says which of them get the http -> https upgrade (the tenants' primary domains): the others (old
domains) are forwarded on http too, so the platform answers an old URL with one 301 straight to its new
URL rather than a first hop to https on the old name.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .tls import LocalCA

SECURE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(self), camera=()",
}


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str = ""


@dataclass
class Site:
    """A website on one host name: pages by path, headers on every https answer, http -> https."""

    host: str
    pages: dict[str, Answer] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=lambda: dict(SECURE_HEADERS))
    cookies: list[str] = field(default_factory=list)
    http_redirect: int | None = 301  # None: http serves the pages itself
    server_header: str = ""
    fixed: dict[str, Answer] = field(default_factory=dict)  # answered on http and https alike (old URLs)

    def answer(self, scheme: str, path: str) -> Answer:
        if path in self.fixed:
            return self.fixed[path]
        if scheme == "http" and self.http_redirect:
            return Answer(self.http_redirect, location=f"https://{self.host}{path}")
        return self.pages.get(path) or Answer(404, b"<!DOCTYPE html><title>Not found</title><h1>Page not found</h1>")


class _Handler(BaseHTTPRequestHandler):
    server_version = ""
    sys_version = ""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are written apart: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: object) -> None:
        self.server.ingress.log.append(f"{self.server.scheme} {self.headers.get('Host')} {self.requestline}")

    def do_GET(self) -> None:
        ingress: Ingress = self.server.ingress
        scheme = self.server.scheme
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        if ingress.latency:
            time.sleep(ingress.latency)  # a remote ingress's round trip
        path, _, query = self.path.partition("?")
        hit = ingress.edge.answer_for(scheme, host, path, query) if ingress.edge is not None else None
        if hit is not None:  # the edge's redirects and rules answer before anything reaches the origin
            status, headers, body = hit
            self.log_request(status)
            self.send_response_only(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self._delivered(host, status)
            return
        backend = ingress.backend(host)
        if backend is not None:
            self._forward(backend, scheme, host)
            return
        site = ingress.sites.get(host)
        if site is None:
            answer = Answer(421, b"Misdirected request", "text/plain")
            site = Site(host, headers={})
        else:
            answer = site.answer(scheme, self.path)
        self.log_request(answer.status)
        self.send_response_only(answer.status)
        self.send_header("Date", self.date_time_string())
        if site.server_header:
            self.send_header("Server", site.server_header)
        if answer.location:
            self.send_header("Location", answer.location)
        if scheme == "https":
            for name, value in site.headers.items():
                self.send_header(name, value)
            for cookie in site.cookies:
                self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"})

    def _forward(self, backend: tuple[int, bool], scheme: str, host: str) -> None:
        """As a TLS-terminating load balancer does: http upgraded to https (unless the host keeps http for
        its old URLs), https passed to the backend with X-Forwarded-Proto."""
        port, upgrade = backend
        self.log_request(0)
        if scheme == "http" and upgrade:
            self.send_response_only(301)
            self.send_header("Location", f"https://{host}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in self.HOP_BY_HOP}
        headers["X-Forwarded-Proto"] = scheme
        headers["X-Forwarded-For"] = self.client_address[0]
        upstream.request("GET", self.path, headers=headers)
        response = upstream.getresponse()
        body = response.read()
        upstream.close()
        self.send_response_only(response.status)
        self.send_header("Date", self.date_time_string())
        edge = self.server.ingress.edge
        added = edge.response_headers(host) if edge is not None and scheme == "https" else {}
        replaced = self.HOP_BY_HOP | {name.lower() for name in added}
        for name, value in response.getheaders():
            if name.lower() not in replaced:
                self.send_header(name, value)
        for name, value in added.items():  # the edge's response-header transform rules and HSTS
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self._delivered(host, response.status)

    def _delivered(self, host: str, status: int) -> None:
        """The edge's access log of an answer (Ingress.access_log: the sandbox's Logpush), when it keeps one."""
        log = self.server.ingress.access_log
        if log is not None:
            log(host, self.path, status, self.client_address[0])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ingress: Ingress, scheme: str, context: ssl.SSLContext | None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.ingress = ingress
        self.scheme = scheme
        self.context = context

    def get_request(self):
        sock, address = super().get_request()
        if self.context is not None:
            # the handshake happens in the request's thread, on its first read
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address) -> None:
        pass  # clients that refuse our certificate hang up: expected, not an error to print


class Ingress:
    """HTTP and HTTPS servers on 127.0.0.1 serving `sites` by Host, certificates by SNI."""

    def __init__(self, ca: LocalCA, *, legacy_tls: bool = False, http_port: int = 0, https_port: int = 0) -> None:
        self.ca = ca
        self.sites: dict[str, Site] = {}
        self.latency = 0.0  # seconds added to every answer, to stand in for a remote ingress
        self.edge: Any = None  # an edge state (sandbox/edge): its Bulk Redirects and response headers apply
        self.access_log: Callable[[str, str, int, str], None] | None = None
        """Called with (host, path and query, status, client address) after each answer through the edge
        or to a forwarded host (sandbox/edge/logpush.Delivery)."""
        self.backends: dict[str, tuple[int, bool]] = {}  # host -> (backend port on 127.0.0.1, upgrade http)
        self.certificates: dict[str, ssl.SSLContext] = {}
        self.log: list[str] = []
        self.legacy_tls = legacy_tls
        default = self._legacy(ca.context("default.invalid"))
        default.sni_callback = self._choose
        self._known: tuple[Callable[[str], bool], int, Callable[[str], bool]] | None = None  # see forward_known
        self._issuing = threading.Lock()
        self._http = _Server(self, "http", None, http_port)
        self._https = _Server(self, "https", default, https_port)
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self._http, self._https)]

    def _legacy(self, context: ssl.SSLContext) -> ssl.SSLContext:
        """An old load balancer still accepts TLS 1.0 and 1.1 (every context, since SNI switches them)."""
        if self.legacy_tls:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        return context

    def _choose(self, sock: ssl.SSLSocket, name: str | None, _context: ssl.SSLContext) -> None:
        name = (name or "").lower()
        chosen = self.certificates.get(name) or self._issue(name)
        if chosen is not None:
            sock.context = chosen

    def _issue(self, name: str) -> ssl.SSLContext | None:
        """A certificate for a host `forward_known` knows, made at its first handshake and kept."""
        if self._known is None or not name or name in self.sites or not self._known[0](name):
            return None
        with self._issuing:
            if name not in self.certificates:
                self.certificates[name] = self._legacy(self.ca.context(name))
            return self.certificates[name]

    def backend(self, host: str) -> tuple[int, bool] | None:
        """Where `host` is forwarded: its own backend, or the one of `forward_known` if it knows the host."""
        if host in self.backends:
            return self.backends[host]
        if host not in self.sites and self._known is not None and host and self._known[0](host):
            return self._known[1], self._known[2](host)
        return None

    def forward_known(
        self, knows: Callable[[str], bool], port: int, *, upgrade: Callable[[str], bool] | None = None
    ) -> None:
        """Forward every host `knows` accepts (asked at each request) to the HTTP backend on 127.0.0.1:port;
        http is upgraded to https for the hosts `upgrade` accepts (all when not given), forwarded otherwise."""
        self._known = (knows, port, upgrade or (lambda host: True))

    def add(self, site: Site, *, certificate: ssl.SSLContext | None = None) -> Site:
        self.sites[site.host] = site
        self.certificates[site.host] = self._legacy(certificate or self.ca.context(site.host))
        return site

    def proxy(
        self, host: str, port: int, *, upgrade_http: bool = True, certificate: ssl.SSLContext | None = None
    ) -> None:
        """Serve `host` from an HTTP backend on 127.0.0.1:port (e.g. the sandbox platform), terminating TLS."""
        self.backends[host] = (port, upgrade_http)
        self.certificates[host] = certificate or self.ca.context(host)

    @property
    def ports(self) -> dict[str, int]:
        return {"http": self._http.server_address[1], "https": self._https.server_address[1]}

    def __enter__(self) -> Ingress:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self._http, self._https):
            server.shutdown()
            server.server_close()
