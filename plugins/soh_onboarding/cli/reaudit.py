"""`python -m soh_onboarding reaudit`: re-audit a live force's live site for accessibility against its go-live audit.

Audit the force's live domain (its sitemap, sampled as the onboarding audit) through config/go-live.yaml's resolver
and ports, compare with the audit its go-live passed with and the last re-audit, and write
<store>/<force>/accessibility-monitoring/<date>.json and .html; the force's accepted known issues
(<slug>.known-issues.yaml beside the spec) are no regressions while unexpired. Exit 1 on new serious or critical
violations, when no page could be audited, when the site cannot be reached, or on an expired accepted known issue.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import checked_spec, command


def run(args: argparse.Namespace) -> int:
    """Re-audit a live force's live site against its go-live audit; exit 1 on new regressions, no page
    audited, a site that cannot be reached, or an expired accepted known issue."""
    from .. import project
    from ..accessibility import known
    from ..golive import settings
    from ..live import reaudit

    force = checked_spec(args.spec)
    if force is None:
        return 1
    store = Path(args.store or project.DEFAULT_ARTIFACT_STORE)
    try:
        done = reaudit.reaudit(
            force.data,
            settings.load(),
            store,
            progress=lambda line: print(line, file=sys.stderr),
            known=known.for_spec(force.path),  # the force's accepted known issues beside its spec
        )
    except (settings.SettingsError, reaudit.ReauditError) as error:
        print(f"{force.slug}: {error}", file=sys.stderr)
        return 1
    line = reaudit.record(store, done)
    if args.json:
        print(json.dumps(line, indent=2, sort_keys=True))
    else:
        for item in done.outcome.new:
            print(f"NEW  {item}")
        for item in sorted(set(done.outcome.open) - set(done.outcome.new)):
            print(f"OPEN {item}")
        for item in done.outcome.fixed:
            print(f"FIXED {item}")
        for failure in done.known_issue_failures:
            print(f"KNOWN ISSUE NOT HONOURED {failure}")
        drafted = done.statement.drafted or "never"
        overdue = "due for review" if done.statement.overdue else f"review due {done.statement.review_due}"
        print(f"{force.name}: {done.outcome.status}; {len(done.outcome.new)} new, {len(done.outcome.open)} open")
        print(f"statement drafted {drafted}: {overdue}; report: {store / line['report']}")
    failed = done.outcome.alert or done.outcome.status == reaudit.NOT_AUDITED or done.known_issue_failures
    return 1 if failed else 0


def register(commands: Any) -> None:
    reaudit = command(
        commands, __doc__, run, spec="the live force's spec file", json="print the result's summary line as JSON"
    )
    reaudit.add_argument("--store", metavar="DIR", help="the artifact store (default: artifacts/)")
