"""Traffic data: how often each old URL was visited, from the legacy site's analytics or server logs.

GOV.UK's transition tool lets hits decide priority: the busiest old URLs are mapped first, and the share of
traffic that lands somewhere is the measure that matters to the public. Here the spec's optional
`legacy_site.traffic_data` names a CSV committed in the repository, with a header row and (at least) two
columns, in any order:

    path,hits                      (or url instead of path; count, visits or pageviews instead of hits)
    /news/man-charged.aspx,1520
    https://www.thamesvalley.police.uk/appeals/witness.aspx,88

A path is taken on the legacy site's base URL; a full URL must be on one of its domains. Each URL is
canonicalised as the crawl does (the same page under another case or tracking parameter adds up), and
the crawl then
- fetches the busiest URLs first (the frontier is ordered by hits),
- starts from every URL in the traffic data too, so pages no link reaches are found and mapped;
and the migration report lists the unresolved URLs busiest first, and gives the share of the traffic whose
URLs are redirected to a new page.

A row that cannot be read stops the run with the file, the line and what to fix; rows for other sites or
for paths the spec excludes are skipped and counted, not fatal (analytics exports carry them).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..urls import NotAWebURL, Scope

PATH_COLUMNS = ("path", "url", "page", "old_url")
HITS_COLUMNS = ("hits", "count", "visits", "pageviews", "views")
SNAPSHOT = "traffic.csv"  # the canonical hits, kept in the crawl's folder for the steps after it


class TrafficDataError(ValueError):
    """The traffic CSV cannot be read: the message names the file, the line and what to fix."""


@dataclass
class Traffic:
    """Hits per canonical old URL (in the crawl's scope), and what was skipped."""

    hits: dict[str, int] = field(default_factory=dict)
    skipped_elsewhere: int = 0  # rows for another site's URLs
    skipped_excluded: int = 0  # rows for URLs the spec's include/exclude patterns keep out of the crawl

    @property
    def total(self) -> int:
        return sum(self.hits.values())

    def ordered(self) -> list[tuple[str, int]]:
        """(url, hits), busiest first, then by URL (a stable order for equal hits)."""
        return sorted(self.hits.items(), key=lambda item: (-item[1], item[0]))


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [name.strip().lower() for name in header]
    return next((lowered.index(name) for name in names if name in lowered), None)


def parse_traffic(text: str, scope: Scope, name: str = "traffic data") -> Traffic:
    """Read a traffic CSV's text into hits per canonical URL; TrafficDataError on a row it cannot read."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(rows, None)
    if not header:
        raise TrafficDataError(f"{name}: the file is empty; it needs a header row such as 'path,hits'")
    path_at, hits_at = _column(header, PATH_COLUMNS), _column(header, HITS_COLUMNS)
    if path_at is None or hits_at is None:
        missing = " and ".join(
            what
            for what, at in (("a path (or url) column", path_at), ("a hits (or count) column", hits_at))
            if at is None
        )
        raise TrafficDataError(f"{name} line 1: the header {','.join(header)!r} has no {missing}; use 'path,hits'")
    traffic = Traffic()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(path_at, hits_at):
            raise TrafficDataError(f"{name} line {line}: {len(row)} field(s), the header has {len(header)}")
        where, count = row[path_at].strip(), row[hits_at].strip().replace(",", "").replace("_", "")
        if not count.isdigit():
            raise TrafficDataError(f"{name} line {line}: hits {row[hits_at]!r} is not a whole number of visits")
        if not where:
            raise TrafficDataError(f"{name} line {line}: the path is empty")
        try:
            url = scope.canonicalise(where, base=scope.base_url)
        except (NotAWebURL, ValueError) as error:
            raise TrafficDataError(f"{name} line {line}: {where!r} is not a URL or path ({error})") from None
        decision = scope.canonical_in_scope(url)
        if not decision:
            if "legacy site's domains" in decision.reason or "port" in decision.reason:
                traffic.skipped_elsewhere += 1
            else:
                traffic.skipped_excluded += 1
            continue
        traffic.hits[url] = traffic.hits.get(url, 0) + int(count)
    return traffic


def load_for_spec(spec_data: dict[str, Any], root: Path | None = None) -> Traffic | None:
    """The spec's traffic data (legacy_site.traffic_data, relative to the repository root), or None."""
    relative = spec_data["legacy_site"].get("traffic_data")
    if not relative:
        return None
    if root is None:
        from .. import project

        root = project.ROOT
    path = root / relative
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrafficDataError(
            f"{relative}: no such file (legacy_site.traffic_data); commit it or remove the field"
        ) from None
    except UnicodeDecodeError as error:
        raise TrafficDataError(
            f"{relative}: not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
        ) from None
    return parse_traffic(text, Scope.from_spec(spec_data), relative)


def write_snapshot(folder: Any, traffic: Traffic) -> None:
    """The canonical hits in the crawl's folder (url,hits; busiest first): what the later steps read."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["url", "hits"])
    writer.writerows(traffic.ordered())
    (folder / SNAPSHOT).write_text(out.getvalue(), encoding="utf-8")


def read_snapshot(folder: Any) -> dict[str, int]:
    """Hits per canonical URL from the crawl's snapshot; empty when the spec has no traffic data."""
    path = folder / SNAPSHOT
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["url"]: int(row["hits"]) for row in csv.DictReader(handle)}
