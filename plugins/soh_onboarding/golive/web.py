"""Checks of what the new site serves: security headers, key pages, robots.txt, sitemap.xml,
security.txt and mixed content. Every request goes through the run's Network (resolver, ports, CA)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from protego import Protego
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from . import headers as scoring
from .model import FAIL, PASS, WARN, Check
from .net import LookupFailed
from .settings import Settings

MAX_BODY = 5 * 1024 * 1024
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ONE_YEAR = 31536000
SUBRESOURCES = (
    ("img", "src"),
    ("script", "src"),
    ("iframe", "src"),
    ("audio", "src"),
    ("video", "src"),
    ("source", "src"),
    ("track", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
    ("form", "action"),
)


@dataclass
class Page:
    """One answer, read once and shared by the checks that need it."""

    url: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)
    body: bytes = b""
    location: str = ""
    error: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def fetch(session: requests.Session, url: str, timeout: float, follow: bool = False) -> Page:
    """GET one URL (no redirects followed unless `follow`), the body capped at MAX_BODY."""
    page = Page(url)
    try:
        with session.get(url, allow_redirects=follow, timeout=timeout, stream=True) as response:
            page.status = response.status_code
            page.headers = {k.lower(): v for k, v in response.headers.items()}
            page.set_cookies = response.raw.headers.getlist("Set-Cookie")
            page.location = urljoin(url, response.headers["Location"]) if "Location" in response.headers else ""
            page.body = response.raw.read(MAX_BODY, decode_content=True) or b""
            page.url = response.url
    except (requests.RequestException, LookupFailed) as exc:
        page.error = f"{type(exc).__name__}: {_short(exc)}"
    return page


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:297] + "..."


def security_headers(domain: str, home: Page, redirection: str, settings: Settings, min_grade: str) -> list[Check]:
    """The Observatory score of the home page against the spec's grade, HSTS as GOV.UK sets it, and
    the headers GDS recommends beyond the score."""
    if home.error or not home.status:
        summary = f"https://{domain}/ did not answer: {home.error}"
        return [Check("security-headers", "headers", domain, FAIL, summary, {}, ["home-unreachable"])]
    result = scoring.score(home.headers, home.set_cookies, redirection, settings.scoring)
    needed = settings.scoring.thresholds[min_grade]
    evidence = {
        "score": result.score,
        "grade": result.grade,
        "min_grade": min_grade,
        "min_score": needed,
        "tests": result.results,
        "modifiers": result.modifiers,
        "headers": {k: v for k, v in home.headers.items() if k not in ("set-cookie", "date")},
    }
    penalties = result.penalties()
    status = PASS if result.score >= needed else FAIL
    lost = ", ".join(f"{name} ({result.modifiers[name]})" for name in penalties) or "no penalties"
    summary = f"grade {result.grade} ({result.score}); {min_grade} or better needed; {lost}"
    checks = [Check("security-headers", "headers", domain, status, summary, evidence, penalties)]

    hsts = home.headers.get("strict-transport-security")
    max_age = re.search(r"(?i)max-age\s*=\s*\"?(\d+)", hsts or "")
    if not hsts or not max_age:
        checks.append(
            Check(
                "hsts",
                "headers",
                domain,
                FAIL,
                "no Strict-Transport-Security header",
                {"value": hsts},
                ["hsts-missing"],
            )
        )
    elif int(max_age.group(1)) < ONE_YEAR or "includesubdomains" not in hsts.lower():
        summary = f"Strict-Transport-Security is '{hsts}'; GOV.UK sets max-age=31536000; includeSubDomains; preload"
        checks.append(Check("hsts", "headers", domain, WARN, summary, {"value": hsts}, ["hsts-weak"]))
    else:
        checks.append(Check("hsts", "headers", domain, PASS, f"Strict-Transport-Security: {hsts}", {"value": hsts}))

    missing = [name for name in ("referrer-policy", "permissions-policy") if name not in home.headers]
    server = home.headers.get("server", "")
    findings = [f"{name}-missing" for name in missing] + (["server-header-present"] if server else [])
    evidence = {"missing": missing, "server": server}
    if findings:
        summary = "GDS also asks for: " + ", ".join(
            [f"a {name.title()} header" for name in missing]
            + ([f"no Server header (it says '{server}')"] if server else [])
        )
        checks.append(Check("recommended-headers", "headers", domain, WARN, summary, evidence, findings))
    else:
        checks.append(
            Check(
                "recommended-headers",
                "headers",
                domain,
                PASS,
                "Referrer-Policy, Permissions-Policy set; no Server header",
                evidence,
            )
        )
    return checks


def key_page(name: str, page: Page) -> Check:
    evidence = {"url": page.url, "status": page.status, "content_type": page.content_type}
    if page.error:
        return Check(
            "key-page",
            "pages",
            name,
            FAIL,
            f"{page.url} did not answer: {page.error}",
            evidence,
            ["key-page-unreachable"],
        )
    if page.status != 200:
        where = f" -> {page.location}" if page.location else ""
        summary = f"{page.url} answers {page.status}{where}, not 200"
        return Check(
            "key-page",
            "pages",
            name,
            FAIL,
            summary,
            evidence | {"location": page.location},
            [f"key-page-{page.status}"],
        )
    return Check("key-page", "pages", name, PASS, f"{page.url} answers 200", evidence)


def mixed_content(pages: dict[str, Page]) -> Check:
    """Sub-resources loaded over http:// on an https page (links to http pages are not mixed content)."""
    found: dict[str, list[str]] = {}
    for name, page in pages.items():
        if page.status != 200 or "html" not in page.content_type:
            continue
        tree = HTMLParser(page.text)
        insecure: list[str] = []
        for tag, attribute in SUBRESOURCES:
            for node in tree.css(f"{tag}[{attribute}]"):
                value = (node.attributes.get(attribute) or "").strip()
                if value.lower().startswith("http://"):
                    insecure.append(f"<{tag} {attribute}={value}>")
        for node in tree.css("link[href]"):
            rel = (node.attributes.get("rel") or "").lower()
            href = (node.attributes.get("href") or "").strip()
            if href.lower().startswith("http://") and any(
                r in rel for r in ("stylesheet", "icon", "preload", "manifest")
            ):
                insecure.append(f"<link rel={rel} href={href}>")
        for node in tree.css("[srcset]"):
            for candidate in (node.attributes.get("srcset") or "").split(","):
                if candidate.strip().lower().startswith("http://"):
                    insecure.append(f"<{node.tag} srcset={candidate.strip()}>")
        if insecure:
            found[name] = insecure[:50]
    checked = [name for name, page in pages.items() if page.status == 200]
    if found:
        total = sum(len(v) for v in found.values())
        summary = f"{total} resource(s) loaded over http on {', '.join(found)}"
        return Check(
            "mixed-content", "content", "", FAIL, summary, {"insecure": found, "checked": checked}, ["mixed-content"]
        )
    return Check(
        "mixed-content",
        "content",
        "",
        PASS,
        f"no http sub-resources on {len(checked)} key page(s)",
        {"checked": checked},
    )


def robots_txt(domain: str, page: Page, home: Page, live: bool) -> Check:
    """robots.txt present and plain text, naming the sitemap. Before the switch a platform keeps a tenant
    out of search engines (robots.txt `Disallow: /`, `X-Robots-Tag: noindex`): a warning then, to be
    gone once live; on a live site either one is a failure."""
    evidence = {"url": page.url, "status": page.status, "content_type": page.content_type}
    if page.status != 200:
        why = page.error or f"answers {page.status}"
        return Check("robots-txt", "files", domain, FAIL, f"{page.url} {why}", evidence, ["robots-missing"])
    if page.content_type != "text/plain":
        summary = f"robots.txt is {page.content_type or 'untyped'}, not text/plain"
        return Check("robots-txt", "files", domain, FAIL, summary, evidence, ["robots-invalid"])
    robots = Protego.parse(page.text)
    evidence["sitemaps"] = list(robots.sitemaps)
    evidence["x_robots_tag"] = home.headers.get("x-robots-tag", "")
    hidden = []
    if not robots.can_fetch(f"https://{domain}/", "*"):
        hidden.append("robots-disallows-all")
    if "noindex" in evidence["x_robots_tag"].lower():
        hidden.append("site-noindex")
    if hidden and live:
        summary = "the live site is hidden from search engines: " + ", ".join(hidden)
        return Check("robots-txt", "files", domain, FAIL, summary, evidence, hidden)
    if hidden:
        summary = f"hidden from search engines while in preview ({', '.join(hidden)}): the switch must lift it"
        return Check("robots-txt", "files", domain, WARN, summary, evidence, hidden)
    if not evidence["sitemaps"]:
        return Check(
            "robots-txt", "files", domain, WARN, "robots.txt names no Sitemap", evidence, ["robots-no-sitemap"]
        )
    summary = f"robots.txt allows crawling; sitemap {', '.join(evidence['sitemaps'])}"
    return Check("robots-txt", "files", domain, PASS, summary, evidence)


def sitemap_xml(domain: str, page: Page, domains: list[str]) -> Check:
    evidence = {"url": page.url, "status": page.status, "content_type": page.content_type}
    if page.status != 200:
        why = page.error or f"answers {page.status}"
        return Check("sitemap-xml", "files", domain, FAIL, f"{page.url} {why}", evidence, ["sitemap-missing"])
    if re.search(rb"<!(DOCTYPE|ENTITY)", page.body, re.IGNORECASE):
        return Check(
            "sitemap-xml",
            "files",
            domain,
            FAIL,
            "sitemap.xml declares a DTD or entities (refused)",
            evidence,
            ["sitemap-invalid"],
        )
    try:
        root = ET.fromstring(page.body)
    except ET.ParseError as exc:
        return Check(
            "sitemap-xml", "files", domain, FAIL, f"sitemap.xml is not XML: {exc}", evidence, ["sitemap-invalid"]
        )
    if root.tag not in (f"{SITEMAP_NS}urlset", f"{SITEMAP_NS}sitemapindex"):
        summary = f"sitemap.xml's root is {root.tag}, not a sitemaps.org urlset or sitemapindex"
        return Check("sitemap-xml", "files", domain, FAIL, summary, evidence, ["sitemap-invalid"])
    locations = [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP_NS}loc")]
    evidence["urls"] = len(locations)
    foreign = [u for u in locations if urlsplit(u).scheme != "https" or (urlsplit(u).hostname or "") not in domains]
    evidence["foreign"] = foreign[:20]
    if not locations:
        return Check("sitemap-xml", "files", domain, FAIL, "sitemap.xml lists no URL", evidence, ["sitemap-empty"])
    if foreign:
        summary = (
            f"{len(foreign)} of {len(locations)} sitemap URLs are not https on the force's domains, e.g. {foreign[0]}"
        )
        return Check("sitemap-xml", "files", domain, FAIL, summary, evidence, ["sitemap-foreign-url"])
    return Check(
        "sitemap-xml",
        "files",
        domain,
        PASS,
        f"sitemap.xml lists {len(locations)} URL(s) on the force's domains",
        evidence,
    )


def security_txt(domain: str, page: Page, now: datetime | None = None) -> Check:
    """RFC 9116: /.well-known/security.txt, text/plain, with Contact and one Expires in the future."""
    now = now or datetime.now(UTC)
    evidence: dict[str, object] = {"url": page.url, "status": page.status, "content_type": page.content_type}
    if page.status != 200:
        why = page.error or f"answers {page.status}"
        return Check("security-txt", "files", domain, FAIL, f"{page.url} {why}", evidence, ["security-txt-missing"])
    fields: dict[str, list[str]] = {}
    for line in page.text.splitlines():
        name, colon, value = line.partition(":")
        if colon and not line.startswith("#"):
            fields.setdefault(name.strip().lower(), []).append(value.strip())
    evidence["contact"] = fields.get("contact", [])
    evidence["expires"] = fields.get("expires", [])
    findings = []
    if page.content_type != "text/plain":
        findings.append("security-txt-not-plain-text")
    if not fields.get("contact"):
        findings.append("security-txt-no-contact")
    expires = fields.get("expires", [])
    if len(expires) != 1:
        findings.append("security-txt-no-expires" if not expires else "security-txt-several-expires")
    else:
        try:
            when = datetime.fromisoformat(expires[0].replace("Z", "+00:00"))
            if when.tzinfo is None:
                raise ValueError("no time zone")
            if when <= now:
                findings.append("security-txt-expired")
        except ValueError:
            findings.append("security-txt-bad-expires")
    if findings:
        return Check("security-txt", "files", domain, FAIL, f"security.txt: {', '.join(findings)}", evidence, findings)
    return Check(
        "security-txt",
        "files",
        domain,
        PASS,
        f"security.txt with contact {evidence['contact'][0]}, expires {expires[0]}",
        evidence,
    )
