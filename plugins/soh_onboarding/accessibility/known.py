"""A force's accepted known accessibility issues, by pull request, each with a reason and an expiry.

Some automated findings a force cannot fix at once: a supplier's map widget whose contrast the supplier
will fix in its next release, say. The force records it in a file beside its spec,
`onboarding_specs/<slug>.known-issues.yaml` (schemas/known-issues.schema.json), reviewed like the spec:

    known_issues:
      - rule: color-contrast          # a rule as the report names it, or a success criterion (1.4.3)
        pages: /find-us/*             # a glob over the page's path on the site; the host is ignored
        target: .map-widget           # optional: the element's selector contains this
        reason: The map is our supplier's widget; its next release fixes the contrast.
        expires: 2027-06-30           # at most 12 months ahead
        decided_by: Jane Smith, Head of Digital

Why an expiry: an accepted issue is a promise to fix it by a date (the accessibility statement says so),
not a way to hide it. While an entry is unexpired, the gate (gate.py) and the monthly re-audit
(live/reaudit.py) list a matching violation as an accepted known issue and do not count it; once expired,
the entry fails them until it is renewed (a new expiry and reason) or the issue is fixed and the entry
deleted. An entry that matches nothing is reported as unused, so the file does not rot.

Why the whole file is refused when any entry has an error: a half-applied acceptance would count some
violations and not others, in a way nobody reviewed. Expiry is judged against `today` (UTC by default,
injectable for tests) when the file is read. Free of heavy imports: the spec check (`validate`, the
pre-commit hook's small install) reads it. Nothing here raises for bad input.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import project
from ..spec import KNOWN_ISSUES_SUFFIX, documents
from ..spec.documents import DocumentError, display_path
from . import wcag

SUFFIX = KNOWN_ISSUES_SUFFIX
SCHEMA_FILE = "known-issues.schema.json"
MAX_MONTHS = 12
"""The furthest ahead an expiry may be: the regulations want the statement reviewed yearly, and so is this."""
CRITERION = re.compile(r"\d\.\d{1,2}\.\d{1,2}")
ENGINES = ("axe", "ibm", "htmlcs", "keyboard")
"""engines.ENGINES, repeated so that the spec check does not import the engines' module."""
RENEW = (
    "renew it by pull request with a new expiry (at most 12 months ahead) and a new reason, "
    "or fix the issue and delete the entry"
)


def known_issues_file(spec_path: Path) -> Path:
    """The file beside a spec: onboarding_specs/demo.yaml -> onboarding_specs/demo.known-issues.yaml."""
    return spec_path.with_name(spec_path.stem + SUFFIX)


def spec_for(path: Path) -> Path | None:
    """The spec a known-issues file belongs to (demo.known-issues.yaml -> demo.yaml or demo.yml), or None."""
    slug = path.name.removesuffix(SUFFIX)
    return next((p for p in (path.with_name(slug + s) for s in (".yaml", ".yml")) if p.is_file()), None)


def utc_today() -> date:
    return datetime.now(UTC).date()


def months_ahead(day: date, months: int = MAX_MONTHS) -> date:
    """The same day `months` later (the 31st of a shorter month, or 29 February: that month's last day)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has a 28th


def page_path(url: str, site: str) -> str:
    """A page's path below the audited site's base, without its query ('/news/' on the preview
    /preview/demo/news/ and on https://www.force.example/news/ alike): what `pages` globs are matched on."""
    parts = urlsplit(url)
    prefix = urlsplit(site).path.rstrip("/") if site else ""
    path = parts.path[len(prefix) :] if prefix and parts.path.startswith(prefix + "/") else parts.path
    return path or "/"


def glob_problem(pattern: str) -> tuple[str, str] | None:
    """(message, hint) when `pattern` is not a usable glob over a page's path, else None."""
    if pattern.startswith("//") or "://" in pattern:
        return "looks like a URL with a host", "the host is ignored: give the path only, e.g. /news/*"
    if re.search(r"\s", pattern):
        return "has a space in it", "paths have no spaces: write one as %20"
    if "#" in pattern:
        return "has a # (a fragment)", "pages are matched by their path; leave out #..."
    index = 0
    while index < len(pattern):
        if pattern[index] == "[":
            end = index + 1
            end += pattern[end : end + 1] == "!"
            end += pattern[end : end + 1] == "]"
            end = pattern.find("]", end)
            if end < 0:
                return f"the [ at character {index + 1} is never closed", "close it, e.g. /news/[a-z]*, or drop it"
            index = end
        index += 1
    return None


@dataclass(frozen=True)
class KnownIssue:
    """One entry of the file that passed its checks."""

    line: int
    column: int
    rule: str
    pages: str
    reason: str
    expires: date
    decided_by: str
    target: str = ""
    index: int = 0  # its place in the list, for the field's name in messages
    expires_at: tuple[int, int] = (0, 0)  # line and column of its `expires`, where an expiry error points

    def describe(self) -> str:
        """'color-contrast on /find-us/* (element .map-widget)': how messages name the entry."""
        return f"{self.rule} on {self.pages}" + (f" (element {self.target})" if self.target else "")

    def matches(self, finding: Any, site: str = "") -> bool:
        """Whether a violation (a Finding) is this entry's: its rule or criterion, page and element."""
        if self.target and self.target not in finding.target:
            return False
        if not fnmatch.fnmatchcase(page_path(finding.url, site), self.pages):
            return False
        if CRITERION.fullmatch(self.rule):
            return self.rule in finding.wcag
        engine, _, name = self.rule.rpartition(":")
        return name in finding.rules.get(engine or "axe", [])

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "rule": self.rule,
            "pages": self.pages,
            "target": self.target,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "decided_by": self.decided_by,
        }


@dataclass
class KnownIssues:
    """A force's known-issues file, read on `today`: its entries (expired ones too) and its own errors."""

    shown: str
    today: date
    entries: list[KnownIssue] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    sha256: str = ""

    @property
    def valid(self) -> bool:
        """No error of the file itself: its entries may be honoured (expired ones are not, see expired)."""
        return not self.errors

    def where(self, entry: KnownIssue) -> str:
        return f"{self.shown}:{entry.line}"

    def expired(self) -> list[KnownIssue]:
        return [entry for entry in self.entries if entry.expires < self.today]

    def expiry_errors(self) -> list[DocumentError]:
        """One error per expired entry, at its expires field: what `validate` reports."""
        return [
            DocumentError(
                self.shown,
                *entry.expires_at,
                f"known_issues[{entry.index}].expires",
                f"the accepted known issue {entry.describe()} (line {entry.line}) expired on "
                f"{entry.expires.isoformat()}",
                RENEW,
            )
            for entry in self.expired()
        ]

    def problems(self) -> list[DocumentError]:
        """Everything `validate` fails on: the file's errors and its expired entries."""
        return sorted(self.errors + self.expiry_errors())

    def judge(self, findings: Iterable[Any], site: str = "") -> Judgement:
        """Split violations into those that count and those an unexpired entry accepts (the first
        matching entry, in the file's order); a file with errors accepts nothing and fails the check."""
        findings = list(findings)
        if self.errors:
            listed = [
                f"{e.path}:{e.line}:{e.column}: {e.field or '(file)'}: {e.message}" + (f" ({e.hint})" if e.hint else "")
                for e in sorted(self.errors)
            ]
            head = f"{self.shown} has errors, so none of its accepted known issues is honoured: fix it by pull request"
            summary = self._summary([]) | {"failures": [head, *listed], "warnings": []}
            return Judgement(summary, findings, failures=[head, *listed])
        active = [entry for entry in self.entries if entry.expires >= self.today]
        matched: dict[int, int] = {entry.index: 0 for entry in self.entries}  # by place: two may share a line
        counted, accepted = [], []
        for finding in findings:
            entry = next((e for e in active if e.matches(finding, site)), None)
            if entry is None:
                counted.append(finding)
                for old in self.expired():
                    matched[old.index] += old.matches(finding, site)
                continue
            matched[entry.index] += 1
            accepted.append(
                finding.as_dict(full=False)
                | {"page": page_path(finding.url, site), "entry": entry.as_dict(), "where": self.where(entry)}
            )
        failures = [
            f"{self.where(entry)}: the accepted known issue {entry.describe()} expired on {entry.expires.isoformat()}"
            f" ({matched[entry.index]} matching violation(s) counted): {RENEW}"
            for entry in self.expired()
        ]
        warnings = [
            f"{self.where(entry)}: the accepted known issue {entry.describe()} matched no violation of this audit: "
            "if it is fixed, delete the entry by pull request"
            for entry in active
            if not matched[entry.index]
        ]
        summary = self._summary(accepted, matched) | {"failures": failures, "warnings": warnings}
        return Judgement(summary, counted, accepted, failures, warnings)

    def _summary(self, accepted: list[dict[str, Any]], matched: dict[int, int] | None = None) -> dict[str, Any]:
        """What the reports show of the file: each entry with its state and how many violations it matched."""
        matched = matched or {}
        entries = []
        for entry in self.entries:
            state = "expired" if entry.expires < self.today else "accepted" if matched.get(entry.index) else "unused"
            if self.errors:
                state = "not honoured"
            entries.append(
                entry.as_dict() | {"where": self.where(entry), "state": state, "matched": matched.get(entry.index, 0)}
            )
        by_impact: dict[str, int] = {}
        for item in accepted:
            by_impact[item["impact"]] = by_impact.get(item["impact"], 0) + 1
        return {
            "file": self.shown,
            "sha256": self.sha256,
            "checked_on": self.today.isoformat(),
            "accepted": len(accepted),
            "by_impact": by_impact,
            "entries": entries,
            "issues": accepted,
        }


@dataclass
class Judgement:
    """What the known issues did to one audit's violations, for the gate and the re-audit."""

    summary: dict[str, Any]  # KnownIssues._summary: the report's section
    counted: list[Any]  # the violations that count against the thresholds
    accepted: list[dict[str, Any]] = field(default_factory=list)  # each accepted violation, with its entry
    failures: list[str] = field(default_factory=list)  # expired entries, or the file's errors
    warnings: list[str] = field(default_factory=list)  # unused entries


def _schema() -> documents.Schema:
    return documents.schema_for(project.SCHEMAS_DIR / SCHEMA_FILE)


class _Checks:
    """The checks a schema cannot make, each located at its field."""

    def __init__(self, shown: str, source: Any, today: date) -> None:
        self.shown, self.source, self.today = shown, source, today
        self.errors: list[DocumentError] = []

    def fail(self, path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        line, column = self.source.position(path)
        self.errors.append(DocumentError(self.shown, line, column, documents.format_field(path), message, hint))

    def entry(self, index: int, item: dict[str, Any]) -> KnownIssue | None:
        at = ("known_issues", index)
        before = len(self.errors)
        rule, pages = item["rule"], item["pages"]
        if CRITERION.fullmatch(rule) and rule not in wcag.CRITERIA:
            self.fail(
                (*at, "rule"),
                f"{rule!r} is not a WCAG success criterion at level A or AA",
                "give a criterion the report names, e.g. 1.4.3, or the rule, e.g. color-contrast",
            )
        problem = glob_problem(pages)
        if problem:
            self.fail((*at, "pages"), f"{pages!r} is not a usable glob over the page's path: {problem[0]}", problem[1])
        expires = date.fromisoformat(item["expires"])
        latest = months_ahead(self.today)
        if expires > latest:
            self.fail(
                (*at, "expires"),
                f"{expires.isoformat()} is more than {MAX_MONTHS} months ahead (the latest allowed today is "
                f"{latest.isoformat()})",
                "accept an issue for at most 12 months, then renew it by pull request if it is still not fixed",
            )
        if len(self.errors) > before:
            return None
        line, column = self.source.position(at)
        return KnownIssue(
            line,
            column,
            rule,
            pages,
            " ".join(item["reason"].split()),
            expires,
            item["decided_by"].strip(),
            item.get("target", ""),
            index,
            self.source.position((*at, "expires")),
        )

    def duplicates(self, entries: list[tuple[int, KnownIssue]]) -> None:
        seen: dict[tuple[str, str, str], KnownIssue] = {}
        for index, entry in entries:
            key = (entry.rule.lower(), entry.pages, entry.target)
            if key in seen:
                self.fail(
                    ("known_issues", index),
                    f"the same rule, pages and target as the entry at line {seen[key].line}",
                    "keep one entry: merge their reasons, and keep the earlier expiry",
                )
            seen.setdefault(key, entry)


def _own_hint(error: DocumentError) -> DocumentError:
    """The YAML reader's hints speak of specs; this file starts otherwise."""
    if "spec_version" in error.hint or "demo.yaml" in error.hint:
        return replace(error, hint=f"this file starts with `known_issues:` and a list of entries, as demo{SUFFIX}")
    return error


def read(path: Path, today: date | None = None) -> KnownIssues:
    """A force's known-issues file (whatever it holds: the errors say what is wrong), judged on `today`
    (by default today's date in UTC). An entry with a schema error is not checked further; the others are."""
    today = today or utc_today()
    shown = display_path(path)
    try:
        document = documents.load(path, _schema())
        found = KnownIssues(shown, today, errors=[_own_hint(e) for e in document.errors], sha256=document.sha256)
        data = document.data
        listed = data.get("known_issues") if isinstance(data, dict) else None
        if not isinstance(listed, list):
            if not found.errors:
                message = "expected a mapping with a list known_issues"
                found.errors.append(
                    DocumentError(shown, 1, 1, "", message, "start from onboarding_specs/demo" + SUFFIX)
                )
            return found
        broken = {error.field for error in found.errors}
        checks = _Checks(shown, document.source, today)
        kept = []
        for index, item in enumerate(listed):
            prefix = f"known_issues[{index}]"
            if any(name == prefix or name.startswith(prefix + ".") for name in broken):
                continue
            entry = checks.entry(index, item)
            if entry is not None:
                kept.append((index, entry))
        checks.duplicates(kept)
        found.errors = sorted(found.errors + checks.errors)
        found.entries = [entry for _, entry in kept]
    except Exception as exc:  # any input, however hostile, gets a located error, never a traceback
        message = f"the check could not read this file ({type(exc).__name__}: {str(exc)[:200]})"
        hint = "simplify it back towards onboarding_specs/demo" + SUFFIX
        return KnownIssues(shown, today, errors=[DocumentError(shown, 1, 1, "", message, hint)])
    return found


def for_spec(spec_path: Path, today: date | None = None) -> KnownIssues | None:
    """The known issues beside a spec, read; None when the force has none."""
    path = known_issues_file(spec_path)
    return read(path, today) if path.exists() else None


def check_files(
    named: list[Path] | None, specs: Iterable[Any], folders: Iterable[Path] = (), today: date | None = None
) -> tuple[int, list[DocumentError]]:
    """(files checked, errors) for `validate`: the known-issues file beside each spec in `specs`
    (ForceSpecs), and every one in `folders` or `named`; expired entries are errors, and so is a file with no
    spec beside it (it would never apply)."""
    candidates = [known_issues_file(force.path) for force in specs]
    candidates += [p for folder in folders if folder.is_dir() for p in sorted(folder.glob("*" + SUFFIX))]
    candidates += [p for p in named or [] if p.name.endswith(SUFFIX)]
    checked, errors = 0, []
    for path in dict.fromkeys(candidates):
        if not path.exists():
            if path in (named or []):
                errors.append(DocumentError(display_path(path), 1, 1, "(file)", "no such file"))
            continue
        checked += 1
        if spec_for(path) is None:
            slug = path.name.removesuffix(SUFFIX)
            errors.append(
                DocumentError(
                    display_path(path),
                    1,
                    1,
                    "(file)",
                    f"no spec {slug}.yaml beside this file, so it never applies",
                    f"name the file after its force's spec: <slug>{SUFFIX} beside <slug>.yaml",
                )
            )
            continue
        errors += read(path, today).problems()
    return checked, sorted(errors)
