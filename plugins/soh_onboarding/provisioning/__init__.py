"""The provisioning phase: the force's tenant on the platform, and its migrated site published there and verified.

    ensure_tenant    the tenant (PUT: created once, then updated), its domains (old ones after) and branding
    enable_services  the services of the spec (after the DPO's sign-off: they are what the DPIA assessed)
    publish          pages, assets and redirects from the migration's outputs, in batches (or, with the
                     content in Optimizely CMS, pages and assets there: cms_content; run.publish_content)
    verify           read back: every item on the platform with the hash we sent; counts and digests

The modules: client (the platform's admin API), tenant, items (what the migration publishes), publishing,
prune (pruning's checks), verification, report (provisioning.json and the report), run (all of it in one
process, as the CLI does; the DAG runs the steps as tasks).

The names below are the phase's API, as its callers use it (`provisioning.publish`, `provisioning.verify`);
the platform's client is its own subject, used by its module (`soh_onboarding.provisioning.client`).
"""

from .items import read_assets, read_pages, read_redirects
from .prune import Prune, PruneRefused, check_prune
from .publishing import Published, publish
from .report import ProvisioningResult, write_outputs
from .run import PruneInCms, held_in, provision, publish_content, verify_content
from .tenant import enable_services, ensure_tenant
from .verification import Verification, verify

__all__ = [
    "ProvisioningResult",
    "Prune",
    "PruneInCms",
    "PruneRefused",
    "Published",
    "Verification",
    "check_prune",
    "enable_services",
    "ensure_tenant",
    "held_in",
    "provision",
    "publish",
    "publish_content",
    "read_assets",
    "read_pages",
    "read_redirects",
    "verify",
    "verify_content",
    "write_outputs",
]
