"""No file written or served outside its folder, whatever a mapping rule, a plan or a link in the store says.

The hostile inputs are in tests/data/hostile/. They go to the mapping and the writers directly, as a spec
validated before the spec check refused them (or a future bug in that check) would: the run-time guards
must hold without the check. The migration runs on the sandbox legacy site, crawled once for the module;
each test plans and finishes its own copy of the crawl in a folder nested deep enough in tmp_path that a
climbing path would still land inside tmp_path, where the test looks for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_crawl import spec_for
from test_crawl_object_storage import bucket  # noqa: F401 (a fixture: a bucket on object storage)

from conftest import DATA
from sandbox.legacy_site import LegacySite, start
from soh_onboarding.artifacts import OutsideFolder, within
from soh_onboarding.migration import pipeline
from soh_onboarding.migration.mapping import Mapper
from soh_onboarding.provisioning import read_assets

HOSTILE = yaml.safe_load((DATA / "hostile" / "climbing-new-path.yaml").read_text("utf-8"))
DOCUMENTS_RULE = r"^/documents/(?P<name>[a-z0-9-]+\.pdf)$"
QUIET = lambda _line: None  # noqa: E731


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() or path.is_symlink())


# --- the mapping: no mapped path keeps a dot segment; one that climbs is refused ------------------------


def mapped(template: str) -> Any:
    rule = {"match": DOCUMENTS_RULE, "content_type": "document", "new_path": template}
    spec = {"force": {"slug": "demo"}, "content_mapping": {"rules": [rule]}}
    return Mapper.from_spec(spec).map("https://old.example/documents/report.pdf")


@pytest.mark.parametrize("template", HOSTILE["climbing"])
def test_a_new_path_that_climbs_above_the_root_leaves_the_url_unresolved_with_the_reason(template: str) -> None:
    mapping = mapped(template)
    assert (mapping.type, mapping.new_path, mapping.rule_index) == ("unresolved", None, 0)
    assert "climbs above the site root" in mapping.reason and "a person decides" in mapping.reason


@pytest.mark.parametrize(("template", "expected"), [*HOSTILE["resolved"].items(), *HOSTILE["encoded"].items()])
def test_dot_segments_inside_the_root_are_resolved_and_separators_encoded(template: str, expected: str) -> None:
    mapping = mapped(template)
    assert (mapping.type, mapping.new_path) == ("redirect", expected)


# --- the migration on the sandbox site -------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    """The sandbox site crawled once: (the crawl folder, the demo spec pointed at the site)."""
    with start(LegacySite(60, seed=3, fault_rate=0, slow_ms=0)) as running:
        data = spec_for(running.url)
        folder = tmp_path_factory.mktemp("hostile-crawl")
        pipeline.crawl_site(data, folder, progress=QUIET)
        yield folder / "crawl", data


def with_hostile_rule(data: dict) -> dict:
    """The spec with the issue's climbing rule in place of its documents rule (no spec check on the way)."""
    rules = [rule if rule["match"] != DOCUMENTS_RULE else HOSTILE["rule"] for rule in data["content_mapping"]["rules"]]
    assert HOSTILE["rule"] in rules
    return data | {"content_mapping": data["content_mapping"] | {"rules": rules}}


def run_folder(tmp_path: Path, crawled: tuple[Path, dict]) -> Path:
    """A copy of the crawl in tmp_path/a/b/out: a path climbing four levels from out/assets/docs stays in tmp_path."""
    out = tmp_path / "a" / "b" / "out"
    shutil.copytree(crawled[0], out / "crawl")
    return out


def test_a_climbing_rule_leaves_its_documents_unresolved_and_writes_nothing_outside_the_run(
    tmp_path: Path, crawled: tuple[Path, dict]
) -> None:
    out = run_folder(tmp_path, crawled)
    data = with_hostile_rule(crawled[1])
    pipeline.plan(data, out)
    pipeline.process(data, out)
    pipeline.finish(data, out)
    assert [path for path in files_under(tmp_path) if out not in path.parents] == []

    inventory = pipeline.read_plan(out, "inventory").inventory
    documents = [row for row in inventory if "/documents/" in row["old_url"] and row["http_status"] == 200]
    assert documents
    report = (out / "migration-report.md").read_text(encoding="utf-8").splitlines()
    for row in documents:
        assert (row["mapping"], row["new_path"]) == ("unresolved", "")
        assert "new path /docs/../../../../escaped/" in row["reason"] and "climbs above the site root" in row["reason"]
        [line] = [line for line in report if row["old_url"] in line]  # in the report's table, with why
        assert "climbs above the site root" in line
    assert "/documents/" not in (out / "assets.csv").read_text(encoding="utf-8")
    assert not any("escaped" in str(path) for path in files_under(out))


def test_a_plan_with_a_climbing_asset_path_is_refused_before_anything_is_written_outside(
    tmp_path: Path, crawled: tuple[Path, dict]
) -> None:
    """A plan the mapping did not make (edited, from an older version, a future bug): the writer holds."""
    out = run_folder(tmp_path, crawled)
    data = crawled[1]
    pipeline.plan(data, out)
    assets = out / "plan" / "assets.jsonl"
    planned = [json.loads(line) for line in assets.read_text(encoding="utf-8").splitlines()]
    assert planned
    for asset in planned:
        asset["new_path"] = "/docs/../../../../escaped/" + asset["new_path"].rsplit("/", 1)[-1]
    assets.write_text("".join(json.dumps(asset) + "\n" for asset in planned), encoding="utf-8")
    pipeline.process(data, out)
    with pytest.raises(ValueError, match=r"'docs/\.\./\.\./\.\./\.\./escaped/.*' is a \. or \.\. segment"):
        pipeline.finish(data, out)
    assert [path for path in files_under(tmp_path) if out not in path.parents] == []


def test_a_symbolic_link_in_the_assets_folder_is_not_followed(tmp_path: Path, crawled: tuple[Path, dict]) -> None:
    """A link left in a run folder (a restore, a person, a bug) does not carry the writes elsewhere."""
    out = run_folder(tmp_path, crawled)
    elsewhere = tmp_path / "another-force"
    elsewhere.mkdir()
    (out / "assets").mkdir()
    (out / "assets" / "media").symlink_to(elsewhere, target_is_directory=True)
    data = crawled[1]
    pipeline.plan(data, out)
    pipeline.process(data, out)
    with pytest.raises(ValueError, match="goes through a symbolic link"):
        pipeline.finish(data, out)
    assert list(elsewhere.iterdir()) == []


def test_provisioning_reads_no_asset_from_outside_the_migration(tmp_path: Path) -> None:
    """assets.csv names the files provisioning publishes: it cannot make it read and send /etc/passwd."""
    migration = tmp_path / "migration"
    (migration / "assets" / "media").mkdir(parents=True)
    (migration / "assets" / "media" / "ok.pdf").write_bytes(b"%PDF")
    (migration / "assets" / "media" / "passwd").symlink_to("/etc/passwd")
    for new_path, problem in (
        ("/../../../../etc/passwd", r"a \. or \.\. segment"),
        ("/media/passwd", "goes through a symbolic link"),
    ):
        (migration / "assets.csv").write_text(
            f"old_url,new_path,sha256,content_type\nhttps://old/x,{new_path},0,text/plain\n", encoding="utf-8"
        )
        with pytest.raises(ValueError, match=problem):
            read_assets(migration)
    (migration / "assets.csv").write_text(
        "old_url,new_path,sha256,content_type\nhttps://old/ok.pdf,/media/ok.pdf,0,application/pdf\n", encoding="utf-8"
    )
    assert [asset["file"].read_bytes() for asset in read_assets(migration)] == [b"%PDF"]


# --- property: whatever the template or the name, no write lands outside the folder ----------------------

SEGMENTS = st.sampled_from(
    [
        *("..", ".", "%2e%2e", "%2E.", ".%2e", "%2e", "%252e%252e", "...", "..a"),  # dot segments, spelt every way
        *("\\", "..\\..", "\0", "%00", "%2f", "%5c", ""),  # other systems' separators and terminators
        *("out-link", "in-link"),  # the links layout() makes: out of the folder, and inside it
        *("a", "B", "x.pdf", "{name}"),
    ]
)
NAMES = st.lists(SEGMENTS, min_size=0, max_size=8).map("/".join)
FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def layout(root: Path) -> tuple[Path, Path]:
    """A folder with a link out of it and a link inside it; the sentinel folder outside, which stays empty."""
    folder, outside = root / "folder", root / "outside"
    if not folder.exists():
        (folder / "sub").mkdir(parents=True)
        outside.mkdir()
        (folder / "out-link").symlink_to(outside, target_is_directory=True)
        (folder / "in-link").symlink_to(folder / "sub", target_is_directory=True)
    return folder, outside


def lands_inside(path: Any, folder: Path) -> bool:
    real = os.path.realpath(path.path if hasattr(path, "protocol") else path)
    return real.startswith(os.path.realpath(folder) + os.sep)


@FUZZ
@given(template=NAMES.map(lambda name: "/" + name))
def test_no_template_maps_to_a_path_that_writes_outside_the_assets_folder(tmp_path: Path, template: str) -> None:
    """Rule templates through the real mapping and the real asset writer (pipeline.write_asset)."""
    folder, outside = layout(tmp_path)
    mapping = mapped(template)
    if mapping.type == "unresolved":
        assert "climbs above the site root" in mapping.reason
        return
    segments = mapping.new_path.split("/")
    assert mapping.new_path.startswith("/") and "." not in segments and ".." not in segments
    try:
        written = pipeline.write_asset(folder, mapping.new_path, b"x")
    except OutsideFolder:
        return
    except OSError:  # a name an earlier example wrote as a file (or a folder): no write, and none outside
        assert list(outside.iterdir()) == []
        return
    assert lands_inside(written, folder)
    assert list(outside.iterdir()) == []


@FUZZ
@given(name=st.one_of(NAMES, NAMES.map(lambda name: "/" + name)), url=st.booleans())
def test_within_never_joins_a_name_outside_its_folder(tmp_path: Path, name: str, url: bool) -> None:
    """Raw names, not normalised first (a plan's hash, a CSV's path), on a Path and a file:// store."""
    from airflow.sdk import ObjectStoragePath

    folder, outside = layout(tmp_path)
    try:
        path = within(ObjectStoragePath(folder.as_uri()) if url else folder, name)
    except OutsideFolder:
        return
    assert lands_inside(path, folder)
    with contextlib.suppress(OSError):  # a name an earlier example wrote as a file (or a folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    assert list(outside.iterdir()) == []


def test_within_on_object_storage_checks_the_name_and_resolves_nothing(bucket: Any) -> None:  # noqa: F811
    """Object storage has no links: the segments are the check, and the path stays the store's."""
    written = pipeline.write_asset(bucket / "assets", "/media/documents/report.pdf", b"%PDF")
    assert written.protocol == bucket.protocol and written.read_bytes() == b"%PDF"
    for name in ("../other-force/x", "a/%2e%2e/../x", "/etc/passwd", "a\\..\\b", ""):
        with pytest.raises(OutsideFolder):
            within(bucket, name)
    assert within(bucket, "a/%2e%2e/x").path.endswith("/a/%2e%2e/x")  # a literal name there, as on disk


# --- the artifact view's store, in this process (tests/glue/test_standalone.py asks a running Airflow) ---------


def test_the_artifact_view_finds_no_file_through_a_link_out_of_a_local_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soh_onboarding.glue.views import artifact_file

    store = tmp_path / "artifacts"
    (store / "demo" / "r1").mkdir(parents=True)
    (store / "other-force").mkdir()
    (store / "other-force" / "secret.json").write_text("{}", encoding="utf-8")
    (store / "demo" / "r1" / "report.html").write_text("<p>ok</p>", encoding="utf-8")
    (store / "demo" / "r1" / "passwd").symlink_to("/etc/passwd")
    (store / "demo" / "r1" / "other").symlink_to(store / "other-force", target_is_directory=True)
    (store / "demo" / "r1" / "copy.json").symlink_to(store / "other-force" / "secret.json")
    monkeypatch.setenv("AIRFLOW__SOH__ARTIFACT_STORE", store.as_uri())
    assert artifact_file("demo/r1/report.html").read_text() == "<p>ok</p>"
    for relative in ("demo/r1/passwd", "demo/r1/other/secret.json", "demo/r1/copy.json", "demo/../etc/passwd", ""):
        assert artifact_file(relative) is None, relative
    assert artifact_file("other-force/secret.json") is not None  # the real file, by its own path


def test_the_artifact_view_serves_object_storage_without_resolving(
    bucket: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from soh_onboarding.glue.views import artifact_file

    (bucket / "demo" / "r1").mkdir(parents=True, exist_ok=True)
    (bucket / "demo" / "r1" / "report.html").write_text("<p>ok</p>", encoding="utf-8")
    monkeypatch.setenv("AIRFLOW__SOH__ARTIFACT_STORE", str(bucket))
    found = artifact_file("demo/r1/report.html")
    assert found is not None and found.protocol == bucket.protocol and found.read_text() == "<p>ok</p>"
    assert artifact_file("demo/../demo/r1/report.html") is None
