"""The deployment's topology on one machine, without Docker: the services of docker-compose.yml as processes.

PostgreSQL and Redis (Debian's packages) on loopback ports in a temporary folder, and Airflow with the
CeleryExecutor against them: api-server, scheduler, dag-processor, triggerer and a Celery worker, each
its own process as each is its own container in docker-compose.yml. The DAGs and specs reach Airflow
through a git DAG bundle cloned from a local repository (the stand-in for the project's remote), and
the sandboxes stand in for the demo force's old website and for the platform.

The Celery worker runs in a UTS namespace of its own when it can (as root), named WORKER_HOST: the task
instances it runs then say so, as they would on a separate machine.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from airflow_server import ROOT, Airflow, free_port
from sandbox.edge.server import ACCOUNT_ID as EDGE_ACCOUNT

WORKER_HOST = "soh-worker-1"
BUNDLE = "soh"
BRANCH = "main"
VENV_BIN = Path(sys.executable).parent


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def missing_tools() -> list[str]:
    missing = [] if postgres_bin() else ["postgresql"]
    missing += [] if shutil.which("redis-server") else ["redis-server"]
    missing += [] if shutil.which("git") else ["git"]
    return missing


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _can_unshare() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    done = subprocess.run(["unshare", "--uts", "true"], capture_output=True, check=False)
    return done.returncode == 0


class Process:
    """One service: a process group of its own, its output in a log file."""

    def __init__(self, name: str, command: list[str], log: Path, env: dict[str, str], cwd: Path = ROOT) -> None:
        self.name, self.log = name, log
        with log.open("w") as out:
            self.popen = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=30)


class Cluster(Airflow):
    """The running topology: an authenticated REST session to its API server, and every service's log."""

    def __init__(self, url: str, home: Path, services: dict[str, Process], base: Path) -> None:
        super().__init__(url, home, services["api-server"].popen, services["api-server"].log)
        self.services, self.base = services, base
        self.origin = base / "origin"

    POLL_SECONDS = 2.0
    READ_TIMEOUT = WRITE_TIMEOUT = 60.0  # the patience five services on two shared cores need

    def check_alive(self, what: str = "") -> None:
        for service in self.services.values():
            if service.popen.poll() is not None:
                waiting = f" waiting for {what}" if what else ""
                pytest.fail(f"{service.name} exited ({service.popen.returncode}){waiting}:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return "\n".join(f"--- {name}\n{service.text()[-2500:]}" for name, service in self.services.items())

    def commit(self, message: str, change: Callable[[Path], None]) -> str:
        """A merged pull request: change the repository the bundle tracks, commit, return the commit."""
        change(self.origin)
        return commit_all(self.origin, message)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(
        repo,
        "-c",
        "user.name=SOH deployment test",
        "-c",
        "user.email=deploy-test@soh.example",
        "commit",
        "-qm",
        message,
    )
    return git(repo, "rev-parse", "HEAD")


def make_origin(origin: Path) -> str:
    """The repository the git bundle tracks: this working tree's files (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            target = origin / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(origin, "init", "-q", "-b", BRANCH)
    return commit_all(origin, "The project as this test found it")


def start_postgres(base: Path, password: str, stack: ExitStack, env: dict[str, str]) -> str:
    """A PostgreSQL cluster of its own on a loopback port; returns the SQLAlchemy URL of its database."""
    bin_dir = postgres_bin()
    assert bin_dir, "PostgreSQL is not installed (tests/deployment/run_topology.sh --install installs it)"
    # Outside pytest's private tmp folders, which the postgres user cannot enter.
    data = Path(tempfile.mkdtemp(prefix="soh-postgres-"))
    stack.callback(shutil.rmtree, data, ignore_errors=True)
    pwfile = data / "pwfile"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    cluster = data / "cluster"
    initdb = [str(bin_dir / "initdb"), "-D", str(cluster), "-U", "airflow", "-E", "UTF8", "--locale=C"]
    initdb += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
    done = subprocess.run(_as_postgres(initdb), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"initdb failed:\n{done.stdout}\n{done.stderr}"
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data}"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(cluster), "-o", options, "-l", str(data / "server.log"), "-w"]
    done = subprocess.run(_as_postgres([*pg_ctl, "start"]), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"PostgreSQL did not start:\n{done.stdout}\n{done.stderr}"
    stack.callback(lambda: subprocess.run(_as_postgres([*pg_ctl, "-m", "fast", "stop"]), capture_output=True))
    createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "airflow", "airflow"]
    done = subprocess.run(createdb, env={**env, "PGPASSWORD": password}, capture_output=True, text=True)
    assert done.returncode == 0, f"createdb failed: {done.stderr}"
    return f"postgresql+psycopg2://airflow:{password}@127.0.0.1:{port}/airflow"


def start_redis(base: Path, password: str, env: dict[str, str]) -> tuple[Process, str]:
    port = free_port()
    folder = base / "redis"
    folder.mkdir()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password]
    command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    process = Process("redis", command, base / "redis.log", env)
    deadline = time.monotonic() + 30
    while "Ready to accept connections" not in process.text():
        assert process.popen.poll() is None and time.monotonic() < deadline, f"Redis did not start:\n{process.text()}"
        time.sleep(0.2)
    return process, f"redis://:{password}@127.0.0.1:{port}/0"


def airflow_environment(
    base: Path, api_port: int, database: str, broker: str, platform_port: int, edge_port: int
) -> dict[str, str]:
    """What docker-compose.yml's x-airflow-common environment sets, for processes on this machine."""
    from cryptography.fernet import Fernet

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "PYTEST")) and key not in ("PYTHONPATH", "SOH_SPECS_DIR", "SOH_CACHE_DIR")
    }
    git_connection = {"conn_type": "git", "host": str(base / "origin")}
    bundles = [
        {
            "name": BUNDLE,
            "classpath": "airflow.providers.git.bundles.git.GitDagBundle",
            "kwargs": {"git_conn_id": "soh_git", "tracking_ref": BRANCH, "subdir": "dags", "refresh_interval": 10},
        }
    ]
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        # This checkout's library first (the image's copy, deployed), whatever else the venv has installed.
        PYTHONPATH=str(ROOT / "plugins"),
        AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH=str(base / "dag-bundles"),
        AIRFLOW_HOME=str(base / "airflow-home"),
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=database,
        AIRFLOW__CELERY__BROKER_URL=broker,
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + database,
        AIRFLOW__CORE__FERNET_KEY=Fernet.generate_key().decode(),
        AIRFLOW__API_AUTH__JWT_SECRET=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{api_port}",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
        # Five services on two shared cores: the API server can take tens of seconds to answer a task's
        # start (seen: 38 s), and a task whose start timed out is failed when its retry finds it started.
        AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="120",
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST=json.dumps(bundles),
        AIRFLOW_CONN_SOH_GIT=json.dumps(git_connection),
        # The platform (its sandbox here) and its token as deployed: a Connection from the environment.
        AIRFLOW_CONN_SOH_PLATFORM=json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": platform_port,
                "schema": "http",
                "password": secrets.token_urlsafe(24),
            }
        ),
        # The edge (its sandbox here: Cloudflare's API) as deployed: the token and account in a Connection.
        AIRFLOW_CONN_SOH_EDGE=json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": edge_port,
                "schema": "http",
                "password": secrets.token_urlsafe(24),
                "extra": {"account_id": EDGE_ACCOUNT},
            }
        ),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__SOH__ARTIFACT_STORE=(base / "artifacts").as_uri(),
        AIRFLOW__SOH__MIGRATION_CHUNK_PAGES="25",  # a small site still makes several mapped tasks
        SOH_CACHE_DIR=str(base / "spec-cache"),
    )
    # Sign-in as deployed: FAB's auth manager, the admin's password a secret from the environment.
    env["AIRFLOW__CORE__AUTH_MANAGER"] = "soh_onboarding.glue.access.OnboardingFabAuthManager"
    env["SOH_ADMIN_PASSWORD"] = secrets.token_urlsafe(18)
    return env


def sync_access(env: dict[str, str], home: Path) -> str:
    """What airflow-init runs at each deploy: the roles and logins from the specs, the admin from its secret.
    The new logins' first passwords are kept in home/passwords.json, with the admin's, for the tests."""
    passwords = home / "passwords.json"
    command = [sys.executable, "-m", "soh_onboarding", "access-sync", "--admin-password-env", "SOH_ADMIN_PASSWORD"]
    done = subprocess.run(
        [*command, "--passwords", str(passwords)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"access-sync failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    known = json.loads(passwords.read_text()) | {"admin": env["SOH_ADMIN_PASSWORD"]}
    passwords.write_text(json.dumps(known))
    return done.stdout


def airflow_command(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "airflow"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@contextmanager
def start_topology(base: Path, sandbox_pages: int = 60) -> Iterator[Cluster]:
    """PostgreSQL, Redis, the git origin, the sandbox and the Airflow services; everything stops on exit."""
    services: dict[str, Process] = {}
    with ExitStack() as stack:
        base_env = {
            key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "PYTEST", "SOH_GOLIVE_"))
        }
        passwords = {"postgres": secrets.token_hex(16), "redis": secrets.token_hex(16)}
        database = start_postgres(base, passwords["postgres"], stack, base_env)
        stack.callback(lambda: [service.stop() for service in reversed(services.values())])  # before PostgreSQL
        services["redis"], broker = start_redis(base, passwords["redis"], base_env)
        make_origin(base / "origin")
        api_port = free_port()
        platform_port, edge_port = free_port(), free_port()
        env = airflow_environment(base, api_port, database, broker, platform_port, edge_port)
        # The sandbox ingress (the platform's DNS and TLS ingress): the go-live checks are pointed at it.
        ingress_ports = {name: free_port() for name in ("dns", "http", "https")}
        env.update(
            SOH_GOLIVE_RESOLVER=f"127.0.0.1:{ingress_ports['dns']}",
            SOH_GOLIVE_HTTP_PORT=str(ingress_ports["http"]),
            SOH_GOLIVE_HTTPS_PORT=str(ingress_ports["https"]),
            SOH_GOLIVE_CA_BUNDLE=str(base / "ingress" / "ca.pem"),
        )
        airflow_command(env, "db", "migrate")
        airflow_command(env, "pools", "import", str(ROOT / "config" / "pools.json"))
        sync_access(env, base / "airflow-home")

        sandbox_port = free_port()
        sandbox = [sys.executable, "-m", "sandbox", "legacy-site", "--quiet"]
        sandbox += ["--pages", str(sandbox_pages), "--port", str(sandbox_port)]
        services["sandbox"] = Process("sandbox", sandbox, base / "sandbox.log", env)
        platform = [sys.executable, "-m", "sandbox", "platform", "--quiet"]
        platform += ["--port", str(platform_port), "--data", str(base / "platform.sqlite3")]
        token = json.loads(env["AIRFLOW_CONN_SOH_PLATFORM"])["password"]
        platform_env = {**env, "SOH_SANDBOX_PLATFORM_TOKEN": token}  # the sandbox reads its token from there
        services["sandbox-platform"] = Process(
            "sandbox-platform", platform, base / "sandbox-platform.log", platform_env
        )
        edge = [sys.executable, "-m", "sandbox", "edge", "--quiet", "--port", str(edge_port)]
        edge += ["--zones-from", str(ROOT / "onboarding_specs"), "--state", str(base / "edge.json")]
        edge_env = {**env, "SOH_SANDBOX_EDGE_TOKEN": json.loads(env["AIRFLOW_CONN_SOH_EDGE"])["password"]}
        services["sandbox-edge"] = Process("sandbox-edge", edge, base / "sandbox-edge.log", edge_env)
        ingress = [
            sys.executable,
            "-m",
            "sandbox",
            "ingress",
            "--quiet",
            "--dir",
            str(base / "ingress"),
        ]
        ingress += ["--platform-port", str(platform_port), "--data", str(base / "platform.sqlite3")]
        ingress += ["--edge-state", str(base / "edge.json")]
        ingress += [f"--{name}-port={port}" for name, port in ingress_ports.items()]
        services["sandbox-ingress"] = Process("sandbox-ingress", ingress, base / "sandbox-ingress.log", env)

        airflow = str(VENV_BIN / "airflow")
        services["api-server"] = Process(
            "api-server", [airflow, "api-server", "--port", str(api_port)], base / "api-server.log", env
        )
        for name in ("scheduler", "dag-processor", "triggerer"):
            services[name] = Process(name, [airflow, name], base / f"{name}.log", env)
        worker = [airflow, "celery", "worker", "--concurrency", "2", "--queues", "default"]
        worker += ["--celery-hostname", f"{WORKER_HOST}@%h"]
        if _can_unshare():  # a host name of its own, as a worker on another machine has
            worker = ["unshare", "--uts", "sh", "-c", f'hostname {WORKER_HOST} && exec "$@"', "worker", *worker]
        services["celery-worker"] = Process("celery-worker", worker, base / "celery-worker.log", env)

        cluster = Cluster(f"http://127.0.0.1:{api_port}", base / "airflow-home", services, base)
        cluster.sandbox_port = sandbox_port
        cluster.env = env
        platform = json.loads(env["AIRFLOW_CONN_SOH_PLATFORM"])["password"]
        cluster.secrets = {
            **passwords,
            "platform token": platform,
            "edge token": json.loads(env["AIRFLOW_CONN_SOH_EDGE"])["password"],
            "Fernet key": env["AIRFLOW__CORE__FERNET_KEY"],
            "JWT secret": env["AIRFLOW__API_AUTH__JWT_SECRET"],
            "API secret key": env["AIRFLOW__API__SECRET_KEY"],
            "admin password": env["SOH_ADMIN_PASSWORD"],
        }
        cluster.wait_for(
            "the API server", lambda: requests.get(f"{cluster.url}/api/v2/monitor/health", timeout=5).ok, 300
        )
        cluster.login()
        yield cluster
