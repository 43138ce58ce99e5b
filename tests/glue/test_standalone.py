"""The README's run command for real: bin/run starts Airflow standalone; its REST API shows the DAGs.

One Airflow is started for the module, with a copy of the specs in which one is broken, and checked as
an operator would: the valid forces have DAGs, the broken spec is an import error naming its line, and
a triggered demo run snapshots its spec and waits for the DPO.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from airflow_server import Airflow, start_airflow
from conftest import copy_specs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    base = tmp_path_factory.mktemp("standalone")
    specs = copy_specs(base / "specs")
    broken = specs / "hampshire.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("nation: England", "nation: Englnd", 1), "utf-8")
    with start_airflow(base, specs) as airflow:
        yield airflow


def test_the_run_command_prints_where_to_log_in(airflow: Airflow) -> None:
    text = airflow.log.read_text()
    assert "open http://127.0.0.1:" in text
    assert f"{airflow.home}/passwords.json" in text


def test_valid_forces_have_dags_and_the_broken_spec_is_an_import_error(airflow: Airflow) -> None:
    def onboarding_dags() -> set[str] | None:
        ids = {dag["dag_id"] for dag in airflow.get("/dags")["dags"] if dag["dag_id"].startswith("onboard_")}
        return ids if len(ids) >= 3 else None

    ids = airflow.wait_for("the onboarding DAGs", onboarding_dags)
    assert ids == {"onboard_demo", "onboard_metropolitan", "onboard_thames-valley"}
    dag = airflow.get("/dags/onboard_thames-valley")
    assert dag["dag_display_name"] == "Thames Valley Police: onboarding"

    [error] = airflow.wait_for("the import error", lambda: airflow.get("/importErrors")["import_errors"], 120)
    assert error["filename"].endswith("onboarding_spec_errors.py")
    assert "hampshire.yaml:" in error["stack_trace"]
    assert "force.nation: 'Englnd' is not an allowed value" in error["stack_trace"]


def test_a_triggered_demo_run_snapshots_its_spec_and_waits_for_the_dpo(airflow: Airflow) -> None:
    """The run goes as far as a person's decision (tests/dpia/test_dpia_approval.py answers it)."""
    run_id = airflow.trigger("onboard_demo", {"run_note": "from the REST API"})
    airflow.wait_for(
        "the DPO's task",
        lambda: airflow.task_state("onboard_demo", run_id, "dpia.dpo_decision") == "awaiting_input",
        240,
    )
    assert airflow.task_state("onboard_demo", run_id, "check_spec") == "success"
    assert airflow.task_state("onboard_demo", run_id, "dpia.screen") == "success"
    snapshots = list((airflow.home.parent / "artifacts" / "demo").glob("*/spec/snapshot.json"))
    assert [json.loads(p.read_text())["note"] for p in snapshots] == ["from the REST API"]


def test_the_artifact_view_serves_no_symbolic_link_out_of_the_store(airflow: Airflow) -> None:
    """A link left in the store (to /etc/passwd, to another force's folder) is a 404, as `..` is."""
    store = airflow.home.parent / "artifacts"
    run = store / "demo" / "links-test"
    run.mkdir(parents=True)
    (store / "other-force").mkdir()
    (store / "other-force" / "secret.json").write_text('{"secret": true}', encoding="utf-8")
    (run / "report.json").write_text('{"ok": true}', encoding="utf-8")
    (run / "passwd").symlink_to("/etc/passwd")
    (run / "other").symlink_to(store / "other-force", target_is_directory=True)
    (run / "copy.json").symlink_to(store / "other-force" / "secret.json")
    served = airflow.session.get(f"{airflow.url}/soh/artifacts/demo/links-test/report.json", timeout=10)
    assert served.status_code == 200 and served.json() == {"ok": True}
    for name in ("passwd", "other/secret.json", "copy.json"):
        reply = airflow.session.get(f"{airflow.url}/soh/artifacts/demo/links-test/{name}", timeout=10)
        assert reply.status_code == 404, name
        assert "root:" not in reply.text and "secret" not in reply.text
