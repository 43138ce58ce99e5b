"""The domain library of the Single Online Home force onboarding orchestrator.

Plain Python: only the `glue` package knows Airflow. Every module is free of side effects on import, because
Airflow's plugin loader and DAG processor import what they find (see plugins/.airflowignore).
"""

__version__ = "0.1.0"
