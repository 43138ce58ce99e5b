"""Before and after: the legacy site's pages against their new homes, matched by the redirect map.

For each old page that redirects to a new one and both could be audited, every success criterion with
a violation on either side is one of: *fixed* (failed on the old page, not on the new), *carried over*
(failed on both), *introduced* (failed only on the new page). Counted per criterion over page pairs.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..migration.mapping import REDIRECT
from . import wcag


class RedirectMapError(ValueError):
    """redirects.csv is missing or malformed: says where."""


@dataclass
class Comparison:
    pairs: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, str]] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(r[k] for r in self.rows) for k in ("fixed", "carried_over", "introduced")}

    def as_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "totals": self.totals, "criteria": self.rows, "unmatched": self.unmatched}


def read_redirects(text: str, *, source: str = "redirects.csv", new_base: str | None = None) -> list[tuple[str, str]]:
    """(old_url, new_url) of the redirect rows to the new site (not those to a national destination); new
    URLs moved onto `new_base` (e.g. the tenant's preview)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"old_url", "new_url", "type"} - set(reader.fieldnames or [])
    if missing:
        raise RedirectMapError(f"{source}: line 1: missing column(s) {', '.join(sorted(missing))}")
    pairs = []
    for line, row in enumerate(reader, start=2):
        if row["type"] != REDIRECT or row.get("destination"):
            continue  # a national destination is not the force's page: not ours to audit
        if not row["new_url"]:
            raise RedirectMapError(f"{source}: line {line}: a redirect without new_url")
        new_url = row["new_url"]
        if new_base:
            parts = urlsplit(new_url)
            new_url = new_base.rstrip("/") + "/" + parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
        pairs.append((row["old_url"], new_url))
    return pairs


def compare(before: Any, after: Any, pairs: list[tuple[str, str]]) -> Comparison:
    """Per criterion, over the page pairs both audits covered: fixed, carried over, introduced."""
    old_pages = {p.url: p for p in before.pages}
    new_pages = {p.url: p for p in after.pages}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"fixed": 0, "carried_over": 0, "introduced": 0})
    findings: dict[str, dict[str, int]] = defaultdict(lambda: {"before": 0, "after": 0})
    matched, unmatched = 0, []
    for old_url, new_url in pairs:
        old, new = old_pages.get(old_url), new_pages.get(new_url)
        if old is None or new is None:
            continue
        if old.error or new.error:
            unmatched.append({"old_url": old_url, "new_url": new_url, "why": old.error or new.error or ""})
            continue
        matched += 1
        old_criteria = {n for f in old.violations for n in f.wcag}
        new_criteria = {n for f in new.violations for n in f.wcag}
        for f in old.violations:
            for n in f.wcag:
                findings[n]["before"] += 1
        for f in new.violations:
            for n in f.wcag:
                findings[n]["after"] += 1
        for n in old_criteria - new_criteria:
            counts[n]["fixed"] += 1
        for n in old_criteria & new_criteria:
            counts[n]["carried_over"] += 1
        for n in new_criteria - old_criteria:
            counts[n]["introduced"] += 1
    rows = [
        {
            "criterion": n,
            "name": wcag.CRITERIA[n].name,
            "level": wcag.CRITERIA[n].level,
            **counts[n],
            "findings_before": findings[n]["before"],
            "findings_after": findings[n]["after"],
        }
        for n in wcag.sort_numbers(list(counts))
    ]
    return Comparison(pairs=matched, rows=rows, unmatched=unmatched)
