"""Force specs: load, validate against the JSON Schema and the cross-field rules, report every error.

The schema (schemas/onboarding-spec.schema.json) is the single source of truth for a spec's shape; this
module adds what a schema cannot say (slug equals file name, uniqueness across forces, coherent dates,
contrast of the brand colours, mapping templates that use only groups their pattern defines) and turns
every failure into `file:line:column: field.path: message` with a hint, so a force's digital team can
fix a spec without reading Python.

Nothing here raises for bad input: `check()` returns the valid specs and the errors of the others, so
one broken file never hides another force (ARCHITECTURE.md, rules of the house).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from .. import patterns, project, urls
from ..urls import NotAWebURL, Scope, split_host_port
from . import documents, yamlsource
from .documents import Document, DocumentError, format_field
from .yamlsource import Path as FieldPath

SPEC_SUFFIXES = (".yaml", ".yml")
KNOWN_ISSUES_SUFFIX = ".known-issues.yaml"
"""A force's accepted known accessibility issues beside its spec (accessibility/known.py): YAML, not a spec."""


@dataclass(frozen=True)
class ForceSpec:
    """A force's spec that passed every check. `data` is the parsed YAML, shaped by the schema."""

    path: Path
    data: dict[str, Any]
    sha256: str
    raw: bytes = field(repr=False, default=b"")
    """The exact bytes that were validated: what a run snapshots, whatever the file holds later."""

    @property
    def slug(self) -> str:
        return self.data["force"]["slug"]

    @property
    def name(self) -> str:
        return self.data["force"]["name"]

    @property
    def dag_id(self) -> str:
        return f"onboard_{self.slug}"

    @property
    def tenant_id(self) -> str:
        return self.data["tenant"]["tenant_id"]


@dataclass
class CheckResult:
    """The outcome of checking a set of spec files."""

    specs: list[ForceSpec] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    files_checked: int = 0

    @property
    def valid(self) -> bool:
        return not self.errors

    def errors_by_file(self) -> dict[str, list[DocumentError]]:
        grouped: dict[str, list[DocumentError]] = {}
        for error in self.errors:
            grouped.setdefault(error.path, []).append(error)
        return grouped


def schema() -> dict[str, Any]:
    """The spec's JSON Schema, as data."""
    return spec_schema().data


def spec_schema() -> documents.Schema:
    return documents.schema_for(project.SPEC_SCHEMA)


def _load(path: Path) -> Document:
    """One spec file, checked against the schema and the rules that need only that file.

    Whatever the file holds, the answer is this file's errors: a check that breaks on it (a bug of ours,
    or an input nobody foresaw) is reported as an error of this file, so it never hides another force.
    """
    try:
        document = documents.load(path, spec_schema())
        if isinstance(document.data, dict):
            document.errors += _rule_errors(document.shown, path, document.source)
    except Exception as exc:  # any input, however hostile, gets a located error
        shown = documents.display_path(path)
        error = DocumentError(
            shown,
            1,
            1,
            "",
            f"the check could not read this file ({type(exc).__name__}: {str(exc)[:200]})",
            "simplify the file back towards onboarding_specs/demo.yaml, and report this to the platform team",
        )
        return Document(path, shown, "", yamlsource.Source(), [error])
    return document


# --- rules beyond the schema -------------------------------------------------------------------


def _relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour written #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio between two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((_relative_luminance(foreground), _relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _host(url: str) -> str:
    """The URL's host name, lower-cased; "" for a URL too broken to have one (e.g. 'http://[', which the schema
    reports: the rules across specs read base_url before the schema has judged it)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _get(data: Any, field_path: FieldPath) -> Any:
    """The value at a path, or None where the (possibly malformed) data has none."""
    for part in field_path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _claimed_domains(data: dict[str, Any]) -> list[str]:
    """Host names a spec claims, read defensively: it runs on specs that failed the schema too."""
    hosts: list[str] = []
    for field_path in (("tenant", "domains"), ("legacy_site", "other_domains"), ("go_live", "old_domains")):
        values = _get(data, field_path)
        if isinstance(values, list):
            hosts += [v.lower() for v in values if isinstance(v, str)]
    base_url = _get(data, ("legacy_site", "base_url"))
    hosts.append(_host(base_url) if isinstance(base_url, str) else "")
    # Addresses and the local host name are nobody's domain (the sandbox serves every force's demo there).
    return sorted({h for h in hosts if h and not re.fullmatch(r"[0-9.]+|localhost|\[.*\]", h)})


Fail = Any  # the `fail(field_path, message, hint)` callback each rule reports through


def _rule_slug_is_file_name(data: dict[str, Any], path: Path, fail: Fail) -> None:
    slug = data["force"]["slug"]
    if path.stem != slug:
        fail(
            ("force", "slug"),
            f"slug '{slug}' does not match the file name '{path.name}'",
            f"rename the file to {slug}.yaml or change the slug",
        )


def _rule_signed_date_matches_status(data: dict[str, Any], path: Path, fail: Fail) -> None:
    agreement = data["section_22"]
    if agreement.get("signed_date") and agreement["status"] != "signed":
        fail(
            ("section_22", "signed_date"),
            f"a signed date is given but the status is '{agreement['status']}'",
            "set status: signed, or remove signed_date",
        )


def _rule_signed_before_go_live(data: dict[str, Any], path: Path, fail: Fail) -> None:
    signed = data["section_22"].get("signed_date")
    target = date.fromisoformat(data["go_live"]["target_date"])
    if signed and date.fromisoformat(signed) > target:
        fail(
            ("section_22", "signed_date"),
            f"the agreement is signed on {signed}, after the go-live target {target}",
            "the Section 22 agreement must be signed before launch",
        )


def _rule_charged_from_go_live(data: dict[str, Any], path: Path, fail: Fail) -> None:
    live_from = date.fromisoformat(data["charging"]["live_from"])
    target = date.fromisoformat(data["go_live"]["target_date"])
    if live_from < target:
        fail(
            ("charging", "live_from"),
            f"charging starts {live_from}, before the go-live target {target}",
            "a force pays from the date it is live: use a date on or after go_live.target_date",
        )


def _rule_mapping_templates(data: dict[str, Any], path: Path, fail: Fail) -> None:
    for index, rule in enumerate(data["content_mapping"]["rules"]):
        try:
            groups = set(patterns.compile(rule["match"]).groupindex) | {"force"}
        except (patterns.PatternError, TypeError, KeyError):
            continue  # the schema reports the pattern itself
        used = set(re.findall(r"\{([^{}]*)\}", rule["new_path"]))
        for name in sorted(used - groups):
            fail(
                ("content_mapping", "rules", index, "new_path"),
                f"'{{{name}}}' is not a named group of the rule's match pattern",
                f"use one of: {', '.join(sorted(groups))}",
            )


def _rule_archive_links_pinned(data: dict[str, Any], path: Path, fail: Fail) -> None:
    template = data["content_mapping"].get("archive_url")
    if not isinstance(template, str):
        return
    from ..migration.archive import archive_pin_problem

    problem = archive_pin_problem(template)
    if problem:
        fail(
            ("content_mapping", "archive_url"),
            f"the archive link {problem}",
            "put {timestamp} where the archive takes a capture time, e.g. "
            "https://webarchive.nationalarchives.gov.uk/ukgwa/{timestamp}/{old_url}",
        )


def dot_segments(path: str) -> tuple[str, bool]:
    """The first '.' or '..' segment of a path ("" if none), and whether the path climbs above its root.

    Segments are read as a web server and a file system would read them: percent-escapes decoded (twice,
    for %252e), backslashes taken as slashes.
    """
    return urls.dot_segments(unquote(unquote(path)).replace("\\", "/"))


def _inside(folder: Path, path: Path) -> bool:
    """Whether `path`, symbolic links followed, is inside `folder`."""
    return path.resolve().is_relative_to(folder.resolve())


def _rule_new_paths_stay_on_the_site(data: dict[str, Any], path: Path, fail: Fail) -> None:
    """A new path is a path from the new site's root: no '.' or '..' segment, so it can never leave it."""
    for index, rule in enumerate(data["content_mapping"]["rules"]):
        template = rule.get("new_path")
        if not isinstance(template, str):
            continue
        segment, climbs = dot_segments(template)
        if climbs:
            fail(
                ("content_mapping", "rules", index, "new_path"),
                f"'{template}' climbs out of the site's root with '..'",
                "a new path starts at the new site's root: write it without '..', e.g. /news/{force}/{slug}/",
            )
        elif segment:
            fail(
                ("content_mapping", "rules", index, "new_path"),
                f"'{template}' has a '{segment}' segment",
                "write the path without '.' or '..' segments, e.g. /advice/{slug}/",
            )


def _rule_content_selectors(data: dict[str, Any], path: Path, fail: Fail) -> None:
    """Every selector compiles in the engine the extraction uses, so a typo fails here, not after the crawl."""
    from selectolax.lexbor import LexborHTMLParser, SelectolaxError  # loaded when a spec has selectors

    selectors = data["legacy_site"].get("content_selectors")
    if not isinstance(selectors, dict):
        return
    named: list[tuple[FieldPath, Any]] = [
        (("legacy_site", "content_selectors", k), selectors.get(k)) for k in ("main", "title", "published")
    ]
    removed = selectors.get("remove")
    if isinstance(removed, list):
        named += [(("legacy_site", "content_selectors", "remove", i), v) for i, v in enumerate(removed)]
    empty = LexborHTMLParser("")
    for field_path, selector in named:
        if not isinstance(selector, str) or not selector.strip():
            continue  # the schema reports a missing or empty selector
        try:
            empty.css_first(selector)
        except SelectolaxError:
            fail(
                field_path,
                f"'{selector}' is not a CSS selector the extraction can use",
                "check brackets, quotes and combinators, e.g. #content, main article, .news-date",
            )


def _rule_legacy_site(data: dict[str, Any], path: Path, fail: Fail) -> None:
    legacy = data["legacy_site"]
    if not _host(legacy["base_url"]):
        fail(
            ("legacy_site", "base_url"),
            f"{legacy['base_url']} has no host name that can be read",
            "write the legacy site's home page URL, e.g. https://www.force.police.uk/",
        )
    legacy_hosts = {_host(legacy["base_url"]), *legacy.get("other_domains", [])}
    for index, url in enumerate(legacy.get("sitemap_urls", [])):
        if _host(url) not in legacy_hosts:
            fail(
                ("legacy_site", "sitemap_urls", index),
                f"the sitemap is on {_host(url)}, outside the legacy site's domains",
                "add the host to legacy_site.other_domains, or fix the URL",
            )
    traffic = legacy.get("traffic_data")
    if isinstance(traffic, str) and (dot_segments(traffic)[0] or not _inside(project.ROOT, project.ROOT / traffic)):
        fail(
            ("legacy_site", "traffic_data"),
            f"{traffic} is outside the repository",
            "give the CSV's path from the repository's root, without '..', e.g. onboarding_specs/demo-traffic.csv",
        )
    elif traffic and not (project.ROOT / traffic).is_file():
        fail(
            ("legacy_site", "traffic_data"),
            f"no file at {traffic}",
            "commit the CSV beside the spec, or remove the field",
        )


def _rule_alt_text_keys(data: dict[str, Any], path: Path, fail: Fail) -> None:
    """content_mapping.alt_text keys name images of the legacy site, each image once.

    The schema checks a key's form (a path, or an http(s) URL); here an absolute URL must be on one of the
    legacy site's hosts, and two keys must not name the same image once canonicalised as the crawl does.
    """
    entries = data["content_mapping"].get("alt_text")
    if not isinstance(entries, dict):
        return
    legacy = data["legacy_site"]
    legacy_hosts = sorted({_host(legacy["base_url"]), *legacy.get("other_domains", [])})
    # Only the hosts matter here (not the crawl's patterns, which the schema checks on their own).
    scope = Scope.from_spec({"base_url": legacy["base_url"], "other_domains": legacy.get("other_domains", [])})
    seen: dict[str, str] = {}
    for key in entries:
        if not isinstance(key, str) or not key.startswith(("/", "http://", "https://")):
            continue  # the schema reports its form
        where = ("content_mapping", "alt_text", key)
        if not key.startswith("/") and _host(key) not in legacy_hosts:
            fail(
                where,
                f"{key} is not on the legacy site ({', '.join(legacy_hosts)})",
                "use the image's path on the legacy site, e.g. /images/appeals/a-1.jpg (the spec_key column of "
                "images-missing-alt.csv)",
                key=True,
            )
            continue
        try:
            canonical = scope.legacy_canonical(urljoin(legacy["base_url"], key))
        except NotAWebURL:
            canonical = None
        if canonical is None:
            fail(where, f"{key} is not a URL of the legacy site", "use the image's path, starting with /", key=True)
        elif canonical in seen:
            fail(
                where,
                f"the same image as '{seen[canonical]}' (paths are compared as the crawl compares them)",
                "keep one entry per image",
                key=True,
            )
        else:
            seen[canonical] = key


def _port_problem(text: str) -> str | None:
    """Why the port of a host:port is unusable, or None (its form is the schema's to report)."""
    try:
        split_host_port(text)
    except ValueError as error:
        return str(error) if re.fullmatch(r".+:[0-9]{1,5}", text) else None
    return None


def _rule_connect_to(data: dict[str, Any], path: Path, fail: Fail) -> None:
    """connect_to moves only the legacy site's own hosts, each to an address with a port the crawl can use."""
    legacy = data["legacy_site"]
    legacy_hosts = {_host(legacy["base_url"]), *legacy.get("other_domains", [])}
    for key, value in (legacy.get("crawl", {}).get("connect_to") or {}).items():
        at = ("legacy_site", "crawl", "connect_to", key)
        if not isinstance(key, str) or not re.fullmatch(r"([^:/\s\[\]]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?", key):
            pass  # not a host or host:port: the schema reports it
        elif problem := _port_problem(key):
            fail(at, f"the key {key}: {problem}", "write a legacy host name, or host:port", key=True)
        elif (host := re.sub(r":[0-9]+$", "", key).strip("[]")) not in legacy_hosts:
            fail(
                at,
                f"{host} is not a host of the legacy site (base_url's host or other_domains)",
                "connect_to moves only where the legacy site's own hosts are fetched from: add the host to "
                "legacy_site.other_domains, or fix the key",
                key=True,
            )
        if isinstance(value, str) and (problem := _port_problem(value)):
            fail(at, f"{value}: {problem}", "give the address to connect to and its port, e.g. 127.0.0.1:8081")


def _rule_brand_contrast(data: dict[str, Any], path: Path, fail: Fail) -> None:
    branding = data["tenant"]["branding"]
    for name, against in (("primary_colour", "white text"), ("secondary_colour", "a white background")):
        colour = branding.get(name)
        if (
            isinstance(colour, str)
            and re.fullmatch(r"#[0-9a-fA-F]{6}", colour)
            and (ratio := contrast_ratio(colour, "#ffffff")) < 4.5
        ):
            fail(
                ("tenant", "branding", name),
                f"{colour} gives a contrast of {ratio:.2f}:1 with {against}; WCAG 1.4.3 needs 4.5:1",
                "choose a darker shade",
            )


def _rule_money_in_pence(data: dict[str, Any], path: Path, fail: Fail) -> None:
    # Not the schema's multipleOf: with floats, 0.07 / 0.01 is not a whole number in binary arithmetic.
    for name in ("capital", "revenue"):
        amount = data["charging"].get("cap", {}).get(name)
        if (
            isinstance(amount, int | float)
            and not isinstance(amount, bool)
            and Decimal(str(amount)).as_tuple().exponent < -2
        ):
            fail(
                ("charging", "cap", name), f"{amount} has fractions of a penny", "give pounds with at most two decimals"
            )


def _rule_old_domains_are_legacy(data: dict[str, Any], path: Path, fail: Fail) -> None:
    legacy = data["legacy_site"]
    legacy_hosts = {_host(legacy["base_url"]), *legacy.get("other_domains", [])}
    for index, domain in enumerate(data["go_live"].get("old_domains", [])):
        if domain not in legacy_hosts:
            fail(
                ("go_live", "old_domains", index),
                f"{domain} is not a domain of the legacy site",
                "add it to legacy_site.other_domains, or remove it here",
            )


def _rule_mail_domains(data: dict[str, Any], path: Path, fail: Fail) -> None:
    go_live = data["go_live"]
    known = set(data["tenant"]["domains"]) | set(go_live.get("old_domains", []))
    for index, domain in enumerate(go_live.get("mail_domains", [])):
        if domain not in known:
            fail(
                ("go_live", "mail_domains", index),
                f"{domain} is neither a tenant domain nor an old domain",
                "list only domains this spec already names",
            )


RULES = (
    _rule_slug_is_file_name,
    _rule_signed_date_matches_status,
    _rule_signed_before_go_live,
    _rule_charged_from_go_live,
    _rule_mapping_templates,
    _rule_archive_links_pinned,
    _rule_new_paths_stay_on_the_site,
    _rule_legacy_site,
    _rule_content_selectors,
    _rule_alt_text_keys,
    _rule_connect_to,
    _rule_brand_contrast,
    _rule_old_domains_are_legacy,
    _rule_mail_domains,
    _rule_money_in_pence,
)
"""Checks that need more than one field, or more than a schema can say."""


def _rule_errors(shown: str, path: Path, source: yamlsource.Source) -> list[DocumentError]:
    """Run every rule. A rule whose fields are missing or malformed is skipped: the schema already
    reported those fields, and the other rules still run, so the author sees every error at once."""
    errors: list[DocumentError] = []

    def fail(field_path: FieldPath, message: str, hint: str = "", *, key: bool = False) -> None:
        line, column = source.position(field_path, key=key)
        errors.append(DocumentError(shown, line, column, format_field(field_path), message, hint))

    for rule in RULES:
        try:
            rule(source.data, path, fail)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return errors


def _cross_file_errors(loaded: list[Document]) -> list[DocumentError]:
    """Slugs, tenant ids and domains must be unique across all specs: reported on every file involved."""
    claims: dict[tuple[str, str], list[tuple[Document, FieldPath]]] = {}
    for item in loaded:
        data = item.source.data
        if not isinstance(data, dict):
            continue
        for what, field_path in (("slug", ("force", "slug")), ("tenant id", ("tenant", "tenant_id"))):
            value = _get(data, field_path)
            if isinstance(value, str):
                claims.setdefault((what, value), []).append((item, field_path))
        for domain in _claimed_domains(data):
            claims.setdefault(("domain", domain), []).append((item, _domain_field(item.source, domain)))
    errors: list[DocumentError] = []
    for (what, value), owners in claims.items():
        files = {owner.shown for owner, _ in owners}
        if len(files) < 2:
            continue
        for owner, field_path in owners:
            others = ", ".join(sorted(files - {owner.shown}))
            line, column = owner.source.position(field_path)
            errors.append(
                DocumentError(
                    owner.shown,
                    line,
                    column,
                    format_field(field_path),
                    f"{what} '{value}' is also claimed by {others}",
                    f"each force needs its own {what}",
                )
            )
    return errors


def _domain_field(source: yamlsource.Source, domain: str) -> FieldPath:
    for section, key in (("tenant", "domains"), ("legacy_site", "other_domains"), ("go_live", "old_domains")):
        values = _get(source.data, (section, key))
        if isinstance(values, list) and domain in values:
            return (section, key, values.index(domain))
    return ("legacy_site", "base_url")


# --- the entry points --------------------------------------------------------------------------


def spec_files(paths: Iterable[Path] | None = None) -> list[Path]:
    """The spec files named by `paths` (files, or folders to list); all of onboarding_specs/ by default."""
    found: list[Path] = []
    for path in [project.specs_dir()] if paths is None else paths:
        if path.is_dir():
            # Not only regular files: a pipe or a link to a device named *.yaml is reported, not skipped.
            found += sorted(
                p
                for p in path.iterdir()
                if p.suffix in SPEC_SUFFIXES and not p.name.endswith(KNOWN_ISSUES_SUFFIX) and not p.is_dir()
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def check(paths: Iterable[Path] | None = None) -> CheckResult:
    """Check the named spec files; uniqueness is checked against every spec in their folders.

    Errors are returned only for the named files, but a clash with a sibling is found either way,
    so a pull request adding one file is checked against all the forces already there.
    """
    wanted = spec_files(paths)
    folders = {p.parent for p in wanted if p.exists()}
    named = set(wanted)
    siblings = [p for p in spec_files(sorted(folders)) if p not in named]
    loaded = [_load(p) for p in [*wanted, *siblings]]
    cross = _cross_file_errors(loaded)
    reported = {item.shown for item in loaded[: len(wanted)]}
    result = CheckResult(files_checked=len(wanted))
    for item in loaded[: len(wanted)]:
        item.errors += [e for e in cross if e.path == item.shown]
        result.errors += sorted(item.errors)
        if not item.errors:
            result.specs.append(ForceSpec(item.path, item.source.data, item.sha256, item.raw))
    result.errors = [e for e in result.errors if e.path in reported]
    return result


def load_one(path: Path) -> CheckResult:
    """Check one spec file (against its siblings for uniqueness): what a run re-validates."""
    return check([path])
