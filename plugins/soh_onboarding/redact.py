"""Secrets out of the texts that go into exceptions and logs.

A server can answer with what it was sent: a debugging proxy or a misconfigured ingress echoes the request's
headers in its error page, and a client that copies that body into its exception writes its own token into
the task log. So every client that sends a secret builds its error texts through `redact`: the secrets it
knows (as sent, URL-encoded, JSON- or HTML-escaped, in any letter case), the values of credential headers
and `Bearer` tokens it does not know, all replaced; the rest kept on one line (a body cannot forge log
lines) and cut short (an error page is not a log).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
LIMIT = 300
"""Characters of a body kept in an error: enough for the platform's own one-line details."""

_QUOTE = r"(?:[\"']|&quot;|&#39;|&#x27;)"
_CREDENTIAL_HEADER = re.compile(
    rf"\b((?:proxy-)?authorization|(?:set-)?cookie|x-api-key)({_QUOTE}?\s*[:=]\s*{_QUOTE}?)"
    rf"(?:(?!{_QUOTE})[^\r\n])+",
    re.IGNORECASE,
)
"""A credential header's value, as a raw header line, JSON, a Python repr or HTML-escaped: up to the end of
its quotes or of the line."""
_BEARER = re.compile(
    r"\b(bearer\s+)(?=[A-Za-z0-9.]*[0-9_~+/=-]|[A-Za-z0-9._~+/-]{16})[A-Za-z0-9._~+/-]+=*", re.IGNORECASE
)
"""A bearer token: a word after 'Bearer' with a digit or a symbol in it, or a long one ('a valid bearer
token is required' stays as it is)."""
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def redact(text: str, secrets: Iterable[str] = (), limit: int = LIMIT) -> str:
    """`text` without `secrets` or credentials, on one line, at most `limit` characters (and a note of the rest)."""
    text = _CREDENTIAL_HEADER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m[1]}{REDACTED}", text)
    forms = {form for secret in secrets if secret for form in _forms(secret)}
    if forms:
        alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
        text = re.sub(alternatives, REDACTED, text, flags=re.IGNORECASE)
    text = " ".join(_UNPRINTABLE.sub(" ", text).split())
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit} more characters)"
    return text


def _forms(secret: str) -> set[str]:
    """How a secret can appear in an echo: as sent, URL-encoded (a query string or a logged redirect),
    JSON-escaped and HTML-escaped."""
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        html.escape(secret),
    }
