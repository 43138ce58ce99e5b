"""Fetching from a force's legacy website: polite, bounded, and never outside what the spec allows.

Every request goes through one Fetcher, which
- waits its turn on a rate limiter shared by all the crawler's threads (requests per second from the spec);
- follows redirects itself, one hop at a time, asking the scope at every hop whether the next URL may be
  fetched at all (a redirect to another domain or a private address is refused, not followed);
- checks the address of every connection it opens, after DNS: a host name that resolves to a private,
  loopback or link-local address is refused unless the spec allows it (the local sandbox does), the
  connection goes only to an address that passed (so a second DNS answer cannot rebind the name), and the
  peer the socket actually reached is checked once more;
- keeps each connection open for the next request to the same host (HTTP/1.1 keep-alive, one connection
  per crawl thread and host), so DNS, the address check and the TCP handshake are paid once per connection,
  not per request: a redirect to another host, or a connection the server closed, opens (and checks) a new one;
- gives each answer `timeout` seconds in all, connecting, the headers and the body together (see `Deadline`):
  a server that trickles a byte at a time is given up, reported as timed out, like one that says nothing;
- retries 5xx answers, timeouts and connection errors with exponential backoff;
- reads at most `max_bytes` of a body and says when it cut one short;
- connects to another address for the hosts the spec's `connect_to` names (as curl's --connect-to: the URL,
  the Host header and the TLS server name stay the public ones; the target address is the one checked, and
  such a host never goes through an environment proxy, since the spec says where it is).

The client is the standard library's http.client, one connection object per thread and host: a crawl makes
thousands of plain GETs, and a general-purpose client (requests) cost about six times more CPU per request
than this, which made the crawler, not the site, the bottleneck. Proxies from the environment are honoured
(plain HTTP through the proxy, HTTPS through a CONNECT tunnel); the proxy's own address is then the one checked.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from requests.utils import requote_uri

from ..urls import ConnectTo, address_problem, connect_target, resolve_and_check

USER_AGENT = "SOH-onboarding-crawler/0.1 (+National Single Online Home content migration)"
RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
DEFAULT_PORTS = {"http": 80, "https": 443}
# Errors that mean a kept-alive connection was closed by the server between two requests: the request is
# sent once more on a new connection, without counting as an attempt (every client does this).
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class AddressRefused(ConnectionError):
    """The connection would reach (or reached) an address the crawl may not touch."""


class Deadline:
    """When the answer to one request must have come in whole (connecting, the status line, the headers and
    the body), as a time.monotonic(): `seconds` after the request's turn came (the rate limiter's wait is not
    the server's), each attempt and each redirect hop a request of its own.

    A socket's timeout bounds each read, not the answer: a server sending a byte a second, each in time for
    the read waiting for it, would hold a crawl thread for as long as it liked. So every read of the answer
    gets only the time left (`DeadlineReader`), and a read that finds none raises TimeoutError, as a
    timed-out read does.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def expired(self) -> TimeoutError:
        return TimeoutError(f"timed out (no whole answer within {self.seconds:g} s)")

    def left(self) -> float:
        """The seconds left, for a socket's timeout (TimeoutError when none are: a timeout of 0 would not wait)."""
        left = self.until - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left


class DeadlineReader(io.RawIOBase):
    """A socket's bytes (its socket.makefile()'s), each read waiting at most for the time left before the
    answer's deadline.

    http.client reads the status line, the headers and a chunked or sized body all through the file it made
    of the socket; `_Answer` puts this one between. The file is kept, not read around, because it holds the
    socket open: a response that ends its connection (Connection: close) is read after the connection has
    let go of the socket.
    """

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: Deadline) -> None:
        super().__init__()
        self._raw, self._sock, self._deadline = raw, sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._deadline.left())
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            raise self._deadline.expired() from None

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Answer(http.client.HTTPResponse):
    """http.client's response, read through a DeadlineReader: the deadline is its connection's (`deadline`),
    set for each request."""

    def __init__(self, sock: socket.socket, *args: Any, connection: http.client.HTTPConnection, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        raw = self.fp.detach()  # the socket.makefile() http.client made, unbuffered, to be read through the deadline
        self.fp = io.BufferedReader(DeadlineReader(raw, sock, connection.deadline))  # type: ignore[attr-defined]


def guarded_connection(allow_private: bool, connect_to: ConnectTo | None = None) -> Callable[..., socket.socket]:
    """socket.create_connection, resolving and checking first, connecting only to addresses that passed
    (for a host in `connect_to`, to its target's addresses and port).

    `timeout` bounds the connecting as a whole, not each address tried: they share it, and the socket is
    left with what remains of it, so a TLS handshake after it (whose whole length the socket's timeout
    bounds) has only that. Resolving the name is the system resolver's, bounded by its own timeouts."""

    def connect(address: tuple[str, int], timeout: float, source_address: Any = None) -> socket.socket:
        host, port = address
        deadline = Deadline(timeout)
        decision = resolve_and_check(host, port, allow_private=allow_private, connect_to=connect_to)
        if not decision:
            raise AddressRefused(decision.reason)
        port = decision.port or port
        error: OSError | None = None
        for checked in decision.addresses:
            try:
                sock = socket.create_connection((checked, port), deadline.left(), source_address)
            except OSError as exc:
                error = exc
                continue
            peer = sock.getpeername()[0]  # and check once more what was really reached
            problem = address_problem(peer, allow_private=allow_private)
            if problem:
                sock.close()
                raise AddressRefused(f"{host} reached {problem}")
            try:
                sock.settimeout(deadline.left())
            except TimeoutError:
                sock.close()
                raise
            return sock
        raise error or OSError(f"could not connect to {host}")

    return connect


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
    last_modified: str = ""  # the Last-Modified header as sent (a document's publication date, for its checks)

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error


def _charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, as given (None when there is none)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            return value.strip(" \"'")
    return None


def _environment_proxies() -> dict[str, str]:
    """http/https proxies from the environment, read once per crawl (no_proxy honoured per host later)."""
    return {scheme: url for scheme, url in urllib.request.getproxies().items() if scheme in ("http", "https")}


@dataclass
class Fetcher:
    """One polite HTTP client for one crawl."""

    allowed: Callable[[str], str | None]  # returns why a URL may not be fetched, or None when it may
    requests_per_second: float
    timeout: float = 30.0  # seconds for a whole answer: connecting, headers and body (each attempt, each hop)
    max_bytes: int = 5 * 1024 * 1024
    allow_private: bool = False
    concurrency: int = 4
    retries: int = 3
    backoff: float = 0.5
    connect_to: ConnectTo = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.requests_per_second)
        self.proxies = _environment_proxies()
        self._connect = guarded_connection(self.allow_private, self.connect_to)
        self._local = threading.local()  # each crawl thread's open connections, by (scheme, host, port)
        self._all: list[http.client.HTTPConnection] = []
        self._all_lock = threading.Lock()

    def close(self) -> None:
        with self._all_lock:
            for connection in self._all:
                connection.close()
            self._all.clear()

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
            answer = self._request(current, result)
            if answer is None:
                result.final_url = current
                return result
            response, connection = answer
            location = response.getheader("Location")
            if response.status in REDIRECT_STATUSES and location:
                result.redirects.append((current, response.status))
                self._discard_body(response, connection)
                current = urljoin(current, location)
                if current in seen:
                    result.final_url, result.error = current, "redirect loop"
                    return result
                seen.add(current)
                continue
            content_type = response.getheader("Content-Type", "")
            result.final_url = current
            result.status = response.status
            result.content_type = content_type.split(";")[0].strip().lower()
            result.encoding = _charset(content_type)
            result.last_modified = response.getheader("Last-Modified", "").strip()
            try:
                result.body, result.truncated = self._read(response, connection)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                result.status, result.body, result.error = 0, b"", f"{type(exc).__name__}: {exc}"
            return result
        result.final_url, result.error = current, f"more than {MAX_REDIRECTS} redirects"
        return result

    # --- connections ------------------------------------------------------------------------------

    def _proxy_for(self, scheme: str, host: str, port: int) -> str | None:
        if connect_target(host, port, self.connect_to) != (host, port):
            return None  # the spec says where this host is: connected to directly
        proxy = self.proxies.get(scheme)
        return proxy if proxy and not urllib.request.proxy_bypass(host) else None

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        """This thread's open connection to (scheme, host, port), made (and checked) when there is none."""
        connections: dict[tuple[str, str, int], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "connections", {}
        )
        key = (scheme, host, port)
        connection = connections.get(key)
        if connection is None:
            proxy = self._proxy_for(scheme, host, port)
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            if proxy:
                parts = urlsplit(proxy)
                connection = kind(
                    parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 80), timeout=self.timeout
                )
                if scheme == "https":
                    connection.set_tunnel(host, port)
            else:
                connection = kind(host, port, timeout=self.timeout)
            connection._create_connection = self._connect  # type: ignore[attr-defined]
            connection.response_class = functools.partial(_Answer, connection=connection)  # type: ignore[assignment]
            connection.proxied = bool(proxy) and scheme == "http"  # type: ignore[attr-defined]
            connections[key] = connection
            with self._all_lock:
                self._all.append(connection)
        return connection

    def _forget(self, scheme: str, host: str, port: int) -> None:
        connection = self._local.__dict__.get("connections", {}).pop((scheme, host, port), None)
        if connection is not None:
            connection.close()
            with self._all_lock:
                if connection in self._all:
                    self._all.remove(connection)

    def _send(self, url: str) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or DEFAULT_PORTS.get(scheme, 80)
        target = requote_uri(parts.path or "/") + (f"?{requote_uri(parts.query)}" if parts.query else "")
        deadline = Deadline(self.timeout)  # a request sent again on a new connection (below) has no more time
        for fresh in (False, True):
            connection = self._connection(scheme, host, port)
            connection.deadline = deadline  # type: ignore[attr-defined]
            reused = connection.sock is not None
            try:
                if connection.sock is None:  # connecting (and a TLS handshake, a proxy's tunnel) within the deadline
                    connection.timeout = deadline.left()
                    connection.connect()
                connection.sock.settimeout(deadline.left())  # sending the request
                request_target = requote_uri(url.split("#")[0]) if connection.proxied else target  # type: ignore[attr-defined]
                connection.request("GET", request_target, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
                return connection.getresponse(), connection
            except _STALE:
                self._forget(scheme, host, port)
                if not reused or fresh:
                    raise
            except BaseException:
                self._forget(scheme, host, port)
                raise
        raise AssertionError("unreachable")

    # --- one request, with retries ----------------------------------------------------------------

    def _request(self, url: str, result: Fetched) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection] | None:
        for attempt in range(self.retries + 1):
            self.limiter.wait()
            result.attempts += 1
            try:
                response, connection = self._send(url)
            except AddressRefused as exc:
                result.error = f"refused: {exc}"
                return None
            except ValueError as exc:  # a URL no request can be made of (http.client.InvalidURL): not retried
                result.error = f"{type(exc).__name__}: {exc}"
                return None
            except (OSError, http.client.HTTPException) as exc:
                result.error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status not in RETRY_STATUSES or attempt == self.retries:
                    result.error = ""
                    return response, connection
                self._discard_body(response, connection)
                result.error = f"HTTP {response.status}"
                retry_after = response.getheader("Retry-After", "")
                if retry_after.isdigit():
                    time.sleep(min(float(retry_after), 30.0))
                    continue
            if attempt < self.retries:
                time.sleep(self.backoff * (2**attempt))
        return None

    def _discard_body(self, response: http.client.HTTPResponse, connection: http.client.HTTPConnection) -> None:
        """Read a small body to the end so the connection can carry the next request; close it otherwise."""
        try:
            length = response.length
            if length is not None and length <= 64 * 1024:
                response.read()
            else:
                connection.close()
        except (OSError, http.client.HTTPException):
            connection.close()

    def _read(self, response: http.client.HTTPResponse, connection: http.client.HTTPConnection) -> tuple[bytes, bool]:
        body = response.read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            connection.close()  # the rest of the body is never read: this connection cannot carry another request
            return body[: self.max_bytes], True
        if not response.isclosed():
            response.read()  # the end of the body (nothing left): lets the connection carry the next request
        if response.will_close:
            connection.close()
        return body, False
