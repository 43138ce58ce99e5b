"""After go-live: the machine checks of every live force, daily, alerting on what got worse.

    live_forces ──► check (one mapped task per live force) ──► summarise (dashboard file; fails = the alert)

This file only wires: the library (plugins/soh_onboarding/golive) decides. Nothing at parse time.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, task

from soh_onboarding.glue import live

OWNER = "national-live-service"

with DAG(
    dag_id="live_site_checks",
    dag_display_name="Live forces: daily site checks",
    description="Re-run the go-live machine checks on every live force's site and alert on regressions",
    doc_md="""
# Live forces: daily site checks

Every day, for each force in the live-forces register, the go-live machine checks run again (DNS, TLS,
security headers, key pages, the whole redirect map of its go-live run, robots.txt, sitemap.xml,
security.txt, mixed content). A fault its approved go-live checklist did not have is a **regression**:
a certificate within 30 days of expiry, a header removed, redirects broken. New regressions fail the
**summarise** task, which is the alert (Airflow's failure notifications); faults that persist stay listed
as open. Results: `<store>/<force>/monitoring/<date>.json` and, for the operators' dashboard,
`<store>/platform/monitoring.json`.
""",
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    tags=["soh-platform", "go-live"],
    default_args={"owner": OWNER, "retries": 1, "retry_delay": timedelta(minutes=5)},
):

    @task(task_id="live_forces", task_display_name="List the live forces")
    def live_forces() -> list[str]:
        return live.monitored_forces()

    @task(
        task_id="check",
        task_display_name="Check a live force's site",
        map_index_template="{{ task.op_kwargs['slug'] }}",
    )
    def check(slug: str, **context) -> dict:
        return live.monitor_force(slug, context)

    @task(
        task_id="summarise",
        task_display_name="Write the dashboard's summary; alert on regressions",
        trigger_rule="all_done",
        retries=0,
    )
    def summarise(lines: list[dict] | None, **context) -> dict:
        return live.monitoring_summary(list(lines or []), context)

    summarise(check.expand(slug=live_forces()))
