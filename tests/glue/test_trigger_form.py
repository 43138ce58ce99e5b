"""The trigger form: its params (titles, descriptions, sections) and what the glue does with them."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowSkipException, ParamValidationError

from conftest import ROOT
from soh_onboarding.glue import options


def demo_dag():
    return DagBag(dag_folder=str(ROOT / "dags"), safe_mode=True).dags["onboard_demo"]


def test_every_param_has_a_title_a_description_and_a_section() -> None:
    params = demo_dag().params
    for name in params:
        schema = params.get_param(name).schema
        assert schema.get("title") and schema.get("description_md") and schema.get("section"), name
    phases = params.get_param("phases")
    assert phases.value == list(options.RUN_PHASES) == ["dpia", "migration", "provisioning", "accessibility", "go_live"]
    assert phases.schema["items"]["enum"] == list(options.RUN_PHASES)
    assert phases.schema["values_display"]["dpia"] == "DPIA and the DPO's sign-off"
    assert params["dry_run"] is False


def test_an_unknown_phase_is_refused_before_the_run_starts() -> None:
    params = copy.deepcopy(demo_dag().params)
    with pytest.raises(ParamValidationError, match="'publishing' is not one of"):
        params["phases"] = ["dpia", "publishing"]


def test_a_phase_not_chosen_is_skipped_saying_why() -> None:
    context = {"params": {"phases": ["migration"], "dry_run": False}}
    with pytest.raises(AirflowSkipException) as skipped:
        options.phase_gate("dpia", context)
    assert str(skipped.value) == (
        "Skipped: 'DPIA and the DPO's sign-off' was not chosen in this run's trigger form "
        "(phases chosen: Content migration)."
    )
    options.phase_gate("migration", context)  # chosen: goes on
    options.phase_gate("migration", {"params": {}})  # a run without the form runs every phase
    with pytest.raises(ValueError, match="unknown phase 'publishing'"):
        options.phase_gate("publishing", context)


def test_a_dry_run_skips_only_the_writes_to_the_outside_world(capsys: pytest.CaptureFixture[str]) -> None:
    dry = {"params": {"dry_run": True}}
    assert options.dry_run_skips(dry, "create the tenant demo on the platform") is True
    assert "Dry run: did not create the tenant demo on the platform." in capsys.readouterr().out
    assert options.dry_run_skips({"params": {"dry_run": False}}, "switch DNS") is False
    assert options.is_dry_run({}) is False


@pytest.mark.slow
def test_a_run_of_the_dpia_alone_skips_the_migration(airflow_db: Path, spec_dir: Path) -> None:
    run = demo_dag().test(
        run_conf={"phases": ["dpia"], "dry_run": True}, mark_success_pattern=r"dpia\.(dpo_decision|record)$"
    )
    assert run.state == "success"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["dpia.screen"] == "success"
    assert {states[task] for task in ("migration.crawl", "migration.plan", "migration.finish")} == {"skipped"}
    assert {states[task] for task in ("provisioning.tenant", "provisioning.publish")} == {"skipped"}
