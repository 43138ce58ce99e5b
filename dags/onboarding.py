"""One Airflow DAG per force: `onboard_<slug>` for every valid spec in onboarding_specs/.

This file only wires. The library (plugins/soh_onboarding) decides; a spec that fails its check gets no
DAG here and shows as an import error of onboarding_spec_errors.py instead, so it never hides the others.
Parse time matters (the DAG processor runs this file often): no network, no database, no heavy imports.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, task

from soh_onboarding import airflow_glue, spec, speccache

OWNER = "national-live-service"


def build_dag(force: spec.ForceSpec) -> DAG:
    with DAG(
        dag_id=force.dag_id,
        dag_display_name=f"{force.name}: onboarding",
        description=f"Onboard {force.name} onto the Single Online Home",
        doc_md=airflow_glue.dag_doc(force),
        schedule=None,
        catchup=False,
        max_active_runs=1,  # two runs of one force would publish over each other
        tags=["soh-onboarding", f"force:{force.slug}", force.data["force"]["nation"]],
        default_args={"owner": OWNER, "retries": 1, "retry_delay": timedelta(minutes=1)},
        params={
            "run_note": Param(
                "",
                type="string",
                title="Why this run",
                description_md="Recorded with the spec snapshot in the run's folder, e.g. *re-run after the DPO's changes*.",
                maxLength=500,
                section="About this run",
            ),
        },
    ) as dag:

        @task(task_id="check_spec", task_display_name="Check and snapshot the spec", retries=0)
        def check_spec(spec_file: str, **context) -> dict:
            return airflow_glue.check_and_snapshot(spec_file, context)

        check_spec(str(force.path))
    return dag


_result = spec.check()
for _force in _result.specs:
    globals()[_force.dag_id] = build_dag(_force)
if _result.valid:
    speccache.remember_valid()  # spares onboarding_spec_errors.py a second check of the same files
