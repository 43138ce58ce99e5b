"""The phase registry: one list of phases from which the run folder, the trigger form, the DAG's task groups and
documentation, the dashboard and go-live's prerequisites are derived."""

from __future__ import annotations

import pytest

from soh_onboarding import artifacts, dashboard, phases
from soh_onboarding.glue import building, options
from soh_onboarding.golive import prereqs


def test_everything_derives_from_the_registry_in_the_order_of_the_flow() -> None:
    ids = [phase.id for phase in phases.PHASES]
    assert ids == ["spec", "dpia", "migration", "provisioning", "accessibility", "go_live"]
    assert list(artifacts.PHASES) == [*ids, "charging"]
    assert list(options.RUN_PHASES) == ids[1:]  # the spec check is not an operator's choice
    assert [step["title"] for step in building.STEPS][:2] == ["Check and snapshot the spec", "DPIA"]
    assert list(dashboard.PHASE_LABELS) == ids
    assert {report.path.split("/")[0] for report in dashboard.REPORTS} == {*ids[1:], "charging"}
    assert set(prereqs.ARTIFACTS) == {"dpia", "migration", "accessibility"}


def test_a_phase_unknown_to_the_registry_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown phase 'publishing'"):
        artifacts.RunFolder(tmp_path).phase("publishing")
    with pytest.raises(ValueError, match="unknown phase 'publishing'"):
        options.phase_gate("publishing", {"params": {}})


def test_a_phase_without_a_result_yet_says_nothing(tmp_path) -> None:
    for phase in phases.PHASES:
        assert phases.result(phase, tmp_path) is None, phase.id


def test_a_phase_with_reports_names_the_tasks_that_link_them() -> None:
    for phase in (*phases.PHASES, phases.CHARGING):
        for report in phase.reports:
            assert report.tasks and all(
                task.startswith(f"{phase.id}.") or phase is phases.CHARGING for task in report.tasks
            )
