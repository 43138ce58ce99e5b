"""The sandbox ingress (sandbox/ingress/): the DNS and TLS ingress bin/run puts in front of the sandbox
platform, on real sockets. The go-live checks pass for a well-configured tenant through it with no
per-test zone or certificate, a domain set through the platform's API resolves at once, unknown names get
NXDOMAIN and the default certificate, and the CA survives a restart."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest
import requests
from golive_servers import free_port, run_folder, spec_for

from conftest import ROOT
from soh_onboarding.golive import checks, settings
from soh_onboarding.golive.model import PASS, WARN

sys.path.insert(0, str(ROOT))
from sandbox.ingress import start as start_ingress
from sandbox.platform import SandboxPlatform
from sandbox.platform import start as start_platform
from sandbox.platform.scenarios import configured_tenant

GOOD = "www.good-force.example"


def ask(address: str, name: str, kind: str) -> dns.message.Message:
    host, port = address.split(":")
    return dns.query.udp(dns.message.make_query(name, kind), host, port=int(port), timeout=5)


def test_the_go_live_checks_pass_through_the_sandbox_ingress(tmp_path: Path) -> None:
    platform = SandboxPlatform(tmp_path / "platform.sqlite3", token="t")
    configured_tenant(platform, "good", (GOOD,))
    with (
        start_platform(platform) as served,
        start_ingress(tmp_path / "ingress", served.port, tmp_path / "platform.sqlite3") as ingress,
    ):
        redirect_map = [
            (f"https://{GOOD}/default.aspx", f"https://{GOOD}/", "redirect"),
            (f"https://{GOOD}/news/archive/2015/old-story.aspx", "", "archive"),
        ]
        checklist, _ = checks.run_checks(
            spec_for([GOOD]), settings.load(environ=ingress.env), run_folder(tmp_path, redirect_map)
        )
    not_passed = {c.key: (c.status, c.findings) for c in checklist.checks if c.status != PASS}
    assert not_passed == {f"robots-txt:{GOOD}": (WARN, ["robots-disallows-all", "site-noindex"])}
    assert checklist.passed


def test_http_is_upgraded_on_primary_domains_and_forwarded_on_old_ones(tmp_path: Path) -> None:
    """An old URL on an old domain over plain http: one 301 from the platform straight to the new URL, not a
    first hop to https on the old name. The primary domain's http is still upgraded by the ingress."""
    platform = SandboxPlatform(tmp_path / "platform.sqlite3", token="t")
    configured_tenant(platform, "good", (GOOD, "www.old-force.example"))
    with (
        start_platform(platform) as served,
        start_ingress(tmp_path / "ingress", served.port, tmp_path / "platform.sqlite3") as ingress,
    ):
        url = f"http://127.0.0.1:{ingress.ingress.ports['http']}/news/man-charged-1.aspx"

        def location(host: str) -> tuple[int, str]:
            answer = requests.get(url, headers={"Host": host}, allow_redirects=False, timeout=10)
            return answer.status_code, answer.headers["Location"]

        assert location(GOOD) == (301, f"https://{GOOD}/news/man-charged-1.aspx")
        assert location("www.old-force.example") == (301, f"https://{GOOD}/news/force/man-charged/")


def test_dns_follows_the_platform_and_unknown_names_get_nothing(tmp_path: Path) -> None:
    platform = SandboxPlatform(tmp_path / "platform.sqlite3", token="t")
    with (
        start_platform(platform) as served,
        start_ingress(tmp_path / "ingress", served.port, tmp_path / "platform.sqlite3") as ingress,
    ):
        address = ingress.env["SOH_GOLIVE_RESOLVER"]
        assert ask(address, "new.force.example", "A").rcode() == dns.rcode.NXDOMAIN
        configured_tenant(platform, "new", ("new.force.example",))  # the domain set through the platform
        answer = ask(address, "new.force.example", "A")
        assert [str(r) for rrset in answer.answer for r in rrset] == ["127.0.0.1"]
        caa = [str(r) for rrset in ask(address, "new.force.example", "CAA").answer for r in rrset]
        assert caa == ['0 issue "letsencrypt.org"']
        dmarc = [str(r) for rrset in ask(address, "_dmarc.new.force.example", "TXT").answer for r in rrset]
        assert dmarc and "p=reject" in dmarc[0]
        assert ask(address, "new.force.example", "AAAA").rcode() == dns.rcode.NOERROR  # exists, no such record
        assert ask(address, "other.example", "A").rcode() == dns.rcode.NXDOMAIN
        # https: the tenant's own certificate; http upgraded; an unknown host gets the default certificate
        https, http = ingress.ingress.ports["https"], ingress.ingress.ports["http"]
        context = ssl.create_default_context(cafile=str(ingress.ca.bundle))
        with context.wrap_socket(
            socket.create_connection(("127.0.0.1", https)), server_hostname="new.force.example"
        ) as tls:
            assert ("DNS", "new.force.example") in tls.getpeercert()["subjectAltName"]
        moved = requests.get(
            f"http://127.0.0.1:{http}/x", headers={"Host": "new.force.example"}, allow_redirects=False, timeout=10
        )
        assert (moved.status_code, moved.headers["Location"]) == (301, "https://new.force.example/x")
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(socket.create_connection(("127.0.0.1", https)), server_hostname="other.example")
        stranger = requests.get(f"http://127.0.0.1:{http}/", headers={"Host": "other.example"}, timeout=10)
        assert stranger.status_code == 421


def test_the_cli_keeps_its_ca_across_restarts(tmp_path: Path) -> None:
    folder = tmp_path / "ingress"
    bundles = []
    for _ in range(2):
        ports = [str(free_port()) for _ in range(3)]
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "sandbox", "ingress", "--dir", str(folder)),
                *("--data", str(tmp_path / "none.sqlite3"), "--platform-port", str(free_port())),
                *("--dns-port", ports[0], "--http-port", ports[1], "--https-port", ports[2]),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,  # python -m sandbox runs the project's sandbox/
            env=os.environ | {"PYTHONPATH": str(ROOT / "plugins")},
        )
        try:
            printed = dict(process.stdout.readline().strip().split("=", 1) for _ in range(4))
            assert printed["SOH_GOLIVE_RESOLVER"] == f"127.0.0.1:{ports[0]}"
            assert printed["SOH_GOLIVE_HTTPS_PORT"] == ports[2]
            bundles.append(Path(printed["SOH_GOLIVE_CA_BUNDLE"]).read_bytes())
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0
        time.sleep(0.1)
    assert bundles[0] == bundles[1]
    assert (folder / "ca-key.pem").stat().st_mode & 0o077 == 0
