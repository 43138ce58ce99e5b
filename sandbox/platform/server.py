"""The sandbox platform: its state, its web app (admin API + tenant sites), and how to run it.

`start(platform)` serves it from a background thread for tests (a context manager; port 0 picks a free
port); `serve(platform, port)` in the foreground until Ctrl-C (the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .. import serving
from ..serving import Running, allowed_methods
from . import api, site
from .cms_source import CmsSource
from .faults import FaultMiddleware, Faults
from .store import Store

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "config" / "services.yaml"


def load_catalogue(path: Path = CATALOGUE) -> dict[str, dict[str, Any]]:
    """The platform's services: the national catalogue's id, name, description and path."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        s["id"]: {"id": s["id"], "name": s["name"], "description": s["description"], "path": s["path"]}
        for s in data["services"]
    }


@dataclass
class SandboxPlatform:
    """A platform: its SQLite file, the API token it accepts, and its current fault mode."""

    database: Path | str = ":memory:"
    token: str = "sandbox-token"
    faults: Faults = field(default_factory=Faults)
    catalogue: dict[str, dict[str, Any]] = field(default_factory=load_catalogue)
    cms: CmsSource | None = None
    """The CMS the sites are rendered from, for the tenants whose start page it holds (cms_source.py)."""

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("the API token must not be empty")
        self.store = Store(self.database)

    def content_of(self, tenant_id: str) -> Store | CmsSource:
        """Where a tenant's pages and media are read from: the CMS when it holds the tenant's start page (the
        environment's content is Optimizely), else what the admin API stored (the façade's own content)."""
        return self.cms if self.cms is not None and self.cms.holds(tenant_id) else self.store

    def app(self) -> FastAPI:
        return create_app(self)


def create_app(platform: SandboxPlatform) -> FastAPI:
    app = FastAPI(
        title="Single Online Home platform admin API (sandbox)",
        version=api.VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.include_router(api.build_router(platform))

    @app.get("/_sandbox/stats", include_in_schema=False)
    def stats() -> dict:
        """Sandbox only: what clients sent, and the faults served (tests and benchmarks read it)."""
        return platform.store.stats.as_dict() | {"fault_mode": platform.faults.as_dict()}

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": getattr(exc, "detail", "Not Found")}, status_code=404)

    @app.api_route(
        "/api/{rest:path}",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        include_in_schema=False,
    )
    def api_fallback(rest: str, request: Request) -> JSONResponse:
        """An API path no operation answers: 405 when another method would, else 404 (never a site page)."""
        allowed = allowed_methods(app, request.scope, "/api/v1/")
        if allowed:
            return JSONResponse(
                {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": ", ".join(allowed)}
            )
        return JSONResponse({"detail": "Not Found"}, status_code=404)

    app.include_router(site.build_router(platform))
    app.add_middleware(FaultMiddleware, service=platform)
    return app


class RunningPlatform(Running):
    """A platform served from a background thread: `.url` (no trailing slash), `.api_url`, `.stop()`."""

    def __init__(self, platform: SandboxPlatform, port: int = 0, verbose: bool = False) -> None:
        self.platform = platform
        super().__init__(platform.app(), port, verbose, name="sandbox platform")
        self.api_url = f"{self.url}/api/v1"

    def preview_url(self, tenant_id: str) -> str:
        return f"{self.url}/preview/{tenant_id}/"


def start(platform: SandboxPlatform, port: int = 0, verbose: bool = False) -> RunningPlatform:
    return RunningPlatform(platform, port, verbose)


def serve(platform: SandboxPlatform, port: int, verbose: bool = True) -> None:
    """Serve in the foreground until interrupted, saying where."""
    faults = platform.faults
    mode = (
        f"fault mode: 500s {faults.error_rate:.0%}, 429s {faults.throttle_rate:.0%}, timeouts {faults.timeout_rate:.0%}, "
        f"slow {faults.slow_rate:.0%}"
        if faults.active
        else "no faults"
    )
    banner = (
        f"Sandbox platform on http://127.0.0.1:{port}/ (admin API /api/v1/, previews /preview/<tenant>/; "
        f"data in {platform.database}; {mode}; Ctrl-C to stop)"
    )
    serving.serve(platform.app(), port, banner, verbose)
