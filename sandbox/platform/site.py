"""Each tenant's website, served from what was published to it, in the platform's accessible template.

Two ways in (README.md): the preview at `/preview/<tenant_id>/...` on the platform's own host, and the
tenant's domains by the Host header. What a request gets, in order: robots.txt, sitemap.xml and the
stylesheet; an asset under /media/; a published page; the platform's own home, accessibility
statement, privacy notice and cookies pages; an enabled service's page; a redirect (301) or gone (410) from an
old URL; the same path with a trailing slash (301); else 404. Every answer carries the tenant's
security headers; a tenant in preview, and every preview URL, also says noindex.

A tenant's first domain is its primary (canonical) one; the others (the force's old domains, aliases) are
canonicalised as real platforms do: an old URL in the redirect map answers its 301 (to the new path on the
primary domain, over https) or 410 there, and every other path a 301 to the same path on the primary domain.
So the public's old links on the old domains reach their new page in one redirect, whatever the scheme.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from .cms_source import CmsUnavailable

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=False,
)
NAV_SERVICES = ("report-a-crime", "contact-us", "your-area", "news-and-appeals", "careers")
PLATFORM_PAGES = {
    "/": "Home",
    "/accessibility/": "Accessibility statement",
    "/privacy-notice/": "Privacy notice",
    "/cookies/": "Cookies",
}
CONSENT_COOKIE = "cookies_policy"
_ROOT_LINK = re.compile(r"""(\s(?:href|src|action)=["'])/(?!/)""")


class Site:
    """One request to one tenant's site: where it was addressed (`base`) and what the tenant is."""

    def __init__(self, platform: Any, tenant: dict[str, Any], base: str, request: Request, preview: bool) -> None:
        self.platform, self.tenant, self.base, self.request = platform, tenant, base, request
        self.preview = preview
        self.store = platform.store

    @cached_property
    def content(self) -> Any:
        """Where its pages and media are: the CMS when it holds the tenant's start page, else the store."""
        return self.platform.content_of(self.tenant["tenant_id"])

    # --- what is there -------------------------------------------------------------------------

    def services(self) -> list[dict[str, Any]]:
        catalogue = self.platform.catalogue
        return [catalogue[s] for s in self.tenant["services"] if s in catalogue]

    def page_paths(self) -> list[str]:
        """Every page the site serves, published or the platform's own."""
        paths = set(self.content.all_paths("pages", self.tenant["tenant_id"]))
        paths.update(service["path"] for service in self.services())
        paths.update(PLATFORM_PAGES)
        return sorted(paths)

    def exists(self, path: str) -> bool:
        return (
            path in PLATFORM_PAGES
            or any(service["path"] == path for service in self.services())
            or self.content.page(self.tenant["tenant_id"], path) is not None
        )

    # --- answers -------------------------------------------------------------------------------

    def respond(self, path: str, query: str) -> Response:
        tenant_id = self.tenant["tenant_id"]
        if path == "/robots.txt":
            return self._finish(PlainTextResponse(self.robots()))
        if path == "/.well-known/security.txt":
            return self._finish(PlainTextResponse(self.security_txt()))
        if path == "/sitemap.xml":
            return self._finish(Response(self.sitemap(), media_type="application/xml"))
        if path == "/_platform/site.css":
            return self._finish(Response(self.stylesheet(), media_type="text/css"))
        if path.startswith("/media/"):
            asset = self.content.asset(tenant_id, path)
            if asset is not None:
                return self._finish(Response(asset["data"], media_type=asset["content_type"]))
        page = self.content.page(tenant_id, path)
        if page is not None:
            return self._page(path, page["title"], Markup(page["body_html"]), page["summary"], page["published"])
        if path in PLATFORM_PAGES:
            return self._page(path, self._platform_title(path), self._platform_body(path))
        for service in self.services():
            if service["path"] == path:
                body = self._macro("service", self.tenant, service)
                return self._page(path, service["name"], body, service["description"])
        redirect = self.redirect(path, query)
        if redirect is not None:
            if redirect["status"] == 301:
                return self._finish(RedirectResponse(self.absolute(redirect["to_path"]), status_code=301))
            return self.gone(path, redirect)
        if not path.endswith("/") and self.exists(path + "/"):
            return self._finish(RedirectResponse(self.absolute(path + "/"), status_code=301))
        return self._page(path, "Page not found", self._macro("not_found", self.base), status=404)

    def redirect(self, path: str, query: str) -> dict[str, Any] | None:
        """The redirect map's entry for an old URL: path and query first, then the path alone."""
        tenant_id = self.tenant["tenant_id"]
        found = self.store.redirect(tenant_id, f"{path}?{query}") if query else None
        return found or self.store.redirect(tenant_id, path)

    def gone(self, path: str, redirect: dict[str, Any]) -> Response:
        """410 Gone for a retired old URL: its page offers the suggested page, when the map names one and it
        is published, by its title."""
        suggested = redirect.get("suggested_path")
        page = self.content.page(self.tenant["tenant_id"], suggested) if suggested else None
        offer = (self.absolute(suggested), page["title"]) if page is not None else None
        body = self._macro("gone", self.base, offer)
        return self._page(path, "This page has been removed", body, status=410)

    def respond_as_alias(self, path: str, query: str) -> Response:
        """A request on one of the tenant's other domains (self.base is the primary's https origin): the
        old URL's redirect or gone answer, else the same path on the primary domain."""
        redirect = self.redirect(path, query)
        if redirect is not None and redirect["status"] != 301:
            return self.gone(path, redirect)
        same = quote(path, safe="/:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")
        target = redirect["to_path"] if redirect is not None else same
        return self._finish(RedirectResponse(self.absolute(target), status_code=301))

    def consent(self, analytics: str, return_to: str) -> Response:
        """The cookie banner's form: remember the choice, go back where the visitor was."""
        if not return_to.startswith("/") or return_to.startswith("//"):
            return_to = "/"
        response = RedirectResponse(self.absolute(return_to), status_code=303)
        response.set_cookie(
            CONSENT_COOKIE,
            "yes" if analytics == "yes" else "no",
            max_age=365 * 24 * 3600,
            path=(self.base_path() or "/"),
            samesite="lax",
            httponly=True,
        )
        return self._finish(response)

    def robots(self) -> str:
        if self.preview or self.tenant["state"] != "live":
            rules = "User-agent: *\nDisallow: /\n"
        else:
            rules = "User-agent: *\nDisallow: /cookies/consent\n"
        return f"{rules}\nSitemap: {self.absolute('/sitemap.xml')}\n"

    def security_txt(self) -> str:
        """RFC 9116, as GDS asks of every service: where to report a vulnerability, valid for a year."""
        expires = date.fromordinal(date.today().toordinal() + 365).isoformat()
        return (
            "Contact: mailto:security@soh.police.example\n"
            f"Expires: {expires}T00:00:00Z\n"
            "Preferred-Languages: en\n"
            f"Canonical: {self.absolute('/.well-known/security.txt')}\n"
        )

    def sitemap(self) -> str:
        urls = "".join(f"  <url><loc>{escape(self.absolute(path))}</loc></url>\n" for path in self.page_paths())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}</urlset>\n"
        )

    def stylesheet(self) -> str:
        branding = self.tenant["branding"] or {}
        primary = branding.get("primary_colour") or "#1d70b8"
        link = branding.get("secondary_colour") or primary
        return _templates.get_template("site.css.j2").render(primary=primary, link=link)

    # --- helpers -------------------------------------------------------------------------------

    def base_path(self) -> str:
        return urlsplit(self.base).path.rstrip("/")

    def absolute(self, path: str) -> str:
        """A path on the tenant's site as a URL; a redirect's target off the site (a national destination,
        an archived copy) as it is."""
        return path if path.startswith(("https://", "http://")) else f"{self.base}{path}"

    def _platform_title(self, path: str) -> str:
        return self.tenant["display_name"] if path == "/" else PLATFORM_PAGES[path]

    def _platform_body(self, path: str) -> Markup:
        if path == "/":
            return self._macro("home", self.tenant, self.services(), self.base)
        if path == "/accessibility/":
            return self._macro("accessibility", self.tenant, date.today().strftime("%-d %B %Y"))
        if path == "/privacy-notice/":
            return self._macro("privacy", self.tenant)
        return self._macro("cookies", self.tenant, self.base, self.request.cookies.get(CONSENT_COOKIE))

    def _macro(self, name: str, *args: Any) -> Markup:
        return Markup(getattr(_templates.get_template("bodies.html.j2").module, name)(*args))

    def _page(
        self, path: str, title: str, body: Markup, summary: str = "", published: str | None = None, status: int = 200
    ) -> Response:
        if self.preview:  # links inside the content are root-relative: keep the visitor in the preview
            body = Markup(_ROOT_LINK.sub(lambda m: f"{m.group(1)}{self.base_path()}/", str(body)))
        nav = [
            {"name": self.platform.catalogue[s]["name"], "path": self.platform.catalogue[s]["path"]}
            for s in NAV_SERVICES
            if s in self.tenant["services"] and s in self.platform.catalogue
        ]
        html = _templates.get_template("page.html.j2").render(
            tenant=self.tenant,
            title=title,
            body=body,
            summary=summary,
            published=published,
            path=path,
            base=self.base,
            canonical=f"https://{self.tenant['domains'][0]}{path}" if self.tenant["domains"] else self.absolute(path),
            nav=nav,
            consent=self.request.cookies.get(CONSENT_COOKIE),
            noindex=self.noindex,
            preview=self.preview or self.tenant["state"] != "live",
        )
        return self._finish(Response(html, status_code=status, media_type="text/html; charset=utf-8"))

    @property
    def noindex(self) -> bool:
        return self.preview or self.tenant["state"] != "live"

    def _finish(self, response: Response) -> Response:
        for name, value in security_headers(self.tenant["security_headers"]):
            response.headers[name] = value
        if self.noindex:
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response


def security_headers(config: dict[str, Any]) -> list[tuple[str, str]]:
    """The response headers a tenant's security configuration asks for."""
    headers = []
    if config.get("hsts_max_age"):
        value = f"max-age={config['hsts_max_age']}"
        value += "; includeSubDomains" if config.get("hsts_include_subdomains") else ""
        value += "; preload" if config.get("hsts_preload") else ""
        headers.append(("Strict-Transport-Security", value))
    if config.get("content_security_policy"):
        headers.append(("Content-Security-Policy", config["content_security_policy"]))
    if config.get("x_frame_options"):
        headers.append(("X-Frame-Options", config["x_frame_options"]))
    if config.get("referrer_policy"):
        headers.append(("Referrer-Policy", config["referrer_policy"]))
    if config.get("permissions_policy"):
        headers.append(("Permissions-Policy", config["permissions_policy"]))
    if config.get("x_content_type_options"):
        headers.append(("X-Content-Type-Options", "nosniff"))
    return headers


def build_router(platform: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    store = platform.store

    def unknown(what: str) -> Response:
        return PlainTextResponse(f"{what} is not on this platform.\n", status_code=404)

    @router.api_route("/preview/{tenant_id}", methods=["GET", "HEAD"])
    def preview_root(tenant_id: str, request: Request) -> Response:
        return RedirectResponse(f"{request.url.path}/", status_code=301)

    @router.api_route("/preview/{tenant_id}/{path:path}", methods=["GET", "HEAD", "POST"])
    async def preview(tenant_id: str, path: str, request: Request) -> Response:
        tenant = store.tenant(tenant_id)
        if tenant is None:
            return unknown(f"The tenant '{tenant_id}'")
        base = f"{str(request.base_url).rstrip('/')}/preview/{tenant_id}"
        return await _serve(Site(platform, tenant, base, request, preview=True), "/" + path, request)

    @router.api_route("/{path:path}", methods=["GET", "HEAD", "POST"])
    async def by_host(path: str, request: Request) -> Response:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].lower() if request.headers.get("host") else ""
        host = host.strip("[]")
        owner = store.domain_owner(host) if host else None
        if owner is None:
            if path == "":
                return _landing(platform, request)
            return unknown(f"The domain '{host}'")
        tenant = store.tenant(owner)
        assert tenant is not None
        if host != tenant["domains"][0]:  # an old domain or alias: canonicalised onto the primary domain
            site = Site(platform, tenant, f"https://{tenant['domains'][0]}", request, preview=False)
            return site.respond_as_alias("/" + path, request.url.query)
        base = f"{request.url.scheme}://{request.headers['host']}"
        return await _serve(Site(platform, tenant, base, request, preview=False), "/" + path, request)

    return router


async def _serve(site: Site, path: str, request: Request) -> Response:
    if request.method == "POST":
        if path != "/cookies/consent":
            return site._finish(PlainTextResponse("Method not allowed\n", status_code=405))
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        return site.consent(form.get("analytics", ["no"])[0], form.get("return_to", ["/"])[0])
    try:  # in a thread: a site read from the CMS waits on it, and must not hold up the other requests
        return await run_in_threadpool(site.respond, path, request.url.query)
    except CmsUnavailable as error:
        return site._finish(PlainTextResponse(f"The content service is unavailable: {error}\n", status_code=502))


def _landing(platform: Any, request: Request) -> Response:
    """The platform's own host: where each tenant's preview is (for people, not part of the contract)."""
    base = str(request.base_url).rstrip("/")
    items = "".join(
        f'<li><a href="{base}/preview/{tenant_id}/">{escape(tenant_id)}</a></li>'
        for tenant_id in platform.store.tenant_ids()
    )
    html = (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Sandbox platform</title></head>'
        f"<body><main><h1>Sandbox Single Online Home platform</h1><p>Admin API: {base}/api/v1/ "
        f"(contract: schemas/platform-api.yaml)</p><h2>Tenant previews</h2><ul>{items}</ul></main></body></html>"
    )
    return Response(html, media_type="text/html; charset=utf-8")
