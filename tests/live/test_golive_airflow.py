"""The go-live DAGs in real Airflow (dag.test() on SQLite) against the tests' DNS server and TLS ingress:
the daily checks of live forces, which alert on a regression and feed the dashboard's summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from airflow.dag_processing.dagbag import DagBag
from golive_servers import GOOD_MAP, SECURE_HEADERS, golive_env, run_folder, spec_for, standard_world

from conftest import ROOT
from soh_onboarding import dashboard
from soh_onboarding.golive import decision
from soh_onboarding.live import register as liveforces


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    with standard_world(tmp_path_factory.mktemp("golive-airflow")) as running:
        yield running


def _bag(name: str) -> DagBag:
    return DagBag(dag_folder=str(ROOT / "dags" / name), safe_mode=True)


def test_the_daily_checks_dag_is_wired() -> None:
    bag = _bag("live_site_checks.py")
    assert bag.import_errors == {}
    dag = bag.dags["live_site_checks"]
    assert dag.dag_display_name == "Live forces: daily site checks"
    assert dag.timetable.expression == "0 0 * * *"
    assert [t.task_id for t in dag.topological_sort()] == ["live_forces", "check", "summarise"]


def test_the_daily_checks_alert_on_a_regression(
    world, airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "demo.yaml").write_text(yaml.safe_dump(spec_for(["good.example"], ["old.good.example"]), sort_keys=False))
    for name, value in golive_env(world).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIRFLOW__SOH__ARTIFACT_STORE", store.as_uri())
    monkeypatch.setenv("SOH_SPECS_DIR", str(specs))
    # demo went live through the go-live phase: its run's redirect map is what the checks re-check daily
    run = run_folder(store / "demo", GOOD_MAP)
    liveforces.mark_live(store, "demo", date(2026, 6, 1), "test")
    approved = decision.Decision("Go live", "", "Sam Okafor (sam@x)", "2026-06-01T10:00:00+00:00", "manual__1")
    decision.record_live(store / "demo", run, approved, {"force": "demo", "checks": []}, "2026-06-01", {})
    liveforces.mark_live(store, "no-spec-force", date(2026, 6, 1), "test")

    dag = _bag("live_site_checks.py").dags["live_site_checks"]
    assert dag.test().state == "success"
    summary = json.loads((store / "platform" / "monitoring.json").read_text())
    assert summary["alerts"] == []
    assert summary["forces"]["demo"]["status"] == "pass"
    assert summary["forces"]["demo"]["counts"]["fail"] == 0

    ingress = world[0]
    ingress.sites["good.example"].headers.pop("Strict-Transport-Security")  # someone removes HSTS
    try:
        assert dag.test().state == "failed"  # the alert
        summary = json.loads((store / "platform" / "monitoring.json").read_text())
        assert summary["alerts"] == ["demo"]
        assert "hsts:good.example:hsts-missing" in summary["forces"]["demo"]["new_regressions"]
        assert "security-headers:good.example:hsts-not-implemented" in summary["forces"]["demo"]["new_regressions"]
        # the operators' dashboard shows it, with the day's checklist one link away
        (row,) = dashboard.live_check_rows(store, ["demo", "no-spec-force"])
        assert row.slug == "demo" and not row.ok and "hsts:good.example:hsts-missing" in row.new
        assert (store / row.result).is_file()
        # the next day it is still open, but not new: no second alert for the same fault
        assert dag.test().state == "success"
        latest = json.loads((store / "demo" / "monitoring" / "latest.json").read_text())
        assert latest["new_regressions"] == []
        assert "hsts:good.example:hsts-missing" in latest["open_regressions"]
    finally:
        ingress.sites["good.example"].headers["Strict-Transport-Security"] = SECURE_HEADERS["Strict-Transport-Security"]
    assert dag.test().state == "success"
    latest = json.loads((store / "demo" / "monitoring" / "latest.json").read_text())
    assert "hsts:good.example:hsts-missing" in latest["fixed"]
