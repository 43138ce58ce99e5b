"""An empty or shrunken migration fails its checks, and pruning never empties a tenant by mistake.

A legacy site that is down, or whose address the crawler refuses, once gave a migration with no page that
passed every check; `provision --prune` from it then deleted the tenant's pages and redirects. Here the
real sandbox legacy site and platform, on 127.0.0.1, run each way it can go wrong.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_provisioning import SPEC, TOKEN, client_for, make_migration

from conftest import DATA, DEMO, ROOT, airflow_env, demo_on_legacy_site, soh
from sandbox.legacy_site import LegacySite, start
from sandbox.platform import SandboxPlatform
from sandbox.platform import start as start_platform
from soh_onboarding import provisioning
from soh_onboarding.migration import pipeline
from soh_onboarding.migration.quality import PreviousMigration

HOSTILE = DATA / "hostile"
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


# --- pruning ------------------------------------------------------------------------------------


def passed(folder: Path, pages: int) -> Path:
    """The recorded outcome of a migration that passed its checks, as finish() writes it."""
    (folder / "summary.json").write_text(json.dumps({"pages_migrated": pages, "quality_passed": True}), "utf-8")
    return folder


def provision(spec_file: Path, run_dir: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "soh_onboarding", "provision", str(spec_file), "--from", str(run_dir), *extra]
    env = airflow_env(SOH_PLATFORM_URL=url, SOH_PLATFORM_TOKEN=TOKEN)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def live_tenant(tmp_path: Path) -> Iterator[tuple[SandboxPlatform, object, Path]]:
    """The demo tenant with a published site of 120 pages, 4 documents and 122 redirects."""
    platform = SandboxPlatform(tmp_path / "p.sqlite3", token=TOKEN)
    spec_file = tmp_path / "demo.yaml"
    spec_file.write_bytes(DEMO.read_bytes())
    with start_platform(platform) as running, client_for(running) as client:
        migration = passed(make_migration(tmp_path / "published"), 120)
        assert provisioning.provision(client, SPEC, migration, tmp_path / "out", progress=QUIET).ok
        yield running, client, spec_file


def content_of(client, tenant_id: str = "demo") -> dict[str, int]:
    """What the platform serves for the tenant, read back through its API."""
    return {kind: len(list(client.listing(tenant_id, kind))) for kind in ("pages", "assets", "redirects")}


FULL = {"pages": 120, "assets": 4, "redirects": 122}


def test_prune_from_an_empty_or_failed_migration_is_refused_and_the_tenant_keeps_its_content(
    live_tenant, down, tmp_path: Path
) -> None:
    running, client, spec_file = live_tenant
    assert content_of(client) == FULL
    # The legacy site was down: the migration now fails its checks, and provisioning refuses it.
    failed = provision(spec_file, down[1], running.url, "--prune")
    assert failed.returncode == 1 and "failed its quality checks" in failed.stderr, failed.stderr[-2000:]
    assert content_of(client) == FULL
    # The same empty migration as the old code recorded it ("all 11 migration checks passed", 0 pages).
    empty = shutil.copytree(HOSTILE / "empty-migration", tmp_path / "empty")
    for override in ((), ("--allow-large-prune",)):  # no override for an empty migration
        refused = provision(spec_file, empty, running.url, "--prune", *override)
        assert refused.returncode == 1, refused.stdout[-2000:]
        assert f"refusing to prune the tenant demo: the migration in {empty} has no page (summary.json)" in (
            refused.stderr
        )
        assert "Nothing was sent or removed." in refused.stderr and "Traceback" not in refused.stderr
        assert content_of(client) == FULL
    # Without its recorded outcome a migration is not trusted to prune either.
    unrecorded = make_migration(tmp_path / "unrecorded", pages=120)
    with pytest.raises(provisioning.PruneRefused, match=r"has no recorded outcome \(summary\.json\)"):
        provisioning.publish(client, "demo", unrecorded, prune=provisioning.Prune(allow_large=True), progress=QUIET)
    assert content_of(client) == FULL


def test_a_prune_over_the_share_is_refused_without_the_override_and_done_with_it(live_tenant, tmp_path) -> None:
    running, client, spec_file = live_tenant
    smaller = passed(make_migration(tmp_path / "smaller", pages=100, assets=3), 100)
    refused = provision(spec_file, smaller, running.url, "--prune")
    assert refused.returncode == 1, refused.stdout[-2000:]
    assert (
        "refusing to prune the tenant demo: it would remove 20 of 120 pages (16.7%), 1 of 4 documents and images "
        "(25%), 20 of 122 redirects (16.4%), over the limit of 10% of each (tenant.max_prune_share in the spec). "
        "Nothing was sent or removed. If these removals are intended, run again with --allow-large-prune."
    ) in refused.stderr
    assert content_of(client) == FULL

    done = provision(spec_file, smaller, running.url, "--prune", "--allow-large-prune", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["published"]["pages"]["deleted"] == 20
    assert content_of(client) == {"pages": 100, "assets": 3, "redirects": 102}

    # Within the spec's share a prune needs no override (and the share is the spec's to set).
    fewer = passed(make_migration(tmp_path / "fewer", pages=95, assets=3), 95)
    within = provision(spec_file, fewer, running.url, "--prune")
    assert within.returncode == 0, within.stderr[-2000:]
    assert content_of(client) == {"pages": 95, "assets": 3, "redirects": 97}
    strict = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    strict["tenant"]["max_prune_share"] = 0.0
    tight = passed(make_migration(tmp_path / "tight", pages=94, assets=3), 94)
    with pytest.raises(
        provisioning.PruneRefused,
        match=r"1 of 95 pages \(1\.05%\), 1 of 97 redirects \(1\.03%\), over the limit of 0% of each",
    ):
        provisioning.provision(client, strict, tight, tmp_path / "out", prune=True, progress=QUIET)
    assert content_of(client) == {"pages": 95, "assets": 3, "redirects": 97}
