"""A force's corrections of its redirect map, by pull request, one old URL per row.

The rules in the spec map old URLs by pattern; a few always come out wrong (a page the force renamed, a
page it wants gone, one only a person can place). A force corrects those in a CSV beside its spec,
`onboarding_specs/<slug>.redirects.csv`, reviewed like the spec:

    old_url,type,new_url,note
    /news/old-appeal.aspx,redirect,/news/demo/appeals/old-appeal/,renamed by the news team
    /about/history.aspx,archive,https://webarchive.nationalarchives.gov.uk/ukgwa/2024/https://…,kept in the archive
    /jobs/closed.aspx,archive,,closed vacancy: 410 Gone
    /fraud/report.aspx,redirect,https://www.actionfraud.police.uk/,fraud is reported nationally
    /intranet/login.aspx,unresolved,,not a public page

`old_url` is a path on the legacy site (or an absolute URL on its domains), canonicalised as the crawl
does; `type` one of GOV.UK's three (mapping.MAPPING_TYPES); `new_url` a path (or URL) on the new site for
a redirect, or a national destination's URL off it (config/destinations.yaml: destinations.py), an archived
copy pinned before the switch (or nothing, for a plain 410) for an archive, nothing for unresolved.

Two kinds of check, so the pull request's check needs no migration and a run still refuses what no longer
fits:
- `read()`: the file alone (header, rows, types, URLs, duplicates, a redirect to itself or to another
  overridden old URL). Any error here and nothing is applied: a half-applied correction is worse than none.
- `problems()`: against a migration (`MigrationIndex`, from a finished migration's inventory.csv or a plan
  being made): an old URL the crawl never saw, a redirect to a page that was not migrated, a redirect to an
  old URL that itself redirects (a chain). `validate` reports these as errors; a run applies the other rows
  and lists these in the report as no longer applying (the site may have changed since the pull request).

Nothing here raises for bad input, and importing it does nothing.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..spec.documents import DocumentError, display_path, read_bounded
from ..urls import NotAWebURL, Scope
from .archive import archive_pin_problem
from .destinations import Destinations, DestinationsError
from .mapping import ARCHIVE, MAPPING_TYPES, REDIRECT, UNRESOLVED, ClimbsOutOfRoot, MappingType, normalise_new_path

_ENCODED_URL = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/?-]+")
"""What a URL off the site may hold: the characters of the platform contract's redirect target."""
SUFFIX = ".redirects.csv"
COLUMNS = ("old_url", "type", "new_url", "note")
REQUIRED = ("old_url", "type", "new_url")
MAX_BYTES = 2 * 1024 * 1024
"""Tens of thousands of rows: corrections are per URL, but a large force may have many; more is a mistake."""
MAX_NOTE = 500
CRAWL = "crawl"
OVERRIDE = "override"
SOURCES = (CRAWL, OVERRIDE)
"""Where a row of redirects.csv comes from: the spec's rules applied to the crawl, or this file."""
OUTCOME = "overrides.json"
"""In the migration's plan/ folder: the overrides applied and those that no longer apply, for the report."""


def overrides_file(spec_path: Path) -> Path:
    """The overrides CSV beside a spec: onboarding_specs/demo.yaml -> onboarding_specs/demo.redirects.csv."""
    return spec_path.with_name(spec_path.stem + SUFFIX)


def spec_for(overrides_path: Path) -> Path | None:
    """The spec an overrides CSV belongs to (demo.redirects.csv -> demo.yaml or demo.yml), None if none is there."""
    slug = overrides_path.name.removesuffix(SUFFIX)
    return next((p for p in (overrides_path.with_name(slug + s) for s in (".yaml", ".yml")) if p.is_file()), None)


@dataclass(frozen=True)
class Override:
    """One row that passed the file's own checks."""

    line: int
    old_url: str  # canonical, on the legacy site's base URL
    type: MappingType
    new_path: str | None = None  # redirect: the normalised path on the new site
    archive_url: str | None = None  # archive: the archived copy (None: 410 Gone)
    note: str = ""
    target_old_url: str | None = None  # redirect given as a URL on the legacy site: which old URL it names
    destination: str | None = None  # redirect off the new site: the national destination's URL
    destination_name: str = ""  # and its name in the allow-list (destinations.py)

    @property
    def archive_action(self) -> str | None:
        if self.type != ARCHIVE:
            return None
        return "archive_link" if self.archive_url else "gone"


@dataclass(frozen=True)
class _Target:
    """Where a row's new_url sends, once checked."""

    new_path: str | None = None
    archive_url: str | None = None
    target_old_url: str | None = None
    destination: str | None = None
    destination_name: str = ""


@dataclass
class Overrides:
    """A force's overrides file, read: the rows that passed, and every error (then nothing is applied)."""

    shown: str
    rows: list[Override] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    sha256: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors


def _key(path: str) -> str:
    """What two old or new paths are compared by: the legacy sites are case-insensitive (canonicalise)."""
    return path.lower()


def _old_path(url: str) -> str:
    parts = urlsplit(url)
    return _key(parts.path + (f"?{parts.query}" if parts.query else ""))


class _Reader:
    """Reads one file's rows, collecting errors at their lines; each check is a small method."""

    def __init__(
        self,
        shown: str,
        scope: Scope,
        new_hosts: Iterable[str],
        switch: date | None = None,
        destinations: Destinations | None = None,
    ) -> None:
        self.shown = shown
        self.scope = scope
        self.switch = switch
        """The go-live target date: an archive link's capture time must be before it."""
        self.new_hosts = {host.lower() for host in new_hosts}
        self.destinations = destinations or Destinations("(no national destinations)")
        self.errors: list[DocumentError] = []

    def fail(self, line: int, column: str, message: str, hint: str = "") -> None:
        self.errors.append(DocumentError(self.shown, line, 1, column, message, hint))

    def header(self, row: list[str]) -> list[str] | None:
        names = [name.strip().lower() for name in row]
        unknown = [name for name in names if name not in COLUMNS]
        missing = [name for name in REQUIRED if name not in names]
        repeated = sorted({name for name in names if names.count(name) > 1})
        hint = f"the first line is the header: {','.join(COLUMNS)}"
        if unknown:
            self.fail(1, "(header)", f"unknown column(s) {', '.join(map(repr, unknown))}", hint)
        if missing:
            self.fail(1, "(header)", f"missing column(s) {', '.join(missing)}", hint)
        if repeated:
            self.fail(1, "(header)", f"column(s) {', '.join(repeated)} given twice", hint)
        return None if unknown or missing or repeated else names

    def row(self, line: int, names: list[str], cells: list[str]) -> Override | None:
        if len(cells) != len(names):
            self.fail(
                line,
                "(row)",
                f"{len(cells)} field(s), the header has {len(names)}",
                "one row per old URL: old_url,type,new_url,note; put a value holding a comma in double quotes",
            )
            return None
        values = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
        old_url = self.old_url(line, values["old_url"])
        kind = self.type(line, values["type"])
        note = values.get("note", "")
        if len(note) > MAX_NOTE:
            self.fail(line, "note", f"the note is {len(note)} characters long", f"keep it under {MAX_NOTE}")
        if kind is None:
            return None
        target = self.new_url(line, kind, values["new_url"])
        if old_url is None or target is None:
            return None
        return Override(
            line,
            old_url,
            kind,
            target.new_path,
            target.archive_url,
            note,
            target.target_old_url,
            target.destination,
            target.destination_name,
        )

    def old_url(self, line: int, value: str) -> str | None:
        if not value:
            self.fail(line, "old_url", "the old URL is empty", "give the old page's path, e.g. /news/appeal.aspx")
            return None
        try:
            url = self.scope.canonicalise(value, base=self.scope.base_url)
        except (NotAWebURL, ValueError) as error:
            self.fail(line, "old_url", f"{value!r} is not a URL or path ({error})", "write a path such as /news/x.aspx")
            return None
        if urlsplit(url).hostname not in self.scope.hosts:
            self.fail(
                line,
                "old_url",
                f"{value!r} is not on the legacy site",
                f"old URLs are on {', '.join(sorted(self.scope.hosts))}; a path such as /news/x.aspx is taken on "
                f"{self.scope.base_url}",
            )
            return None
        return url

    def type(self, line: int, value: str) -> MappingType | None:
        kind = value.lower()
        for allowed in MAPPING_TYPES:
            if kind == allowed:
                return allowed
        close = difflib.get_close_matches(kind, MAPPING_TYPES, n=1)
        self.fail(
            line,
            "type",
            f"unknown type {value!r}" if value else "the type is empty",
            (f"did you mean '{close[0]}'? " if close else "") + f"allowed: {', '.join(MAPPING_TYPES)}",
        )
        return None

    def new_url(self, line: int, kind: MappingType, value: str) -> _Target | None:
        """Where a valid new_url of the row's type sends (None: not valid, the error is recorded)."""
        if kind == UNRESOLVED:
            if value:
                self.fail(
                    line, "new_url", "an unresolved row has no new_url", "leave new_url empty, or make it a redirect"
                )
                return None
            return _Target()
        if kind == ARCHIVE:
            return self.archive_url(line, value)
        return self.redirect_target(line, value)

    def archive_url(self, line: int, value: str) -> _Target | None:
        if not value:
            return _Target()  # a plain 410 Gone
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(
                line,
                "new_url",
                f"{value!r} is not an archive URL",
                "give the archived copy's full URL (https://…), or leave new_url empty for 410 Gone",
            )
            return None
        if parts.hostname.lower() in self.scope.hosts:
            self.fail(
                line,
                "new_url",
                f"{value!r} is on the legacy site, which goes away at the switch",
                "point at a web archive's copy (e.g. the UK Government Web Archive), or leave new_url empty",
            )
            return None
        unpinned = archive_pin_problem(value, self.switch)
        if unpinned:
            self.fail(
                line,
                "new_url",
                f"the archive link {unpinned}",
                "link the capture as it was before the switch, e.g. "
                "https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/https://…",
            )
            return None
        if not self.encoded(line, value):
            return None
        return _Target(archive_url=value)

    def redirect_target(self, line: int, value: str) -> _Target | None:
        if not value:
            self.fail(
                line, "new_url", "a redirect needs a new_url", "give the page's path on the new site, e.g. /news/x/"
            )
            return None
        try:
            parts = urlsplit(value)
        except ValueError as error:
            self.fail(line, "new_url", f"{value!r} is not a URL or path ({error})")
            return None
        host = (parts.hostname or "").lower()
        target_old = None
        if parts.scheme or parts.netloc:
            if parts.scheme not in ("http", "https") or not host:
                self.fail(line, "new_url", f"{value!r} is not a web address", "give a path such as /news/x/")
                return None
            if host in self.scope.hosts:
                target_old = self.scope.canonicalise(value)  # a chain or loop, found by _links()
            elif host not in self.new_hosts:
                return self.destination(line, value)
        elif not value.startswith("/"):
            self.fail(
                line, "new_url", f"{value!r} is not a path", "a path on the new site starts with /, e.g. /news/x/"
            )
            return None
        if parts.query or parts.fragment or value.endswith(("?", "#")):
            self.fail(
                line,
                "new_url",
                f"{value!r} has a query or fragment",
                "the new site's pages are paths: drop what follows ? or #",
            )
            return None
        try:
            new_path = normalise_new_path(parts.path or "/")
        except ClimbsOutOfRoot as error:
            self.fail(line, "new_url", str(error), "a path starts at the new site's root: remove the .. segments")
            return None
        return _Target(new_path=new_path, target_old_url=target_old)

    def destination(self, line: int, value: str) -> _Target | None:
        """A redirect off the new site: only to a national destination of the allow-list, as given."""
        found = self.destinations.match(value)
        if found is None:
            self.fail(
                line,
                "new_url",
                f"{value!r} is neither on the new site nor a national destination",
                f"a redirect goes to a page of the new site ({', '.join(sorted(self.new_hosts))}): give its path; "
                f"off it, only to the destinations in {self.destinations.source} ({self.destinations.listing()}), "
                "added there by pull request",
            )
            return None
        if urlsplit(value).fragment or value.endswith("#"):
            self.fail(
                line, "new_url", f"{value!r} has a fragment", "a redirect's target has no #: drop what follows it"
            )
            return None
        if not self.encoded(line, value):
            return None
        return _Target(destination=value, destination_name=found.name)

    def encoded(self, line: int, value: str) -> bool:
        """A URL off the site goes into a Location header as it is: it must be percent-encoded already."""
        if _ENCODED_URL.fullmatch(value):
            return True
        self.fail(
            line,
            "new_url",
            f"{value!r} holds characters a URL cannot hold unencoded (spaces, quotes, <, >, non-ASCII)",
            "percent-encode them, as the browser's address bar shows when the URL is copied (a space is %20)",
        )
        return False


def parse(
    text: str,
    shown: str,
    scope: Scope,
    new_hosts: Iterable[str],
    switch: date | None = None,
    destinations: Destinations | None = None,
) -> Overrides:
    """The file's text, read and checked on its own (no migration needed); see the module's docstring.
    `switch`: the go-live target date, which an archive link's capture time must precede; `destinations`:
    the national destinations a redirect may leave the new site for (none when not given)."""
    reader = _Reader(shown, scope, new_hosts, switch, destinations)
    result = Overrides(shown)
    rows = _rows(text.removeprefix("\ufeff"), reader)
    first = next(rows, None)
    if first is None:
        reader.fail(1, "(file)", "the file is empty", f"its first line is the header: {','.join(COLUMNS)}")
    names = reader.header(first[1]) if first else None
    if names is not None:
        seen: dict[str, Override] = {}
        for line, cells in rows:
            override = reader.row(line, names, cells)
            if override is None:
                continue
            if override.old_url in seen:
                earlier = seen[override.old_url]
                reader.fail(
                    line,
                    "old_url",
                    f"{override.old_url} is already on line {earlier.line}",
                    f"one row per old URL: keep line {earlier.line} or line {line}, not both",
                )
                continue
            seen[override.old_url] = override
            result.rows.append(override)
        for override, message, hint in _links(result.rows, {}):
            reader.fail(override.line, "new_url", message, hint)
    result.errors = sorted(reader.errors)
    if result.errors:
        result.rows = []  # nothing is applied from a file with errors
    return result


def _rows(text: str, reader: _Reader) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, its cells); blank rows skipped; a CSV the parser cannot read stops here."""
    records = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            cells = next(records)
        except StopIteration:
            return
        except csv.Error as error:
            reader.fail(records.line_num, "(row)", f"this line is not valid CSV ({error})", "close every double quote")
            return
        if any(cell.strip() for cell in cells):
            yield line, cells
        line = records.line_num + 1


def read(path: Path, spec_data: dict[str, Any], destinations: Destinations | None = None) -> Overrides:
    """A force's overrides file (whatever it holds: the errors say what is wrong), with its sha256.
    `destinations`: the national allow-list (by default config/destinations.yaml, or SOH_DESTINATIONS's file)."""
    import hashlib

    shown = display_path(path)
    scope = Scope.from_spec(spec_data)
    new_hosts = spec_data["tenant"]["domains"]
    try:
        raw = read_bounded(path, MAX_BYTES)
    except OSError as error:
        return Overrides(shown, errors=[DocumentError(shown, 1, 1, "(file)", f"cannot read the file: {error}")])
    if len(raw) > MAX_BYTES:
        message = f"the file is over the limit of {MAX_BYTES:,} bytes"
        return Overrides(shown, errors=[DocumentError(shown, 1, 1, "(file)", message, "split the corrections")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        error_row = DocumentError(shown, line, 1, "(file)", f"not UTF-8 text (byte {error.start})", "save it as UTF-8")
        return Overrides(shown, errors=[error_row])
    target = (spec_data.get("go_live") or {}).get("target_date")
    try:
        switch = date.fromisoformat(str(target)) if target else None
    except ValueError:
        switch = None  # the spec's own check reports it
    if destinations is None:
        try:
            destinations = Destinations.load()
        except DestinationsError as error:
            return Overrides(shown, errors=[DocumentError(shown, 1, 1, "(file)", str(error), "fix that file first")])
    result = parse(text, shown, scope, new_hosts, switch, destinations)
    result.sha256 = hashlib.sha256(raw).hexdigest()
    return result


def for_spec(spec_path: Path, spec_data: dict[str, Any]) -> Overrides | None:
    """The overrides beside a spec, read; None when the force has none."""
    path = overrides_file(spec_path)
    return read(path, spec_data) if path.exists() else None


# --- against a migration ------------------------------------------------------------------------------


@dataclass
class MigrationIndex:
    """What the checks need from a migration: every old URL it knows and where it goes, and the new paths
    of the pages and documents it migrated."""

    source: str  # which migration, for the messages: its folder
    targets: dict[str, tuple[str, str]] = field(default_factory=dict)  # old URL -> (mapping label, new path)
    migrated: set[str] = field(default_factory=set)

    def add(self, old_url: str, label: str, new_path: str) -> None:
        self.targets[old_url] = (label, new_path)
        if label == REDIRECT and new_path:
            self.migrated.add(new_path)

    @classmethod
    def from_folder(cls, folder: Any) -> MigrationIndex:
        """From a finished migration's inventory.csv (what the crawl found and the rules decided: never
        changed by the overrides, so a check does not depend on which of them a run applied)."""
        index = cls(str(folder))
        with (folder / "inventory.csv").open(encoding="utf-8", newline="") as table:
            for row in csv.DictReader(table):
                index.add(row["old_url"], row.get("mapping") or "", row.get("new_path") or "")
        return index


def _links(rows: list[Override], index: dict[str, tuple[str, str]]) -> Iterator[tuple[Override, str, str]]:
    """Redirects that loop (to their own old URL) or chain (to an old URL that itself redirects or is gone).

    An old URL is matched by its path (and query), as the platform matches it after the switch, when the
    old domains serve the new site: a redirect to /a.aspx lands on whatever /a.aspx answers. `index` holds
    the migration's old URLs (empty for the file's own check); the overrides take precedence over it.
    """
    answers: dict[str, tuple[str, str]] = {}  # old path -> (old URL, what it answers: a path, or "gone")
    for old_url, (label, new_path) in index.items():
        if label in (REDIRECT, "duplicate") and new_path and _key(new_path) != _old_path(old_url):
            answers[_old_path(old_url)] = (old_url, new_path)
        elif label == ARCHIVE:
            answers[_old_path(old_url)] = (old_url, "gone")
    for row in rows:
        if row.type == REDIRECT and row.new_path and _key(row.new_path) != _old_path(row.old_url):
            answers[_old_path(row.old_url)] = (row.old_url, row.new_path)
        elif row.type == REDIRECT and row.destination:
            answers[_old_path(row.old_url)] = (row.old_url, row.destination)
        elif row.type == ARCHIVE:
            answers[_old_path(row.old_url)] = (row.old_url, "gone")
        else:
            answers.pop(_old_path(row.old_url), None)
    for row in rows:
        if row.type != REDIRECT or row.new_path is None:
            continue
        target = _old_path(row.target_old_url) if row.target_old_url else _key(row.new_path)
        if target == _old_path(row.old_url):
            yield row, f"{row.old_url} redirects to itself (a loop)", "give the page's new path on the new site"
        elif target in answers:
            old_url, answer = answers[target]
            if answer == "gone":
                yield row, f"redirects to {old_url}, which is archived (gone)", "redirect to a page of the new site"
            else:
                yield (
                    row,
                    f"redirects to {old_url}, which itself redirects to {answer} (a chain)",
                    (f"redirect straight to {answer}"),
                )
        elif row.target_old_url:
            yield (
                row,
                f"redirects to {row.target_old_url}, a URL of the legacy site",
                "give the page's path on the new site instead",
            )


def problems(rows: list[Override], index: MigrationIndex) -> list[tuple[Override, str, str, str]]:
    """(row, column, message, hint) for each row that does not fit the migration; see the module's docstring."""
    found: list[tuple[Override, str, str, str]] = []
    paths = sorted(index.migrated)
    for row in rows:
        if row.old_url not in index.targets:
            found.append(
                (
                    row,
                    "old_url",
                    f"{row.old_url} is not an old URL of the migration in {index.source}",
                    "check it against that migration's inventory.csv (old_url), or remove the row",
                )
            )
        elif (
            row.type == REDIRECT and row.new_path and row.target_old_url is None and row.new_path not in index.migrated
        ):
            close = difflib.get_close_matches(row.new_path, paths, n=1)
            found.append(
                (
                    row,
                    "new_url",
                    f"no page was migrated to {row.new_path} (migration in {index.source})",
                    (f"did you mean {close[0]}? " if close else "")
                    + "redirect to a migrated page's new path (inventory.csv's new_path), or make the row unresolved",
                )
            )
    found += [(row, "new_url", message, hint) for row, message, hint in _links(rows, index.targets)]
    return sorted(found, key=lambda item: item[0].line)


def errors_against(overrides: Overrides, index: MigrationIndex) -> list[DocumentError]:
    """`problems()` as located errors of the file, for `validate`."""
    return [
        DocumentError(overrides.shown, row.line, 1, column, message, hint)
        for row, column, message, hint in problems(overrides.rows, index)
    ]


def latest_migration(store: Any, slug: str) -> Any | None:
    """The force's latest migration that passed its checks with pages (the folder), as `previous_migration`
    in pipeline.py chooses the reference of the page-count check; None when there is none.

    The overrides are checked against it: a failed migration (the site down, nothing crawled) would make
    every old URL look unknown.
    """
    from ..artifacts import force_folder

    runs = force_folder(store, slug)
    if not runs.exists():
        return None
    found = []
    for summary in runs.glob("*/migration/summary.json"):
        if _passed_with_pages(summary) and (summary.parent / "inventory.csv").exists():
            found.append((summary.stat().st_mtime, str(summary.parent), summary.parent))
    return max(found)[2] if found else None


def _passed_with_pages(summary: Any) -> bool:
    """quality.recorded_outcome's test, read here: `validate` runs where only the spec check's dependencies
    are installed (the pre-commit hook), and quality.py needs the sanitiser's."""
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
        return data.get("quality_passed") is True and int(data.get("pages_migrated") or 0) > 0
    except (OSError, ValueError, AttributeError, TypeError):
        return False


# --- what a run applied -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """The overrides a migration applied, and those that no longer apply with why: for its report."""

    file: str = ""
    sha256: str = ""
    applied: list[dict[str, Any]] = field(default_factory=list)
    not_applied: list[dict[str, Any]] = field(default_factory=list)

    def write(self, folder: Any) -> None:
        (folder / OUTCOME).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, folder: Any) -> Outcome | None:
        path = folder / OUTCOME
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def select(overrides: Overrides, index: MigrationIndex) -> tuple[list[Override], Outcome]:
    """The rows to apply to this migration, and the outcome to report: a row that does not fit it is left
    out with its reason, the others are applied."""
    refused: dict[int, str] = {}
    for row, _column, message, _hint in problems(overrides.rows, index):
        refused.setdefault(row.line, message)
    outcome = Outcome(overrides.shown, overrides.sha256)
    chosen = []
    for row in overrides.rows:
        described = {
            "line": row.line,
            "old_url": row.old_url,
            "type": row.type,
            "new": row.new_path or row.archive_url or row.destination or "",
            "note": row.note,
        }
        if row.line in refused:
            outcome.not_applied.append(described | {"reason": refused[row.line]})
        else:
            outcome.applied.append(described)
            chosen.append(row)
    return chosen, outcome


# --- the pull request's check ---------------------------------------------------------------------------


@dataclass
class FilesCheck:
    """The overrides files `validate` checked: their errors, and a line per file saying what it was checked
    against (a migration, or the file alone)."""

    files: int = 0
    errors: list[DocumentError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_files(named: list[Path] | None, specs: Iterable[Any], store: Any, folders: Iterable[Path] = ()) -> FilesCheck:
    """Check the overrides beside each valid spec in `specs` (ForceSpecs); and, in `folders` (those
    `validate` lists), every overrides file with no spec beside it, which would otherwise never apply.

    `named`: the paths `validate` was given (None: the whole specs folder), so an overrides file named
    alone is checked even though only its spec was loaded. Against the force's latest passing migration in
    `store` when there is one (latest_migration), else the file alone: CI has no migration, a person
    checking locally after a run has one.
    """
    result = FilesCheck()
    for force in specs:
        path = overrides_file(force.path)
        if not path.exists():
            continue
        result.files += 1
        found = read(path, force.data)
        result.errors += found.errors
        if found.errors:
            continue
        migration = latest_migration(store, force.slug) if store is not None else None
        index = None
        if migration is not None:
            try:
                index = MigrationIndex.from_folder(migration)
            except (OSError, KeyError, ValueError, csv.Error):
                index = None
        if index is None:
            result.notes.append(f"{found.shown}: checked on its own (no passing migration of {force.slug} in {store})")
            continue
        result.notes.append(f"{found.shown}: checked against the migration in {index.source}")
        result.errors += errors_against(found, index)
    with_spec = {overrides_file(force.path) for force in specs}
    candidates = [p for folder in folders if folder.is_dir() for p in sorted(folder.glob("*" + SUFFIX))]
    candidates += [p for p in named or [] if p.name.endswith(SUFFIX)]
    for path in dict.fromkeys(candidates):
        if path in with_spec:
            continue
        slug = path.name.removesuffix(SUFFIX)
        result.files += 1
        if spec_for(path) is None:
            result.errors.append(
                DocumentError(
                    display_path(path),
                    1,
                    1,
                    "(file)",
                    f"no spec {slug}.yaml beside this file, so it never applies",
                    "name the file after its force's spec: <slug>.redirects.csv beside <slug>.yaml",
                )
            )
    result.errors.sort()
    return result
