"""Fetching from a force's legacy website: polite, bounded, and never outside what the spec allows.

Every request goes through one Fetcher, which
- waits its turn on a rate limiter shared by all the crawler's threads (requests per second from the spec);
- follows redirects itself, one hop at a time, asking the scope at every hop whether the next URL may be
  fetched at all (a redirect to another domain or a private address is refused, not followed);
- checks the address the connection actually reached, after DNS and after every redirect: a host name
  that resolves to a private, loopback or link-local address is refused unless the spec allows it
  (the local sandbox does), so DNS tricks cannot turn the crawler against the network it runs in;
- retries 5xx answers, timeouts and connection errors with exponential backoff;
- reads at most `max_bytes` of a body and says when it cut one short.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from .urls import address_problem, resolve_and_check

USER_AGENT = "SOH-onboarding-crawler/0.1 (+National Single Online Home content migration)"
RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})
MAX_REDIRECTS = 10


class AddressRefused(requests.ConnectionError):
    """The connection reached an address the crawl may not touch."""


def _refusal(exc: BaseException) -> AddressRefused | None:
    """The AddressRefused somewhere in what urllib3 and requests wrapped it in, if any."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if isinstance(item, AddressRefused):
            return item
        if isinstance(item, BaseException) and id(item) not in seen:
            seen.add(id(item))
            pending += [*item.args, item.__cause__, item.__context__, getattr(item, "reason", None)]
    return None


def _guarded(base: type[HTTPConnection]) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[misc, valid-type]
        allow_private = False

        def _new_conn(self) -> Any:
            # Resolve here and connect only to an address that passed: no packet ever goes to a refused
            # address, and the name cannot resolve somewhere else between the check and the connection.
            decision = resolve_and_check(self._dns_host, self.port, allow_private=self.allow_private)
            if not decision:
                raise AddressRefused(decision.reason)
            name = self._dns_host
            self._dns_host = decision.addresses[0]
            try:
                return super()._new_conn()
            finally:
                self._dns_host = name

        def connect(self) -> None:
            super().connect()
            peer = self.sock.getpeername()[0]  # and check once more what was really reached
            problem = address_problem(peer, allow_private=self.allow_private)
            if problem:
                self.sock.close()
                raise AddressRefused(f"{self.host} reached {problem}")

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    """requests' adapter whose connections check the peer address once connected (after DNS)."""

    def __init__(self, allow_private: bool, pool_size: int) -> None:
        self.allow_private = allow_private
        super().__init__(pool_connections=4, pool_maxsize=pool_size, max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: object) -> None:
        http, https = _guarded(HTTPConnection), _guarded(HTTPSConnection)
        http.allow_private = https.allow_private = self.allow_private

        class HTTPPool(HTTPConnectionPool):
            ConnectionCls = http

        class HTTPSPool(HTTPSConnectionPool):
            ConnectionCls = https

        self.poolmanager = PoolManager(num_pools=connections, maxsize=maxsize, block=block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}


class RateLimiter:
    """At most `per_second` requests a second across all threads: each waits for its own slot."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass
class Fetched:
    """What one URL gave, after redirects and retries."""

    url: str
    final_url: str = ""
    status: int = 0
    content_type: str = ""
    encoding: str | None = None
    body: bytes = b""
    redirects: list[tuple[str, int]] = field(default_factory=list)  # (url, status) of each hop left
    error: str = ""
    truncated: bool = False
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error


@dataclass
class Fetcher:
    """One polite HTTP client for one crawl."""

    allowed: Callable[[str], str | None]  # returns why a URL may not be fetched, or None when it may
    requests_per_second: float
    timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    allow_private: bool = False
    concurrency: int = 4
    retries: int = 3
    backoff: float = 0.5

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.requests_per_second)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        # Proxies from the environment are read once here, not on every request (requests' default re-reads
        # the environment each time, a tenth of the crawl's time); no .netrc credentials are ever sent.
        self.session.proxies = requests.utils.get_environ_proxies(
            "http://example.invalid/"
        ) | requests.utils.get_environ_proxies("https://example.invalid/")
        self.session.trust_env = False
        adapter = _GuardedAdapter(self.allow_private, self.concurrency)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def get(self, url: str) -> Fetched:
        """Fetch `url`, following redirects only where the scope allows."""
        result = Fetched(url)
        current = url
        seen = {url}
        for _ in range(MAX_REDIRECTS + 1):
            refusal = self.allowed(current)
            if refusal:
                result.final_url, result.error = current, f"refused: {refusal}"
                return result
            response = self._request(current, result)
            if response is None:
                result.final_url = current
                return result
            location = response.headers.get("Location")
            if response.is_redirect and location:
                result.redirects.append((current, response.status_code))
                response.close()
                current = urljoin(current, location)
                if current in seen:
                    result.final_url, result.error = current, "redirect loop"
                    return result
                seen.add(current)
                continue
            result.final_url = current
            result.status = response.status_code
            result.content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            result.encoding = (
                response.encoding if "charset" in response.headers.get("Content-Type", "").lower() else None
            )
            result.body, result.truncated = self._read(response)
            return result
        result.final_url, result.error = current, f"more than {MAX_REDIRECTS} redirects"
        return result

    def _request(self, url: str, result: Fetched) -> requests.Response | None:
        for attempt in range(self.retries + 1):
            self.limiter.wait()
            result.attempts += 1
            try:
                response = self.session.get(url, timeout=self.timeout, allow_redirects=False, stream=True)
            except requests.RequestException as exc:
                refused = _refusal(exc)
                if refused:
                    result.error = f"refused: {refused}"
                    return None
                result.error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                    result.error = ""
                    return response
                response.close()
                result.error = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    time.sleep(min(float(retry_after), 30.0))
                    continue
            if attempt < self.retries:
                time.sleep(self.backoff * (2**attempt))
        return None

    def _read(self, response: requests.Response) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:
                    return b"".join(chunks)[: self.max_bytes], True
        finally:
            response.close()
        return b"".join(chunks), False
