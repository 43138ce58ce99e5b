"""The benchmarks still run end to end (a tiny size, one repeat; no assertions on timings)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "parse_time.py"
MIGRATION = ROOT / "benchmarks" / "migration.py"


@pytest.mark.slow
def test_parse_time_benchmark_runs_and_reports_a_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "5", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # N, ours total s, ours ms/DAG, theirs total s, theirs ms/DAG, ratio ours/theirs
    number = r"\d+(?:\.\d+)?"
    row = re.search(rf"^\s*5(\s+{number}){{5}}\s*$", done.stdout, re.MULTILINE)
    assert row, done.stdout
    assert float(row.group(0).split()[-1]) > 0


def test_migration_benchmark_runs_and_reports_a_ratio() -> None:
    """The whole migration and wget --mirror on a 50-page sandbox site (wget: bin/test installs it)."""
    done = subprocess.run(
        [sys.executable, str(MIGRATION), "--sizes", "50", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # N, ours HTML pages, wget HTML pages, ours pages/s, wget pages/s, ratio ours/wget, ours peak MB, wget peak MB
    number = r"\d+(?:\.\d+)?"
    row = re.search(rf"^\s*50(\s+{number}){{7}}\s*$", done.stdout, re.MULTILINE)
    assert row, done.stdout
    cells = row.group(0).split()
    assert float(cells[5]) > 0
    assert int(cells[1]) == int(cells[2]) > 0  # both sides fetched the same pages
    assert "target >= 2" in done.stdout
