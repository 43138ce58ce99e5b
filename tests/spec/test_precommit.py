"""The spec check as a pre-commit hook, for this repository and for repositories that reuse it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def run(command: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PRE_COMMIT_HOME": str(home / "pre-commit")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_this_repositorys_hooks_pass(tmp_path: Path) -> None:
    done = run([*PRE_COMMIT, "run", "validate-onboarding-specs", "--all-files"], ROOT, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_the_published_hook_reports_a_broken_spec_in_another_repository(tmp_path: Path) -> None:
    repo = tmp_path / "force-repo"
    for folder in ("onboarding_specs", "schemas", "config"):
        shutil.copytree(ROOT / folder, repo / folder)
    demo = repo / "onboarding_specs" / "demo.yaml"
    demo.write_text(demo.read_text(encoding="utf-8").replace("nation: England", "nation: Englnd"), "utf-8")
    for command in (["git", "init", "-q"], ["git", "add", "."]):
        subprocess.run(command, cwd=repo, check=True)

    done = run(
        [*PRE_COMMIT, "try-repo", str(ROOT), "validate-onboarding-specs", "--files", "onboarding_specs/demo.yaml"],
        repo,
        tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "onboarding_specs/demo.yaml:11:11: force.nation: 'Englnd' is not an allowed value" in done.stdout


def test_the_local_hook_installs_what_the_spec_check_needs() -> None:
    """The local hook's environment has only its additional_dependencies: each of pyproject's dependencies,
    pinned as requirements.txt pins it (google-re2 and selectolax were once missing, and the hook failed)."""
    import re
    import tomllib

    import yaml

    hook = next(
        hook
        for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
        for hook in repo["hooks"]
        if hook["id"] == "validate-onboarding-specs"
    )
    needed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line
    )
    for requirement in needed:
        name = re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0]
        assert f"{name}=={pins[name]}" in hook["additional_dependencies"], name
