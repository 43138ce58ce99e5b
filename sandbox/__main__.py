"""`python -m sandbox …`: serve the local stand-ins for the outside world in the foreground until Ctrl-C.

- `legacy-site`: the demo force's old website, with the faults real ones have;
- `platform`: the Single Online Home platform's admin API and every tenant's site;
- `ingress`: the platform's DNS and TLS ingress in front of the sandbox platform;
- `cms`: Optimizely CMS's token endpoint and Content Management API (schemas/optimizely-cma.yaml).

bin/run starts all three. They live here, beside the sandbox, because the library must not know the
sandbox exists: nothing under plugins/ imports it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_DATA = ROOT / ".sandbox"


def _secret(site: str, variable: str, what: str) -> str | None:
    """The secret a sandbox accepts, from the environment variable its --*-env names; None (said) if unset."""
    secret = os.environ.get(variable, "")
    if not secret:
        print(f"sandbox {site}: set {what} in the environment variable {variable}", file=sys.stderr)
    return secret or None


def _fault_rate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, metavar="R", help="share of calls answering 500, 429 or too late"
    )


def _legacy_site(args: argparse.Namespace) -> int:
    """Serve the sandbox legacy force website in the foreground until Ctrl-C."""
    from .legacy_site import LegacySite, serve

    try:
        site = LegacySite(
            args.pages,
            args.seed,
            faults=not args.no_faults,
            fault_rate=args.fault_rate,
            slow_ms=args.slow_ms,
            latency_ms=args.latency_ms,
        )
    except ValueError as error:
        print(f"sandbox legacy-site: {error}", file=sys.stderr)
        return 2
    try:
        serve(site, args.port, verbose=not args.quiet)
    except OSError as error:
        print(f"sandbox legacy-site: cannot serve on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def _platform(args: argparse.Namespace) -> int:
    """Serve the sandbox platform (admin API and tenant sites) in the foreground until Ctrl-C."""
    from .platform import Faults, SandboxPlatform, serve

    token = _secret("platform", args.token_env, "the API token")
    if token is None:
        return 2
    try:
        faults = Faults(
            error_rate=args.error_rate,
            throttle_rate=args.throttle_rate,
            timeout_rate=args.timeout_rate,
            slow_rate=args.slow_rate,
            retry_after=args.retry_after,
            stall_seconds=args.stall_seconds,
        )
        cms = None
        if args.cms:
            from .platform.cms_source import CmsSource

            secret = _secret("platform", args.cms_secret_env, "the CMS client's secret")
            if secret is None:
                return 2
            cms = CmsSource(args.cms, args.cms_client_id, secret)
        platform = SandboxPlatform(Path(args.data), token=token, faults=faults, cms=cms)
    except (ValueError, OSError) as error:
        print(f"sandbox platform: {error}", file=sys.stderr)
        return 2
    serve(platform, args.port, verbose=not args.quiet)
    return 0


def _ingress(args: argparse.Namespace) -> int:
    """Serve the sandbox ingress (DNS, HTTP, HTTPS in front of the sandbox platform) until Ctrl-C."""
    from .ingress import serve

    ports = {"dns_port": args.dns_port, "http_port": args.http_port, "https_port": args.https_port}
    edge = Path(args.edge_state) if args.edge_state else None
    logpush = Path(args.logpush) if args.logpush else None
    try:
        serve(
            Path(args.dir),
            args.platform_port,
            Path(args.data),
            verbose=not args.quiet,
            edge_state=edge,
            logpush=logpush,
            **ports,
        )
    except OSError as error:
        print(f"sandbox ingress: cannot serve on 127.0.0.1 (ports {ports}): {error}", file=sys.stderr)
        return 1
    return 0


def _cms(args: argparse.Namespace) -> int:
    """Serve the sandbox Optimizely CMS in the foreground until Ctrl-C."""
    from .cms import Faults, SandboxCMS, serve

    secret = _secret("cms", args.secret_env, "the OAuth client's secret")
    if secret is None:
        return 2
    try:
        state = Path(args.state) if args.state else None
        cms = SandboxCMS(args.client_id, secret, faults=Faults.mixed(args.fault_rate), state_file=state)
    except (ValueError, OSError) as error:
        print(f"sandbox cms: {error}", file=sys.stderr)
        return 2
    serve(cms, args.port, verbose=not args.quiet)
    return 0


def _edge(args: argparse.Namespace) -> int:
    """Serve the sandbox edge (Cloudflare's API v4) in the foreground until Ctrl-C."""
    from .edge import server
    from .platform import Faults

    token = _secret("edge", args.token_env, "the API token")
    if token is None:
        return 2
    try:
        zones = [*args.zone, *(server.zones_in_specs(Path(args.zones_from)) if args.zones_from else [])]
        edge = server.SandboxEdge(
            zones=zones,
            token=token,
            state_file=Path(args.state) if args.state else None,
            faults=Faults.mixed(args.fault_rate),
            rate_limit=args.rate_limit,
            operation_seconds=args.operation_seconds,
        )
    except (ValueError, OSError) as error:
        print(f"sandbox edge: {error}", file=sys.stderr)
        return 2
    server.serve(edge, args.port, verbose=not args.quiet)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Local stand-ins for the outside world: a legacy force website, the platform, its ingress, "
        "Optimizely CMS.",
    )
    sites = parser.add_subparsers(dest="site", required=True, metavar="SITE")
    legacy = sites.add_parser(
        "legacy-site",
        help="serve a fictional old force website, with the faults real ones have, on 127.0.0.1",
        description="Serve the Demoshire Police legacy website (the demo spec's legacy_site) on 127.0.0.1 until "
        "Ctrl-C: SharePoint-style .aspx pages, deterministic from --seed, with broken links, redirects, duplicate "
        "URLs, windows-1252 pages, an enormous page, an endless calendar, slow pages and intermittent 500s.",
    )
    legacy.add_argument("--pages", type=int, default=500, metavar="N", help="content pages, 50 to 50000 (default 500)")
    legacy.add_argument("--port", type=int, default=8081, metavar="P", help="port on 127.0.0.1 (default 8081)")
    legacy.add_argument("--seed", type=int, default=0, metavar="S", help="same seed, same site (default 0)")
    legacy.add_argument("--no-faults", action="store_true", help="a clean site, for benchmarks: no faults at all")
    legacy.add_argument(
        "--fault-rate", type=float, default=0.05, metavar="R", help="share of URLs whose first request answers 500"
    )
    legacy.add_argument("--slow-ms", type=int, default=1500, metavar="MS", help="delay of slow pages (default 1500)")
    legacy.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="server think time added to every answer, as a real CMS and network take (default 0; faults or not)",
    )
    legacy.add_argument("--quiet", action="store_true", help="do not log each request")
    legacy.set_defaults(func=_legacy_site)
    platform = sites.add_parser(
        "platform",
        help="serve a sandbox of the Single Online Home platform: its admin API and every tenant's site",
        description="Serve the platform's admin API (schemas/platform-api.yaml) on 127.0.0.1 until Ctrl-C, kept in a "
        "SQLite file, and each tenant's site from what was published to it: previews at /preview/<tenant>/, "
        "domains by the Host header. The API token is read from an environment variable, never from the command line.",
    )
    platform.add_argument("--port", type=int, default=8082, metavar="P", help="port on 127.0.0.1 (default 8082)")
    platform.add_argument(
        "--data", default=str(SANDBOX_DATA / "platform.sqlite3"), metavar="FILE", help="the SQLite file"
    )
    platform.add_argument(
        "--token-env", default="SOH_SANDBOX_PLATFORM_TOKEN", metavar="VAR", help="environment variable with the token"
    )
    platform.add_argument("--error-rate", type=float, default=0.0, metavar="R", help="share of API calls answering 500")
    platform.add_argument("--throttle-rate", type=float, default=0.0, metavar="R", help="share answering 429")
    platform.add_argument(
        "--timeout-rate", type=float, default=0.0, metavar="R", help="share processed but answered too late"
    )
    platform.add_argument("--slow-rate", type=float, default=0.0, metavar="R", help="share answered slowly")
    platform.add_argument("--retry-after", type=int, default=1, metavar="S", help="Retry-After of the 429s (seconds)")
    platform.add_argument(
        "--stall-seconds", type=float, default=3.0, metavar="S", help="how long a 'timeout' holds its answer back"
    )
    platform.add_argument(
        "--cms",
        default=None,
        metavar="URL",
        help="render each tenant whose start page this Optimizely CMS holds from there (the sandbox CMS's URL)",
    )
    platform.add_argument("--cms-client-id", default="soh-onboarding", metavar="ID", help="the CMS's OAuth client")
    platform.add_argument(
        "--cms-secret-env", default="SOH_SANDBOX_CMS_SECRET", metavar="VAR", help="environment variable with its secret"
    )
    platform.add_argument("--quiet", action="store_true", help="do not log each request")
    platform.set_defaults(func=_platform)
    ingress = sites.add_parser(
        "ingress",
        help="serve a sandbox of the platform's DNS and TLS ingress in front of the sandbox platform",
        description="Serve on 127.0.0.1 until Ctrl-C: a DNS server answering for the sandbox platform's tenant "
        "domains (A 127.0.0.1, CAA, and the SPF/MX/DMARC records of a domain that sends no mail), and HTTP + HTTPS "
        "forwarding by Host to the platform, with certificates from a local CA made in --dir at first start. "
        "Prints the SOH_GOLIVE_* variables that point the go-live checks at it.",
    )
    ingress.add_argument("--platform-port", type=int, default=8082, metavar="P", help="the sandbox platform's port")
    ingress.add_argument(
        "--data", default=str(SANDBOX_DATA / "platform.sqlite3"), metavar="FILE", help="its SQLite file"
    )
    ingress.add_argument("--dir", default=str(SANDBOX_DATA / "ingress"), metavar="DIR", help="where the CA is kept")
    ingress.add_argument("--dns-port", type=int, default=8053, metavar="P", help="DNS, UDP and TCP (default 8053)")
    ingress.add_argument("--http-port", type=int, default=8083, metavar="P", help="HTTP (default 8083)")
    ingress.add_argument("--https-port", type=int, default=8443, metavar="P", help="HTTPS (default 8443)")
    ingress.add_argument(
        "--edge-state", default=None, metavar="FILE", help="the sandbox edge's state file: serve what the edge says"
    )
    ingress.add_argument(
        "--logpush",
        default=None,
        metavar="DIR",
        help="log each answer to a tenant's host as Logpush JSON lines in DIR/<tenant>/<YYYYMMDD>/edge.log",
    )
    ingress.add_argument("--quiet", action="store_true", help="do not print the SOH_GOLIVE_* variables")
    ingress.set_defaults(func=_ingress)
    cms = sites.add_parser(
        "cms",
        help="serve a sandbox of Optimizely CMS: its token endpoint and Content Management API",
        description="Serve Optimizely CMS's OAuth token endpoint, Content Management API and the Content Delivery "
        "API's children listing (schemas/optimizely-cma.yaml) on 127.0.0.1 until Ctrl-C, and published media at "
        "/globalassets/, on a content tree in memory (or kept in --state). The client's secret is read from an "
        "environment variable, never from the command line.",
    )
    cms.add_argument("--port", type=int, default=8084, metavar="P", help="port on 127.0.0.1 (default 8084)")
    cms.add_argument("--state", default=None, metavar="FILE", help="a JSON file keeping the tree across restarts")
    cms.add_argument("--client-id", default="soh-onboarding", metavar="ID", help="the OAuth client's id")
    cms.add_argument(
        "--secret-env", default="SOH_SANDBOX_CMS_SECRET", metavar="VAR", help="environment variable with its secret"
    )
    _fault_rate(cms)
    cms.add_argument("--quiet", action="store_true", help="do not log each request")
    cms.set_defaults(func=_cms)
    edge = sites.add_parser(
        "edge",
        help="serve a sandbox of the platform's edge: Cloudflare's API v4 for DNS, settings, rules and lists",
        description="Serve the part of Cloudflare's API v4 the edge adapter uses (schemas/cloudflare-api.yaml) on "
        "127.0.0.1 until Ctrl-C, for one account holding the --zone zones, its state kept in --state. The API token "
        "is read from an environment variable, never from the command line. The sandbox ingress serves what its "
        "state says (DNS records, Bulk Redirects, response headers).",
    )
    edge.add_argument("--port", type=int, default=8085, metavar="P", help="port on 127.0.0.1 (default 8085)")
    edge.add_argument("--zone", action="append", default=[], metavar="NAME", help="a zone the account holds (repeat)")
    edge.add_argument(
        "--zones-from", default=None, metavar="DIR", help="also the zones of the domains the force specs in DIR name"
    )
    edge.add_argument("--state", default=None, metavar="FILE", help="a JSON file keeping the state across restarts")
    edge.add_argument(
        "--token-env", default="SOH_SANDBOX_EDGE_TOKEN", metavar="VAR", help="environment variable with the token"
    )
    _fault_rate(edge)
    edge.add_argument(
        "--rate-limit", type=int, default=1200, metavar="N", help="requests per five minutes (Cloudflare's), 0 for none"
    )
    edge.add_argument(
        "--operation-seconds", type=float, default=0.2, metavar="S", help="how long a list's bulk operation runs"
    )
    edge.add_argument("--quiet", action="store_true", help="do not log each request")
    edge.set_defaults(func=_edge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
