"""`python -m soh_onboarding provision`: set up a force's tenant on the platform and publish its migrated site.

Create or update the spec's tenant (name, domains, branding, services), publish the migration's pages, documents and
images and redirects in batches (only what is missing or changed on the platform: a re-run resumes), and verify by
reading back counts and hashes. The platform's URL and token come from SOH_PLATFORM_URL and SOH_PLATFORM_TOKEN. When
the environment's content is Optimizely (SOH_ENVIRONMENT, config/platform.yaml) the pages, documents and images go to
the CMS named by SOH_CMS_URL, SOH_CMS_CLIENT_ID and SOH_CMS_CLIENT_SECRET, and the platform gets the redirects.
Writes RUN_DIR/provisioning/. It does not check the DPO's sign-off: the onboarding DAG does, before it publishes.
Exit 0 when verified.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import checked_spec, command, progress_printer


def run(args: argparse.Namespace) -> int:
    """Set up the force's tenant and publish a finished migration to the platform; verify; resumable."""
    from .. import adapters, provisioning
    from ..migration.quality import recorded_outcome
    from ..provisioning.client import Credentials, PlatformClient, PlatformError
    from ..provisioning.cms import CmsClient, CmsCredentials, CmsError

    if args.allow_large_prune and not args.prune:
        print("provision: --allow-large-prune goes with --prune", file=sys.stderr)
        return 2
    force = checked_spec(args.spec)
    if force is None:
        return 1
    run = Path(args.run_dir)
    migration = run / "migration" if (run / "migration" / "content.jsonl").is_file() else run
    if not (migration / "content.jsonl").is_file():
        print(
            f"provision: no finished migration in {run}: expected content.jsonl (a `migrate --out` folder) or "
            "migration/content.jsonl (an onboarding run's folder)",
            file=sys.stderr,
        )
        return 1
    outcome = recorded_outcome(migration)
    if (migration / "summary.json").is_file() and not (outcome and outcome.passed):
        print(
            f"provision: the migration in {migration} failed its quality checks; fix and re-run it first",
            file=sys.stderr,
        )
        return 1
    try:
        in_cms = adapters.load().content == "optimizely"
        credentials = Credentials.from_env()
        cms = CmsClient(CmsCredentials.from_env()) if in_cms else None
    except (adapters.AdaptersError, PlatformError) as error:
        print(f"provision: {error}", file=sys.stderr)
        return 2
    out = run / "provisioning"
    out.mkdir(parents=True, exist_ok=True)
    progress = progress_printer(args.json)
    with PlatformClient(credentials) as client:
        try:
            result = provisioning.provision(
                client,
                force.data,
                migration,
                out,
                cms=cms,
                prune=args.prune,
                allow_large_prune=args.allow_large_prune,
                progress=progress,
            )
        except PlatformError as error:
            service = "the CMS" if isinstance(error, CmsError) else "the platform"
            print(f"provision: {service} refused: {error}", file=sys.stderr)
            return 1
        except provisioning.PruneRefused as refused:
            print(f"provision: {refused}", file=sys.stderr)
            return 1
        except provisioning.PruneInCms as refused:
            print(f"provision: {refused}", file=sys.stderr)
            return 2
        finally:
            if cms is not None:
                cms.close()
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    return 0 if result.ok else 1


def register(commands: Any) -> None:
    provision = command(
        commands, __doc__, run, spec="the force's spec file", json="print the result as JSON (progress goes to stderr)"
    )
    provision.add_argument(
        "--from",
        dest="run_dir",
        required=True,
        metavar="RUN_DIR",
        help="a `migrate --out` folder, or an onboarding run's folder (with migration/)",
    )
    provision.add_argument(
        "--prune",
        action="store_true",
        help="also remove what the platform has and the migration no longer has: refused from a migration that "
        "failed its checks or has no page, and beyond the spec's tenant.max_prune_share (default 10%%) of the "
        "pages, assets or redirects; nothing is sent or removed when refused",
    )
    provision.add_argument(
        "--allow-large-prune",
        action="store_true",
        help="with --prune: remove even more than tenant.max_prune_share (never from a failed or empty migration)",
    )
