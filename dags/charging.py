"""The platform's two charging DAGs: mark a force live, and recompute the charging model.

    mark_force_live ──emits──► Asset soh://platform/live-forces ──schedules──► charging_model
                                                                                  └─emits─► soh://charging/model

The go-live phase's switch (dags/onboarding.py) calls the same library function as mark_force_live and emits
the same Asset.
This file only wires: the library (plugins/soh_onboarding) decides. Parse time reads the model's
scenario names from one local file for the trigger form; nothing else.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Asset, Param, task

from soh_onboarding.glue import charging, live

OWNER = "national-live-service"
LIVE_FORCES = Asset(live.LIVE_FORCES_URI)
CHARGING_MODEL = Asset(charging.CHARGING_MODEL_URI)
SCENARIOS = charging.charging_scenarios()

with DAG(
    dag_id="mark_force_live",
    dag_display_name="Mark a force live on the platform",
    description="Record a force in the live-forces register, which recomputes the charging model",
    doc_md="""
# Mark a force live on the platform

Records the force in the live-forces register of the artifact store (`platform/live-forces.json`) from
the date given, or from its spec's `charging.live_from`, and emits the Asset `soh://platform/live-forces`,
which runs **SOH charging model** with the new roster. Marking again on the same date changes nothing;
another date corrects the entry and keeps the old one in the register's history.

The go-live phase of the onboarding DAGs does the same when it switches a force live.
""",
    schedule=None,
    catchup=False,
    max_active_runs=1,  # one writer of the register at a time
    tags=["soh-platform", "charging"],
    default_args={"owner": OWNER, "retries": 0},
    params={
        "force": Param(
            "demo",
            type="string",
            pattern="^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
            title="Force",
            description_md="The force's slug, as in `onboarding_specs/<slug>.yaml`, e.g. `thames-valley`.",
            section="The force",
        ),
        "live_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Live from",
            description_md="The date the force went live. Empty: the spec's `charging.live_from`.",
            section="The force",
        ),
    },
):

    @task(task_id="mark_live", task_display_name="Record the force in the live-forces register", outlets=[LIVE_FORCES])
    def mark_live(**context) -> dict:
        return live.mark_force_live(context, LIVE_FORCES)

    mark_live()


with DAG(
    dag_id="charging_model",
    dag_display_name="SOH charging model",
    description="Who pays what, per year, as forces join: every scenario of config/charging-model.yaml",
    doc_md="""
# SOH charging model

Splits the platform's yearly costs between the forces on it (`config/charging-model.yaml`; assumptions in
`docs/charging-model.md`). Runs when a force is marked live (Asset `soh://platform/live-forces`), or by
hand with a scenario. Writes `charges.csv`, `summary.json`, charts and `report.html` to
`<store>/platform/<run id>/charging/`, checks the charges with Great Expectations (a failed check fails
the run), and emits the Asset `soh://charging/model` with the summary in its extra.
""",
    schedule=LIVE_FORCES,
    catchup=False,
    max_active_runs=1,
    tags=["soh-platform", "charging"],
    default_args={"owner": OWNER, "retries": 1, "retry_delay": timedelta(minutes=1)},
    params={
        "scenario": Param(
            "all",
            type="string",
            title="Scenario",
            description_md="Which scenario of the charging model to compute; `all` computes every one "
            "(`live` is the forces of the live-forces register).",
            section="The model",
            **({"enum": ["all", *SCENARIOS]} if SCENARIOS else {}),
        ),
    },
):

    @task(task_id="compute", task_display_name="Compute, check and report the charges", outlets=[CHARGING_MODEL])
    def compute(**context) -> dict:
        return charging.compute_charging(context, CHARGING_MODEL)

    compute()
