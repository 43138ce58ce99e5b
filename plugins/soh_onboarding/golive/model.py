"""A go-live checklist: named checks, each pass / warn / fail with the evidence that decided it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASS, WARN, FAIL = "pass", "warn", "fail"
ORDER = {PASS: 0, WARN: 1, FAIL: 2}


@dataclass
class Check:
    """One named check on one subject (a domain, a page, the redirect map, a prerequisite).

    `findings` are the named faults found (e.g. `hsts-not-implemented`, `redirect-chain`), so a
    person, a test and the monitoring compare faults by name, not by wording.
    """

    name: str
    group: str
    subject: str
    status: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.name}:{self.subject}" if self.subject else self.name

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"key": self.key}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=ORDER.__getitem__, default=PASS)


GROUPS = (
    ("prerequisites", "Prerequisites"),
    ("dns", "DNS"),
    ("tls", "TLS"),
    ("headers", "Security headers"),
    ("pages", "Key pages"),
    ("redirects", "Old URLs"),
    ("files", "robots.txt, sitemap.xml, security.txt"),
    ("content", "Mixed content"),
)
"""The checklist's sections, in the order a person reads them."""


@dataclass
class Checklist:
    """Every check of one go-live run of one force."""

    force: str
    force_name: str
    checked_at: str
    network: str
    checks: list[Check] = field(default_factory=list)
    min_grade: str = "B"

    @property
    def status(self) -> str:
        return worst([check.status for check in self.checks])

    @property
    def passed(self) -> bool:
        """Go-live may be approved: nothing failed (warnings are shown to the approver)."""
        return self.status != FAIL

    def counts(self) -> dict[str, int]:
        return {status: sum(c.status == status for c in self.checks) for status in (PASS, WARN, FAIL)}

    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.status == FAIL]

    def warned(self) -> list[Check]:
        return [check for check in self.checks if check.status == WARN]

    def by_group(self) -> list[tuple[str, list[Check]]]:
        return [(title, [c for c in self.checks if c.group == group]) for group, title in GROUPS]

    def findings(self) -> set[str]:
        """Every fault found, as `check:subject:finding` (what the monitoring compares between runs)."""
        return {f"{check.key}:{finding}" for check in self.checks for finding in check.findings}

    def as_dict(self) -> dict[str, Any]:
        checks = [check.as_dict() for check in self.checks]
        return asdict(self) | {"checks": checks, "status": self.status, "passed": self.passed, "counts": self.counts()}
