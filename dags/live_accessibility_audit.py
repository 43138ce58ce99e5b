"""After go-live: the accessibility audit of every live force's live site, monthly, alerting on regressions.

    live_forces ──► reaudit (one mapped task per live force) ──► summarise (dashboard file; fails = the alert)

This file only wires: the library (plugins/soh_onboarding/live/reaudit.py) decides. Nothing at
parse time.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, task

from soh_onboarding.glue import live

OWNER = "national-live-service"

with DAG(
    dag_id="live_accessibility_audit",
    dag_display_name="Live forces: monthly accessibility re-audit",
    description="Re-audit every live force's site for accessibility and alert on new serious violations",
    doc_md="""
# Live forces: monthly accessibility re-audit

Every month, for each force in the live-forces register, the accessibility audit of the onboarding runs
again on the force's **live domain** (its sitemap, sampled as the onboarding audit samples, in Chromium
with axe-core, IBM Equal Access, HTML_CodeSniffer and the keyboard probe), reaching it through the go-live
settings' DNS and ports. A serious or critical violation (page, success criterion, element) that the audit
the force's go-live passed with did not have is a **regression**. New regressions fail the **summarise**
task, which is the alert; regressions that persist stay listed as open, fixed ones are listed as fixed. A
force with no go-live audit on record is audited and reported as "no baseline". The accessibility
statement draft's date is recorded and a statement older than 12 months is flagged for review.
Results: `<store>/<force>/accessibility-monitoring/<date>.json` and `.html` and, for the operators'
dashboard, `<store>/platform/accessibility-monitoring.json`.
""",
    schedule="@monthly",
    catchup=False,
    max_active_runs=1,
    tags=["soh-platform", "accessibility"],
    default_args={"owner": OWNER, "retries": 1, "retry_delay": timedelta(minutes=30)},
):

    @task(task_id="live_forces", task_display_name="List the live forces")
    def live_forces() -> list[str]:
        return live.monitored_forces()

    @task(
        task_id="reaudit",
        task_display_name="Re-audit a live force's site",
        map_index_template="{{ task.op_kwargs['slug'] }}",
        pool="soh_accessibility_audit",
        execution_timeout=timedelta(hours=3),
    )
    def reaudit(slug: str, **context) -> dict:
        return live.reaudit_force(slug, context)

    @task(
        task_id="summarise",
        task_display_name="Write the dashboard's summary; alert on new accessibility regressions",
        trigger_rule="all_done",
        retries=0,
    )
    def summarise(lines: list[dict] | None, listed: list[str] | None, **context) -> dict:
        return live.reaudit_summary(list(lines or []), listed, context)

    listed = live_forces()
    summarise(reaudit.expand(slug=listed), listed)
