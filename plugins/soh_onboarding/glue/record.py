"""A force's onboarding record (record.py) with what only Airflow knows: its DAG's runs and who triggered each.

For the web side: `record_zip(slug)` is what `GET /soh/forces/{slug}/record.zip` sends, once the route has
checked that the signed-in user may read that force's record (its roles, or the national team's). This
module checks no permission itself.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .. import record
from ..dashboard import dag_of_force
from . import runtime


class NoRecord(LookupError):
    """A force with neither a run in Airflow's database nor a run folder in the artifact store."""


def run_of(dag_run: Any) -> record.Run:
    """A DagRun row (airflow.models.dagrun.DagRun) as the record's Run: Airflow's enums and dates as text."""
    return record.Run(
        run_id=dag_run.run_id,
        state=_text(dag_run.state),
        run_type=_text(dag_run.run_type),
        triggered_by=_text(dag_run.triggered_by),
        triggering_user_name=dag_run.triggering_user_name or "",
        logical_date=_when(dag_run.logical_date),
        start_date=_when(dag_run.start_date),
        end_date=_when(dag_run.end_date),
        run_after=_when(dag_run.run_after),
        conf=dict(dag_run.conf or {}),
        note=dag_run.note or "",
    )


def _text(value: Any) -> str:
    """An Airflow enum (DagRunState, DagRunType, DagRunTriggeredByType) or a plain string, as its value."""
    return str(getattr(value, "value", value) or "")


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def airflow_runs(slug: str) -> tuple[list[record.Run], str]:
    """The force's runs in Airflow's database, newest first, and the force's name as its DAG shows it."""
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_id = dag_of_force(slug)
    with create_session() as session:
        rows = session.scalars(select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc())).all()
        dag = session.get(DagModel, dag_id)
        name = dag.dag_display_name.removesuffix(": onboarding") if dag is not None else slug
        return [run_of(row) for row in rows], name


def record_zip(slug: str) -> Iterator[bytes]:
    """The force's onboarding record as a zip, in pieces for a streaming response.

    Written whole to a temporary file first (on disk, never all in memory), so that anything failing
    fails here, before the response starts, rather than as a cut-off download. NoRecord when the force has
    nothing to record (the route's 404).
    """
    store = runtime.artifact_store()
    runs, name = airflow_runs(slug)
    if not runs and not record.run_folders(store, slug):
        raise NoRecord(f"no onboarding run of {slug!r} in Airflow or in the artifact store")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed over open: chunks() closes it once sent
    try:
        record.write_record(store, slug, runs, spool, generated_at=datetime.now(UTC), force_name=name)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return record.chunks(spool)
