"""Tenants set up directly in a sandbox platform, for tests of what reads tenant sites (go-live checks,
accessibility audits): a well-configured one, and one with the mistakes go-live checks must catch.

They are written straight into the store (no HTTP), so a test needs no client; each function returns
the ground truth of what it built.
"""

from __future__ import annotations

from typing import Any

from .api import SecurityHeaders, page_hash
from .store import now

GOOD_SERVICES = ["report-a-crime", "contact-us", "your-area", "news-and-appeals", "cookies-and-analytics"]


def configured_tenant(
    platform: Any,
    tenant_id: str = "good",
    domains: tuple[str, ...] = ("www.good-force.example",),
    display_name: str = "Goodshire Police",
    services: list[str] | None = None,
    headers: dict[str, Any] | None = None,
    pages: dict[str, tuple[str, str]] | None = None,
    redirects: dict[str, tuple[str | None, int]] | None = None,
    state: str = "preview",
) -> dict[str, Any]:
    """A tenant with branding, services, the default security headers (HSTS on), a few pages and
    redirects from old URLs. `pages`: path -> (title, body_html); `redirects`: from_path -> (to_path, status)."""
    store = platform.store
    store.put_tenant(tenant_id, display_name)
    store.set_tenant_field(tenant_id, "security_headers", SecurityHeaders(**(headers or {})).model_dump())
    taken = store.set_domains(tenant_id, list(domains))
    if taken:
        raise ValueError(f"the domain {taken} belongs to another tenant")
    store.set_tenant_field(
        tenant_id,
        "branding",
        {"primary_colour": "#00305e", "secondary_colour": "#1d5e9c", "logo_url": None, "logo_alt": display_name},
    )
    store.set_tenant_field(tenant_id, "services", services if services is not None else GOOD_SERVICES)
    pages = (
        pages
        if pages is not None
        else {
            "/": (f"{display_name}: home", "<p>Welcome. In an emergency always call 999.</p>"),
            "/news/": (
                "News",
                '<p>The latest news.</p><ul><li><a href="/news/force/man-charged/">Man charged</a></li></ul>',
            ),
            "/news/force/man-charged/": ("Man charged", "<p>A man has been charged.</p>"),
            "/advice/burglary/": ("Burglary", "<p>How to protect your home.</p>"),
        }
    )
    redirects = (
        redirects
        if redirects is not None
        else {
            "/default.aspx": ("/", 301),
            "/news/man-charged-1.aspx": ("/news/force/man-charged/", 301),
            "/advice/burglary.aspx": ("/advice/burglary/", 301),
            "/news/archive/2015/old-story.aspx": (None, 410),
        }
    )
    stamp = now()
    with store.transaction() as db:
        for path, (title, body) in pages.items():
            record = {"path": path, "title": title, "summary": "", "body_html": body, "content_type": "page"}
            db.execute(
                "INSERT OR REPLACE INTO pages (tenant_id, path, title, summary, body_html, content_type, published, "
                "content_hash, revision, updated_at) VALUES (?, ?, ?, '', ?, 'page', NULL, ?, 1, ?)",
                (tenant_id, path, title, body, page_hash(record), stamp),
            )
        for from_path, (to_path, status) in redirects.items():
            db.execute(
                "INSERT OR REPLACE INTO redirects (tenant_id, from_path, to_path, status, revision, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?)",
                (tenant_id, from_path, to_path, status, stamp),
            )
    store.set_tenant_field(tenant_id, "state", state)
    return {"tenant_id": tenant_id, "domains": list(domains), "pages": sorted(pages), "redirects": redirects}


def misconfigured_tenant(
    platform: Any, tenant_id: str = "broken", domains: tuple[str, ...] = ("www.broken-force.example",)
) -> dict[str, Any]:
    """A tenant with what go-live checks must refuse: no HSTS, a redirect chain (two hops), a key page
    that answers 404 (contact us: the service is not enabled and no page published), and a redirect
    that lands on the wrong page (the old contact page sends visitors to the cookies page)."""
    built = configured_tenant(
        platform,
        tenant_id,
        domains,
        display_name="Brokenshire Police",
        services=["report-a-crime", "news-and-appeals"],
        headers={"hsts_max_age": 0},
        redirects={
            "/default.aspx": ("/", 301),
            "/news/man-charged-1.aspx": ("/news/man-charged-1/", 301),  # first hop
            "/news/man-charged-1/": ("/news/force/man-charged/", 301),  # second hop
            "/contact-us.aspx": ("/cookies/", 301),  # wrong page
            "/advice/burglary.aspx": ("/advice/burglary/", 301),
        },
    )
    return built | {
        "problems": {
            "no_hsts": True,
            "redirect_chain": ["/news/man-charged-1.aspx", "/news/man-charged-1/", "/news/force/man-charged/"],
            "missing_key_page": "/contact/af/contact-us/",
            "wrong_redirect": {"from": "/contact-us.aspx", "to": "/cookies/", "expected": "/contact/af/contact-us/"},
        }
    }
