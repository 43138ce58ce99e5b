"""After go-live: the accessibility audit again, every month, on each live force's live domain.

The baseline is the audit the force's go-live passed with: `<store>/<force>/golive-approved.json` names the
go-live run, whose `accessibility/audit.json` holds the audit the accessibility gate accepted. A
**regression** is a violation of impact serious or critical, on a page, for a success criterion, on an
element, that the baseline did not have (pages are compared by their path, since the baseline audited the
tenant's preview and the re-audit its live domain). A regression is *new* the first month it is seen, *open*
while it lasts, and *fixed* when the last re-audit had it open and this one does not (the daily checks'
`sitechecks.changes`). A force with no baseline (no approved go-live, or its run has no audit) is
audited all the same, reported as "no baseline", and every serious or critical violation counts.

The regulations want the accessibility statement reviewed at least yearly: the statement draft is dated
by the baseline audit that wrote it, and a draft more than 12 months old is flagged.

How Chromium reaches the live domain: as the public would, by its name, but through the go-live settings'
DNS (`golive/settings.py`, `golive/net.py`): each domain is resolved through the configured resolver and
Chromium is launched with `--host-resolver-rules` mapping `domain:443` and `domain:80` to the address found
and the settings' ports, so the Host header, SNI and URLs stay the public's. Chromium cannot be handed a CA
bundle, so when the settings declare the CA bundle a local test CA (`local_test_ca`, the sandbox's), the
audit's browser skips certificate verification; otherwise it verifies as any browser does. Whether the live
site's certificate is valid and trusted is not this audit's question: the daily checks
(`dags/live_site_checks.py`) check TLS and alert on it.

Results: `<store>/<force>/accessibility-monitoring/<date>.json` and `.html` (the audit report with a
"Since go-live" section), `latest.json`, and the platform-wide `<store>/platform/accessibility-monitoring.json`
for the operators' dashboard (`sitechecks.summarise`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from ..accessibility import gate, report, sitemap
from ..accessibility.audit import AuditOptions, AuditResult, audit
from ..artifacts import force_folder, safe_name, write_json
from ..golive import decision
from ..golive.net import DEFAULT_PORTS, LookupFailed
from . import sitechecks

FOLDER = "accessibility-monitoring"
SUMMARY = ("platform", "accessibility-monitoring.json")
SERIOUS = ("critical", "serious")
PASS, FAIL, NO_BASELINE, NOT_AUDITED = "pass", "fail", "no baseline", "not audited"


class ReauditError(Exception):
    """The live site cannot be re-audited at all (its domain does not resolve, its sitemap is unreadable)."""


# --- the baseline: the audit the go-live passed with -------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    run: str
    audited_at: str
    site: str
    findings: list[dict[str, Any]]
    statement: str  # the statement draft the same audit wrote ("" if the run has none)

    def keys(self) -> set[tuple[str, str, str]]:
        """(page path, criterion, element) of every violation of the baseline, whatever its impact."""
        return {key for finding in self.findings for key in finding_keys(finding, self.site)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "audited_at": self.audited_at,
            "site": self.site,
            "findings": len(self.findings),
            "statement": self.statement,
        }


def baseline(store: Any, slug: str) -> tuple[Baseline | None, str]:
    """The force's accepted audit, or None and why there is none."""
    folder = force_folder(store, slug)
    record = decision.approved_record(folder)
    if record is None:
        return None, f"no approved go-live on record ({folder / decision.APPROVED_RECORD} not found)"
    audited = folder / record["run"] / "accessibility"
    path = audited / "audit.json"
    if not path.exists():
        return None, f"the go-live run {record['run']} has no accessibility audit ({path} not found)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        findings = list(data.get("findings") or [])
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        return None, f"{path} cannot be read: {exc}"
    statement = audited / "accessibility-statement.md"
    return Baseline(
        run=record["run"],
        audited_at=str(data.get("started") or ""),
        site=str(data.get("site") or ""),
        findings=findings,
        statement=str(statement) if statement.exists() else "",
    ), ""


def page_of(url: str, site: str) -> str:
    """A page's path below the audited site's base ('/news/' on the preview /preview/demo/news/ and on
    https://www.force.example/news/ alike), with its query."""
    parts = urlsplit(url)
    prefix = urlsplit(site).path.rstrip("/") if site else ""
    path = parts.path[len(prefix) :] if prefix and parts.path.startswith(prefix + "/") else parts.path
    return (path or "/") + (f"?{parts.query}" if parts.query else "")


def finding_keys(finding: dict[str, Any], site: str) -> set[tuple[str, str, str]]:
    page = page_of(str(finding.get("url", "")), site)
    return {(page, str(number), str(finding.get("target", ""))) for number in finding.get("wcag") or []}


def regressions(
    result: AuditResult, site: str, base: Baseline | None, accepted: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The serious and critical violations of `result` that share no (page, criterion, element) with the
    baseline, one entry each with a stable id (what new / open / fixed compare across months). Those an
    unexpired accepted known issue matched (`accepted`, the gate's) are not regressions."""
    known = base.keys() if base else set()
    left_out = {(item["url"], item["target"], tuple(item["wcag"])) for item in accepted or []}
    found = []
    for finding in result.findings:
        if finding.impact not in SERIOUS or (finding.url, finding.target, tuple(finding.wcag)) in left_out:
            continue
        data = finding.as_dict(full=False)
        if finding_keys(data, site) & known:
            continue
        page = page_of(finding.url, site)
        found.append(data | {"page": page, "id": f"{page} {'+'.join(finding.wcag)} {finding.target}"})
    return sorted(found, key=lambda entry: entry["id"])


# --- the statement's age ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementAge:
    drafted: str | None
    review_due: str | None
    age_days: int | None
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def statement_age(drafted: str | None, today: date) -> StatementAge:
    """Due for review 12 months after it was drafted (29 February: the 28th); no draft is overdue."""
    if not drafted:
        return StatementAge(None, None, None, True)
    day = date.fromisoformat(drafted[:10])
    try:
        due = day.replace(year=day.year + 1)
    except ValueError:
        due = day.replace(year=day.year + 1, day=28)
    return StatementAge(day.isoformat(), due.isoformat(), (today - day).days, today > due)


# --- reaching the live domain ------------------------------------------------------------------------


def browser_access(settings: Any, domains: list[str]) -> tuple[tuple[tuple[str, str], ...], bool]:
    """(Chromium's host rules, skip certificate verification) for reaching `domains` through the settings'
    DNS and ports: `--host-resolver-rules` maps each `domain:443` and `domain:80` to the address the
    settings' resolver gives and the settings' https and http ports (Chromium matches a rule's pattern
    against host:port and replaces the port too). Verification is skipped only for a declared local test
    CA (see the module's docstring: TLS trust is the daily checks' job)."""
    network = settings.network
    rules = []
    for domain in domains:
        try:
            address = network.addresses(domain)[0]
        except LookupFailed as exc:
            raise ReauditError(f"cannot reach the live site: {exc}") from None
        host = f"[{address}]" if ":" in address else address
        for scheme, default in sorted(DEFAULT_PORTS.items()):
            rules.append((f"{domain}:{default}", f"{host}:{network.ports.get(scheme, default)}"))
    return tuple(rules), bool(settings.local_test_ca and network.ca_bundle)


# --- one force's re-audit ------------------------------------------------------------------------------


@dataclass
class Reaudit:
    outcome: sitechecks.Outcome
    result: AuditResult
    gate: gate.GateResult
    site: str
    baseline: Baseline | None
    baseline_missing: str
    statement: StatementAge
    regressions: list[dict[str, Any]] = field(default_factory=list)

    def monitoring(self) -> dict[str, Any]:
        """The "Since go-live" part of the result and of the HTML report."""
        return {
            "baseline": self.baseline.as_dict() if self.baseline else None,
            "baseline_missing": self.baseline_missing,
            "statement": self.statement.as_dict(),
            "new": self.outcome.new,
            "open": self.outcome.open,
            "fixed": self.outcome.fixed,
            "regressions": self.regressions,
            "accepted_known_issues": len(self.gate.accepted),
            "known_issue_failures": self.known_issue_failures,
        }

    @property
    def known_issue_failures(self) -> list[str]:
        """Expired accepted known issues, or a known-issues file with errors: they fail the re-audit."""
        return list((self.gate.known_issues or {}).get("failures") or [])


def reaudit(
    spec_data: dict[str, Any],
    settings: Any,
    store: Any,
    *,
    today: date | None = None,
    options: AuditOptions | None = None,
    progress: Callable[[str], None] | None = None,
    known: Any = None,
) -> Reaudit:
    """Audit the live site of the force of `spec_data` (its first domain) as the onboarding audit did
    (the sitemap, the spec's sampling and standard) and compare with its baseline and last re-audit.
    `known`: the force's accepted known issues (accessibility/known.py), read by the caller beside its spec:
    a violation an unexpired entry matches is no regression; an expired entry fails the re-audit."""
    slug = spec_data["force"]["slug"]
    domains = list(spec_data["tenant"]["domains"])
    settings_a11y = dict(spec_data.get("accessibility") or {})
    today = today or datetime.now(UTC).date()
    host_rules, ignore_https_errors = browser_access(settings, domains)
    options = options or AuditOptions(
        standard=settings_a11y.get("standard", "WCAG 2.2 AA"),
        host_rules=host_rules,
        ignore_https_errors=ignore_https_errors,
    )
    site = f"https://{domains[0]}/"
    with settings.network.session() as session:
        try:
            found = sitemap.discover(
                [site + "sitemap.xml"],
                max_pages=settings_a11y.get("max_pages"),
                key_paths=list((spec_data.get("go_live") or {}).get("key_pages", {}).values()),
                session=session,
            )
        except sitemap.SitemapError as exc:
            raise ReauditError(f"cannot list the live site's pages: {exc}") from None
    say = progress or (lambda line: None)
    say(f"re-auditing {len(found.urls)} page(s) of {found.listed} listed on {site} ({settings.network.describe()})")
    result = audit(found.urls, options, progress=progress, discovery=found.as_dict())
    verdict = gate.check(result, settings_a11y, known, site=site)
    base, missing = baseline(store, slug)
    found_now = regressions(result, site, base, verdict.accepted)
    last = sitechecks.last_result(store, slug, FOLDER)
    new, open_, fixed = sitechecks.changes(
        {entry["id"] for entry in found_now}, set(last["open_regressions"]) if last else None
    )
    if not result.audited:
        status = NOT_AUDITED
    elif base is None:
        status = NO_BASELINE
    else:
        status = FAIL if open_ or (verdict.known_issues or {}).get("failures") else PASS
    outcome = sitechecks.Outcome(
        force=slug,
        checked_at=result.started,
        status=status,
        new=new,
        open=open_,
        fixed=fixed,
        failed_checks=[error["url"] for error in result.errors],  # the pages that could not be audited
    )
    return Reaudit(
        outcome=outcome,
        result=result,
        gate=verdict,
        site=site,
        baseline=base,
        baseline_missing=missing,
        statement=statement_age(base.audited_at if base else None, today),
        regressions=found_now,
    )


def record(store: Any, done: Reaudit) -> dict[str, Any]:
    """`<date>.json` (the outcome, the regressions, the whole audit), `<date>.html` and latest.json; returns
    the force's line for the platform-wide summary."""
    monitoring = done.monitoring()
    document = done.outcome.as_dict() | monitoring | {"site": done.site, "gate": done.gate.as_dict()}
    document["audit"] = done.result.as_dict()
    day = done.outcome.checked_at[:10]
    dated = sitechecks.write_result(store, done.outcome.force, FOLDER, day, document)
    html = dated.parent / f"{day}.html"
    html.write_text(
        report.render_report(done.result, done.gate, site=done.site, monitoring=monitoring), encoding="utf-8"
    )
    return done.outcome.as_dict() | {
        "site": done.site,
        "pages": len(done.result.audited),
        "pages_not_audited": len(done.result.errors),
        "seconds": round(done.result.seconds, 1),
        "counts": done.gate.counts,
        "accepted_known_issues": len(done.gate.accepted),
        "known_issue_failures": done.known_issue_failures,
        "baseline": monitoring["baseline"]["run"] if done.baseline else None,
        "statement": monitoring["statement"],
        "result": str(dated),
        "report": f"{safe_name(done.outcome.force)}/{FOLDER}/{day}.html",  # relative to the store
    }


def summarise(store: Any, lines: list[dict[str, Any]], checked_at: str) -> Any:
    """<store>/platform/accessibility-monitoring.json, as the daily checks' summary, plus the forces whose
    statement is due for review."""
    path = sitechecks.summarise(store, lines, checked_at, SUMMARY)
    summary = json.loads(path.read_text(encoding="utf-8"))
    summary["statements_due"] = sorted(
        force for force, line in summary["forces"].items() if (line.get("statement") or {}).get("overdue")
    )
    write_json(path, summary)
    return path
