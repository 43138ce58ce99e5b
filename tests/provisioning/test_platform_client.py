"""The platform client's handling of its token, against real servers on 127.0.0.1 that the tests start:
no plain http:// off this machine, no redirect followed (to another host or not), and no secret in an
error's text, its repr or the logs, even when a server echoes the request's headers back."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from urllib.parse import quote, quote_plus

import pytest

from sandbox.platform import SandboxPlatform, start
from soh_onboarding.provisioning.client import Credentials, PlatformClient, PlatformError, RetryPolicy

# Characters that change when URL-encoded, so that an encoded echo is a different string from the token.
TOKEN = "tok/9f3a+Secret=value~Zq"
REDACTED = "[redacted]"  # soh_onboarding.redact.REDACTED, spelt out so that this file imports without it
QUICK = RetryPolicy(attempts=2, backoff_seconds=0.01, connect_timeout=2, read_timeout=5)


@dataclass(frozen=True)
class Seen:
    """One request a test server received."""

    method: str
    path: str
    headers: dict[str, str]


#: What a test server answers a request with: status, headers and body.
Answer = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


class _Recorder(ThreadingHTTPServer):
    def __init__(self, answer: Answer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.seen: list[Seen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Recorder

    def _any(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
        status, headers, body = self.server.answer(self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(answer: Answer) -> Iterator[_Recorder]:
    """A server on 127.0.0.1 answering every request with `answer`, and recording what it received."""
    server = _Recorder(answer)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def ok(_request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b'{"status": "ok"}'


def echoed_headers(request: BaseHTTPRequestHandler) -> str:
    """The request's credentials as a careless proxy or debug page shows them, short enough that none is
    cut off: raw header lines, JSON, the token URL-encoded (as in a logged redirect URL) and a cookie."""
    authorization = request.headers.get("Authorization", "")
    token = authorization.removeprefix("Bearer ")
    return (
        f"Host: {request.headers['Host']}\r\nAuthorization: {authorization}\r\n"
        f"{json.dumps({'Authorization': authorization})}\n"
        f"/login?access_token={quote(token, safe='')}&t={quote_plus(token)}\n"
        "Cookie: session=abc123def456; other=1\n"
    )


def echo(status: int, as_json: bool) -> Answer:
    def answer(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        text = echoed_headers(request)
        if as_json:
            return status, {"Content-Type": "application/json"}, json.dumps({"detail": text}).encode()
        return status, {"Content-Type": "text/plain"}, text.encode()

    return answer


def redirect_to(target: str, status: int = 302) -> Answer:
    def answer(_request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        return status, {"Location": target}, b""

    return answer


def refused(url: str, call: Callable[[PlatformClient], object], token: str = TOKEN) -> PlatformError:
    """The error a client of the platform at `url` raises on `call`."""
    with PlatformClient(Credentials(url, token), QUICK) as client, pytest.raises(PlatformError) as caught:
        call(client)
    return caught.value


# --- plain http ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://platform.soh.example",
        "http://platform.soh.example:8082/",
        "http://10.0.0.5:8082",
        "http://[2001:db8::1]:8082",
        "http://0.0.0.0:8082",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example",
        "HTTP://Platform.Example",
    ],
)
def test_plain_http_off_this_machine_is_refused_when_the_client_is_built(url: str) -> None:
    with pytest.raises(PlatformError) as caught:
        PlatformClient(Credentials(url, TOKEN))
    message = str(caught.value)
    assert "https://" in message and "unencrypted" in message and "loopback" in message
    assert TOKEN not in message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8082",
        "http://127.8.9.10:8082/",
        "http://localhost:8082",
        "http://LOCALHOST",
        "http://[::1]:8082",
        "https://platform.soh.example",
        "https://10.0.0.5:8443/",
    ],
)
def test_https_anywhere_and_plain_http_on_loopback_are_accepted(url: str) -> None:
    with PlatformClient(Credentials(url, TOKEN)) as client:
        assert TOKEN not in repr(client)


@pytest.mark.parametrize("url", ["https://user:secret-in-url@platform.soh.example", "https://", "http://[::1"])
def test_a_url_with_credentials_or_no_host_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(PlatformError) as caught:
        Credentials(url, TOKEN)
    assert "secret-in-url" not in str(caught.value)


def test_the_airflow_connection_with_plain_http_off_this_machine_fails_the_task_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from soh_onboarding.glue import runtime

    connection = {"conn_type": "http", "host": "platform.soh.example", "schema": "http", "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_SOH_PLATFORM", json.dumps(connection))
    with pytest.raises(AirflowFailException) as caught:
        runtime.platform_client()
    message = str(caught.value)
    assert "Connection 'soh_platform' is not usable" in message and "https://" in message
    assert TOKEN not in message


def test_plain_http_to_loopback_ignores_the_environments_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """An HTTP_PROXY would otherwise receive the loopback request, token and all, in the clear."""
    with serving(ok) as proxy, serving(ok) as platform:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with PlatformClient(Credentials(platform.url, TOKEN), QUICK) as client:
            assert client.health() == {"status": "ok"}
        assert proxy.seen == []
        assert [seen.path for seen in platform.seen] == ["/api/v1/health"]


# --- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_not_followed(status: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serving(ok) as elsewhere, serving(redirect_to(f"{elsewhere.url}/collect?from=platform", status)) as platform:
        error = refused(platform.url, lambda client: client.publish("demo", "pages", [{"path": "/a/"}]))
        assert elsewhere.seen == []  # nothing at all reached the other host, with or without the header
        assert platform.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"  # the platform itself got it
    message = str(error)
    assert f"{status}" in message and f"{elsewhere.url}/collect" in message and "another host" in message
    assert error.status == status
    assert TOKEN not in message + repr(error) + caplog.text


def test_a_redirect_on_the_same_host_is_not_followed_either() -> None:
    with serving(redirect_to("/api/v1/health/")) as platform:
        error = refused(platform.url, PlatformClient.health)
        assert len(platform.seen) == 1
    assert f"{platform.url}/api/v1/health/" in str(error) and "another host" not in str(error)


# --- secrets in error texts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, as_json",
    [(400, True), (401, False), (403, False), (404, True), (409, True), (500, False), (503, True)],
)
def test_an_echoed_token_never_reaches_an_error_or_a_log(
    status: int, as_json: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with serving(echo(status, as_json)) as platform:
        error = refused(platform.url, lambda client: client.put_tenant("demo", "Demoshire Police"))
    shown = str(error) + repr(error) + repr(error.args) + caplog.text
    for secret in (TOKEN, quote(TOKEN, safe=""), quote_plus(TOKEN), "abc123def456"):
        assert secret not in shown
    assert f"{status}" in str(error) and REDACTED in str(error) and "Host: 127.0.0.1" in str(error)  # shown, redacted


def test_a_validation_error_echoing_the_token_is_redacted() -> None:
    def invalid(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        detail = [{"loc": ["body", "display_name"], "msg": f"not valid after {request.headers['Authorization']}"}]
        return 422, {"Content-Type": "application/json"}, json.dumps({"detail": detail}).encode()

    with serving(invalid) as platform:
        error = refused(platform.url, PlatformClient.health)
    assert "body.display_name: not valid after Bearer" in str(error) and TOKEN not in str(error)


def test_a_long_error_body_is_cut_short() -> None:
    def huge(_request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        return 404, {"Content-Type": "text/html"}, b"<html>" + b"x" * 100_000 + b"</html>"

    with serving(huge) as platform:
        error = refused(platform.url, PlatformClient.health)
    assert len(str(error)) < 500 and "more characters" in str(error)


def test_the_sandbox_platforms_own_refusals_still_read_plainly() -> None:
    with start(SandboxPlatform(token=TOKEN)) as running:
        error = refused(running.url, lambda client: client.get_tenant("demo"), token="not-the-token")
    assert str(error) == "GET /api/v1/tenants/demo: 401 a valid bearer token is required"


@pytest.mark.parametrize(
    "text, secret",
    [
        (f"Authorization: Bearer {TOKEN}", TOKEN),
        (f"authorization: bearer {TOKEN.lower()}", TOKEN.lower()),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("{'Authorization': 'Token abcdef123456', 'Host': 'x'}", "abcdef123456"),
        ('{"Proxy-Authorization": "Basic cHJveHk6c2VjcmV0"}', "cHJveHk6c2VjcmV0"),
        ("&quot;Cookie&quot;: &quot;sid=s3ss10n&quot;", "s3ss10n"),
        ("Set-Cookie: sid=s3ss10n; HttpOnly", "s3ss10n"),
        (f"token={quote(TOKEN, safe='')}", quote(TOKEN, safe="")),
        (f"token={quote(TOKEN, safe='').lower()}", quote(TOKEN, safe="").lower()),
        (f"q={quote_plus(TOKEN)}", quote_plus(TOKEN)),
        (json.dumps({"echo": TOKEN}), TOKEN),
        (f"a Bearer {TOKEN} in prose", TOKEN),
    ],
)
def test_redact_removes_every_form_of_a_secret(text: str, secret: str) -> None:
    from soh_onboarding.redact import redact

    redacted = redact(text, [TOKEN])
    assert secret not in redacted and REDACTED in redacted


def test_redact_keeps_the_rest_readable_on_one_line() -> None:
    from soh_onboarding.redact import redact

    assert redact("409 the domain 'demo.soh.localhost'\r\nbelongs to\tanother tenant", [TOKEN]) == (
        "409 the domain 'demo.soh.localhost' belongs to another tenant"
    )
    assert redact("x" * 1000, [], limit=10) == "xxxxxxxxxx… (990 more characters)"
