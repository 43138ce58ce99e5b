"""The go-live approver's decision, and what a force's go-live leaves behind for the monitoring.

<run>/go_live/decision.json          who decided what, when and why, with the checklist's verdict
<store>/<force>/golive-approved.json the approved go-live: run folder, date, the checklist's findings
                                     (the baseline the daily monitoring compares against)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from ..artifacts import write_json
from ..decisions import HumanDecision

GO_LIVE, DO_NOT_GO_LIVE = "Go live", "Do not go live"
OPTIONS = (GO_LIVE, DO_NOT_GO_LIVE)
APPROVED_RECORD = "golive-approved.json"


@dataclass(frozen=True)
class Decision(HumanDecision):
    APPROVING = GO_LIVE

    run_id: str

    def why_not(self) -> str:
        """What the run says on a refusal: who, and their reason."""
        reason = f": {self.comment}" if self.comment else " (no reason given)"
        return f"{self.responded_by} chose '{self.option}'{reason}"


def record_decision(phase_folder: Any, decision: Decision, checklist: dict[str, Any]) -> None:
    write_json(
        phase_folder / "decision.json",
        asdict(decision) | {"approved": decision.approved, "checklist_status": checklist.get("status")},
    )


class SwitchFailed(Exception):
    """The platform did not put the tenant live."""


def switch_live(client: Any, tenant_id: str) -> dict[str, Any]:
    """The platform's go-live switch (`PUT /tenants/{id}/state` live, through the platform client).

    Idempotent: switching a live tenant again leaves it live, so a retried task is safe."""
    tenant = client.set_state(tenant_id, "live")
    if tenant.get("state") != "live":
        raise SwitchFailed(f"the platform answered state {tenant.get('state')!r} for tenant {tenant_id}, not 'live'")
    return {"tenant_id": tenant_id, "state": "live", "domains": list(tenant.get("domains") or [])}


def record_live(
    force_folder: Any, run_folder: Any, decision: Decision, checklist: dict[str, Any], live_date: str, switch: dict
) -> dict[str, Any]:
    """The force's standing go-live record: what the monitoring reads every day."""
    findings = sorted(
        f"{check['key']}:{finding}" for check in checklist.get("checks", []) for finding in check.get("findings", [])
    )
    record = {
        "force": checklist.get("force"),
        "live_date": live_date,
        "run": run_folder.name,  # <store>/<force>/<run>: the run's redirect map is what the monitoring checks
        "run_folder": str(run_folder),
        "decision": asdict(decision),
        "checked_at": checklist.get("checked_at"),
        "baseline_findings": findings,
        "platform": switch,
    }
    force_folder.mkdir(parents=True, exist_ok=True)
    write_json(force_folder / APPROVED_RECORD, record)
    return record


def approved_record(force_folder: Any) -> dict[str, Any] | None:
    path = force_folder / APPROVED_RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
