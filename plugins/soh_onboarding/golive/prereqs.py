"""Prerequisites of go-live: the agreement signed, and every earlier phase's verdict in the run's folder.

The Section 22 agreement is read from the spec; the DPIA decision, the migration's quality result and
the accessibility gate from what those phases wrote in the same run folder (`dpia/decision.json`,
`migration/quality.json`, the gate in `accessibility/audit.json`). A phase that has not run is a clear failure
saying which: go-live never goes ahead on an assumption.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from .. import phases
from .model import FAIL, PASS, Check

ARTIFACTS = {
    phase.id: (phase.id, phase.verdict_file, phase.verdict_missing)
    for phase in (phases.DPIA, phases.MIGRATION, phases.ACCESSIBILITY)
}
"""The earlier phases go-live needs, with the file of each phase's verdict (from the phase registry)."""


def _read(run_folder: Any, phase: str) -> tuple[dict[str, Any] | None, str, str]:
    folder, name, missing = ARTIFACTS[phase]
    if run_folder is None:
        return None, "", f"{missing}: no run folder to read from"
    path = run_folder / folder / name
    if not path.exists():
        return None, str(path), f"{missing}: {path} not found"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, str(path), f"{path} cannot be read: {exc}"
    if not isinstance(data, dict):
        return None, str(path), f"{path} is not a JSON object"
    return data, str(path), ""


def section_22(spec_data: dict[str, Any], today: date) -> Check:
    agreement = spec_data.get("section_22") or {}
    status = agreement.get("status", "not_started")
    evidence = {k: agreement.get(k) for k in ("status", "signed_date", "reference")}
    if status != "signed":
        summary = f"the Section 22 agreement is '{status}', not signed: it must be signed before launch"
        return Check("section-22", "prerequisites", "", FAIL, summary, evidence, ["section-22-not-signed"])
    signed = date.fromisoformat(str(agreement["signed_date"]))
    if signed > today:
        summary = f"the Section 22 agreement is dated {signed}, in the future"
        return Check("section-22", "prerequisites", "", FAIL, summary, evidence, ["section-22-not-signed"])
    reference = f" ({agreement['reference']})" if agreement.get("reference") else ""
    return Check("section-22", "prerequisites", "", PASS, f"signed on {signed}{reference}", evidence)


def dpia(run_folder: Any) -> Check:
    data, path, problem = _read(run_folder, "dpia")
    if data is None:
        return Check("dpia-approved", "prerequisites", "", FAIL, problem, {"artifact": path}, ["dpia-missing"])
    evidence = {"artifact": path, **{k: data.get(k) for k in ("option", "responded_by", "responded_at", "cites")}}
    if not data.get("approved"):
        summary = f"the DPO chose '{data.get('option')}', not Approve"
        return Check("dpia-approved", "prerequisites", "", FAIL, summary, evidence, ["dpia-not-approved"])
    return Check("dpia-approved", "prerequisites", "", PASS, f"approved by {data.get('responded_by')}", evidence)


def migration(run_folder: Any) -> Check:
    data, path, problem = _read(run_folder, "migration")
    if data is None:
        return Check(
            "migration-quality", "prerequisites", "", FAIL, problem, {"artifact": path}, ["migration-quality-missing"]
        )
    evidence = {"artifact": path, "passed": data.get("passed"), "total": data.get("total")}
    if not data.get("success"):
        failed = [c.get("description", "?") for c in data.get("checks", []) if not c.get("success")]
        summary = f"{len(failed)} quality check(s) failed: {'; '.join(failed[:5])}"
        return Check(
            "migration-quality",
            "prerequisites",
            "",
            FAIL,
            summary,
            evidence | {"failed": failed},
            ["migration-quality-failed"],
        )
    return Check(
        "migration-quality",
        "prerequisites",
        "",
        PASS,
        f"{data.get('passed')} of {data.get('total')} checks passed",
        evidence,
    )


def accessibility(run_folder: Any) -> Check:
    """The gate the accessibility phase judged its audit by (`gate` in audit.json: passed, counts, failures)."""
    data, path, problem = _read(run_folder, "accessibility")
    name, group = "accessibility-gate", "prerequisites"
    if data is None:
        return Check(name, group, "", FAIL, problem, {"artifact": path}, ["accessibility-gate-missing"])
    gate = data.get("gate") if isinstance(data.get("gate"), dict) else {}
    counts = gate.get("counts") or {}
    evidence = {"artifact": path, "site": data.get("site"), "counts": counts, "allowed": gate.get("allowed")}
    tally = ", ".join(f"{n} {impact}" for impact, n in counts.items()) or "no counts"
    if not gate.get("passed"):
        failures = gate.get("failures") or ["the audit has no gate verdict"]
        summary = f"the accessibility gate failed: {'; '.join(str(f) for f in failures[:3])}"
        return Check(name, group, "", FAIL, summary, evidence, ["accessibility-gate-failed"])
    return Check(name, group, "", PASS, f"the accessibility gate passed ({tally})", evidence)
