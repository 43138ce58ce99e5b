"""Run folders in the artifact store, on a plain path and on Airflow's ObjectStoragePath."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow.sdk import ObjectStoragePath

from soh_onboarding.artifacts import PHASES, RunFolder, safe_name, write_json


def test_run_ids_become_safe_folder_names() -> None:
    assert safe_name("manual__2026-11-25T11:32:39.123+00:00") == "manual__2026-11-25T11_32_39.123_00_00"
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("...") == "run"


@pytest.mark.parametrize("kind", ["path", "object_storage"])
def test_phase_folders_are_created_under_force_and_run(tmp_path: Path, kind: str) -> None:
    store = tmp_path if kind == "path" else ObjectStoragePath(tmp_path.as_uri())
    folder = RunFolder.for_run(store, "thames-valley", "manual__2026-11-25T10:00:00+00:00")
    spec_folder = folder.phase("spec")
    write_json(spec_folder / "snapshot.json", {"b": 1, "a": "é"})
    on_disk = tmp_path / "thames-valley" / "manual__2026-11-25T10_00_00_00_00" / "spec" / "snapshot.json"
    assert json.loads(on_disk.read_text(encoding="utf-8")) == {"a": "é", "b": 1}
    assert on_disk.read_text(encoding="utf-8").index('"a"') < on_disk.read_text(encoding="utf-8").index('"b"')


def test_unknown_phase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown phase 'migrations'"):
        RunFolder(tmp_path).phase("migrations")
    assert PHASES[0] == "spec"
