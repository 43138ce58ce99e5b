"""An empty or shrunken migration fails its checks.

A legacy site that is down, or whose address the crawler refuses, once gave a migration with no page that
passed every check. Here the real sandbox legacy site, on 127.0.0.1, runs each way it can go wrong.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import DEMO, demo_on_legacy_site, soh
from sandbox.legacy_site import LegacySite, start
from soh_onboarding.migration import pipeline
from soh_onboarding.migration.quality import PreviousMigration

QUIET = lambda _line: None  # noqa: E731


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_spec(folder: Path, address: str, *, private: bool = True) -> Path:
    """The demo spec fetching its legacy site from `address`, crawled quickly; `private=False` leaves the
    crawler's address guard on, which refuses the sandbox's loopback address."""
    text = demo_on_legacy_site(DEMO.read_text(encoding="utf-8"), address)
    text = text.replace("requests_per_second: 20", "requests_per_second: 50", 1)
    if not private:
        text = text.replace("allow_private_addresses: true", "allow_private_addresses: false", 1)
    folder.mkdir(parents=True, exist_ok=True)
    spec_file = folder / "demo.yaml"
    spec_file.write_text(text, encoding="utf-8")
    return spec_file


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def down(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`migrate` with the legacy site down: nothing listens on its port."""
    base = tmp_path_factory.mktemp("down")
    spec_file = demo_spec(base, f"127.0.0.1:{free_port()}")
    out = base / "out"
    return soh("migrate", str(spec_file), "--out", str(out), "--store", str(base / "store"), "--json"), out


def test_a_legacy_site_that_is_down_fails_the_migration(down) -> None:
    done, out = down
    assert done.returncode == 1, done.stderr[-2000:]
    assert json.loads(done.stdout)["pages_migrated"] == 0
    assert "- the migration has pages: no page was migrated" in done.stderr
    assert "1 of them could not be fetched, e.g. http://www.demoshire-police.example/ (" in done.stderr
    assert "migrate: FAILED (report: " in done.stderr and "Traceback" not in done.stderr
    assert summary(out)["quality_passed"] is False
    assert "no page was migrated" in (out / "migration-report.md").read_text(encoding="utf-8")


def test_a_refused_base_url_fails_the_migration(tmp_path: Path) -> None:
    with start(LegacySite(50, seed=2, fault_rate=0, slow_ms=0)) as running:
        spec_file = demo_spec(tmp_path, running.host, private=False)
        done = soh("migrate", str(spec_file), "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"))
    assert done.returncode == 1, done.stdout[-2000:]
    assert "- the migration has pages: no page was migrated" in done.stderr
    assert "could not be fetched, e.g. http://www.demoshire-police.example/ (refused: " in done.stderr
    assert "loopback" in done.stderr
    assert summary(tmp_path / "out")["quality_passed"] is False


def test_a_recrawl_that_finds_far_fewer_pages_than_the_previous_run_fails(tmp_path: Path) -> None:
    """The previous run is the force's latest passing migration in the artifact store (--store here, the
    DAG's store in Airflow): run 1 passes with the whole site, run 2 of a site that lost most of it fails."""
    store = tmp_path / "store"
    first, second = store / "demo" / "run-1" / "migration", store / "demo" / "run-2" / "migration"
    with start(LegacySite(150, seed=3, fault_rate=0, slow_ms=0)) as whole:
        data = yaml.safe_load(demo_spec(tmp_path / "one", whole.host).read_text(encoding="utf-8"))
        assert pipeline.migrate(data, first, progress=QUIET).quality_passed
    before = summary(first)["pages_migrated"]
    with start(LegacySite(50, seed=3, fault_rate=0, slow_ms=0)) as shrunk:
        spec_file = demo_spec(tmp_path / "two", shrunk.host)
        done = soh("migrate", str(spec_file), "--out", str(second), "--store", str(store))
        # A trial run stopped at its page limit found all it was allowed to: it is not compared.
        small = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
        reference = pipeline.previous_migration(store, "demo")
        trial = pipeline.migrate(small, tmp_path / "trial", max_pages=10, previous=reference, progress=QUIET)
        assert trial.quality_passed and trial.pages_migrated < reference.pages / 2, trial.quality
    after = summary(second)["pages_migrated"]
    assert 0 < after < before / 2
    assert done.returncode == 1, done.stdout[-3000:]
    assert (
        f"- pages lost since the previous migration within the spec's threshold: {after} pages, "
        f"{(1 - after / before) * 100:.3g}% fewer than the {before} of the previous migration "
        f"({first / 'summary.json'}); the spec allows 50% fewer (content_mapping.max_page_loss_share)"
    ) in done.stderr
    assert "the migration has pages" not in done.stderr  # it has some: only the loss fails
    assert summary(second)["quality_passed"] is False
    # A failed migration is never the reference (it would lower the bar for the next run): run 1 still is.
    assert pipeline.previous_migration(store, "demo") == PreviousMigration(before, str(first / "summary.json"))
