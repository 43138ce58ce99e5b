"""The DPO's decision on a screening, how long the DPO has to give it, and the record of approvals.

<run>/dpia/decision.json             who decided what, when and why
<store>/<force>/dpia-approved.json   the force's standing approval: it stands for a later screening with
                                     the same fingerprint, so the DPO is not asked again
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from ..decisions import HumanDecision
from .screening import Screening

APPROVE, REQUEST_CHANGES, REJECT = "Approve", "Request changes", "Reject"
OPTIONS = (APPROVE, REQUEST_CHANGES, REJECT)
APPROVED_RECORD = "dpia-approved.json"
DPO_RESPONSE_TIMEOUT = timedelta(days=14)
"""After this the DPO's task fails and the run stops, saying so: an unanswered DPIA is not an approval."""


@dataclass(frozen=True)
class Decision(HumanDecision):
    """The DPO's answer, or an earlier approval that still stands for an unchanged screening."""

    APPROVING = APPROVE

    fingerprint: str
    run_id: str
    cites: str = ""  # the run whose approval stands, when the DPO was not asked again


def approval_record(force_folder: Any) -> dict[str, Any] | None:
    """The last approved DPIA of a force (`<store>/<force>/dpia-approved.json`), or None."""
    path = force_folder / APPROVED_RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def compare_with_approval(screening: Screening, force_folder: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """The approval that still stands (None if there is none or the screening changed) and the changes."""
    record = approval_record(force_folder)
    if record is None:
        return None, ["no earlier approved DPIA for this force"]
    if record["fingerprint"] == screening.fingerprint:
        return record, []
    return None, changes(record["basis"], screening.basis) or ["the screening changed"]


def changes(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between the basis of an approved screening and this one, in the spec's terms."""
    found: list[str] = []
    before, after = set(previous.get("services", [])), set(current["services"])
    found += [f"service enabled: {s}" for s in sorted(after - before)]
    found += [f"service disabled: {s}" for s in sorted(before - after)]
    old_answers, new_answers = previous.get("answers", {}), current["answers"]
    for name in sorted(set(old_answers) | set(new_answers)):
        if old_answers.get(name) != new_answers.get(name):
            found.append(
                f"answer changed: dpia.screening.{name}: {json.dumps(old_answers.get(name))} -> {json.dumps(new_answers.get(name))}"
            )
    if previous.get("local_processors") != current["local_processors"]:
        found.append("dpia.local_processors changed")
    old_processing = previous.get("processing", {})
    for service_id, processing in current["processing"].items():
        if service_id in old_processing and old_processing[service_id] != processing:
            found.append(f"the national catalogue changed what {service_id} processes")
    return found


def record_decision(run_folder: Any, force_folder: Any, screening: Screening, decision: Decision) -> None:
    """Store the decision with the run's DPIA record; an approval also becomes the force's standing one."""
    from ..artifacts import write_json

    write_json(run_folder / "decision.json", asdict(decision) | {"approved": decision.approved})
    if decision.approved and not decision.cites:
        record = {
            "force": screening.force,
            "fingerprint": screening.fingerprint,
            "basis": screening.basis,
            "decision": asdict(decision),
        }
        force_folder.mkdir(parents=True, exist_ok=True)
        write_json(force_folder / APPROVED_RECORD, record)
