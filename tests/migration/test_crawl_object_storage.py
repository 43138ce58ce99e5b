"""The crawl's journal on object storage, which cannot append to a file: whole segments, resumable.

The store is fsspec's in-memory file system behind Airflow's ObjectStoragePath, made to refuse appending
as S3 and GCS do (the stand-in for a bucket: everything else is the real ObjectStoragePath code).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from test_crawl import settings, spec_for

from sandbox.legacy_site import LegacySite, start
from soh_onboarding.migration import crawl as crawl_module
from soh_onboarding.migration import pipeline
from soh_onboarding.migration.crawl import Crawl, is_local, read_pages


class BucketFileSystem(MemoryFileSystem):
    """An object store: objects are written whole; opening one to append fails, as on S3."""

    protocol = ("bucket",)
    root_marker = ""

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if "a" in mode:
            raise NotImplementedError(f"object storage cannot append to {path}")
        return super()._open(path, mode, **kwargs)


@pytest.fixture
def bucket() -> Iterator[Any]:
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach

    fsspec.register_implementation("bucket", BucketFileSystem, clobber=True)
    attach(protocol="bucket", fs=BucketFileSystem())
    yield ObjectStoragePath(f"bucket://artifacts/{uuid.uuid4().hex}")


def test_the_journal_goes_to_whole_segments_and_a_rerun_resumes(bucket: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crawl_module, "SEGMENT_LINES", 25)  # several segments from a small site
    assert not is_local(bucket)
    site = LegacySite(60, seed=4, fault_rate=0, slow_ms=0)
    with start(site) as running:
        data = spec_for(running.url)
        first = Crawl(data, bucket / "crawl", settings(data, max_pages=30), progress=lambda _: None).run()
        segments = sorted(p.name for p in (bucket / "crawl" / "journal").iterdir())
        assert len(segments) >= 2 and segments[0] == "segment-000001.jsonl"
        assert not (bucket / "crawl" / "pages.jsonl").exists()
        done = [r.url for r in read_pages(bucket / "crawl")]
        assert len(done) == len(set(done)) >= first.pages

        second = Crawl(data, bucket / "crawl", settings(data), progress=lambda _: None).run()
        assert second.resumed_from == len(done)
        urls = [r.url for r in read_pages(bucket / "crawl")]
        assert urls[: len(done)] == done and len(urls) == len(set(urls)) > len(done)


def test_a_whole_migration_runs_on_object_storage(bucket: Any) -> None:
    site = LegacySite(50, seed=6, fault_rate=0, slow_ms=0)
    with start(site) as running:
        summary = pipeline.migrate(spec_for(running.url), bucket, progress=lambda _: None)
    assert summary.pages_migrated > 30 and summary.quality_passed, summary.quality
    assert (
        (bucket / "redirects.csv")
        .read_text()
        .startswith("old_url,new_url,type,archive_url,source,note,destination,suggested_url\n")
    )
