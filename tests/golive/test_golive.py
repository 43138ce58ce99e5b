"""The go-live checks against real local servers: a DNS server, an HTTP/HTTPS ingress, a test CA.

One ingress and one DNS server for the module. A healthy tenant passes every check; misconfigured
tenants (no HSTS, a 404 key page, mixed content, redirect chains, loops and wrong targets, an expired
certificate, one for the wrong name, one from an untrusted CA, DNS pointing elsewhere) are each
reported by the fault's name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from golive_servers import (
    GOOD_MAP,
    DnsServer,
    Ingress,
    LocalCA,
    configured,
    golive_env,
    healthy_site,
    run_folder,
    spec_for,
    standard_world,
)

from conftest import soh
from soh_onboarding.golive import checks, headers, settings, tlschecks
from soh_onboarding.golive.model import FAIL, PASS, WARN
from soh_onboarding.golive.net import LookupFailed


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Ingress, DnsServer, LocalCA]]:
    with standard_world(tmp_path_factory.mktemp("golive")) as running:
        yield running


def by_key(checklist) -> dict:
    return {check.key: check for check in checklist.checks}


def test_the_healthy_tenant_passes_every_check(world, tmp_path: Path) -> None:
    spec = spec_for(["good.example", "mail.good.example"], ["old.good.example"], ["mail.good.example"])
    checklist, rows = checks.run_checks(spec, configured(world), run_folder(tmp_path, GOOD_MAP))
    problems = [f"{c.key}: {c.status} {c.summary}" for c in checklist.checks if c.status != PASS]
    assert problems == []
    assert checklist.passed
    found = by_key(checklist)
    assert found["security-headers:good.example"].evidence["grade"] == "A+"
    assert found["tls-certificate:old.good.example"].evidence["days_left"] >= 360
    assert found["redirects"].evidence["ok"] == 3
    assert found["dns-mail:mail.good.example"].summary.startswith("sends e-mail")
    assert {row.status for row in rows} == {PASS}
    # every connection went to the local ingress, by name: the domains exist only in the test's DNS
    ingress, dns, _ = world
    assert any("old.good.example" in line for line in ingress.log)
    assert "good.example. CAA" in dns.queries


def test_each_fault_is_reported_by_name(world, tmp_path: Path) -> None:
    faults_map = [
        ("https://old.good.example/news/item.aspx", "https://faulty.example/news/new-page/", "redirect"),
        ("https://old.good.example/chain.aspx", "https://good.example/news/new-page/", "redirect"),
        ("https://old.good.example/loop-a.aspx", "https://good.example/news/new-page/", "redirect"),
        ("https://old.good.example/wrong.aspx", "https://good.example/news/new-page/", "redirect"),
        ("https://old.good.example/temporary.aspx", "https://good.example/news/new-page/", "redirect"),
        ("https://old.good.example/to-missing.aspx", "https://good.example/gone-missing/", "redirect"),
        ("https://old.good.example/should-be-gone.aspx", "", "archive"),
        ("https://old.good.example/nobody-decided.aspx", "", "unresolved"),
    ]
    old = ["old.good.example", "expired.example", "wrongname.example", "untrusted.example", "wrongip.example"]
    spec = spec_for(["faulty.example"], old)
    checklist, rows = checks.run_checks(spec, configured(world), run_folder(tmp_path, faults_map))
    found = by_key(checklist)
    assert not checklist.passed

    def findings(key: str) -> list[str]:
        return found[key].findings

    # TLS
    assert "certificate-expired" in findings("tls-certificate:expired.example")
    assert "certificate-expired" in findings("tls-expiry:expired.example")
    assert findings("tls-certificate:wrongname.example") == ["certificate-wrong-name"]
    assert "someone-else.example" in found["tls-certificate:wrongname.example"].summary
    assert findings("tls-certificate:untrusted.example") == ["certificate-untrusted"]
    assert found["tls-certificate:old.good.example"].status == PASS
    assert found["tls-version:faulty.example"].status == PASS
    # DNS
    assert findings("dns-ingress:wrongip.example") == ["wrong-address"]
    assert "192.0.2.10" in found["dns-ingress:wrongip.example"].summary
    assert findings("dns-caa:wrongip.example") == ["caa-wrong-issuer"]
    assert findings("dns-mail:wrongip.example") == ["parked-spf-missing", "parked-dmarc-missing"]
    assert "tls-unreachable" in findings("tls-certificate:wrongip.example")  # 192.0.2.10 answers nobody
    # headers
    assert found["hsts:faulty.example"].findings == ["hsts-missing"]
    score = found["security-headers:faulty.example"]
    assert score.status == FAIL
    assert {"hsts-not-implemented", "csp-not-implemented", "cookies-session-without-secure-flag"} <= set(score.findings)
    assert score.evidence["score"] < 70
    assert "server-header-present" in findings("recommended-headers:faulty.example")
    # pages and files
    assert findings("key-page:cookies") == ["key-page-404"]
    assert found["key-page:home"].status == PASS
    assert findings("mixed-content") == ["mixed-content"]
    assert "http://cdn.example/tracker.js" in json.dumps(found["mixed-content"].evidence)
    assert findings("robots-txt:faulty.example") == ["robots-disallows-all"]
    assert findings("sitemap-xml:faulty.example") == ["sitemap-invalid"]
    assert findings("security-txt:faulty.example") == ["security-txt-expired"]
    # old URLs, each by name
    results = {row.old_url.rsplit("/", 1)[1]: row for row in rows}
    assert results["item.aspx"].findings == ["redirect-wrong-target"]
    assert results["chain.aspx"].findings == ["redirect-wrong-target", "redirect-chain"]
    assert results["chain.aspx"].hops[-1].startswith("200 https://good.example/news/new-page/")
    assert "redirect-loop" in results["loop-a.aspx"].findings
    assert results["wrong.aspx"].findings == ["redirect-wrong-target"]
    assert (
        results["wrong.aspx"].detail
        == "redirects to https://good.example/other/, not https://good.example/news/new-page/"
    )
    assert results["temporary.aspx"].findings == ["redirect-not-301"]
    assert results["to-missing.aspx"].findings == ["redirect-target-not-200"]
    assert results["should-be-gone.aspx"].findings == ["archived-url-not-410"]
    assert results["nobody-decided.aspx"].status == WARN
    assert found["redirects"].status == FAIL
    assert found["redirects"].evidence["findings"]["redirect-wrong-target"] == 4  # the loop goes elsewhere too


def test_missing_phases_and_an_unsigned_agreement_fail_saying_which(world, tmp_path: Path) -> None:
    spec = spec_for(["good.example"], section_22="with_legal")
    del spec["section_22"]["signed_date"]
    empty = tmp_path / "empty-run"
    empty.mkdir()
    checklist, _ = checks.run_checks(spec, configured(world), empty)
    found = by_key(checklist)
    assert found["section-22"].findings == ["section-22-not-signed"]
    assert "'with_legal'" in found["section-22"].summary
    assert found["dpia-approved"].findings == ["dpia-missing"]
    assert "DPIA phase (dpia)" in found["dpia-approved"].summary
    assert found["migration-quality"].findings == ["migration-quality-missing"]
    assert found["accessibility-gate"].findings == ["accessibility-gate-missing"]
    assert "accessibility audit and gate (accessibility) have not run" in found["accessibility-gate"].summary
    assert found["redirects"].findings == ["redirect-map-missing"]
    # a rejected DPIA and failed quality are not "missing"
    folder = run_folder(tmp_path, GOOD_MAP)
    (folder / "dpia" / "decision.json").write_text(json.dumps({"approved": False, "option": "Reject"}))
    gate = {
        "passed": False,
        "counts": {"serious": 3},
        "failures": ["3 serious violation(s), 0 allowed: e.g. color-contrast"],
    }
    (folder / "accessibility" / "audit.json").write_text(json.dumps({"gate": gate}))
    (folder / "migration" / "quality.json").write_text(
        json.dumps({"success": False, "checks": [{"description": "unique new paths", "success": False}]})
    )
    checklist, _ = checks.run_checks(spec_for(["good.example"]), configured(world), folder)
    found = by_key(checklist)
    assert found["dpia-approved"].findings == ["dpia-not-approved"]
    assert found["migration-quality"].findings == ["migration-quality-failed"]
    assert "unique new paths" in found["migration-quality"].summary
    assert found["accessibility-gate"].findings == ["accessibility-gate-failed"]
    assert "3 serious violation(s)" in found["accessibility-gate"].summary


def test_the_report_is_written_as_json_html_and_csv(world, tmp_path: Path) -> None:
    spec = spec_for(["good.example"], ["old.good.example"])
    checklist, rows = checks.run_checks(spec, configured(world), run_folder(tmp_path, GOOD_MAP))
    out = tmp_path / "go_live"
    paths = checks.write_report(out, checklist, rows)
    document = json.loads(Path(paths["json"]).read_text())
    assert document["passed"] is True
    assert {c["key"] for c in document["checks"]} >= {"dns-ingress:good.example", "redirects", "key-page:home"}
    page = Path(paths["html"]).read_text()
    assert "Go-live checklist: Demoshire Police" in page
    assert "<code>tls-certificate</code>" in page
    assert "https://old.good.example/news/item.aspx" in Path(paths["redirects"]).read_text()
    body = checks.decision_body(checklist, "http://airflow/soh/artifacts/x.html")
    assert "[go-live checklist](http://airflow/soh/artifacts/x.html)" in body


def test_connections_go_to_the_address_the_resolver_gives(world) -> None:
    network = configured(world).network
    ingress = world[0]
    assert network.endpoint("good.example", "https", 443) == ("127.0.0.1", ingress.ports["https"])
    assert network.endpoint("good.example", "http", None) == ("127.0.0.1", ingress.ports["http"])
    assert network.endpoint("good.example", "https", 8443) == ("127.0.0.1", 8443)  # an explicit port is kept
    assert network.endpoint("10.1.2.3", "http", None) == ("10.1.2.3", ingress.ports["http"])
    with pytest.raises(LookupFailed, match=r"nowhere\.example does not resolve via 127\.0\.0\.1:\d+: NXDOMAIN"):
        network.addresses("nowhere.example")
    assert network.query("_dmarc.good.example", "TXT").values[0].startswith("v=DMARC1")
    assert network.query("good.example", "AAAA").problem == "no record of this type"


def test_security_headers_are_scored_like_the_observatory() -> None:
    table = settings.load(environ={}).scoring
    bare = headers.score({}, [], "redirection-missing", table)
    assert bare.score == 100 - 25 - 20 - 20 - 20 - 5  # csp, hsts, redirection, xfo, xcto
    assert bare.grade == "F"
    strong = {
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        "Strict-Transport-Security": "max-age=63072000",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    best = headers.score(strong, ["a=1; Secure; HttpOnly; SameSite=Lax"], "redirection-to-https", table)
    assert (best.score, best.grade) == (100 + 10 + 5 + 5 + 5, "A+")
    short_hsts = headers.score(strong | {"Strict-Transport-Security": "max-age=600"}, [], "redirection-to-https", table)
    assert short_hsts.results["strict-transport-security"] == "hsts-implemented-max-age-less-than-six-months"
    assert short_hsts.score == 90 + 10 + 5 + 5  # bonuses count from 90
    inline = headers.score(
        strong | {"Content-Security-Policy": "script-src 'self' 'unsafe-inline'"}, [], "redirection-to-https", table
    )
    assert inline.results["content-security-policy"] == "csp-implemented-with-unsafe-inline"
    assert inline.results["x-frame-options"] == "x-frame-options-not-implemented"
    assert inline.score == 100 - 20 - 20


def test_bad_configuration_is_refused_with_located_errors(tmp_path: Path) -> None:
    with pytest.raises(settings.SettingsError, match="SOH_GOLIVE_HTTPS_PORT='http' is not a port number"):
        settings.load(environ={"SOH_GOLIVE_HTTPS_PORT": "http"})
    with pytest.raises(settings.SettingsError, match=r"'dns\.example' is not address"):
        settings.load(environ={"SOH_GOLIVE_RESOLVER": "dns.example"})
    bad = tmp_path / "go-live.yaml"
    bad.write_text(settings.CONFIG.read_text().replace("concurrency: 16", "concurrency: lots"))
    with pytest.raises(settings.SettingsError, match=r"go-live\.yaml:\d+:\d+: concurrency"):
        settings.load(bad, environ={})
    assert settings.parse_resolver("[::1]:5353") == ("::1", 5353)
    assert settings.parse_resolver("192.0.2.53") == ("192.0.2.53", 53)


def test_the_cli_checks_a_spec_and_prints_json(world, tmp_path: Path) -> None:
    spec = spec_for(["good.example"], ["old.good.example"])
    spec_file = tmp_path / "specs" / "demo.yaml"
    spec_file.parent.mkdir()
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    folder = run_folder(tmp_path, GOOD_MAP)

    env = golive_env(world)
    os.environ.update(env)
    try:
        done = soh("golive-check", str(spec_file), "--run", str(folder), "--out", str(tmp_path / "out"), "--json")
        failing = soh("golive-check", str(spec_file), "--store", str(tmp_path / "empty"), "--out", str(tmp_path / "x"))
    finally:
        for name in env:
            os.environ.pop(name)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["passed"] is True
    assert (tmp_path / "out" / "go-live-checklist.html").is_file()
    assert failing.returncode == 1
    assert "FAIL dpia-approved" in failing.stdout
    assert "the DPIA phase (dpia) has not recorded" in failing.stdout


def test_an_ingress_that_still_accepts_tls_1_1_fails(world, tmp_path: Path) -> None:
    _, dns, ca = world
    with Ingress(ca, legacy_tls=True) as old_ingress:
        old_ingress.add(healthy_site("good.example"))
        check = tlschecks.version("good.example", configured((old_ingress, dns, ca)))
    assert check.status == FAIL
    assert check.findings == ["tls-legacy-accepted"]
    assert "also accepts TLSv1.1" in check.summary
