"""The e-mail notifier against a real SMTP server on 127.0.0.1 whose refusal echoes the credentials it was
given: the log line saying that the mail was not sent does not carry the password."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from aiosmtpd.smtp import AuthResult
from smtp_sink import smtp_server

PASSWORD = "Smtp-Pass/9f3a+secret"


def echo_the_credentials(_server, _session, _envelope, _mechanism, auth_data) -> AuthResult:
    credentials = f"{auth_data.login.decode()}:{auth_data.password.decode()}"
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 refused {credentials}")


def test_an_smtp_refusal_echoing_the_password_is_logged_without_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from soh_onboarding.glue import notifications

    caplog.set_level(logging.DEBUG)  # the logging module's records, and below what Airflow's logging prints
    caplog.set_level(logging.WARNING, logger="mail.log")  # the test server's own log shows what it answered
    with smtp_server(echo_the_credentials) as mailbox:
        uri = mailbox.conn_uri.replace("smtp://", f"smtp://soh:{quote(PASSWORD, safe='')}@", 1)
        monkeypatch.setenv("AIRFLOW_CONN_SOH_SMTP", uri)
        mail = notifications.Mail(["dpo@force.example"], "A test", "Demoshire Police", "Hello")
        assert not notifications.send(mail)
    assert mailbox.messages == []
    logged = caplog.text + "".join(capfd.readouterr())
    assert "Could not send the e-mail 'A test'" in logged and "535" in logged
    assert PASSWORD not in logged
