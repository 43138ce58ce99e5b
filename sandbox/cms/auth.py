"""The CMS's OAuth 2 token endpoint (EPiServer.OpenIDConnect, on OpenIddict) for the client credentials grant.

A client sends its id and secret as a form (RFC 6749 section 4.4) and gets a bearer access token that
expires after `lifetime` seconds. Errors are RFC 6749 section 5.2's: 400 with `error` and
`error_description` (OpenIddict answers an unknown client or a wrong secret so as well). The scopes a
token carries decide which API it opens: epi_content_management the Content Management API,
epi_content_delivery the Content Delivery API.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

MANAGEMENT_SCOPE, DELIVERY_SCOPE = "epi_content_management", "epi_content_delivery"


@dataclass
class Tokens:
    """Issued tokens and what they allow, until they expire (or `expire_all`, for tests)."""

    client_id: str
    client_secret: str = field(repr=False)
    lifetime: float = 3600.0
    scopes: frozenset[str] = frozenset({MANAGEMENT_SCOPE, DELIVERY_SCOPE})
    _issued: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    issued_count: int = 0

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("the CMS's client id and secret must not be empty")
        if self.lifetime <= 0:
            raise ValueError("a token's lifetime must be positive")

    def grant(self, form: dict[str, str]) -> tuple[int, dict]:
        """The token endpoint's answer to a form: (status, body)."""
        if form.get("grant_type") != "client_credentials":
            return 400, _error("unsupported_grant_type", "The specified 'grant_type' is not supported.")
        given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not (
            secrets.compare_digest(given_id.encode(), self.client_id.encode())
            and secrets.compare_digest(given_secret.encode(), self.client_secret.encode())
        ):
            return 400, _error("invalid_client", "The specified client credentials are invalid.")
        asked = frozenset(form.get("scope", "").split()) or self.scopes
        if not asked <= self.scopes:
            return 400, _error("invalid_scope", "The specified 'scope' is not allowed for this client.")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._issued[token] = (time.monotonic() + self.lifetime, asked)
            self.issued_count += 1
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.lifetime),
            "scope": " ".join(sorted(asked)),
        }
        return 200, body

    def check(self, authorization: str | None, scope: str) -> int | None:
        """None when the header's token is valid and carries `scope`; else 401 (none, unknown, expired) or
        403 (valid, without the scope)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return 401
        with self._lock:
            entry = self._issued.get(authorization[7:].strip())
        if entry is None or entry[0] < time.monotonic():
            return 401
        return None if scope in entry[1] else 403

    def expire_all(self) -> None:
        """Every token issued so far expires now (tests: a token expiring in the middle of a run)."""
        with self._lock:
            self._issued = {token: (0.0, scopes) for token, (_when, scopes) in self._issued.items()}


def _error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "error_description": description}
