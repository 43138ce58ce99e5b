"""`python -m soh_onboarding overrides`: apply a force's redirect overrides to a migration, without crawling again.

`overrides apply SPEC --run DIR` reads <slug>.redirects.csv beside the spec (every error at its line, and
nothing applied if there is one) and re-plans, re-processes and re-finishes the migration in DIR (a run's
folder, or its migration/ folder, or migrate's --out) from the crawl already there: the legacy site is not
asked. redirects.csv, the inventory, the content's links and the report then follow the corrections. Exit 1
on an error in the file or when the quality checks fail.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import checked_spec, command, progress_printer, read_overrides


def migration_folder(run: Path) -> Path:
    """A run's migration/ folder when given the run's folder, else the folder itself (migrate's --out)."""
    return run / "migration" if (run / "migration" / "crawl").is_dir() else run


def apply(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .. import project
    from ..migration import pipeline

    force = checked_spec(args.spec)
    if force is None:
        return 1
    corrections = read_overrides(force)
    if corrections is False:
        return 1
    if corrections is None:
        print(
            f"overrides: no {force.slug}.redirects.csv beside {args.spec}: the rules' mapping stands", file=sys.stderr
        )
    folder = migration_folder(Path(args.run))
    progress = progress_printer(args.json)
    previous = pipeline.previous_migration(Path(args.store or project.DEFAULT_ARTIFACT_STORE), force.slug, folder)
    try:
        summary = pipeline.apply_overrides(force.data, folder, corrections, previous=previous, progress=progress)
    except pipeline.NoCrawl as error:
        print(f"overrides: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    if not summary.quality_passed:
        why = "" if args.json else f"\n{summary.quality}"
        print(
            f"overrides: the quality checks FAILED (report: {folder / 'migration-report.html'}){why}", file=sys.stderr
        )
        return 1
    progress(f"report: {folder / 'migration-report.html'}")
    return 0


def register(commands: Any) -> None:
    overrides = command(commands, __doc__, lambda args: 2)  # an ACTION is required: argparse says so
    actions = overrides.add_subparsers(dest="action", required=True, metavar="ACTION")
    applying = actions.add_parser(
        "apply", help="apply the overrides to an existing migration folder", description=apply.__doc__
    )
    applying.add_argument("spec", metavar="SPEC", help="the force's spec file (its <slug>.redirects.csv beside it)")
    applying.add_argument(
        "--run", required=True, metavar="DIR", help="a run's folder, its migration/ folder, or migrate's --out"
    )
    applying.add_argument(
        "--store",
        metavar="DIR",
        help="artifact store holding the force's earlier runs (default: artifacts/), for the page-count check",
    )
    applying.add_argument("--json", action="store_true", help="print the summary as JSON (progress goes to stderr)")
    applying.set_defaults(func=apply)
