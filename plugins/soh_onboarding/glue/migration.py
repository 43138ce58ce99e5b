"""The content migration's adapter: crawl, plan the chunks, process each chunk, finish and check quality.

The pipeline (and Great Expectations, through its quality checks) is imported when a task runs, never at
parse time.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .options import phase_gate
from .runtime import artifact_store, artifact_url, fail, run_folder, snapshot, specs_dir

CHUNK_PAGES = 500
"""Pages per mapped processing task: small enough to spread a large site over Celery workers
(`[soh] migration_chunk_pages` overrides it: smaller chunks spread a site over more workers)."""


def chunk_pages() -> int:
    from airflow.configuration import conf

    return max(1, conf.getint("soh", "migration_chunk_pages", fallback=CHUNK_PAGES))


def _migration(slug: str, context: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    folder = run_folder(slug, context)
    return snapshot(folder), folder.phase("migration")


def crawl(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Crawl the legacy site into the run's folder; a retry or re-run resumes from its journal."""
    from ..migration import pipeline

    phase_gate("migration", context)
    spec_data, folder = _migration(slug, context)
    limit = (context.get("params") or {}).get("page_limit")
    return pipeline.crawl_site(spec_data, folder, max_pages=limit).as_dict()


def overrides(slug: str, spec_data: dict[str, Any], context: dict[str, Any]) -> Any:
    """The force's redirect overrides from the checkout the running DAG came from (None: it has none).

    Read when the plan task runs, not snapshotted with the spec at the run's start: so clearing this task
    (and those after it) in the UI applies corrections merged since, from the crawl already in the run's
    folder, without crawling again. What was applied (the file, its sha256, each row) is in the report.
    A file with errors fails the task with every error at its line, and nothing of it is applied.
    """
    from ..migration import overrides as corrections

    path = specs_dir(context) / f"{slug}{corrections.SUFFIX}"
    if not path.exists():
        return None
    found = corrections.read(path, spec_data)
    if found.errors:
        listing = "\n".join(error.format() for error in found.errors)
        fail(f"The redirect overrides have errors; fix them by pull request:\n{listing}")
    return found


def plan(slug: str, context: dict[str, Any]) -> list[dict[str, int]]:
    """Map every old URL (the force's overrides over the rules); one job per chunk of pages, for the mapped
    processing tasks."""
    from ..migration import pipeline

    spec_data, folder = _migration(slug, context)
    decided = pipeline.plan(spec_data, folder, overrides(slug, spec_data, context))
    chunks = max(1, -(-len(decided.pages) // chunk_pages()))
    print(
        f"{len(decided.pages)} pages, {len(decided.assets)} documents and images, {len(decided.mappings)} old URLs "
        f"mapped; {chunks} chunk(s)"
    )
    return [{"chunk": chunk, "chunks": chunks} for chunk in range(chunks)]


def process(slug: str, job: dict[str, int], context: dict[str, Any]) -> int:
    from ..migration import pipeline

    spec_data, folder = _migration(slug, context)
    done = pipeline.process(spec_data, folder, job["chunk"], job["chunks"])
    print(f"chunk {job['chunk'] + 1} of {job['chunks']}: {done} pages extracted, sanitised and re-linked")
    return done


def finish(slug: str, crawled: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Write the inventory, redirects and report; fail the task when the quality checks fail."""
    from ..migration import pipeline

    spec_data, folder = _migration(slug, context)
    previous = pipeline.previous_migration(artifact_store(), slug)  # before this run writes its summary.json
    summary = pipeline.finish(spec_data, folder, crawled, previous)
    report = artifact_url(folder / "migration-report.html")
    print(f"migrated {summary.pages_migrated} pages; report: {report}")
    if not summary.quality_passed:
        fail(f"The migration's quality checks failed (report: {report}):\n{summary.quality}")
    return asdict(summary)
