"""TLS checks of every domain: a trusted certificate valid for the name, time left, version, http -> https."""

from __future__ import annotations

import ssl
from urllib.parse import urljoin, urlsplit

import requests

from .model import FAIL, PASS, WARN, Check
from .net import LookupFailed, name_matches
from .settings import Settings

MODERN = {"TLSv1.2", "TLSv1.3"}


def certificate(domain: str, settings: Settings) -> list[Check]:
    """tls-certificate (trusted, valid for the name, in its validity period) and tls-expiry (days left)."""
    network = settings.network
    try:
        seen = network.handshake(domain, verify=False)
    except (OSError, LookupFailed) as exc:
        summary = f"no TLS connection to {domain}: {exc}"
        return [Check("tls-certificate", "tls", domain, FAIL, summary, {}, ["tls-unreachable"])]
    facts = seen.certificate_facts()
    evidence = {"address": seen.address, **facts}
    findings = []
    if facts["days_left"] < 0:
        findings.append("certificate-expired")
    if not name_matches(domain, facts["names"]):
        findings.append("certificate-wrong-name")
    try:
        network.handshake(domain, verify=True)
    except ssl.SSLCertVerificationError as exc:
        evidence["verification"] = exc.verify_message or str(exc)
        if not findings:  # expiry and name are reported by name above; anything else is trust
            findings.append("certificate-untrusted")
    except (OSError, LookupFailed) as exc:
        evidence["verification"] = str(exc)
        findings.append("certificate-untrusted")
    checks = []
    if findings:
        words = {
            "certificate-expired": f"expired on {facts['not_after'][:10]}",
            "certificate-wrong-name": f"not valid for {domain} (it names {', '.join(facts['names']) or 'nothing'})",
            "certificate-untrusted": f"not trusted ({evidence.get('verification', '')})",
        }
        summary = f"certificate {'; '.join(words[f] for f in findings)}"
        checks.append(Check("tls-certificate", "tls", domain, FAIL, summary, evidence, findings))
    else:
        summary = f"trusted certificate for {domain} from {facts['issuer']}"
        checks.append(Check("tls-certificate", "tls", domain, PASS, summary, evidence))
    days = facts["days_left"]
    if days > settings.certificate_min_days:
        checks.append(
            Check("tls-expiry", "tls", domain, PASS, f"{days} days to expiry ({facts['not_after'][:10]})", evidence)
        )
    else:
        finding = "certificate-expired" if days < 0 else "certificate-expires-soon"
        summary = f"{days} days to expiry ({facts['not_after'][:10]}); more than {settings.certificate_min_days} needed"
        checks.append(Check("tls-expiry", "tls", domain, FAIL, summary, evidence, [finding]))
    return checks


def version(domain: str, settings: Settings) -> Check:
    """Negotiates TLS 1.2 or later, and refuses TLS 1.1 when a client offers nothing newer."""
    network = settings.network
    try:
        best = network.handshake(domain, verify=False).version
    except (OSError, LookupFailed) as exc:
        return Check("tls-version", "tls", domain, FAIL, f"no TLS connection: {exc}", {}, ["tls-unreachable"])
    evidence: dict[str, str] = {"negotiated": best}
    try:
        old = network.handshake(domain, verify=False, maximum=ssl.TLSVersion.TLSv1_1).version
        evidence["offering_tls_1_1_only"] = f"accepted ({old})"
    except (OSError, ValueError) as exc:
        evidence["offering_tls_1_1_only"] = f"refused ({type(exc).__name__})"
        old = ""
    if best not in MODERN:
        return Check("tls-version", "tls", domain, FAIL, f"negotiates {best}", evidence, ["tls-version-old"])
    if old:
        summary = f"negotiates {best} but also accepts {old}"
        return Check("tls-version", "tls", domain, FAIL, summary, evidence, ["tls-legacy-accepted"])
    return Check("tls-version", "tls", domain, PASS, f"negotiates {best}; refuses TLS 1.1 and older", evidence)


def https_redirect(domain: str, settings: Settings, session: requests.Session) -> tuple[Check, str]:
    """http://domain/ answers one permanent redirect to https on the same host.

    Also returns the Observatory's redirection result, which the security-header score uses.
    """
    url = f"http://{domain}/"
    hops: list[str] = []
    current = url
    try:
        for _ in range(5):
            response = session.get(current, allow_redirects=False, timeout=settings.network.timeout)
            response.close()
            location = response.headers.get("Location")
            hops.append(f"{response.status_code} {current}" + (f" -> {location}" if location else ""))
            if not response.is_redirect or not location:
                break
            current = urljoin(current, location)
            if urlsplit(current).scheme == "https":
                break
    except (requests.RequestException, LookupFailed) as exc:
        evidence = {"hops": hops, "error": str(exc)}
        summary = f"http://{domain}/ does not answer ({type(exc).__name__}): visitors typing the name get nothing"
        return Check(
            "https-redirect", "tls", domain, FAIL, summary, evidence, ["http-unreachable"]
        ), "redirection-missing"
    evidence = {"hops": hops}
    if urlsplit(current).scheme != "https" and len(hops) == 1:
        return (
            Check(
                "https-redirect",
                "tls",
                domain,
                FAIL,
                f"{url} does not redirect to https",
                evidence,
                ["http-no-redirect"],
            ),
            "redirection-missing",
        )
    if urlsplit(current).scheme != "https":
        summary = f"{url} redirects but never to https"
        return Check(
            "https-redirect", "tls", domain, FAIL, summary, evidence, ["http-no-redirect"]
        ), "redirection-not-to-https"
    if len(hops) > 1:
        summary = f"{url} reaches https only after {len(hops)} redirects"
        return (
            Check("https-redirect", "tls", domain, WARN, summary, evidence, ["http-redirect-chain"]),
            "redirection-not-to-https-on-initial-redirection",
        )
    first = response.status_code
    if urlsplit(current).hostname != domain:
        summary = f"{url} redirects to https on another host ({urlsplit(current).hostname}): HSTS cannot be set"
        return Check(
            "https-redirect", "tls", domain, WARN, summary, evidence, ["http-redirect-off-host"]
        ), "redirection-off-host-from-http"
    if first not in (301, 308):
        summary = f"{url} redirects to https with a temporary {first}"
        return Check(
            "https-redirect", "tls", domain, WARN, summary, evidence, ["http-redirect-temporary"]
        ), "redirection-to-https"
    return Check(
        "https-redirect", "tls", domain, PASS, f"{url} -> {current} ({first})", evidence
    ), "redirection-to-https"
