"""The migration of one force's legacy site, step by step: crawl, plan, process (in chunks), finish.

    crawl    the legacy site into crawl/ (resumable: see crawl.py)
    plan     decide every URL's fate from the crawl: which page is the original of byte-identical ones,
             what each old URL maps to (the GOV.UK way: redirect, archive or unresolved), written to
             plan/*.jsonl so the chunks agree on every link
    process  extract, sanitise and rewrite the links of one chunk of pages (content/part-N.jsonl); chunks
             are independent, so Airflow runs them as mapped tasks spread over workers
    finish   content.jsonl, inventory.csv, redirects.csv, assets.csv and the migration report

The force's corrections of the redirect map (overrides.py: <slug>.redirects.csv beside its spec) are taken
in `plan`, over what the rules computed, so the chunks re-link to them and redirects.csv shows each row's
source. `apply_overrides()` re-runs plan, process and finish on a folder that holds a crawl, to apply new
corrections without crawling again.

`migrate()` runs them all, as the CLI does. Every step reads and writes only its own folder, so a
re-run repeats the same work and writes the same files. The one thing read from outside it is the force's
previous passing migration (`previous_migration`), whose page count the quality checks compare with.
"""

from __future__ import annotations

import csv
import heapq
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from .. import reports
from ..artifacts import force_folder, within, write_json
from ..urls import Scope
from . import overrides as corrections
from . import suggest, traffic
from .alttext import MISSING_ALT_CSV, AltTexts, AltTextTally
from .crawl import Crawl, CrawlSettings, CrawlSummary, PageRecord, read_body, read_pages
from .extract import extract
from .mapping import (
    DESTINATION,
    DUPLICATE,
    MAPPING_TYPES,
    REDIRECT,
    UNRESOLVED,
    LinkLookup,
    Mapper,
    Mapping,
    make_unique,
    normalise_new_path,
    rewrite_links,
    write_redirects,
)
from .quality import (
    INVENTORY_COLUMNS,
    MAX_PAGE_LOSS_SHARE,
    PreviousMigration,
    QualityResult,
    check_migration,
    recorded_outcome,
)
from .sanitise import sanitise

ASSET_PREFIX = "/media/legacy"
CRAWL_SUMMARY = "summary.json"
"""In crawl/: what the last crawl did (CrawlSummary), for a report written later without crawling."""
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


@dataclass
class Plan:
    """What the crawl found, decided: the pages to process and every old URL's mapping."""

    pages: list[dict[str, Any]] = field(default_factory=list)  # one job per original page
    assets: list[dict[str, Any]] = field(default_factory=list)
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical old URL -> Mapping as dict
    inventory: list[dict[str, Any]] = field(default_factory=list)


def new_base_url(spec_data: dict[str, Any]) -> str:
    return f"https://{spec_data['tenant']['domains'][0]}"


def crawl_site(
    spec_data: dict[str, Any], folder: Any, *, max_pages: int | None = None, progress: Callable[[str], None] = print
) -> CrawlSummary:
    """Crawl the legacy site into folder/crawl; the spec's traffic data (if any) orders and seeds it."""
    settings = CrawlSettings.from_spec(spec_data, max_pages=max_pages)
    hits: dict[str, int] = {}
    found = traffic.load_for_spec(spec_data)
    if found is not None:
        (folder / "crawl").mkdir(parents=True, exist_ok=True)
        traffic.write_snapshot(folder / "crawl", found)
        hits = found.hits
        skipped = found.skipped_elsewhere + found.skipped_excluded
        progress(
            f"traffic data: {len(hits)} old URLs, {found.total:,} hits"
            + (f"; {skipped} rows skipped (other sites or excluded paths)" if skipped else "")
        )
    summary = Crawl(spec_data, folder / "crawl", settings, priority=hits, progress=progress).run()
    write_json(folder / "crawl" / CRAWL_SUMMARY, summary.as_dict())  # for apply_overrides(), which does not crawl
    return summary


def _originals(records: list[PageRecord]) -> dict[str, str]:
    """sha256 -> the URL that stands for all URLs with those bytes: chosen by rule, not crawl order.

    A URL the site answers without a redirect wins, then the shortest, then the first in order.
    """
    by_hash: dict[str, list[PageRecord]] = {}
    for record in records:
        if record.status == 200 and record.sha256 and not record.truncated:
            by_hash.setdefault(record.sha256, []).append(record)
    return {sha: min(group, key=lambda r: (bool(r.redirects), len(r.url), r.url)).url for sha, group in by_hash.items()}


def _asset_mapping(mapper: Mapper, url: str) -> Mapping:
    """Documents and images: by the spec's rules when one matches, else kept under /media/legacy/.

    A rule that matched but whose new path was refused (it climbs above the site root) leaves the file
    unresolved, with that reason: keeping it under its old path would hide the rule's mistake.
    """
    mapping = mapper.map(url)
    if mapping.type == REDIRECT or mapping.rule_index is not None:
        return mapping
    path = urlsplit(url).path
    return Mapping(
        url, normalise_new_path(ASSET_PREFIX + path), REDIRECT, "document", None, "asset kept under its old path"
    )


def over_size_limit(url: str, max_page_bytes: int) -> Mapping:
    """A page (or file) cut short at the crawl's size limit: unresolved, never migrated.

    Publishing the part that was read would lose the rest of the page without anyone knowing; so a person
    decides, and the reason says what they can do.
    """
    limit = f"{max_page_bytes / 1048576:g} MB" if max_page_bytes >= 1048576 else f"{max_page_bytes:,} bytes"
    return Mapping(
        url,
        None,
        UNRESOLVED,
        None,
        None,
        f"over the size limit ({limit}, legacy_site.crawl.max_page_bytes): split it into smaller pages, "
        "or raise max_page_bytes",
    )


def plan(spec_data: dict[str, Any], folder: Any, overrides: corrections.Overrides | None = None) -> Plan:
    """Decide every URL's fate from the crawl journal; write plan/ (JSON lines, one file per section).

    A URL whose body was cut short at `max_page_bytes` is unresolved with its reason (over_size_limit),
    so a truncated page is never published, and links to it are unwrapped as for any unresolved page.
    `overrides` (read and without errors) are then taken over the computed mappings: see _override().
    """
    # Without their links: the plan needs each URL's outcome, not the link graph, and must not hold the site.
    records = [replace(record, links=[], assets=[]) for record in read_pages(folder / "crawl")]
    originals = _originals(records)
    crawled = folder / "crawl" / CRAWL_SUMMARY
    finished = json.loads(crawled.read_text(encoding="utf-8")).get("finished_at", "") if crawled.exists() else ""
    mapper = Mapper.from_spec(spec_data, archive_time=finished)
    max_page_bytes = CrawlSettings.from_spec(spec_data).max_page_bytes
    result = Plan()
    own: list[Mapping] = []
    for record in records:
        if record.status == 200 and not record.truncated and originals.get(record.sha256) == record.url:
            own.append(_asset_mapping(mapper, record.url) if record.kind == "asset" else mapper.map(record.url))
    decided = {m.old_url: m for m in make_unique(own)}
    for record in sorted(records, key=lambda r: r.url):
        original = originals.get(record.sha256, "") if record.status == 200 else ""
        if record.status != 200:
            mapping, label = None, "error"
        elif record.truncated:
            mapping, label = over_size_limit(record.url, max_page_bytes), UNRESOLVED
        elif original != record.url:
            # Same bytes as another URL: it goes where that one goes (a redirect to its page, or archived too).
            target = decided[original]
            mapping = Mapping(
                record.url, target.new_path, target.type, target.content_type, None, f"same content as {original}"
            )
            label = DUPLICATE if target.type == REDIRECT else target.type
        else:
            mapping = decided[record.url]
            label = mapping.type
        if mapping is not None:
            result.mappings[record.url] = asdict(mapping)
        result.inventory.append(
            {
                "old_url": record.url,
                "canonical_url": record.url,
                "http_status": record.status,
                "content_type": (mapping.content_type or "") if mapping else "",
                "new_path": (mapping.new_path or "") if mapping else "",
                "content_hash": record.sha256,
                "mapping": label,
                "kind": record.kind,
                "error": record.error,
                "redirects": len(record.redirects),
                "truncated": record.truncated,
                "encoding": record.encoding or "",
                "reason": mapping.reason if mapping and mapping.type == UNRESOLVED else "",
            }
        )
        if label in MAPPING_TYPES and record.kind == "page":
            result.pages.append(
                {
                    "url": record.url,
                    "final_url": record.final_url,
                    "sha256": record.sha256,
                    "encoding": record.encoding,
                    "new_path": mapping.new_path if mapping else None,
                    "mapping": label,
                    "content_type": mapping.content_type if mapping else None,
                }
            )
        elif label == REDIRECT and record.kind == "asset":
            result.assets.append(
                {
                    "url": record.url,
                    "sha256": record.sha256,
                    "new_path": mapping.new_path,
                    "content_type": record.content_type,
                    "last_modified": record.last_modified,
                }
            )
    outcome = _override(result, overrides, str(folder)) if overrides is not None else corrections.Outcome()
    _write_plan(folder, result)
    outcome.write(folder / "plan")
    stale = folder / "content"
    if stale.exists():  # parts processed under an earlier plan (or another chunking) no longer count
        for part in stale.iterdir():
            part.unlink()
    return result


def _override(result: Plan, overrides: corrections.Overrides, source: str) -> corrections.Outcome:
    """Take the force's corrections over the computed mappings; the outcome lists those that no longer fit.

    A row is applied when it fits this crawl (corrections.select: a known old URL, a redirect to a page this
    migration migrated, no chain). Its mapping says `override` and carries the note, so redirects.csv and
    the re-linking inside content follow it. What the content is does not change: a page whose content was
    migrated keeps its inventory row and stays published at its new path (only its old URL answers as the
    force says); any other old URL's inventory row takes the override's type (a redirect as `duplicate`:
    it goes where another page went), so the unresolved share and the report's list count the decision.
    """
    if overrides.errors:
        raise ValueError(f"{overrides.shown} has errors: nothing of it may be applied")
    index = corrections.MigrationIndex(source)
    for row in result.inventory:
        index.add(row["old_url"], row["mapping"], row["new_path"])
    chosen, outcome = corrections.select(overrides, index)
    inventory = {row["old_url"]: row for row in result.inventory}
    for row in chosen:
        reason = f"override ({overrides.shown} line {row.line})" + (f": {row.note}" if row.note else "")
        mapping = Mapping(
            row.old_url,
            row.new_path,
            row.type,
            None,
            None,
            reason,
            row.archive_action,
            row.archive_url,
            corrections.OVERRIDE,
            row.note,
            row.destination,
            row.destination_name,
        )
        result.mappings[row.old_url] = asdict(mapping)
        item = inventory[row.old_url]
        if item["mapping"] != REDIRECT:
            label = (DESTINATION if row.destination else DUPLICATE) if row.type == REDIRECT else row.type
            item.update(mapping=label, new_path=row.new_path or "", reason=reason)
    result.mappings = dict(sorted(result.mappings.items()))  # an old URL the crawl could not fetch may join
    return outcome


PLAN_SECTIONS = ("pages", "assets", "mappings", "inventory")


def _write_plan(folder: Any, result: Plan) -> None:
    """The plan as JSON lines, one file per section, written item by item: never one document in memory."""
    out = folder / "plan"
    out.mkdir(parents=True, exist_ok=True)
    for section in PLAN_SECTIONS:
        items = getattr(result, section)
        with (out / f"{section}.jsonl").open("w", encoding="utf-8") as lines:
            for item in items.values() if isinstance(items, dict) else items:
                lines.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")


def read_plan(folder: Any, *sections: str) -> Plan:
    """The sections of the plan a step needs (all by default)."""
    result = Plan()
    for section in sections or PLAN_SECTIONS:
        with (folder / "plan" / f"{section}.jsonl").open(encoding="utf-8") as lines:
            items = [json.loads(line) for line in lines if line.strip()]
        setattr(result, section, {m["old_url"]: m for m in items} if section == "mappings" else items)
    return result


def _decode(body: bytes, encoding: str | None) -> str:
    if not encoding:
        declared = _META_CHARSET.search(body[:4096])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def process(spec_data: dict[str, Any], folder: Any, chunk: int = 0, chunks: int = 1) -> int:
    """Extract, sanitise and re-link the pages of one chunk; write content/part-<chunk>.jsonl.

    The jobs stream from the plan, one at a time; only the link table (old URL -> new path) is held.
    """
    scope = Scope.from_spec(spec_data)
    lookup = LinkLookup(_plan_items(folder, "mappings"), scope)
    alt_texts = AltTexts.from_spec(spec_data, scope)
    selectors = spec_data["legacy_site"]["content_selectors"]
    out = folder / "content"
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    part = out / f"part-{chunk:04d}-of-{chunks:04d}.jsonl"
    partial = out / f".{part.name}.partial"  # renamed when whole: a killed chunk leaves no half part
    lines = partial.open("w", encoding="utf-8")
    for index, job in enumerate(_plan_items(folder, "pages")):
        if index % chunks != chunk or job["mapping"] != REDIRECT:
            continue
        html = _decode(read_body(folder / "crawl", job["sha256"]), job["encoding"])
        found = extract(html, selectors)
        alt_text = alt_texts.for_page()
        clean = sanitise(found.body_html, base_url=job["final_url"], alt_text=alt_text)
        body, _changed, unresolved = rewrite_links(clean.html, job["final_url"], lookup)
        # An image from an old URL with no new home (a broken image) is dropped by re-linking: it is no
        # longer on the page, so it needs no alt and is not listed for the editors.
        missing_alt = [
            f.detail
            for f in clean.findings
            if f.kind == "image_missing_alt" and lookup.resolve(f.detail)[0] != "unresolved"
        ]
        filled = {src: key for src, key in alt_text.filled.items() if lookup.resolve(src)[0] != "unresolved"}
        record = {
            "old_url": job["url"],
            "new_path": job["new_path"],
            "title": found.title,
            "summary": found.summary,
            "published": found.published,
            "content_type": job["content_type"],
            "body_html": body,
            "content_hash": job["sha256"],
            "found_by": found.found_by,
            "findings": clean.counts,
            "images_missing_alt": missing_alt,
            "images_alt_from_spec": filled,
            "unresolved_links": unresolved,
        }
        lines.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    lines.close()
    partial.rename(part)
    return count


def _content_records(folder: Any) -> Iterator[dict[str, Any]]:
    """Every chunk's pages, in old-URL order, merged as they are read (each part is already in order)."""
    parts = (
        sorted(p for p in (folder / "content").iterdir() if p.name.startswith("part-") and p.name.endswith(".jsonl"))
        if (folder / "content").exists()
        else []
    )

    def read(part: Any) -> Iterator[dict[str, Any]]:
        with part.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)

    yield from heapq.merge(*(read(part) for part in parts), key=lambda record: record["old_url"])


@dataclass
class MigrationSummary:
    pages_migrated: int
    by_mapping: dict[str, int]
    by_content_type: dict[str, int]
    assets: int
    unresolved_share: float
    legacy_problems: dict[str, int]
    fallback_extractions: int
    images_missing_alt: int
    markup_removed: dict[str, int]
    quality_passed: bool = False
    quality: str = ""
    traffic_hits: int = 0  # hits in the traffic data for the legacy site's URLs (0: no traffic data)
    traffic_redirected_share: float | None = None  # share of those hits on URLs redirected to a new page
    images_alt_from_spec: int = 0  # images without alt in the source that got the editors' text from the spec
    alt_text_unused: int = 0  # the spec's alt_text entries that matched no image (listed in the report)


def _plan_items(folder: Any, section: str) -> Iterator[dict[str, Any]]:
    """One section of the plan, item by item: finish() never holds the whole inventory."""
    with (folder / "plan" / f"{section}.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def previous_migration(store: Any, slug: str, also: Any = None) -> PreviousMigration | None:
    """The force's latest migration that passed its checks with pages: what a new one's page count is
    compared with (quality check 9), or None when there is none.

    The candidates are the summary.json of every run of the force in the artifact store
    (<store>/<slug>/<run>/migration/, as the onboarding DAG writes them; the CLI reads the same store) and
    of `also` (the CLI's --out folder, whose previous run this one replaces). The latest is the one written
    last. Call it before this run's finish() writes its own summary.json. A failed migration is never the
    reference: one that lost pages would lower the bar for the next.
    """
    runs = force_folder(store, slug)
    folders = [path.parent for path in runs.glob("*/migration/summary.json")] if runs.exists() else []
    found: list[tuple[float, int, str]] = []
    for folder in [*folders, *([also] if also is not None else [])]:
        outcome = recorded_outcome(folder)
        if outcome is not None and outcome.passed and outcome.pages > 0:
            found.append(((folder / "summary.json").stat().st_mtime, outcome.pages, str(folder / "summary.json")))
    if not found:
        return None
    _, pages, source = max(found)
    return PreviousMigration(pages, source)


def finish(
    spec_data: dict[str, Any],
    folder: Any,
    crawl_summary: dict[str, Any] | None = None,
    previous: PreviousMigration | None = None,
) -> MigrationSummary:
    """Write content.jsonl, inventory.csv, redirects.csv, assets.csv, the report and summary.json.

    Every table is streamed from the plan's files to its CSV: memory holds the migrated pages' titles
    and the counts, not the site. `previous` is the force's previous passing migration (previous_migration),
    whose page count the checks compare with unless the crawl stopped at its page limit: then it found as
    many pages as it was allowed to, and a trial run (--max-pages, the trigger form's page limit) is not
    a loss.
    """
    titles: dict[str, str] = {}
    pages = _PageTally()
    with (
        (folder / "content.jsonl").open("w", encoding="utf-8") as out,
        (folder / MISSING_ALT_CSV).open("w", encoding="utf-8", newline="") as missing_alt,
    ):
        alt_text = AltTextTally.open(missing_alt, Scope.from_spec(spec_data))
        for record in _content_records(folder):  # streamed: a page's body is in memory only while written
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            titles[record["old_url"]] = record["title"]
            pages.add(record)
            alt_text.add(record)

    urls = _InventoryTally(traffic.read_snapshot(folder / "crawl"))
    migrated: list[suggest.Page] = []
    with (folder / "inventory.csv").open("w", encoding="utf-8", newline="") as table:
        writer = csv.DictWriter(table, fieldnames=INVENTORY_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in _plan_items(folder, "inventory"):
            title = titles.get(row["old_url"], "")
            writer.writerow(row | {"title": title})
            urls.add(row)
            if row["mapping"] == REDIRECT and row["new_path"]:
                migrated.append(suggest.Page(row["old_url"], row["new_path"], title))
    del titles

    with (folder / "redirects.csv").open("w", encoding="utf-8", newline="") as table:
        mapped = write_redirects(
            table,
            (Mapping(**m) for m in _plan_items(folder, "mappings")),
            new_base_url(spec_data),
            suggest.Pages(migrated).gone_page,
        )
    del migrated

    assets = 0
    with (folder / "assets.csv").open("w", encoding="utf-8", newline="") as table:
        asset_writer = csv.writer(table, lineterminator="\n")
        asset_writer.writerow(["old_url", "new_path", "sha256", "content_type", "last_modified"])
        for asset in _plan_items(folder, "assets"):
            write_asset(folder / "assets", asset["new_path"], read_body(folder / "crawl", asset["sha256"]))
            row = [asset["url"], asset["new_path"], asset["sha256"], asset["content_type"]]
            asset_writer.writerow([*row, asset.get("last_modified", "")])
            assets += 1

    summary = urls.summarise(pages, assets)
    summary.images_alt_from_spec = alt_text.filled
    alt_text.find_unused(spec_data["content_mapping"].get("alt_text") or {})
    summary.alt_text_unused = len(alt_text.unused)
    if (crawl_summary or {}).get("stopped_by") == "max_pages":
        previous = None
    quality = check_quality(spec_data, folder, previous, urls.unfetched)
    summary.quality_passed, summary.quality = quality.success, quality.summary()
    values = {
        "spec": spec_data,
        "summary": summary,
        "mapped_urls": mapped,
        "unresolved": urls.unresolved_by_traffic(),
        "crawl": crawl_summary or {},
        "quality": quality,
        "alt_text": alt_text,
        "missing_alt_csv": MISSING_ALT_CSV,
        "overrides": corrections.Outcome.read(folder / "plan") or corrections.Outcome(),
    }
    markdown = reports.render("migration_report.md.j2", **values)
    (folder / "migration-report.md").write_text(markdown, encoding="utf-8")
    title = f"Content migration: {spec_data['force']['name']}"
    (folder / "migration-report.html").write_text(reports.markdown_to_html(markdown, title), encoding="utf-8")
    write_json(folder / "summary.json", asdict(summary))
    return summary


def write_asset(assets: Any, new_path: str, body: bytes) -> Any:
    """A document's or image's bytes at its new path under `assets` (the run's migration/assets/).

    The path comes from the plan, which came from the spec's templates and the crawled URLs: `within`
    refuses (OutsideFolder) one that would land outside `assets`, by `..` or by a symbolic link, rather
    than trusting that the mapping normalised it. Returns the file written.
    """
    target = within(assets, new_path.lstrip("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return target


def check_quality(
    spec_data: dict[str, Any],
    folder: Any,
    previous: PreviousMigration | None = None,
    unfetched: list[str] | None = None,
) -> QualityResult:
    """The Great Expectations suite over the outputs; quality.json beside them."""
    scope = Scope.from_spec(spec_data)
    mapping = spec_data["content_mapping"]
    result = check_migration(
        folder,
        legacy_hosts=[*scope.hosts, scope.base_host],
        new_base_url=new_base_url(spec_data),
        max_unresolved_share=mapping.get("max_unresolved_share", 0.1),
        previous=previous,
        max_page_loss_share=mapping.get("max_page_loss_share", MAX_PAGE_LOSS_SHARE),
        unfetched=unfetched or (),
    )
    write_json(folder / "quality.json", result.as_dict())
    return result


@dataclass
class _PageTally:
    """What the summary needs from the migrated pages, counted as they stream past."""

    count: int = 0
    by_content_type: Counter[str] = field(default_factory=Counter)
    fallbacks: int = 0
    missing_alt: int = 0
    removed: Counter[str] = field(default_factory=Counter)

    def add(self, record: dict[str, Any]) -> None:
        self.count += 1
        self.by_content_type[record["content_type"] or "page"] += 1
        self.fallbacks += record["found_by"].startswith("fallback")
        self.missing_alt += len(record["images_missing_alt"])
        self.removed.update({k: v for k, v in record["findings"].items() if k.startswith("removed")})


UNFETCHED_EXAMPLES = 10
"""URLs the crawl could not fetch kept, with why, for the reason of a failed page check."""


@dataclass
class _InventoryTally:
    """What the summary and the report need from the inventory, counted as its rows stream past."""

    hits: dict[str, int]  # traffic data: hits per canonical old URL (empty without traffic data)
    by_mapping: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    unresolved: list[tuple[str, str, str]] = field(default_factory=list)  # (old URL, kind, reason)
    redirected_hits: int = 0
    unfetched: list[str] = field(default_factory=list)  # the first URLs not fetched, with why: "URL (error)"

    def add(self, row: dict[str, Any]) -> None:
        self.by_mapping[row["mapping"]] += 1
        if row["mapping"] == "error" and len(self.unfetched) < UNFETCHED_EXAMPLES:
            why = row["error"] or f"HTTP {row['http_status']}"
            self.unfetched.append(f"{row['old_url']} ({why})")
        if row["mapping"] == UNRESOLVED:
            self.unresolved.append((row["old_url"], row["kind"], row.get("reason", "")))
        if row["mapping"] in (REDIRECT, DUPLICATE) and row["new_path"]:
            self.redirected_hits += self.hits.get(row["old_url"], 0)
        problems = self.problems
        if row["http_status"] == 404:
            problems["broken links (404)"] += 1
        elif row["error"] == "redirect loop":
            problems["redirect loops"] += 1
        elif row["error"].startswith("refused: robots.txt"):
            problems["disallowed by robots.txt"] += 1
        elif row["error"].startswith("refused"):
            problems["refused (outside scope or address)"] += 1
        elif row["error"]:
            problems["other errors (timeouts, 5xx)"] += 1
        if row["redirects"] >= 2:
            problems["redirect chains (2+ hops)"] += 1
        if row["truncated"]:
            problems["pages over the size limit"] += 1
        if row["encoding"].lower() in ("windows-1252", "cp1252", "iso-8859-1"):
            problems["pages not in UTF-8"] += 1

    def unresolved_by_traffic(self) -> list[dict[str, Any]]:
        """The unresolved old URLs for a person to decide, busiest first (then by URL)."""
        rows = [
            {"old_url": url, "kind": kind, "reason": reason, "hits": self.hits.get(url, 0)}
            for url, kind, reason in self.unresolved
        ]
        return sorted(rows, key=lambda row: (-row["hits"], row["old_url"]))

    def summarise(self, pages: _PageTally, assets: int) -> MigrationSummary:
        decided = sum(self.by_mapping[k] for k in MAPPING_TYPES)
        total_hits = sum(self.hits.values())
        return MigrationSummary(
            pages_migrated=pages.count,
            by_mapping=dict(sorted(self.by_mapping.items())),
            by_content_type=dict(sorted(pages.by_content_type.items())),
            assets=assets,
            unresolved_share=round(self.by_mapping[UNRESOLVED] / decided, 4) if decided else 0.0,
            legacy_problems=dict(sorted(self.problems.items())),
            fallback_extractions=pages.fallbacks,
            images_missing_alt=pages.missing_alt,
            markup_removed=dict(sorted(pages.removed.items())),
            traffic_hits=total_hits,
            traffic_redirected_share=round(self.redirected_hits / total_hits, 4) if total_hits else None,
        )


def migrate(
    spec_data: dict[str, Any],
    folder: Any,
    *,
    max_pages: int | None = None,
    chunks: int = 1,
    previous: PreviousMigration | None = None,
    overrides: corrections.Overrides | None = None,
    progress: Callable[[str], None] = print,
) -> MigrationSummary:
    """The whole migration in this process: what the CLI runs (`previous`: see finish(); `overrides`: plan())."""
    crawled = crawl_site(spec_data, folder, max_pages=max_pages, progress=progress)
    return _after_crawl(spec_data, folder, crawled.as_dict(), chunks, previous, overrides, progress)


class NoCrawl(ValueError):
    """apply_overrides() on a folder without a crawl: there is nothing to re-plan."""


def apply_overrides(
    spec_data: dict[str, Any],
    folder: Any,
    overrides: corrections.Overrides | None,
    *,
    previous: PreviousMigration | None = None,
    progress: Callable[[str], None] = print,
) -> MigrationSummary:
    """Apply the force's corrections to a migration folder without crawling: plan, process and finish again
    from the crawl already in it (its journal and bodies are on disk; the legacy site is not asked).

    Re-planning rather than editing redirects.csv keeps one way of making every output: the links inside
    content, the inventory, the report and the quality checks follow the corrections as in a full run.
    """
    if not (folder / "crawl").exists() or not any(True for _ in read_pages(folder / "crawl")):
        raise NoCrawl(f"no crawl in {folder}: run the migration first (python -m soh_onboarding migrate)")
    summary_file = folder / "crawl" / CRAWL_SUMMARY
    crawled = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.exists() else {}
    return _after_crawl(spec_data, folder, crawled, 1, previous, overrides, progress)


def _after_crawl(
    spec_data: dict[str, Any],
    folder: Any,
    crawled: dict[str, Any],
    chunks: int,
    previous: PreviousMigration | None,
    overrides: corrections.Overrides | None,
    progress: Callable[[str], None],
) -> MigrationSummary:
    decided = plan(spec_data, folder, overrides)
    progress(
        f"planned: {len(decided.pages)} pages, {len(decided.assets)} documents and images, {len(decided.mappings)} old URLs mapped"
    )
    outcome = corrections.Outcome.read(folder / "plan")
    if outcome is not None and outcome.file:
        progress(
            f"overrides ({outcome.file}): {len(outcome.applied)} applied, {len(outcome.not_applied)} no longer apply"
        )
    for chunk in range(chunks):
        done = process(spec_data, folder, chunk, chunks)
        progress(f"processed chunk {chunk + 1}/{chunks}: {done} pages")
    if previous is not None:
        progress(f"previous migration: {previous.pages} pages ({previous.source})")
    summary = finish(spec_data, folder, crawled, previous)
    progress(
        f"migrated {summary.pages_migrated} pages; unresolved share {summary.unresolved_share:.1%}; report in {folder / 'migration-report.html'}"
    )
    progress(f"quality: {summary.quality}")
    return summary
