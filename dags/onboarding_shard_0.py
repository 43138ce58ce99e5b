"""Airflow DAG file: the onboarding DAGs of the forces in shard 0 of onboarding.SHARDS (see dags/onboarding.py).

Several small files instead of one, so that Airflow's DAG processor parses them in parallel.
"""

from pathlib import Path

from soh_onboarding.glue.building import dag_builder

globals().update(dag_builder(Path(__file__).with_name("onboarding.py")).build_shard(0))
