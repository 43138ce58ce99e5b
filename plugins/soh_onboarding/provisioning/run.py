"""One whole provisioning in this process: what the CLI runs (the DAG runs the steps as tasks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..artifacts import write_json
from .client import PlatformClient
from .prune import MAX_PRUNE_SHARE, Prune
from .publishing import publish
from .report import ProvisioningResult, write_outputs
from .tenant import enable_services, ensure_tenant
from .verification import verify


def provision(
    client: PlatformClient,
    spec_data: dict[str, Any],
    migration: Any,
    out: Any,
    *,
    prune: bool = False,
    allow_large_prune: bool = False,
    progress: Callable[[str], None] = print,
) -> ProvisioningResult:
    """Everything in order, in this process: what the CLI runs. With `prune`, PruneRefused (see
    check_prune) leaves the tenant's content as it was."""
    tenant_id = spec_data["tenant"]["tenant_id"]
    out.mkdir(parents=True, exist_ok=True)
    ensure_tenant(client, spec_data)
    enable_services(client, spec_data)
    progress(f"tenant {tenant_id}: name, domains, branding and {len(spec_data['tenant']['services'])} services set")
    published = publish(
        client,
        tenant_id,
        migration,
        prune=Prune(spec_data["tenant"].get("max_prune_share", MAX_PRUNE_SHARE), allow_large_prune) if prune else None,
        progress=progress,
    )
    checked = verify(client, tenant_id, migration)
    result = write_outputs(out, spec_data, client.get_tenant(tenant_id), published, checked)
    result.calls = client.stats.as_dict()
    write_json(out / "provisioning.json", result.as_dict())
    progress(
        f"verified: {checked.counts['pages']} pages, {checked.counts['assets']} assets, "
        f"{checked.counts['redirects']} redirects on the platform"
        if checked.ok
        else "verification FAILED: " + "; ".join(checked.problems)
    )
    progress(f"preview: {result.preview_url}")
    return result
