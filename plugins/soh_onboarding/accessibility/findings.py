"""Merging the engines' results into findings: one per page, element and success criterion.

Results on the same page and element whose criteria overlap are one finding (axe's `link-name` says
2.4.4 and 4.1.2, HTML_CodeSniffer's H91 says 4.1.2: one finding for both, 2.4.4 and 4.1.2), keeping
every engine and rule that found it. Whether a finding is a violation or needs review is decided by
policy.py; violations and "needs review" are merged separately and never mixed in one list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import policy, wcag
from .engines import ENGINES, EngineResult

IMPACTS = ("critical", "serious", "moderate", "minor")


@dataclass
class Finding:
    url: str
    target: str
    wcag: list[str]
    results: list[EngineResult] = field(default_factory=list)
    status: str = "violation"  # or "needs_review"
    reason: str = ""  # why policy.py put it where it is

    @property
    def engines(self) -> list[str]:
        present = {r.engine for r in self.results}
        return [e for e in ENGINES if e in present]

    @property
    def rule(self) -> str:
        """The rule named first: axe's if axe found it (the best-known ids), else the first engine's."""
        first = min(self.results, key=lambda r: ENGINES.index(r.engine))
        return first.rule if first.engine == "axe" else f"{first.engine}:{first.rule}"

    @property
    def rules(self) -> dict[str, list[str]]:
        by_engine: dict[str, list[str]] = defaultdict(list)
        for r in self.results:
            if r.rule not in by_engine[r.engine]:
                by_engine[r.engine].append(r.rule)
        return {e: by_engine[e] for e in ENGINES if e in by_engine}

    @property
    def impact(self) -> str:
        """axe's impact where axe found it; otherwise the engine's, else one derived from the criterion."""
        stated = [r.impact for r in self.results if r.impact in IMPACTS]
        if stated:
            return min(stated, key=IMPACTS.index)
        return min((policy.default_impact(n) for n in self.wcag), key=IMPACTS.index)

    @property
    def html(self) -> str:
        return next((r.html for r in self.results if r.html), "")

    @property
    def help(self) -> str:
        return next((r.help for r in sorted(self.results, key=lambda r: ENGINES.index(r.engine)) if r.help), "")

    @property
    def help_url(self) -> str:
        return next((r.help_url for r in sorted(self.results, key=lambda r: ENGINES.index(r.engine)) if r.help_url), "")

    def as_dict(self, *, full: bool = True) -> dict[str, Any]:
        short = {
            "url": self.url,
            "rule": self.rule,
            "engines": self.engines,
            "wcag": self.wcag,
            "impact": self.impact,
            "target": self.target,
        }
        if not full:
            return short
        return short | {
            "rules": self.rules,
            "html": self.html,
            "help": self.help,
            "help_url": self.help_url,
            "status": self.status,
            "reason": self.reason,
            "criteria": [
                {"number": n, "name": wcag.CRITERIA[n].name, "level": wcag.CRITERIA[n].level} for n in self.wcag
            ],
        }


def _group(url: str, results: Iterable[EngineResult]) -> list[Finding]:
    """Group results by element, then join those whose criteria overlap (transitively)."""
    by_target: dict[str, list[EngineResult]] = defaultdict(list)
    for r in results:
        by_target[r.target].append(r)
    findings = []
    for target, group in by_target.items():
        clusters: list[tuple[set[str], list[EngineResult]]] = []
        for r in group:
            touching = [c for c in clusters if c[0] & set(r.criteria)]
            criteria, members = set(r.criteria), [r]
            for c in touching:
                clusters.remove(c)
                criteria |= c[0]
                members = c[1] + members
            clusters.append((criteria, members))
        for criteria, members in clusters:
            unique = list(dict.fromkeys(members))
            findings.append(Finding(url=url, target=target, wcag=wcag.sort_numbers(criteria), results=unique))
    return findings


def merge(
    url: str,
    results: Iterable[EngineResult],
    tabbables: Iterable[str] | None = None,
    rules: policy.Policy | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """(violations, needs_review) of one page, each de-duplicated by element and criterion. `tabbables`:
    the elements Tab reaches on the page, when the keyboard probe ran (policy.py's keyboard confirmation);
    `rules`: another policy than config/accessibility-policy.yaml (the benchmark compares them)."""
    results = list(results)
    tabbables = list(tabbables) if tabbables is not None else None
    rules = rules or policy.current()
    violations: list[Finding] = []
    demoted: list[EngineResult] = []
    for finding in _group(url, [r for r in results if r.kind == "violation"]):
        verdict, reason = policy.decide(finding.results, tabbables, rules)
        finding.reason = reason
        if verdict == "violation":
            violations.append(finding)
        else:
            demoted.extend(finding.results)
    confirmed = {(f.target, n) for f in violations for n in f.wcag}
    review_results = [
        r
        for r in [*demoted, *(r for r in results if r.kind == "review")]
        if not all((r.target, n) in confirmed for n in r.criteria)
    ]
    needs_review = _group(url, review_results)
    for finding in needs_review:
        finding.status = "needs_review"
        finding.reason = policy.review_reason(finding.results)
    return sorted(violations, key=_order), sorted(needs_review, key=_order)


def _order(finding: Finding) -> tuple[tuple[int, ...], str]:
    return wcag.CRITERIA[finding.wcag[0]].sort_key, finding.target
