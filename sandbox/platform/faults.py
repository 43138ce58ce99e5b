"""The fault mode: the admin API misbehaves as a busy supplier's does, on a share of requests.

Four kinds, drawn per request from a seeded generator (the health check is never faulted, and neither
are the tenants' sites, which audits read):

- error:    500 before the request is processed (nothing changed);
- throttle: 429 with Retry-After, before processing;
- timeout:  the request IS processed, then the answer is held back `stall_seconds` (longer than a client's
            read timeout): the client cannot know whether its write landed, which is what idempotency
            keys are for;
- slow:     the answer comes after `slow_seconds`, processed normally.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .store import Stats

KINDS = ("error", "throttle", "timeout", "slow")


@dataclass
class Faults:
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    timeout_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.5
    stall_seconds: float = 3.0
    retry_after: int = 1
    seed: int = 0
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.throttle_rate, self.timeout_rate, self.slow_rate)
        if any(not 0 <= rate <= 1 for rate in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be between 0 and 1 and add up to at most 1")
        if self.slow_seconds < 0 or self.stall_seconds < 0 or self.retry_after < 0:
            raise ValueError("fault delays must not be negative")
        self._random = random.Random(self.seed)

    @classmethod
    def mixed(cls, rate: float, **options: Any) -> Faults:
        """`rate` of requests fail, split evenly between 500s, 429s and timeouts."""
        share = rate / 3
        return cls(error_rate=share, throttle_rate=share, timeout_rate=share, **options)

    @property
    def active(self) -> bool:
        return any((self.error_rate, self.throttle_rate, self.timeout_rate, self.slow_rate))

    def draw(self) -> str | None:
        with self._lock:
            roll = self._random.random()
        for kind, rate in zip(
            KINDS, (self.error_rate, self.throttle_rate, self.timeout_rate, self.slow_rate), strict=True
        ):
            if roll < rate:
                return kind
            roll -= rate
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rate,
            "throttle_rate": self.throttle_rate,
            "timeout_rate": self.timeout_rate,
            "slow_rate": self.slow_rate,
            "slow_seconds": self.slow_seconds,
            "stall_seconds": self.stall_seconds,
            "retry_after": self.retry_after,
            "seed": self.seed,
        }


def admin_api(path: str) -> bool:
    """The platform façade's admin API, its health check excepted."""
    return path.startswith("/api/v1/") and path != "/api/v1/health"


def detail_body(status: int, message: str) -> dict[str, Any]:
    """The façade's error body (FastAPI's)."""
    return {"detail": message}


class FaultMiddleware:
    """ASGI middleware applying a sandbox's current `faults` to the requests `applies` to, answering the
    error and throttle faults with `error_body` (each vendor's API has its own error shape).

    `service` is anything with `faults` (Faults) and `store.stats` (Stats): the platform, the edge, the CMS."""

    def __init__(
        self,
        app: Any,
        service: Any,
        applies: Callable[[str], bool] = admin_api,
        error_body: Callable[[int, str], dict[str, Any]] = detail_body,
    ) -> None:
        self.app, self.service, self.applies, self.error_body = app, service, applies, error_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.applies(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        faults: Faults = self.service.faults
        kind = faults.draw() if faults.active else None
        stats: Stats = self.service.store.stats
        if kind:
            stats.faults[kind] += 1
        if kind == "error":
            await _reply(send, 500, self.error_body(500, "Internal Server Error (sandbox fault mode)"))
        elif kind == "throttle":
            await _reply(
                send,
                429,
                self.error_body(429, "Too many requests"),
                [(b"retry-after", str(faults.retry_after).encode())],
            )
        elif kind == "timeout":
            held: list[dict] = []

            async def hold(message: dict) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(faults.stall_seconds)
            try:
                for message in held:
                    await send(message)
            except OSError:  # the client gave up long ago
                pass
        else:
            if kind == "slow":
                await asyncio.sleep(faults.slow_seconds)
            await self.app(scope, receive, send)


async def _reply(send: Any, status: int, body: dict, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": payload})
