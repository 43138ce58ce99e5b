"""Old URL → new URL, the GOV.UK transition way: every canonical old URL is a redirect, archive or unresolved.

Precedence (decided): **archive rules first**, then the mapping rules in order (first match wins), then
`content_mapping.unmatched`. An archive rule is an explicit decision not to carry pages over (GOV.UK:
a deliberate 410 beats a generic pattern), and archive patterns are usually narrow (`^/news/archive/`)
while mapping rules are broad (`^/news/(?P<slug>…)`), so checking the rules first would silently
migrate what the force decided to drop.

Rules match the canonical old URL's *path* (no query), searched with RE2 (patterns.py: linear time), so
a pattern anchors itself with ^ and $. New paths are lower-cased, single-slashed, without dot segments,
and keep the template's trailing slash (or its absence, e.g. `/media/documents/{name}`); a filled template
that climbs above the site root (`/docs/../../x`) leaves the old URL unresolved, with that reason
(`normalise_new_path`). They must be unique: `map_all` gives two different old URLs that land on the same
new path `-2`, `-3`, … suffixes in the sorted order of the old URLs (the first keeps the plain path) and
says so in the mapping's reason; the same old URL twice is one mapping.

An archive rule's action says what the old URL answers: `gone` (410) or `archive_link`, a redirect to the
page's copy in the web archive (`archive_url`: by default the UK Government Web Archive's copy of the old
URL as it was when the crawl saw it, `content_mapping.archive_url` in the spec to use another archive).
The link is pinned at that capture time (`{timestamp}`, before the switch): a link to the archive's latest
capture would, after the switch, open a capture of the redirect itself. Links to the page inside migrated
content then point at that copy too.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit

from soh_onboarding import patterns
from soh_onboarding.urls import Scope, _normalise_escapes, canonicalise, dot_segments, remove_dot_segments

MappingType = Literal["redirect", "archive", "unresolved"]
REDIRECT: MappingType = "redirect"
ARCHIVE: MappingType = "archive"
UNRESOLVED: MappingType = "unresolved"
MAPPING_TYPES: tuple[MappingType, ...] = (REDIRECT, ARCHIVE, UNRESOLVED)
"""The three kinds of mapping of an old URL (GOV.UK's transition tool's): every module says them by these names."""
DUPLICATE = "duplicate"
"""The inventory's label of a page whose body is another page's: it redirects where that page went."""
DESTINATION = "destination"
"""The inventory's label of an old URL the force redirects off its new site, to a national destination."""
#: Where an `archive_link` page's archived copy is, {old_url} and {timestamp} filled in: the UK Government
#: Web Archive answers this with its capture of the URL nearest that time (the National Archives' own link
#: format); the timestamp is when the crawl last saw the legacy site, before the switch (archive.py).
ARCHIVE_URL = "https://webarchive.nationalarchives.gov.uk/ukgwa/{timestamp}/{old_url}"


@dataclass(frozen=True)
class Mapping:
    """What happens to one canonical old URL."""

    old_url: str
    new_path: str | None
    type: MappingType
    content_type: str | None
    rule_index: int | None
    reason: str
    archive_action: str | None = None  # gone | archive_link, for type archive
    archive_url: str | None = None  # the archived copy, for archive_link
    source: str = "crawl"  # crawl (the spec's rules on what was crawled) or override (<slug>.redirects.csv)
    note: str = ""  # the override's note
    destination_url: str | None = None  # a redirect off the new site: the national destination (destinations.py)
    destination: str = ""  # and the allow-list's name for it


@dataclass(frozen=True)
class _Rule:
    pattern: patterns.Pattern
    content_type: str
    new_path: str
    description: str


@dataclass(frozen=True)
class _ArchiveRule:
    pattern: patterns.Pattern
    action: str
    reason: str


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _fill(template: str, values: dict[str, str]) -> str:
    """The template with {name} replaced (a group that did not take part in the match is empty)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


class ClimbsOutOfRoot(ValueError):
    """A new path whose `..` segments climb above the site root, e.g. `/docs/../../escaped/x.pdf`."""


def normalise_new_path(path: str) -> str:
    """Lower-case, one slash between segments, escapes normalised, dot segments resolved; the trailing
    slash is kept as given.

    A mapped path names a page on the new site and a file under the run's assets/ folder, so it never
    keeps a `.` or `..` segment: `/docs/./a/../b` is `/docs/b`. Escapes are decoded first, so `%2e%2e`
    is a `..` too; a backslash or NUL is encoded (%5C, %00), so it is never a separator or terminator.
    A path that climbs above the root raises ClimbsOutOfRoot: clamping it at the root, as a browser
    would, would publish the page (and write its file) somewhere the rule's author did not mean.
    """
    path = re.sub("/{2,}", "/", "/" + path.strip())
    path = _normalise_escapes(path, lower=True, safe="-._~!$&'()*+,;=:@/")
    if dot_segments(path)[1]:
        raise ClimbsOutOfRoot(f"new path {path} climbs above the site root")
    return remove_dot_segments(path)


def _with_suffix(path: str, number: int) -> str:
    """/news/x/ → /news/x-2/; /media/documents/a.pdf → /media/documents/a-2.pdf."""
    head, slash, tail = (path[:-1], "/", "") if path.endswith("/") and path != "/" else (path, "", "")
    directory, _, last = head.rpartition("/")
    stem, dot, extension = last.rpartition(".") if slash == "" and "." in last else (last, "", "")
    return f"{directory}/{stem}-{number}{dot}{extension}{slash}{tail}"


class Mapper:
    """A force's content_mapping, ready to map canonical old URLs."""

    def __init__(
        self,
        force: str,
        rules: Iterable[_Rule],
        archive: Iterable[_ArchiveRule] = (),
        unmatched: str = UNRESOLVED,
        scope: Scope | None = None,
        archive_url: str = ARCHIVE_URL,
        archive_time: str = "",
    ) -> None:
        self.force = force
        self.rules = tuple(rules)
        self.archive = tuple(archive)
        self.unmatched = unmatched
        self.scope = scope
        self.archive_url = archive_url
        self.archive_time = archive_time or datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        """The capture time archive links are pinned at: when the crawl last saw the legacy site."""

    @classmethod
    def from_spec(cls, spec_data: MappingABC[str, Any] | Any, archive_time: str = "") -> Mapper:
        data = getattr(spec_data, "data", spec_data)
        section = data["content_mapping"]
        rules = [
            _Rule(patterns.compile(r["match"]), r["content_type"], r["new_path"], r.get("description", ""))
            for r in section["rules"]
        ]
        archive = [
            _ArchiveRule(patterns.compile(a["match"]), a["action"], a["reason"]) for a in section.get("archive", [])
        ]
        scope = Scope.from_spec(data) if "legacy_site" in data else None
        return cls(
            data["force"]["slug"],
            rules,
            archive,
            section.get("unmatched", UNRESOLVED),
            scope,
            section.get("archive_url", ARCHIVE_URL),
            archive_time,
        )

    def canonical(self, url: str) -> str:
        return self.scope.canonicalise(url) if self.scope else canonicalise(url)

    def map(self, canonical_url: str) -> Mapping:
        """The mapping of one old URL (canonicalised again: harmless, canonicalise is idempotent)."""
        old_url = self.canonical(canonical_url)
        path = urlsplit(old_url).path
        for rule in self.archive:
            if rule.pattern.search(path):
                archived = (
                    self.archive_url.replace("{timestamp}", self.archive_time).replace("{old_url}", old_url)
                    if rule.action == "archive_link"
                    else None
                )
                return Mapping(old_url, None, ARCHIVE, None, None, rule.reason, rule.action, archived)
        for index, rule in enumerate(self.rules):
            match = rule.pattern.search(path)
            if match:
                values = {**{k: v or "" for k, v in match.groupdict().items()}, "force": self.force}
                reason = rule.description or f"rule {index + 1}: {rule.pattern.pattern}"
                try:
                    new_path = normalise_new_path(_fill(rule.new_path, values))
                except ClimbsOutOfRoot as refused:  # never clamped, never dropped: a person decides
                    return Mapping(old_url, None, UNRESOLVED, None, index, f"{refused} ({reason}): a person decides")
                return Mapping(old_url, new_path, REDIRECT, rule.content_type, index, reason)
        if self.unmatched == "gone":
            return Mapping(old_url, None, ARCHIVE, None, None, "no rule matches; unmatched URLs are gone", "gone")
        return Mapping(old_url, None, UNRESOLVED, None, None, "no rule matches: a person decides")

    def map_all(self, urls: Iterable[str]) -> list[Mapping]:
        """Map many old URLs: duplicates collapse, new paths made unique. Sorted by old URL."""
        canonical = sorted({self.canonical(url) for url in urls})
        mappings = [self.map(url) for url in canonical]
        return make_unique(mappings)


def make_unique(mappings: Iterable[Mapping]) -> list[Mapping]:
    """Give every redirect its own new path: later old URLs (sorted) on a taken path get -2, -3, …"""
    by_old = {m.old_url: m for m in mappings}
    ordered = [by_old[old] for old in sorted(by_old)]
    taken = {m.new_path for m in ordered if m.type == REDIRECT}
    first_owner: dict[str, str] = {}
    result = []
    for mapping in ordered:
        if mapping.type != REDIRECT or mapping.new_path is None:
            result.append(mapping)
            continue
        owner = first_owner.setdefault(mapping.new_path, mapping.old_url)
        if owner == mapping.old_url:
            result.append(mapping)
            continue
        number = 2
        while (candidate := _with_suffix(mapping.new_path, number)) in taken:
            number += 1
        taken.add(candidate)
        first_owner[candidate] = mapping.old_url
        reason = f"{mapping.reason} (made unique: {mapping.new_path} is already {owner}'s)"
        result.append(replace(mapping, new_path=candidate, reason=reason))
    return result


# --- links inside content -------------------------------------------------------------------------------

_LINK_ATTRIBUTES = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "embed": ("src",),
    "audio": ("src",),
    "video": ("src",),
    "track": ("src",),
}
# One attribute inside a start tag the parser found (the tag's boundaries come from html.parser).
_ATTRIBUTE = re.compile(r"""([^\s/>"'=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"'=<`]+))?""")
_FRAGMENT_SAFE = "-._~!$&'()*+,;=:@/?%"
_NOT_LINKS = ("#", "mailto:", "tel:", "javascript:", "data:")
_LINK_TAG = re.compile(r"<(?:a|area|link|img|iframe|source|embed|audio|video|track|base)[\s/>]", re.IGNORECASE)
RESOLVE_CACHE = 50_000  # links remembered per lookup; emptied when full, so memory stays bounded

Kind = Literal["external", "redirect", "archive_link", "unresolved"]


class LinkLookup:
    """Answers, for a link found in legacy content, whether it is external, redirected or left unresolved."""

    def __init__(self, mappings: Iterable[Mapping | MappingABC[str, Any]], scope: Scope) -> None:
        """`mappings`: Mapping objects, or their dicts as the plan stores them (read one at a time)."""
        self.scope = scope
        # Only where a link can go (a new path, an archived copy), by canonical old URL: a compact table,
        # so a large site's lookup does not hold every mapping's reason and rule.
        self.targets: dict[str, tuple[Kind, str]] = {}
        for m in mappings:
            kind, new_path, archive_url, old_url, destination = (
                (m["type"], m["new_path"], m.get("archive_url"), m["old_url"], m.get("destination_url"))
                if isinstance(m, MappingABC)
                else (m.type, m.new_path, m.archive_url, m.old_url, m.destination_url)
            )
            if kind == "redirect" and (new_path or destination):
                self.targets[old_url] = ("redirect", new_path or destination)
            elif kind == "archive" and archive_url:
                self.targets[old_url] = ("archive_link", archive_url)
        self._cache: dict[str, tuple[Kind, str | None, str | None]] = {}

    def resolve(self, url: str) -> tuple[Kind, str | None, str | None]:
        """(kind, new path or archive URL or None, canonical old URL or None) for an absolute URL.

        Remembered per URL: the same links (related pages, the section's listing) recur on many pages,
        and canonicalising is the costliest step of re-linking.
        """
        found = self._cache.get(url)
        if found is None:
            found = self._resolve(url)
            if len(self._cache) >= RESOLVE_CACHE:
                self._cache.clear()
            self._cache[url] = found
        return found

    def _resolve(self, url: str) -> tuple[Kind, str | None, str | None]:
        old = self.scope.legacy_canonical(url)
        if old is None:
            return "external", None, None
        kind, target = self.targets.get(old, ("unresolved", None))
        return kind, target, old


class _TagFinder(HTMLParser):
    """Collects the start tags that may hold a link, and the end tags of links, with their offsets."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.tags: list[tuple[int, str, str]] = []  # (offset, tag name, raw text); "/a" for an end tag

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINK_ATTRIBUTES or tag == "base":
            raw = self.get_starttag_text() or ""
            offset = self._offset()
            if self.source.startswith(raw, offset):
                self.tags.append((offset, tag, raw))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            offset = self._offset()
            end = self.source.find(">", offset)
            if end != -1:
                self.tags.append((offset, "/a", self.source[offset : end + 1]))


@dataclass
class _Relinking:
    """One page's re-linking: its links' base, the edits so far, and what it linked without a new home."""

    lookup: LinkLookup
    base: str
    unlink: bool
    changed: int = 0
    unresolved: dict[str, None] = field(default_factory=dict)


def rewrite_links(
    html_text: str, page_url: str, lookup: LinkLookup, *, unlink_legacy: bool = True
) -> tuple[str, int, list[str]]:
    """Rewrite links to old-site pages into their new paths; leave everything else byte for byte.

    - a link (href, src, each srcset candidate) to a redirected old page gets the page's new path, its
      fragment kept;
    - a link to an archived page whose rule says `archive_link` gets the URL of its archived copy;
    - with `unlink_legacy` (the migration's default), a link to any other old page (unresolved, gone,
      never crawled) is unwrapped, its text kept, and an image from one is dropped, so no content ever
      points at the old site; without it, such links are left as they are.

    Returns the new HTML, how many attributes and tags changed, and the canonical old URLs linked but
    without a new home (archived or unresolved), in document order, each once.
    """
    if not _LINK_TAG.search(html_text):
        return html_text, 0, []  # no tag that can hold a link: nothing to parse
    finder = _TagFinder(html_text)
    finder.feed(html_text)
    finder.close()
    state = _Relinking(lookup, page_url, unlink_legacy)
    pieces: list[str] = []
    position = 0
    unwrapping = False
    for offset, tag, raw in finder.tags:
        if tag == "/a":
            if unwrapping:
                pieces.append(html_text[position:offset])
                position = offset + len(raw)
                unwrapping = False
            continue
        if tag == "base":
            for match in _ATTRIBUTE.finditer(raw, len(tag) + 1):
                if match.group(1).lower() == "href" and match.group(2):
                    state.base = urljoin(page_url, html.unescape(match.group(2).strip("\"'")))
            continue
        if tag == "a":
            unwrapping = False  # an <a> closes any <a> still open: its end tag is this one's
        new_raw, legacy = _rewrite_tag(raw, tag, state)
        if legacy and unlink_legacy and tag in ("a", "img"):
            pieces.append(html_text[position:offset])
            position = offset + len(raw)
            state.changed += 1
            unwrapping = tag == "a"
        elif new_raw != raw:
            pieces += [html_text[position:offset], new_raw]
            position = offset + len(raw)
    pieces.append(html_text[position:])
    return "".join(pieces), state.changed, list(state.unresolved)


def _relink(value: str, state: _Relinking) -> tuple[str | None, bool]:
    """A link's new value (None: unchanged) and whether it points at an old page without a new home."""
    value = value.strip()
    if not value or value.lower().startswith(_NOT_LINKS):
        return None, False
    absolute = urljoin(state.base, value)
    kind, target, old = state.lookup.resolve(absolute)
    if kind == "redirect" and target:
        fragment = urlsplit(absolute).fragment
        return target + ("#" + quote(fragment, safe=_FRAGMENT_SAFE) if fragment else ""), False
    if kind == "archive_link" and target and old:
        state.unresolved[old] = None
        return target, False
    if kind == "unresolved" and old:
        state.unresolved[old] = None
        return None, True
    return None, False


def _relink_srcset(value: str, state: _Relinking) -> tuple[str | None, bool]:
    """A srcset's candidates ("url 2x, url 640w") each re-linked; a candidate on the old site is dropped."""
    candidates, changed, legacy = [], False, False
    for candidate in value.split(","):
        url, _, descriptor = candidate.strip().partition(" ")
        if not url:
            continue
        new, old_site = _relink(url, state)
        if old_site and state.unlink:
            changed = legacy = True
            continue
        changed |= new is not None
        candidates.append(" ".join(part for part in (new or url, descriptor.strip()) if part))
    return (", ".join(candidates) if changed else None), legacy and not candidates


def _rewrite_tag(raw: str, tag: str, state: _Relinking) -> tuple[str, bool]:
    """The tag with its links rewritten, and whether its main link points at the old site with no new home."""
    wanted = set(_LINK_ATTRIBUTES[tag])
    seen: set[str] = set()
    edits: list[tuple[int, int, str]] = []
    legacy = False
    for match in _ATTRIBUTE.finditer(raw, len(tag) + 1):
        name = match.group(1).lower()
        if name not in wanted or name in seen or not match.group(2):
            continue
        seen.add(name)  # browsers use the first of duplicate attributes
        value = html.unescape(match.group(2).strip("\"'"))
        if name == "srcset":
            new, _ = _relink_srcset(value, state)
        else:
            new, old_site = _relink(value, state)
            legacy |= old_site
        if new is not None:
            edits.append((match.start(2), match.end(2), '"' + html.escape(new, quote=True) + '"'))
    for start, end, text in reversed(edits):
        raw = raw[:start] + text + raw[end:]
    state.changed += len(edits)
    return raw, legacy


# --- redirects.csv ----------------------------------------------------------------------------------------

Suggest = Callable[[str], Any]
"""An old URL's path and query -> the migrated page to offer on its 410 page (with .new_path), or None."""


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


REDIRECTS_COLUMNS = ("old_url", "new_url", "type", "archive_url", "source", "note", "destination", "suggested_url")
"""Every reader reads redirects.csv by column name (csv.DictReader), so columns are only ever added at the end."""


def redirects_csv(mappings: Iterable[Mapping], new_base_url: str, suggest: Suggest | None = None) -> str:
    """The redirects table: old_url,new_url,type,archive_url,source,note,destination,suggested_url; sorted
    by old_url.

    new_url is empty unless type is redirect; archive_url is the archived copy an `archive_link` page
    redirects to (GOV.UK's transition tool: an archive mapping with its own National Archives URL);
    source says where the row comes from, `crawl` (the spec's rules) or `override` (the force's
    <slug>.redirects.csv, whose note is in note), so a reviewer sees which rows a person decided;
    destination names the national destination (config/destinations.yaml) of a redirect off the new
    site, whose new_url is then that destination's URL, and is empty for every other row; suggested_url is,
    for a 410 Gone, the migrated page its "page removed" answer offers (`suggest`: suggest.Pages.nearest).
    """
    out = io.StringIO()
    write_redirects(out, sorted(mappings, key=lambda m: m.old_url), new_base_url, suggest)
    return out.getvalue()


def write_redirects(handle: Any, mappings: Iterable[Mapping], new_base_url: str, suggest: Suggest | None = None) -> int:
    """Write the redirects table row by row to an open text file; `mappings` sorted by old URL.

    Streams (the migration's plan is already in order), so a large site's table is never held in memory;
    out-of-order input is refused rather than written in an order another run would not repeat.
    Returns the number of rows.
    """
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(REDIRECTS_COLUMNS)
    base = new_base_url.rstrip("/") + "/"
    previous, count = "", 0
    for m in mappings:
        if m.old_url < previous:
            raise ValueError(f"redirects must be written in old-URL order: {m.old_url} after {previous}")
        previous = m.old_url
        off_site = m.type == REDIRECT and bool(m.destination_url)
        found = suggest(_path_and_query(m.old_url)) if suggest and m.type == ARCHIVE and not m.archive_url else None
        writer.writerow(
            (
                m.old_url,
                m.destination_url
                if off_site
                else urljoin(base, m.new_path)
                if m.type == REDIRECT and m.new_path
                else "",
                m.type,
                (m.archive_url or "") if m.type == ARCHIVE else "",
                m.source,
                m.note,
                m.destination if off_site else "",
                urljoin(base, found.new_path) if found else "",
            )
        )
        count += 1
    return count


def write_redirects_csv(path: Any, mappings: Iterable[Mapping], new_base_url: str) -> Any:
    """Write redirects.csv (UTF-8, LF, deterministic) to a local path or an ObjectStoragePath."""
    target = path if hasattr(path, "open") and not isinstance(path, str) else Path(path)
    with target.open("w", encoding="utf-8", newline="") as handle:
        handle.write(redirects_csv(mappings, new_base_url))
    return target
