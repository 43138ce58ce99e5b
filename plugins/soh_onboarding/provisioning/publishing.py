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
from typing import Any, NamedTuple

from .client import PlatformClient
from .items import KINDS, publishable, read_assets, read_pages, read_redirects, redirect_line
from .prune import Prune, check_prune

PAGES_PER_BATCH = 250
BATCH_BYTES = 4_000_000
ASSETS_PER_BATCH = 100
ASSET_BATCH_BYTES = 8_000_000
REDIRECTS_PER_BATCH = 2000


@dataclass
class Published:
    """What publishing one kind of item did: the provisioning report's row for that kind."""

    local: int = 0  # items of this kind in the migration
    on_platform_before: int = 0  # ... on the platform before this run
    sent: int = 0  # ... sent in this run: only those missing or changed, so a re-run sends nothing
    created: int = 0  # as the platform answered each batch
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # removed, when asked to prune (the CLI's --prune)
    batches: int = 0
    not_in_migration: int = 0  # on the platform, no longer in the migration, and left there
    skipped: list[str] = field(default_factory=list)  # "item: why" for what could not be published


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


class _Kind(NamedTuple):
    """One kind of item to publish, each item by its key (path, or old path of a redirect)."""

    name: str
    remote: dict[str, Any]
    """On the platform: key -> what must match."""
    local: dict[str, Any]
    """In the migration: key -> what must match."""
    payloads: Callable[[list[str]], Iterable[dict]]
    """The items of these keys, as sent."""
    per_batch: int
    batch_bytes: int
    weight: Callable[[dict], int]
    """An item's share of batch_bytes."""
    skipped: list[str]
    counted: str = "migrated"


def _pages(client: PlatformClient, tenant_id: str, migration: Any, batch_size: int) -> _Kind:
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

    def payloads(changed: list[str]) -> Iterator[dict]:
        wanted = set(changed)
        return (page for page in read_pages(migration) if page["path"] in wanted)

    weight = lambda page: len(page["body_html"]) + len(page["title"]) + 200  # noqa: E731
    return _Kind("pages", remote, local, payloads, batch_size, BATCH_BYTES, weight, skipped)


def _assets(client: PlatformClient, tenant_id: str, migration: Any) -> _Kind:
    remote = {item["path"]: (item["sha256"], item["content_type"]) for item in client.listing(tenant_id, "assets")}
    assets = {asset["path"]: asset for asset in read_assets(migration)}

    def payloads(changed: list[str]) -> Iterator[dict]:
        for path in changed:
            asset = assets[path]
            data = asset["file"].read_bytes()
            yield {
                "path": asset["path"],
                "content_type": asset["content_type"],
                "sha256": hashlib.sha256(data).hexdigest(),
                "data_base64": b64encode(data).decode("ascii"),
            }

    local = {path: (asset["sha256"], asset["content_type"]) for path, asset in assets.items()}
    weight = lambda payload: len(payload["data_base64"])  # noqa: E731
    return _Kind("assets", remote, local, payloads, ASSETS_PER_BATCH, ASSET_BATCH_BYTES, weight, [])


def _redirects(client: PlatformClient, tenant_id: str, migration: Any, edge_hosts: tuple[str, ...]) -> _Kind:
    remote = {item["from_path"]: redirect_line(item) for item in client.listing(tenant_id, "redirects")}
    redirects, skipped = read_redirects(migration, edge_hosts)
    by_path = {redirect["from_path"]: redirect for redirect in redirects}
    local = {path: redirect_line(redirect) for path, redirect in by_path.items()}
    payloads = lambda changed: [by_path[path] for path in changed]  # noqa: E731
    weight = lambda redirect: len(redirect["from_path"]) + 100  # noqa: E731
    return _Kind(
        "redirects", remote, local, payloads, REDIRECTS_PER_BATCH, BATCH_BYTES, weight, skipped, "from old URLs"
    )


def _publish(
    client: PlatformClient, tenant_id: str, kind: _Kind, prune: bool, progress: Callable[[str], None]
) -> Published:
    """Send what is missing on the platform or differs, in batches; then count, or with `prune` remove,
    what the migration no longer has."""
    changed = [key for key, wanted in kind.local.items() if kind.remote.get(key) != wanted]
    result = Published(local=len(kind.local), on_platform_before=len(kind.remote), skipped=kind.skipped)
    progress(
        f"{kind.name}: {len(kind.local)} {kind.counted}, {len(kind.remote)} on the platform, {len(changed)} to send"
    )
    batches = _batches(kind.payloads(changed), kind.per_batch, kind.batch_bytes, kind.weight)
    _send(client, tenant_id, kind.name, batches, result, progress)
    _prune(client, tenant_id, kind.name, sorted(set(kind.remote) - set(kind.local)), result, prune)
    return result


def publish(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    prune: Prune | None = None,
    batch_size: int = PAGES_PER_BATCH,
    progress: Callable[[str], None] = print,
    kinds: tuple[str, ...] = tuple(KINDS),
    edge_hosts: tuple[str, ...] = (),
) -> dict[str, Published]:
    """Pages, then assets, then redirects (a redirect should land on something already there), or only
    the `kinds` asked for (the publishing benchmark sends pages alone). With `edge_hosts`, the redirects
    the edge answers on those old domains are not the platform's (items.read_redirects).

    With `prune`, check_prune first: it raises PruneRefused before anything is sent or removed."""
    if prune:
        removing = check_prune(client, tenant_id, migration, prune, edge_hosts)
        progress("prune: " + ", ".join(f"{count} {KINDS[kind]}" for kind, count in removing.items()) + " to remove")
    readers = {
        "pages": lambda: _pages(client, tenant_id, migration, batch_size),
        "assets": lambda: _assets(client, tenant_id, migration),
        "redirects": lambda: _redirects(client, tenant_id, migration, edge_hosts),
    }
    return {
        kind: _publish(client, tenant_id, readers[kind](), prune is not None, progress)
        for kind in readers
        if kind in kinds
    }
