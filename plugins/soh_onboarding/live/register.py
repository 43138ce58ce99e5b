"""The register of forces live on the platform: `<store>/platform/live-forces.json`.

The charging model's `live-register` roster is read from here. Two paths write it, through `mark_live`:
the "mark a force live" DAG (an operator records a go-live, by default on the spec's
charging.live_from date), and the go-live phase's switch (dated the day of the switch). Both then emit the
Airflow Asset `soh://platform/live-forces`, which schedules the charging model.

Marking is idempotent: marking a force live again on the same date changes nothing; on another date it
moves the date and keeps the earlier entry in the history, so a correction is visible.
`store` is a pathlib.Path or an Airflow ObjectStoragePath (see artifacts.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..artifacts import write_json

REGISTER = ("platform", "live-forces.json")


@dataclass(frozen=True)
class LiveForce:
    slug: str
    live_date: date
    source: str
    recorded_at: str
    live_until: date | None = None
    """The day a rollback took the force off the platform (charged up to it, not after); None: live."""

    @property
    def live(self) -> bool:
        return self.live_until is None


def register_path(store: Any) -> Any:
    folder = store / REGISTER[0]
    return folder / REGISTER[1]


def _read(store: Any) -> dict[str, Any]:
    path = register_path(store)
    if not path.exists():
        return {"forces": {}, "history": []}
    return json.loads(path.read_text(encoding="utf-8"))


def live_forces(store: Any, *, rolled_back: bool = True) -> list[LiveForce]:
    """Every force marked live, by slug; with `rolled_back` False, only those still live (the charging model
    wants them all, each up to its rollback; the monitoring only those live today)."""
    data = _read(store)
    forces = [
        LiveForce(
            slug,
            date.fromisoformat(entry["live_date"]),
            entry["source"],
            entry["recorded_at"],
            date.fromisoformat(entry["live_until"]) if entry.get("live_until") else None,
        )
        for slug, entry in sorted(data["forces"].items())
    ]
    return [force for force in forces if rolled_back or force.live]


def mark_live(store: Any, slug: str, live_date: date, source: str) -> tuple[LiveForce, bool]:
    """Record that `slug` is live from `live_date`; returns the entry and whether the register changed."""
    data = _read(store)
    current = data["forces"].get(slug)
    if current and current["live_date"] == live_date.isoformat() and not current.get("live_until"):
        return LiveForce(slug, live_date, current["source"], current["recorded_at"]), False
    now = datetime.now(UTC).isoformat(timespec="seconds")
    entry = {"live_date": live_date.isoformat(), "source": source, "recorded_at": now}
    if current:
        data["history"].append({"force": slug, **current, "replaced_at": now})
    data["forces"][slug] = entry
    path = register_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, data)
    return LiveForce(slug, live_date, source, now), True


def roll_back(store: Any, slug: str, until: date, source: str) -> tuple[LiveForce, bool]:
    """Record that `slug` was rolled back on `until`: it stays in the register with `live_until`, so the
    charging model charges it up to that day and not after, and the monitoring stops. Idempotent: the same
    day again changes nothing; the earlier entry is kept in the history."""
    data = _read(store)
    current = data["forces"].get(slug)
    if current is None:
        raise ValueError(f"{slug} is not in the live-forces register: there is nothing to roll back")
    entry = LiveForce(slug, date.fromisoformat(current["live_date"]), current["source"], current["recorded_at"], until)
    if current.get("live_until") == until.isoformat():
        return entry, False
    now = datetime.now(UTC).isoformat(timespec="seconds")
    data["history"].append({"force": slug, **current, "replaced_at": now})
    data["forces"][slug] = current | {"live_until": until.isoformat(), "rolled_back_by": source, "rolled_back_at": now}
    write_json(register_path(store), data)
    return entry, True
