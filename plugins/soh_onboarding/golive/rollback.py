"""The way back after go-live: a force taken off the platform, each step idempotent and recorded.

In order, once the rollback is approved (the DAG rollback_force; the force's go-live approver or the
national team decides):

1. the edge (when the environment has one): the old domains' records exactly as they were before the switch
   (kept by the switch in go_live/edge-before-switch.json), the tenant's own edge as provisioning left it;
2. the platform: the tenant back in preview (`PUT /tenants/{id}/state` preview);
3. the live-forces register: the force kept with `live_until` (the rollback's day), so the charging model's
   next run, which the live-forces Asset event schedules, charges it up to that day and not after, and the
   daily monitoring stops.

Each step reads where things stand and changes only what differs, so a retried or repeated rollback ends in
the same state, the repeat changing nothing and saying so. What each attempt did is appended to
`<go-live run>/rollback/rollback.json`, which the force's onboarding record lists with the run's files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ..artifacts import force_folder, write_json
from ..decisions import HumanDecision
from ..live import register
from . import decision as golive_decision

FOLDER, RECORD = "rollback", "rollback.json"
ROLL_BACK = "Roll back"
OPTIONS = (ROLL_BACK, "Keep it live")


class RollbackError(Exception):
    """The force cannot be rolled back (not live, no go-live record, the platform refused)."""


@dataclass(frozen=True)
class RollbackDecision(HumanDecision):
    APPROVING = ROLL_BACK

    reason: str = ""


@dataclass(frozen=True)
class Target:
    """What a rollback works on: the force's standing go-live record and its run's folder."""

    slug: str
    run: Any
    record: dict[str, Any]

    @property
    def out(self) -> Any:
        return self.run / FOLDER


def target(store: Any, slug: str) -> Target:
    """The live force's go-live run; RollbackError when it has none or is not in the register."""
    record = golive_decision.approved_record(force_folder(store, slug))
    if record is None:
        raise RollbackError(f"{slug} has no approved go-live in {force_folder(store, slug)}: nothing to roll back")
    if slug not in {force.slug for force in register.live_forces(store)}:
        raise RollbackError(f"{slug} is not in the live-forces register: nothing to roll back")
    return Target(slug, force_folder(store, slug) / record["run"], record)


def summary(store: Any, slug: str, spec_data: dict[str, Any]) -> str:
    """What the person deciding is shown: what will change (Markdown, for the approval's body)."""
    found = target(store, slug)
    entry = next(force for force in register.live_forces(store) if force.slug == slug)
    before = found.run / "go_live" / "edge-before-switch.json"
    names = sorted(json.loads(before.read_text(encoding="utf-8"))["records"]) if before.exists() else []
    lines = [
        f"Roll **{spec_data['force']['name']}** back off the Single Online Home (live since {entry.live_date}"
        + (f", rolled back already on {entry.live_until}" if entry.live_until else "")
        + "):",
        "",
        f"- the edge: the old domains' DNS ({', '.join(names) or 'none recorded'}) back to the legacy site's"
        " records as they were before the switch;",
        f"- the platform: tenant `{spec_data['tenant']['tenant_id']}` back in preview;",
        "- the live-forces register: live until today; the charging model re-runs and charges the force up to"
        " today, not after.",
    ]
    if not names:
        lines.append("\nNo record of the old domains before the switch was kept: the edge step will stop and say so.")
    return "\n".join(lines)


def roll_back(
    store: Any,
    slug: str,
    spec_data: dict[str, Any],
    client: Any,
    decision: RollbackDecision,
    today: date,
    *,
    edge: Any = None,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Every step of the rollback (see the module's docstring); returns and records what each did."""
    from ..edge import run as edge_run

    found = target(store, slug)
    done: dict[str, Any] = {"decision": asdict(decision), "day": today.isoformat()}
    if edge is not None:
        try:
            done["edge"] = edge_run.roll_back(
                edge, spec_data, found.run / "migration", found.run / "go_live", found.out, progress
            )
        except FileNotFoundError as missing:
            raise RollbackError(str(missing)) from None
    tenant_id = spec_data["tenant"]["tenant_id"]
    tenant = client.set_state(tenant_id, "preview")
    if tenant.get("state") != "preview":
        raise RollbackError(f"the platform answered state {tenant.get('state')!r} for tenant {tenant_id}, not preview")
    done["platform"] = {"tenant_id": tenant_id, "state": "preview"}
    progress(f"platform: tenant {tenant_id} is in preview")
    entry, changed = register.roll_back(store, slug, today, f"rollback by {decision.responded_by}")
    done["register"] = {"live_from": entry.live_date.isoformat(), "live_until": today.isoformat(), "changed": changed}
    progress(
        f"register: {slug} live until {today}" + (" (recorded)" if changed else " (already recorded: nothing changed)")
    )
    found.out.mkdir(parents=True, exist_ok=True)
    path = found.out / RECORD
    history = json.loads(path.read_text(encoding="utf-8"))["attempts"] if path.exists() else []
    write_json(path, {"force": slug, "run": found.record["run"], "attempts": [*history, done]})
    return done
