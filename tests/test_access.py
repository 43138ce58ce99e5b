"""The access plan from the specs: who gets which role, and that the DAG and the e-mails follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, SPECS, copy_specs
from soh_onboarding import access, spec


def forces(folder: Path = SPECS) -> list[spec.ForceSpec]:
    checked = spec.check([folder])
    assert checked.valid, [error.format() for error in checked.errors]
    return checked.specs


def dag_builder():
    from soh_onboarding.glue.building import dag_builder

    return dag_builder(ROOT / "dags" / "onboarding.py")


def test_each_forces_people_get_its_role_and_its_approvers_the_approvers_role() -> None:
    plan = access.plan(forces(), [{"name": "Jordan Ellis", "email": "Live-Service@SOH.police.example"}])
    demo = plan.people
    assert demo["alex.morgan@demoshire.police.example"].roles == {"Force demo"}  # the digital lead reads
    assert demo["dpo@demoshire.police.example"].roles == {"Force demo", "Force demo approvers"}
    assert demo["sam.okafor@demoshire.police.example"].roles == {"Force demo", "Force demo approvers"}
    assert demo["live-service@soh.police.example"].roles == {access.NATIONAL_TEAM}  # user names are lower case
    assert plan.dags["onboard_demo"] == {
        "Force demo": {"DAGs": {"can_read"}, "DAG Runs": {"can_read"}},
        "Force demo approvers": {"DAGs": {"can_read", "can_edit"}, "DAG Runs": {"can_read"}},
    }
    # A force's role reads no DAG of its own accord: only its DAG's access_control opens one.
    assert ("can_read", "DAGs") not in plan.roles["Force demo"]
    assert ("can_edit", "HITL Detail") in plan.roles["Force demo approvers"]
    assert ("can_edit", "HITL Detail") not in plan.roles["Force demo"]
    assert ("can_read", "ImportError") not in plan.roles["Force demo"]  # they quote other forces' specs


def test_a_person_named_by_two_forces_gets_both_forces_roles(tmp_path: Path) -> None:
    copy_specs(tmp_path, "demo.yaml", "metropolitan.yaml")
    met = tmp_path / "metropolitan.yaml"
    met.write_text(met.read_text().replace("dpo@met.police.example", "dpo@demoshire.police.example"))
    plan = access.plan(forces(tmp_path))
    assert plan.people["dpo@demoshire.police.example"].roles == {
        "Force demo",
        "Force demo approvers",
        "Force metropolitan",
        "Force metropolitan approvers",
    }


def test_the_national_teams_file_is_checked(tmp_path: Path) -> None:
    assert access.national_team(tmp_path / "none.yaml") == []
    bad = tmp_path / "access.yaml"
    bad.write_text("national_team:\n  - name: No Email\n")
    with pytest.raises(ValueError, match="a name and an email"):
        access.national_team(bad)
    assert access.national_team()[0]["email"] == "live-service@soh.police.example"  # config/access.yaml


def test_the_dag_carries_the_forces_access_control() -> None:
    build_dag = dag_builder().build_dag
    force = next(force for force in forces() if force.slug == "demo")
    assert build_dag(force).access_control == access.access_control("demo")


def test_e_mails_go_only_to_people_who_may_open_the_link() -> None:
    """Every address a force's notifications name is a login the plan gives that force's role."""
    from soh_onboarding.glue import notifications

    build_dag = dag_builder().build_dag

    plan = access.plan(forces())
    for force in forces():
        dag = build_dag(force)
        role = access.force_role(force.slug)
        readers = {name for name, person in plan.people.items() if role in person.roles}
        named = set(dag.on_failure_callback.recipients)
        for task in dag.tasks:
            named |= {user["id"] for user in getattr(task, "assigned_users", None) or []}
            for notifier in getattr(task, "notifiers", None) or []:
                assert isinstance(notifier, notifications.ApprovalWaiting)
                named |= set(notifier.recipients)
        assert named and {address.lower() for address in named} <= readers, (force.slug, named - readers)
        assert {email.lower() for email, _, _ in access.people_of(force.data)} == readers


def test_a_decision_names_the_person_whichever_auth_manager_answered() -> None:
    from soh_onboarding.decisions import person

    demo = next(force for force in forces() if force.slug == "demo").data
    fab = {"id": "3", "name": "DPO@demoshire.police.example"}  # FAB: a database number, the login's user name
    simple = {"id": "dpo@demoshire.police.example", "name": "dpo@demoshire.police.example"}
    assert person(demo, fab) == "Priya Shah (DPO@demoshire.police.example)"
    assert person(demo, simple) == "Priya Shah (dpo@demoshire.police.example)"
    assert person(demo, {"id": "7", "name": "someone.else@example"}) == "someone.else@example (7)"


@pytest.mark.parametrize(
    ("path", "dag_id"),
    [
        ("metropolitan/run/dpia/dpia-scoping.html", "onboard_metropolitan"),
        ("demo/../metropolitan/run/x.html", "onboard_metropolitan"),
        ("./metropolitan/x.html", "onboard_metropolitan"),
        ("demo\\..\\metropolitan\\x.html", "onboard_metropolitan"),
        ("demo//dpia/x.html", "onboard_demo"),
        ("platform/live-forces.json", "charging_model"),
        ("../etc/passwd", None),
        ("demo/../../x", None),
        ("", None),
    ],
)
def test_a_store_path_belongs_to_the_dag_of_the_folder_it_resolves_to(path: str, dag_id: str | None) -> None:
    from soh_onboarding.glue.views import artifact_dag

    assert artifact_dag(path) == dag_id
