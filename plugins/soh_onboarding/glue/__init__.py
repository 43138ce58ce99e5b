"""The only part of the library that knows Airflow: the glue between the DAG files and the phases.

The DAG files in dags/ wire tasks to the adapters here; an adapter reads what the task needs from
Airflow's context and configuration, calls one entry point of its phase's package, prints what an
operator reads in the task's log, and fails (or skips) the task the Airflow way. The rooms, in the order
of the flow:

- runtime: the artifact store, the run's folder and snapshot, URLs of the UI, the platform client;
- options: the trigger form's choices (phases, dry run) and failing the run when a phase failed;
- building: parse time (the shard files' loader, the DAG's documentation, the trigger form attached last);
- snapshot, dpia, migration, provisioning, accessibility, golive, live, charging: one adapter module per
  phase;
- notifications and views: e-mail, and the plugin's web side (artifacts, the dashboard, report links).

Nothing outside this package imports Airflow (tests/test_architecture.py).
"""
