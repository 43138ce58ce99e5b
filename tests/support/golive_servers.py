"""The go-live tests' world, on the sandbox ingress's real servers (sandbox/ingress/): a DNS server, and an
HTTP + HTTPS ingress with a test CA, here with the sites and faults each test wants.

- `DnsServer`: dnslib's UDP/TCP server on 127.0.0.1 and a free high port, answering from zone text
  (NOERROR with no answer for a name that exists with other types, NXDOMAIN otherwise, as real servers do).
- `Ingress`: one HTTP and one HTTPS server on 127.0.0.1, serving sites by Host header and certificates by
  SNI, like a platform's ingress. Certificates come from a test CA made by `trustme`: per domain, expired
  ones and ones for the wrong name included. Each `Site` is a small, configurable website.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from soh_onboarding.golive import settings

sys.path.insert(0, str(Path(__file__).parents[2]))  # the project's root: the sandbox package
from sandbox.ingress import SECURE_HEADERS, Answer, DnsServer, Ingress, LocalCA, Site, free_port, zone_records
from sandbox.ingress.dns import PARKED

__all__ = ["SECURE_HEADERS", "Answer", "DnsServer", "Ingress", "LocalCA", "Site", "free_port", "zone_records"]

KEY_PAGES = {
    "home": "/",
    "report_a_crime": "/ro/report/ocr/af/how-to-report-a-crime/",
    "contact": "/contact/af/contact-us/",
    "accessibility_statement": "/accessibility/",
    "privacy_notice": "/privacy-notice/",
    "cookies": "/cookies/",
}


# --- sites ---------------------------------------------------------------------------------------


def html(title: str, extra: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="stylesheet" href="/assets/site.css"></head><body><main><h1>{title}</h1>'
        f'<img src="/assets/logo.png" alt="Logo"><a href="http://example.org/">an http link is fine</a>{extra}'
        f"</main></body></html>"
    ).encode()


def healthy_site(host: str, other_hosts: tuple[str, ...] = ()) -> Site:
    """A tenant site that passes every go-live check."""
    pages = {path: Answer(200, html(name.replace("_", " ").title())) for name, path in KEY_PAGES.items()}
    urls = "".join(f"<url><loc>https://{host}{path}</loc></url>" for path in KEY_PAGES.values())
    expires = (datetime.now(UTC) + timedelta(days=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pages |= {
        "/robots.txt": Answer(
            200, f"User-agent: *\nDisallow: /search\nSitemap: https://{host}/sitemap.xml\n".encode(), "text/plain"
        ),
        "/sitemap.xml": Answer(
            200,
            f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
            "application/xml",
        ),
        "/.well-known/security.txt": Answer(
            200,
            f"Contact: mailto:security@{host}\nExpires: {expires}\nPreferred-Languages: en\n".encode(),
            "text/plain; charset=utf-8",
        ),
        "/news/new-page/": Answer(200, html("News")),
        "/other/": Answer(200, html("Another page")),
    }
    return Site(host, pages)


# --- the ingress -----------------------------------------------------------------------------------


@contextmanager
def running(ca: LocalCA, zone: str) -> Iterator[tuple[Ingress, DnsServer]]:
    with Ingress(ca) as ingress, DnsServer(zone) as dns:
        yield ingress, dns


# --- the standard world of the go-live tests ----------------------------------------------------

PARKED = PARKED.replace("{address}", "127.0.0.1").replace("{issuer}", "letsencrypt.org")
HEALTHY = ("good.example", "old.good.example", "expired.example", "wrongname.example", "untrusted.example")
ZONE = (
    "".join(PARKED.format(name=name) for name in (*HEALTHY, "faulty.example"))
    + """
mail.good.example. 60 IN A 127.0.0.1
mail.good.example. 60 IN CAA 0 issue "letsencrypt.org"
mail.good.example. 60 IN TXT "v=spf1 include:_spf.mailer.example -all"
_dmarc.mail.good.example. 60 IN TXT "v=DMARC1; p=quarantine"
wrongip.example. 60 IN A 192.0.2.10
wrongip.example. 60 IN CAA 0 issue "digicert.com"
wrongip.example. 60 IN TXT "google-site-verification=abc"
"""
)


@contextmanager
def standard_world(folder: Path) -> Iterator[tuple[Ingress, DnsServer, LocalCA]]:
    """The tests' ingress and DNS: healthy sites, an old domain with good and broken redirects, bad
    certificates (expired, wrong name, untrusted CA), a faulty tenant, and DNS records right and wrong."""
    ca = LocalCA(folder)
    (folder / "other").mkdir()
    other_ca = LocalCA(folder / "other")
    with Ingress(ca) as ingress, DnsServer(ZONE) as dns:
        ingress.add(healthy_site("good.example"))
        ingress.add(healthy_site("mail.good.example"))
        old = ingress.add(Site("old.good.example", {"/": Answer(301, location="https://good.example/")}))
        old.fixed = {
            "/news/item.aspx": Answer(301, location="https://good.example/news/new-page/"),
            "/plain.aspx": Answer(301, location="https://good.example/other/"),
            "/archive/old.aspx": Answer(410, b"Gone"),
            # faults
            "/chain.aspx": Answer(301, location="https://old.good.example/chain-2.aspx"),
            "/chain-2.aspx": Answer(301, location="https://good.example/news/new-page/"),
            "/loop-a.aspx": Answer(301, location="https://old.good.example/loop-b.aspx"),
            "/loop-b.aspx": Answer(301, location="https://old.good.example/loop-a.aspx"),
            "/wrong.aspx": Answer(301, location="https://good.example/other/"),
            "/temporary.aspx": Answer(302, location="https://good.example/news/new-page/"),
            "/to-missing.aspx": Answer(301, location="https://good.example/gone-missing/"),
            "/should-be-gone.aspx": Answer(200, html("Still here")),
        }
        ingress.add(healthy_site("expired.example"), certificate=ca.context("expired.example", expired=True))
        ingress.add(healthy_site("wrongname.example"), certificate=ca.context("someone-else.example"))
        ingress.add(healthy_site("untrusted.example"), certificate=other_ca.context("untrusted.example"))
        faulty = ingress.add(healthy_site("faulty.example"))
        faulty.headers.pop("Strict-Transport-Security")
        faulty.headers.pop("Content-Security-Policy")
        faulty.server_header = "Apache/2.4.1"
        faulty.cookies = ["SESSIONID=abc; Path=/"]
        del faulty.pages[KEY_PAGES["cookies"]]
        faulty.pages["/"] = Answer(200, html("Home", '<script src="http://cdn.example/tracker.js"></script>'))
        faulty.pages["/robots.txt"] = Answer(200, b"User-agent: *\nDisallow: /\n", "text/plain")
        faulty.pages["/.well-known/security.txt"] = Answer(
            200, b"Contact: mailto:x@faulty.example\nExpires: 2020-01-01T00:00:00Z\n", "text/plain"
        )
        faulty.pages["/sitemap.xml"] = Answer(200, b"<html>not a sitemap</html>", "text/html")
        yield ingress, dns, ca


def golive_env(world: tuple[Ingress, DnsServer, LocalCA]) -> dict[str, str]:
    """The environment pointing the go-live checks at the test's DNS server, ingress ports and CA."""
    ingress, dns, ca = world
    return {
        "SOH_GOLIVE_RESOLVER": dns.address,
        "SOH_GOLIVE_HTTP_PORT": str(ingress.ports["http"]),
        "SOH_GOLIVE_HTTPS_PORT": str(ingress.ports["https"]),
        "SOH_GOLIVE_CA_BUNDLE": str(ca.bundle),
        "SOH_GOLIVE_LOCAL_TEST_CA": "1",
    }


def configured(world: tuple[Ingress, DnsServer, LocalCA]) -> settings.Settings:
    """The real configuration file, with the environment pointing the checks at the local servers."""
    return settings.load(environ=golive_env(world))


def spec_for(domains: list[str], old_domains: list[str] = (), mail: list[str] = (), section_22: str = "signed") -> dict:
    data = yaml.safe_load((Path(__file__).parents[2] / "onboarding_specs" / "demo.yaml").read_text())
    data = copy.deepcopy(data)
    data["tenant"]["domains"] = domains
    data["go_live"]["old_domains"] = list(old_domains)
    legacy = data["legacy_site"]
    legacy["other_domains"] = list(dict.fromkeys([*legacy.get("other_domains", []), *old_domains]))
    data["go_live"]["mail_domains"] = list(mail)
    data["go_live"]["key_pages"] = dict(KEY_PAGES)
    data["section_22"]["status"] = section_22
    data["section_22"]["signed_date"] = str(data["section_22"]["signed_date"])
    return data


def run_folder(tmp_path: Path, redirects: list[tuple[str, str, str]], *, phases: bool = True) -> Path:
    folder = tmp_path / "run"
    (folder / "migration").mkdir(parents=True)
    lines = ["old_url,new_url,type", *(",".join(row) for row in redirects)]
    (folder / "migration" / "redirects.csv").write_text("\n".join(lines) + "\n")
    if phases:
        (folder / "dpia").mkdir()
        (folder / "dpia" / "decision.json").write_text(
            json.dumps({"approved": True, "option": "Approve", "responded_by": "Priya Shah (dpo@x)"})
        )
        (folder / "migration" / "quality.json").write_text(json.dumps({"success": True, "passed": 9, "total": 9}))
        (folder / "accessibility").mkdir()
        gate = {"passed": True, "counts": {"critical": 0, "serious": 0, "moderate": 2, "minor": 5}, "failures": []}
        (folder / "accessibility" / "audit.json").write_text(json.dumps({"site": "preview", "gate": gate}))
    return folder


GOOD_MAP = [
    ("https://old.good.example/news/item.aspx", "https://good.example/news/new-page/", "redirect"),
    ("http://old.good.example/plain.aspx", "https://good.example/other/", "redirect"),
    ("https://old.good.example/archive/old.aspx", "", "archive"),
]
