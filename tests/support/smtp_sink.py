"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping what it receives, and the Airflow
connection URI that points the notifiers at it."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from airflow_server import free_port


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    @property
    def conn_uri(self) -> str:
        """For AIRFLOW_CONN_SOH_SMTP: plain SMTP on loopback, no TLS, with a sender."""
        return (
            f"smtp://127.0.0.1:{self.port}?disable_tls=true&disable_ssl=true"
            "&from_email=soh-onboarding%40live-service.example&retry_limit=0&timeout=10"
        )

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def wait_for(self, subject_part: str, timeout: float = 240) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if subject_part in str(message["Subject"]):
                    return message
            time.sleep(0.5)
        subjects = [str(message["Subject"]) for message in self.messages]
        raise AssertionError(f"no e-mail with '{subject_part}' in its subject after {timeout:.0f}s; got {subjects}")


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@contextmanager
def smtp_server(authenticator: Callable[..., AuthResult] | None = None) -> Iterator[Mailbox]:
    """The sink on a free port; with `authenticator`, it offers AUTH (without TLS: loopback) and asks it."""
    mailbox = Mailbox(free_port())
    auth = {"authenticator": authenticator, "auth_require_tls": False} if authenticator else {}
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **auth)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
