"""The accessibility gate: the spec's thresholds (`accessibility.allowed_violations`, per impact, and
`accessibility.allowed_page_errors`) against an audit's violations, and with the document checks
`accessibility.documents.allowed_failures` against the failing documents needed for a service. Failing it
fails the task with this summary, and the go-live phase needs it passed.

With the force's accepted known issues (known.py), a violation an unexpired entry matches is listed as an
accepted known issue and not counted; an expired entry, or a file with errors, fails the gate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .findings import IMPACTS

DEFAULT_ALLOWED = {"critical": 0, "serious": 0, "moderate": 10, "minor": 50}
"""The schema's defaults (schemas/onboarding-spec.schema.json, accessibility.allowed_violations)."""


@dataclass
class GateResult:
    """The gate's verdict on one audit, with what it counted against what the spec allows."""

    passed: bool
    counts: dict[str, int]  # violations by impact (critical, serious, moderate, minor)
    allowed: dict[str, int]  # the spec's accessibility.allowed_violations, by impact
    page_errors: int  # pages that could not be audited
    allowed_page_errors: int
    failures: list[str] = field(default_factory=list)  # one line for each limit exceeded
    known_issues: dict[str, Any] | None = None  # the force's accepted known issues (known.py), if it has any
    warnings: list[str] = field(default_factory=list)  # e.g. an accepted known issue that matched nothing
    documents: dict[str, int] | None = None  # the document checks' counts (documents.DocumentsResult.counts())

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """The violations an unexpired known issue accepted (not counted), each with its entry."""
        return list((self.known_issues or {}).get("issues") or [])

    def summary(self) -> str:
        counts = ", ".join(f"{self.counts[i]} {i} (allowed {self.allowed[i]})" for i in IMPACTS)
        head = "accessibility gate passed" if self.passed else "accessibility gate FAILED"
        tail = f"; accepted known issues, not counted: {len(self.accepted)}" if self.known_issues else ""
        lines = [f"{head}: {counts}; pages not audited: {self.page_errors} (allowed {self.allowed_page_errors}){tail}"]
        if self.documents is not None:
            d = self.documents
            lines[0] += (
                f"; documents: {d['documents']} checked, {d['failed'] + d['unreadable']} failing or unreadable,"
                f" {d['failing_needed_for_service']} of them needed for a service, {d['exempt']} exempt"
            )
        lines += [f"  - {failure}" for failure in self.failures]
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(result: Any, settings: dict[str, Any] | None = None, known: Any = None, *, site: str = "") -> GateResult:
    """Judge an AuditResult against the spec's `accessibility` section (defaults where a field is absent),
    less what `known` (the force's KnownIssues, or None) accepts; `site` is the audited site's base URL, which
    the entries' page globs are relative to."""
    settings = settings or {}
    allowed = DEFAULT_ALLOWED | dict(settings.get("allowed_violations") or {})
    allowed_errors = int(settings.get("allowed_page_errors", 0))
    judged = known.judge(result.findings, site) if known is not None else None
    findings = judged.counted if judged else result.findings
    counts = dict.fromkeys(IMPACTS, 0)
    for finding in findings:
        counts[finding.impact] += 1
    failures = []
    for impact in IMPACTS:
        if counts[impact] > allowed[impact]:
            worst = [f for f in findings if f.impact == impact][:3]
            examples = "; ".join(f"{f.rule} ({', '.join(f.wcag)}) at {f.url} {f.target}" for f in worst)
            failures.append(f"{counts[impact]} {impact} violation(s), {allowed[impact]} allowed: e.g. {examples}")
    errors = result.errors
    if len(errors) > allowed_errors:
        shown = "; ".join(f"{e['url']}: {e['error']}" for e in errors[:3])
        failures.append(f"{len(errors)} page(s) could not be audited, {allowed_errors} allowed: {shown}")
    if not result.audited:
        failures.append("no page was audited")
    if judged is None:
        return GateResult(not failures, counts, allowed, len(errors), allowed_errors, failures)
    failures += judged.failures
    return GateResult(
        not failures, counts, allowed, len(errors), allowed_errors, failures, judged.summary, judged.warnings
    )


def with_documents(verdict: GateResult, documents: Any) -> GateResult:
    """The gate with the document checks added (documents.DocumentsResult): failing documents needed for a
    service beyond `accessibility.documents.allowed_failures` fail it, each named with what fails; other
    failing documents are in the report and the statement but do not fail it."""
    failures = verdict.failures + documents.gate_failures()
    return replace(verdict, passed=not failures, failures=failures, documents=documents.counts())
