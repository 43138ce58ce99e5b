"""Test set-up: a private Airflow home per test session, and helpers to write spec files.

Airflow reads its configuration when first imported, so the environment is set here, before any test
module imports it. Tests use real Airflow (DagBag, dag.test() on SQLite), never mocks of it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "onboarding_specs"
DEMO = SPECS / "demo.yaml"
DATA = ROOT / "tests" / "data"
"""Bad and labelled inputs the tests read (tests/data/README.md files say where each came from)."""

_home = Path(tempfile.mkdtemp(prefix="soh-airflow-test-"))
os.environ["AIRFLOW_HOME"] = str(_home)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__SOH__ARTIFACT_STORE"] = (_home / "artifacts").as_uri()
os.environ["SOH_CACHE_DIR"] = str(_home / "spec-cache")
os.environ.pop("SOH_SPECS_DIR", None)


def airflow_env(**extra: str) -> dict[str, str]:
    """The environment for an `airflow` command or a Python subprocess under the test Airflow home."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "plugins"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def run_python(
    *args: str, cwd: Path = ROOT, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` (a module or a script) as a user runs it: a separate process, output captured; `env`
    adds to (or blanks) its environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=airflow_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def soh(
    *args: str, cwd: Path = ROOT, module: str = "soh_onboarding", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m soh_onboarding ARGS` as a user runs it: a separate process, output captured."""
    return run_python("-m", module, *args, cwd=cwd, env=env)


def run_sandbox(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m sandbox ARGS` from the project's root, as bin/run starts the sandbox's servers."""
    return soh(*args, module="sandbox")


def copy_specs(folder: Path, *names: str) -> Path:
    """Copies of the project's specs in `folder` (created), for tests that change or break them: the
    files named (e.g. "demo.yaml"), or all of them."""
    folder.mkdir(parents=True, exist_ok=True)
    for spec_file in [SPECS / name for name in names] or SPECS.glob("*.yaml"):
        (folder / spec_file.name).write_bytes(spec_file.read_bytes())
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (`playwright install` cannot run here)."""
    from playwright.sync_api import sync_playwright

    from soh_onboarding.accessibility.audit import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: bin/test installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


#: Where the demo spec fetches its legacy site's public names from: the sandbox legacy site bin/run starts.
DEMO_LEGACY_ADDRESS = "127.0.0.1:8081"


def demo_on_legacy_site(text: str, address: str) -> str:
    """The demo spec's text with its legacy site fetched from `address` (host:port of a sandbox legacy site
    a test started) instead of bin/run's: only the legacy_site.crawl.connect_to targets change; the public
    names (base_url, sitemaps, old domains, the redirect map) and the rest of the text stay as they are."""
    moved, count = re.subn(
        rf"(?m)^(\s+[a-z0-9.:-]+:[ \t]+){re.escape(DEMO_LEGACY_ADDRESS)}[ \t]*$", rf"\g<1>{address}", text
    )
    if not count:
        raise AssertionError(f"the demo spec fetches nothing from {DEMO_LEGACY_ADDRESS}: no connect_to target to move")
    return moved


def undocumented_fields(schema: dict, root: str) -> list[str]:
    """Fields of a JSON Schema without a description: the schemas are the manuals of their files."""
    missing: list[str] = []

    def walk(node: dict, where: str) -> None:
        for name, sub in node.get("properties", {}).items():
            if name != "$schema" and "description" not in sub:
                missing.append(f"{where}.{name}")
            walk(sub, f"{where}.{name}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}[]")

    walk(schema, root)
    return missing


def airflow_cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    return subprocess.run(command, env=airflow_env(**extra), capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """An Airflow metadata database (SQLite) migrated once for the session."""
    done = airflow_cli("db", "migrate")
    assert done.returncode == 0, done.stderr[-3000:]
    return _home


@pytest.fixture
def artifact_root() -> Path:
    return _home / "artifacts"


@pytest.fixture
def spec_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with copies of the project's specs, which the DAG factory reads instead of onboarding_specs/."""
    folder = copy_specs(tmp_path / "specs")
    monkeypatch.setenv("SOH_SPECS_DIR", str(folder))
    return folder


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 in a thread; yields the base URL 'http://127.0.0.1:<port>'."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
