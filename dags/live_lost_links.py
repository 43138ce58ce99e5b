"""After go-live: the old URLs the public still asks for that find nothing, from the edge's access logs, daily.

    live_forces ──► count (one mapped task per live force) ──► summarise (dashboard file; fails = the alert)

This file only wires: the library (plugins/soh_onboarding/live) decides. Nothing at parse time.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, task

from soh_onboarding.glue import live

OWNER = "national-live-service"

with DAG(
    dag_id="live_lost_links",
    dag_display_name="Live forces: old URLs not found (access logs)",
    description="Count each live force's old URLs answering 404 or 410 in the edge's access logs; alert on busy ones",
    doc_md="""
# Live forces: old URLs not found

Every day, for each force in the live-forces register, the edge's access logs of its old domains for the
day before (`config/access-logs.yaml`: Cloudflare Logpush's JSON lines, or common and combined log files,
plain or gzip) are read line by line. Every old URL that answered **404 or 410** is listed with its hits,
busiest first, placed in the force's redirect map (not in it, unresolved, redirected yet lost, archived)
and given the nearest migrated page as a suggestion, with its evidence. An old URL not in the map with at
least `alert_hits` hits fails the **summarise** task: the alert. Malformed lines are counted and shown,
never fatal. Results: `<store>/<force>/lost-links/<day>.json` and `.html`, and for the operators'
dashboard `<store>/platform/lost-links.json`. Another day: trigger with `day` (YYYY-MM-DD).
""",
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    tags=["soh-platform", "go-live"],
    default_args={"owner": OWNER, "retries": 1, "retry_delay": timedelta(minutes=5)},
    params={
        "day": Param(
            "",
            type="string",
            title="Day",
            description="The day of logs to read, YYYY-MM-DD; empty: the day before the run",
        )
    },
):

    @task(task_id="live_forces", task_display_name="List the live forces")
    def live_forces() -> list[str]:
        return live.monitored_forces()

    @task(
        task_id="count",
        task_display_name="Count a live force's old URLs not found",
        map_index_template="{{ task.op_kwargs['slug'] }}",
    )
    def count(slug: str, **context) -> dict:
        return live.lost_links_force(slug, context)

    @task(
        task_id="summarise",
        task_display_name="Write the dashboard's summary; alert on busy old URLs not in the map",
        trigger_rule="all_done",
        retries=0,
    )
    def summarise(lines: list[dict] | None, **context) -> dict:
        return live.lost_links_summary(list(lines or []), context)

    summarise(count.expand(slug=live_forces()))
