"""The client of the platform's admin API (schemas/platform-api.yaml).

The supplier's API is shared by every force's run and fails as busy services do, so every call has a
connect and a read timeout and is retried on connection errors, timeouts, 429 and 5xx, with exponential
backoff and jitter, waiting at least what a 429's Retry-After asks. Batch writes carry an Idempotency-Key
that stays the same across the retries of one call: a write whose answer was lost is not applied twice.

The token comes from the Airflow Connection `soh_platform` (glue.runtime.platform_client) or, outside
Airflow, from the environment (SOH_PLATFORM_URL, SOH_PLATFORM_TOKEN). It is sent only in the
Authorization header and never appears in a message, a repr or an artifact. It goes only where the URL
says and only encrypted off this machine:

- the URL must be https://, or plain http:// to loopback (127.0.0.0/8, ::1, localhost: the sandbox), checked
  when the Credentials are made, before any request; a plain-http loopback client ignores the
  environment's proxy settings (an HTTP_PROXY would otherwise receive the request, token and all);
- no redirect is followed, to another host or the same one: the contract has none, so a 3xx means a
  wrong URL or someone else's server, and following it would send the token (requests drops the header
  on a cross-host redirect by itself, but still makes the request, and turns a redirected POST into a
  GET); the error names where it pointed;
- what a server answers goes into an error or a log only through redact.redact (a server echoing the
  request's headers would otherwise put the token into the task log).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import quote, urljoin, urlsplit

import requests

from ..environment import required
from ..redact import redact

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
URL_ENV, TOKEN_ENV = "SOH_PLATFORM_URL", "SOH_PLATFORM_TOKEN"


class PlatformError(Exception):
    """The platform refused a call, or kept failing until the client gave up."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Credentials:
    """Where the API is and the token it wants (kept out of repr, so out of logs and tracebacks)."""

    base_url: str
    token: str = field(repr=False)

    def __post_init__(self) -> None:
        check_url(self.base_url)
        if not self.token:
            raise PlatformError("the platform's API token is empty")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Credentials:
        env = required((URL_ENV, TOKEN_ENV), "the platform's API", "soh_platform", PlatformError, environ)
        return cls(env[URL_ENV], env[TOKEN_ENV])


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine for certain: 127.0.0.0/8, ::1 or localhost (not a name that merely
    starts so, as 127.0.0.1.example does)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Service:
    """Whose URL check_url checks, for its messages: what to call it, where its URL and secret are set, and
    the exception its client raises."""

    name: str = "the platform"
    url_setting: str = "SOH_PLATFORM_URL, or the Connection soh_platform's schema https"
    secret_setting: str = "SOH_PLATFORM_TOKEN, or the Connection soh_platform's password"
    error: type[Exception] = PlatformError


def check_url(url: str, service: Service = Service()) -> None:
    """Refuse a URL that would send the token (or any secret) where it should not go (see the module's doc)."""
    name, error = service.name, service.error
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise error(f"{name}'s URL is not a URL (a bracket or a port out of place)") from None
    if parts.username or parts.password:
        raise error(
            f"{name}'s URL must not hold a user name or password: give the secret where secrets go "
            f"({service.secret_setting})"
        )
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise error(f"{name}'s URL must start with http:// or https://, not {url!r}")
    if not host:
        raise error(f"{name}'s URL names no host: {url!r}")
    if scheme == "http" and not is_loopback(host):
        raise error(
            f"{name}'s URL {url!r} is plain http:// to {host}, which is not this machine: the token would "
            f"cross the network unencrypted. Use https://{parts.netloc}{parts.path} ({service.url_setting}); "
            "plain http:// is only for loopback (127.0.0.0/8, ::1, localhost), as the sandbox is"
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How the client rides out the platform's faults (5xx, 429, timeouts): at most `attempts` tries."""

    attempts: int = 8
    backoff_seconds: float = 0.5  # the first wait; doubled after each failed try ...
    backoff_max_seconds: float = 30.0  # ... up to this
    retry_after_max_seconds: float = (
        120.0  # a 429's Retry-After is honoured up to this, so a bad header cannot stall us
    )
    connect_timeout: float = 5.0
    read_timeout: float = 60.0  # a batch of 250 pages can take the platform a while to write

    def backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter so that many clients do not retry in step."""
        ceiling = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: what a redirect must keep to stay on the same server."""
    parts = urlsplit(url)
    return (
        parts.scheme.lower(),
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower()),
    )


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: an integer, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def content_hash(page: dict[str, Any]) -> str:
    """The contract's content hash of a page (see the contract's description): sha256 of the canonical
    JSON of path, title, summary, body_html, content_type and published."""
    fields = {
        "path": page["path"],
        "title": page["title"],
        "summary": page.get("summary") or "",
        "body_html": page["body_html"],
        "content_type": page.get("content_type") or "page",
        "published": page.get("published"),
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class CallStats:
    """What the client did: calls made, retries by reason, time spent waiting."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    waited_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "retries": dict(self.retries),
            "waited_seconds": round(self.waited_seconds, 2),
        }


def send_with_retries(
    policy: RetryPolicy,
    operation: str,
    send: Callable[[], requests.Response],
    *,
    stats: CallStats,
    method: str,
    detail: Callable[[requests.Response], str],
    sleep: Callable[[float], None],
    error: Callable[[str], Exception] = PlatformError,
) -> requests.Response:
    """`send` until it answers with anything but a retried status (RETRY_STATUSES), or the policy's attempts
    are spent: connection errors and timeouts are retried with backoff, a 429 waits at least its Retry-After.
    Shared by every vendor's client, so they all ride out faults alike; `detail` says what a refusal said
    (redacted by the caller), `error` is the caller's exception for giving up."""
    for attempt in range(1, policy.attempts + 1):
        stats.calls[method] += 1
        said = ""  # what the last answer said, for the error when the client gives up
        try:
            reply = send()
        except requests.Timeout:
            reason, wait = "timeout", policy.backoff(attempt)
        except requests.ConnectionError:
            reason, wait = "connection error", policy.backoff(attempt)
        else:
            if reply.status_code not in RETRY_STATUSES:
                return reply
            reason, said = str(reply.status_code), detail(reply)
            asked = retry_after_seconds(reply.headers.get("Retry-After"))
            wait = policy.backoff(attempt)
            if asked is not None:
                wait = max(wait, min(asked, policy.retry_after_max_seconds))
        if attempt == policy.attempts:
            raise error(f"{operation}: gave up after {attempt} attempts (last: {reason}){f': {said}' if said else ''}")
        stats.retries[reason] += 1
        stats.waited_seconds += wait
        log.info("%s: %s%s; retry %d in %.1fs", operation, reason, f" ({said})" if said else "", attempt, wait)
        sleep(wait)
    raise AssertionError("unreachable")


class SessionClient:
    """What every vendor's client shares: one requests Session to one base URL, which ignores the
    environment's proxy settings and .netrc on plain-http loopback (check_url allows nothing else in plain
    http), closed by `with`; its repr names the URL and nothing secret; its retry policy, call statistics
    and the sleep its retries wait with (a test's fake clock)."""

    DEFAULT_POLICY = RetryPolicy()

    def __init__(
        self,
        credentials: Any,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`credentials` has the `base_url`; `headers(credentials)` says what every request carries."""
        self.policy, self.stats, self._sleep = policy or self.DEFAULT_POLICY, CallStats(), sleep
        self.base_url = credentials.base_url.rstrip("/")
        headers = self.headers(credentials)
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": "soh-onboarding/1"} | headers)
        if urlsplit(self.base_url).scheme.lower() == "http":
            self._session.trust_env = False

    def headers(self, credentials: Any) -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PlatformClient(SessionClient):
    """One requests Session to the admin API; each method is one operation of the contract."""

    def __init__(self, credentials: Credentials, *args: Any, **options: Any) -> None:
        super().__init__(credentials, *args, **options)
        self._secrets = (credentials.token,)

    def headers(self, credentials: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {credentials.token}"}

    # --- the transport -------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = False,
    ) -> Any:
        """One operation, retried until it answers or the policy's attempts are spent."""
        url = f"{self.base_url}{API_PREFIX}{path}"
        headers = {"Idempotency-Key": f"soh-{uuid.uuid4().hex}"} if idempotent else {}
        operation = f"{method} {API_PREFIX}{path}"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        reply = send_with_retries(
            self.policy,
            operation,
            lambda: self._session.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                allow_redirects=False,
            ),
            stats=self.stats,
            method=method,
            detail=self._detail,
            sleep=self._sleep,
        )
        return self._answer(operation, reply)

    def _answer(self, operation: str, reply: requests.Response) -> Any:
        status = reply.status_code
        if 300 <= status < 400:
            target = urljoin(reply.url, reply.headers.get("Location", ""))
            elsewhere = _origin(target) != _origin(reply.url)
            raise PlatformError(
                f"{operation}: {status} redirect to {self._redact(target)}"
                + (" (another host: scheme, host or port differ)" if elsewhere else "")
                + ", not followed, and nothing was sent there: the API never redirects, so point "
                "SOH_PLATFORM_URL or the Connection soh_platform at the API's own address",
                status,
            )
        if status < 400:
            return reply.json() if reply.content else None
        raise PlatformError(f"{operation}: {status} {self._detail(reply)}", status)

    def _detail(self, reply: requests.Response) -> str:
        """What a refusal says (the contract's `detail`, or the body), redacted: this is the only way a
        server's words get into an error or a log."""
        try:
            answer = reply.json()
        except ValueError:
            answer = None
        detail = answer.get("detail") if isinstance(answer, dict) else None
        if isinstance(detail, list):  # validation errors: where and what
            detail = "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}" if isinstance(d, dict) else str(d)
                for d in detail[:5]
            )
        return self._redact(reply.text if detail is None else str(detail))

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    # --- the operations ------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self.call("GET", "/health")

    def put_tenant(self, tenant_id: str, display_name: str) -> dict[str, Any]:
        return self.call("PUT", f"/tenants/{quote(tenant_id)}", body={"display_name": display_name})

    def get_tenant(self, tenant_id: str) -> dict[str, Any]:
        return self.call("GET", f"/tenants/{quote(tenant_id)}")

    def put_domains(self, tenant_id: str, domains: list[str]) -> dict[str, Any]:
        return self.call("PUT", f"/tenants/{quote(tenant_id)}/domains", body={"domains": domains})

    def put_branding(self, tenant_id: str, branding: dict[str, Any]) -> dict[str, Any]:
        return self.call("PUT", f"/tenants/{quote(tenant_id)}/branding", body=branding)

    def put_services(self, tenant_id: str, services: list[str]) -> dict[str, Any]:
        return self.call("PUT", f"/tenants/{quote(tenant_id)}/services", body={"services": services})

    def put_security_headers(self, tenant_id: str, headers: dict[str, Any]) -> dict[str, Any]:
        return self.call("PUT", f"/tenants/{quote(tenant_id)}/security-headers", body=headers)

    def set_state(self, tenant_id: str, state: str) -> dict[str, Any]:
        """The go-live switch ('live'), or back to 'preview'."""
        return self.call("PUT", f"/tenants/{quote(tenant_id)}/state", body={"state": state})

    def summary(self, tenant_id: str) -> dict[str, Any]:
        return self.call("GET", f"/tenants/{quote(tenant_id)}/summary")

    def publish(self, tenant_id: str, kind: str, upsert: list[dict], delete: list[str] = ()) -> dict[str, Any]:
        """One batch of pages, assets or redirects, applied whole or not at all; safe to retry."""
        assert kind in ("pages", "assets", "redirects")
        body = {"upsert": upsert, "delete": list(delete)}
        return self.call("POST", f"/tenants/{quote(tenant_id)}/{kind}/batch", body=body, idempotent=True)

    def listing(self, tenant_id: str, kind: str, page_size: int = 5000) -> Iterator[dict[str, Any]]:
        """Every page, asset or redirect on the platform (without bodies), in key order."""
        assert kind in ("pages", "assets", "redirects")
        after = ""
        while True:
            answer = self.call(
                "GET", f"/tenants/{quote(tenant_id)}/{kind}", params={"after": after, "limit": page_size}
            )
            yield from answer["items"]
            if not answer["next_after"]:
                return
            after = answer["next_after"]
