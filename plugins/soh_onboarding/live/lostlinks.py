"""Old URLs the public still asks for after go-live that find nothing: from a day's access logs (accesslogs.py)
and the go-live run's migration, the list a force's team works through, busiest first.

Each old URL answering 404 or 410 is looked up in the redirect map (canonicalised as the crawl did, so a
tracking parameter or another case is the same URL):

- `not in the map`: the crawl never found it; the suggestion is where it should go;
- `unresolved`: the map has it, and a person was to decide;
- `redirect, not answered`: the map redirects it (to a page, a national destination or its archived copy),
  yet it answered 404 or 410: the edge or the platform lost it;
- `archived`: a deliberate 410 (listed, never alerted on).

The suggestion is the migrated page nearest by words (migration/suggest.py): the old URL's path and query against each page's old
path, new path and title, words weighted by how rare they are among the pages (a story's number or a
street's name says more than "news"). Its evidence is the words shared and where they were found, so a
person can judge it in a glance. An old URL that is not in the map (or unresolved, or lost) with at least
`alert_hits` hits that day is an alert.
"""

from __future__ import annotations

import csv
import os
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin

import yaml

from .. import reports
from ..artifacts import safe_name
from ..migration.suggest import Page, Pages, Suggestion
from ..project import CONFIG_DIR
from ..urls import NotAWebURL, Scope
from .accesslogs import Tally
from .sitechecks import write_result

CONFIG = "access-logs.yaml"
FOLDER = "lost-links"
SUMMARY = ("platform", "lost-links.json")
SUGGESTED = 200
"""The busiest old URLs that get a suggestion (the rest are listed without one)."""
LISTED = 1000
"""Rows kept in the day's result (the busiest); the rest are counted."""
NOT_IN_MAP, UNRESOLVED, LOST, ARCHIVED = "not in the map", "unresolved", "redirect, not answered", "archived"
ALERTING = (NOT_IN_MAP, UNRESOLVED, LOST)


@dataclass(frozen=True)
class LogSettings:
    """config/access-logs.yaml: where the logs are and when an old URL is an alert."""

    location: str
    conn_id: str | None
    alert_hits: int
    suggestions: int

    @classmethod
    def load(cls, path: Any = None, environ: dict[str, str] | None = None) -> LogSettings:
        source = path or CONFIG_DIR / CONFIG
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        env = os.environ if environ is None else environ
        try:
            settings = cls(
                location=str(env.get("SOH_ACCESS_LOGS") or data["location"]),
                conn_id=data.get("conn_id") or None,
                alert_hits=int(data["alert_hits"]),
                suggestions=int(data["suggestions"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{source}: {error}: it needs location, alert_hits and suggestions") from None
        if "{date}" not in settings.location or not ("{force}" in settings.location or "{tenant}" in settings.location):
            raise ValueError(f"{source}: location {settings.location!r} must hold {{date}} and {{force}} or {{tenant}}")
        if settings.alert_hits < 1 or settings.suggestions < 0:
            raise ValueError(f"{source}: alert_hits must be 1 or more and suggestions 0 or more")
        return settings

    def folder(self, force: str, tenant: str, day: str, project: str) -> str:
        """The URL of one force's logs of one day (`day`: YYYY-MM-DD)."""
        return self.location.format(force=force, tenant=tenant, date=day.replace("-", ""), project=project)


@dataclass
class Row:
    """One old URL that answered 404 or 410 on the day."""

    target: str
    status: int
    hits: int
    in_map: str
    suggestion: Suggestion | None = None

    @property
    def alerting(self) -> bool:
        return self.in_map in ALERTING


@dataclass
class LostLinks:
    """A force's day: what was read, and the old URLs that found nothing."""

    force: str
    day: str
    files: int
    lines: int
    requests: int
    malformed: int
    malformed_examples: list[str]
    not_found_hits: int
    dropped_hits: int
    rows: list[Row]
    more_rows: int
    alert_hits: int
    alerts: list[Row] = field(default_factory=list)

    def line(self, result: str, report: str) -> dict[str, Any]:
        """The force's line in the platform-wide summary (the dashboard reads it)."""
        return {
            "force": self.force,
            "day": self.day,
            "files": self.files,
            "lines": self.lines,
            "malformed": self.malformed,
            "old_urls": len(self.rows) + self.more_rows,
            "not_found_hits": self.not_found_hits,
            "alert": bool(self.alerts),
            "alerts": [f"{row.target} ({row.hits} hits, {row.in_map})" for row in self.alerts],
            "result": result,
            "report": report,
        }


def read_pages(migration: Any) -> Pages:
    """The migrated pages of a run's migration (inventory.csv: the redirected ones with their titles)."""
    with (migration / "inventory.csv").open(encoding="utf-8", newline="") as handle:
        pages = [
            Page(row["old_url"], row["new_path"], row.get("title") or "")
            for row in csv.DictReader(handle)
            if row.get("mapping") == "redirect" and row.get("new_path")
        ]
    return Pages(pages)


def read_map(migration: Any, scope: Scope) -> dict[str, str]:
    """Canonical old URL -> its type in redirects.csv (redirect, archive, unresolved), an archive row that
    links its archived copy counted as a redirect (it answers a 301 to it). The map's URLs are canonical
    already; canonicalising them again (idempotent) keeps a hand-edited row comparable."""
    mapped = {}
    with (migration / "redirects.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                linked = row["type"] == "archive" and row.get("archive_url")
                mapped[scope.canonicalise(row["old_url"])] = "redirect" if linked else row["type"]
            except (NotAWebURL, ValueError):
                continue
    return mapped


def _in_map(target: str, status: int, scope: Scope, mapped: dict[str, str]) -> str:
    try:
        url = scope.canonicalise(urljoin(scope.base_url, target))
    except (NotAWebURL, ValueError):
        return NOT_IN_MAP
    kind = mapped.get(url)
    if kind == "archive" or (kind is None and status == 410):
        return ARCHIVED
    if kind == "redirect":
        return LOST
    return UNRESOLVED if kind == "unresolved" else NOT_IN_MAP


def analyse(
    spec_data: dict[str, Any],
    slug: str,
    migration: Any,
    tally: Tally,
    day: str,
    alert_hits: int,
    suggested: int = SUGGESTED,
) -> LostLinks:
    """The day's old URLs that found nothing, busiest first, each placed in the map and (the busiest
    `suggested`) given the nearest migrated page."""
    scope = Scope.from_spec(spec_data)
    mapped, pages = read_map(migration, scope), read_pages(migration)
    busiest = tally.busiest()
    rows = []
    for number, (target, status, hits) in enumerate(busiest[:LISTED]):
        row = Row(target, status, hits, _in_map(target, status, scope, mapped))
        if number < suggested and row.in_map != ARCHIVED:
            row.suggestion = pages.nearest(target)
        rows.append(row)
    return LostLinks(
        force=slug,
        day=day,
        files=len(tally.files),
        lines=tally.lines,
        requests=tally.requests,
        malformed=tally.malformed,
        malformed_examples=list(tally.malformed_examples),
        not_found_hits=sum(hits for _, _, hits in busiest),
        dropped_hits=tally.dropped_hits,
        rows=rows,
        more_rows=max(len(busiest) - LISTED, 0),
        alert_hits=alert_hits,
        alerts=[row for row in rows if row.alerting and row.hits >= alert_hits],
    )


def record(store: Any, found: LostLinks, force_name: str) -> dict[str, Any]:
    """The day's result (`<store>/<force>/lost-links/<day>.json`, and latest.json) and its report
    (`<day>.html`); returns the force's line for the platform-wide summary."""
    document = asdict(found)
    dated = write_result(store, found.force, FOLDER, found.day, document)
    markdown = reports.render("lost_links.md.j2", found=found, force_name=force_name)
    report = dated.parent / f"{found.day}.html"
    report.write_text(reports.markdown_to_html(markdown, f"Old URLs not found: {force_name}"), encoding="utf-8")
    return found.line(str(dated), f"{safe_name(found.force)}/{FOLDER}/{found.day}.html")
