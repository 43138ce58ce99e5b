"""What exactly a run ran with: the spec's bytes and hash, and the version of the code.

Every onboarding run starts by snapshotting its spec, so a report can always be traced to the spec and
the commit that produced it, even after the spec changes in a later pull request.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import project
from ..artifacts import write_json
from . import ForceSpec


@dataclass(frozen=True)
class CodeVersion:
    """The commit the run's DAGs and specs came from, and whether the spec differed from it."""

    commit: str | None
    spec_last_commit: str | None
    spec_modified: bool | None
    source: str  # "bundle" (Airflow's DAG bundle version), "git" (the checkout), or "unknown"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(project.ROOT), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version(spec_path: Path, bundle_version: str | None = None) -> CodeVersion:
    """Ask the DAG bundle first (it records the commit of a deployed git bundle), else the checkout."""
    try:
        relative = str(spec_path.resolve().relative_to(project.ROOT))
    except ValueError:
        relative = None
    last = _git("log", "-1", "--format=%H", "--", relative) if relative else None
    status = _git("status", "--porcelain", "--", relative) if relative else None
    modified = None if status is None else bool(status)
    if bundle_version:
        return CodeVersion(bundle_version, last or None, modified, "bundle")
    head = _git("rev-parse", "HEAD")
    return CodeVersion(head, last or None, modified, "git" if head else "unknown")


def snapshot_spec(force: ForceSpec, folder: Any, code: CodeVersion, run_id: str, note: str = "") -> dict[str, Any]:
    """Write the validated spec bytes and a record of the run's inputs into the run's spec folder."""
    (folder / "spec.yaml").write_bytes(force.raw)
    record = {
        "force": force.slug,
        "dag_id": force.dag_id,
        "run_id": run_id,
        "spec_file": force.path.name,
        "spec_sha256": force.sha256,
        "code": asdict(code),
        "note": note,
        "snapshot_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_json(folder / "snapshot.json", record)
    return record


def read_snapshot(spec_folder: Any) -> dict[str, Any]:
    """The spec a run snapshotted (already validated by the run's first task), as data."""
    from . import yamlsource

    return yamlsource.read((spec_folder / "spec.yaml").read_bytes()).data
