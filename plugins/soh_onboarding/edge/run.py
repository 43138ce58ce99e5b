"""One entry point for a run's edge work: provisioning (the tenant's own domains, TLS, HSTS, headers and the
old URLs' redirects, before go-live), the go-live switch (the same, plus the old domains' DNS) and the
rollback (the old domains' DNS as it was before the switch).

What it did is kept in the phase's folder as edge.json and edge-report.html (provisioning), or
edge-switch.json and edge-switch-report.html (go-live), edge-rollback.json (rollback): the plan it started
from, what it wrote, and what the edge cannot hold and stays with the origin.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import reports
from ..artifacts import write_json
from ..provisioning.items import read_redirects
from .model import Desired, EdgeSettings, desired

PROVISIONING_FILE, SWITCH_FILE = "edge.json", "edge-switch.json"
BEFORE_SWITCH = "edge-before-switch.json"
"""The old domains' records as they were before the switch (in the go-live phase's folder): what a
rollback puts back. Written once, by the first switch attempt, so a retried switch cannot overwrite it
with a half-switched state."""
ROLLBACK_FILE = "edge-rollback.json"
REPORT, SWITCH_REPORT = "edge-report.html", "edge-switch-report.html"


@dataclass
class EdgeRun:
    """What one run did at the edge."""

    tenant_id: str
    live: bool
    dry_run: bool
    changes: dict[str, dict[str, int]]
    unchanged: dict[str, int]
    written: int
    diff: list[str]
    not_at_edge: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        if not self.changes:
            return f"edge: nothing to change for {self.tenant_id} (already as it should be: {self.unchanged})"
        counts = "; ".join(
            f"{section} " + ", ".join(f"{n} {action}" for action, n in actions.items())
            for section, actions in self.changes.items()
        )
        return f"edge: {verb} {counts} for {self.tenant_id}"


def wanted(spec_data: dict[str, Any], migration: Any, live: bool, settings: EdgeSettings | None = None) -> Desired:
    """The tenant's edge from the run's spec and its migration's redirects.csv (none before a migration)."""
    redirects = read_redirects(migration)[0] if (migration / "redirects.csv").exists() else []
    return desired(spec_data, redirects, settings or EdgeSettings.load(), live=live)


def provision(
    edge: Any,
    spec_data: dict[str, Any],
    migration: Any,
    out: Any,
    *,
    live: bool,
    dry_run: bool = False,
    progress: Callable[[str], None] = print,
) -> EdgeRun:
    """Bring the edge to what the tenant needs (`live`: with the old domains' DNS, the switch); a dry run only
    reads and prints the diff. Writes edge.json or edge-switch.json in `out`."""
    want = wanted(spec_data, migration, live)
    if live and not dry_run and not (out / BEFORE_SWITCH).exists():
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / BEFORE_SWITCH, {"records": edge.records_at(list(want.old_hosts))})
    if dry_run:
        plan = edge.plan(want)
        outcome_written, refused = [], []
    else:
        outcome = edge.converge(want, progress=progress)
        plan, outcome_written, refused = outcome.first, outcome.written, outcome.refused
    done = EdgeRun(
        tenant_id=want.tenant_id,
        live=live,
        dry_run=dry_run,
        changes=plan.counts(),
        unchanged=dict(plan.unchanged),
        written=len(outcome_written),
        diff=plan.lines(),
        not_at_edge=[*want.not_at_edge, *plan.left],
        refused=refused,
    )
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / (SWITCH_FILE if live else PROVISIONING_FILE), asdict(done))
    markdown = reports.render("edge_report.md.j2", spec=spec_data, done=done)
    title = f"The edge: {spec_data['force']['name']}"
    (out / (SWITCH_REPORT if live else REPORT)).write_text(reports.markdown_to_html(markdown, title), encoding="utf-8")
    return done


def roll_back(
    edge: Any,
    spec_data: dict[str, Any],
    migration: Any,
    go_live: Any,
    out: Any,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Undo the go-live switch at the edge: the tenant's edge as provisioning leaves it (its own domains,
    TLS, HSTS, headers, the old URLs' redirects and rules), and the old domains' records exactly as they were
    before the switch (`go_live`/edge-before-switch.json). Idempotent: a second run writes nothing. Writes
    `out`/edge-rollback.json."""
    before = go_live / BEFORE_SWITCH
    if not before.exists():
        raise FileNotFoundError(
            f"{before} is missing: the switch kept no record of the old domains' records, so they cannot be put "
            "back exactly; restore them by hand at the edge"
        )
    records = json.loads(before.read_text(encoding="utf-8"))["records"]
    outcome = edge.converge(wanted(spec_data, migration, live=False), progress=progress)
    restored = edge.restore_records(records)
    done = {
        "edge_changes": outcome.first.counts(),
        "edge_written": len(outcome.written),
        "records_restored": [change.line() for change in restored],
        "records": records,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / ROLLBACK_FILE, done)
    progress(
        f"edge: {len(restored)} record change(s) on the old domains"
        + (" (already as before the switch)" if not restored else "")
    )
    return done
