"""A force's onboarding record: the zip a DPO or an auditor keeps, from a store written as the phases write it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO, soh
from soh_onboarding import dpia, record, spec
from soh_onboarding.artifacts import RunFolder, safe_name, write_json
from soh_onboarding.dpia import catalogue
from soh_onboarding.golive import decision as golive_decision
from soh_onboarding.spec import provenance

FORCE = spec.load_one(DEMO).specs[0]
OLD, NEW, FORGOTTEN = (
    "manual__2026-11-24T09:00:00+00:00",
    "manual__2026-11-25T10:00:00+00:00",
    "manual__2026-11-20T08:00:00+00:00",
)
COMMIT = "0123456789abcdef0123456789abcdef01234567"
HOSTILE = "<script>alert('not yet')</script> the DNS is not ready"
REDIRECTS = "old_url,new_url,type\nhttps://old.example/a,https://new.example/a,redirect\n"
GENERATED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def answer(option: str, email: str, comment: str, at: str) -> dict[str, Any]:
    """What an approval task returns once a person answers it (Airflow's human-in-the-loop)."""
    return {
        "chosen_options": [option],
        "params_input": {"comment": comment},
        "responded_by_user": {"id": email, "name": email},
        "responded_at": at,
    }


def snapshot(store: Any, run_id: str) -> RunFolder:
    """The run's first task: its spec snapshot, taken (as a run takes it) a few seconds after it started."""
    folder = RunFolder.for_run(store, FORCE.slug, run_id)
    code = provenance.CodeVersion(COMMIT, COMMIT, False, "bundle")
    taken = provenance.snapshot_spec(FORCE, folder.phase("spec"), code, run_id, "first try")
    write_json(folder.root / "spec" / "snapshot.json", taken | {"snapshot_at": run_id.removeprefix("manual__")})
    return folder


def build_store(store: Any) -> None:
    """Three runs of the demo force, as the phases write them:

    OLD        the DPO approves, the migration writes its reports and its crawl, go-live is refused
    NEW        the DPO's approval of OLD stands (not asked again)
    FORGOTTEN  a run folder Airflow no longer knows (only its spec snapshot)
    """
    services = catalogue.load()
    screening = dpia.screen(FORCE.data, services)
    old = snapshot(store, OLD)
    approved = dpia.Decision.from_answer(
        answer(dpia.APPROVE, "dpo@demoshire.police.example", "Proportionate.", "2026-11-24T09:30:00+00:00"),
        FORCE.data,
        fingerprint=screening.fingerprint,
        run_id=OLD,
    )
    dpia.record_decision(old.phase("dpia"), old.force, screening, approved)
    dpia.write_documents(old.phase("dpia"), screening, FORCE.data, services, OLD, "2026-11-24T09:31:00+00:00", approved)
    migration = old.phase("migration")
    (migration / "summary.json").write_text(json.dumps({"pages_migrated": 2, "quality_passed": True}))
    (migration / "redirects.csv").write_text(REDIRECTS)
    (migration / "content.jsonl").write_text('{"path": "/a", "body_html": "' + "x" * 5000 + '"}\n')
    (migration / "crawl" / "bodies" / "ab").mkdir(parents=True)
    (migration / "crawl" / "journal.jsonl").write_text('{"url": "https://old.example/a"}\n')
    (migration / "crawl" / "bodies" / "ab" / "ab12.gz").write_bytes(b"\x1f\x8b raw legacy page")
    refused = golive_decision.Decision.from_answer(
        answer(golive_decision.DO_NOT_GO_LIVE, "sam.okafor@demoshire.police.example", HOSTILE, "2026-11-24T15:00:00"),
        FORCE.data,
        run_id=OLD,
    )
    golive_decision.record_decision(old.phase("go_live"), refused, {"status": "pass"})

    new = snapshot(store, NEW)
    stands = replace(approved, run_id=NEW, cites=OLD)
    dpia.record_decision(new.phase("dpia"), new.force, screening, stands)
    snapshot(store, FORGOTTEN)


AIRFLOW_RUNS = [
    record.Run(NEW, "failed", "manual", "ui", "alex.morgan", start_date="2026-11-25T10:00:02+00:00"),
    record.Run(OLD, "failed", "manual", "rest_api", "admin", start_date="2026-11-24T09:00:01+00:00", note="pilot"),
]


@dataclass
class Opened:
    """A record as a reader finds it: the zip's entries, its manifest and its index page."""

    archive: zipfile.ZipFile
    manifest: dict[str, Any]
    index: str

    def runs(self) -> dict[str, dict[str, Any]]:
        return {run["run_id"]: run for run in self.manifest["runs"]}

    def left_out(self) -> dict[str, str]:
        return {entry["name"]: entry["reason"] for entry in self.manifest["left_out"]}


def make(store: Any, runs: list[record.Run] = AIRFLOW_RUNS, **options: Any) -> Opened:
    out = io.BytesIO()
    record.write_record(store, FORCE.slug, runs, out, generated_at=GENERATED, force_name=FORCE.name, **options)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert archive.testzip() is None
    return Opened(archive, json.loads(archive.read("manifest.json")), archive.read("index.html").decode())


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    build_store(root)
    return root


def test_the_record_lists_every_run_with_who_triggered_it_newest_first(store: Path) -> None:
    opened = make(store)
    assert [run["run_id"] for run in opened.manifest["runs"]] == [NEW, OLD, FORGOTTEN]
    runs = opened.runs()
    assert runs[NEW]["who_triggered"] == "alex.morgan" and runs[NEW]["triggered_by"] == "ui"
    assert runs[OLD]["who_triggered"] == "admin" and runs[OLD]["note"] == "pilot"
    assert runs[FORGOTTEN]["who_triggered"] == "unknown (not read from Airflow)"
    assert runs[FORGOTTEN]["known_to_airflow"] is False
    assert runs[OLD]["folder"] == f"runs/{safe_name(OLD)}"
    assert opened.manifest["force"] == "demo" and opened.manifest["dag_id"] == "onboard_demo"


def test_every_decision_says_who_when_which_option_and_why(store: Path) -> None:
    decisions = {(d["run_id"], d["phase"]): d for d in make(store).manifest["decisions"]}
    assert set(decisions) == {(OLD, "dpia"), (OLD, "go_live"), (NEW, "dpia")}
    dpo = decisions[(OLD, "dpia")]
    assert (dpo["option"], dpo["approved"], dpo["comment"]) == ("Approve", True, "Proportionate.")
    assert dpo["responded_by"] == "Priya Shah (dpo@demoshire.police.example)"
    assert dpo["responded_at"] == "2026-11-24T09:30:00+00:00" and dpo["decided_by"] == "the DPO"
    refused = decisions[(OLD, "go_live")]
    assert (refused["option"], refused["approved"], refused["comment"]) == ("Do not go live", False, HOSTILE)
    assert refused["responded_by"] == "Sam Okafor (sam.okafor@demoshire.police.example)"
    assert decisions[(NEW, "dpia")]["cites"] == OLD
    assert dpo["file"] == f"runs/{safe_name(OLD)}/dpia/decision.json"


def test_each_run_says_which_spec_and_commit_it_ran_with(store: Path) -> None:
    versions = {v["run_id"]: v for v in make(store).manifest["spec_versions"]}
    assert set(versions) == {NEW, OLD, FORGOTTEN}
    for version in versions.values():
        assert version["code"] == {
            "commit": COMMIT,
            "spec_last_commit": COMMIT,
            "spec_modified": False,
            "source": "bundle",
        }
        assert version["spec_sha256"] == FORCE.sha256 == hashlib.sha256(FORCE.raw).hexdigest()
        assert version["stored_sha256"] == FORCE.sha256 and version["stored_matches"] is True
        assert version["spec_file"] == "demo.yaml" and version["run_note"] == "first try"


def test_the_manifest_gives_the_size_and_sha256_of_every_other_file(store: Path) -> None:
    opened = make(store)
    listed = {entry["name"]: entry for entry in opened.manifest["files"]}
    assert set(listed) == set(opened.archive.namelist()) - {"manifest.json"}
    for name, entry in listed.items():
        data = opened.archive.read(name)
        assert (entry["size"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()), name
    old = f"runs/{safe_name(OLD)}"
    assert {f"{old}/dpia/dpia-scoping.html", f"{old}/migration/redirects.csv", f"{old}/spec/spec.yaml"} <= set(listed)
    assert {"force/dpia-approved.json", "index.html"} <= set(listed)
    for name in opened.archive.namelist():
        assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name


def test_the_index_escapes_what_people_wrote_and_links_the_files(store: Path) -> None:
    index = make(store).index
    assert "<script>" not in index and "&lt;script&gt;alert(&#39;not yet&#39;)&lt;/script&gt;" in index
    assert f'href="runs/{safe_name(OLD)}/dpia/dpia-scoping.html"' in index
    assert 'href="manifest.json"' in index
    assert "Sam Okafor" in index and COMMIT in index and FORCE.sha256 in index
    assert "unknown (not read from Airflow)" in index


def test_the_crawl_and_files_over_the_cap_are_left_out_and_listed(store: Path) -> None:
    opened = make(store, max_file_bytes=4096)
    old = f"runs/{safe_name(OLD)}"
    left_out = opened.left_out()
    assert "checkpoint" in left_out[f"{old}/migration/crawl/"]
    assert left_out[f"{old}/migration/content.jsonl"].endswith("over the record's cap of 4,096")
    names = opened.archive.namelist()
    assert not [name for name in names if "/crawl/" in name or name.endswith("content.jsonl")]
    assert f"{old}/migration/redirects.csv" in names
    assert f"{old}/migration/content.jsonl" in opened.index and "over the record" in opened.index
    assert f"{old}/migration/content.jsonl" in make(store).archive.namelist()  # under the default cap


def test_a_symbolic_link_out_of_the_store_is_listed_not_followed(store: Path, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere"
    (secret / "other-force").mkdir(parents=True)
    (secret / "passwd").write_text("root:x:0:0 SECRET")
    (secret / "other-force" / "decision.json").write_text('{"comment": "SECRET"}')
    run = store / "demo" / safe_name(OLD)
    (run / "migration" / "passwd").symlink_to(secret / "passwd")
    (run / "migration" / "linked").symlink_to(secret / "other-force")
    (secret / "spec").mkdir()
    (secret / "spec" / "snapshot.json").write_text('{"run_id": "SECRET"}')
    (store / "demo" / "manual__linked").symlink_to(secret)  # a whole run folder behind a link
    opened = make(store)
    left_out = opened.left_out()
    assert "not followed" in left_out[f"runs/{safe_name(OLD)}/migration/passwd"]
    assert "not followed" in left_out[f"runs/{safe_name(OLD)}/migration/linked"]
    assert "manual__linked" not in opened.runs() and "not followed" in left_out["runs/manual__linked"]
    assert not any(b"SECRET" in opened.archive.read(name) for name in opened.archive.namelist())


def test_a_missing_or_unreadable_decision_is_listed_as_such(store: Path) -> None:
    run = RunFolder.for_run(store, FORCE.slug, NEW)
    (run.phase("dpia") / "decision.json").unlink()  # screened, the DPO not answered yet
    (run.phase("go_live") / "decision.json").write_text("{not json")
    (run.root / "spec" / "snapshot.json").unlink()
    opened = make(store)
    decisions = {(d["run_id"], d["phase"]): d for d in opened.manifest["decisions"]}
    assert decisions[(NEW, "dpia")]["status"] == "not recorded"
    assert decisions[(NEW, "dpia")]["problem"] == "dpia/decision.json missing"
    assert decisions[(NEW, "go_live")]["status"] == "unreadable"
    assert decisions[(NEW, "go_live")]["problem"].startswith("go_live/decision.json not JSON")
    assert decisions[(OLD, "dpia")]["status"] == "recorded"
    spec_new = next(v for v in opened.manifest["spec_versions"] if v["run_id"] == NEW)
    assert spec_new["status"] == "not recorded" and spec_new["stored_matches"] is None
    assert "not recorded: dpia/decision.json missing" in opened.index


def test_a_run_airflow_knows_without_a_folder_is_listed_with_no_files(store: Path) -> None:
    queued = record.Run("manual__2026-11-26T08:00:00+00:00", "queued", "manual", "ui", "alex.morgan")
    opened = make(store, [queued, *AIRFLOW_RUNS])
    assert opened.runs()[queued.run_id]["folder"] == ""
    assert [v["run_id"] for v in opened.manifest["spec_versions"]] == [NEW, OLD, FORGOTTEN]


def test_a_large_file_is_streamed_not_held_in_memory(store: Path, tmp_path: Path) -> None:
    import tracemalloc

    big = store / "demo" / safe_name(OLD) / "accessibility"
    big.mkdir()
    with (big / "audit-pages.jsonl").open("wb") as out:
        for _ in range(20):
            out.write(os.urandom(1024 * 1024))
    tracemalloc.start()
    try:
        record.write_record(store, FORCE.slug, AIRFLOW_RUNS, tmp_path / "big.zip", generated_at=GENERATED)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak:,} bytes at the peak for a 20 MiB file"
    entry = zipfile.ZipFile(tmp_path / "big.zip").getinfo(f"runs/{safe_name(OLD)}/accessibility/audit-pages.jsonl")
    assert entry.file_size == 20 * 1024 * 1024


def test_an_object_store_gives_the_same_record(store: Path, tmp_path: Path) -> None:
    from upath import UPath

    remote = UPath(f"memory://record-test/{tmp_path.name}")
    build_store(remote)
    local, stored = make(store), make(remote)
    assert stored.manifest["decisions"] == local.manifest["decisions"]
    assert [v["spec_sha256"] for v in stored.manifest["spec_versions"]] == [FORCE.sha256] * 3
    assert sorted(stored.archive.namelist()) == sorted(local.archive.namelist())


# --- runs as Airflow's REST API exports them ---------------------------------------------------------------

API_EXPORT = {
    "dag_runs": [
        {
            "dag_run_id": NEW,
            "dag_id": "onboard_demo",
            "logical_date": None,
            "start_date": "2026-11-25T10:00:02.123456Z",
            "end_date": "2026-11-25T10:04:00Z",
            "run_after": "2026-11-25T10:00:00Z",
            "run_type": "manual",
            "state": "failed",
            "triggered_by": "ui",
            "triggering_user_name": "alex.morgan",
            "conf": {"phases": ["dpia"], "run_note": "again"},
            "note": None,
            "dag_versions": [],
            "bundle_version": None,
        }
    ],
    "total_entries": 1,
}


def test_runs_are_read_from_a_rest_api_export() -> None:
    [run] = record.runs_from_api(json.dumps(API_EXPORT), "onboard_demo")
    assert (run.run_id, run.who_triggered, run.state) == (NEW, "alex.morgan", "failed")
    assert run.conf == {"phases": ["dpia"], "run_note": "again"} and run.logical_date == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"dag_runs": [\n  {"dag_run_id": "x",}\n]}', "line 2, column 22: not JSON (Expecting property name"),
        ('{"runs": []}', "expected an object with a 'dag_runs' list"),
        ('{"dag_runs": [{"state": "success"}]}', "dag_runs[0].dag_run_id: expected the run's id"),
        ('{"dag_runs": [{"dag_run_id": "x", "state": 3}]}', "dag_runs[0].state: expected text or null, found int"),
        ('{"dag_runs": [{"dag_run_id": "x", "conf": []}]}', "dag_runs[0].conf: expected an object or null"),
        ('{"dag_runs": [{"dag_run_id": "x", "dag_id": "onboard_kent"}]}', "'onboard_kent' is not this force's DAG"),
        ('{"dag_runs": [], "total_entries": 120}', "total_entries: 120 runs, but the file holds 0"),
    ],
)
def test_a_bad_runs_export_says_where(text: str, problem: str) -> None:
    with pytest.raises(record.RecordError) as raised:
        record.runs_from_api(text, "onboard_demo")
    assert problem in str(raised.value)


# --- the command ------------------------------------------------------------------------------------------


def test_the_command_writes_the_record_from_the_store_and_a_runs_export(store: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs.json"
    runs.write_text(json.dumps(API_EXPORT))
    out = tmp_path / "demo-record.zip"
    done = soh("record", str(DEMO), "--store", str(store), "--out", str(out), "--runs-json", str(runs))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{out}: Demoshire Police: 3 run(s) (2 not known to Airflow), 3 decision(s)")
    assert os.stat(out).st_mode & 0o777 == 0o600
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    who = {run["run_id"]: run["who_triggered"] for run in manifest["runs"]}
    assert who == {NEW: "alex.morgan", OLD: record.UNKNOWN_TRIGGER, FORGOTTEN: record.UNKNOWN_TRIGGER}
    assert "REST API" in manifest["runs_source"] and not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no store", "record: no artifact store at "),
        ("no run folder", "record: no run folder of demo in the artifact store "),
        ("bad json", "runs.json: line 1, column 15: not JSON"),
        ("bad field", "runs.json: dag_runs[0].triggering_user_name: expected text or null, found list"),
        ("no runs file", "record: cannot read the runs file "),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(store: Path, tmp_path: Path, case: str, message: str) -> None:
    runs = tmp_path / "runs.json"
    runs.write_text({"bad json": '{"dag_runs": [}', "bad field": API_BAD_FIELD}.get(case, json.dumps(API_EXPORT)))
    where = {"no store": tmp_path / "nowhere", "no run folder": tmp_path / "empty"}.get(case, store)
    (tmp_path / "empty").mkdir()
    runs_arg = str(tmp_path / "missing.json") if case == "no runs file" else str(runs)
    out = tmp_path / "record.zip"
    done = soh("record", str(DEMO), "--store", str(where), "--out", str(out), "--runs-json", runs_arg)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


API_BAD_FIELD = json.dumps({"dag_runs": [{"dag_run_id": NEW, "triggering_user_name": ["alex"]}]})


# --- the web's record: the runs from Airflow's database -------------------------------------------------------


@pytest.mark.slow
def test_the_web_record_reads_who_triggered_each_run_from_airflows_database(
    airflow_db: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunTriggeredByType
    from sqlalchemy import delete

    from soh_onboarding.glue import record as glue_record

    monkeypatch.setenv("AIRFLOW__SOH__ARTIFACT_STORE", store.as_uri())
    moment = datetime(2026, 11, 25, 10, 0, 2, tzinfo=UTC)
    rows = [
        DagRun(
            "onboard_demo",
            NEW,
            run_type="manual",
            state="failed",
            run_after=moment,
            start_date=moment,
            triggered_by=DagRunTriggeredByType.UI,
            triggering_user_name="alex.morgan",
            conf={"phases": ["dpia"], "run_note": "again"},
            note="answered late",
        ),
        DagRun("onboard_demo", OLD, run_type="scheduled", state="failed", run_after=moment.replace(day=24)),
    ]
    rows[1].triggered_by = DagRunTriggeredByType.TIMETABLE
    ours = DagRun.run_id.in_([NEW, OLD]) & (DagRun.dag_id == "onboard_demo")
    with create_session() as session:
        session.execute(delete(DagRun).where(ours))
        session.add_all(rows)
    try:
        zipped = b"".join(glue_record.record_zip("demo"))
    finally:
        with create_session() as session:
            session.execute(delete(DagRun).where(ours))
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(zipped)).read("manifest.json"))
    runs = {run["run_id"]: run for run in manifest["runs"]}
    new = runs[NEW]
    assert (new["who_triggered"], new["triggered_by"], new["state"]) == ("alex.morgan", "ui", "failed")
    assert new["conf"]["run_note"] == "again" and new["note"] == "answered late"
    assert new["start_date"] == "2026-11-25T10:00:02+00:00"
    assert (runs[OLD]["who_triggered"], runs[OLD]["run_type"]) == ("no user (timetable)", "scheduled")
    assert runs[FORGOTTEN]["who_triggered"] == record.UNKNOWN_TRIGGER
    assert manifest["runs_source"] == "Airflow's database"
    with pytest.raises(glue_record.NoRecord):
        glue_record.record_zip("nowhere")
