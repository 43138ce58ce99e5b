"""Pruning's checks: removing from the tenant what the migration no longer has trusts the migration to be
whole, so it is checked first (`check_prune`), before anything is sent or removed: never from a migration
whose recorded outcome (summary.json) is missing, failed or has no page (a legacy site that was down gives
an empty migration, and pruning to it would empty the live site), and never more than
`tenant.max_prune_share` of the tenant's pages, assets or redirects without an explicit `allow_large_prune`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..migration.quality import recorded_outcome
from .client import PlatformClient
from .items import KINDS, migration_items
from .verification import platform_items

MAX_PRUNE_SHARE = 0.1
"""Default of the spec's tenant.max_prune_share: a prune that would remove more than a tenth of a tenant's
pages, assets or redirects is more likely a broken migration than a site that shrank, so it needs saying so."""


@dataclass(frozen=True)
class Prune:
    """Asked for: remove from the tenant what the migration no longer has, within these limits."""

    max_share: float = MAX_PRUNE_SHARE  # of each kind; the spec's tenant.max_prune_share
    allow_large: bool = False  # remove more than max_share (--allow-large-prune); never from a failed migration


class PruneRefused(Exception):
    """Pruning was refused before anything was sent or removed; the message says why and how to go on."""


def _outcome_problem(migration: Any) -> str | None:
    """Why the migration's recorded outcome forbids pruning to it, or None when it passed with pages."""
    outcome = recorded_outcome(migration)
    if outcome is None:
        return f"the migration in {migration} has no recorded outcome (summary.json): it may not have finished"
    if not outcome.passed:
        return f"the migration in {migration} failed its quality checks (summary.json)"
    if outcome.pages < 1:
        return f"the migration in {migration} has no page (summary.json)"
    return None


def check_prune(
    client: PlatformClient, tenant_id: str, migration: Any, prune: Prune, edge_hosts: tuple[str, ...] = ()
) -> dict[str, int]:
    """Raise PruneRefused unless pruning the tenant to this migration is safe; else how many of each kind
    it removes. Called before anything is sent, so a refusal leaves the tenant's content as it was.

    Never from a failed or empty migration (no override: re-run the migration); more than `prune.max_share`
    of any kind only with `prune.allow_large`. It reads the platform's listings once more than publishing alone.
    """
    problem = _outcome_problem(migration)
    wanted = migration_items(migration, edge_hosts)
    if problem is None and not wanted["pages"]:
        problem = f"the migration in {migration} has no page to publish (content.jsonl)"
    if problem:
        raise PruneRefused(f"refusing to prune the tenant {tenant_id}: {problem}. Nothing was sent or removed.")
    there = platform_items(client, tenant_id)
    removed = {kind: len(set(there[kind]) - set(wanted[kind])) for kind in KINDS}
    over = [
        f"{removed[kind]:,} of {len(there[kind]):,} {name} ({removed[kind] / len(there[kind]) * 100:.3g}%)"
        for kind, name in KINDS.items()
        if there[kind] and removed[kind] / len(there[kind]) > prune.max_share
    ]
    if over and not prune.allow_large:
        raise PruneRefused(
            f"refusing to prune the tenant {tenant_id}: it would remove {', '.join(over)}, over the limit of "
            f"{prune.max_share * 100:g}% of each (tenant.max_prune_share in the spec). Nothing was sent or removed. "
            "If these removals are intended, run again with --allow-large-prune."
        )
    return removed
