"""A sandbox of the platform's DNS and TLS-terminating ingress (see README.md): a DNS server answering for
the sandbox platform's tenant domains, and HTTP + HTTPS on 127.0.0.1 with certificates from a local CA,
forwarding by Host to the sandbox platform."""

from .dns import DnsServer, TenantZone, parked, platform_domains, zone_records
from .net import free_port
from .proxy import SECURE_HEADERS, Answer, Ingress, Site
from .server import RunningIngress, serve, start
from .tls import LocalCA

__all__ = [
    "SECURE_HEADERS",
    "Answer",
    "DnsServer",
    "Ingress",
    "LocalCA",
    "RunningIngress",
    "Site",
    "TenantZone",
    "free_port",
    "parked",
    "platform_domains",
    "serve",
    "start",
    "zone_records",
]
