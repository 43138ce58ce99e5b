"""The sandbox CMS: its state, its web app, and how to run it.

`start(cms)` serves it from a background thread for tests (a context manager; port 0 picks a free port);
`serve(cms, port)` in the foreground until Ctrl-C (the CLI).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Match

from sandbox import serving
from sandbox.platform.faults import FaultMiddleware, Faults
from sandbox.platform.store import Stats
from sandbox.serving import Running

from . import api
from .auth import Tokens
from .model import ROOT_ID, Tree
from .problems import Problem, problem_body


@dataclass
class SandboxCMS:
    """A CMS: one OAuth client it knows, the lifetime of its tokens, its content tree and its fault mode."""

    client_id: str = "soh-onboarding"
    client_secret: str = field(default="sandbox-secret", repr=False)
    token_lifetime: float = 3600.0
    faults: Faults = field(default_factory=Faults)
    state_file: Path | None = None
    """Where the tree is kept across restarts (bin/run); None: in memory only."""

    def __post_init__(self) -> None:
        self.tokens = Tokens(self.client_id, self.client_secret, self.token_lifetime)
        self.tree = Tree()
        self.store = SimpleNamespace(stats=Stats())  # what FaultMiddleware counts faults in
        self._dirty = threading.Event()
        if self.state_file is not None and self.state_file.exists():
            try:
                self.tree.restore(json.loads(self.state_file.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{self.state_file}: not a sandbox CMS state file ({error}); move it away") from None
        if self.state_file is not None:
            threading.Thread(target=self._keep, name="sandbox CMS state", daemon=True).start()

    def changed(self) -> None:
        """A write was answered: the state file is saved within a second (whole writes only, never torn)."""
        self._dirty.set()

    def save(self) -> None:
        if self.state_file is None:
            return
        self._dirty.clear()
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.tree.dump()), encoding="utf-8")
        temporary.replace(self.state_file)

    def _keep(self) -> None:
        """Save at most once a second while writes come in: a save per write would rewrite the whole tree
        for every page of a publish."""
        while True:
            self._dirty.wait()
            time.sleep(1.0)
            self.save()

    def app(self) -> FastAPI:
        return create_app(self)

    def paths(self) -> Counter[str]:
        """How many items the tree holds at each path below the root (sandbox only: a duplicate shows as 2)."""
        return Counter("/" + "/".join(self.tree.path_of(item)) + "/" for item in self.tree if item.id != ROOT_ID)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def _methods(route: APIRoute, request: Request) -> set[str]:
    """The methods of `route` if it matches the request's path (Starlette's partial match)."""
    return set(route.methods) if route.matches(request.scope)[0] == Match.PARTIAL else set()


def _applies(path: str) -> bool:
    return path.startswith(f"{api.PREFIX}/")


def create_app(cms: SandboxCMS) -> FastAPI:
    app = FastAPI(title="Optimizely CMS (sandbox)", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(api.build_router(cms))

    @app.get("/_sandbox/stats", include_in_schema=False)
    def stats() -> dict:
        """Sandbox only: what clients sent, and the faults served."""
        return cms.store.stats.as_dict() | {"fault_mode": cms.faults.as_dict(), "tokens": cms.tokens.issued_count}

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return Problem(404, "Not Found").response()

    @app.api_route(f"{api.PREFIX}/{{rest:path}}", methods=list(METHODS), include_in_schema=False)
    def no_operation(rest: str, request: Request) -> JSONResponse:
        """A path and method no operation answers: 405 listing every method the path has, as ASP.NET Core's
        routing does (Starlette would name only its first route's), or 404."""
        allowed = sorted({m for r in app.routes if isinstance(r, APIRoute) for m in _methods(r, request)})
        if allowed:
            answer = Problem(405, "Method Not Allowed").response()
            answer.headers["Allow"] = ", ".join(allowed)
            return answer
        return Problem(404, "Not Found").response()

    app.add_middleware(FaultMiddleware, service=cms, applies=_applies, error_body=problem_body)
    return app


class RunningCMS(Running):
    """A CMS served from a background thread: `.url`, `.stop()`."""

    def __init__(self, cms: SandboxCMS, port: int = 0, verbose: bool = False) -> None:
        self.cms = cms
        super().__init__(cms.app(), port, verbose, name="sandbox CMS")

    def stop(self) -> None:
        super().stop()
        self.cms.save()


def start(cms: SandboxCMS, port: int = 0, verbose: bool = False) -> RunningCMS:
    return RunningCMS(cms, port, verbose)


def serve(cms: SandboxCMS, port: int, verbose: bool = True) -> None:
    """Serve in the foreground until interrupted, saying where."""
    banner = (
        f"Sandbox Optimizely CMS on http://127.0.0.1:{port}/ (token /api/episerver/connect/token, Content Management "
        f"API /api/episerver/v3.0/contentmanagement; state in {cms.state_file or 'memory'}; Ctrl-C to stop)"
    )
    try:
        serving.serve(cms.app(), port, banner, verbose)
    finally:
        cms.save()
