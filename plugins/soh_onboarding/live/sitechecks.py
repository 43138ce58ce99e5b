"""After go-live: the machine checks again, every day, for every live force, and what got worse.

A regression is a fault (a finding, by name) that the force's approved go-live checklist did not have
and the last check did not have either: a certificate near expiry (`certificate-expires-soon`), a header
removed (`hsts-missing`, `csp-not-implemented`), redirects broken (`redirect-target-not-200`, ...). A
fault that persists is reported every day as still open, not as new. Results for the operators'
dashboard go to `<store>/platform/monitoring.json` (one entry per force, latest first-class fields), and
each force's history to `<store>/<force>/monitoring/<date>.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ..artifacts import force_folder, write_json
from ..golive.model import FAIL, Checklist

SUMMARY = ("platform", "monitoring.json")


@dataclass
class Outcome:
    force: str
    checked_at: str
    status: str
    new: list[str] = field(default_factory=list)  # regressions first seen today
    open: list[str] = field(default_factory=list)  # every fault not in the go-live baseline
    fixed: list[str] = field(default_factory=list)  # faults of the last check that are gone
    failed_checks: list[str] = field(default_factory=list)

    @property
    def alert(self) -> bool:
        return bool(self.new)

    def as_dict(self) -> dict[str, Any]:
        """As monitoring.json keeps it: the regressions under their longer names, and whether to alert."""
        data = asdict(self) | {"alert": self.alert}
        data["new_regressions"], data["open_regressions"] = data.pop("new"), data.pop("open")
        return data


def compare(checklist: Checklist, baseline: list[str], previous: list[str] | None) -> Outcome:
    """What is wrong now that was fine at go-live, and what of it is new since the last check."""
    now = checklist.findings()
    new, open_, fixed = changes(now - set(baseline), None if previous is None else set(previous) - set(baseline))
    return Outcome(
        force=checklist.force,
        checked_at=checklist.checked_at,
        status=checklist.status,
        new=new,
        open=open_,
        fixed=fixed,
        failed_checks=[check.key for check in checklist.checks if check.status == FAIL],
    )


def changes(regressions: set[str], previous_open: set[str] | None) -> tuple[list[str], list[str], list[str]]:
    """(new, open, fixed): every regression is open; new if the last check did not have it open (with no
    last check, all are new); fixed if the last check had it open and it is gone. Shared by the daily
    checks and the monthly accessibility re-audit (reaudit.py)."""
    before = previous_open or set()
    return sorted(regressions - before), sorted(regressions), sorted(before - regressions)


def last_result(store: Any, slug: str, folder: str = "monitoring") -> dict[str, Any] | None:
    path = force_folder(store, slug) / folder / "latest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_result(store: Any, slug: str, folder: str, day: str, document: dict[str, Any]) -> Any:
    """`<store>/<force>/<folder>/<day>.json` and latest.json; returns the dated file."""
    out = force_folder(store, slug) / folder
    out.mkdir(parents=True, exist_ok=True)
    dated = out / f"{day}.json"
    write_json(dated, document)
    write_json(out / "latest.json", document)
    return dated


def record(store: Any, checklist: Checklist, outcome: Outcome) -> dict[str, Any]:
    """The force's result, dated and as latest.json; returns its line for the platform-wide summary."""
    document = outcome.as_dict() | {"findings": sorted(checklist.findings()), "checklist": checklist.as_dict()}
    dated = write_result(store, checklist.force, "monitoring", checklist.checked_at[:10], document)
    return outcome.as_dict() | {"counts": checklist.counts(), "result": str(dated)}


def summarise(store: Any, lines: list[dict[str, Any]], checked_at: str, summary_file: tuple[str, str] = SUMMARY) -> Any:
    """<store>/platform/monitoring.json (or `summary_file`): every live force's latest line, for the
    operators' dashboard.

    Written once per monitoring run, after every force's check (one writer, no race between forces).
    """
    path = store / summary_file[0] / summary_file[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"forces": {}}
    for line in lines:
        summary["forces"][line["force"]] = line
    summary["checked_at"] = checked_at
    summary["alerts"] = sorted(force for force, line in summary["forces"].items() if line.get("alert"))
    write_json(path, summary)
    return path
