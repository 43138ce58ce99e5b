"""The charging DAGs in real Airflow: their shape, a dag.test() of each, and the Asset link in a running
Airflow (bin/run): marking a force live schedules charging_model, which emits soh://charging/model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from airflow_server import Airflow, start_airflow
from conftest import ROOT, copy_specs
from soh_onboarding.artifacts import safe_name


def _bag() -> DagBag:
    return DagBag(dag_folder=str(ROOT / "dags" / "charging.py"), safe_mode=True)


def test_the_charging_dags_are_wired_to_the_assets() -> None:
    bag = _bag()
    assert bag.import_errors == {}
    charging = bag.dags["charging_model"]
    assert charging.dag_display_name == "SOH charging model"
    assert charging.timetable.asset_condition.uri == "soh://platform/live-forces"
    [compute] = charging.tasks
    assert [outlet.uri for outlet in compute.outlets] == ["soh://charging/model"]
    scenario = charging.params.get_param("scenario")
    assert scenario.value == "all"
    assert scenario.schema["enum"] == ["all", "proof-of-concept", "base-case", "live-2021-03", "all-forces", "live"]
    assert scenario.schema["title"] == "Scenario" and scenario.schema["section"] == "The model"
    [mark] = bag.dags["mark_force_live"].tasks
    assert [outlet.uri for outlet in mark.outlets] == ["soh://platform/live-forces"]


@pytest.mark.slow
def test_mark_live_then_charging_with_dag_test(airflow_db: Path, artifact_root: Path) -> None:
    bag = _bag()
    run = bag.dags["mark_force_live"].test(run_conf={"force": "hampshire", "live_date": None})
    assert run.state == "success"
    register = json.loads((artifact_root / "platform" / "live-forces.json").read_text())
    assert register["forces"]["hampshire"]["live_date"] == "2019-04-01"  # the spec's charging.live_from

    run = bag.dags["charging_model"].test(run_conf={"scenario": "live"})
    assert run.state == "success"
    folder = artifact_root / "platform" / safe_name(run.run_id) / "charging"
    summary = json.loads((folder / "summary.json").read_text())
    years = summary["scenarios"]["live"]["years"]
    assert {y["forces_live"] for y in years} == {1}  # Hampshire alone pays it all
    assert years[0]["charged"]["total"] == "3353000.00"
    assert json.loads((folder / "quality.json").read_text())["success"]


@pytest.mark.slow
def test_an_unknown_force_cannot_be_marked_live(airflow_db: Path) -> None:
    run = _bag().dags["mark_force_live"].test(run_conf={"force": "nowhere"})
    assert run.state == "failed"


# --- the Asset link in a running Airflow -------------------------------------------------------


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    base = tmp_path_factory.mktemp("charging-airflow")
    specs = copy_specs(base / "specs")
    with start_airflow(base, specs) as airflow:
        yield airflow


def _runs(airflow: Airflow, dag_id: str) -> list[dict]:
    return airflow.get(f"/dags/{dag_id}/dagRuns")["dag_runs"]


def _events(airflow: Airflow, uri: str) -> list[dict]:
    return [e for e in airflow.get("/assets/events?limit=100")["asset_events"] if e["uri"] == uri]


@pytest.mark.slow
def test_marking_a_force_live_triggers_the_charging_model(airflow: Airflow) -> None:
    airflow.wait_for(
        "the charging DAGs", lambda: airflow.get("/dags/charging_model") and airflow.get("/dags/mark_force_live")
    )
    run_id = airflow.trigger("mark_force_live", {"force": "thames-valley", "live_date": "2024-07-01"})
    assert airflow.wait_for_run("mark_force_live", run_id) == "success"
    [live_event] = airflow.wait_for("the live-forces event", lambda: _events(airflow, "soh://platform/live-forces"))
    assert live_event["extra"]["force"] == "thames-valley" and live_event["extra"]["live_date"] == "2024-07-01"

    def asset_triggered() -> list[dict]:
        return [r for r in _runs(airflow, "charging_model") if r["run_type"] == "asset_triggered"]

    [charging_run] = airflow.wait_for("an asset-triggered charging run", asset_triggered, 180)
    assert airflow.wait_for_run("charging_model", charging_run["dag_run_id"]) == "success"
    [model_event] = airflow.wait_for("the charging model event", lambda: _events(airflow, "soh://charging/model"))
    extra = model_event["extra"]
    assert extra["host_force"] == "metropolitan"
    live = extra["scenarios"]["live"]
    assert live["2023/24"]["forces_live"] == 0 and live["2023/24"]["gap"] == live["2023/24"]["cost"]
    assert live["2024/25"]["forces_live"] == 1 and live["2024/25"]["gap"] == "0.00"  # Thames Valley from July 2024
    assert extra["scenarios"]["base-case"]["2021/22"]["host"] == "1400000.00"
    folder = Path(extra["folder"].removeprefix("file://"))
    assert (folder / "report.html").is_file() and (folder / "charges.csv").is_file()


@pytest.mark.slow
def test_the_charging_model_runs_by_hand_with_a_scenario(airflow: Airflow) -> None:
    run_id = airflow.trigger("charging_model", {"scenario": "proof-of-concept"})
    assert airflow.wait_for_run("charging_model", run_id) == "success"
    events = [
        e for e in _events(airflow, "soh://charging/model") if list(e["extra"]["scenarios"]) == ["proof-of-concept"]
    ]
    assert events and events[0]["extra"]["scenarios"]["proof-of-concept"]["2019/20"]["host"] == "1400000.00"
