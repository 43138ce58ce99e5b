"""The benchmarks still run end to end (a tiny size, one repeat; no assertions on timings)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "parse_time.py"
MIGRATION = ROOT / "benchmarks" / "migration.py"
PUBLISH = ROOT / "benchmarks" / "publish.py"
NUMBER = r"\d+(?:\.\d+)?"


def run_benchmark(script: Path, size: int, columns: int) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run a benchmark at one size; return the process and the cells of its row for that size."""
    done = subprocess.run(
        [sys.executable, str(script), "--sizes", str(size), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    row = re.search(rf"^\s*{size}(\s+{NUMBER}){{{columns}}}\s*$", done.stdout, re.MULTILINE)
    assert row, done.stdout
    return done, row.group(0).split()


@pytest.mark.slow
def test_parse_time_benchmark_runs_and_reports_a_ratio() -> None:
    # N, ours total s, ours ms/DAG, theirs total s, theirs ms/DAG, ratio ours/theirs
    _, cells = run_benchmark(SCRIPT, 5, 5)
    assert float(cells[-1]) > 0


def test_migration_benchmark_runs_and_reports_a_ratio() -> None:
    """The whole migration and wget --mirror on a 50-page sandbox site (wget: bin/test installs it)."""
    # N, ours HTML pages, wget HTML pages, ours pages/s, wget pages/s, ratio ours/wget, ours peak MB, wget peak MB
    done, cells = run_benchmark(MIGRATION, 50, 7)
    assert float(cells[5]) > 0
    assert int(cells[1]) == int(cells[2]) > 0  # both sides fetched the same pages
    assert "target >= 2" in done.stdout


def test_publish_benchmark_runs_and_reports_a_ratio() -> None:
    """Batched publishing and one request per page, 40 pages each, to the sandbox platform."""
    # N, batched s, batched pages/s, single s, single pages/s, ratio, batched requests, single requests
    done, cells = run_benchmark(PUBLISH, 40, 7)
    assert float(cells[5]) > 0
    assert int(cells[6]) == 1 and int(cells[7]) == 40  # one batch against one request per page
    assert "ratio: pages per second batched / one request per page" in done.stdout
