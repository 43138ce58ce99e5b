#!/usr/bin/env bash
# The multi-machine deployment's topology, tested for real without Docker: installs PostgreSQL and Redis
# from Debian (when missing, as root), then runs tests/deployment/test_topology.py, which starts them on
# loopback ports in a temporary folder with Airflow's CeleryExecutor, a git DAG bundle and the sandbox.
#   tests/deployment/run_topology.sh            install what is missing, then run the test
#   tests/deployment/run_topology.sh --install  only install (bin/test does this before the whole suite)
# Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v git >/dev/null || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "==> installing from Debian for the deployment topology test: ${missing[*]}"
        apt-get update -qq
        # The packages' own services are not started: the test starts its own on loopback ports.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "${missing[*]} missing and this is not root: the deployment topology test will skip (CI fails)" >&2
    fi
fi
if [ "${1:-}" = "--install" ]; then
    exit 0
fi
[ -x .venv/bin/python ] || bin/setup dev
exec .venv/bin/python -m pytest tests/deployment/test_topology.py -v "$@"
