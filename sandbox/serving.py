"""Serving a sandbox's ASGI app from a background thread (tests, benchmarks, bin/run's helpers)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi.routing import APIRoute
from starlette.routing import Match


class Running:
    """An app served on 127.0.0.1 from a daemon thread: `.port`, `.url` (no trailing slash), `.stop()`.
    Port 0 picks a free port; the socket is bound before the thread starts, so `.url` is right at once."""

    def __init__(self, app: Any, port: int = 0, verbose: bool = False, name: str = "sandbox") -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="info" if verbose else "warning", access_log=verbose, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the {name} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def allowed_methods(app: Any, scope: dict[str, Any], prefix: str) -> list[str]:
    """The methods the app's API routes under `prefix` answer at this request's path: a fallback answers
    405 with them (Allow) when there are some, else 404."""
    return sorted(
        method
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith(prefix) and route.matches(scope)[0] == Match.PARTIAL
        for method in route.methods
    )


def serve(app: Any, port: int, banner: str, verbose: bool = True) -> None:
    """Serve `app` on 127.0.0.1:port in the foreground until Ctrl-C, first saying where (`banner`)."""
    print(banner, flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info" if verbose else "warning", access_log=verbose)
