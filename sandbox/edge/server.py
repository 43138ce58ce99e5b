"""The sandbox edge: its state, its web app (Cloudflare API v4 under /client/v4), and how to run it.

`start(edge)` serves it from a background thread for tests (a context manager; port 0 picks a free port);
`serve(edge, port)` in the foreground until Ctrl-C (the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from fastapi import FastAPI

from .. import serving
from ..platform.faults import FaultMiddleware, Faults
from ..serving import Running
from . import api
from .contract import Contract
from .state import OPERATION_SECONDS, EdgeState

ACCOUNT_ID = "5f3c1d2a9b8e4f6071a2b3c4d5e6f708"
"""The sandbox account's id (Cloudflare's are 32 hexadecimal characters)."""

PUBLIC_SUFFIXES = ("police.uk", "gov.uk", "org.uk", "co.uk", "uk", "localhost", "example", "test", "invalid")
"""Enough of the public suffix list for the specs' domains: a zone is one label under one of these."""


def zone_of(name: str) -> str:
    """The zone a domain would be registered as: soh.localhost for demo.soh.localhost, thamesvalley.police.uk
    for www.thamesvalley.police.uk."""
    labels = name.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        if ".".join(labels[start + 1 :]) in PUBLIC_SUFFIXES:
            return ".".join(labels[start:])
    return ".".join(labels[-2:])


def zones_in_specs(folder: Path) -> list[str]:
    """The zones of every tenant domain and old domain the force specs in `folder` name (the sandbox's
    account holds them all, as the platform's account would once each force delegated its zones)."""
    zones = set()
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue  # a broken spec gets no DAG: it needs no zone
        names = [
            *((data.get("tenant") or {}).get("domains") or []),
            *((data.get("go_live") or {}).get("old_domains") or []),
        ]
        zones.update(zone_of(str(name)) for name in names)
    return sorted(zones)


@dataclass
class SandboxEdge:
    """A Cloudflare account: its zones, the API token it accepts, its rate limit and its fault mode."""

    zones: list[str] = field(default_factory=list)
    token: str = "sandbox-edge-token"
    account_id: str = ACCOUNT_ID
    state_file: Path | None = None
    faults: Faults = field(default_factory=Faults)
    rate_limit: int = 1200
    """Requests per `rate_window` seconds (Cloudflare's global limit: 1,200 per five minutes); 0 for none."""
    rate_window: float = 300.0
    operation_seconds: float = OPERATION_SECONDS
    """How long a bulk operation on a list's items stays pending, then running."""
    rule_limits: dict[str, int] | None = None
    """Rules per zone entrypoint by phase, as the account's plan allows (state.RULE_LIMITS by default)."""

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("the API token must not be empty")
        if self.operation_seconds < 0:
            raise ValueError("a bulk operation cannot take less than no time")
        self.store = EdgeState(self.account_id, self.zones, self.state_file, self.operation_seconds, self.rule_limits)
        self.limit = api.RateLimit(self.rate_limit, self.rate_window)

    def app(self) -> FastAPI:
        app = FastAPI(title="Cloudflare API v4 (sandbox)", docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(api.build_router(self.store, lambda: self.token, self.limit, Contract()))

        @app.get("/_sandbox/stats", include_in_schema=False)
        def stats() -> dict:
            """Sandbox only: what clients sent, and the faults served (tests and benchmarks read it)."""
            return self.store.stats.as_dict() | {"fault_mode": self.faults.as_dict()}

        api.add_fallback(app)
        app.add_middleware(
            FaultMiddleware,
            service=self,
            applies=lambda path: path.startswith(api.PREFIX + "/"),
            error_body=api.error_body,
        )
        return app


class RunningEdge(Running):
    """An edge served from a background thread: `.url`, `.api_url` (what the client's base_url is)."""

    def __init__(self, edge: SandboxEdge, port: int = 0, verbose: bool = False) -> None:
        self.edge = edge
        super().__init__(edge.app(), port, verbose, name="sandbox edge")
        self.api_url = f"{self.url}{api.PREFIX}"


def start(edge: SandboxEdge, port: int = 0, verbose: bool = False) -> RunningEdge:
    return RunningEdge(edge, port, verbose)


def serve(edge: SandboxEdge, port: int, verbose: bool = True) -> None:
    """Serve in the foreground until interrupted, saying where."""
    banner = (
        f"Sandbox edge (Cloudflare API v4) on http://127.0.0.1:{port}{api.PREFIX}/ (account {edge.account_id}, "
        f"zones {', '.join(edge.zones) or 'none'}; state in {edge.state_file or 'memory'}; Ctrl-C to stop)"
    )
    serving.serve(edge.app(), port, banner, verbose)
