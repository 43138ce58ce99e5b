"""Parse time: how the DAG files build thousands of DAGs quickly, and the DAG's documentation.

Nothing here touches the network or a database, or imports anything heavy: the DAG processor runs it at
every parse (benchmarks/parse_time.py measures it).
"""

from __future__ import annotations

import gc
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import phases, reports, spec

STEPS = tuple({"title": phase.step or phase.label, "text": phase.does} for phase in phases.PHASES)
"""What a run does, in order, for the DAG's documentation (from the phase registry)."""


def dag_doc(force: spec.ForceSpec) -> str:
    """The DAG's doc_md, rendered from the spec (parse time: no I/O beyond the template)."""
    return reports.render("dag_doc.md.j2", spec=force, steps=STEPS)


DAG_BUILDER_MODULE = "soh_onboarding_dag_builder"


def dag_builder(path: Path) -> ModuleType:
    """The module that builds the onboarding DAGs (dags/onboarding.py), for the shard files that use it.

    Loaded by path, since Airflow does not promise the DAG folder is on sys.path, and under one name, so
    a process that parses every shard file (a DagBag over dags/) defines the tasks once. Loaded again
    when the file changed, as a long-lived process re-parsing the folder would expect."""
    stamp = path.stat().st_mtime_ns
    loaded = sys.modules.get(DAG_BUILDER_MODULE)
    if loaded is not None and loaded.__file__ == str(path) and getattr(loaded, "_soh_stamp", None) == stamp:
        return loaded
    module_spec = importlib.util.spec_from_file_location(DAG_BUILDER_MODULE, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load the DAG builder from {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[DAG_BUILDER_MODULE] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[DAG_BUILDER_MODULE]
        raise
    module._soh_stamp = stamp  # type: ignore[attr-defined]
    return module


@contextmanager
def bulk_build() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a DAG file builds its DAGs.

    Every operator and task group refers back to its DAG, and all of them live as long as the parse, so
    each collection walks every object built so far for nothing: about 15% of the time at 1,000 DAGs.
    Collection resumes afterwards, as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def attach_params(dag: Any, params: dict[str, Any]) -> None:
    """Give a DAG built without params its trigger form, once its tasks exist.

    Airflow deep-copies a DAG's params into every operator made inside it, once per class of the
    operator's hierarchy (four times for a @task), and the DAG processor then serialises each task's copy,
    validating every Param against its JSON Schema several times per task (`ParamsDict.dump()` in
    `_is_excluded`). The copies change nothing a task sees: at run time a task's params are the DAG's,
    then its own, then the run's conf (`airflow.sdk.definitions.param.process_params`). Building the tasks
    first and attaching the form afterwards skips the copies altogether; the DAG's params, the trigger
    form and every task's run-time params are those of Airflow's default build (tests/glue/test_dags.py).
    Airflow validates a DAG's params at construction only for a scheduled DAG; ours have no schedule."""
    from airflow.sdk.definitions.param import ParamsDict

    if dag.timetable.can_be_scheduled:
        raise ValueError(f"{dag.dag_id}: a scheduled DAG must get its params at construction, to be validated")
    object.__setattr__(dag, "params", ParamsDict(params))
