"""`python -m soh_onboarding migrate`: migrate a force's legacy site: crawl, extract, sanitise, map URLs.

Crawl the spec's legacy site (resuming from --out if a crawl is there), extract and sanitise each page, map every
old URL (the force's <slug>.redirects.csv beside the spec taken over the rules), and write inventory.csv, redirects.csv, content.jsonl, the assets and the migration report to --out. Exit 1
when a quality check fails, e.g. no page was migrated (the legacy site down, or its address refused) or most of the
previous migration's pages were lost.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import checked_spec, command, progress_printer, read_overrides


def run(args: argparse.Namespace) -> int:
    """Crawl, extract, sanitise and map a force's legacy site into --out; resumable."""
    from dataclasses import asdict

    from .. import project
    from ..migration import pipeline
    from ..migration.traffic import TrafficDataError

    force = checked_spec(args.spec)
    if force is None:
        return 1
    corrections = read_overrides(force)
    if corrections is False:
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = progress_printer(args.json)
    # Read before this run replaces --out's summary.json: the page count a re-crawl is compared with.
    previous = pipeline.previous_migration(Path(args.store or project.DEFAULT_ARTIFACT_STORE), force.slug, out)
    try:
        summary = pipeline.migrate(
            force.data, out, max_pages=args.max_pages, previous=previous, overrides=corrections, progress=progress
        )
    except TrafficDataError as error:  # the spec's traffic CSV: which line, and what to fix
        print(f"{args.spec}: legacy_site.traffic_data: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    if not summary.quality_passed:  # with --json the checks' lines are on stderr already (progress)
        why = "" if args.json else f"\n{summary.quality}"
        print(f"migrate: FAILED (report: {out / 'migration-report.html'}){why}", file=sys.stderr)
        return 1
    return 0


def register(commands: Any) -> None:
    migrate = command(
        commands, __doc__, run, spec="the force's spec file", json="print the summary as JSON (progress goes to stderr)"
    )
    migrate.add_argument("--out", required=True, metavar="DIR", help="folder for the migration (and its checkpoint)")
    migrate.add_argument("--max-pages", type=int, metavar="N", help="stop crawling after N pages (a trial run)")
    migrate.add_argument(
        "--store",
        metavar="DIR",
        help="artifact store holding the force's earlier runs (default: artifacts/): the checks fail when this "
        "migration lost more than content_mapping.max_page_loss_share of the pages of the latest one that passed "
        "(or of --out's own previous run)",
    )
