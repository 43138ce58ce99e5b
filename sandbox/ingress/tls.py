"""The sandbox's certificate authority: a local CA (trustme) standing in for the platform's public CA.

`LocalCA(folder)` makes a new CA for one test; `LocalCA.persistent(folder)` keeps its key in `folder`
(under `.sandbox/`), made at first start, so the bundle the go-live checks trust stays valid across restarts.
"""

from __future__ import annotations

import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme


class LocalCA:
    """A CA, its PEM bundle in `folder`, and a server certificate per host name (or a deliberately bad one)."""

    def __init__(self, folder: Path, ca: trustme.CA | None = None, bundle_name: str = "test-ca.pem") -> None:
        self.ca = ca or trustme.CA()
        self.folder = folder
        self.bundle = folder / bundle_name
        self.ca.cert_pem.write_to_path(str(self.bundle))

    @classmethod
    def persistent(cls, folder: Path) -> LocalCA:
        """The CA kept in `folder` (ca.pem, ca-key.pem), made there at first use."""
        folder.mkdir(parents=True, exist_ok=True)
        cert, key = folder / "ca.pem", folder / "ca-key.pem"
        if cert.exists() and key.exists():
            return cls(folder, trustme.CA.from_pem(cert.read_bytes(), key.read_bytes()), "ca.pem")
        ca = trustme.CA(organization_name="SOH sandbox ingress")
        descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the key: its owner only
        with os.fdopen(descriptor, "wb") as out:
            out.write(ca.private_key_pem.bytes())
        return cls(folder, ca, "ca.pem")

    def context(self, *names: str, expired: bool = False, days: int = 365) -> ssl.SSLContext:
        now = datetime.now(UTC)
        if expired:
            cert = self.ca.issue_cert(*names, not_before=now - timedelta(days=400), not_after=now - timedelta(days=2))
        else:
            cert = self.ca.issue_cert(*names, not_before=now - timedelta(days=1), not_after=now + timedelta(days=days))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        return context
