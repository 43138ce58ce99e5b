"""How the go-live checks reach a force's domains: through a chosen DNS resolver, on chosen ports.

The checks look at the site the public will see, so a domain is looked up the way the public looks it
up (DNS, via `resolver`), and the connection goes to the address found, with the domain itself as the
TLS server name (SNI), in certificate verification and in the Host header. `resolver` lets an operator
check against an authoritative server before a change has propagated, or a staging resolver; `ports`
maps each scheme's default port (80, 443) to another, for an ingress that listens elsewhere (the tests'
local servers). A URL with an explicit port keeps it; an IP-literal host is connected to directly.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dns.exception
import dns.resolver
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

USER_AGENT = "SOH-go-live-checks/0.1 (+National Single Online Home go-live)"
DEFAULT_PORTS = {"http": 80, "https": 443}


class LookupFailed(Exception):
    """A DNS question had no usable answer; the message says which and why."""


@dataclass(frozen=True)
class Records:
    """The answer to one DNS question: the records as text, or why there are none."""

    name: str
    rdtype: str
    values: tuple[str, ...] = ()
    problem: str = ""  # "NXDOMAIN", "no answer", "timeout", ...

    @property
    def found(self) -> bool:
        return bool(self.values)


@dataclass
class Network:
    """DNS and connections the way the checks make them; thread-safe, one per checklist run."""

    resolver: tuple[str, int] | None = None
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    ca_bundle: str | None = None
    timeout: float = 10.0
    pool_size: int = 16
    _addresses: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- DNS -------------------------------------------------------------------------------------

    def _dns(self) -> dns.resolver.Resolver:
        if self.resolver is None:
            resolver = dns.resolver.Resolver()
        else:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [self.resolver[0]]
            resolver.port = self.resolver[1]
        resolver.lifetime = self.timeout
        resolver.timeout = min(self.timeout, 3.0)
        return resolver

    def query(self, name: str, rdtype: str) -> Records:
        """The records of one type at one name (CNAMEs followed for A/AAAA), or why there are none."""
        try:
            answer = self._dns().resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return Records(name, rdtype, problem="NXDOMAIN (the name does not exist)")
        except dns.resolver.NoNameservers as exc:
            return Records(name, rdtype, problem=f"no name server answered: {exc}")
        except dns.exception.Timeout:
            return Records(name, rdtype, problem=f"timeout after {self.timeout:g} s")
        except dns.exception.DNSException as exc:
            return Records(name, rdtype, problem=str(exc) or type(exc).__name__)
        if answer.rrset is None:
            return Records(name, rdtype, problem="no record of this type")
        return Records(name, rdtype, tuple(sorted(_text(record, rdtype) for record in answer.rrset)))

    def chain(self, name: str) -> tuple[list[str], list[str], str]:
        """(CNAME chain, addresses, problem) for a name as the public resolves it."""
        cnames: list[str] = []
        try:
            answer = self._dns().resolve(name, "A", raise_on_no_answer=False, search=False)
            for rrset in answer.response.answer:
                if rrset.rdtype == dns.rdatatype.CNAME:
                    cnames += [record.target.to_text() for record in rrset]
        except dns.exception.DNSException:
            pass
        addresses: list[str] = []
        problems = []
        for rdtype in ("A", "AAAA"):
            records = self.query(name, rdtype)
            addresses += records.values
            if records.problem and rdtype == "A":
                problems.append(records.problem)
        return cnames, addresses, "" if addresses else "; ".join(problems) or "no address record"

    def addresses(self, host: str) -> list[str]:
        """The addresses a connection to `host` may use: DNS via the resolver, or the system's lookup
        (which also reads /etc/hosts) when no resolver is configured. Cached for the run."""
        host = host.strip("[]").lower()
        if _is_ip(host):
            return [host]
        with self._lock:
            if host in self._addresses:
                return self._addresses[host]
        if self.resolver is None:
            try:
                infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise LookupFailed(f"{host} does not resolve: {exc.strerror}") from None
            found = list(dict.fromkeys(info[4][0] for info in infos))
        else:
            _, found, problem = self.chain(host)
            if not found:
                raise LookupFailed(f"{host} does not resolve via {self.resolver[0]}:{self.resolver[1]}: {problem}")
        with self._lock:
            self._addresses[host] = found
        return found

    def endpoint(self, host: str, scheme: str, port: int | None) -> tuple[str, int]:
        """Where to connect for host (and port) under scheme: the first address, the mapped port."""
        default = DEFAULT_PORTS[scheme]
        mapped = self.ports.get(scheme, default) if port in (None, default) else port
        return self.addresses(host)[0], mapped

    def describe(self) -> str:
        via = f"resolver {self.resolver[0]}:{self.resolver[1]}" if self.resolver else "the system's resolver"
        ports = ", ".join(f"{scheme} on port {port}" for scheme, port in sorted(self.ports.items()))
        return f"{via}; {ports}; CA bundle {self.ca_bundle or 'certifi (Mozilla)'}"

    # --- HTTP ------------------------------------------------------------------------------------

    def session(self) -> requests.Session:
        """A requests session whose connections go where `endpoint` says, verifying with `ca_bundle`."""
        session = requests.Session()
        session.trust_env = False  # a proxy would defeat the address override and the checks' point
        session.headers["User-Agent"] = USER_AGENT
        session.verify = self.ca_bundle or requests.certs.where()
        adapter = _RoutedAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    # --- TLS -------------------------------------------------------------------------------------

    def handshake(self, domain: str, *, verify: bool, maximum: ssl.TLSVersion | None = None) -> Handshake:
        """One TLS handshake with `domain` as SNI. Verified: against ca_bundle and the name."""
        address, port = self.endpoint(domain, "https", None)
        if verify:
            context = ssl.create_default_context(cafile=self.ca_bundle or requests.certs.where())
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if maximum is not None:
            with warnings.catch_warnings():  # offering an old version is the point: is it refused?
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
                context.maximum_version = maximum
            context.set_ciphers("DEFAULT:@SECLEVEL=0")  # so the client can offer what OpenSSL's policy forbids
        with (
            socket.create_connection((address, port), timeout=self.timeout) as raw,
            context.wrap_socket(raw, server_hostname=domain) as tls,
        ):
            return Handshake(
                domain=domain,
                address=f"{address}:{port}",
                version=tls.version() or "",
                certificate=tls.getpeercert(binary_form=True) or b"",
            )


@dataclass(frozen=True)
class Handshake:
    domain: str
    address: str
    version: str
    certificate: bytes  # DER

    def certificate_facts(self) -> dict[str, Any]:
        """Subject, names, issuer and validity of the certificate presented."""
        from cryptography import x509

        cert = x509.load_der_x509_certificate(self.certificate)
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns_names = names.get_values_for_type(x509.DNSName)
            ip_names = [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            dns_names, ip_names = [], []
        return {
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "names": [*dns_names, *ip_names],
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "days_left": (cert.not_valid_after_utc - datetime.now(UTC)).days,
            "serial": format(cert.serial_number, "x"),
        }


def name_matches(domain: str, names: list[str]) -> bool:
    """RFC 6125: exact match, or a wildcard standing for exactly one left-most label."""
    domain = domain.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == domain:
            return True
        if name.startswith("*.") and "." in domain and domain.split(".", 1)[1] == name[2:]:
            return True
    return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _text(record: Any, rdtype: str) -> str:
    if rdtype == "TXT":
        return b"".join(record.strings).decode("utf-8", errors="replace")
    if rdtype == "CAA":
        return f"{record.flags} {record.tag.decode()} {record.value.decode(errors='replace')}"
    return record.to_text()


def _routed(base: type[HTTPConnection], network: Network, scheme: str) -> type[HTTPConnection]:
    class Routed(base):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> Any:
            # The name stays the host (Host header, SNI, certificate check); only the socket goes to
            # the address the configured resolver gave, on the mapped port.
            host, port = self._dns_host, self.port
            self._dns_host, self.port = network.endpoint(host, scheme, port)
            try:
                return super()._new_conn()
            finally:
                self._dns_host, self.port = host, port

    return Routed


class _RoutedAdapter(HTTPAdapter):
    def __init__(self, network: Network) -> None:
        self.network = network
        super().__init__(pool_connections=8, pool_maxsize=network.pool_size, max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        http, https = _routed(HTTPConnection, self.network, "http"), _routed(HTTPSConnection, self.network, "https")

        class HTTPPool(HTTPConnectionPool):
            ConnectionCls = http

        class HTTPSPool(HTTPSConnectionPool):
            ConnectionCls = https

        self.poolmanager = PoolManager(num_pools=connections, maxsize=maxsize, block=block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}
