"""`python -m soh_onboarding validate`, run as a force's digital team or CI runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import DEMO, ROOT, airflow_env, soh


def validate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return soh("validate", *args, cwd=cwd)


def broken_copy(folder: Path) -> Path:
    path = folder / "demo.yaml"
    text = (
        DEMO.read_text(encoding="utf-8")
        .replace("nation: England", "nation: Englnd")
        .replace("tenant_id: demo\n", "tenant_id: demo\n  extra: 1\n")
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_default_checks_every_project_spec() -> None:
    done = validate()
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines() == [
        "4 spec file(s) checked: 4 valid",
        "1 known accessibility issues file(s) checked: 1 valid",  # onboarding_specs/demo.known-issues.yaml
    ]


def test_errors_exit_1_with_located_lines(tmp_path: Path) -> None:
    path = broken_copy(tmp_path)
    done = validate(str(path), cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "demo.yaml:11:11: force.nation: 'Englnd' is not an allowed value" in lines
    assert "    hint: did you mean 'England'? allowed: England, Wales, Great Britain" in lines
    assert any(line.startswith("demo.yaml:") and "tenant.extra: unknown field 'extra'" in line for line in lines)
    assert lines[-1] == "1 spec file(s) checked: 0 valid, 1 with 2 error(s)"
    assert "Traceback" not in done.stderr


def test_json_output(tmp_path: Path) -> None:
    path = broken_copy(tmp_path)
    done = validate("--json", str(path))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["valid"] is False
    first = report["errors"][0]
    assert {"path", "line", "column", "field", "message"} <= set(first)
    assert (first["line"], first["column"], first["field"]) == (11, 11, "force.nation")
    assert json.loads(validate("--json").stdout) == {"valid": True, "errors": []}


def test_github_annotations(tmp_path: Path) -> None:
    done = validate("--github", str(broken_copy(tmp_path)))
    assert done.returncode == 1
    assert (
        f"::error file={tmp_path / 'demo.yaml'},line=11,col=11::force.nation: 'Englnd' is not an allowed value"
        in done.stdout
    )


def test_folder_argument_and_missing_paths(tmp_path: Path) -> None:
    broken_copy(tmp_path)
    assert validate(str(tmp_path)).returncode == 1
    missing = validate(str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1
    assert "nope.yaml:1:1: (file): cannot read the file: No such file or directory" in missing.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = validate(str(empty))
    assert nothing.returncode == 1 and "no spec files found" in nothing.stderr


def test_usage_errors_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "soh_onboarding", "frobnicate"],
        env=airflow_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_each_command_is_described_once_by_its_module_docstring() -> None:
    """A command's name, help line and description come from its module's docstring, so they cannot drift."""
    import argparse

    import pytest

    from soh_onboarding import cli
    from soh_onboarding.cli.common import command

    parser = cli.build_parser()
    choices = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for module in cli.COMMANDS:
        first_line = module.__doc__.splitlines()[0]
        name = first_line.split("`")[1].split()[-1]
        assert name in choices, first_line
        assert choices[name].description, f"{name} has no description paragraph in its docstring"
    commands = argparse.ArgumentParser().add_subparsers()
    with pytest.raises(ValueError, match="must start with"):
        command(commands, "Does something.", lambda args: 0)
