"""The way back after go-live: one force taken off the platform, with its own approval.

    prepare ──► decide (the force's go-live approver or the national team) ──► roll_back ──emits──►
    Asset soh://platform/live-forces ──schedules──► charging_model

This file only wires: the library (plugins/soh_onboarding/golive/rollback.py) decides. Nothing at parse time.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Asset, Param, task

from soh_onboarding.glue import live
from soh_onboarding.glue import rollback as glue
from soh_onboarding.golive.rollback import OPTIONS

LIVE_FORCES = Asset(live.LIVE_FORCES_URI)

with DAG(
    dag_id="rollback_force",
    dag_display_name="Roll a force back off the platform",
    description="After go-live: the old domains' DNS back to the legacy site, the tenant in preview, the register and charges corrected",
    doc_md="""
# Roll a force back off the platform

For a force that went live and must come off (trigger with its slug and the reason). Once its go-live
approver or the national team approves:

1. **the edge**: the old domains' DNS records exactly as they were before the switch, the tenant's edge
   as provisioning left it;
2. **the platform**: the tenant back in preview;
3. **the live-forces register**: the force live until today, so the charging model (re-run by the Asset
   event `soh://platform/live-forces`) charges it up to today and not after, and the daily monitoring stops.

Each step changes only what differs: a retry, or a second rollback, changes nothing and says so. The
decision and each attempt are kept in the go-live run's `rollback/` folder, with the force's record.
""",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,  # the decision's assigned users are a list, rendered at run time
    tags=["soh-platform", "go-live"],
    default_args={"owner": "national-live-service", "retries": 0},
    params={
        "force": Param("", type="string", minLength=1, title="Force", description="The force's slug, e.g. demo"),
        "reason": Param("", type="string", minLength=1, title="Reason", description="Why it comes off the platform"),
    },
):

    @task(task_id="prepare", task_display_name="Check the force and say what will change")
    def prepare(**context) -> dict:
        return glue.prepare(context)

    prepared = prepare()
    decide = glue.RollbackApproval(
        task_id="decide",
        task_display_name="Rollback decision",
        subject="Roll {{ ti.xcom_pull(task_ids='prepare')['name'] }} back off the platform?",
        body="{{ ti.xcom_pull(task_ids='prepare')['body'] }}",
        options=list(OPTIONS),
        params={
            "comment": Param("", type="string", title="Comment", description="Your reason, kept with the decision")
        },
        assigned_users="{{ ti.xcom_pull(task_ids='prepare')['deciders'] }}",
        response_timeout=timedelta(days=7),
    )

    @task(
        task_id="roll_back",
        task_display_name="Roll back the edge, the platform and the register",
        outlets=[LIVE_FORCES],
    )
    def roll_back(answer: dict | None, **context) -> dict:
        return glue.roll_back(answer, context, LIVE_FORCES)

    prepared >> decide
    roll_back(decide.output)
