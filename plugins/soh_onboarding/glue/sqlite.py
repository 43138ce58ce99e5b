"""The local SQLite metadata database's connection arguments (bin/airflow-env names this for Airflow's
`[database] sql_alchemy_connect_args`): one writer at a time, so a writer waits up to 30 s for the lock
instead of sqlite3's 5 s default, after which the UI's click or an approval's PATCH failed with a 500 while
the scheduler and the tasks wrote. PostgreSQL (the deployment) does not use it."""

CONNECT_ARGS: dict[str, object] = {"timeout": 30}
