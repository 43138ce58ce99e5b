"""The provisioning phase: the force's tenant on the platform, its migrated site published there and verified.

    client      the client of the platform's admin API (schemas/platform-api.yaml)
    publishing  the tenant, publishing only what changed (resumable), pruning's checks, verifying, the report

The names below are the phase's API, as its callers use it (`provisioning.publish`, `provisioning.verify`);
the platform's client is its own subject, used by its module (`soh_onboarding.provisioning.client`).
"""

from .publishing import (
    ProvisioningResult,
    PruneRefused,
    Published,
    Verification,
    check_prune,
    enable_services,
    ensure_tenant,
    provision,
    publish,
    publish_assets,
    publish_pages,
    publish_redirects,
    read_assets,
    read_pages,
    read_redirects,
    verify,
    write_outputs,
)

__all__ = [
    "ProvisioningResult",
    "PruneRefused",
    "Published",
    "Verification",
    "check_prune",
    "enable_services",
    "ensure_tenant",
    "provision",
    "publish",
    "publish_assets",
    "publish_pages",
    "publish_redirects",
    "read_assets",
    "read_pages",
    "read_redirects",
    "verify",
    "write_outputs",
]
