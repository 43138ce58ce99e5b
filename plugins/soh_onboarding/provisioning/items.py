"""What the migration publishes, read from its outputs as the platform takes them: pages (content.jsonl),
documents and images (assets.csv), redirects (redirects.csv)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from ..artifacts import within
from ..edge.model import split
from .client import content_hash

MAX_BODY_CHARS = 10_000_000
"""The contract's limit on a page's body_html: a larger page is reported, not sent."""
_SAFE_PATH = "/._~!$&'()*+,;=:@%-"
_SEGMENT = re.compile(r"^/(?:[^./][^/]*/)*(?:[^./][^/]*)?$")
"""A path the contract accepts: no empty, '.' or '..' segment (other characters are percent-encoded)."""
KINDS = {"pages": "pages", "assets": "documents and images", "redirects": "redirects"}
"""What is published, in order (a redirect should land on something already there), with its name for people."""


def read_pages(migration: Any) -> Iterator[dict[str, Any]]:
    """The migrated pages as the platform takes them, each with its content hash (streamed)."""
    with (migration / "content.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            page = {
                "path": record["new_path"],
                "title": record["title"] or record["new_path"],
                "summary": record.get("summary") or "",
                "body_html": record["body_html"],
                "content_type": record.get("content_type") or "page",
                "published": record.get("published") or None,
            }
            page["content_hash"] = content_hash(page)
            yield page


def publishable(page: dict[str, Any]) -> bool:
    return len(page["body_html"]) <= MAX_BODY_CHARS


def read_assets(migration: Any) -> list[dict[str, Any]]:
    """The documents and images: path, media type, sha256 and where the bytes are (read when sent).

    Each file is found with `within` (OutsideFolder otherwise): assets.csv names it, and a table from an
    older run, or one edited, must not make provisioning read and publish a file from outside assets/.
    """
    table = migration / "assets.csv"
    if not table.exists():
        return []
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    seen: set[str] = set()
    assets = []
    for row in sorted(rows, key=lambda r: r["new_path"]):
        if row["new_path"] in seen:
            continue
        seen.add(row["new_path"])
        media_type = (row["content_type"] or "application/octet-stream").split(";")[0].strip().lower()
        assets.append(
            {
                "path": row["new_path"],
                "content_type": media_type,
                "sha256": row["sha256"],
                "file": within(migration / "assets", row["new_path"].lstrip("/")),
            }
        )
    return assets


def old_path(url: str) -> str:
    """An old URL's path and query as the platform matches a redirect (percent-encoded where needed)."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    return f"{path}?{quote(parts.query, safe=_SAFE_PATH + '?/')}" if parts.query else path


def _target(row: dict[str, str]) -> str | None:
    """Where a row of redirects.csv sends: a path on the new site, a URL off it, or None (410 Gone)."""
    if row["type"] == "archive":
        return row.get("archive_url") or None
    return row["new_url"] if row.get("destination") else urlsplit(row["new_url"]).path


def read_redirects(migration: Any, edge_hosts: tuple[str, ...] = ()) -> tuple[list[dict[str, Any]], list[str]]:
    """redirects.csv as the platform's redirects: `redirect` rows become 301s to the new path (or to the
    national destination's whole URL, for a row naming one), `archive` rows a 301 to their archived copy
    (`archive_link`: archive_url, pinned before the switch) or 410 Gone; `unresolved` rows are not
    published (the platform answers 404). One redirect per old path: the same path on another of the
    legacy host names is the same redirect. Returns the redirects and the old URLs skipped, with why.

    With `edge_hosts` (the old domains whose redirects the edge answers: edge/model.split) the Bulk
    Redirect list's rows are not the platform's (they never reach it); the 410s and the old URLs with a
    query, which the edge answers by zone rules as far as the plan's rule budget goes, are kept here too,
    so whatever the budget leaves over is still answered. A 410 with a suggested page (`suggested_path`)
    is the platform's alone: its page names that one page, and an edge rule's page is one for many URLs."""
    redirects: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    with (migration / "redirects.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["type"] not in ("redirect", "archive"):
                continue
            source = old_path(row["old_url"])
            target = _target(row)
            if not _SEGMENT.match(source.split("?")[0]):
                skipped.append(f"{row['old_url']}: the platform cannot match this path")
                continue
            if target == source:
                continue  # the page itself lives at its old path: nothing to redirect
            wanted = {"from_path": source, "to_path": target, "status": 301 if target else 410}
            suggested = urlsplit(row.get("suggested_url") or "").path if target is None else ""
            if suggested:
                wanted["suggested_path"] = suggested  # the page the 410 page offers
            if source in redirects and redirects[source] != wanted:
                skipped.append(f"{row['old_url']}: another old URL with the same path redirects elsewhere")
                continue
            redirects[source] = wanted
    rows = [redirects[key] for key in sorted(redirects)]
    if edge_hosts:
        rows = split(rows, edge_hosts)[1]
    return rows, skipped


def migration_items(migration: Any, edge_hosts: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """What the migration publishes, by kind: key (path, or old path of a redirect) -> hash or target."""
    return {
        "pages": {p["path"]: p["content_hash"] for p in read_pages(migration) if publishable(p)},
        "assets": {a["path"]: a["sha256"] for a in read_assets(migration)},
        "redirects": {r["from_path"]: redirect_line(r) for r in read_redirects(migration, edge_hosts)[0]},
    }


def redirect_line(redirect: dict[str, Any]) -> str:
    """A redirect as the platform's digest line holds it after its from_path: `to_path<TAB>status`, and
    `<TAB>suggested_path` for a 410 that offers a page (the contract's CollectionSummary)."""
    line = f"{redirect['to_path'] or ''}\t{redirect['status']}"
    return line + (f"\t{redirect['suggested_path']}" if redirect.get("suggested_path") else "")
