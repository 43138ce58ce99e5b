"""Publishing: pages, assets and redirects from the migration's outputs, in batches.

Publishing is resumable and sends only what changed: it first reads back what the platform holds (path
and hash of every item), then sends only the items that are missing or differ, in batches the platform
commits whole. A run killed half-way leaves whole batches behind; the next run reads them back and sends
the rest. Items on the platform that the migration no longer has are reported, and removed only when
asked (`prune`, after prune.check_prune), since the force's editors may have added them.
"""

from __future__ import annotations

import hashlib
from base64 import b64encode
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .client import PlatformClient
from .items import KINDS, publishable, read_assets, read_pages, read_redirects
from .prune import MAX_PRUNE_SHARE, check_prune

PAGES_PER_BATCH = 250
BATCH_BYTES = 4_000_000
ASSETS_PER_BATCH = 100
ASSET_BATCH_BYTES = 8_000_000
REDIRECTS_PER_BATCH = 2000


@dataclass
class Published:
    """What publishing one kind of item did."""

    local: int = 0
    on_platform_before: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    batches: int = 0
    not_in_migration: int = 0
    skipped: list[str] = field(default_factory=list)


def _batches(items: Iterable[dict], size: int, max_bytes: int, weight: Callable[[dict], int]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    total = 0
    for item in items:
        cost = weight(item)
        if batch and (len(batch) >= size or total + cost > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += cost
    if batch:
        yield batch


def _send(
    client: PlatformClient,
    tenant_id: str,
    kind: str,
    batches: Iterable[list[dict]],
    result: Published,
    progress: Callable[[str], None],
) -> None:
    for batch in batches:
        answer = client.publish(tenant_id, kind, batch)
        result.batches += 1
        result.sent += len(batch)
        for key in ("created", "updated", "unchanged"):
            setattr(result, key, getattr(result, key) + answer[key])
        progress(
            f"{kind}: batch {result.batches}: {len(batch)} sent ({answer['created']} new, {answer['updated']} changed)"
        )


def _prune(client: PlatformClient, tenant_id: str, kind: str, keys: list[str], result: Published, prune: bool) -> None:
    result.not_in_migration = len(keys)
    if not prune:
        return
    for start in range(0, len(keys), 1000):
        answer = client.publish(tenant_id, kind, [], keys[start : start + 1000])
        result.deleted += answer["deleted"]
        result.batches += 1
    result.not_in_migration -= result.deleted


def publish_pages(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    batch_size: int = PAGES_PER_BATCH,
    prune: bool = False,
    progress: Callable[[str], None] = print,
) -> Published:
    remote = {item["path"]: item["content_hash"] for item in client.listing(tenant_id, "pages")}
    local: dict[str, str] = {}  # path -> hash: the bodies are read again when sent, not held
    skipped = []
    for page in read_pages(migration):
        if publishable(page):
            local[page["path"]] = page["content_hash"]
        else:
            skipped.append(
                f"{page['path']}: its body has {len(page['body_html']):,} characters, over the platform's limit"
            )
    changed = {path for path, digest in local.items() if remote.get(path) != digest}
    result = Published(local=len(local), on_platform_before=len(remote), skipped=skipped)
    progress(f"pages: {len(local)} migrated, {len(remote)} on the platform, {len(changed)} to send")
    wanted = (page for page in read_pages(migration) if page["path"] in changed)
    batches = _batches(wanted, batch_size, BATCH_BYTES, lambda page: len(page["body_html"]) + len(page["title"]) + 200)
    _send(client, tenant_id, "pages", batches, result, progress)
    _prune(client, tenant_id, "pages", sorted(set(remote) - set(local)), result, prune)
    return result


def publish_assets(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    prune: bool = False,
    progress: Callable[[str], None] = print,
) -> Published:
    remote = {item["path"]: (item["sha256"], item["content_type"]) for item in client.listing(tenant_id, "assets")}
    local = read_assets(migration)
    changed = [a for a in local if remote.get(a["path"]) != (a["sha256"], a["content_type"])]
    result = Published(local=len(local), on_platform_before=len(remote))
    progress(f"assets: {len(local)} migrated, {len(remote)} on the platform, {len(changed)} to send")

    def payloads() -> Iterator[dict]:
        for asset in changed:
            data = asset["file"].read_bytes()
            yield {
                "path": asset["path"],
                "content_type": asset["content_type"],
                "sha256": hashlib.sha256(data).hexdigest(),
                "data_base64": b64encode(data).decode("ascii"),
            }

    batches = _batches(payloads(), ASSETS_PER_BATCH, ASSET_BATCH_BYTES, lambda a: len(a["data_base64"]))
    _send(client, tenant_id, "assets", batches, result, progress)
    _prune(client, tenant_id, "assets", sorted(set(remote) - {a["path"] for a in local}), result, prune)
    return result


def publish_redirects(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    prune: bool = False,
    progress: Callable[[str], None] = print,
) -> Published:
    remote = {item["from_path"]: (item["to_path"], item["status"]) for item in client.listing(tenant_id, "redirects")}
    local, skipped = read_redirects(migration)
    changed = [r for r in local if remote.get(r["from_path"]) != (r["to_path"], r["status"])]
    result = Published(local=len(local), on_platform_before=len(remote), skipped=skipped)
    progress(f"redirects: {len(local)} from old URLs, {len(remote)} on the platform, {len(changed)} to send")
    batches = _batches(changed, REDIRECTS_PER_BATCH, BATCH_BYTES, lambda r: len(r["from_path"]) + 100)
    _send(client, tenant_id, "redirects", batches, result, progress)
    _prune(client, tenant_id, "redirects", sorted(set(remote) - {r["from_path"] for r in local}), result, prune)
    return result


def publish(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    prune: bool = False,
    max_prune_share: float = MAX_PRUNE_SHARE,
    allow_large_prune: bool = False,
    batch_size: int = PAGES_PER_BATCH,
    progress: Callable[[str], None] = print,
) -> dict[str, Published]:
    """Pages, then assets, then redirects (a redirect should land on something already there).

    With `prune`, check_prune first: it raises PruneRefused before anything is sent or removed."""
    if prune:
        removing = check_prune(client, tenant_id, migration, max_share=max_prune_share, allow_large=allow_large_prune)
        progress("prune: " + ", ".join(f"{count} {KINDS[kind]}" for kind, count in removing.items()) + " to remove")
    return {
        "pages": publish_pages(client, tenant_id, migration, batch_size=batch_size, prune=prune, progress=progress),
        "assets": publish_assets(client, tenant_id, migration, prune=prune, progress=progress),
        "redirects": publish_redirects(client, tenant_id, migration, prune=prune, progress=progress),
    }
