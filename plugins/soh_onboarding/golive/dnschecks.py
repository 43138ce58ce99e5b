"""DNS checks of every domain: points at the platform's ingress; CAA; SPF and DMARC or parked-domain records.

Mail: a domain that sends e-mail needs an SPF record and a DMARC policy; one that sends none needs the
parked-domain records GDS asks for (SPF `v=spf1 -all`, DMARC `p=reject`), so nobody can send as the
force from it. Sources: GDS "Protecting parked domains" and "Email security standards" (shared/reference).
"""

from __future__ import annotations

import re

from .model import FAIL, PASS, WARN, Check
from .net import Network
from .settings import Settings


def ingress(domain: str, settings: Settings) -> Check:
    cnames, addresses, problem = settings.network.chain(domain)
    evidence = {"cname_chain": cnames, "addresses": addresses, "ingress": list(settings.ingress_addresses)}
    if not addresses:
        return Check(
            "dns-ingress", "dns", domain, FAIL, f"{domain} does not resolve: {problem}", evidence, ["no-address"]
        )
    stray = [a for a in addresses if a not in settings.ingress_addresses]
    via_cname = any(c.rstrip(".").lower() in settings.cname_targets for c in cnames)
    if stray and not via_cname:
        return Check(
            "dns-ingress",
            "dns",
            domain,
            FAIL,
            f"{domain} points at {', '.join(stray)}, not the platform's ingress ({', '.join(settings.ingress_addresses)})",
            evidence,
            ["wrong-address"],
        )
    return Check(
        "dns-ingress", "dns", domain, PASS, f"{domain} resolves to the ingress ({', '.join(addresses)})", evidence
    )


def caa(domain: str, settings: Settings) -> Check:
    """RFC 8659: the CAA record set is the closest one climbing from the domain towards the root."""
    labels = domain.rstrip(".").split(".")
    found_at, records = "", ()
    for start in range(len(labels) - 1):
        name = ".".join(labels[start:])
        answer = settings.network.query(name, "CAA")
        if answer.found:
            found_at, records = name, answer.values
            break
    evidence = {"found_at": found_at, "records": list(records), "platform_issuers": list(settings.caa_issuers)}
    if not records:
        return Check(
            "dns-caa",
            "dns",
            domain,
            WARN,
            f"no CAA record for {domain} or its parents: any CA may issue for it",
            evidence,
            ["caa-missing"],
        )
    issuers = {_caa_issuer(r) for r in records if r.split(" ", 2)[1:2] == ["issue"]}
    allowed = [i for i in settings.caa_issuers if i in issuers]
    if not allowed:
        return Check(
            "dns-caa",
            "dns",
            domain,
            FAIL,
            f"CAA at {found_at} allows {', '.join(sorted(i or ';' for i in issuers)) or 'no issuer'}, not the platform's CA "
            f"({', '.join(settings.caa_issuers)}): its certificate cannot be issued or renewed",
            evidence,
            ["caa-wrong-issuer"],
        )
    return Check("dns-caa", "dns", domain, PASS, f"CAA at {found_at} allows {', '.join(allowed)}", evidence)


def _caa_issuer(record: str) -> str:
    value = record.split(" ", 2)[2].strip().strip('"')
    return value.split(";", 1)[0].strip()


def _spf(network: Network, domain: str) -> tuple[list[str], str]:
    answer = network.query(domain, "TXT")
    return [v for v in answer.values if v.lower().startswith("v=spf1")], answer.problem


def _dmarc(network: Network, domain: str) -> tuple[list[str], dict[str, str]]:
    answer = network.query(f"_dmarc.{domain}", "TXT")
    records = [v for v in answer.values if v.replace(" ", "").lower().startswith("v=dmarc1")]
    tags = {}
    if len(records) == 1:
        for part in records[0].split(";"):
            key, _, value = part.partition("=")
            tags[key.strip().lower()] = value.strip().lower()
    return records, tags


def mail(domain: str, sends_mail: bool, settings: Settings) -> Check:
    network = settings.network
    spf, _ = _spf(network, domain)
    dmarc, tags = _dmarc(network, domain)
    mx = network.query(domain, "MX")
    evidence = {"sends_mail": sends_mail, "spf": spf, "dmarc": dmarc, "mx": list(mx.values)}
    findings: list[str] = []
    warnings: list[str] = []
    if len(spf) > 1:
        findings.append("spf-multiple")
    if len(dmarc) > 1:
        findings.append("dmarc-multiple")
    if sends_mail:
        if not spf:
            findings.append("spf-missing")
        elif re.search(r"(^|\s)[+]?all(\s|$)", spf[0]):
            findings.append("spf-allows-all")
        if not dmarc:
            findings.append("dmarc-missing")
        elif tags.get("p") == "none":
            warnings.append("dmarc-policy-none")
        title = "sends e-mail: SPF and DMARC"
    else:
        if not spf or not re.fullmatch(r"(?i)v=spf1\s+-all", spf[0].strip()):
            findings.append("parked-spf-missing")
        if not dmarc or tags.get("p") != "reject":
            findings.append("parked-dmarc-missing")
        if mx.values and mx.values != ("0 .",):
            warnings.append("parked-mx-not-null")
        title = "sends no e-mail: parked-domain records (SPF -all, DMARC p=reject)"
    if findings:
        return Check("dns-mail", "dns", domain, FAIL, f"{title}: {', '.join(findings)}", evidence, findings + warnings)
    if warnings:
        return Check("dns-mail", "dns", domain, WARN, f"{title}: {', '.join(warnings)}", evidence, warnings)
    return Check("dns-mail", "dns", domain, PASS, f"{title}: in place", evidence)
