"""`python -m soh_onboarding edge` as a user runs it, against the sandbox edge on 127.0.0.1: the dry run's
diff, the write, a second run that changes nothing, the go-live switch, and the errors."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from conftest import DEMO, ROOT, soh
from sandbox.edge.server import SandboxEdge, start, zones_in_specs


def edge_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return soh("edge", str(DEMO), *args, env=env)


@pytest.fixture
def migration(tmp_path: Path) -> Path:
    folder = tmp_path / "run" / "migration"
    folder.mkdir(parents=True)
    with (folder / "redirects.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["old_url", "type", "new_url"])
        writer.writerow(
            ["http://www.demoshire-police.example/news/a.aspx", "redirect", "https://demo.soh.localhost/news/a/"]
        )
        writer.writerow(["http://www.demoshire-police.example/old.aspx", "archive", ""])
        writer.writerow(
            ["http://www.demoshire-police.example/search.aspx?q=1", "redirect", "https://demo.soh.localhost/search/"]
        )
    return folder.parent


def test_dry_run_write_second_run_and_switch(migration: Path) -> None:
    sandbox = SandboxEdge(zones=zones_in_specs(ROOT / "onboarding_specs"))
    with start(sandbox) as running:
        env = {
            "SOH_EDGE_TOKEN": sandbox.token,
            "SOH_EDGE_ACCOUNT_ID": sandbox.account_id,
            "SOH_EDGE_URL": running.api_url,
        }
        dry = edge_cli("--from", str(migration), "--dry-run", **env)
        assert dry.returncode == 0, dry.stderr
        assert "+ dns demo.soh.localhost A: " in dry.stdout and "edge: would change" in dry.stdout
        assert "+ redirects www.demoshire-police.example/news/a.aspx" in dry.stdout
        assert "+ query-redirects www.demoshire-police.example rule soh_demo.redirect." in dry.stdout
        assert 'http.request.uri.query eq "q=1": https://demo.soh.localhost/search/' in dry.stdout
        assert "+ gone www.demoshire-police.example rule soh_demo.gone.1: block when" in dry.stdout
        assert "left with the origin" not in dry.stdout, "the edge holds every row"
        assert sandbox.store.data["records"] == {}, "a dry run writes nothing"

        wrote = edge_cli("--from", str(migration), **env)
        assert wrote.returncode == 0, wrote.stderr
        assert "edge: changed" in wrote.stdout
        assert sandbox.store.redirect_for("demoshire-police.example", "/news/a.aspx") == (
            301,
            "https://demo.soh.localhost/news/a/",
        )
        assert sandbox.store.answer_for("http", "demoshire-police.example", "/old.aspx", "")[0] == 410
        assert sandbox.store.answer_for("https", "www.demoshire-police.example", "/search.aspx", "q=1")[1] == {
            "Location": "https://demo.soh.localhost/search/"
        }
        again = edge_cli("--from", str(migration), **env)
        assert "edge: nothing to change for demo" in again.stdout and again.returncode == 0

        switched = edge_cli("--from", str(migration), "--live", "--json", **env)
        done = json.loads(switched.stdout)
        assert done["live"] and done["changes"] == {"dns": {"create": 2}}, done
        assert (migration / "provisioning" / "edge-switch.json").is_file()
        report = (migration / "provisioning" / "edge-report.html").read_text(encoding="utf-8")
        assert "<h1>The edge: Demoshire Police</h1>" in report and "Left with the origin" not in report
        assert "query-redirects" in report and "gone" in report
        assert [r["name"] for r in sandbox.store.data["records"].values()].count("www.demoshire-police.example") == 1


def test_missing_credentials_and_a_wrong_token_are_said(migration: Path) -> None:
    missing = edge_cli("--from", str(migration), **{k: "" for k in ("SOH_EDGE_TOKEN", "SOH_EDGE_ACCOUNT_ID")})
    assert missing.returncode == 2 and "set SOH_EDGE_TOKEN and SOH_EDGE_ACCOUNT_ID" in missing.stderr
    sandbox = SandboxEdge(zones=["soh.localhost", "demoshire-police.example"])
    with start(sandbox) as running:
        secret = "not-the-token-0123456789"
        env = {"SOH_EDGE_TOKEN": secret, "SOH_EDGE_ACCOUNT_ID": sandbox.account_id, "SOH_EDGE_URL": running.api_url}
        refused = edge_cli("--from", str(migration), **env)
    assert refused.returncode == 1 and "the edge refused the API token (403" in refused.stderr
    assert secret not in refused.stderr + refused.stdout and "Traceback" not in refused.stderr
