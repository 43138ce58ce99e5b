"""The DAG factory under real Airflow: DagBag over dags/, and dag.test() of the demo force."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from airflow.dag_processing.dagbag import DagBag

from conftest import ROOT, SPECS, airflow_env, demo_on_legacy_site
from soh_onboarding import spec

DAGS = ROOT / "dags"
ERRORS_FILE = str(DAGS / "onboarding_spec_errors.py")


PLATFORM_DAGS = {
    "mark_force_live",
    "charging_model",
    "live_site_checks",
    "live_accessibility_audit",
    "live_lost_links",
    "rollback_force",
}
"""The platform's DAGs (dags/charging.py), beside one onboarding DAG per spec."""


def load_dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS), safe_mode=True)


def onboarding_ids(bag: DagBag) -> list[str]:
    return sorted(set(bag.dag_ids) - PLATFORM_DAGS)


def test_one_dag_per_spec_and_no_import_errors() -> None:
    bag = load_dagbag()
    assert bag.import_errors == {}
    slugs = sorted(p.stem for p in spec.spec_files([SPECS]))
    assert onboarding_ids(bag) == sorted(f"onboard_{slug}" for slug in slugs)
    assert set(bag.dag_ids) >= PLATFORM_DAGS


def test_dag_shape_comes_from_the_spec() -> None:
    dag = load_dagbag().dags["onboard_thames-valley"]
    assert dag.dag_display_name == "Thames Valley Police: onboarding"
    assert set(dag.tags) == {"soh-onboarding", "force:thames-valley", "England"}
    assert dag.owner == "national-live-service"
    assert dag.schedule is None or str(dag.timetable.summary) in ("None", "")
    assert not dag.catchup
    assert dag.max_active_runs == 1
    assert "# Thames Valley Police: onboarding onto the Single Online Home" in dag.doc_md
    assert "Graham Elford" in dag.doc_md  # the DPO, from the spec
    assert "www.thamesvalley.police.uk" in dag.doc_md
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {
        "check_spec",
        "dpia.screen",
        "dpia.route",
        "dpia.dpo_decision",
        "dpia.approval_stands",
        "dpia.record",
        "migration.crawl",
        "migration.plan",
        "migration.process",
        "migration.finish",
        "provisioning.tenant",
        "provisioning.services",
        "provisioning.publish",
        "provisioning.verify",
        "provisioning.edge",
        "accessibility.audit",
        "go_live.check",
        "go_live.decision",
        "go_live.switch",
        "outcome",
    }
    provisioning = ("tenant", "services", "publish", "verify", "edge")
    for task_id in (f"provisioning.{name}" for name in provisioning):
        assert tasks[task_id].pool == "soh_platform_api"  # every call to the platform, in the platform's pool
    assert tasks["provisioning.tenant"].upstream_task_ids == {"check_spec"}
    assert tasks["provisioning.services"].upstream_task_ids == {"provisioning.tenant", "dpia.record"}
    assert tasks["provisioning.publish"].upstream_task_ids == {"provisioning.services", "migration.finish"}
    assert tasks["provisioning.verify"].upstream_task_ids == {"provisioning.publish"}
    assert tasks["provisioning.edge"].upstream_task_ids == {"provisioning.publish"}  # the redirects are published
    # audits the verified preview, once the edge is set up too (a failed edge stops the run before go-live)
    assert tasks["accessibility.audit"].upstream_task_ids == {"provisioning.verify", "provisioning.edge"}
    assert tasks["accessibility.audit"].pool == "soh_accessibility_audit"
    assert tasks["migration.crawl"].upstream_task_ids == {"check_spec"}  # beside the DPIA, not after it
    assert tasks["migration.crawl"].pool == "soh_legacy_crawl"
    assert tasks["migration.process"].upstream_task_ids == {"migration.plan"}
    assert tasks["check_spec"].task_display_name == "Check and snapshot the spec"
    assert tasks["dpia.screen"].upstream_task_ids == {"check_spec"}
    # Both ways of the branch, and the screening, which it is given as an argument (an edge already implied).
    assert tasks["dpia.record"].upstream_task_ids == {"dpia.dpo_decision", "dpia.approval_stands", "dpia.screen"}
    assert tasks["dpia.dpo_decision"].upstream_task_ids == {"dpia.route", "dpia.screen"}  # its body: the screening's
    decision = tasks["dpia.dpo_decision"]
    assert decision.options == ["Approve", "Request changes", "Reject"]
    assert decision.assigned_users == [{"id": "dpo@thamesvalley.police.example", "name": "Graham Elford"}]
    assert decision.response_timeout.days == 14
    assert "comment" in decision.params
    param = dag.params.get_param("run_note")
    assert param.schema["title"] == "Why this run" and param.schema["section"] == "About this run"
    # go-live: the last gate, after the site is published and verified
    assert tasks["go_live.check"].upstream_task_ids == {"check_spec", "accessibility.audit"}
    # The last task judges the run: downstream of every other, it runs (and fails the run) only on a failure.
    assert tasks["outcome"].upstream_task_ids == set(tasks) - {"outcome"}
    assert tasks["outcome"].trigger_rule == "one_failed"
    approval = tasks["go_live.decision"]
    assert approval.upstream_task_ids == {"go_live.check"}
    assert approval.options == ["Go live", "Do not go live"]
    assert approval.assigned_users == [{"id": "nadia.rahman@thamesvalley.police.example", "name": "Nadia Rahman"}]
    assert approval.response_timeout.days == 14
    switch = tasks["go_live.switch"]
    assert [outlet.uri for outlet in switch.outlets] == ["soh://platform/live-forces"]
    assert switch.pool == "soh_platform_api"


def test_a_broken_spec_never_hides_the_others(spec_dir: Path) -> None:
    broken = spec_dir / "hampshire.yaml"
    text = broken.read_text(encoding="utf-8").replace("nation: England", "nation: Englnd", 1)
    broken.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "Englnd" in row)

    bag = load_dagbag()
    assert onboarding_ids(bag) == ["onboard_demo", "onboard_metropolitan", "onboard_thames-valley"]
    assert list(bag.import_errors) == [ERRORS_FILE]
    message = bag.import_errors[ERRORS_FILE]
    assert "1 force spec(s) failed their check" in message
    assert f"hampshire.yaml:{line}:11: force.nation: 'Englnd' is not an allowed value" in message


def test_a_deeply_nested_spec_never_hides_the_others(spec_dir: Path) -> None:
    """A few kilobytes nested 300 deep ended every shard in a RecursionError: no force had a DAG."""
    broken = spec_dir / "hampshire.yaml"
    fragment = (ROOT / "tests" / "data" / "hostile" / "deep_flow_mapping.yaml").read_text(encoding="utf-8")
    broken.write_text(broken.read_text(encoding="utf-8") + fragment, encoding="utf-8")
    bag = load_dagbag()
    assert onboarding_ids(bag) == ["onboard_demo", "onboard_metropolitan", "onboard_thames-valley"]
    assert list(bag.import_errors) == [ERRORS_FILE]
    assert "hampshire.yaml:" in bag.import_errors[ERRORS_FILE]
    assert "nest more than 16 levels deep" in bag.import_errors[ERRORS_FILE]


def test_an_unreadable_spec_is_reported_too(spec_dir: Path) -> None:
    (spec_dir / "garbage.yaml").write_bytes(b"\xff\xfe not yaml")
    bag = load_dagbag()
    assert len(onboarding_ids(bag)) == 4
    assert "garbage.yaml:1:1: (file): the file is not valid UTF-8" in bag.import_errors[ERRORS_FILE]


def test_parse_time_touches_no_network_and_imports_nothing_heavy() -> None:
    """Parse the DAG folder in a fresh interpreter whose sockets refuse to connect."""
    probe = f"""
import socket, sys
def refuse(*args, **kwargs):
    raise AssertionError(f"network use at parse time: {{args}}")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = refuse
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(DAGS)!r}, safe_mode=True)
assert not bag.import_errors, bag.import_errors
assert len(bag.dag_ids) == {len(spec.spec_files([SPECS])) + len(PLATFORM_DAGS)}, bag.dag_ids
heavy = [m for m in ("pandas", "great_expectations", "playwright", "requests") if m in sys.modules]
print("heavy:", heavy)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], env=airflow_env(), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "heavy: []" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("environment", ["local", "local-vendors"])
def test_demo_dag_runs_and_snapshots_its_spec(
    environment: str, airflow_db: Path, artifact_root: Path, spec_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo force end to end (but for the people's answers and go-live), in the local environment (the
    platform's façade holds the content) and in local-vendors (Optimizely CMS holds it; the platform renders
    the site from there): config/platform.yaml."""
    from sandbox.cms import SandboxCMS
    from sandbox.cms import start as start_cms
    from sandbox.edge import server as edge_server
    from sandbox.legacy_site import LegacySite, start
    from sandbox.platform import SandboxPlatform
    from sandbox.platform import start as start_platform
    from sandbox.platform.cms_source import CmsSource

    in_cms = environment == "local-vendors"
    monkeypatch.setenv("SOH_ENVIRONMENT", environment)
    cms = SandboxCMS("soh-onboarding", "dag-test-cms-secret")
    platform = SandboxPlatform(token="dag-test-token")
    edge = edge_server.SandboxEdge(zones=edge_server.zones_in_specs(spec_dir), token="dag-test-edge-token")
    with (
        start(LegacySite(60, seed=4, slow_ms=50)) as legacy,
        start_cms(cms) as cms_served,
        start_platform(platform) as served,
        edge_server.start(edge) as edge_served,
    ):
        platform.cms = CmsSource(cms_served.url, cms.client_id, cms.client_secret)
        connection = {"conn_type": "http", "host": "127.0.0.1", "port": served.port, "schema": "http"}
        monkeypatch.setenv("AIRFLOW_CONN_SOH_PLATFORM", json.dumps(connection | {"password": "dag-test-token"}))
        edge_connection = connection | {"port": edge_served.port, "password": edge.token}
        edge_connection["extra"] = {"account_id": edge.account_id}
        monkeypatch.setenv("AIRFLOW_CONN_SOH_EDGE", json.dumps(edge_connection))
        cms_connection = connection | {"port": cms_served.port, "login": cms.client_id, "password": cms.client_secret}
        monkeypatch.setenv("AIRFLOW_CONN_SOH_CMS", json.dumps(cms_connection))
        demo = spec_dir / "demo.yaml"
        text = demo_on_legacy_site(demo.read_text(encoding="utf-8"), legacy.host)
        demo.write_text(text.replace("  max_pages: 200\n", "  max_pages: 4\n", 1), "utf-8")  # a short audit
        dag = load_dagbag().dags["onboard_demo"]
        # The DPO's task waits for a person: dag.test() cannot answer it (tests/dpia/test_dpia_approval.py does,
        # through the REST API of a running Airflow), so it and the recording of its answer are marked done.
        # So is go-live, which needs DNS and TLS in front of the platform (tests/golive/test_golive_approval.py).
        run = dag.test(
            run_conf={"run_note": "test run"}, mark_success_pattern=r"dpia\.(dpo_decision|record)$|go_live\..*"
        )
        states = {ti.task_id: ti.state for ti in run.get_task_instances()}
        audited = json.loads(
            (_run_folder(artifact_root, "demo", run.run_id) / "accessibility" / "audit.json").read_text()
        )
        # The legacy site's faults (images without alt text, flagged but never invented) may reach the new
        # site: then the accessibility gate fails the run, and only that task fails.
        assert audited["pages"] == 4 and audited["errors"] == [] and "comparison" in audited
        assert states.pop("accessibility.audit") == ("success" if audited["gate"]["passed"] else "failed")
        for task_id in ("go_live.check", "go_live.decision", "go_live.switch"):  # marked done, after the gate
            assert states.pop(task_id) == ("success" if audited["gate"]["passed"] else "upstream_failed")
        assert states.pop("outcome") == ("skipped" if audited["gate"]["passed"] else "failed")
        assert {task: state for task, state in states.items() if state != "success"} == {
            "dpia.approval_stands": "skipped"  # the branch not taken: the DPO was asked
        }
        assert run.state == ("success" if audited["gate"]["passed"] else "failed")
        preview = platform.store.tenant("demo") and requests.get(f"{served.url}/preview/demo/", timeout=10)
        assert preview.status_code == 200 and "Skip to main content" in preview.text
        held = {path: n for path, n in cms.paths().items() if path.startswith(("/demo/", "/for-all-sites/demo/"))}
        if in_cms:  # the site's pages are the CMS's, each once, and the platform's store holds none
            assert held and max(held.values()) == 1 and platform.store.all_paths("pages", "demo") == []
            assert platform.content_of("demo") is platform.cms
        else:
            assert not held and platform.content_of("demo") is platform.store

    folder = _run_folder(artifact_root, "demo", run.run_id)
    snapshot = json.loads((folder / "spec" / "snapshot.json").read_text())
    assert (folder / "spec" / "spec.yaml").read_bytes() == demo.read_bytes()
    assert snapshot["spec_sha256"] == hashlib.sha256(demo.read_bytes()).hexdigest()
    assert snapshot["note"] == "test run"
    assert snapshot["run_id"] == run.run_id
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert snapshot["code"]["commit"] == head and snapshot["code"]["source"] == "git"
    screening = json.loads((folder / "dpia" / "screening.json").read_text())
    assert screening["full_dpia_required"] is True
    assert "# DPIA scoping: Demoshire Police" in (folder / "dpia" / "dpia-scoping.md").read_text()
    assert (folder / "dpia" / "dpia-scoping.html").read_text().startswith("<!DOCTYPE html>")
    migration = folder / "migration"
    summary = json.loads((migration / "summary.json").read_text())
    assert summary["pages_migrated"] > 30
    assert (migration / "inventory.csv").read_text().startswith("old_url,canonical_url,http_status")
    assert len((migration / "content.jsonl").read_text().splitlines()) == summary["pages_migrated"]
    provisioned = json.loads((folder / "provisioning" / "provisioning.json").read_text())
    assert provisioned["ok"] and provisioned["preview_url"] == f"{served.url}/preview/demo/"
    pages, published = provisioned["verification"]["counts"]["pages"], provisioned["published"]["pages"]
    if in_cms:  # the start page is a page of the tree, whether or not the migration had one at /
        assert provisioned["content_in"] == "Optimizely CMS" and summary["pages_migrated"] <= pages
        assert pages <= summary["pages_migrated"] + 1 and published["created"] == published["local"] >= pages
        assert "redirects" in provisioned["published"]  # those the edge cannot answer: the platform's
    else:
        assert pages == published["created"] == summary["pages_migrated"]
        assert platform.store.max_revisions("demo")["pages"] == 1
    # The edge (the sandbox's Cloudflare): the tenant's domain proxied to the ingress, its old URLs as a Bulk
    # Redirect list, before go-live (the old domains' DNS is go-live's switch, marked done here).
    at_edge = json.loads((folder / "provisioning" / "edge.json").read_text())
    assert at_edge["written"] > 0 and at_edge["changes"]["dns"] == {"create": 1}, at_edge
    assert [r["type"] for r in edge.store.dns_answer("demo.soh.localhost")] == ["A"]
    assert edge.store.dns_answer("www.demoshire-police.example") == []
    redirected = sum(len(items) for items in edge.store.data["items"].values())
    assert redirected == at_edge["changes"]["redirects"]["create"] - 1 > 0  # less the list's own creation


def test_the_first_task_fails_when_the_spec_broke_after_parsing(spec_dir: Path, artifact_root: Path) -> None:
    """The spec may change between parsing and the run: the run re-checks it and refuses to go on.

    (dag.test() re-parses the file, so it cannot show this; the task's function is called as Airflow
    would, with the run's context.)"""
    from airflow.sdk.exceptions import AirflowFailException

    from soh_onboarding.glue import snapshot

    demo = spec_dir / "demo.yaml"
    demo.write_text(demo.read_text(encoding="utf-8").replace("officer_fte: 1250.0", "officer_fte: many"), "utf-8")
    with pytest.raises(AirflowFailException) as failure:
        snapshot.check_and_snapshot(str(demo), {"run_id": "manual__broken", "params": {}})
    assert "The spec no longer passes its check" in str(failure.value)
    assert "force.officer_fte: expected a number, got a string ('many')" in str(failure.value)
    assert not (_run_folder(artifact_root, "demo", "manual__broken")).exists()


def _run_folder(artifact_root: Path, slug: str, run_id: str) -> Path:
    from soh_onboarding.artifacts import safe_name

    return artifact_root / slug / safe_name(run_id)


def test_specs_checked_by_the_factory_are_the_ones_the_cli_checks() -> None:
    assert {s.dag_id for s in spec.check().specs} == set(onboarding_ids(load_dagbag()))


def test_the_valid_marker_follows_every_byte_of_the_specs(spec_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from soh_onboarding.spec import cache as speccache

    monkeypatch.setenv("SOH_CACHE_DIR", str(tmp_path / "cache"))
    assert not speccache.known_valid()
    speccache.remember_valid()
    assert speccache.known_valid()
    demo = spec_dir / "demo.yaml"
    demo.write_bytes(demo.read_bytes() + b"\n")
    assert not speccache.known_valid()
    (spec_dir / "new.yaml").write_text("x: 1\n")
    speccache.remember_valid()
    (spec_dir / "new.yaml").unlink()
    assert not speccache.known_valid()


def test_a_stale_marker_never_hides_a_broken_spec(spec_dir: Path) -> None:
    """The marker is written when all is valid; breaking a spec afterwards must still show the error."""
    assert load_dagbag().import_errors == {}
    broken = spec_dir / "demo.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("nation: England", "nation: Englnd"), "utf-8")
    bag = load_dagbag()
    assert "force.nation: 'Englnd' is not an allowed value" in bag.import_errors[ERRORS_FILE]
    assert "onboard_demo" not in bag.dag_ids


def test_the_shard_files_build_every_force_once_each_in_its_own_file() -> None:
    """dags/onboarding.py builds no DAG itself: SHARDS files each build the forces that hash to them."""
    from soh_onboarding.glue.building import dag_builder
    from soh_onboarding.spec import cache as speccache

    builder = dag_builder(DAGS / "onboarding.py")
    shard_files = sorted(p.name for p in DAGS.glob("onboarding_shard_*.py"))
    assert shard_files == [f"onboarding_shard_{i}.py" for i in range(builder.SHARDS)]
    bag = load_dagbag()
    for spec_file in spec.spec_files([SPECS]):
        shard = speccache.shard_of(spec_file, builder.SHARDS)
        assert bag.dags[f"onboard_{spec_file.stem}"].fileloc == str(DAGS / f"onboarding_shard_{shard}.py")
    assert str(DAGS / "onboarding.py") not in {stat.file for stat in bag.dagbag_stats}  # .airflowignore
    with pytest.raises(ValueError, match="shard 4 does not exist"):
        builder.build_shard(builder.SHARDS)


def test_a_shard_reads_the_cached_verdict_only_when_every_spec_is_unchanged(spec_dir: Path, tmp_path, monkeypatch):
    from soh_onboarding.spec import cache as speccache

    monkeypatch.setenv("SOH_CACHE_DIR", str(tmp_path / "cache"))
    full = {s.path: s for s in spec.check().specs}
    first = [speccache.check_shard(i, 2) for i in range(2)]  # the first one checks and fills the cache
    assert speccache.known_valid()
    assert list(tmp_path.joinpath("cache").glob("specs-*-of-2.json"))
    cached = [speccache.check_shard(i, 2) for i in range(2)]
    for fresh, again in zip(first, cached, strict=True):
        assert [(s.path, s.data, s.sha256, s.raw) for s in fresh.specs] == [
            (s.path, s.data, s.sha256, s.raw) for s in again.specs
        ]
    assert sorted(s.path for result in cached for s in result.specs) == sorted(full)

    # Any byte of any spec, even another shard's, makes the shard check again, and the errors show.
    hampshire = spec_dir / "hampshire.yaml"
    hampshire.write_text(hampshire.read_text("utf-8").replace("nation: England", "nation: Englnd", 1), "utf-8")
    results = [speccache.check_shard(i, 2) for i in range(2)]
    assert sorted(s.slug for r in results for s in r.specs) == ["demo", "metropolitan", "thames-valley"]
    assert all("force.nation: 'Englnd'" in "\n".join(e.format() for e in r.errors) for r in results)


def test_cached_specs_are_not_trusted_from_a_folder_others_may_write(spec_dir: Path, tmp_path, monkeypatch) -> None:
    from soh_onboarding.spec import cache as speccache

    cache = tmp_path / "cache"
    monkeypatch.setenv("SOH_CACHE_DIR", str(cache))
    speccache.check_shard(0, 2)
    cache.chmod(0o777)
    # A forged cache entry would become a DAG: from a world-writable folder it is ignored.
    for entries_file in cache.glob("specs-*.json"):
        entries_file.write_text("[]", encoding="utf-8")
    assert sorted(s.path.name for s in speccache.check_shard(0, 2).specs) == sorted(
        p.name for p in spec.spec_files([spec_dir]) if speccache.shard_of(p, 2) == 0
    )


def test_tasks_see_the_trigger_form_at_run_time_and_keep_their_own_params() -> None:
    """The DAG gets its params after its tasks are built (glue.building.attach_params), so the tasks hold no
    copies of them: what a task sees at run time is still the DAG's params, then its own, then the run's conf."""
    from airflow.sdk.definitions.param import process_params

    from soh_onboarding.glue.building import dag_builder

    dag = load_dagbag().dags["onboard_demo"]
    assert list(dag.params) == list(dag_builder(DAGS / "onboarding.py").PARAMS)
    param = dag.params.get_param("page_limit")
    assert param.schema["title"] == "Page limit" and param.schema["section"] == "Content migration"
    for task in dag.tasks:
        assert all(task.params.get_param(key).source == "task" for key in task.params), task.task_id
        seen = process_params(dag, task, {"run_note": "why"}, suppress_exception=False)
        assert seen["run_note"] == "why" and seen["page_limit"] is None
        assert set(seen) >= set(dag.params)
    assert list(dag.get_task("dpia.dpo_decision").params) == ["comment"]  # the DPO's form, its own


def test_the_parse_time_changes_change_nothing_a_run_or_the_trigger_form_sees() -> None:
    """Against the DAG as Airflow builds it by default (params deep-copied into every task): the same
    serialised DAG, but for the tasks' copies of the DAG's params; the same params at run time."""
    from airflow.sdk.definitions.param import process_params
    from airflow.serialization.serialized_objects import DagSerialization

    from soh_onboarding.glue.building import dag_builder

    builder = dag_builder(DAGS / "onboarding.py")
    force = next(s for s in spec.check().specs if s.slug == "thames-valley")
    ours = builder.build_shard(speccache_shard(force.path, builder.SHARDS))[force.dag_id]
    default = builder.build_dag(force, params_first=True)
    assert all(task.params for task in default.tasks)  # Airflow's default: every task has copies of the form

    def stored(dag) -> dict:
        data = DagSerialization.to_dict(dag)
        for task in data["dag"]["tasks"]:
            task["__var"].pop("params", None)
        return json.loads(json.dumps(data, sort_keys=True, default=str))

    assert stored(ours) == stored(default)
    assert DagSerialization.to_dict(ours)["dag"]["params"] == DagSerialization.to_dict(default)["dag"]["params"]
    for task in default.tasks:
        conf = {"page_limit": 5}
        assert process_params(ours, ours.get_task(task.task_id), conf, suppress_exception=False) == process_params(
            default, task, conf, suppress_exception=False
        )


def speccache_shard(path: Path, shards: int) -> int:
    from soh_onboarding.spec import cache as speccache

    return speccache.shard_of(path, shards)
