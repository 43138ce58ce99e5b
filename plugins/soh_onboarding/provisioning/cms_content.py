"""Our migrated site as Optimizely CMS content: the mapping (the one place that decides it) and the sync.

The mapping (docs/provisioning.md, "Content in Optimizely CMS"):

- the tenant's site is a start page (SohStartPage) under the CMS's root, its URL segment the tenant id; the
  migration's page at "/" gives it its heading and body;
- every other page's path becomes the tree: each segment one content item under the previous one, so
  /news/2025/story/ is story under 2025 under news under the start page. A segment with no page of its own
  becomes a container page (SohContainerPage: a node without a template);
- pages are typed by our content_type through CONTENT_TYPES; title, summary, body and date become the
  properties heading, teaserText, mainBody and publishedDate, and our path is kept in sohPath;
- documents and images become media (SohDocumentFile, SohImageFile) in a folder per tenant under the
  CMS's global assets (their folders as SysContentFolder), with media type and sha256;
- what cannot be mapped is reported with why, never dropped: an unknown content_type, a segment the CMS
  refuses as a URL segment (and every page below it), a title over the CMS's 255-character String, a body
  over the platform's limit.

The sync is idempotent and resumable without a journal: each item's GUID is a uuid5 of tenant, kind and
path, so the same page is the same content item on every run; it reads back what the CMS holds (the start
page and asset folder by GUID, then the children of every planned parent) and PUTs by GUID only the items
whose fingerprint differs, parents first, each Published. A retry of a PUT whose answer was lost writes
the same GUID again, so faults cannot make duplicates; a run killed half-way is finished by the next one;
a second run writes nothing. A last read-back verifies every item.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from .cms import CmsClient, CmsError
from .items import MAX_BODY_CHARS, publishable, read_assets, read_pages
from .publishing import Published
from .verification import Verification

NAMESPACE = uuid.UUID("4c3d2f0e-9a51-5b8e-8f7a-50480a1c0019")
"""The uuid5 namespace of our content GUIDs: never change it, or every item is written again as a copy."""
ROOT_ID, GLOBAL_ASSETS_ID = 1, 3
"""The CMS's root page and its global assets folder ("For All Sites"), the same ids in every installation."""
START_TYPE, CONTAINER_TYPE, FOLDER_TYPE = "SohStartPage", "SohContainerPage", "SysContentFolder"
CONTENT_TYPES = {
    "page": "SohStandardPage",
    "station": "SohStandardPage",
    "neighbourhood": "SohStandardPage",
    "document": "SohStandardPage",
    "advice": "SohArticlePage",
    "article": "SohArticlePage",
    "news": "SohNewsPage",
    "appeal": "SohNewsPage",
}
"""Our page content_type (the spec's url_rules) -> the CMS content type. Anything else is reported."""
DATED_TYPES = frozenset({"SohArticlePage", "SohNewsPage"})
STRING_LIMIT = 255
SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_~.-]{0,254}$")
"""A URL segment the CMS keeps as given: lower-case letters, digits, - _ ~ . and at most 255 characters."""


@dataclass(frozen=True)
class Item:
    """One content item as we want the CMS to hold it."""

    guid: str
    path: str
    parent: dict[str, Any]  # {"guidValue": ...}, or {"id": ROOT_ID} for a top-level item
    name: str
    segment: str
    content_type: str
    properties: dict[str, Any]
    kind: str = "page"  # or "asset": which tree, and which GUID space
    file: Any = None
    """A media item's file (items.read_assets' `file`): its bytes go with the item, as multipart."""

    def body(self) -> dict[str, Any]:
        """The Content Management API's content model, published."""
        return {
            "contentLink": {"guidValue": self.guid},
            "name": self.name,
            "language": {"name": "en"},
            "contentType": [self.content_type],
            "parentLink": self.parent,
            "routeSegment": self.segment,
            "status": "Published",
        } | {name: {"value": value} for name, value in self.properties.items()}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.name, self.segment, self.content_type, "Published", self.properties)

    def held_as(self, content: dict[str, Any] | None) -> bool:
        """Whether `content`, as read back, is this item: same parent and the same fingerprint."""
        if not content:
            return False
        link = content.get("parentLink") or {}
        same_parent = link.get("guidValue") == self.parent.get("guidValue") or link.get("id") == self.parent.get("id")
        props = {name: (content.get(name) or {}).get("value") for name in self.properties}
        held_type = (content.get("contentType") or [""])[-1]
        held = fingerprint(content.get("name"), content.get("routeSegment"), held_type, content.get("status"), props)
        return same_parent and held == self.fingerprint


def fingerprint(name: Any, segment: Any, content_type: Any, status: Any, properties: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of what we set: computed the same way for what we send and what the CMS
    answers, so equal means nothing to write."""
    fields = {"name": name, "segment": segment, "type": content_type, "status": status, "properties": properties}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Unmapped:
    path: str
    reason: str
    kind: str = "page"  # or "asset"


@dataclass
class Plan:
    """What the CMS should hold for one tenant, parents before children, and what could not be mapped."""

    items: list[Item]
    unmapped: list[Unmapped]
    roots: tuple[str, str]  # the start page's and the asset folder's GUIDs


def content_guid(tenant: str, kind: str, path: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{tenant}\n{kind}\n{path}"))


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _prefix(segments: list[str]) -> str:
    return "/" + "".join(f"{s}/" for s in segments)


def _published(value: str | None) -> str | None:
    if not value:
        return None
    return f"{date.fromisoformat(value[:10]).isoformat()}T00:00:00Z"


def page_properties(page: dict[str, Any], content_type: str) -> dict[str, Any]:
    props = {
        "heading": page["title"],
        "teaserText": page.get("summary") or None,
        "mainBody": page["body_html"],
        "sohPath": page["path"],
    }
    if content_type in DATED_TYPES:
        props["publishedDate"] = _published(page.get("published"))
    return props


def _refusal(page: dict[str, Any]) -> str | None:
    """Why a page cannot become content, or None."""
    if page.get("content_type") not in CONTENT_TYPES and page["path"] != "/":
        return f"content type {page.get('content_type')!r} has no CMS content type (known: {', '.join(sorted(CONTENT_TYPES))})"
    if not publishable(page):
        return f"body over {MAX_BODY_CHARS:,} characters"
    if len(page["title"]) > STRING_LIMIT or len(page["path"]) > STRING_LIMIT:
        return f"title or path over {STRING_LIMIT} characters (the CMS's String property)"
    bad = [s for s in _segments(page["path"]) if not SEGMENT.match(s)]
    if bad:
        return f"segment {bad[0]!r} of its path is not a URL segment the CMS accepts (a-z, 0-9, - _ ~ .)"
    try:
        _published(page.get("published"))
    except ValueError:
        return f"published {page.get('published')!r} is not a date"
    return None


def _tree(
    tenant: str, kind: str, root: Item, leaves: dict[str, tuple[str, str, dict]], container: str
) -> tuple[list[Item], list[Unmapped]]:
    """Items for `leaves` (path -> name, type, properties) under `root`, with a `container` item for every
    segment without a leaf of its own, parents first; and the leaves whose segments another leaf already has
    (/a/b and /a/b/ are one URL segment under /a/)."""
    items: dict[tuple[str, ...], Item] = {(): root}
    clashes: list[Unmapped] = []
    ordered = sorted(leaves, key=lambda p: (len(_segments(p)), p))
    claimed: dict[tuple[str, ...], str] = {}
    for path in ordered:
        segments = tuple(_segments(path))
        if segments in claimed:
            clashes.append(Unmapped(path, f"has the same URL segments as {claimed[segments]}", kind))
        else:
            claimed[segments] = path
    for segments in claimed:
        for depth in range(1, len(segments) + 1):
            here = segments[:depth]
            if here in items:
                continue
            own = claimed.get(here)
            name, content_type, props = leaves[own] if own else (here[-1], container, _container_props(kind, here))
            where = own or _prefix(list(here))
            parent = {"guidValue": items[here[:-1]].guid}
            items[here] = Item(
                content_guid(tenant, kind, where), where, parent, name, here[-1], content_type, props, kind
            )
    return sorted(items.values(), key=lambda i: (len(_segments(i.path)), i.path)), clashes


def _container_props(kind: str, segments: tuple[str, ...]) -> dict[str, Any]:
    return {"sohPath": _prefix(list(segments))} if kind == "page" else {}


def plan_site(tenant: str, site_name: str, pages: Iterable[dict[str, Any]], assets: Iterable[dict[str, Any]]) -> Plan:
    """The mapping: pages (items.read_pages) and assets (items.read_assets) as content items of one tenant."""
    if not SEGMENT.match(tenant):
        raise CmsError(f"the tenant id {tenant!r} is not a URL segment the CMS accepts")
    unmapped: list[Unmapped] = []
    start_props = {"heading": site_name, "teaserText": None, "mainBody": "", "sohPath": "/"}
    leaves: dict[str, tuple[str, str, dict]] = {}
    for page in pages:
        reason = _refusal(page)
        if reason:
            unmapped.append(Unmapped(page["path"], reason))
        elif page["path"] == "/":
            start_props = page_properties(page, START_TYPE)
        else:
            content_type = CONTENT_TYPES[page["content_type"]]
            leaves[page["path"]] = (page["title"], content_type, page_properties(page, content_type))
    start = Item(content_guid(tenant, "page", "/"), "/", {"id": ROOT_ID}, site_name, tenant, START_TYPE, start_props)
    files: dict[str, tuple[str, str, dict]] = {}
    blobs: dict[str, Any] = {}
    for asset in assets:
        segments = _segments(asset["path"])
        bad = [s for s in segments if not SEGMENT.match(s)]
        if bad:
            reason = f"segment {bad[0]!r} is not a URL segment the CMS accepts"
            unmapped.append(Unmapped(asset["path"], reason, "asset"))
            continue
        media = "SohImageFile" if asset["content_type"].startswith("image/") else "SohDocumentFile"
        props = {"mediaType": asset["content_type"], "sha256": asset["sha256"], "sohPath": asset["path"]}
        files[asset["path"]] = (segments[-1], media, props)
        if asset.get("file") is not None:
            blobs[asset["path"]] = asset["file"]
    folder = Item(
        content_guid(tenant, "asset", "/"),
        "/",
        {"id": GLOBAL_ASSETS_ID},
        f"{site_name} (assets)",
        tenant,
        FOLDER_TYPE,
        {},
        "asset",
    )
    page_items, page_clashes = _tree(tenant, "page", start, leaves, CONTAINER_TYPE)
    asset_items, asset_clashes = _tree(tenant, "asset", folder, files, FOLDER_TYPE)
    asset_items = [replace(item, file=blobs[item.path]) if item.path in blobs else item for item in asset_items]
    return Plan(page_items + asset_items, unmapped + page_clashes + asset_clashes, (start.guid, folder.guid))


# --- the sync -----------------------------------------------------------------------------------


@dataclass
class CmsResult:
    """What a sync did and found: written, unchanged, reported (unmapped, refused), beyond and mismatched;
    and per kind (page, asset), how many items were planned (containers: the tree's own), held before,
    created, updated and unchanged, and how many pages and media the CMS held after (`held`)."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    tally: dict[str, Counter[str]] = field(default_factory=lambda: {"page": Counter(), "asset": Counter()})
    unmapped: list[Unmapped] = field(default_factory=list)
    refused: list[Unmapped] = field(default_factory=list)
    beyond: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    calls: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return not self.mismatched and not self.refused


def read_back(client: CmsClient, plan: Plan) -> dict[str, dict[str, Any]]:
    """What the CMS holds of this tenant, by GUID: the two roots by GUID (whatever their status), then the
    published children of every item the plan gives children to."""
    parents = {i.parent.get("guidValue") for i in plan.items}
    held: dict[str, dict[str, Any]] = {}
    for guid in plan.roots:
        content = client.get(guid)
        if content:
            held[guid] = content
    queue = [guid for guid in plan.roots if guid in held]
    while queue:
        guid = queue.pop()
        for child in client.children(guid):
            child_guid = child["contentLink"]["guidValue"]
            held[child_guid] = child
            if child_guid in parents:
                queue.append(child_guid)
    return held


REPORTED_STATUSES = frozenset({400, 403, 404, 409, 413, 415, 422})
"""The CMS's refusals of one item: reported for that item (and its descendants), the rest still written."""


def publish(client: CmsClient, plan: Plan, *, on_write: Callable[[Item], None] | None = None) -> CmsResult:
    """Bring the CMS to the plan, writing only what differs, then read everything back to verify."""
    result = CmsResult(unmapped=list(plan.unmapped))
    held = read_back(client, plan)
    failed: set[str] = set()
    for item in plan.items:
        current = held.get(item.guid)
        tally = result.tally[item.kind]
        tally["planned"] += 1
        tally["before"] += current is not None
        if item.held_as(current):
            result.unchanged += 1
            tally["unchanged"] += 1
            continue
        if item.parent.get("guidValue") in failed:
            failed.add(item.guid)
            result.refused.append(Unmapped(item.path, "its parent was refused", item.kind))
            continue
        if current and (current.get("contentType") or [""])[-1] != item.content_type:
            failed.add(item.guid)
            was = (current.get("contentType") or [""])[-1]
            why = f"is a {was} in the CMS, which cannot change a content type"
            result.refused.append(Unmapped(item.path, why, item.kind))
            continue
        try:
            if item.file is not None:
                data = item.file.read_bytes()
                client.put_media(item.guid, item.body(), item.segment, data, item.properties["mediaType"])
            else:
                client.put(item.guid, item.body())
        except CmsError as error:
            if error.status not in REPORTED_STATUSES:
                raise
            failed.add(item.guid)
            result.refused.append(Unmapped(item.path, str(error), item.kind))
            continue
        result.written.append(item.path)
        tally["updated" if current else "created"] += 1
        if on_write:
            on_write(item)
    return _checked(client, plan, result, failed)


def verify(client: CmsClient, plan: Plan, refused: Iterable[str] = ()) -> CmsResult:
    """Read back what the CMS holds of the plan, writing nothing: every item must be held as planned, but
    for the paths the CMS `refused` when they were published (reported there)."""
    result = CmsResult(unmapped=list(plan.unmapped))
    for item in plan.items:
        result.tally[item.kind]["planned"] += 1
    excused = set(refused)
    return _checked(client, plan, result, {item.guid for item in plan.items if item.path in excused})


def _checked(client: CmsClient, plan: Plan, result: CmsResult, failed: set[str]) -> CmsResult:
    """The last read-back: what is not held as planned (but for the `failed` GUIDs, refused and reported),
    what the CMS holds beyond the plan, and how many pages and media it holds."""
    after = read_back(client, plan)
    planned = {i.guid for i in plan.items}
    result.mismatched = [i.path for i in plan.items if i.guid not in failed and not i.held_as(after.get(i.guid))]
    for item in plan.items:  # what the site serves: the tree's container pages and folders are not counted
        result.tally[item.kind]["held"] += item.guid in after and item.content_type not in (CONTAINER_TYPE, FOLDER_TYPE)
        result.tally[item.kind]["containers"] += item.content_type in (CONTAINER_TYPE, FOLDER_TYPE)
    result.beyond = sorted(
        (c.get("sohPath") or {}).get("value") or c.get("name", "") for g, c in after.items() if g not in planned
    )
    result.calls = client.stats.as_dict() | {"tokens": client.tokens_fetched}
    return result


# --- the migration's content, as the provisioning phase publishes it ----------------------------------


def plan_migration(spec_data: dict[str, Any], migration: Any) -> Plan:
    """The run's migrated pages and documents as the force's site in the CMS, named as the tenant."""
    tenant = spec_data["tenant"]
    return plan_site(tenant["tenant_id"], tenant["display_name"], read_pages(migration), read_assets(migration))


KINDS = {"page": "pages", "asset": "assets"}
"""A content item's kind -> the provisioning report's row (items.KINDS)."""
_BECAUSE = ": "  # between the path and the reason of a row's skipped line (as_published, not_held)


def as_published(result: CmsResult) -> dict[str, Published]:
    """A sync as the provisioning report's rows: pages (with the tree's containers) and documents and images
    (with their folders); what was not mapped or was refused is its row's `skipped`, never dropped."""
    rows = {}
    for kind, row in KINDS.items():
        tally = result.tally[kind]
        reported = [u for u in (*result.unmapped, *result.refused) if u.kind == kind]
        rows[row] = Published(
            local=tally["planned"],
            on_platform_before=tally["before"],
            sent=tally["created"] + tally["updated"],
            created=tally["created"],
            updated=tally["updated"],
            unchanged=tally["unchanged"],
            batches=tally["created"] + tally["updated"],  # the CMS takes one item a request
            skipped=[f"{u.path}{_BECAUSE}{u.reason}" for u in reported],
        )
    rows["pages"].not_in_migration = len(result.beyond)
    return rows


def not_held(published: dict[str, Published]) -> list[str]:
    """The paths that as_published's rows report as not in the CMS (unmapped or refused): read back from
    the rows, since the DAG's verify task gets them from publish's XCom, not the sync itself."""
    rows = [published[row] for row in KINDS.values() if row in published]
    return [line.split(_BECAUSE, 1)[0] for row in rows for line in row.skipped]


def verification(result: CmsResult) -> Verification:
    """The read-back after a sync, as the provisioning's Verification: every item the CMS took must be held
    as it was sent; the counts are the pages and the documents and images the CMS holds for the site (its
    tree's container pages and folders aside)."""
    problems = []
    if result.mismatched:
        problems.append(f"content: {len(result.mismatched)} not held as sent, e.g. {result.mismatched[0]}")
    return Verification(
        ok=not problems,
        problems=problems,
        counts={row: result.tally[kind]["held"] for kind, row in KINDS.items()},
        not_in_migration={"pages": len(result.beyond), "assets": 0},
    )


def merged(content: Verification, platform: Verification) -> Verification:
    """The CMS's verification (pages, documents) and the platform's (the redirects it answers) as one."""
    return Verification(
        ok=content.ok and platform.ok,
        problems=content.problems + platform.problems,
        counts=content.counts | platform.counts,
        not_in_migration=content.not_in_migration | platform.not_in_migration,
    )
