"""The client of Optimizely CMS's Content Management API (schemas/optimizely-cma.yaml), on which the
police's Single Online Home keeps each force's content.

Built from the vendor's published contract (docs/decisions/0010-optimizely-content-management-api.md),
never from our sandbox. The CMS is shared and sits behind Cloudflare, so it fails as busy services do:
every call goes through the platform client's `send_with_retries` (connect and read timeouts; connection
errors, timeouts, 429 and 5xx retried with backoff and jitter, at least a 429's Retry-After).

Authentication is OAuth 2 client credentials against the CMS's token endpoint
(/api/episerver/connect/token): the token is fetched on first use, fetched again shortly before it
expires, and once more when the CMS answers 401 anyway (a token revoked or expired early). The client
secret and the token go only into the token request's form and the Authorization header: never into a
repr, a log line or an error (every server text passes through redact with both). The URL must be https,
or plain http to loopback (client.check_url), and no redirect is followed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from urllib3 import encode_multipart_formdata

from ..environment import required
from ..redact import redact
from .client import PlatformError, RetryPolicy, Service, SessionClient, check_url, send_with_retries

log = logging.getLogger(__name__)

TOKEN_PATH = "/api/episerver/connect/token"
CMA_PATH = "/api/episerver/v3.0/contentmanagement"
CDA_PATH = "/api/episerver/v3.0/content"
SCOPES = "epi_content_management epi_content_delivery"
CONTINUATION = "x-epi-continuation"
URL_ENV, CLIENT_ID_ENV, SECRET_ENV = "SOH_CMS_URL", "SOH_CMS_CLIENT_ID", "SOH_CMS_CLIENT_SECRET"
EXPIRY_MARGIN = 0.1
"""A token is renewed when this share of its lifetime (at most 60 s) is left, so no call carries a token
that expires on the way."""


class CmsError(PlatformError):
    """The CMS refused a call, or kept failing until the client gave up."""


@dataclass(frozen=True)
class CmsCredentials:
    """Where the CMS is and the OAuth client it knows us by (the secret kept out of repr)."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = SCOPES

    def __post_init__(self) -> None:
        check_url(self.base_url, Service("the CMS", URL_ENV, SECRET_ENV, CmsError))
        if not self.client_id or not self.client_secret:
            raise CmsError("the CMS's OAuth client id and secret must not be empty")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> CmsCredentials:
        names = (URL_ENV, CLIENT_ID_ENV, SECRET_ENV)
        env = required(names, "the CMS's Content Management API", "soh_cms", CmsError, environ)
        return cls(env[URL_ENV], env[CLIENT_ID_ENV], env[SECRET_ENV])


@dataclass
class _Token:
    value: str = field(repr=False)
    renew_at: float


class CmsClient(SessionClient):
    """One requests Session to the CMS; each method is one operation of the contract."""

    DEFAULT_POLICY = RetryPolicy(read_timeout=30.0)

    def __init__(
        self, credentials: CmsCredentials, *args: Any, clock: Callable[[], float] = time.monotonic, **options: Any
    ) -> None:
        super().__init__(credentials, *args, **options)
        self.tokens_fetched = 0
        self._credentials = credentials
        self._clock = clock
        self._token: _Token | None = None

    def headers(self, credentials: CmsCredentials) -> dict[str, str]:
        return {"Accept": "application/json"}

    # --- the transport -------------------------------------------------------------------------

    def _secrets(self) -> tuple[str, ...]:
        return (self._credentials.client_secret, self._token.value if self._token else "")

    def _detail(self, reply: requests.Response) -> str:
        """What a refusal says: a ProblemDetails' title, detail and field errors, or an OAuth error (redacted)."""
        try:
            answer = reply.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return redact(reply.text, self._secrets())
        parts = [str(answer[k]) for k in ("error", "title", "detail", "error_description") if answer.get(k)]
        errors = answer.get("errors")
        if isinstance(errors, dict):
            parts += [
                f"{name}: {'; '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                for name, msgs in errors.items()
            ]
        return redact(" ".join(parts) or reply.text, self._secrets())

    def _send(self, method: str, url: str, operation: str, **options: Any) -> requests.Response:
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        return send_with_retries(
            self.policy,
            operation,
            lambda: self._session.request(method, url, timeout=timeout, allow_redirects=False, **options),
            stats=self.stats,
            method=method,
            detail=self._detail,
            sleep=self._sleep,
            error=CmsError,
        )

    def _access_token(self) -> str:
        if self._token and self._clock() < self._token.renew_at:
            return self._token.value
        form = {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "scope": self._credentials.scope,
        }
        reply = self._send("POST", f"{self.base_url}{TOKEN_PATH}", f"POST {TOKEN_PATH}", data=form)
        if reply.status_code != 200:
            raise CmsError(f"POST {TOKEN_PATH}: {reply.status_code} {self._detail(reply)}", reply.status_code)
        try:
            answer = reply.json()
            value, lifetime = answer["access_token"], float(answer.get("expires_in") or 300)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CmsError(f"POST {TOKEN_PATH}: 200 without an access token: {self._detail(reply)}", 200) from None
        self._token = _Token(value, self._clock() + lifetime - min(60.0, lifetime * EXPIRY_MARGIN))
        self.tokens_fetched += 1
        return self._token.value

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict | None = None,
        headers: dict | None = None,
        encoded: tuple[bytes, str] | None = None,
    ) -> requests.Response:
        """One operation: authenticated, retried, refreshed once on a 401; returns the answer (< 500), which
        the caller reads. A redirect is refused: the API has none. `body` is sent as JSON, or `encoded` as
        it is (bytes and their content type: a multipart upload)."""
        operation = f"{method} {path}"
        data, content_type = encoded or (None, "")
        if body is not None:
            data, content_type = json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json"
        for attempt in (1, 2):
            sent = dict(headers or {}) | {"Authorization": f"Bearer {self._access_token()}"}
            if data is not None:
                sent["Content-Type"] = content_type
            reply = self._send(method, f"{self.base_url}{path}", operation, data=data, params=params, headers=sent)
            if reply.status_code != 401 or attempt == 2:
                break
            log.info("%s: 401, fetching a new token", operation)
            self._token = None
        if 300 <= reply.status_code < 400:
            raise CmsError(
                f"{operation}: {reply.status_code} redirect, not followed (the API never redirects)", reply.status_code
            )
        return reply

    def _json(self, reply: requests.Response, operation: str, ok: tuple[int, ...] = (200, 201)) -> Any:
        if reply.status_code in ok:
            return reply.json() if reply.content else None
        raise CmsError(f"{operation}: {reply.status_code} {self._detail(reply)}", reply.status_code)

    # --- the operations ------------------------------------------------------------------------

    def get(self, reference: str | int) -> dict[str, Any] | None:
        """The content item (its primary draft), or None when the CMS has none by that id or GUID."""
        path = f"{CMA_PATH}/{quote(str(reference))}"
        reply = self.call("GET", path)
        return None if reply.status_code == 404 else self._json(reply, f"GET {path}")

    def put(self, guid: str, content: dict[str, Any], *, minimal: bool = False) -> dict[str, Any]:
        """Create the item with this GUID, or replace it: safe to repeat, which is why publishing uses it."""
        path = f"{CMA_PATH}/{quote(guid)}"
        headers = {"x-epi-validation-mode": "minimal"} if minimal else None
        return self._json(self.call("PUT", path, body=content, headers=headers), f"PUT {path}")

    def put_media(
        self, guid: str, content: dict[str, Any], filename: str, data: bytes, media_type: str
    ) -> dict[str, Any]:
        """PUT a media item with its binary data, as multipart/form-data: the item's JSON in a part named
        `content`, the bytes in a part named `file` (the vendor's createOrUpdateContentMediaMultipart). Safe
        to repeat, as `put` is."""
        path = f"{CMA_PATH}/{quote(guid)}"
        parts = {
            "content": (None, json.dumps(content, ensure_ascii=False).encode("utf-8"), "application/json"),
            "file": (filename, data, media_type),
        }
        return self._json(self.call("PUT", path, encoded=encode_multipart_formdata(parts)), f"PUT {path} (media)")

    def create(self, content: dict[str, Any]) -> dict[str, Any]:
        """POST: a new item under its parentLink (not safe to repeat: a lost answer may leave a copy)."""
        return self._json(self.call("POST", CMA_PATH, body=content), f"POST {CMA_PATH}")

    def patch(self, reference: str | int, changes: dict[str, Any]) -> dict[str, Any]:
        path = f"{CMA_PATH}/{quote(str(reference))}"
        return self._json(self.call("PATCH", path, body=changes), f"PATCH {path}")

    def delete(self, reference: str | int, *, permanent: bool = False) -> None:
        """To the wastebasket, or for good; an item already gone is not an error (so a retry is safe)."""
        path = f"{CMA_PATH}/{quote(str(reference))}"
        reply = self.call("DELETE", path, headers={"x-epi-permanent-delete": "true" if permanent else "false"})
        self._json(reply, f"DELETE {path}", ok=(204, 404))

    def children(self, reference: str | int, top: int = 100) -> Iterator[dict[str, Any]]:
        """Every published child (Content Delivery API), page by page with its continuation token."""
        path = f"{CDA_PATH}/{quote(str(reference))}/children"
        token = None
        while True:
            reply = self.call("GET", path, params={"top": top}, headers={CONTINUATION: token} if token else None)
            if reply.status_code == 404:
                return
            yield from self._json(reply, f"GET {path}")
            token = reply.headers.get(CONTINUATION)
            if not token:
                return
