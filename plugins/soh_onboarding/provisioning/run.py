"""One whole provisioning in this process (what the CLI runs; the DAG runs the steps as tasks), and the
two steps that depend on where the content is held: publishing and verifying.

With a CMS client (the environment's content is Optimizely: config/platform.yaml) the pages, documents and
images go to the CMS's content tree and the platform gets only the redirects (those the edge does not
answer); without one, the platform's own API takes all three.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..artifacts import write_json
from . import cms_content
from .client import PlatformClient
from .cms import CmsClient
from .items import KINDS
from .prune import MAX_PRUNE_SHARE, Prune
from .publishing import Published, publish
from .report import ProvisioningResult, write_outputs
from .tenant import enable_services, ensure_tenant
from .verification import Verification, verify


class PruneInCms(ValueError):
    """--prune asked of content held in the CMS: this tool never deletes there (editors work in it)."""


def held_in(cms: CmsClient | None) -> str:
    return "Optimizely CMS" if cms is not None else "the platform"


def publish_content(
    client: PlatformClient,
    spec_data: dict[str, Any],
    migration: Any,
    *,
    cms: CmsClient | None = None,
    edge_hosts: tuple[str, ...] = (),
    prune: Prune | None = None,
    progress: Callable[[str], None] = print,
) -> dict[str, Published]:
    """The migration's pages, documents and redirects, each where the environment holds it: the CMS first
    (so that the redirects land on pages already there), then the platform (`prune`: what it holds)."""
    tenant_id = spec_data["tenant"]["tenant_id"]
    published: dict[str, Published] = {}
    if cms is not None:
        plan = cms_content.plan_migration(spec_data, migration)
        progress(f"CMS: {len(plan.items)} content items planned, {len(plan.unmapped)} cannot be mapped (reported)")
        synced = cms_content.publish(cms, plan)
        progress(f"CMS: {len(synced.written)} written, {synced.unchanged} unchanged, {len(synced.refused)} refused")
        for line in [*synced.unmapped, *synced.refused][:20]:
            progress(f"not in the CMS: {line.path}: {line.reason}")
        published = cms_content.as_published(synced)
    kinds = ("redirects",) if cms is not None else tuple(KINDS)
    return published | publish(
        client, tenant_id, migration, prune=prune, kinds=kinds, edge_hosts=edge_hosts, progress=progress
    )


def verify_content(
    client: PlatformClient,
    spec_data: dict[str, Any],
    migration: Any,
    published: dict[str, Published],
    *,
    cms: CmsClient | None = None,
    edge_hosts: tuple[str, ...] = (),
) -> Verification:
    """Read back everything, where it is held; what the CMS refused when it was published (`published`'s
    skipped lines) is reported there, not found missing again here."""
    tenant_id = spec_data["tenant"]["tenant_id"]
    if cms is None:
        return verify(client, tenant_id, migration, edge_hosts)
    plan = cms_content.plan_migration(spec_data, migration)
    content = cms_content.verification(cms_content.verify(cms, plan, cms_content.not_held(published)))
    return cms_content.merged(content, verify(client, tenant_id, migration, edge_hosts, ("redirects",)))


def provision(
    client: PlatformClient,
    spec_data: dict[str, Any],
    migration: Any,
    out: Any,
    *,
    cms: CmsClient | None = None,
    prune: bool = False,
    allow_large_prune: bool = False,
    progress: Callable[[str], None] = print,
) -> ProvisioningResult:
    """Everything in order, in this process: what the CLI runs. With `prune`, PruneRefused (see
    check_prune) leaves the tenant's content as it was."""
    tenant_id = spec_data["tenant"]["tenant_id"]
    if prune and cms is not None:  # refused before anything is sent
        raise PruneInCms(
            "--prune removes what the platform holds beyond the migration; the pages and documents are in "
            "Optimizely CMS, where this tool never deletes (its editors remove what they no longer need)"
        )
    out.mkdir(parents=True, exist_ok=True)
    ensure_tenant(client, spec_data)
    enable_services(client, spec_data)
    progress(f"tenant {tenant_id}: name, domains, branding and {len(spec_data['tenant']['services'])} services set")
    pruning = Prune(spec_data["tenant"].get("max_prune_share", MAX_PRUNE_SHARE), allow_large_prune) if prune else None
    published = publish_content(client, spec_data, migration, cms=cms, prune=pruning, progress=progress)
    checked = verify_content(client, spec_data, migration, published, cms=cms)
    result = write_outputs(out, spec_data, client.get_tenant(tenant_id), published, checked, held_in(cms))
    result.calls = client.stats.as_dict() | ({"cms": cms.stats.as_dict()} if cms is not None else {})
    write_json(out / "provisioning.json", result.as_dict())
    progress(
        f"verified: {checked.counts['pages']} pages, {checked.counts['assets']} assets, "
        f"{checked.counts['redirects']} redirects in {held_in(cms)}"
        if checked.ok
        else "verification FAILED: " + "; ".join(checked.problems)
    )
    progress(f"preview: {result.preview_url}")
    return result
