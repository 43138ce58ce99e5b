"""`python -m soh_onboarding golive-check`: run the go-live checks: DNS, TLS, headers, key pages, old URLs, files, prerequisites.

Run every go-live check for a force's new site and write the checklist (checklist.json, go-live-checklist.html,
redirects-checked.csv). Connections follow config/go-live.yaml and SOH_GOLIVE_RESOLVER, SOH_GOLIVE_HTTP_PORT,
SOH_GOLIVE_HTTPS_PORT, SOH_GOLIVE_CA_BUNDLE. Exit 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import checked_spec, command


def run(args: argparse.Namespace) -> int:
    """Run every go-live check for a force; write the checklist; exit 0 only when nothing failed."""
    from .. import project
    from ..artifacts import force_folder
    from ..golive import checks, settings

    force = checked_spec(args.spec)
    if force is None:
        return 1
    try:
        configured = settings.load()
    except settings.SettingsError as error:
        print(error, file=sys.stderr)
        return 1
    run = Path(args.run) if args.run else None
    if run is None:  # the force's latest run in the store, if any
        runs = [p for p in force_folder(Path(args.store or project.DEFAULT_ARTIFACT_STORE), force.slug).glob("*/spec")]
        run = max(runs, key=lambda p: p.stat().st_mtime).parent if runs else None
    checklist, rows = checks.run_checks(force.data, configured, run)
    out = Path(args.out) if args.out else (run / "go_live" if run else None)
    paths = checks.write_report(out, checklist, rows) if out else {}
    if args.json:
        print(json.dumps(checklist.as_dict() | {"run_folder": str(run or ""), "reports": paths}, indent=2))
    else:
        for check in checklist.checks:
            subject = f" {check.subject}" if check.subject else ""
            print(f"{check.status.upper():4} {check.name}{subject}: {check.summary}")
        counts = checklist.counts()
        verdict = "ready for the go-live decision" if checklist.passed else "NOT ready"
        print(f"{force.name}: {verdict}: {counts['pass']} passed, {counts['warn']} warning(s), {counts['fail']} failed")
        print(f"run folder: {run or 'none found'}; checklist: {paths.get('html', 'not written (no --out)')}")
    return 0 if checklist.passed else 1


def register(commands: Any) -> None:
    golive = command(commands, __doc__, run, spec="the force's spec file", json="print the checklist as JSON")
    golive.add_argument(
        "--run", metavar="DIR", help="the run's artifact folder (prerequisites, redirect map); default: the latest run"
    )
    golive.add_argument("--store", metavar="DIR", help="artifact store to find the latest run in (default: artifacts/)")
    golive.add_argument("--out", metavar="DIR", help="folder for the checklist (default: <run>/go_live)")
