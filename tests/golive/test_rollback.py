"""The way back after go-live (golive/rollback.py): after a real switch in the sandboxes (the edge through the
official Cloudflare library, the platform through its API), a rollback restores the old domains' DNS and the
edge's redirects exactly as they were before the switch, puts the tenant back in preview and the force live
until the day, so the charging model no longer charges it after; a second rollback changes nothing."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
import yaml

from conftest import DEMO
from sandbox.edge.server import SandboxEdge
from sandbox.edge.server import start as start_edge
from sandbox.platform import SandboxPlatform
from sandbox.platform import start as start_platform
from sandbox.platform.scenarios import configured_tenant
from soh_onboarding.charging import arithmetic
from soh_onboarding.edge import run as edge_run
from soh_onboarding.edge.cloudflare import CloudflareEdge, EdgeCredentials
from soh_onboarding.golive import decision, rollback
from soh_onboarding.live import register
from soh_onboarding.provisioning.client import Credentials, PlatformClient

TOKEN = "rollback-token"
OLD = ("www.demoshire-police.example", "demoshire-police.example")


def end_state(edge: SandboxEdge) -> dict:
    """What the edge holds, without ids and times (the same for two states that match)."""
    data = edge.store.data
    records = sorted(
        (r["name"], r["type"], r["content"], r["proxied"], r["ttl"], r["comment"] or "")
        for r in data["records"].values()
    )
    items = sorted(
        (item["redirect"]["source_url"], item["redirect"]["target_url"])
        for items in data["items"].values()
        for item in items.values()
    )
    rules = sorted(
        (ruleset["phase"], rule["ref"], rule["expression"])
        for ruleset in data["rulesets"].values()
        if isinstance(ruleset, dict)
        for rule in ruleset["rules"]
    )
    return {"records": records, "items": items, "rules": rules}


def a_go_live_run(store: Path) -> Path:
    run = store / "demo" / "run-1"
    migration = run / "migration"
    migration.mkdir(parents=True)
    with (migration / "redirects.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["old_url", "new_url", "type"])
        writer.writerow([f"http://{OLD[0]}/news/a.aspx", "https://demo.soh.localhost/news/a/", "redirect"])
        writer.writerow([f"http://{OLD[0]}/search.aspx?q=1", "https://demo.soh.localhost/search/", "redirect"])
        writer.writerow([f"http://{OLD[0]}/old.aspx", "", "archive"])
    return run


@pytest.fixture
def switched(tmp_path: Path):
    """The demo force provisioned at the edge (the legacy site's records still on its old domains), then
    switched live: the edge's DNS, the platform's state, the register and the go-live record."""
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    store = tmp_path / "store"
    run = a_go_live_run(store)
    edge = SandboxEdge(zones=["soh.localhost", "demoshire-police.example"])
    zone = edge.store.zones("demoshire-police.example")[0]["id"]
    edge.store.create_record(zone, {"name": OLD[0], "type": "CNAME", "content": "legacy.host.example", "ttl": 300})
    edge.store.create_record(zone, {"name": OLD[1], "type": "A", "content": "203.0.113.10", "comment": "legacy"})
    platform = SandboxPlatform(tmp_path / "platform.sqlite3", token=TOKEN)
    configured_tenant(platform, "demo", ("demo.soh.localhost",), state="preview")
    with start_edge(edge) as edge_served, start_platform(platform) as served:
        cloudflare = CloudflareEdge.connect(EdgeCredentials(edge.account_id, edge.token, edge_served.api_url))
        edge_run.provision(cloudflare, spec, run / "migration", run / "provisioning", live=False, progress=print)
        before = end_state(edge)
        edge_run.provision(cloudflare, spec, run / "migration", run / "go_live", live=True, progress=print)
        with PlatformClient(Credentials(served.url, TOKEN)) as client:
            assert client.set_state("demo", "live")["state"] == "live"
            register.mark_live(store, "demo", date(2026, 6, 1), "go-live")
            approved = decision.Decision("Go live", "", "Sam Okafor (sam@x)", "2026-06-01T10:00:00+00:00", "run-1")
            decision.record_live(store / "demo", run, approved, {"force": "demo"}, "2026-06-01", {})
            yield spec, store, run, edge, cloudflare, client, before


def test_a_rollback_restores_the_edge_exactly_and_a_second_changes_nothing(switched) -> None:
    spec, store, run, edge, cloudflare, client, before = switched
    assert end_state(edge) != before, "the switch moved the old domains' DNS"
    assert "legacy.host.example" not in str(end_state(edge)["records"])
    chose = rollback.RollbackDecision(rollback.ROLL_BACK, "broken search", "Jordan Ellis (j@x)", "now", "broken search")
    assert "back to the legacy site's records" in rollback.summary(store, "demo", spec)

    first = rollback.roll_back(store, "demo", spec, client, chose, date(2026, 12, 4), edge=cloudflare)
    assert end_state(edge) == before, "DNS, redirect list and rules exactly as before the switch"
    assert len(first["edge"]["records_restored"]) == 4  # our A on each old domain deleted, the 2 legacy back
    assert client.get_tenant("demo")["state"] == "preview"
    [entry] = register.live_forces(store)
    assert (entry.live_date, entry.live_until, entry.live) == (date(2026, 6, 1), date(2026, 12, 4), False)
    assert register.live_forces(store, rolled_back=False) == [], "the monitoring stops"

    again = rollback.roll_back(store, "demo", spec, client, chose, date(2026, 12, 4), edge=cloudflare)
    assert again["edge"]["records_restored"] == [] and again["edge"]["edge_written"] == 0
    assert again["register"]["changed"] is False and end_state(edge) == before
    attempts = (run / "rollback" / "rollback.json").read_text(encoding="utf-8")
    assert attempts.count('"day": "2026-12-04"') == 2 and "broken search" in attempts


def test_the_charging_model_stops_charging_after_the_rollback_day() -> None:
    year = arithmetic.FinancialYear("2026/27")
    assert year.months_live(date(2026, 6, 1)) == 10  # June to March
    assert year.months_live(date(2026, 6, 1), date(2026, 12, 4)) == 7, "June to December, not January on"
    assert arithmetic.FinancialYear("2027/28").months_live(date(2026, 6, 1), date(2026, 12, 4)) == 0


def test_a_force_not_live_or_without_a_record_of_its_old_records_is_refused(switched, tmp_path: Path) -> None:
    spec, store, run, _edge, cloudflare, client, _before = switched
    chose = rollback.RollbackDecision(rollback.ROLL_BACK, "", "Jordan Ellis (j@x)", "now")
    with pytest.raises(rollback.RollbackError, match="no approved go-live"):
        rollback.roll_back(tmp_path / "empty", "demo", spec, client, chose, date(2026, 12, 4), edge=cloudflare)
    (run / "go_live" / edge_run.BEFORE_SWITCH).unlink()
    with pytest.raises(rollback.RollbackError, match="restore them by hand"):
        rollback.roll_back(store, "demo", spec, client, chose, date(2026, 12, 4), edge=cloudflare)
    assert register.live_forces(store, rolled_back=False)[0].slug == "demo", "nothing changed when the edge refused"
