"""`python -m soh_onboarding edge`: bring a force's tenant to what it needs at the edge (Cloudflare), or show the diff.

Reads what the edge holds for the spec's tenant (its domains' DNS records, the zones' minimum TLS version and HSTS,
the security headers rule, the old URLs' Bulk Redirect list and rule), compares it with what the spec, the
migration's redirects.csv and config/edge.yaml ask for, and writes only what differs; --dry-run prints the diff and
writes nothing; --live includes the old domains' DNS (the go-live switch). The API token and account come from
SOH_EDGE_TOKEN and SOH_EDGE_ACCOUNT_ID (SOH_EDGE_URL for another API than Cloudflare's, e.g. the sandbox's). Writes
RUN_DIR/provisioning/edge.json (with --live: edge-switch.json). Exit 0 when the edge matches (or, dry, was read).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .common import checked_spec, command, progress_printer


def run(args: argparse.Namespace) -> int:
    """Converge the tenant's edge (or print the diff); resumable, and a second run changes nothing."""
    from ..edge import run as edge_run
    from ..edge.cloudflare import CloudflareEdge, EdgeCredentials
    from ..edge.model import EdgeError

    force = checked_spec(args.spec)
    if force is None:
        return 1
    folder = Path(args.run_dir)
    migration = folder / "migration" if (folder / "migration").is_dir() else folder
    if not (migration / "redirects.csv").is_file():
        print(f"edge: no redirects.csv in {folder}: the old URLs' redirects are left as they are", file=sys.stderr)
    try:
        edge = CloudflareEdge.connect(EdgeCredentials.from_env())
    except EdgeError as error:
        print(f"edge: {error}", file=sys.stderr)
        return 2
    options = {"live": args.live, "dry_run": args.dry_run, "progress": progress_printer(args.json)}
    try:
        done = edge_run.provision(edge, force.data, migration, folder / "provisioning", **options)
    except EdgeError as error:
        print(f"edge: {error}", file=sys.stderr)
        return 1
    finally:
        edge.close()
    if args.json:
        print(json.dumps(asdict(done), indent=2, ensure_ascii=False))
    else:
        print("\n".join(done.diff))
        print(done.summary())
        for line in done.not_at_edge:
            print(f"left with the origin: {line}")
    return 0


def register(commands: Any) -> None:
    edge = command(commands, __doc__, run, spec="the force's spec file", json="print the result as JSON")
    edge.add_argument(
        "--from",
        dest="run_dir",
        required=True,
        metavar="RUN_DIR",
        help="a `migrate --out` folder, or an onboarding run's folder (with migration/)",
    )
    edge.add_argument("--dry-run", action="store_true", help="read the edge and print the diff; write nothing")
    edge.add_argument("--live", action="store_true", help="with the old domains' DNS: the go-live switch")
