"""Text alternatives written by the force's editors, brought back into the migration.

The sanitiser never invents alt text (sanitise.py): an image without it is flagged, and the migration
lists every such image in `images-missing-alt.csv` (page, image, the key to use, an empty alt column).
The force's editors write the alternatives and add them to their spec by pull request, under
`content_mapping.alt_text`; the next run applies them. The loop, in short:

    run → images-missing-alt.csv → editors write alt text → content_mapping.alt_text (PR) → re-run

Decisions:

- **Keys are the image's path on the legacy site** (`/images/appeals/a-1.jpg`, with its query if it has
  one), as the CSV's `spec_key` column gives them. An absolute URL on one of the legacy site's hosts is
  accepted too. Both are canonicalised the way the crawl canonicalises URLs (urls.py: case, escapes,
  tracking parameters) and matched on any of the legacy site's hosts, so a key does not change when the
  site answers on another host name.
- **Only images without alt are filled.** An alt in the source, even `alt=""`, is the author's decision
  and kept; an entry for such an image simply matches nothing.
- **`""` is a deliberate editor decision**: the image is decorative (WCAG technique H67), and the image
  gets `alt=""`. That is why the spec, not the migration, says it.
- An entry that matches no image on a migrated page is **unused**: reported, not an error (the page may
  have been archived, or the key mistyped; the report shows which).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..urls import Scope

#: Columns of images-missing-alt.csv; `alt` is left empty for the editors to fill in.
MISSING_ALT_COLUMNS = ("page", "new_path", "image_url", "spec_key", "alt")
MISSING_ALT_CSV = "images-missing-alt.csv"
REPORT_ROWS = 200  # images missing alt listed in the report itself; the CSV has them all


def spec_key(image_url: str, scope: Scope) -> str:
    """The key an editor writes in content_mapping.alt_text for an image: its canonical path (and query)."""
    canonical = scope.legacy_canonical(image_url) or image_url
    parts = urlsplit(canonical)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class AltTexts:
    """The spec's alt_text entries, by the canonical URL of the image each one describes."""

    scope: Scope
    by_image: dict[str, tuple[str, str]] = field(default_factory=dict)  # canonical URL -> (spec key, text)

    @classmethod
    def from_spec(cls, spec_data: Mapping[str, Any], scope: Scope | None = None) -> AltTexts:
        scope = scope or Scope.from_spec(spec_data)
        base = spec_data["legacy_site"]["base_url"]
        found = cls(scope)
        for key, text in (spec_data["content_mapping"].get("alt_text") or {}).items():
            canonical = scope.legacy_canonical(urljoin(base, key))
            if canonical is not None:  # the spec check refuses keys off the legacy site
                found.by_image.setdefault(canonical, (key, text))
        return found

    def lookup(self, image_url: str) -> tuple[str, str] | None:
        """(spec key, text) for an image's absolute URL, or None when the spec has no entry for it."""
        canonical = self.scope.legacy_canonical(image_url)
        return self.by_image.get(canonical) if canonical else None

    def for_page(self) -> PageAltText:
        return PageAltText(self)


@dataclass
class PageAltText:
    """What the sanitiser asks about one page's images without alt; remembers which entries answered."""

    alt_texts: AltTexts
    filled: dict[str, str] = field(default_factory=dict)  # image URL -> the spec key that described it

    def __call__(self, image_url: str) -> str | None:
        entry = self.alt_texts.lookup(image_url)
        if entry is None:
            return None
        self.filled[image_url] = entry[0]
        return entry[1]


@dataclass
class AltTextTally:
    """What the report needs about alt text, counted as the migrated pages stream past; writes the CSV."""

    writer: Any  # csv.writer over images-missing-alt.csv
    scope: Scope
    filled: int = 0  # images that got their alt from the spec
    filled_pages: int = 0
    missing: int = 0
    used: set[str] = field(default_factory=set)
    listed: list[dict[str, str]] = field(default_factory=list)  # the first REPORT_ROWS rows of the CSV
    unused: list[str] = field(default_factory=list)  # the spec's keys that filled no image, once finished

    @classmethod
    def open(cls, handle: Any, scope: Scope) -> AltTextTally:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MISSING_ALT_COLUMNS)
        return cls(writer, scope)

    def add(self, record: Mapping[str, Any]) -> None:
        from_spec: dict[str, str] = record.get("images_alt_from_spec") or {}
        self.filled += len(from_spec)
        self.filled_pages += bool(from_spec)
        self.used.update(from_spec.values())
        for image in record["images_missing_alt"]:
            self.missing += 1
            row = (record["old_url"], record["new_path"], image, spec_key(image, self.scope), "")
            self.writer.writerow(row)
            if len(self.listed) < REPORT_ROWS:
                self.listed.append(dict(zip(MISSING_ALT_COLUMNS, row, strict=True)))

    def find_unused(self, entries: Iterable[str]) -> list[str]:
        """The spec's keys that filled no image in this run, in the spec's order (kept in `unused`)."""
        self.unused = [key for key in entries if key not in self.used]
        return self.unused
