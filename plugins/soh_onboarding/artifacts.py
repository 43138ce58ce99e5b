"""The artifact store: one folder per force and run, one sub-folder per phase.

    <store>/<force slug>/<run id>/spec/          the spec as validated, and what the run ran with
    <store>/<force slug>/<run id>/<phase>/       each later phase's inventories and reports
    <store>/<force slug>/dpia-approved.json      what outlives a run: the force's approved DPIA

`root` is any pathlib-like object: a `pathlib.Path` from the CLI and tests, or the `ObjectStoragePath`
that the Airflow glue builds from configuration (a local folder by default, object storage when
deployed). This module only joins, creates and writes, so both work the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PHASES = ("spec", "dpia", "migration", "provisioning", "accessibility", "go_live", "charging")
"""Sub-folders of a run, in the order of the flow (ARCHITECTURE.md)."""


def safe_name(text: str) -> str:
    """A run id such as 'manual__2026-11-25T11:32:39+00:00' as a name every store accepts."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return cleaned[:200] or "run"


def force_folder(store: Any, slug: str) -> Any:
    return store / safe_name(slug)


@dataclass(frozen=True)
class RunFolder:
    """The folder of one onboarding run of one force."""

    root: Any

    @classmethod
    def for_run(cls, store: Any, slug: str, run_id: str) -> RunFolder:
        return cls(force_folder(store, slug) / safe_name(run_id))

    @property
    def force(self) -> Any:
        """The force's folder, holding every run and what outlives a run (e.g. the approved DPIA)."""
        return self.root.parent

    def phase(self, name: str) -> Any:
        """The phase's sub-folder, created if need be."""
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}; phases are {', '.join(PHASES)}")
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def write_json(path: Any, data: Any) -> None:
    """Stable, readable JSON: sorted keys so two runs' files diff cleanly."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
