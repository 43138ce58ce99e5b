"""A remote service's settings from the environment, for the CLI outside Airflow (in Airflow, Connections
hold them): one message for what is missing, naming the variables and the Connection that replaces them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence


def required(
    names: Sequence[str], what: str, connection: str, error: type[Exception], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The values of the environment variables `names` (all set and not empty), else `error` saying which
    to set to reach `what` ("the platform's API")."""
    env = os.environ if environ is None else environ
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise error(
            f"set {' and '.join(missing)} to reach {what} (outside Airflow; in Airflow the Connection {connection} "
            "holds them)"
        )
    return {name: env[name] for name in names}
