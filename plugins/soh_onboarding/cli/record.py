"""`python -m soh_onboarding record`: write a force's onboarding record (runs, decisions, spec versions, reports) as one zip.

The record a DPO or an auditor keeps: every run folder of the force in the artifact store, with index.html to
read first and manifest.json (every file's sha256). Without --runs-json nobody says who triggered a run, and each
run says "unknown (not read from Airflow)"; --runs-json reads the force's runs as Airflow's REST API exports them
(GET /api/v2/dags/onboard_<force>/dagRuns?limit=1000, saved to a file), so each says who. The zip is readable by
its owner only: it names people and holds their comments. Exit 1 when the spec is invalid, 2 when the store,
the force's run folders or the runs file are missing or unusable.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .common import checked_spec, command


class _Refused(Exception):
    """Input the command cannot use: its message is the one line the command prints."""


def _runs(path: str | None, dag_id: str) -> tuple[list[Any], str]:
    """The runs of a REST API export, and how the record says where they came from."""
    from .. import record

    if path is None:
        return [], "the artifact store only (who triggered each was not read from Airflow)"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _Refused(f"cannot read the runs file {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        return record.runs_from_api(text, dag_id), f"an export of Airflow's REST API ({Path(path).name})"
    except record.RecordError as error:
        raise _Refused(f"{path}: {error}") from None


def run(args: argparse.Namespace) -> int:
    from .. import record

    force = checked_spec(args.spec)
    if force is None:
        return 1
    store, out = Path(args.store), Path(args.out)
    try:
        if not store.is_dir():
            raise _Refused(f"no artifact store at {store}")
        if not record.run_folders(store, force.slug):
            raise _Refused(f"no run folder of {force.slug} in the artifact store {store}")
        if not out.parent.is_dir():
            raise _Refused(f"cannot write {out}: no folder {out.parent}")
        runs, source = _runs(args.runs_json, force.dag_id)
        manifest = record.write_record(
            store, force.slug, runs, out, generated_at=datetime.now(UTC), force_name=force.name, runs_source=source
        )
    except _Refused as refused:
        print(f"record: {refused}", file=sys.stderr)
        return 2
    except OSError as error:  # reading the store or writing --out: the partial zip is removed
        print(f"record: {out} not written: {error}", file=sys.stderr)
        return 2
    unknown = sum(1 for entry in manifest["runs"] if entry["who_triggered"] == record.UNKNOWN_TRIGGER)
    print(
        f"{out}: {force.name}: {len(manifest['runs'])} run(s) ({unknown} not known to Airflow), "
        f"{len(manifest['decisions'])} decision(s), {len(manifest['files'])} file(s), "
        f"{len(manifest['left_out'])} left out (listed in index.html and manifest.json)"
    )
    return 0


def register(commands: Any) -> None:
    parser = command(commands, __doc__, run, spec="the force's spec file")
    parser.add_argument("--store", required=True, metavar="DIR", help="the artifact store")
    parser.add_argument("--out", required=True, metavar="FILE.zip", help="where to write the record")
    parser.add_argument(
        "--runs-json",
        metavar="FILE",
        help="the force's runs as GET /api/v2/dags/{dag_id}/dagRuns answers (who triggered each run)",
    )
