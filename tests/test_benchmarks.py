"""The benchmarks still run end to end (a tiny size, one repeat; no assertions on timings)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_python

SCRIPT = ROOT / "benchmarks" / "parse_time.py"
MIGRATION = ROOT / "benchmarks" / "migration.py"
PUBLISH = ROOT / "benchmarks" / "publish.py"
NUMBER = r"\d+(?:\.\d+)?"


def run_script(script: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a benchmark script from the project's root; it must succeed."""
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def run_benchmark(script: Path, size: int, columns: int) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run a benchmark at one size; return the process and the cells of its row for that size."""
    done = run_script(script, "--sizes", str(size), "--repeat", "1")
    row = re.search(rf"^\s*{size}(\s+{NUMBER}){{{columns}}}\s*$", done.stdout, re.MULTILINE)
    assert row, done.stdout
    return done, row.group(0).split()


@pytest.mark.slow
def test_parse_time_benchmark_runs_and_reports_a_ratio() -> None:
    # Two tables, sequential then as the DAG processor parses; in each, for N: tasks/DAG, ours s, ours ms/DAG,
    # ours cold s, theirs s, theirs ms/DAG, ratio ours/theirs, ratio min, ratio max, ours CPU s, theirs CPU s,
    # floor s, floor CPU s, ours/floor CPU (Airflow's floor: the same DAGs as bare PythonOperator chains)
    done, _ = run_benchmark(SCRIPT, 5, 14)
    rows = re.findall(rf"^\s*5((?:\s+{NUMBER}){{14}})\s*$", done.stdout, re.MULTILINE)
    assert len(rows) == 2, done.stdout
    for row in rows:
        cells = [float(cell) for cell in row.split()]
        assert cells[0] >= 10  # tasks per DAG, as dags/onboarding.py builds them
        assert cells[6] > 0 and cells[7] <= cells[6] <= cells[8]
        assert cells[9] > 0 and cells[10] > 0
        assert cells[11] > 0 and cells[12] > 0 and cells[13] > 0
    assert "parsing_processes=2" in done.stdout
    assert "Airflow's floor for the same DAGs" not in done.stdout  # said only at the target's N (2,000)


@pytest.mark.slow
def test_parse_time_benchmark_against_a_revision_reports_ours_over_its_parse(tmp_path: Path) -> None:
    # Against HEAD (always there, also in a shallow clone): its tree from git archive, parsed with its own
    # soh_onboarding beside ours. Per way, for N: ours s, HEAD s, ratio ours/HEAD, ratio min, ratio max,
    # ours CPU s, HEAD CPU s, CPU ratio, ours cold s, HEAD cold s, cold ratio.
    report = tmp_path / "parse_time.json"
    done = run_script(SCRIPT, "--sizes", "5", "--repeat", "1", "--against", "HEAD", "--json", str(report))
    assert len(re.findall(rf"^\s*5(?:\s+{NUMBER}){{14}}\s*$", done.stdout, re.MULTILINE)) == 2, done.stdout
    rows = re.findall(rf"^\s*5((?:\s+{NUMBER}){{11}})\s*$", done.stdout, re.MULTILINE)
    assert len(rows) == 2, done.stdout
    for row in rows:
        cells = [float(cell) for cell in row.split()]
        assert all(cell > 0 for cell in cells), cells
        assert cells[3] <= cells[2] <= cells[4]
    assert "ratio < 1: today's code parses faster than" in done.stdout
    assert re.search(r"soh_onboarding is \S+/rev-[0-9a-f]{7}/plugins/soh_onboarding/__init__\.py$", done.stderr, re.M)
    results = json.loads(report.read_text(encoding="utf-8"))
    assert len(results["against"]["commit"]) == 40
    for how in ("sequential", "processor"):
        against = results["rows"][0][how]["against"]
        assert min(against["ratios"]) <= against["ratio"] <= max(against["ratios"])
        assert against["cpu_ratio"] > 0 and against["cold_ratio"] > 0
        assert len(results["rows"][0]["runs"][how]["rev"]) == len(results["rows"][0]["runs"][how]["rev_cold"]) == 1


def test_parse_time_benchmark_against_an_unknown_revision_fails_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "5", "--against", "no-such-rev"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [f"--against no-such-rev: not a commit of the repository at {ROOT}"]
    assert not done.stdout


def test_migration_benchmark_runs_and_reports_a_ratio() -> None:
    """The whole migration and wget --mirror on a 50-page sandbox site (wget: bin/test installs it), with the
    server answering at once and after 20 ms of think time: one table each."""
    # N, ours HTML pages, wget HTML pages, ours pages/s, wget pages/s, ratio ours/wget, ours peak MB, wget peak MB
    done, _ = run_benchmark(MIGRATION, 50, 7)
    assert "Server think time 0 ms per answer" in done.stdout and "Server think time 20 ms per answer" in done.stdout
    rows = re.findall(rf"^\s*50((?:\s+{NUMBER}){{7}})\s*$", done.stdout, re.MULTILINE)
    assert len(rows) == 2, done.stdout
    for row in rows:
        cells = row.split()
        # At 50 pages ours is mostly start-up (imports), so the ratio can round to 0.00: check it is a number,
        # and that both sides measured a speed.
        assert float(cells[2]) > 0 and float(cells[3]) > 0 and float(cells[4]) >= 0
        assert int(cells[0]) == int(cells[1]) > 0  # both sides fetched the same pages
    assert done.stdout.count("target >= 2") == 2


def test_golive_redirects_benchmark_runs_and_reports_a_ratio() -> None:
    """The redirect map walked one at a time and with bounded concurrency, through the local TLS ingress."""
    # N, sequential s, sequential URL/s, bounded s, bounded URL/s, ratio
    _, cells = run_benchmark(ROOT / "benchmarks" / "golive_redirects.py", 40, 5)
    assert float(cells[-1]) > 0


AUDIT = ROOT / "benchmarks" / "audit.py"


def test_audit_benchmark_runs_and_reports_a_ratio() -> None:
    """The accessibility audit, pool against one page at a time, on 4 sandbox pages (Chromium: bin/setup)."""
    # N, one-at-a-time s, pool s, one p/s, pool p/s, ratio pool/one, one cores, pool cores, ceiling
    done = run_script(AUDIT, "--sizes", "4", "--repeat", "1", "--no-pa11y")
    row = re.search(rf"^\s*4(\s+{NUMBER}){{8}}\s*$", done.stdout, re.MULTILINE)
    assert row, done.stdout
    cells = row.group(0).split()
    ratio, one_cores, pool_cores, ceiling = (float(c) for c in cells[5:])
    assert ratio > 0 and one_cores > 0 and pool_cores > 0
    assert ceiling == pytest.approx((os.cpu_count() or 1) / one_cores, rel=0.02, abs=0.01)
    assert "information, no longer a target" in done.stdout and "ceiling = " in done.stdout


def test_audit_benchmark_runs_pa11y_ci_beside_our_audit() -> None:
    """pa11y-ci (axe runner, Debian's Chromium) and our audit on the same 3 sandbox pages, each side's CPU
    from its whole process tree: every side audits every page and flags the one with an unlabelled field."""
    from soh_onboarding.accessibility import engines

    pa11y_ci = engines.engines_dir() / "pa11y-ci" / "bin" / "pa11y-ci.js"
    if not pa11y_ci.is_file() or shutil.which("node") is None:
        pytest.skip(f"pa11y-ci is not installed ({pa11y_ci}, or no node on PATH): bin/setup runs npm ci in node/")
    done = run_script(AUDIT, "--sizes", "3", "--repeat", "1", "--no-pool-ratio")
    # side, N, wall s, pages/s, CPU s, CPU s/page, pages flagged
    rows = {
        m.group(1): [float(c) for c in m.group(2).split()]
        for m in re.finditer(rf"^((?:ours|pa11y-ci)/\S+)\s+3((?:\s+{NUMBER}){{5}})\s*$", done.stdout, re.MULTILINE)
    }
    cores = os.cpu_count() or 1
    expected = {f"ours/pool={cores}", "pa11y-ci/c=1", f"pa11y-ci/c={cores}"}
    assert set(rows) == expected, done.stdout
    for side, (wall, rate, cpu, per_page, flagged) in rows.items():
        assert wall > 0 and rate == pytest.approx(3 / wall, rel=0.05, abs=0.01), (side, done.stdout)
        assert cpu > 0.5 and per_page == pytest.approx(cpu / 3, rel=0.05, abs=0.01), (
            side,
            done.stdout,
        )  # Chromium's CPU counted
        assert flagged == 1, (side, done.stdout)  # /a/your-area/bench/item-2/, the unlabelled search field
    assert re.search(
        rf"^ratio ours / pa11y-ci/c={cores} N=3: pages/s {NUMBER}, CPU s/page {NUMBER}$", done.stdout, re.M
    )
    assert "Accessibility audit, " not in done.stdout  # --no-pool-ratio: the pool against one at a time is left out


def test_audit_profile_counts_the_cpu_of_every_chromium_process_and_times_the_steps() -> None:
    """Where the cores go during one page at a time, on 3 sandbox pages: the renderers that live for one
    page are counted, no omnibox WebUI renderer is left, and every engine's steps are timed."""
    done = run_script(ROOT / "benchmarks" / "audit_profile.py", "--pages", "3", timeout=300)
    cpu = {
        m.group(1).strip(): float(m.group(2))
        for m in re.finditer(rf"^(\S.*?)\s+({NUMBER})\s+{NUMBER}\s+{NUMBER}$", done.stdout, re.MULTILINE)
    }
    renderers = [seconds for what, seconds in cpu.items() if what.startswith("Chromium renderer: pages")]
    assert renderers and renderers[0] > 0, done.stdout
    assert cpu["Chromium browser process"] > 0 and cpu["all of the audit"] > cpu["Chromium browser process"]
    assert not [k for k in cpu if "omnibox" in k], done.stdout
    for step in ("load (goto)", "axe: inject script", "axe: run", "ibm: run", "htmlcs: run", "keyboard probe"):
        assert re.search(rf"^  {re.escape(step)}\s+{NUMBER}$", done.stdout, re.MULTILINE), (step, done.stdout)


def test_publish_benchmark_runs_and_reports_a_ratio() -> None:
    """Batched publishing and one request per page, 40 pages each, to the sandbox platform."""
    # N, batched s, batched pages/s, single s, single pages/s, ratio, batched requests, single requests
    done, cells = run_benchmark(PUBLISH, 40, 7)
    assert float(cells[5]) > 0
    assert int(cells[6]) == 1 and int(cells[7]) == 40  # one batch against one request per page
    assert "ratio: pages per second batched / one request per page" in done.stdout


def test_live_reaudit_benchmark_runs_and_reports_a_ratio() -> None:
    """The live re-audit through the sandbox ingress against the preview's audit, 2 published pages."""
    # N, pages audited, preview s, live s, preview s/page, live s/page, ratio live/preview
    done, cells = run_benchmark(ROOT / "benchmarks" / "live_reaudit.py", 2, 6)
    assert int(cells[1]) >= 2 and float(cells[6]) > 0
    assert "ratio = live seconds / preview seconds" in done.stdout


def test_platform_adapters_benchmark_runs_and_reports_its_ratios() -> None:
    """Pages into the sandbox CMS and redirects into the sandbox edge's Bulk Redirects, 30 each, against one
    request per item; the script checks both end states itself."""
    done = run_python(
        str(ROOT / "benchmarks" / "platform_adapters.py"), "--pages", "30", "--redirects", "30", timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {
        line[:56].strip(): line[56:].split()
        for line in done.stdout.splitlines()
        if line.startswith(("pages,", "redirects,"))
    }
    assert int(rows["redirects, one bulk operation per item"][3]) == 61  # 30 writes, 30 polls, the list
    assert int(rows["redirects, ours (read, diff, 5,000 a bulk operation)"][3]) < 61
    assert int(rows["pages, ours again (nothing changed)"][3]) < int(rows["pages, one PUT per item"][3])
    assert re.search(r"^redirects: ours / one per item: wall \d+\.\d\d, requests 0\.\d+", done.stdout, re.MULTILINE)


def test_access_logs_benchmark_runs_beside_awk() -> None:
    """Ours and `zcat | awk` count the same 404s and 410s of the same files (the script asserts it)."""
    done = run_script(ROOT / "benchmarks" / "access_logs.py", "--sizes", "2000", "4000")
    assert re.search(rf"^\s+4000(\s+{NUMBER}){{5}}\s*$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(rf"memory: peak at 4000 lines / at 2000 lines = {NUMBER}", done.stdout), done.stdout
