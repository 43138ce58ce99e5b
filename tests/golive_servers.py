"""Real local servers for the go-live checks: a DNS server, and an HTTP + HTTPS ingress with a test CA.

- `DnsServer`: dnslib's UDP/TCP server on 127.0.0.1 and a free high port, answering from zone text
  (NOERROR with no answer for a name that exists with other types, NXDOMAIN otherwise, as real servers do).
- `Ingress`: one HTTP and one HTTPS server on 127.0.0.1, serving sites by Host header and certificates by
  SNI, like a platform's ingress. Certificates come from a test CA made by `trustme`: per domain, expired
  ones and ones for the wrong name included. Each `Site` is a small, configurable website.
"""

from __future__ import annotations

import copy
import http.client
import json
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme
import yaml
from dnslib import QTYPE, RCODE, RR
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver

from soh_onboarding.golive import settings

SECURE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(self), camera=()",
}
KEY_PAGES = {
    "home": "/",
    "report_a_crime": "/ro/report/ocr/af/how-to-report-a-crime/",
    "contact": "/contact/af/contact-us/",
    "accessibility_statement": "/accessibility/",
    "privacy_notice": "/privacy-notice/",
    "cookies": "/cookies/",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- DNS -----------------------------------------------------------------------------------------


class _Zone(ZoneResolver):
    def resolve(self, request, handler):
        reply = super().resolve(request, handler)
        if not reply.rr and any(request.q.qname == name for name, _, _ in self.zone):
            reply.header.rcode = RCODE.NOERROR  # the name exists, with no record of this type
        return reply


class DnsServer:
    """An authoritative-looking DNS server for test zones, on UDP and TCP."""

    def __init__(self, zone: str) -> None:
        self.port = free_port()
        resolver = _Zone(zone)
        self._servers = [DNSServer(resolver, address="127.0.0.1", port=self.port, tcp=tcp) for tcp in (False, True)]
        self.queries: list[str] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> DnsServer:
        for server in self._servers:
            server.server.logger.log_request = lambda handler, request: self.queries.append(
                f"{request.q.qname} {QTYPE[request.q.qtype]}"
            )
            server.server.logger.log_reply = lambda *args: None
            server.server.logger.log_recv = lambda *args: None
            server.server.logger.log_send = lambda *args: None
            server.server.logger.log_data = lambda *args: None
            server.start_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()


def zone_records(zone: str) -> list[str]:
    return [str(rr) for rr in RR.fromZone(zone)]


# --- sites ---------------------------------------------------------------------------------------


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


def html(title: str, extra: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="stylesheet" href="/assets/site.css"></head><body><main><h1>{title}</h1>'
        f'<img src="/assets/logo.png" alt="Logo"><a href="http://example.org/">an http link is fine</a>{extra}'
        f"</main></body></html>"
    ).encode()


def healthy_site(host: str, other_hosts: tuple[str, ...] = ()) -> Site:
    """A tenant site that passes every go-live check."""
    pages = {path: Answer(200, html(name.replace("_", " ").title())) for name, path in KEY_PAGES.items()}
    urls = "".join(f"<url><loc>https://{host}{path}</loc></url>" for path in KEY_PAGES.values())
    expires = (datetime.now(UTC) + timedelta(days=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pages |= {
        "/robots.txt": Answer(
            200, f"User-agent: *\nDisallow: /search\nSitemap: https://{host}/sitemap.xml\n".encode(), "text/plain"
        ),
        "/sitemap.xml": Answer(
            200,
            f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
            "application/xml",
        ),
        "/.well-known/security.txt": Answer(
            200,
            f"Contact: mailto:security@{host}\nExpires: {expires}\nPreferred-Languages: en\n".encode(),
            "text/plain; charset=utf-8",
        ),
        "/news/new-page/": Answer(200, html("News")),
        "/other/": Answer(200, html("Another page")),
    }
    return Site(host, pages)


# --- the ingress -----------------------------------------------------------------------------------


class LocalCA:
    """A CA made for the test, and a certificate per host name (or a deliberately bad one)."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA()
        self.bundle = folder / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.bundle))
        self.folder = folder

    def context(self, *names: str, expired: bool = False, days: int = 365) -> ssl.SSLContext:
        now = datetime.now(UTC)
        if expired:
            cert = self.ca.issue_cert(*names, not_before=now - timedelta(days=400), not_after=now - timedelta(days=2))
        else:
            cert = self.ca.issue_cert(*names, not_before=now - timedelta(days=1), not_after=now + timedelta(days=days))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        return context


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
        if host in ingress.backends:
            self._forward(ingress.backends[host], scheme, host)
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
        for name, value in response.getheaders():
            if name.lower() not in self.HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ingress: Ingress, scheme: str, context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
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

    def __init__(self, ca: LocalCA, *, legacy_tls: bool = False) -> None:
        self.ca = ca
        self.sites: dict[str, Site] = {}
        self.latency = 0.0  # seconds added to every answer, to stand in for a remote ingress
        self.backends: dict[str, tuple[int, bool]] = {}  # host -> (backend port on 127.0.0.1, upgrade http)
        self.certificates: dict[str, ssl.SSLContext] = {}
        self.log: list[str] = []
        self.legacy_tls = legacy_tls
        default = self._legacy(ca.context("default.invalid"))
        default.sni_callback = self._choose
        self._http = _Server(self, "http", None)
        self._https = _Server(self, "https", default)
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
        chosen = self.certificates.get((name or "").lower())
        if chosen is not None:
            sock.context = chosen

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


@contextmanager
def running(ca: LocalCA, zone: str) -> Iterator[tuple[Ingress, DnsServer]]:
    with Ingress(ca) as ingress, DnsServer(zone) as dns:
        yield ingress, dns


# --- the standard world of the go-live tests ----------------------------------------------------

PARKED = """
{name}. 60 IN A 127.0.0.1
{name}. 60 IN CAA 0 issue "letsencrypt.org"
{name}. 60 IN TXT "v=spf1 -all"
{name}. 60 IN MX 0 .
_dmarc.{name}. 60 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{name}"
"""
HEALTHY = ("good.example", "old.good.example", "expired.example", "wrongname.example", "untrusted.example")
ZONE = (
    "".join(PARKED.format(name=name) for name in (*HEALTHY, "faulty.example"))
    + """
mail.good.example. 60 IN A 127.0.0.1
mail.good.example. 60 IN CAA 0 issue "letsencrypt.org"
mail.good.example. 60 IN TXT "v=spf1 include:_spf.mailer.example -all"
_dmarc.mail.good.example. 60 IN TXT "v=DMARC1; p=quarantine"
wrongip.example. 60 IN A 192.0.2.10
wrongip.example. 60 IN CAA 0 issue "digicert.com"
wrongip.example. 60 IN TXT "google-site-verification=abc"
"""
)


@contextmanager
def standard_world(folder: Path) -> Iterator[tuple[Ingress, DnsServer, LocalCA]]:
    """The tests' ingress and DNS: healthy sites, an old domain with good and broken redirects, bad
    certificates (expired, wrong name, untrusted CA), a faulty tenant, and DNS records right and wrong."""
    ca = LocalCA(folder)
    (folder / "other").mkdir()
    other_ca = LocalCA(folder / "other")
    with Ingress(ca) as ingress, DnsServer(ZONE) as dns:
        ingress.add(healthy_site("good.example"))
        ingress.add(healthy_site("mail.good.example"))
        old = ingress.add(Site("old.good.example", {"/": Answer(301, location="https://good.example/")}))
        old.fixed = {
            "/news/item.aspx": Answer(301, location="https://good.example/news/new-page/"),
            "/plain.aspx": Answer(301, location="https://good.example/other/"),
            "/archive/old.aspx": Answer(410, b"Gone"),
            # faults
            "/chain.aspx": Answer(301, location="https://old.good.example/chain-2.aspx"),
            "/chain-2.aspx": Answer(301, location="https://good.example/news/new-page/"),
            "/loop-a.aspx": Answer(301, location="https://old.good.example/loop-b.aspx"),
            "/loop-b.aspx": Answer(301, location="https://old.good.example/loop-a.aspx"),
            "/wrong.aspx": Answer(301, location="https://good.example/other/"),
            "/temporary.aspx": Answer(302, location="https://good.example/news/new-page/"),
            "/to-missing.aspx": Answer(301, location="https://good.example/gone-missing/"),
            "/should-be-gone.aspx": Answer(200, html("Still here")),
        }
        ingress.add(healthy_site("expired.example"), certificate=ca.context("expired.example", expired=True))
        ingress.add(healthy_site("wrongname.example"), certificate=ca.context("someone-else.example"))
        ingress.add(healthy_site("untrusted.example"), certificate=other_ca.context("untrusted.example"))
        faulty = ingress.add(healthy_site("faulty.example"))
        faulty.headers.pop("Strict-Transport-Security")
        faulty.headers.pop("Content-Security-Policy")
        faulty.server_header = "Apache/2.4.1"
        faulty.cookies = ["SESSIONID=abc; Path=/"]
        del faulty.pages[KEY_PAGES["cookies"]]
        faulty.pages["/"] = Answer(200, html("Home", '<script src="http://cdn.example/tracker.js"></script>'))
        faulty.pages["/robots.txt"] = Answer(200, b"User-agent: *\nDisallow: /\n", "text/plain")
        faulty.pages["/.well-known/security.txt"] = Answer(
            200, b"Contact: mailto:x@faulty.example\nExpires: 2020-01-01T00:00:00Z\n", "text/plain"
        )
        faulty.pages["/sitemap.xml"] = Answer(200, b"<html>not a sitemap</html>", "text/html")
        yield ingress, dns, ca


def golive_env(world: tuple[Ingress, DnsServer, LocalCA]) -> dict[str, str]:
    """The environment pointing the go-live checks at the test's DNS server, ingress ports and CA."""
    ingress, dns, ca = world
    return {
        "SOH_GOLIVE_RESOLVER": dns.address,
        "SOH_GOLIVE_HTTP_PORT": str(ingress.ports["http"]),
        "SOH_GOLIVE_HTTPS_PORT": str(ingress.ports["https"]),
        "SOH_GOLIVE_CA_BUNDLE": str(ca.bundle),
    }


def configured(world: tuple[Ingress, DnsServer, LocalCA]) -> settings.Settings:
    """The real configuration file, with the environment pointing the checks at the local servers."""
    return settings.load(environ=golive_env(world))


def spec_for(domains: list[str], old_domains: list[str] = (), mail: list[str] = (), section_22: str = "signed") -> dict:
    data = yaml.safe_load((Path(__file__).parents[1] / "onboarding_specs" / "demo.yaml").read_text())
    data = copy.deepcopy(data)
    data["tenant"]["domains"] = domains
    data["go_live"]["old_domains"] = list(old_domains)
    data["legacy_site"]["other_domains"] = ["localhost", *old_domains]
    data["go_live"]["mail_domains"] = list(mail)
    data["go_live"]["key_pages"] = dict(KEY_PAGES)
    data["section_22"]["status"] = section_22
    data["section_22"]["signed_date"] = str(data["section_22"]["signed_date"])
    return data


def run_folder(tmp_path: Path, redirects: list[tuple[str, str, str]], *, phases: bool = True) -> Path:
    folder = tmp_path / "run"
    (folder / "migration").mkdir(parents=True)
    lines = ["old_url,new_url,type", *(",".join(row) for row in redirects)]
    (folder / "migration" / "redirects.csv").write_text("\n".join(lines) + "\n")
    if phases:
        (folder / "dpia").mkdir()
        (folder / "dpia" / "decision.json").write_text(
            json.dumps({"approved": True, "option": "Approve", "responded_by": "Priya Shah (dpo@x)"})
        )
        (folder / "migration" / "quality.json").write_text(json.dumps({"success": True, "passed": 9, "total": 9}))
        (folder / "accessibility").mkdir()
        gate = {"passed": True, "counts": {"critical": 0, "serious": 0, "moderate": 2, "minor": 5}, "failures": []}
        (folder / "accessibility" / "audit.json").write_text(json.dumps({"site": "preview", "gate": gate}))
    return folder


GOOD_MAP = [
    ("https://old.good.example/news/item.aspx", "https://good.example/news/new-page/", "redirect"),
    ("http://old.good.example/plain.aspx", "https://good.example/other/", "redirect"),
    ("https://old.good.example/archive/old.aspx", "", "archive"),
]
