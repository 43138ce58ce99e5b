"""The Airflow plugin of the SOH onboarding orchestrator: its web views, mounted in Airflow's API server.

Airflow imports every .py at this level of plugins/ (soh_onboarding/ itself is hidden by .airflowignore),
so this module stays small and imports the views only when the plugin is built.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from soh_onboarding.artifact_views import PREFIX, build_app


class SohOnboardingPlugin(AirflowPlugin):
    name = "soh_onboarding"
    fastapi_apps = [{"app": build_app(), "url_prefix": PREFIX, "name": "SOH onboarding"}]  # noqa: RUF012 (Airflow's API)
