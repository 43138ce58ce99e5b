"""Parse time of the onboarding DAG folder with N forces, side by side with dag-factory.

For each N (44, 500, 2000 by default) this writes N valid synthetic force specs (copies of
onboarding_specs/demo.yaml, each with its own slug, tenant id and domain) to a temporary folder and
parses dags/ with SOH_SPECS_DIR pointing there, two ways:

- sequential: one `DagBag` over the folder in one fresh process (every DAG file, one after another);
- as the DAG processor parses: a process that has imported Airflow forks one child per DAG file, at most
  P at a time (P = [dag_processor] parsing_processes, default 2), and each child runs Airflow's own
  `airflow.dag_processing.processor._parse_file` (DagBag of the file, then serialisation of its DAGs),
  as the children of `airflow dag-processor` do; only sending the result to the manager and the
  manager's database writes are left out. Wall time from the first fork to the last child's exit.

Ours is timed with the spec cache warm (the DAG processor's steady state: it re-parses unchanged files
every 30 s) and cold (its cache emptied before the parse: the first parse after a spec changed). In
the same run it times dag-factory building the same N DAGs, with the same task ids, from YAML generated
from the same specs, split over the same number of files as ours. Each parse runs in a fresh process;
the runs alternate within each repeat, and the tables show medians and the spread of the ratios.

    .venv/bin/python benchmarks/parse_time.py [--sizes 44 500 2000] [--repeat 3] [--processes 2]
                                              [--planned-phases] [--against REV] [--json PATH]

`--planned-phases` adds the tasks of the phases still to come (provisioning 5, accessibility 4, go-live 5
with its approval; a phase already in dags/onboarding.py is left as it is) to a copy of dags/onboarding.py,
to see where the parse stands once they land (24 tasks from the 10-task DAG; 23 once provisioning landed). The tables go to stdout, progress to stderr. See benchmarks/README.md.

`--against REV` also parses the same specs with the code of an older revision of this repository (`git
archive REV` unpacked into the temporary folder: its dags/ with its own plugins/soh_onboarding), warm and
cold, alternating with the other sides, and prints ours / REV: so that a change can show in one run, on
one machine's load, that it did not make the parse slower.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import io
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
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
SHARDS = int(re.search(r"^SHARDS = (\d+)$", (DAGS / "onboarding.py").read_text(encoding="utf-8"), re.M).group(1))
"""How many shard files dags/ builds the forces' DAGs in (dag-factory's YAML is split the same way)."""

PLANNED_PHASES = {
    "provisioning": [
        "Create the tenant on the platform",
        "Publish the migrated content",
        "Load the redirects",
        "Verify the tenant's pages",
        "Record what was provisioned",
    ],
    "accessibility": [
        "Audit the new site (WCAG 2.2 AA)",
        "Gate on the thresholds",
        "Draft the accessibility statement",
        "Record the audit",
    ],
    "go_live": [
        "Check DNS, TLS, headers and redirects",
        "Check the prerequisites",
        "APPROVAL",
        "Switch the force live",
        "Mark the force live for charging",
    ],
}
"""The phases still to come (ARCHITECTURE.md), as `--planned-phases` adds those not in dags/ yet."""

# The callables module sits in the dag-factory DAG folder; it must not contain the two words DagBag's safe
# mode looks for, or it would be parsed as a DAG file too.
CALLABLES_SOURCE = '''"""Task callables for the benchmark's YAML-defined workflows."""


def check_spec(spec_file: str, **context):
    return {"spec_file": spec_file}
'''

LOADER_SOURCE = """# airflow dag loader: dag-factory builds the DAGs of the YAML file beside this one with its name.
from pathlib import Path

from dagfactory import load_yaml_dags

_HERE = Path(__file__).parent
load_yaml_dags(globals_dict=globals(), config_filepath=str(_HERE / (Path(__file__).stem + ".yaml")),
               defaults_config_path=str(_HERE))
"""


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.0f}s] {message}", file=sys.stderr, flush=True)


def shard_of(stem: str) -> int:
    """As soh_onboarding.spec.cache.shard_of (the benchmark's driver does not import Airflow)."""
    return zlib.crc32(stem.encode()) % SHARDS


# --- the workers: one timed parse in a fresh interpreter ---------------------------------------------


def _compare(expected: set[str], found: set[str], problems: list[str]) -> None:
    if found != expected:
        missing, extra = sorted(expected - found), sorted(found - expected)
        problems.append(
            f"expected {len(expected)} DAGs, got {len(found)}; missing {missing[:5]} ({len(missing)}), "
            f"extra {extra[:5]} ({len(extra)})"
        )


def _package_file() -> str | None:
    """Where the soh_onboarding this process imported lives: the driver checks that each side parsed with
    its own code (the venv's editable install points at one checkout, whichever is being measured)."""
    module = sys.modules.get("soh_onboarding")
    return getattr(module, "__file__", None)


def worker(dag_folder: str, expected_ids_file: str) -> int:
    """Parse `dag_folder` with one DagBag and print the result as JSON. Airflow is imported before the clock."""
    import resource

    import airflow.sdk  # noqa: F401  (Airflow's own start-up cost, paid by both sides alike: not timed)
    from airflow.dag_processing.dagbag import DagBag

    expected = set(json.loads(Path(expected_ids_file).read_text(encoding="utf-8")))
    start, cpu_start = time.perf_counter(), time.process_time()
    bag = DagBag(dag_folder=dag_folder, safe_mode=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start

    problems = []
    if bag.import_errors:
        problems.append(f"import errors: {json.dumps(bag.import_errors, indent=1)[:4000]}")
    # Only the onboarding DAGs are compared: dags/ also holds the platform's DAGs (dags/charging.py), a
    # constant few milliseconds of the parse that dag-factory's side does not build.
    dags = {dag_id: dag for dag_id, dag in bag.dags.items() if dag_id.startswith("onboard_")}
    _compare(expected, set(dags), problems)
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "dags": len(dags),
        "tasks": {dag_id: sorted(task.task_id for task in dag.tasks) for dag_id, dag in dags.items()},
        "files": {Path(stat.file).name: stat.duration.total_seconds() for stat in bag.dagbag_stats},
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "packages": [package] if (package := _package_file()) else [],
        "problems": problems,
    }
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 1 if problems else 0


def processor_worker(dag_folder: str, expected_ids_file: str, processes: str) -> int:
    """Parse `dag_folder` as `airflow dag-processor` does: one forked child per file, `processes` at a time.

    Each child runs Airflow's own `_parse_file` (the DagBag of its file, then DagSerialization of every
    DAG in it), which is what a DagFileProcessorProcess runs; the result goes to a file instead of the
    manager's socket, and nothing is written to a database."""
    import airflow.sdk  # noqa: F401  (the manager has Airflow imported before it forks: not timed)
    import structlog
    from airflow.dag_processing.processor import DagFileParseRequest, _parse_file
    from airflow.utils.file import list_py_file_paths

    expected = set(json.loads(Path(expected_ids_file).read_text(encoding="utf-8")))
    out = Path(tempfile.mkdtemp(prefix="soh-parse-results-"))
    logger = structlog.get_logger("parse_time")
    start = time.perf_counter()
    queue = list_py_file_paths(dag_folder, safe_mode=True)
    running: dict[int, str] = {}
    files = {}
    cpu = 0.0  # the children's CPU time, all of it: the parse, serialisation, writing the report
    while True:
        while queue and len(running) < int(processes):
            path = queue.pop(0)
            pid = os.fork()
            if pid == 0:  # the child: parse, report, and leave without running the parent's cleanup
                code = 1
                try:
                    began = time.perf_counter()
                    request = DagFileParseRequest(file=path, bundle_path=Path(dag_folder), bundle_name="dags-folder")
                    parsed = _parse_file(request, logger)
                    report = {
                        "file": Path(path).name,
                        "seconds": time.perf_counter() - began,
                        "tasks": {d.dag_id: len(d.data["dag"]["tasks"]) for d in parsed.serialized_dags},
                        "import_errors": parsed.import_errors,
                        "package": _package_file(),
                    }
                    (out / f"{os.getpid()}.json").write_text(json.dumps(report), encoding="utf-8")
                    code = 0
                finally:
                    os._exit(code)
            running[pid] = path
        if not running:
            break
        pid, status, usage = os.wait4(-1, 0)
        cpu += usage.ru_utime + usage.ru_stime
        path = running.pop(pid)
        report_file = out / f"{pid}.json"
        if status or not report_file.exists():
            print(f"parsing {path} failed (status {status})", file=sys.stderr)
            return 1
        files[path] = json.loads(report_file.read_text(encoding="utf-8"))
    seconds = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)

    problems = []
    tasks = {
        dag_id: count
        for report in files.values()
        for dag_id, count in report["tasks"].items()
        if dag_id.startswith("onboard_")
    }
    errors = {k: v for report in files.values() for k, v in report["import_errors"].items()}
    if errors:
        problems.append(f"import errors: {json.dumps(errors, indent=1)[:4000]}")
    _compare(expected, set(tasks), problems)
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "dags": len(tasks),
        "task_counts": sorted(set(tasks.values())),
        "files": {report["file"]: report["seconds"] for report in files.values()},
        "packages": sorted({report["package"] for report in files.values() if report["package"]}),
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
        # the legacy site's names must be each force's own too (the check refuses a domain claimed twice)
        text = _replace(text, r"\bdemoshire-police\.example\b", f"{slug}-police.example")
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
    from soh_onboarding.glue import building

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
        "doc_md": building.dag_doc(force),
        "params": {"run_note": ""},
        "tasks": tasks,
    }


def write_dag_factory_folder(folder: Path, forces: list[Any], tasks: dict[str, list[str]]) -> int:
    """The callables and SHARDS pairs of loader and YAML file, the forces split as ours (one is its
    fastest layout for a single process; the same split gives it the same parallelism as ours)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """Writes multi-line text (doc_md) as a `|` block, as a person would."""

    def text_block(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text_block)
    folder.mkdir(parents=True)
    size = 0
    for shard in range(SHARDS):
        mine = [force for force in forces if shard_of(force.path.stem) == shard]
        config = {force.dag_id: dag_factory_config(force, tasks[force.dag_id]) for force in mine}
        text = yaml.dump(config, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=120) if config else "{}\n"
        (folder / f"dagfactory_loader_{shard}.yaml").write_text(text, encoding="utf-8")
        (folder / f"dagfactory_loader_{shard}.py").write_text(LOADER_SOURCE, encoding="utf-8")
        size += len(text.encode())
    (folder / f"{CALLABLES_MODULE}.py").write_text(CALLABLES_SOURCE, encoding="utf-8")
    return size


def write_hand_written_folder(folder: Path, forces: list[Any], tasks: dict[str, list[str]]) -> int:
    """The fallback without dag-factory: one plain DAG file per force, as a person would write it."""
    from soh_onboarding.glue import building

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
    doc_md={building.dag_doc(force)!r},
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


FLOOR_SOURCE = '''"""Airflow's floor: the same DAGs as bare chains of PythonOperators, nothing else (benchmarks/parse_time.py)."""

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def noop():
    pass


for dag_id, task_ids in DAGS:
    with DAG(dag_id=dag_id, schedule=None) as dag:
        previous = None
        for task_id in task_ids:
            operator = PythonOperator(task_id=task_id, python_callable=noop)
            if previous is not None:
                previous >> operator
            previous = operator
    globals()[dag_id] = dag
'''


def write_floor_folder(folder: Path, forces: list[Any], tasks: dict[str, list[str]]) -> None:
    """Airflow's own cost for these DAGs, which no DAG factory goes below: each DAG with the same id and task
    ids as ours, as a chain of bare PythonOperators (no params, docs, tags, groups, callbacks or mapping),
    built in a loop from a literal list, split over the same SHARDS files as ours."""
    folder.mkdir(parents=True)
    for shard in range(SHARDS):
        mine = [(force.dag_id, tasks[force.dag_id]) for force in forces if shard_of(force.path.stem) == shard]
        text = f"DAGS = {mine!r}\n\n" + FLOOR_SOURCE
        (folder / f"floor_{shard}.py").write_text(text, encoding="utf-8")


def planned_phases_source() -> str:
    """Python appended to a copy of dags/onboarding.py: the planned phases' tasks, wired as the real ones.

    Each step is a task defined once at module level, called with the force's slug inside a TaskGroup per
    phase (the go-live approval is a HITLOperator with its own params, like the DPO's); the phases run
    one after another after the DPIA and the migration. Their callables are never run."""
    lines = [
        "",
        "",
        "# --- benchmarks/parse_time.py --planned-phases: the phases still to come, as their tasks will be ---",
        "_bench_build_dag = build_dag",
        "",
    ]
    steps: dict[str, list[tuple[str, str]]] = {}
    for phase, titles in PLANNED_PHASES.items():
        for number, title in enumerate(titles):
            if title == "APPROVAL":
                steps.setdefault(phase, []).append(("approval", title))
                continue
            name = f"_bench_{phase}_{number}"
            lines += [
                f"@task(task_id={f'step_{number}'!r}, task_display_name={title!r})",
                f"def {name}(slug: str, **context) -> None:",
                '    raise RuntimeError("a benchmark stand-in: never run")',
                "",
                "",
            ]
            steps.setdefault(phase, []).append((name, title))
    lines += [
        "def build_dag(force):",
        "    dag = _bench_build_dag(force)",
        "    with dag:",
        "        upstream = list(dag.leaves)",
    ]
    for phase, phase_steps in steps.items():
        # A phase that has landed in dags/onboarding.py since is the real one: not added twice.
        lines.append(f"        if {phase!r} in dag.task_group_dict:")
        lines.append("            pass")
        lines.append("        else:")
        lines.append(f"          with TaskGroup({phase!r}, tooltip={phase!r}) as group:")
        lines.append("            previous = None")
        for name, _title in phase_steps:
            if name == "approval":
                lines += [
                    "            step = HITLOperator(",
                    "                task_id='approval',",
                    "                task_display_name=f\"Go-live approval ({force.data['contacts']['go_live_approver']['name']})\",",
                    "                subject=f'Go live: {force.name}',",
                    "                body='{{ ti.xcom_pull(task_ids=\"go_live.step_1\") }}',",
                    "                options=['Approve', 'Reject'],",
                    "                params={'comment': Param('', type='string', title='Comment')},",
                    "                assigned_users=[{'id': force.data['contacts']['go_live_approver']['email'],",
                    "                                 'name': force.data['contacts']['go_live_approver']['name']}],",
                    "                response_timeout=dpia.DPO_RESPONSE_TIMEOUT,",
                    "                retries=0,",
                    "            )",
                ]
            else:
                lines.append(f"            step = {name}(force.slug)")
            lines += [
                "            if previous is not None:",
                "                previous >> step",
                "            previous = step",
            ]
        lines += ["          upstream >> group", "          upstream = [group]"]
    lines += ["    return dag", ""]
    return "\n".join(lines)


def write_planned_dags(folder: Path) -> Path:
    """A copy of dags/ whose onboarding.py also builds the planned phases' tasks."""
    shutil.copytree(DAGS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    builder = folder / "onboarding.py"
    builder.write_text(builder.read_text(encoding="utf-8") + planned_phases_source(), encoding="utf-8")
    return folder


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


def parse_once(
    how: str,
    dag_folder: Path,
    expected: Path,
    env: dict[str, str],
    extra_path: Path | None,
    processes: int,
    plugins: Path = PLUGINS,
    package_root: Path | None = None,
) -> dict[str, Any]:
    """One timed parse in a fresh process, with `plugins` first on its path; with `package_root`, the
    soh_onboarding it imported must live there (ours or the older revision's, not the other's)."""
    env = dict(env, AIRFLOW__CORE__DAGS_FOLDER=str(dag_folder))
    paths = [str(plugins), *([str(extra_path)] if extra_path else []), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    command = [sys.executable, str(Path(__file__).resolve())]
    if how == "sequential":
        command += ["--worker", str(dag_folder), str(expected)]
    else:
        command += ["--processor-worker", str(dag_folder), str(expected), str(processes)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        raise SystemExit(f"parse of {dag_folder} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(lines[-1][len(RESULT_MARK) :])
    if done.returncode or result["problems"]:
        raise SystemExit(f"parse of {dag_folder} is not comparable:\n" + "\n".join(result["problems"]))
    root = package_root.resolve() if package_root else None
    if root and not (result["packages"] and all(Path(p).resolve().is_relative_to(root) for p in result["packages"])):
        raise SystemExit(f"parse of {dag_folder} imported soh_onboarding from {result['packages']}, not from {root}")
    return result


# --- an older revision of this repository (--against) ---------------------------------------------


def resolve_revision(rev: str) -> tuple[str, str]:
    """The commit `rev` names in this repository and its short hash, or a one-line exit: a typo must not
    cost a run of several minutes before it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise SystemExit(f"--against {rev}: cannot run git ({error})") from None
    if done.returncode:
        raise SystemExit(f"--against {rev}: not a commit of the repository at {ROOT}")
    commit = done.stdout.strip()
    return commit, commit[:7]


def materialise(commit: str, folder: Path) -> Path:
    """The tree of `commit`, unpacked from `git archive` into `folder` (inside the run's temporary folder,
    so it goes with it, also on an error or Ctrl-C; no worktree is registered in the repository)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=False)
    if archive.returncode:
        raise SystemExit(f"git archive {commit} failed: {archive.stderr.decode(errors='replace').strip()}")
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    for needed in ("dags/onboarding.py", "plugins/soh_onboarding/__init__.py"):
        if not (folder / needed).is_file():
            raise SystemExit(f"--against {commit[:7]}: its tree has no {needed}; nothing to compare with")
    return folder


@dataclass(frozen=True)
class Revision:
    """The older revision `--against` compares with: its commit, the short name the tables use, its tree."""

    commit: str
    label: str
    tree: Path


def revision_env(env: dict[str, str], tree: Path) -> dict[str, str]:
    """`env` for parsing with the code of `tree`: its plugins folder and project root, and none of our
    checkout's folders inherited on PYTHONPATH (a module missing from its tree must not come from ours)."""
    inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    kept = [p for p in inherited if not Path(p).resolve().is_relative_to(ROOT)]
    return dict(
        env,
        AIRFLOW__CORE__PLUGINS_FOLDER=str(tree / "plugins"),
        SOH_PROJECT_ROOT=str(tree),
        PYTHONPATH=os.pathsep.join(kept),
    )


MODES = ("sequential", "processor")
SIDES = ("ours", "ours_cold", "theirs", "floor")
REVISION_SIDES = ("rev", "rev_cold")
"""With --against: the older revision's code, spec cache warm and cold, as ours."""


def measure(
    n: int,
    args: argparse.Namespace,
    work: Path,
    env: dict[str, str],
    theirs: str,
    started: float,
    revision: Revision | None = None,
) -> dict[str, Any]:
    base = work / f"n{n}"
    log(f"N={n}: writing and checking {n} specs", started)
    write_specs(base / "specs", n)
    forces = valid_specs(base / "specs", n)
    spec_bytes = sum(force.path.stat().st_size for force in forces)
    expected = base / "expected_ids.json"
    expected.write_text(json.dumps([force.dag_id for force in forces]), encoding="utf-8")
    ours_folder = write_planned_dags(base / "dags") if args.planned_phases else DAGS
    warm_cache = base / "cache-warm"
    ours_env = dict(env, SOH_SPECS_DIR=str(base / "specs"), SOH_CACHE_DIR=str(warm_cache))
    cold_runs = itertools.count()

    def ours(how: str) -> dict[str, Any]:
        return parse_once(how, ours_folder, expected, ours_env, None, args.processes, package_root=PLUGINS)

    def ours_cold(how: str) -> dict[str, Any]:
        cache = base / f"cache-cold-{next(cold_runs)}"  # a new, empty cache: the check runs in full
        cold_env = dict(ours_env, SOH_CACHE_DIR=str(cache))
        return parse_once(how, ours_folder, expected, cold_env, None, args.processes, package_root=PLUGINS)

    # Untimed warm-up: compiles bytecode, fills the page cache and the spec cache, and tells the task ids.
    log(f"N={n}: warm-up parse of ours", started)
    warm = ours("sequential")
    their_folder = base / theirs
    if theirs == "dag-factory":
        their_bytes = write_dag_factory_folder(their_folder, forces, warm["tasks"])
    else:
        their_bytes = write_hand_written_folder(their_folder, forces, warm["tasks"])

    def other_side(name: str, folder: Path, extra_path: Path | None) -> Callable[[str], dict[str, Any]]:
        """A side that parses `folder`, after one untimed warm-up parse that must build our very tasks."""

        def parse(how: str) -> dict[str, Any]:
            return parse_once(how, folder, expected, env, extra_path, args.processes)

        log(f"N={n}: warm-up parse of {name}", started)
        if parse("sequential")["tasks"] != warm["tasks"]:
            raise SystemExit(f"N={n}: {name} built other tasks than ours; the comparison would be meaningless")
        return parse

    theirs_once = other_side(theirs, their_folder, their_folder)
    floor_folder = base / "floor"
    write_floor_folder(floor_folder, forces, warm["tasks"])
    floor_once = other_side("the floor", floor_folder, None)

    sides = {"ours": ours, "ours_cold": ours_cold, "theirs": theirs_once, "floor": floor_once}
    if revision:
        sides.update(revision_sides(n, revision, base, env, expected, warm["tasks"], args, started))
    skipped = {"ours_cold", "rev_cold"} if args.no_cold else set()
    sides_run = [side for side in (*SIDES, *(REVISION_SIDES if revision else ())) if side not in skipped]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {how: {side: [] for side in sides_run} for how in args.ways}
    order = [(how, side) for how in args.ways for side in sides_run]
    for r in range(args.repeat):
        random.Random(r).shuffle(order)  # a new order every repeat: no side always follows the same one
        for how, side in order:
            result = sides[side](how)
            result.pop("tasks", None)
            runs[how][side].append(result)
        log(
            f"N={n}: repeat {r + 1}/{args.repeat}: "
            + "; ".join(
                f"{how}: " + ", ".join(f"{side} {runs[how][side][-1]['seconds']:.2f} s" for side in sides_run)
                for how in args.ways
            ),
            started,
        )
    row: dict[str, Any] = {
        "n": n,
        "tasks_per_dag": sorted({len(ids) for ids in warm["tasks"].values()}),
        "input_bytes": {"ours": spec_bytes, "theirs": their_bytes},
        "runs": runs,
    }
    for how in args.ways:
        seconds = {side: statistics.median(run["seconds"] for run in runs[how][side]) for side in sides_run}
        cpu = {side: statistics.median(run["cpu_seconds"] for run in runs[how][side]) for side in sides_run}
        for cold in ("ours_cold", *(("rev_cold",) if revision else ())):
            seconds.setdefault(cold, float("nan"))
            cpu.setdefault(cold, float("nan"))
        ratios = [o["seconds"] / t["seconds"] for o, t in zip(runs[how]["ours"], runs[how]["theirs"], strict=True)]
        row[how] = {
            **{f"{side}_s": value for side, value in seconds.items()},
            **{f"{side}_ms_per_dag": value / n * 1000 for side, value in seconds.items()},
            **{f"{side}_cpu_s": value for side, value in cpu.items()},
            "ratio": statistics.median(ratios),
            "ratios": ratios,
            "cpu_ratio": cpu["ours"] / cpu["theirs"],
            "floor_ratio": seconds["ours"] / seconds["floor"],
            "floor_cpu_ratio": cpu["ours"] / cpu["floor"],
        }
        if revision:
            row[how]["against"] = against_ratios(runs[how])
    return row


def revision_sides(
    n: int,
    revision: Revision,
    base: Path,
    env: dict[str, str],
    expected: Path,
    tasks: dict[str, list[str]],
    args: argparse.Namespace,
    started: float,
) -> dict[str, Callable[[str], dict[str, Any]]]:
    """The older revision's warm and cold parses of the same specs, after an untimed warm-up that must
    build exactly the DAG ids and task ids ours built: otherwise the ratio would compare different work."""
    rev_env = dict(
        revision_env(env, revision.tree), SOH_SPECS_DIR=str(base / "specs"), SOH_CACHE_DIR=str(base / "rev-cache-warm")
    )
    cold_runs = itertools.count()

    def parse(how: str, cache: Path | None = None) -> dict[str, Any]:
        side_env = dict(rev_env, SOH_CACHE_DIR=str(cache)) if cache else rev_env
        tree = revision.tree
        return parse_once(how, tree / "dags", expected, side_env, None, args.processes, tree / "plugins", tree)

    def rev(how: str) -> dict[str, Any]:
        return parse(how)

    def rev_cold(how: str) -> dict[str, Any]:
        return parse(how, base / f"rev-cache-cold-{next(cold_runs)}")  # a new, empty cache, as ours cold

    log(f"N={n}: warm-up parse of {revision.label}", started)
    try:
        first = rev("sequential")
    except SystemExit as error:
        raise SystemExit(
            f"N={n}: {revision.label}'s code did not build the expected DAGs from today's synthetic specs (does its "
            f"schema or check reject them?); nothing was compared.\n{error}"
        ) from None
    if first["tasks"] != tasks:
        differ = next(dag_id for dag_id in tasks if first["tasks"].get(dag_id) != tasks[dag_id])
        raise SystemExit(
            f"N={n}: {revision.label} builds other tasks than ours, e.g. {differ}: ours {tasks[differ]}, "
            f"{revision.label} {first['tasks'].get(differ)}; the comparison would be meaningless"
        )
    log(f"N={n}: {revision.label}'s soh_onboarding is {first['packages'][0]}", started)
    return {"rev": rev, "rev_cold": rev_cold}


def against_ratios(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Ours / the older revision's, per repeat (the two ran within minutes of each other, on the same load),
    in wall and CPU time, warm and cold: the median and the list, whose range is the spread."""

    def per_repeat(ours: str, rev: str, measure: str) -> list[float]:
        pairs = zip(runs.get(ours, []), runs.get(rev, []), strict=True)
        return [o[measure] / r[measure] for o, r in pairs]

    ratios = per_repeat("ours", "rev", "seconds")
    cpu_ratios = per_repeat("ours", "rev", "cpu_seconds")
    cold_ratios = per_repeat("ours_cold", "rev_cold", "seconds")
    return {
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "cpu_ratio": statistics.median(cpu_ratios),
        "cpu_ratios": cpu_ratios,
        "cold_ratio": statistics.median(cold_ratios) if cold_ratios else float("nan"),
        "cold_ratios": cold_ratios,
    }


def table(rows: list[dict[str, Any]], how: str, theirs: str) -> str:
    header = (
        "N",
        "tasks/DAG",
        "ours s",
        "ours ms/DAG",
        "ours cold s",
        f"{theirs} s",
        f"{theirs} ms/DAG",
        "ratio ours/theirs",
        "ratio min",
        "ratio max",
        "ours CPU s",
        f"{theirs} CPU s",
        "floor s",
        "floor CPU s",
        "ours/floor CPU",
    )
    body = []
    for row in rows:
        m = row[how]
        body.append(
            (
                str(row["n"]),
                "/".join(str(count) for count in row["tasks_per_dag"]),
                f"{m['ours_s']:.2f}",
                f"{m['ours_ms_per_dag']:.2f}",
                f"{m['ours_cold_s']:.2f}",
                f"{m['theirs_s']:.2f}",
                f"{m['theirs_ms_per_dag']:.2f}",
                f"{m['ratio']:.2f}",
                f"{min(m['ratios']):.2f}",
                f"{max(m['ratios']):.2f}",
                f"{m['ours_cpu_s']:.2f}",
                f"{m['theirs_cpu_s']:.2f}",
                f"{m['floor_s']:.2f}",
                f"{m['floor_cpu_s']:.2f}",
                f"{m['floor_cpu_ratio']:.2f}",
            )
        )
    return columns(header, body)


def columns(header: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    """Right-aligned columns under a header and a rule."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *body, strict=True)]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in [header, *body]]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])


def against_table(rows: list[dict[str, Any]], how: str, label: str) -> str:
    """Ours against the older revision, per N: wall and CPU seconds (medians) and the ratios."""
    header = (
        "N",
        "ours s",
        f"{label} s",
        f"ratio ours/{label}",
        "ratio min",
        "ratio max",
        "ours CPU s",
        f"{label} CPU s",
        "CPU ratio",
        "ours cold s",
        f"{label} cold s",
        "cold ratio",
    )
    body = []
    for row in rows:
        m, a = row[how], row[how]["against"]
        body.append(
            (
                str(row["n"]),
                f"{m['ours_s']:.2f}",
                f"{m['rev_s']:.2f}",
                f"{a['ratio']:.2f}",
                f"{min(a['ratios']):.2f}",
                f"{max(a['ratios']):.2f}",
                f"{m['ours_cpu_s']:.2f}",
                f"{m['rev_cpu_s']:.2f}",
                f"{a['cpu_ratio']:.2f}",
                f"{m['ours_cold_s']:.2f}",
                f"{m['rev_cold_s']:.2f}",
                f"{a['cold_ratio']:.2f}",
            )
        )
    return columns(header, body)


def verdict(rows: list[dict[str, Any]], how: str) -> str:
    by_n = {row["n"]: row for row in rows}
    if TARGET_N in by_n:
        seconds, cold = by_n[TARGET_N][how]["ours_s"], by_n[TARGET_N][how]["ours_cold_s"]
        floor = by_n[TARGET_N][how]["floor_s"]
        target = f"{TARGET_N} specs parse in {seconds:.2f} s (cold {cold:.2f} s): target < {TARGET_SECONDS:.0f} s " + (
            "MET" if seconds < TARGET_SECONDS else "NOT MET"
        )
        target += f" (Airflow's floor for the same DAGs: {floor:.2f} s, " + (
            "under the target)" if floor < TARGET_SECONDS else "itself over the target)"
        )
    else:
        target = f"target ({TARGET_N} specs < {TARGET_SECONDS:.0f} s) not measured"
    small, large = min(by_n), max(by_n)
    flat = by_n[large][how]["ours_ms_per_dag"] / by_n[small][how]["ours_ms_per_dag"]
    text = f"{target}; ms/DAG at N={large} / ms/DAG at N={small} = {flat:.2f} (1.00 is flat)"
    if len(by_n) > 2:  # small N carries the fixed cost of the imports: the last step shows the trend better
        before = sorted(by_n)[-2]
        step = by_n[large][how]["ours_ms_per_dag"] / by_n[before][how]["ours_ms_per_dag"]
        text += f", N={large} / N={before} = {step:.2f}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="numbers of forces")
    parser.add_argument("--repeat", type=int, default=3, help="timed parses per side, way and size (median shown)")
    parser.add_argument(
        "--processes", type=int, default=2, help="parsing processes, as [dag_processor] parsing_processes (default 2)"
    )
    parser.add_argument(
        "--planned-phases",
        action="store_true",
        help="add the planned phases' tasks to each DAG (those not in dags/ yet)",
    )
    parser.add_argument(
        "--ways", nargs="+", choices=MODES, default=list(MODES), help="sequential, processor or both (default)"
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-cache parses of ours (and of REV)")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also parse the same specs with this git revision's dags/ and plugins/, and print ours / REV",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (specs, YAML) for a look")
    parser.add_argument("--worker", nargs=2, metavar=("DAG_FOLDER", "EXPECTED_IDS"), help=argparse.SUPPRESS)
    parser.add_argument("--processor-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    if args.processor_worker:
        return processor_worker(*args.processor_worker)
    if min(args.sizes) < 1 or args.repeat < 1 or args.processes < 1:
        parser.error("sizes, --repeat and --processes must be at least 1")
    if args.against and args.planned_phases:
        # The planned phases' code is written against today's dags/onboarding.py and library.
        parser.error("--against and --planned-phases cannot be combined")
    commit_label = resolve_revision(args.against) if args.against else None

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
    revision: Revision | None = None
    try:
        (work / "airflow-home").mkdir()
        env = base_env(work / "airflow-home")
        if commit_label:
            commit, label = commit_label
            log(f"unpacking {args.against} ({commit}) with git archive", started)
            revision = Revision(commit, label, materialise(commit, work / f"rev-{label}"))
        rows = [measure(n, args, work, env, theirs, started, revision) for n in sorted(set(args.sizes))]
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - started

    what = "dags/ with the planned phases' tasks" if args.planned_phases else "dags/"
    print(
        f"Parse time of {what} vs {theirs}, {SHARDS} shard files each; median of {args.repeat}, fresh process per parse"
    )
    print(
        "ours: spec cache warm (steady state); ours cold: cache emptied first; ratio: ours (warm) / theirs in "
        "wall time, median and range over the repeats; CPU s: CPU time of the parsing process(es), median"
    )
    if "sequential" in args.ways:
        print(f"\nSequential: one DagBag over the folder in one process (cpus: {os.cpu_count()})")
        print(table(rows, "sequential", theirs))
        print(verdict(rows, "sequential"))
    if "processor" in args.ways:
        print(
            f"\nAs the DAG processor parses: one forked child per file running Airflow's _parse_file (DagBag + "
            f"serialisation), {args.processes} at a time (parsing_processes={args.processes}); wall time"
        )
        print(table(rows, "processor", theirs))
        print(verdict(rows, "processor"))
    largest = rows[-1]
    slowest = max(largest["runs"][args.ways[-1]]["ours"][0]["files"].items(), key=lambda item: item[1])
    print(
        f"At N={largest['n']}: slowest DAG file {slowest[0]} {slowest[1]:.2f} s ({args.ways[-1]}; Airflow's default "
        f"dagbag_import_timeout is 30 s); input {largest['input_bytes']['ours'] / 1e6:.1f} MB ours, "
        f"{largest['input_bytes']['theirs'] / 1e6:.1f} MB {theirs}; wall time {wall:.0f} s"
    )
    if revision:
        print(
            f"\nAgainst {args.against} ({revision.commit}): the same specs parsed by its dags/ with its own "
            "soh_onboarding, in the same run, alternating with the sides above"
        )
        print(
            f"ratio < 1: today's code parses faster than {revision.label}; > 1: slower. ratio: ours / {revision.label} "
            "in wall time (spec cache warm), median and range over the repeats; CPU ratio and cold ratio "
            "(both caches emptied first): medians"
        )
        for how in args.ways:
            way = "Sequential" if how == "sequential" else "As the DAG processor parses"
            print(f"\n{way}, ours against {revision.label}:")
            print(against_table(rows, how, revision.label))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "compared_with": theirs,
            "repeat": args.repeat,
            "processes": args.processes,
            "shards": SHARDS,
            "planned_phases": args.planned_phases,
            "wall_seconds": wall,
            "rows": rows,
            "verdict": {how: verdict(rows, how) for how in args.ways},
        }
        if revision:  # and each row's runs and row[how]["against"]: the ratios
            report["against"] = {"rev": args.against, "commit": revision.commit, "label": revision.label}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
