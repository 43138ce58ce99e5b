"""The go-live checks against the sandbox platform's tenants, behind a TLS-terminating ingress with
certificates from a test CA, and a DNS server: the well-configured tenant passes (its only warning:
hidden from search engines until the switch), the misconfigured one fails with each planted fault by name."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from golive_servers import DnsServer, Ingress, LocalCA, configured, run_folder, spec_for

from conftest import ROOT
from soh_onboarding.golive import checks
from soh_onboarding.golive.model import PASS, WARN

sys.path.insert(0, str(ROOT))
from sandbox.platform import SandboxPlatform, misconfigured_tenant, start
from sandbox.platform.scenarios import configured_tenant

GOOD, BROKEN = "www.good-force.example", "www.broken-force.example"
ZONE = "".join(
    f"""
{name}. 60 IN A 127.0.0.1
{name}. 60 IN CAA 0 issue "letsencrypt.org"
{name}. 60 IN TXT "v=spf1 -all"
_dmarc.{name}. 60 IN TXT "v=DMARC1; p=reject"
"""
    for name in (GOOD, BROKEN)
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    folder = tmp_path_factory.mktemp("golive-platform")
    platform = SandboxPlatform(folder / "platform.sqlite3", token="test-token")
    configured_tenant(platform, "good", (GOOD,))
    planted = misconfigured_tenant(platform, "broken", (BROKEN,))
    ca = LocalCA(folder)
    with start(platform) as running, Ingress(ca) as ingress, DnsServer(ZONE) as dns:
        for host in (GOOD, BROKEN):
            ingress.proxy(host, running.port)
        yield ingress, dns, ca, planted


def url(host: str, path: str) -> str:
    return f"https://{host}{path}"


def test_the_well_configured_tenant_passes(world, tmp_path: Path) -> None:
    redirect_map = [
        (url(GOOD, "/default.aspx"), url(GOOD, "/"), "redirect"),
        (url(GOOD, "/news/man-charged-1.aspx"), url(GOOD, "/news/force/man-charged/"), "redirect"),
        (url(GOOD, "/advice/burglary.aspx"), url(GOOD, "/advice/burglary/"), "redirect"),
        (url(GOOD, "/news/archive/2015/old-story.aspx"), "", "archive"),
    ]
    checklist, _ = checks.run_checks(spec_for([GOOD]), configured(world[:3]), run_folder(tmp_path, redirect_map))
    not_passed = {c.key: (c.status, c.findings) for c in checklist.checks if c.status != PASS}
    assert not_passed == {f"robots-txt:{GOOD}": (WARN, ["robots-disallows-all", "site-noindex"])}
    assert checklist.passed
    found = {c.key: c for c in checklist.checks}
    assert found[f"security-headers:{GOOD}"].evidence["grade"] == "A+"
    assert found["redirects"].evidence["ok"] == 4
    # the same site once live must not stay hidden: the daily checks fail it
    live, _ = checks.run_checks(
        spec_for([GOOD]), configured(world[:3]), run_folder(tmp_path / "b", redirect_map), live=True
    )
    assert {c.key: c.status for c in live.failed()} == {f"robots-txt:{GOOD}": "fail"}


def test_each_planted_fault_of_the_misconfigured_tenant_is_reported_by_name(world, tmp_path: Path) -> None:
    planted = world[3]["problems"]
    chain_start = planted["redirect_chain"][0]
    wrong = planted["wrong_redirect"]
    redirect_map = [
        (url(BROKEN, chain_start), url(BROKEN, planted["redirect_chain"][-1]), "redirect"),
        (url(BROKEN, wrong["from"]), url(BROKEN, wrong["expected"]), "redirect"),
        (url(BROKEN, "/default.aspx"), url(BROKEN, "/"), "redirect"),
    ]
    checklist, rows = checks.run_checks(spec_for([BROKEN]), configured(world[:3]), run_folder(tmp_path, redirect_map))
    found = {c.key: c for c in checklist.checks}
    assert not checklist.passed
    assert found[f"hsts:{BROKEN}"].findings == ["hsts-missing"]
    assert "hsts-not-implemented" in found[f"security-headers:{BROKEN}"].findings
    assert found["key-page:contact"].findings == ["key-page-404"]
    assert planted["missing_key_page"] in found["key-page:contact"].summary
    by_path = {row.old_url.removeprefix(f"https://{BROKEN}"): row for row in rows}
    assert by_path[chain_start].findings == ["redirect-wrong-target", "redirect-chain"]
    assert len(by_path[chain_start].hops) == 3
    assert by_path[wrong["from"]].findings == ["redirect-wrong-target"]
    assert by_path[wrong["from"]].detail.startswith(f"redirects to https://{BROKEN}/cookies/")
    assert by_path["/default.aspx"].findings == []
    failed = {c.key for c in checklist.failed()}
    assert failed == {f"hsts:{BROKEN}", "key-page:contact", "redirects"}
