"""The Airflow plugin of the SOH onboarding orchestrator: its web views, navigation and task links.

- a FastAPI app under /soh: run artifacts to signed-in users, and the onboarding dashboard;
- "Onboarding" (the dashboard) in Airflow's navigation (an external view shown inside the UI);
- a link on each task to the reports it writes (soh_onboarding.dashboard.REPORTS: one line per report).

Airflow imports every .py at this level of plugins/ (soh_onboarding/ itself is hidden by .airflowignore),
so this module stays small and imports the views only when the plugin is built.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from soh_onboarding.dashboard import REPORTS
from soh_onboarding.glue.views import DASHBOARD, PREFIX, ReportLink, build_app


class SohOnboardingPlugin(AirflowPlugin):
    name = "soh_onboarding"
    fastapi_apps = [{"app": build_app(), "url_prefix": PREFIX, "name": "SOH onboarding"}]  # noqa: RUF012 (Airflow's API)
    external_views = [  # noqa: RUF012
        {
            "name": "Onboarding",
            "href": f"{PREFIX}{DASHBOARD}",
            "url_route": "soh-onboarding",
            "destination": "nav",
            "nav_top_level": True,
        }
    ]
    global_operator_extra_links = [ReportLink(report) for report in REPORTS]  # noqa: RUF012
