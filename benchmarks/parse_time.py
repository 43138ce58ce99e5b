"""Parse time of the onboarding DAG folder with N forces, side by side with dag-factory.

For each N (44, 500, 2000 by default) this writes N valid synthetic force specs (copies of
onboarding_specs/demo.yaml, each with its own slug, tenant id and domain) to a temporary folder, and
times Airflow's DagBag over dags/ with SOH_SPECS_DIR pointing there. In the same run it times
dag-factory building the same N DAGs, with the same task count, from one YAML file generated from the
same specs (same owner, tags, display name, description and doc_md). Each parse runs in a fresh Python
process that imports Airflow first and times only the DagBag call; ours and theirs alternate within each
repeat, and the table shows medians, because the machines are shared and noisy.

    .venv/bin/python benchmarks/parse_time.py [--sizes 44 500 2000] [--repeat 3] [--json PATH]

The table goes to stdout, progress to stderr. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "plugins"
DAGS = ROOT / "dags"
DEMO_SPEC = ROOT / "onboarding_specs" / "demo.yaml"

DEFAULT_SIZES = (44, 500, 2000)
TARGET_N = 2000
TARGET_SECONDS = 5.0
OWNER = "national-live-service"  # as dags/onboarding.py
RESULT_MARK = "PARSE_TIME_RESULT "
IMPORT_TIMEOUT = 600  # seconds per DAG file; Airflow's default (30) would turn a slow parse into an import error
CALLABLES_MODULE = "soh_bench_callables"

# The callables module sits in the dag-factory DAG folder; it must not contain the two words DagBag's safe
# mode looks for, or it would be parsed as a DAG file too.
CALLABLES_SOURCE = '''"""Task callables for the benchmark's YAML-defined workflows."""


def check_spec(spec_file: str, **context):
    return {"spec_file": spec_file}
'''

LOADER_SOURCE = """# airflow dag loader: dag-factory builds the DAGs from the YAML file beside this one.
from pathlib import Path

from dagfactory import load_yaml_dags

_HERE = str(Path(__file__).parent)
load_yaml_dags(globals_dict=globals(), dags_folder=_HERE, defaults_config_path=_HERE)
"""


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.0f}s] {message}", file=sys.stderr, flush=True)


# --- the worker: one timed parse in a fresh interpreter ----------------------------------------------


def worker(dag_folder: str, expected_ids_file: str) -> int:
    """Parse `dag_folder` once and print the result as JSON. Airflow is imported before the clock starts."""
    import resource

    import airflow.sdk  # noqa: F401  (Airflow's own start-up cost, paid by both sides alike: not timed)
    from airflow.dag_processing.dagbag import DagBag

    expected = set(json.loads(Path(expected_ids_file).read_text(encoding="utf-8")))
    start = time.perf_counter()
    bag = DagBag(dag_folder=dag_folder, safe_mode=True)
    seconds = time.perf_counter() - start

    problems = []
    if bag.import_errors:
        problems.append(f"import errors: {json.dumps(bag.import_errors, indent=1)[:4000]}")
    # Only the onboarding DAGs are compared: dags/ also holds the platform's DAGs (dags/charging.py), a
    # constant few milliseconds of the parse that dag-factory's side does not build.
    dags = {dag_id: dag for dag_id, dag in bag.dags.items() if dag_id.startswith("onboard_")}
    found = set(dags)
    if found != expected:
        missing, extra = sorted(expected - found), sorted(found - expected)
        problems.append(
            f"expected {len(expected)} DAGs, got {len(found)}; missing {missing[:5]} ({len(missing)}), "
            f"extra {extra[:5]} ({len(extra)})"
        )
    result = {
        "seconds": seconds,
        "dags": len(found),
        "tasks": {dag_id: [task.task_id for task in dag.tasks] for dag_id, dag in dags.items()},
        "files": {Path(stat.file).name: stat.duration.total_seconds() for stat in bag.dagbag_stats},
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "problems": problems,
    }
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 1 if problems else 0


# --- the inputs ------------------------------------------------------------------------------------


def _replace(text: str, pattern: str, new: str) -> str:
    text, count = re.subn(pattern, new, text, flags=re.MULTILINE)
    if count == 0:
        raise SystemExit(f"demo.yaml changed: {pattern!r} not found; update benchmarks/parse_time.py")
    return text


def write_specs(folder: Path, n: int) -> list[str]:
    """N copies of the demo spec, each a force of its own (file name, slug, tenant id and domains)."""
    folder.mkdir(parents=True)
    demo = DEMO_SPEC.read_text(encoding="utf-8")
    slugs = []
    for i in range(n):
        slug = f"force-{i:05d}"
        text = _replace(demo, r"^(\s+slug:) demo\s*$", rf"\1 {slug}")
        text = _replace(text, r"^(\s+tenant_id:) demo\s*$", rf"\1 {slug}")
        text = _replace(text, r"\bdemo\.soh\.localhost\b", f"{slug}.soh.localhost")
        # legacy_site.other_domains must be each force's own too (the check refuses a domain claimed twice)
        text = _replace(text, r"^(\s+- )localhost\b", rf"\1{slug}.legacy.localhost")
        (folder / f"{slug}.yaml").write_text(text, encoding="utf-8")
        slugs.append(slug)
    return slugs


def valid_specs(folder: Path, n: int) -> list[Any]:
    """The project's own check must pass on every synthetic spec, or the benchmark measures error paths."""
    from soh_onboarding import spec

    result = spec.check([folder])
    if not result.valid or len(result.specs) != n:
        listing = "\n".join(error.format() for error in result.errors[:10])
        raise SystemExit(
            f"{len(result.errors)} errors in the synthetic specs, {len(result.specs)}/{n} valid:\n{listing}"
        )
    return result.specs


def dag_factory_config(force: Any, task_ids: list[str]) -> dict[str, Any]:
    """One DAG for dag-factory, from the spec's data: what dags/onboarding.py builds, in their YAML."""
    from soh_onboarding import airflow_glue

    tasks: dict[str, dict[str, Any]] = {}
    for index, task_id in enumerate(task_ids):
        task: dict[str, Any] = {
            "operator": "airflow.providers.standard.operators.python.PythonOperator",
            "python_callable": f"{CALLABLES_MODULE}.check_spec",
            "op_kwargs": {"spec_file": str(force.path)},
            "retries": 0,  # as the @task in dags/onboarding.py
        }
        if index:
            task["dependencies"] = [task_ids[index - 1]]
        tasks[task_id] = task
    return {
        "default_args": {"owner": OWNER, "retries": 1},
        "start_date": datetime.date(2024, 1, 1),
        "schedule": None,
        "catchup": False,
        "max_active_runs": 1,
        "dag_display_name": f"{force.name}: onboarding",
        "description": f"Onboard {force.name} onto the Single Online Home",
        "tags": ["soh-onboarding", f"force:{force.slug}", force.data["force"]["nation"]],
        "doc_md": airflow_glue.dag_doc(force),
        "params": {"run_note": ""},
        "tasks": tasks,
    }


def write_dag_factory_folder(folder: Path, forces: list[Any], tasks: dict[str, list[str]]) -> int:
    """The loader, the callables and one YAML file holding every DAG (dag-factory's fastest layout)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """Writes multi-line text (doc_md) as a `|` block, as a person would."""

    def text_block(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text_block)
    folder.mkdir(parents=True)
    config = {force.dag_id: dag_factory_config(force, tasks[force.dag_id]) for force in forces}
    text = yaml.dump(config, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=120)
    (folder / "onboarding_dags.yaml").write_text(text, encoding="utf-8")
    (folder / "dagfactory_loader.py").write_text(LOADER_SOURCE, encoding="utf-8")
    (folder / f"{CALLABLES_MODULE}.py").write_text(CALLABLES_SOURCE, encoding="utf-8")
    return len(text.encode())


def write_hand_written_folder(folder: Path, forces: list[Any], tasks: dict[str, list[str]]) -> int:
    """The fallback without dag-factory: one plain DAG file per force, as a person would write it."""
    from soh_onboarding import airflow_glue

    folder.mkdir(parents=True)
    (folder / f"{CALLABLES_MODULE}.py").write_text(CALLABLES_SOURCE, encoding="utf-8")
    size = 0
    for force in forces:
        chain = "\n".join(
            f"    t{i} = PythonOperator(task_id={task_id!r}, python_callable=check_spec, retries=0, "
            f"op_kwargs={{'spec_file': {str(force.path)!r}}})" + (f"\n    t{i - 1} >> t{i}" if i else "")
            for i, task_id in enumerate(tasks[force.dag_id])
        )
        source = f"""from datetime import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from {CALLABLES_MODULE} import check_spec

with DAG(
    dag_id={force.dag_id!r},
    dag_display_name={f"{force.name}: onboarding"!r},
    description={f"Onboard {force.name} onto the Single Online Home"!r},
    doc_md={airflow_glue.dag_doc(force)!r},
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags={["soh-onboarding", f"force:{force.slug}", force.data["force"]["nation"]]!r},
    default_args={{"owner": {OWNER!r}, "retries": 1}},
    params={{"run_note": ""}},
):
{chain}
"""
        (folder / f"{force.slug.replace('-', '_')}.py").write_text(source, encoding="utf-8")
        size += len(source.encode())
    return size


# --- running and reporting ---------------------------------------------------------------------------


def base_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__PLUGINS_FOLDER=str(PLUGINS),
        AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT=str(IMPORT_TIMEOUT),
        AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY="False",
        DO_NOT_TRACK="1",
        SCARF_NO_ANALYTICS="1",
    )
    return env


def parse_once(dag_folder: Path, expected: Path, env: dict[str, str], extra_path: Path | None) -> dict[str, Any]:
    env = dict(env, AIRFLOW__CORE__DAGS_FOLDER=str(dag_folder))
    paths = [str(PLUGINS), *([str(extra_path)] if extra_path else []), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(dag_folder), str(expected)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        raise SystemExit(f"parse of {dag_folder} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(lines[-1][len(RESULT_MARK) :])
    if done.returncode or result["problems"]:
        raise SystemExit(f"parse of {dag_folder} is not comparable:\n" + "\n".join(result["problems"]))
    return result


def measure(n: int, repeat: int, work: Path, env: dict[str, str], theirs: str, started: float) -> dict[str, Any]:
    base = work / f"n{n}"
    log(f"N={n}: writing and checking {n} specs", started)
    write_specs(base / "specs", n)
    forces = valid_specs(base / "specs", n)
    spec_bytes = sum(force.path.stat().st_size for force in forces)
    expected = base / "expected_ids.json"
    expected.write_text(json.dumps([force.dag_id for force in forces]), encoding="utf-8")
    ours_env = dict(env, SOH_SPECS_DIR=str(base / "specs"))

    def ours() -> dict[str, Any]:
        return parse_once(DAGS, expected, ours_env, None)

    # Untimed warm-up: compiles bytecode, fills the page cache, and tells how many tasks each DAG has.
    log(f"N={n}: warm-up parse of ours", started)
    warm = ours()
    their_folder = base / theirs
    if theirs == "dag-factory":
        their_bytes = write_dag_factory_folder(their_folder, forces, warm["tasks"])
    else:
        their_bytes = write_hand_written_folder(their_folder, forces, warm["tasks"])

    def theirs_once() -> dict[str, Any]:
        return parse_once(their_folder, expected, env, their_folder)

    log(f"N={n}: warm-up parse of {theirs}", started)
    their_warm = theirs_once()
    if warm["tasks"] != their_warm["tasks"]:
        raise SystemExit(f"N={n}: the two sides built different tasks; the comparison would be meaningless")

    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "theirs": []}
    for r in range(repeat):
        # Alternate who goes first, so neither side always inherits the other's warm caches.
        order = [("ours", ours), ("theirs", theirs_once)]
        for side, run in order if r % 2 == 0 else reversed(order):
            result = run()
            result.pop("tasks")
            runs[side].append(result)
        log(
            f"N={n}: repeat {r + 1}/{repeat}: ours {runs['ours'][-1]['seconds']:.2f} s, "
            f"{theirs} {runs['theirs'][-1]['seconds']:.2f} s",
            started,
        )
    ours_s = statistics.median(run["seconds"] for run in runs["ours"])
    theirs_s = statistics.median(run["seconds"] for run in runs["theirs"])
    return {
        "n": n,
        "tasks_per_dag": sorted({len(ids) for ids in warm["tasks"].values()}),
        "input_bytes": {"ours": spec_bytes, "theirs": their_bytes},
        "ours_s": ours_s,
        "theirs_s": theirs_s,
        "ours_ms_per_dag": ours_s / n * 1000,
        "theirs_ms_per_dag": theirs_s / n * 1000,
        "ratio": ours_s / theirs_s,
        "runs": runs,
    }


def table(rows: list[dict[str, Any]], theirs: str) -> str:
    header = ("N", "ours total s", "ours ms/DAG", f"{theirs} total s", f"{theirs} ms/DAG", "ratio ours/theirs")
    body = [
        (
            str(row["n"]),
            f"{row['ours_s']:.2f}",
            f"{row['ours_ms_per_dag']:.2f}",
            f"{row['theirs_s']:.2f}",
            f"{row['theirs_ms_per_dag']:.2f}",
            f"{row['ratio']:.2f}",
        )
        for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body, strict=True)]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in [header, *body]]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])


def verdict(rows: list[dict[str, Any]]) -> str:
    by_n = {row["n"]: row for row in rows}
    if TARGET_N in by_n:
        seconds = by_n[TARGET_N]["ours_s"]
        target = f"{TARGET_N} specs parse in {seconds:.2f} s: target < {TARGET_SECONDS:.0f} s " + (
            "MET" if seconds < TARGET_SECONDS else "NOT MET"
        )
    else:
        target = f"target ({TARGET_N} specs < {TARGET_SECONDS:.0f} s) not measured"
    small, large = min(by_n), max(by_n)
    flat = by_n[large]["ours_ms_per_dag"] / by_n[small]["ours_ms_per_dag"]
    text = f"{target}; ms/DAG at N={large} / ms/DAG at N={small} = {flat:.2f} (1.00 is flat)"
    if len(by_n) > 2:  # small N carries the fixed cost of the imports: the last step shows the trend better
        before = sorted(by_n)[-2]
        step = by_n[large]["ours_ms_per_dag"] / by_n[before]["ours_ms_per_dag"]
        text += f", N={large} / N={before} = {step:.2f}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="numbers of forces")
    parser.add_argument("--repeat", type=int, default=3, help="timed parses per side and size (median shown)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (specs, YAML) for a look")
    parser.add_argument("--worker", nargs=2, metavar=("DAG_FOLDER", "EXPECTED_IDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    if min(args.sizes) < 1 or args.repeat < 1:
        parser.error("sizes and --repeat must be at least 1")

    sys.path.insert(0, str(PLUGINS))
    started = time.monotonic()
    theirs = "dag-factory"
    if importlib.util.find_spec("dagfactory") is None:
        theirs = "hand-written"
        print(
            "dag-factory is not importable (pip install -r requirements-dev.txt); "
            "comparing against one hand-written DAG file per force instead",
            file=sys.stderr,
        )
    work = Path(tempfile.mkdtemp(prefix="soh-parse-time-"))
    try:
        (work / "airflow-home").mkdir()
        env = base_env(work / "airflow-home")
        rows = [measure(n, args.repeat, work, env, theirs, started) for n in sorted(set(args.sizes))]
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - started

    print(f"Parse time of dags/ (DagBag, safe mode) vs {theirs}; median of {args.repeat}, fresh process per parse")
    print(table(rows, theirs))
    print(verdict(rows))
    largest = rows[-1]
    slowest = max(largest["runs"]["ours"][0]["files"].items(), key=lambda item: item[1])
    print(
        f"At N={largest['n']}: slowest DAG file {slowest[0]} {slowest[1]:.2f} s (Airflow's default "
        f"dagbag_import_timeout is 30 s); input {largest['input_bytes']['ours'] / 1e6:.1f} MB ours, "
        f"{largest['input_bytes']['theirs'] / 1e6:.1f} MB {theirs}; wall time {wall:.0f} s"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "compared_with": theirs,
            "repeat": args.repeat,
            "wall_seconds": wall,
            "rows": rows,
            "verdict": verdict(rows),
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
