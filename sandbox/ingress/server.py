"""The sandbox ingress as bin/run starts it: DNS, HTTP and HTTPS in front of the sandbox platform.

Every tenant domain in the platform's data file resolves to 127.0.0.1 (with CAA and the records of a
domain that sends no mail), gets a certificate from the CA kept in the sandbox folder, and is forwarded
by Host to the platform, which serves the tenant's site (live, or its "not live" answer) itself. http is
upgraded to https on each tenant's primary domain; on its other (old) domains it goes to the platform,
which redirects each old URL to its new one on the primary domain in one 301.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..edge.state import FollowedState
from .dns import DnsServer, TenantZone, platform_domains
from .proxy import Ingress
from .tls import LocalCA


@dataclass
class RunningIngress:
    """What the go-live checks need to reach the sandbox: the resolver, the ports and the CA bundle."""

    dns: DnsServer
    ingress: Ingress
    ca: LocalCA

    @property
    def env(self) -> dict[str, str]:
        """The SOH_GOLIVE_* variables pointing the go-live checks here (config/go-live.yaml's overrides)."""
        return {
            "SOH_GOLIVE_RESOLVER": self.dns.address,
            "SOH_GOLIVE_HTTP_PORT": str(self.ingress.ports["http"]),
            "SOH_GOLIVE_HTTPS_PORT": str(self.ingress.ports["https"]),
            "SOH_GOLIVE_CA_BUNDLE": str(self.ca.bundle),
            "SOH_GOLIVE_LOCAL_TEST_CA": "1",  # the sandbox's own CA, made at its first start
        }


@contextmanager
def start(
    folder: Path,
    platform_port: int,
    platform_data: Path,
    *,
    dns_port: int = 0,
    http_port: int = 0,
    https_port: int = 0,
    issuer: str = "letsencrypt.org",
    edge_state: Path | None = None,
    logpush: Path | None = None,
) -> Iterator[RunningIngress]:
    """Start DNS and the ingress for the tenants of the platform on 127.0.0.1:platform_port (data in
    platform_data); the CA is made in `folder` at first start and kept there. With `edge_state` (the sandbox
    edge's file) the ingress stands for the edge too: its proxied records resolve here, its Bulk Redirects
    answer before the platform, its response headers are set on every https answer. With `logpush` (a
    folder) each answer to a tenant's host is logged as the edge's Logpush delivers it (sandbox/edge/logpush)."""
    ca = LocalCA.persistent(folder)
    edge = FollowedState(edge_state) if edge_state is not None else None
    on_platform = platform_domains(platform_data)

    def domains() -> list[str]:
        return sorted(set(on_platform()) | set(edge.proxied_names() if edge is not None else ()))

    primaries = platform_domains(platform_data, primary_only=True)
    with ExitStack() as stack:
        dns = stack.enter_context(DnsServer(TenantZone(domains, issuer=issuer), port=dns_port))
        ingress = stack.enter_context(Ingress(ca, http_port=http_port, https_port=https_port))
        ingress.edge = edge
        if logpush is not None:
            from ..edge.logpush import Delivery

            ingress.access_log = Delivery(logpush, platform_data)
        # http -> https on a tenant's primary domain; its old domains' http is the platform's to redirect
        ingress.forward_known(lambda host: host in domains(), platform_port, upgrade=lambda host: host in primaries())
        yield RunningIngress(dns, ingress, ca)


def serve(
    folder: Path,
    platform_port: int,
    platform_data: Path,
    *,
    verbose: bool = True,
    edge_state: Path | None = None,
    logpush: Path | None = None,
    **ports: int,
) -> None:
    """Serve in the foreground until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with start(folder, platform_port, platform_data, edge_state=edge_state, logpush=logpush, **ports) as running:
        if verbose:
            for name, value in running.env.items():
                print(f"{name}={value}", flush=True)
        stop.wait()
