"""Old URL → new URL, the GOV.UK transition way: every canonical old URL is a redirect, archive or unresolved.

Precedence (decided): **archive rules first**, then the mapping rules in order (first match wins), then
`content_mapping.unmatched`. An archive rule is an explicit decision not to carry pages over (GOV.UK:
a deliberate 410 beats a generic pattern), and archive patterns are usually narrow (`^/news/archive/`)
while mapping rules are broad (`^/news/(?P<slug>…)`), so checking the rules first would silently
migrate what the force decided to drop.

Rules match the canonical old URL's *path* (no query), with `re.search`, so a pattern anchors itself with ^
and $. New paths are lower-cased, single-slashed and keep the template's trailing slash (or its absence,
e.g. `/media/documents/{name}`). They must be unique: `map_all` gives two different old URLs that land on
the same new path `-2`, `-3`, … suffixes in the sorted order of the old URLs (the first keeps the plain
path) and says so in the mapping's reason; the same old URL twice is one mapping.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit

from soh_onboarding.migration.urls import NotAWebURL, Scope, _normalise_escapes, canonicalise

MappingType = Literal["redirect", "archive", "unresolved"]


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


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    content_type: str
    new_path: str
    description: str


@dataclass(frozen=True)
class _ArchiveRule:
    pattern: re.Pattern[str]
    action: str
    reason: str


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _fill(template: str, values: dict[str, str]) -> str:
    """The template with {name} replaced (a group that did not take part in the match is empty)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


def normalise_new_path(path: str) -> str:
    """Lower-case, one slash between segments, escapes normalised; the trailing slash is kept as given."""
    path = re.sub("/{2,}", "/", "/" + path.strip())
    return _normalise_escapes(path, lower=True, safe="-._~!$&'()*+,;=:@/")


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
        unmatched: str = "unresolved",
        scope: Scope | None = None,
    ) -> None:
        self.force = force
        self.rules = tuple(rules)
        self.archive = tuple(archive)
        self.unmatched = unmatched
        self.scope = scope

    @classmethod
    def from_spec(cls, spec_data: MappingABC[str, Any] | Any) -> Mapper:
        data = getattr(spec_data, "data", spec_data)
        section = data["content_mapping"]
        rules = [
            _Rule(re.compile(r["match"]), r["content_type"], r["new_path"], r.get("description", ""))
            for r in section["rules"]
        ]
        archive = [_ArchiveRule(re.compile(a["match"]), a["action"], a["reason"]) for a in section.get("archive", [])]
        scope = Scope.from_spec(data) if "legacy_site" in data else None
        return cls(data["force"]["slug"], rules, archive, section.get("unmatched", "unresolved"), scope)

    def canonical(self, url: str) -> str:
        return self.scope.canonicalise(url) if self.scope else canonicalise(url)

    def map(self, canonical_url: str) -> Mapping:
        """The mapping of one old URL (canonicalised again: harmless, canonicalise is idempotent)."""
        old_url = self.canonical(canonical_url)
        path = urlsplit(old_url).path
        for rule in self.archive:
            if rule.pattern.search(path):
                return Mapping(old_url, None, "archive", None, None, rule.reason, rule.action)
        for index, rule in enumerate(self.rules):
            match = rule.pattern.search(path)
            if match:
                values = {**{k: v or "" for k, v in match.groupdict().items()}, "force": self.force}
                new_path = normalise_new_path(_fill(rule.new_path, values))
                reason = rule.description or f"rule {index + 1}: {rule.pattern.pattern}"
                return Mapping(old_url, new_path, "redirect", rule.content_type, index, reason)
        if self.unmatched == "gone":
            return Mapping(old_url, None, "archive", None, None, "no rule matches; unmatched URLs are gone", "gone")
        return Mapping(old_url, None, "unresolved", None, None, "no rule matches: a person decides")

    def map_all(self, urls: Iterable[str]) -> list[Mapping]:
        """Map many old URLs: duplicates collapse, new paths made unique. Sorted by old URL."""
        canonical = sorted({self.canonical(url) for url in urls})
        mappings = [self.map(url) for url in canonical]
        return make_unique(mappings)


def make_unique(mappings: Iterable[Mapping]) -> list[Mapping]:
    """Give every redirect its own new path: later old URLs (sorted) on a taken path get -2, -3, …"""
    by_old = {m.old_url: m for m in mappings}
    ordered = [by_old[old] for old in sorted(by_old)]
    taken = {m.new_path for m in ordered if m.type == "redirect"}
    first_owner: dict[str, str] = {}
    result = []
    for mapping in ordered:
        if mapping.type != "redirect" or mapping.new_path is None:
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
    "img": ("src",),
    "iframe": ("src",),
    "source": ("src",),
    "embed": ("src",),
    "audio": ("src",),
    "video": ("src",),
    "track": ("src",),
}
# One attribute inside a start tag the parser found (the tag's boundaries come from html.parser).
_ATTRIBUTE = re.compile(r"""([^\s/>"'=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"'=<`]+))?""")
_FRAGMENT_SAFE = "-._~!$&'()*+,;=:@/?%"
_NOT_LINKS = ("#", "mailto:", "tel:", "javascript:", "data:")


class LinkLookup:
    """Answers, for a link found in legacy content, whether it is external, redirected or left unresolved."""

    def __init__(self, mappings: Iterable[Mapping], scope: Scope) -> None:
        self.scope = scope
        self.by_old = {m.old_url: m for m in mappings}

    def resolve(self, url: str) -> tuple[Literal["external", "redirect", "unresolved"], str | None, str | None]:
        """(kind, new path or None, canonical old URL or None) for an absolute URL."""
        if not self.scope.is_legacy(url):
            return "external", None, None
        try:
            old = self.scope.canonicalise(url)
        except NotAWebURL:
            return "external", None, None
        mapping = self.by_old.get(old)
        if mapping is not None and mapping.type == "redirect" and mapping.new_path:
            return "redirect", mapping.new_path, old
        return "unresolved", None, old


class _TagFinder(HTMLParser):
    """Collects the start tags that may hold a link, with their offsets in the source."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.tags: list[tuple[int, str, str]] = []  # (offset, tag name, raw text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINK_ATTRIBUTES or tag == "base":
            raw = self.get_starttag_text() or ""
            line, column = self.getpos()
            offset = self.line_starts[line - 1] + column
            if self.source.startswith(raw, offset):
                self.tags.append((offset, tag, raw))

    handle_startendtag = handle_starttag


def rewrite_links(html_text: str, page_url: str, lookup: LinkLookup) -> tuple[str, int, list[str]]:
    """Rewrite links to old-site pages into their new paths; leave everything else byte for byte.

    Returns the new HTML, how many attributes changed, and the canonical old URLs linked but without a
    redirect (archived or unresolved), in document order, each once. A link's fragment is kept.
    """
    finder = _TagFinder(html_text)
    finder.feed(html_text)
    finder.close()
    base = page_url
    pieces: list[str] = []
    position = 0
    changed = 0
    unresolved: dict[str, None] = {}
    for offset, tag, raw in finder.tags:
        if tag == "base":
            for match in _ATTRIBUTE.finditer(raw, len(tag) + 1):
                if match.group(1).lower() == "href" and match.group(2):
                    base = urljoin(page_url, html.unescape(match.group(2).strip("\"'")))
            continue
        new_raw, count = _rewrite_tag(raw, tag, base, lookup, unresolved)
        if count:
            pieces += [html_text[position:offset], new_raw]
            position = offset + len(raw)
            changed += count
    pieces.append(html_text[position:])
    return "".join(pieces), changed, list(unresolved)


def _rewrite_tag(raw: str, tag: str, base: str, lookup: LinkLookup, unresolved: dict[str, None]) -> tuple[str, int]:
    wanted = set(_LINK_ATTRIBUTES[tag])
    seen: set[str] = set()
    edits: list[tuple[int, int, str]] = []
    for match in _ATTRIBUTE.finditer(raw, len(tag) + 1):
        name = match.group(1).lower()
        if name not in wanted or name in seen or not match.group(2):
            continue
        seen.add(name)  # browsers use the first of duplicate attributes
        value = html.unescape(match.group(2).strip("\"'")).strip()
        if not value or value.lower().startswith(_NOT_LINKS):
            continue
        absolute = urljoin(base, value)
        kind, new_path, old = lookup.resolve(absolute)
        if kind == "redirect" and new_path:
            fragment = urlsplit(absolute).fragment
            target = new_path + ("#" + quote(fragment, safe=_FRAGMENT_SAFE) if fragment else "")
            edits.append((match.start(2), match.end(2), '"' + html.escape(target, quote=True) + '"'))
        elif kind == "unresolved" and old:
            unresolved[old] = None
    for start, end, text in reversed(edits):
        raw = raw[:start] + text + raw[end:]
    return raw, len(edits)


# --- redirects.csv ----------------------------------------------------------------------------------------

REDIRECTS_COLUMNS = ("old_url", "new_url", "type")


def redirects_csv(mappings: Iterable[Mapping], new_base_url: str) -> str:
    """The redirects table: old_url,new_url,type; new_url empty unless type is redirect; sorted by old_url."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REDIRECTS_COLUMNS)
    base = new_base_url.rstrip("/") + "/"
    rows = sorted(
        (m.old_url, urljoin(base, m.new_path) if m.type == "redirect" and m.new_path else "", m.type) for m in mappings
    )
    writer.writerows(rows)
    return out.getvalue()


def write_redirects_csv(path: Any, mappings: Iterable[Mapping], new_base_url: str) -> Any:
    """Write redirects.csv (UTF-8, LF, deterministic) to a local path or an ObjectStoragePath."""
    target = path if hasattr(path, "open") and not isinstance(path, str) else Path(path)
    with target.open("w", encoding="utf-8", newline="") as handle:
        handle.write(redirects_csv(mappings, new_base_url))
    return target
