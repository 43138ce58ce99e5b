"""`python -m soh_onboarding access-sync` on a fresh Airflow database with FAB's auth manager (no server)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, copy_specs

pytestmark = pytest.mark.slow


def run(home: Path, specs: Path, command: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "SOH_"))}
    env |= {"AIRFLOW_HOME": str(home), "SOH_SPECS_DIR": str(specs), "SOH_CACHE_DIR": str(home / "cache"), **extra}
    script = f"source bin/airflow-env && {command}"
    return subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("sync") / "airflow-home"
    copy_specs(home.parent / "specs", "demo.yaml")
    specs = home.parent / "specs"
    done = run(home, specs, "airflow db migrate")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return home


LIST_USERS = """
import json
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
with get_application_builder() as builder:
    found = {u.username: [bool(u.active), sorted(r.name for r in u.roles)] for u in builder.sm.get_all_users()}
print("USERS " + json.dumps(found))
"""


def users(home: Path) -> dict[str, list]:
    """Every login as FAB's database holds it: user name -> [active, role names]."""
    script = home.parent / "list_users.py"
    script.write_text(LIST_USERS)
    done = run(home, home.parent / "specs", f"python {script}")
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("USERS "))
    return json.loads(line.removeprefix("USERS "))


def test_the_admin_password_comes_from_the_environment_and_has_no_default(home: Path) -> None:
    specs = home.parent / "specs"
    missing = run(home, specs, "python -m soh_onboarding access-sync --admin-password-env SOH_ADMIN_PASSWORD")
    assert missing.returncode == 2 and "there is no default password" in missing.stderr
    assert "Traceback" not in missing.stderr
    short = run(home, specs, "python -m soh_onboarding access-sync --admin-password-env P", P="admin")
    assert short.returncode == 2 and "12 characters" in short.stderr


def test_a_clear_error_without_fabs_auth_manager(home: Path) -> None:
    simple = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
    done = run(home, home.parent / "specs", "python -m soh_onboarding access-sync", AIRFLOW__CORE__AUTH_MANAGER=simple)
    assert done.returncode == 2 and "not FAB's" in done.stderr and "Traceback" not in done.stderr


def test_a_broken_national_team_file_is_a_clear_error(home: Path) -> None:
    bad = home.parent / "access.yaml"
    bad.write_text("national_team: [nobody]\n")
    done = run(home, home.parent / "specs", f"python -m soh_onboarding access-sync --config {bad}")
    assert done.returncode == 2 and "a name and an email" in done.stderr and "Traceback" not in done.stderr


def test_the_sync_is_idempotent_and_leaves_hand_made_logins_alone(home: Path) -> None:
    specs = home.parent / "specs"
    made = run(
        home,
        specs,
        "airflow users create --username auditor@example.org --firstname Ann --lastname Auditor "
        "--email auditor@example.org --role Viewer --password 'a long enough password'",
    )
    assert made.returncode == 0, made.stderr[-2000:]
    sync = "python -m soh_onboarding access-sync --admin-password-env SECRET"
    first = run(home, specs, sync, SECRET="a secret of the deployment")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "user created: dpo@demoshire.police.example (Force demo, Force demo approvers)" in first.stdout
    assert "first passwords of the new logins" in first.stdout  # shown once, to hand over
    second = run(home, specs, sync, SECRET="a secret of the deployment")
    assert second.returncode == 0 and "nothing to change" in second.stdout, second.stdout
    found = users(home)
    assert found["auditor@example.org"] == [True, ["Viewer"]]  # not named in a spec, not ours: untouched
    assert found["admin"] == [True, ["Admin"]]
    assert found["dpo@demoshire.police.example"] == [True, ["Force demo", "Force demo approvers", "Onboarding sync"]]
