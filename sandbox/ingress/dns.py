"""The sandbox's DNS server: dnslib on UDP and TCP, answering as an authoritative server does.

Two kinds of zone: fixed zone text (`DnsServer(zone)`, what the go-live tests build), or the sandbox
platform's tenant domains read from its data file at each query (`TenantZone`), so a domain set through
the platform's API resolves at once, as a platform managing its tenants' DNS would make it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from dnslib import QTYPE, RCODE, RR
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver

# A tenant domain that sends no mail: A to the ingress, CAA for the platform's CA, and the records that say
# "this domain never sends mail" (SPF -all, a null MX, DMARC reject), which the go-live checks want.
PARKED = """
{name}. 60 IN A {address}
{name}. 60 IN CAA 0 issue "{issuer}"
{name}. 60 IN TXT "v=spf1 -all"
{name}. 60 IN MX 0 .
_dmarc.{name}. 60 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{name}"
"""


def parked(name: str, address: str = "127.0.0.1", issuer: str = "letsencrypt.org") -> str:
    """The zone text of one tenant domain that serves the web and sends no mail."""
    return PARKED.format(name=name.rstrip(".").lower(), address=address, issuer=issuer)


def zone_records(zone: str) -> list[str]:
    return [str(rr) for rr in RR.fromZone(zone)]


class _Zone(ZoneResolver):
    """dnslib's zone resolver, with NOERROR and no answer for a name that exists with other types
    (NXDOMAIN otherwise), as real servers answer."""

    def resolve(self, request, handler):
        reply = super().resolve(request, handler)
        if not reply.rr and any(request.q.qname == name for name, _, _ in self.zone):
            reply.header.rcode = RCODE.NOERROR
        return reply


class TenantZone:
    """Answers for the domains `domains()` returns at the time of each query (parked records each)."""

    def __init__(self, domains: Callable[[], list[str]], address: str = "127.0.0.1", issuer: str = "letsencrypt.org"):
        self.domains = domains
        self.address = address
        self.issuer = issuer

    def resolve(self, request, handler):
        names = sorted(set(self.domains()))
        zone = "".join(parked(name, self.address, self.issuer) for name in names)
        if not zone:
            reply = request.reply()
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        return _Zone(zone).resolve(request, handler)


def platform_domains(data: Path, *, primary_only: bool = False) -> Callable[[], list[str]]:
    """The tenant domains in the sandbox platform's SQLite file, read-only (the platform writes it); with
    `primary_only`, each tenant's first (canonical) domain alone, not its old domains and aliases."""
    query = "SELECT domain FROM domains" + (" WHERE position = 0" if primary_only else "")

    def read() -> list[str]:
        if not data.exists():
            return []
        try:
            with sqlite3.connect(f"{data.as_uri()}?mode=ro", uri=True, timeout=5) as db:
                return [row[0] for row in db.execute(query)]
        except sqlite3.Error:
            return []  # not created yet: no tenant has a domain

    return read


class DnsServer:
    """A DNS server on 127.0.0.1, UDP and TCP, for fixed zone text or a resolver (e.g. `TenantZone`)."""

    def __init__(self, zone: str | object, port: int = 0) -> None:
        from .net import free_port

        self.port = port or free_port()
        resolver = _Zone(zone) if isinstance(zone, str) else zone
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
