"""Deployed, DAGs and specs come from a git bundle's checkout and the library from the image.

A DAG file reads the specs of its own checkout, and a run records the bundle's version: checked here in
milliseconds; tests/deployment/test_topology.py checks both with a real git bundle.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from soh_onboarding import project
from soh_onboarding.glue import runtime


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bundle's checkout of one commit: dags/ and onboarding_specs/ side by side."""
    monkeypatch.delenv("SOH_SPECS_DIR", raising=False)
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "onboarding.py").write_text("")
    (tmp_path / "onboarding_specs").mkdir()
    return tmp_path


def test_a_dag_file_reads_the_specs_of_its_own_checkout(checkout: Path) -> None:
    assert project.specs_dir(checkout / "dags" / "onboarding.py") == (checkout / "onboarding_specs").resolve()


def test_without_specs_beside_it_the_project_s_specs_are_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SOH_SPECS_DIR", raising=False)
    (tmp_path / "dags").mkdir()
    assert project.specs_dir(tmp_path / "dags" / "onboarding.py") == project.SPECS_DIR
    assert project.specs_dir() == project.SPECS_DIR


def test_soh_specs_dir_still_wins(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOH_SPECS_DIR", "/somewhere/else")
    assert project.specs_dir(checkout / "dags" / "onboarding.py") == Path("/somewhere/else")


def test_a_running_task_finds_its_checkout_from_the_dag_file(checkout: Path) -> None:
    context = {"dag": SimpleNamespace(fileloc=str(checkout / "dags" / "charging.py"))}
    assert runtime.specs_dir(context) == (checkout / "onboarding_specs").resolve()
    assert runtime.specs_dir({}) == project.SPECS_DIR


def test_the_bundle_version_comes_from_the_task_instance() -> None:
    """The Task SDK's dag_run has no bundle_version; the task instance's bundle has it."""
    commit = "8ac1c210841cb993b8eb647c0d21e3532fe916b3"
    versioned = {"ti": SimpleNamespace(bundle_instance=SimpleNamespace(version=commit)), "dag_run": SimpleNamespace()}
    assert runtime.bundle_version(versioned) == commit
    assert runtime.bundle_version({"dag_run": SimpleNamespace(bundle_version=commit)}) == commit
    local = {"ti": SimpleNamespace(bundle_instance=SimpleNamespace(version=None)), "dag_run": SimpleNamespace()}
    assert runtime.bundle_version(local) is None
