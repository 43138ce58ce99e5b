"""The admin API of schemas/platform-api.yaml, as the supplier's platform would answer it.

Tenants are created or updated by PUT (idempotent); pages, assets and redirects are upserted in batches
keyed by path, each batch applied whole or not at all, and retried batches are recognised by their
Idempotency-Key. Pages carry the contract's content hash, which the platform recomputes and refuses if it
differs, so a read-back of the hashes proves what was stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path as PathLib
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from .store import Store, now

CATALOGUE = PathLib(__file__).resolve().parents[2] / "config" / "services.yaml"

VERSION = "1.1.0"
SLUG = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
HOSTNAME = r"^(localhost|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9])$"
COLOUR = r"^#[0-9a-fA-F]{6}$"
SEGMENT = r"[A-Za-z0-9_~!$&'()*+,;=:@%-][A-Za-z0-9._~!$&'()*+,;=:@%-]*"
PAGE_PATH = rf"^/({SEGMENT}/)*({SEGMENT})?$"
"""A path on the tenant's site: absolute, no empty, '.' or '..' segment, no query or fragment."""
OLD_PATH = rf"^/({SEGMENT}/)*({SEGMENT})?(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
"""An old URL's path and query, as a redirect matches it."""
OFF_SITE = (
    r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
)
"""A redirect's target off the tenant's site: a national destination, or a web archive's copy of the old URL."""
REDIRECT_TARGET = rf"({PAGE_PATH})|({OFF_SITE})"
HEADER_VALUE = r"^[\x20-\x7e]*$"
SHA256 = r"^[0-9a-f]{64}$"
MAX_PAGES_PER_BATCH, MAX_ASSETS_PER_BATCH, MAX_REDIRECTS_PER_BATCH = 1000, 200, 5000
MAX_ASSET_BYTES = 10 * 1024 * 1024
MAX_BODY_CHARS = 10_000_000
_TAG = re.compile(r"<[^>]*>")
_UNSAFE_TAG = re.compile(
    r"^<\s*/?\s*(?:script|style|iframe|object|embed)\b|[\s\"'/]on[a-z]+\s*=|javascript:", re.IGNORECASE
)


def unsafe_markup(html: str) -> bool:
    """Script, style, iframe, object or embed tags, event handlers or javascript: URLs in any tag."""
    return any(_UNSAFE_TAG.search(tag) for tag in _TAG.findall(html))


SERVICE_IDS = [service["id"] for service in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["services"]]
"""The platform's service catalogue: the national one, config/services.yaml."""

TenantId = Annotated[
    str, Path(pattern=SLUG, min_length=2, max_length=63, description="The tenant's id (the force's slug).")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Any unique string per logical request; a retry with the same key and body gets the first "
        "answer again and changes nothing.",
    ),
]
After = Annotated[str, Query(max_length=2048, description="Return items whose key sorts after this.")]
Limit = Annotated[int, Query(ge=1, le=5000, description="At most this many items.")]


def page_hash(page: dict[str, Any]) -> str:
    """The contract's content hash of a page: sha256 of its fields as canonical JSON (sorted keys, no
    spaces, UTF-8, published null when absent)."""
    fields = {
        "path": page["path"],
        "title": page["title"],
        "summary": page.get("summary") or "",
        "body_html": page["body_html"],
        "content_type": page.get("content_type") or "page",
        "published": page.get("published"),
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- models --------------------------------------------------------------------------------------


def _not_bool(value: Any) -> Any:
    """JSON true is no number of seconds (pydantic would read it as 1)."""
    if isinstance(value, bool):
        raise ValueError("a number is required, not true or false")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(BaseModel):
    detail: str = Field(description="What went wrong.")


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always ok when the API answers.")
    version: str = Field(description="The API's version.")


class TenantIn(Strict):
    display_name: str = Field(min_length=3, max_length=120, description="Shown in the site's header and titles.")


class Branding(Strict):
    primary_colour: str = Field(pattern=COLOUR, description="Header and button colour, #rrggbb.")
    secondary_colour: str | None = Field(None, pattern=COLOUR, description="Link colour on white, #rrggbb.")
    logo_url: str | None = Field(None, pattern=r"^https?://[!-~]+$", max_length=2000, description="The logo's URL.")
    logo_alt: str = Field(min_length=3, max_length=200, description="Text alternative of the logo.")


class Domains(Strict):
    domains: list[Annotated[str, Field(pattern=HOSTNAME, max_length=253)]] = Field(
        min_length=1,
        max_length=20,
        description="Host names; the first is canonical (the primary domain). The others (the force's old "
        "domains, aliases) redirect to it: an old URL in the redirect map answers its 301 (or 410) with the new "
        "path on the primary domain over https, any other path a 301 to the same path there. Unique across tenants.",
        json_schema_extra={"uniqueItems": True},
    )


class Services(Strict):
    services: list[Annotated[str, Field(json_schema_extra={"enum": SERVICE_IDS})]] = Field(
        max_length=100,
        description="Ids from the platform's service catalogue.",
        json_schema_extra={"uniqueItems": True},
    )


class SecurityHeaders(Strict):
    hsts_max_age: Annotated[int, BeforeValidator(_not_bool)] = Field(
        31536000, ge=0, le=63072000, description="Strict-Transport-Security max-age in seconds; 0 sends no HSTS."
    )
    hsts_include_subdomains: StrictBool = Field(True, description="Add includeSubDomains to HSTS.")
    hsts_preload: StrictBool = Field(False, description="Add preload to HSTS.")
    content_security_policy: str | None = Field(
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
        max_length=2000,
        pattern=HEADER_VALUE,
        description="Content-Security-Policy; null sends none.",
    )
    x_frame_options: Literal["DENY", "SAMEORIGIN"] | None = Field("DENY", description="X-Frame-Options; null: none.")
    referrer_policy: (
        Literal[
            "no-referrer",
            "no-referrer-when-downgrade",
            "origin",
            "origin-when-cross-origin",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin",
            "unsafe-url",
        ]
        | None
    ) = Field("strict-origin-when-cross-origin", description="Referrer-Policy; null sends none.")
    permissions_policy: str | None = Field(
        "camera=(), microphone=(), geolocation=(self)",
        max_length=1000,
        pattern=HEADER_VALUE,
        description="Permissions-Policy; null sends none.",
    )
    x_content_type_options: StrictBool = Field(True, description="Send X-Content-Type-Options: nosniff.")


class StateIn(Strict):
    state: Literal["preview", "live"] = Field(description="live: the go-live switch; preview: back to preview.")


class Tenant(BaseModel):
    tenant_id: str = Field(description="The tenant's id.")
    display_name: str = Field(description="The force's name.")
    domains: list[str] = Field(description="Host names, canonical first.")
    branding: Branding | None = Field(description="Colours and logo; null until configured.")
    services: list[str] = Field(description="Enabled services.")
    security_headers: SecurityHeaders = Field(description="The security headers the site sends.")
    state: Literal["preview", "live"] = Field(description="preview until the go-live switch.")
    preview_url: str = Field(description="Where the site is previewed (on the platform's own host).")
    live_url: str | None = Field(description="https:// on the canonical domain; null without domains.")
    revision: int = Field(description="Bumped by every change to the tenant's configuration.")
    created_at: str = Field(description="When the tenant was created (UTC, ISO 8601).")
    updated_at: str = Field(description="Its last configuration change.")
    live_since: str | None = Field(description="When it went live; null in preview.")


class TenantList(BaseModel):
    tenants: list[str] = Field(description="Every tenant's id.")


class PageIn(Strict):
    path: str = Field(pattern=PAGE_PATH, max_length=1024, description="The page's path on the site; the key.")
    title: str = Field(min_length=1, max_length=300, description="The page's title (its h1).")
    summary: str = Field("", max_length=2000, description="A short summary.")
    body_html: str = Field(max_length=MAX_BODY_CHARS, description="Sanitised HTML of the page's body (no script).")
    content_type: str = Field("page", pattern=SLUG, max_length=63, description="page, news, appeal, advice, ...")
    published: str | None = Field(None, max_length=40, description="Publication date, ISO 8601, or null.")
    content_hash: str = Field(pattern=SHA256, description="The contract's content hash of the fields above.")


class Page(PageIn):
    revision: int = Field(description="1 when first written; bumped by every change.")
    updated_at: str = Field(description="Its last change.")


class PagesBatch(Strict):
    upsert: list[PageIn] = Field([], max_length=MAX_PAGES_PER_BATCH, description="Pages to create or update.")
    delete: list[Annotated[str, Field(pattern=PAGE_PATH, max_length=1024)]] = Field(
        [], max_length=MAX_PAGES_PER_BATCH, description="Paths of pages to remove."
    )


class BatchResult(BaseModel):
    received: int = Field(description="Items in the batch's upsert list.")
    created: int = Field(description="New items.")
    updated: int = Field(description="Items whose content changed.")
    unchanged: int = Field(description="Items already stored with the same hash.")
    deleted: int = Field(description="Items removed.")
    not_found: int = Field(description="Paths to delete that were not there.")


class PageSummary(BaseModel):
    path: str = Field(description="The page's path.")
    title: str = Field(description="Its title.")
    content_hash: str = Field(description="Its content hash.")
    revision: int = Field(description="Its revision.")
    updated_at: str = Field(description="Its last change.")


class PageList(BaseModel):
    items: list[PageSummary] = Field(description="Pages in path order.")
    next_after: str | None = Field(description="Pass as `after` for the next page of results; null at the end.")


class AssetIn(Strict):
    path: str = Field(pattern=r"^/media/" + PAGE_PATH[2:], max_length=1024, description="Path under /media/.")
    content_type: str = Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100, description="Its media type.")
    sha256: str = Field(pattern=SHA256, description="sha256 of the bytes.")
    data_base64: str = Field(max_length=MAX_ASSET_BYTES * 4 // 3 + 4, description="The bytes, base64.")


class AssetsBatch(Strict):
    upsert: list[AssetIn] = Field([], max_length=MAX_ASSETS_PER_BATCH, description="Assets to create or update.")
    delete: list[Annotated[str, Field(pattern=PAGE_PATH, max_length=1024)]] = Field(
        [], max_length=MAX_ASSETS_PER_BATCH, description="Paths of assets to remove."
    )


class AssetSummary(BaseModel):
    path: str = Field(description="The asset's path.")
    content_type: str = Field(description="Its media type.")
    sha256: str = Field(description="sha256 of its bytes.")
    revision: int = Field(description="Its revision.")
    updated_at: str = Field(description="Its last change.")


class AssetList(BaseModel):
    items: list[AssetSummary] = Field(description="Assets in path order.")
    next_after: str | None = Field(description="Pass as `after` for more; null at the end.")


class RedirectIn(Strict):
    from_path: str = Field(pattern=OLD_PATH, max_length=2048, description="Old path (and query) on any domain.")
    to_path: str | None = Field(
        None,
        pattern=REDIRECT_TARGET,
        max_length=2048,
        description="Where a 301 sends: a path on the tenant's site, or an absolute http(s) URL off it (a "
        "national destination, a web archive's copy of the old URL); null for 410 Gone.",
    )
    status: Literal[301, 410] = Field(description="301 Moved Permanently, or 410 Gone (archived).")
    suggested_path: str | None = Field(
        None,
        pattern=PAGE_PATH,
        max_length=1024,
        description="For a 410 only: a page of the tenant's site the 'page removed' answer offers instead.",
    )


class RedirectsBatch(Strict):
    upsert: list[RedirectIn] = Field(
        [], max_length=MAX_REDIRECTS_PER_BATCH, description="Redirects to create or update."
    )
    delete: list[Annotated[str, Field(pattern=OLD_PATH, max_length=2048)]] = Field(
        [], max_length=MAX_REDIRECTS_PER_BATCH, description="from_paths to remove."
    )


class RedirectSummary(BaseModel):
    from_path: str = Field(description="The old path.")
    to_path: str | None = Field(description="The new path or URL, or null for 410.")
    status: int = Field(description="301 or 410.")
    suggested_path: str | None = Field(None, description="The page a 410 offers, or null.")
    revision: int = Field(description="Its revision.")
    updated_at: str = Field(description="Its last change.")


class RedirectList(BaseModel):
    items: list[RedirectSummary] = Field(description="Redirects in from_path order.")
    next_after: str | None = Field(description="Pass as `after` for more; null at the end.")


class CollectionSummary(BaseModel):
    count: int = Field(description="Items stored.")
    digest: str = Field(
        description="sha256 of the items' lines in key order, joined by newlines: pages `path<TAB>content_hash`, "
        "assets `path<TAB>sha256`, redirects `from_path<TAB>to_path<TAB>status` (to_path empty for 410), with `<TAB>suggested_path` after "
        "it for a 410 that offers a page."
    )


class TenantSummary(BaseModel):
    pages: CollectionSummary = Field(description="The published pages.")
    assets: CollectionSummary = Field(description="The published assets.")
    redirects: CollectionSummary = Field(description="The redirects and gone URLs.")


# --- the router ----------------------------------------------------------------------------------

COMMON: dict[int | str, dict[str, Any]] = {
    400: {"model": Error, "description": "The request body is not JSON."},
    401: {"model": Error, "description": "No or a wrong bearer token."},
    429: {"model": Error, "description": "Too many requests: wait Retry-After seconds."},
    500: {"model": Error, "description": "The platform failed; retry with backoff (with the same Idempotency-Key)."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Error, "description": "No such tenant (or item)."}}
REUSED_KEY: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"model": Error, "description": "The Idempotency-Key was used before with a different body."},
}
_bearer = HTTPBearer(auto_error=False, description="The API token the supplier issued.")


def known_query_only(request: Request) -> None:
    """Refuse a query parameter the contract does not name, as an unknown body field is refused.

    Why: a client that misspells `after` or `limit` would otherwise get the first page back and believe it
    had them all; the contract declares its query parameters closed, so the sandbox holds clients to that.
    """
    route = request.scope.get("route")
    declared = {param.alias for param in route.dependant.query_params} if route is not None else set()
    unknown = sorted(name for name in request.query_params if name not in declared)
    if unknown:
        raise _invalid(
            ["query", unknown[0]], f"unknown query parameter {unknown[0]!r}; this call takes {sorted(declared)}"
        )


STRICT_QUERY = [Depends(known_query_only)]


def build_router(platform: Any) -> APIRouter:
    store: Store = platform.store

    def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if credentials is None or not _same(credentials.credentials, platform.token):
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})

    router = APIRouter(prefix="/api/v1")
    secured = APIRouter(dependencies=[Depends(authorised)], responses=COMMON)

    def counted(name: str) -> None:
        store.stats.requests[name] += 1

    def existing(tenant_id: str) -> dict[str, Any]:
        tenant = store.tenant(tenant_id)
        if tenant is None:
            raise HTTPException(404, f"no tenant '{tenant_id}'")
        return tenant

    def described(request: Request, tenant: dict[str, Any]) -> Tenant:
        base = str(request.base_url).rstrip("/")
        return Tenant(
            tenant_id=tenant["tenant_id"],
            display_name=tenant["display_name"],
            domains=tenant["domains"],
            branding=Branding(**tenant["branding"]) if tenant["branding"] else None,
            services=tenant["services"],
            security_headers=SecurityHeaders(**tenant["security_headers"]),
            state=tenant["state"],
            preview_url=f"{base}/preview/{tenant['tenant_id']}/",
            live_url=f"https://{tenant['domains'][0]}/" if tenant["domains"] else None,
            revision=tenant["revision"],
            created_at=tenant["created_at"],
            updated_at=tenant["updated_at"],
            live_since=tenant["live_since"],
        )

    @router.get("/health", operation_id="health", summary="Is the API up? (no token needed)")
    def health() -> Health:
        return Health(status="ok", version=VERSION)

    @secured.get("/tenants", operation_id="listTenants", summary="Every tenant's id")
    def list_tenants() -> TenantList:
        counted("listTenants")
        return TenantList(tenants=store.tenant_ids())

    @secured.put(
        "/tenants/{tenant_id}",
        operation_id="putTenant",
        summary="Create or update a tenant (idempotent)",
        responses={201: {"model": Tenant, "description": "Created."}, 200: {"description": "Updated or unchanged."}},
    )
    def put_tenant(tenant_id: TenantId, body: TenantIn, request: Request, response: Response) -> Tenant:
        counted("putTenant")
        if store.put_tenant(tenant_id, body.display_name):
            store.set_tenant_field(tenant_id, "security_headers", SecurityHeaders().model_dump())
            response.status_code = 201
        return described(request, existing(tenant_id))

    @secured.get("/tenants/{tenant_id}", operation_id="getTenant", summary="A tenant", responses=NOT_FOUND)
    def get_tenant(tenant_id: TenantId, request: Request) -> Tenant:
        counted("getTenant")
        return described(request, existing(tenant_id))

    @secured.put(
        "/tenants/{tenant_id}/domains",
        operation_id="putDomains",
        summary="Set the tenant's domains",
        responses={**NOT_FOUND, 409: {"model": Error, "description": "A domain belongs to another tenant."}},
    )
    def put_domains(tenant_id: TenantId, body: Domains, request: Request) -> Tenant:
        counted("putDomains")
        existing(tenant_id)
        if len(set(body.domains)) != len(body.domains):
            raise _invalid(["body", "domains"], "domains must be unique")
        taken = store.set_domains(tenant_id, body.domains)
        if taken:
            raise HTTPException(409, f"the domain '{taken}' belongs to another tenant")
        return described(request, existing(tenant_id))

    @secured.put(
        "/tenants/{tenant_id}/branding", operation_id="putBranding", summary="Set colours and logo", responses=NOT_FOUND
    )
    def put_branding(tenant_id: TenantId, body: Branding, request: Request) -> Tenant:
        counted("putBranding")
        existing(tenant_id)
        store.set_tenant_field(tenant_id, "branding", body.model_dump())
        return described(request, existing(tenant_id))

    @secured.put(
        "/tenants/{tenant_id}/services",
        operation_id="putServices",
        summary="Set the enabled services",
        responses=NOT_FOUND,
    )
    def put_services(tenant_id: TenantId, body: Services, request: Request) -> Tenant:
        counted("putServices")
        existing(tenant_id)
        unknown = [s for s in body.services if s not in platform.catalogue]
        if unknown:
            raise _invalid(["body", "services"], f"not in the platform's catalogue: {', '.join(unknown)}")
        if len(set(body.services)) != len(body.services):
            raise _invalid(["body", "services"], "services must be unique")
        store.set_tenant_field(tenant_id, "services", body.services)
        return described(request, existing(tenant_id))

    @secured.put(
        "/tenants/{tenant_id}/security-headers",
        operation_id="putSecurityHeaders",
        summary="Set the security headers the tenant's site sends",
        responses=NOT_FOUND,
    )
    def put_security_headers(tenant_id: TenantId, body: SecurityHeaders, request: Request) -> Tenant:
        counted("putSecurityHeaders")
        existing(tenant_id)
        store.set_tenant_field(tenant_id, "security_headers", body.model_dump())
        return described(request, existing(tenant_id))

    @secured.put(
        "/tenants/{tenant_id}/state",
        operation_id="putState",
        summary="The go-live switch: preview or live",
        responses={**NOT_FOUND, 409: {"model": Error, "description": "Cannot go live without a domain."}},
    )
    def put_state(tenant_id: TenantId, body: StateIn, request: Request) -> Tenant:
        counted("putState")
        tenant = existing(tenant_id)
        if body.state == "live" and not tenant["domains"]:
            raise HTTPException(409, "a tenant without domains cannot go live")
        store.set_tenant_field(tenant_id, "state", body.state)
        return described(request, existing(tenant_id))

    @secured.get(
        "/tenants/{tenant_id}/summary",
        operation_id="getSummary",
        summary="Counts and digests of pages, assets and redirects (for verifying a publish)",
        responses=NOT_FOUND,
    )
    def get_summary(tenant_id: TenantId) -> TenantSummary:
        counted("getSummary")
        existing(tenant_id)
        return TenantSummary(**store.summary(tenant_id))

    def batch(tenant_id: str, kind: str, body: BaseModel, key: str | None, apply: Callable[[Any], dict]) -> Any:
        """Apply a batch in one transaction; with an Idempotency-Key, a retry gets the first answer."""
        counted(f"batch:{kind}")
        existing(tenant_id)
        fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        scope = f"{tenant_id}/{kind}"
        with store.transaction() as db:
            if key:
                seen = store.replay(scope, key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        raise HTTPException(409, "this Idempotency-Key was used with a different body")
                    store.stats.idempotent_replays += 1
                    return JSONResponse(json.loads(seen[2]), status_code=seen[1])
            result = apply(db)
            if key:
                store.remember(db, scope, key, fingerprint, 200, json.dumps(result))
        return BatchResult(**result)

    @secured.post(
        "/tenants/{tenant_id}/pages/batch",
        operation_id="publishPages",
        summary="Create, update or remove pages, keyed by path (all or nothing)",
        responses=REUSED_KEY,
    )
    def publish_pages(tenant_id: TenantId, body: PagesBatch, idempotency_key: IdempotencyKey = None) -> BatchResult:
        paths = [page.path for page in body.upsert]
        if len(set(paths)) != len(paths):
            raise _invalid(["body", "upsert"], "a path appears twice in the batch")
        for index, page in enumerate(body.upsert):
            data = page.model_dump()
            if page_hash(data) != page.content_hash:
                raise _invalid(["body", "upsert", index, "content_hash"], f"does not match the content of {page.path}")
            if unsafe_markup(page.body_html):
                raise _invalid(["body", "upsert", index, "body_html"], f"unsafe markup in {page.path}")

        def apply(db: Any) -> dict:
            store.stats.items_received["pages"] += len(body.upsert)
            tally = dict(received=len(body.upsert), created=0, updated=0, unchanged=0, deleted=0, not_found=0)
            stamp = now()
            stored = _stored_hashes(db, tenant_id, [page.path for page in body.upsert])
            inserts, updates = [], []
            for page in body.upsert:
                values = (page.title, page.summary, page.body_html, page.content_type, page.published)
                if page.path not in stored:
                    inserts.append((tenant_id, page.path, *values, page.content_hash, stamp))
                elif stored[page.path] == page.content_hash:
                    tally["unchanged"] += 1
                else:
                    updates.append((*values, page.content_hash, stamp, tenant_id, page.path))
            db.executemany(
                "INSERT INTO pages (tenant_id, path, title, summary, body_html, content_type, published, "
                "content_hash, revision, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                inserts,
            )
            db.executemany(
                "UPDATE pages SET title = ?, summary = ?, body_html = ?, content_type = ?, published = ?, "
                "content_hash = ?, revision = revision + 1, updated_at = ? WHERE tenant_id = ? AND path = ?",
                updates,
            )
            tally["created"], tally["updated"] = len(inserts), len(updates)
            _delete(db, "pages", "path", tenant_id, body.delete, tally)
            return tally

        return batch(tenant_id, "pages", body, idempotency_key, apply)

    @secured.post(
        "/tenants/{tenant_id}/assets/batch",
        operation_id="publishAssets",
        summary="Create, update or remove documents and images, keyed by path (all or nothing)",
        responses=REUSED_KEY,
    )
    def publish_assets(tenant_id: TenantId, body: AssetsBatch, idempotency_key: IdempotencyKey = None) -> BatchResult:
        decoded = []
        paths = [asset.path for asset in body.upsert]
        if len(set(paths)) != len(paths):
            raise _invalid(["body", "upsert"], "a path appears twice in the batch")
        for index, asset in enumerate(body.upsert):
            try:
                data = base64.b64decode(asset.data_base64, validate=True)
            except ValueError:
                raise _invalid(["body", "upsert", index, "data_base64"], "not base64") from None
            if len(data) > MAX_ASSET_BYTES:
                raise _invalid(["body", "upsert", index, "data_base64"], "over 10 MB")
            if hashlib.sha256(data).hexdigest() != asset.sha256:
                raise _invalid(["body", "upsert", index, "sha256"], f"does not match the bytes of {asset.path}")
            decoded.append(data)

        def apply(db: Any) -> dict:
            store.stats.items_received["assets"] += len(body.upsert)
            tally = dict(received=len(body.upsert), created=0, updated=0, unchanged=0, deleted=0, not_found=0)
            stamp = now()
            for asset, data in zip(body.upsert, decoded, strict=True):
                row = db.execute(
                    "SELECT sha256, content_type FROM assets WHERE tenant_id = ? AND path = ?", (tenant_id, asset.path)
                ).fetchone()
                if row is None:
                    db.execute(
                        "INSERT INTO assets (tenant_id, path, content_type, sha256, data, revision, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, 1, ?)",
                        (tenant_id, asset.path, asset.content_type, asset.sha256, data, stamp),
                    )
                    tally["created"] += 1
                elif tuple(row) == (asset.sha256, asset.content_type):
                    tally["unchanged"] += 1
                else:
                    db.execute(
                        "UPDATE assets SET content_type = ?, sha256 = ?, data = ?, revision = revision + 1, "
                        "updated_at = ? WHERE tenant_id = ? AND path = ?",
                        (asset.content_type, asset.sha256, data, stamp, tenant_id, asset.path),
                    )
                    tally["updated"] += 1
            _delete(db, "assets", "path", tenant_id, body.delete, tally)
            return tally

        return batch(tenant_id, "assets", body, idempotency_key, apply)

    @secured.post(
        "/tenants/{tenant_id}/redirects/batch",
        operation_id="publishRedirects",
        summary="Create, update or remove redirects from old URLs, keyed by from_path (all or nothing)",
        responses=REUSED_KEY,
    )
    def publish_redirects(
        tenant_id: TenantId, body: RedirectsBatch, idempotency_key: IdempotencyKey = None
    ) -> BatchResult:
        keys = [redirect.from_path for redirect in body.upsert]
        if len(set(keys)) != len(keys):
            raise _invalid(["body", "upsert"], "a from_path appears twice in the batch")
        for index, redirect in enumerate(body.upsert):
            if (redirect.status == 301) != (redirect.to_path is not None):
                raise _invalid(["body", "upsert", index], "a 301 needs a to_path; a 410 has none")
            if redirect.to_path == redirect.from_path:
                raise _invalid(["body", "upsert", index], "a redirect to itself would loop")
            if redirect.suggested_path is not None and redirect.status != 410:
                raise _invalid(["body", "upsert", index], "only a 410 offers a suggested_path")

        def apply(db: Any) -> dict:
            store.stats.items_received["redirects"] += len(body.upsert)
            tally = dict(received=len(body.upsert), created=0, updated=0, unchanged=0, deleted=0, not_found=0)
            stamp = now()
            for redirect in body.upsert:
                row = db.execute(
                    "SELECT to_path, status, suggested_path FROM redirects WHERE tenant_id = ? AND from_path = ?",
                    (tenant_id, redirect.from_path),
                ).fetchone()
                wanted = (redirect.to_path, redirect.status, redirect.suggested_path)
                if row is None:
                    db.execute(
                        "INSERT INTO redirects (tenant_id, from_path, to_path, status, suggested_path, revision, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                        (tenant_id, redirect.from_path, *wanted, stamp),
                    )
                    tally["created"] += 1
                elif tuple(row) == wanted:
                    tally["unchanged"] += 1
                else:
                    db.execute(
                        "UPDATE redirects SET to_path = ?, status = ?, suggested_path = ?, revision = revision + 1, "
                        "updated_at = ? WHERE tenant_id = ? AND from_path = ?",
                        (*wanted, stamp, tenant_id, redirect.from_path),
                    )
                    tally["updated"] += 1
            _delete(db, "redirects", "from_path", tenant_id, body.delete, tally)
            return tally

        return batch(tenant_id, "redirects", body, idempotency_key, apply)

    def listed(table: str, tenant_id: str, after: str, limit: int) -> tuple[list[dict], str | None]:
        counted(f"list:{table}")
        existing(tenant_id)
        items = store.listing(table, tenant_id, after, limit + 1)
        more = len(items) > limit
        items = items[:limit]
        key = "from_path" if table == "redirects" else "path"
        return items, (items[-1][key] if more else None)

    @secured.get(
        "/tenants/{tenant_id}/pages",
        operation_id="listPages",
        dependencies=STRICT_QUERY,
        summary="Pages without bodies",
        responses=NOT_FOUND,
    )
    def list_pages(tenant_id: TenantId, after: After = "", limit: Limit = 1000) -> PageList:
        items, next_after = listed("pages", tenant_id, after, limit)
        return PageList(items=[PageSummary(**item) for item in items], next_after=next_after)

    @secured.get(
        "/tenants/{tenant_id}/page",
        operation_id="getPage",
        dependencies=STRICT_QUERY,
        summary="One page, by path",
        responses=NOT_FOUND,
    )
    def get_page(
        tenant_id: TenantId, path: Annotated[str, Query(max_length=1024, description="The page's path.")]
    ) -> Page:
        counted("getPage")
        existing(tenant_id)
        row = store.page(tenant_id, path)
        if row is None:
            raise HTTPException(404, f"no page at {path}")
        row.pop("tenant_id")
        return Page(**row)

    @secured.get(
        "/tenants/{tenant_id}/assets",
        operation_id="listAssets",
        dependencies=STRICT_QUERY,
        summary="Assets without bytes",
        responses=NOT_FOUND,
    )
    def list_assets(tenant_id: TenantId, after: After = "", limit: Limit = 1000) -> AssetList:
        items, next_after = listed("assets", tenant_id, after, limit)
        return AssetList(items=[AssetSummary(**item) for item in items], next_after=next_after)

    @secured.get(
        "/tenants/{tenant_id}/redirects",
        operation_id="listRedirects",
        dependencies=STRICT_QUERY,
        summary="Redirects",
        responses=NOT_FOUND,
    )
    def list_redirects(tenant_id: TenantId, after: After = "", limit: Limit = 1000) -> RedirectList:
        items, next_after = listed("redirects", tenant_id, after, limit)
        return RedirectList(items=[RedirectSummary(**item) for item in items], next_after=next_after)

    router.include_router(secured)
    return router


def _stored_hashes(db: Any, tenant_id: str, paths: list[str]) -> dict[str, str]:
    """The content hashes stored for these paths, in one query per 500 paths."""
    found: dict[str, str] = {}
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT path, content_hash FROM pages WHERE tenant_id = ? AND path IN ({marks})", (tenant_id, *chunk)
        )
        found.update({row[0]: row[1] for row in rows})
    return found


def _delete(db: Any, table: str, key: str, tenant_id: str, keys: list[str], tally: dict[str, int]) -> None:
    for value in keys:
        gone = db.execute(f"DELETE FROM {table} WHERE tenant_id = ? AND {key} = ?", (tenant_id, value)).rowcount
        tally["deleted" if gone else "not_found"] += 1


def _invalid(location: list, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, so clients read one error format."""
    return HTTPException(422, [{"loc": location, "msg": message, "type": "value_error"}])


def _same(given: str, expected: str) -> bool:
    import hmac

    return hmac.compare_digest(given.encode(), expected.encode())
