"""Verifying: read back every page, asset and redirect; each must be on the platform with what was sent,
and the platform's own counts and digests must agree with what it lists."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .client import PlatformClient
from .items import KINDS, migration_items, redirect_line


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    counts: dict[str, int]
    not_in_migration: dict[str, int]


def digest(lines: Iterable[str]) -> str:
    """The contract's digest of a collection: sha256 of its lines in key order, joined by newlines."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def platform_items(client: PlatformClient, tenant_id: str) -> dict[str, dict[str, str]]:
    """What the platform holds for the tenant, by kind, keyed and valued as `items.migration_items`."""
    return {
        "pages": {i["path"]: i["content_hash"] for i in client.listing(tenant_id, "pages")},
        "assets": {i["path"]: i["sha256"] for i in client.listing(tenant_id, "assets")},
        "redirects": {i["from_path"]: redirect_line(i) for i in client.listing(tenant_id, "redirects")},
    }


def verify(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    edge_hosts: tuple[str, ...] = (),
    kinds: tuple[str, ...] = tuple(KINDS),
) -> Verification:
    """Read back every page, asset and redirect (or only the `kinds` the platform was given: with the
    content in a CMS, the redirects): each must be there with what we sent, and the platform's own counts
    and digests must agree with what it lists (`edge_hosts`: as `publish` was given)."""
    expected = {kind: wanted for kind, wanted in migration_items(migration, edge_hosts).items() if kind in kinds}
    listed = {kind: there for kind, there in platform_items(client, tenant_id).items() if kind in kinds}
    summary = client.summary(tenant_id)
    problems: list[str] = []
    for kind, wanted in expected.items():
        there = listed[kind]
        missing = sorted(set(wanted) - set(there))
        different = sorted(key for key in wanted if key in there and there[key] != wanted[key])
        if missing:
            problems.append(f"{kind}: {len(missing)} missing on the platform, e.g. {missing[0]}")
        if different:
            problems.append(f"{kind}: {len(different)} differ from what was sent, e.g. {different[0]}")
        lines = [f"{key}\t{there[key]}" for key in sorted(there)]
        if summary[kind]["count"] != len(there) or summary[kind]["digest"] != digest(lines):
            problems.append(f"{kind}: the platform's summary disagrees with its own listing")
    return Verification(
        ok=not problems,
        problems=problems,
        counts={kind: len(listed[kind]) for kind in listed},
        not_in_migration={kind: len(set(listed[kind]) - set(expected[kind])) for kind in listed},
    )
