"""docker-compose.yml, the Dockerfile and .env.example agree with each other and with what Airflow accepts.

`docker compose config` validates the file where Docker's compose plugin (or the standalone
docker-compose) is installed; it is not installed here by the tests, which then skip that check with a
message. The rest reads the files as compose would and needs no Docker.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
SECRETS = {
    "AIRFLOW_FERNET_KEY": "fernet-key",
    "AIRFLOW_JWT_SECRET": "jwt-secret",
    "AIRFLOW_API_SECRET_KEY": "api-secret",
    "POSTGRES_PASSWORD": "postgres-password",
    "REDIS_PASSWORD": "redis-password",
    "AIRFLOW_CONN_SOH_GIT": '{"conn_type": "git", "host": "https://git.example/soh.git", "password": "t"}',
    "AIRFLOW_CONN_SOH_PLATFORM": '{"conn_type": "http", "host": "https://platform.example", "password": "t"}',
    "AIRFLOW_CONN_SOH_EDGE": '{"conn_type": "http", "password": "t", "extra": {"account_id": "a"}}',
    "AIRFLOW_CONN_SOH_CMS": '{"conn_type": "http", "host": "cms.example", "login": "c", "password": "s"}',
    "SOH_ADMIN_PASSWORD": "admin-password",
}
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation of ${NAME}, ${NAME:-default} and ${NAME:?error}; `$$` is a literal `$`."""

    def value(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind == "?":
            raise KeyError(f"{name}: {rest}")
        return rest if kind == "-" else ""

    return VARIABLE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def compose_file(env: dict[str, str]) -> dict:
    """The file as compose reads it: YAML first (anchors and merge keys), then each value interpolated."""

    def walk(node: object) -> object:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return interpolate(node, env) if isinstance(node, str) else node

    return walk(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def variables() -> list[tuple[str, str, str]]:
    """Every ${NAME...} the compose file reads (`$${NAME}` is the container's own variable, not compose's)."""
    return VARIABLE.findall(COMPOSE.read_text(encoding="utf-8").replace("$$", ""))


def test_the_services_follow_airflow_s_compose_file_with_the_celery_executor() -> None:
    services = compose_file(SECRETS)["services"]
    assert {"postgres", "redis", "airflow-init", *AIRFLOW_COMMANDS} <= set(services)
    for name, command in AIRFLOW_COMMANDS.items():
        service = services[name]
        assert service["command"] == command
        assert service["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert service["image"] == services["airflow-init"]["image"], "every component runs the same image"
        assert {"redis", "postgres"} <= set(service["depends_on"])
        assert "soh-artifacts:/opt/airflow/artifacts" in service["volumes"], "the artifact store is shared"
    assert services["airflow-apiserver"]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert services["airflow-init"]["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"
    assert "pools import /opt/soh/config/pools.json" in services["airflow-init"]["command"][1]
    for sandbox in ("sandbox-legacy-site", "sandbox-platform"):
        assert services[sandbox]["profiles"] == ["sandbox"]
        assert services[sandbox]["network_mode"] == "service:airflow-worker", "the demo spec names 127.0.0.1"
    assert "profiles" not in services["airflow-worker"]


def test_dags_and_specs_come_from_a_git_bundle_airflow_accepts() -> None:
    env = compose_file(SECRETS)["services"]["airflow-dag-processor"]["environment"]
    [bundle] = json.loads(env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    module, _, name = bundle["classpath"].rpartition(".")
    bundle_class = getattr(importlib.import_module(module), name)
    accepted = set(inspect.signature(bundle_class.__init__).parameters) | {"refresh_interval"}
    assert set(bundle["kwargs"]) <= accepted
    assert bundle["kwargs"]["subdir"] == "dags" and bundle["kwargs"]["tracking_ref"] == "main"
    assert bundle["kwargs"]["git_conn_id"] == "soh_git" and "AIRFLOW_CONN_SOH_GIT" in env
    assert json.loads(env["AIRFLOW_CONN_SOH_PLATFORM"])["conn_type"] == "http"
    assert json.loads(env["AIRFLOW_CONN_SOH_EDGE"])["extra"]["account_id"] and env["SOH_ENVIRONMENT"] == "production"
    assert json.loads(env["AIRFLOW_CONN_SOH_CMS"])["login"]  # production's content is in Optimizely CMS


def test_secrets_are_required_from_the_environment_and_listed_in_env_example() -> None:
    required = {name for name, kind, _ in variables() if kind == "?"}
    assert required == set(SECRETS)
    for name in SECRETS:
        with pytest.raises(KeyError, match=name):
            compose_file({key: value for key, value in SECRETS.items() if key != name})
    documented = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    used = {name for name, _, _ in variables()}
    assert used - documented == set(), "every variable the compose file reads is described in .env.example"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_sign_in_is_fabs_auth_manager_with_no_default_password() -> None:
    """The deployment runs FAB's auth manager, never the simple one, and airflow-init syncs the logins with the
    admin's password from the environment (compose refuses to start without it: the test above)."""
    text = COMPOSE.read_text()
    assert "SIMPLE_AUTH_MANAGER" not in text and "admin:admin" not in text
    services = compose_file(SECRETS)["services"]
    for name in AIRFLOW_COMMANDS:
        environment = services[name]["environment"]
        assert environment["AIRFLOW__CORE__AUTH_MANAGER"] == "soh_onboarding.glue.access.OnboardingFabAuthManager"
    init = services["airflow-init"]
    assert "access-sync --admin-password-env SOH_ADMIN_PASSWORD" in " ".join(init["command"])
    assert init["environment"]["SOH_ADMIN_PASSWORD"] == "admin-password"


def test_the_image_extends_airflow_3_3_2_with_the_pinned_requirements_and_chromium() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG AIRFLOW_IMAGE=apache/airflow:3\.3\.2-python3\.11$", dockerfile, re.MULTILINE)
    assert "pip install --no-cache-dir -r /opt/soh/requirements-deploy.txt -c /opt/soh/constraints.txt" in dockerfile
    assert re.search(r"apt-get install .*\bchromium\b", dockerfile)
    assert "npm ci" in dockerfile, "the accessibility audit's engines (node/package-lock.json)"
    assert "npm ci --omit=dev" in dockerfile, "pa11y-ci and Puppeteer are benchmarks/audit.py's, not the image's"
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements-deploy.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    constraints = (ROOT / "constraints.txt").read_text().splitlines()
    for name, version in pins.items():
        assert f"{name}=={version}" in constraints
    assert "apache-airflow-providers-celery" in pins and "apache-airflow-providers-git" in pins


def compose_command() -> list[str] | None:
    """Docker's compose plugin, else the standalone docker-compose; None when neither is installed."""
    if shutil.which("docker"):
        done = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if done.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.fixture
def compose(tmp_path: Path) -> tuple[list[str], Path]:
    command = compose_command()
    if command is None:
        pytest.skip("docker compose is not installed here: `docker compose config` not run (the file is checked above)")
    env_file = tmp_path / "env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in SECRETS.items()))
    return [*command, "-f", str(COMPOSE), "--env-file", str(env_file)], env_file


def test_docker_compose_config_validates_the_file(compose: tuple[list[str], Path]) -> None:
    command, _ = compose
    done = subprocess.run([*command, "--profile", "sandbox", "config"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    expected = {"postgres", "redis", "airflow-init", "sandbox-legacy-site", "sandbox-platform", *AIRFLOW_COMMANDS}
    assert expected <= set(config["services"])
    environment = config["services"]["airflow-worker"]["environment"]
    assert json.loads(environment["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])[0]["name"] == "soh"


def test_docker_compose_refuses_to_start_without_a_secret(compose: tuple[list[str], Path]) -> None:
    command, env_file = compose
    env_file.write_text("".join(f"{name}={value}\n" for name, value in SECRETS.items() if name != "REDIS_PASSWORD"))
    env = {key: value for key, value in os.environ.items() if key not in SECRETS}
    done = subprocess.run([*command, "config"], capture_output=True, text=True, check=False, env=env)
    assert done.returncode != 0
    assert "REDIS_PASSWORD" in done.stderr
