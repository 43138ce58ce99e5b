"""Which engine results count as violations, and which go to "needs review": decided rule by rule.

axe-core is the baseline: its violations are violations (Deque's rules are written for no false
positives), as are the keyboard probe's traps. IBM Equal Access and HTML_CodeSniffer catch barriers axe
misses but also raise false alarms, so a finding only they report is a violation when

- both of them report it on the same element and criterion (two independent engines agree), or
- the rule is in TRUSTED below: on the labelled pages of tests/data/accessibility/ it found barriers
  and raised no false alarm (`benchmarks/accessibility_engines.py` re-measures it; the table is in
  docs/accessibility.md);

and needs review otherwise, naming the engine and rule so a person knows what to check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import wcag
from .engines import EngineResult

ENGINE_NAMES = {
    "axe": "axe-core",
    "ibm": "IBM Equal Access",
    "htmlcs": "HTML_CodeSniffer",
    "keyboard": "the keyboard probe",
}


@dataclass(frozen=True)
class Trusted:
    engine: str
    rule: str
    evidence: str


TRUSTED: dict[tuple[str, str], Trusted] = {
    (t.engine, t.rule): t
    for t in (
        # Measured 2026-11-25 on the 60 labelled pages (docs/accessibility.md, "Rule by rule"): each found
        # at least one barrier axe-core missed and raised no false alarm. Rules that only re-found what
        # axe finds stay "needs review" alone: they would add risk and no detection.
        Trusted(
            "ibm",
            "label_name_visible",
            "2.5.3 on forms/fail-label-not-in-name (axe's rule is experimental), 0 false alarms",
        ),
        Trusted(
            "ibm", "input_checkboxes_grouped", "1.3.1 on forms/fail-radios-no-group, missed by axe; 0 false alarms"
        ),
        Trusted(
            "ibm", "table_headers_exists", "1.3.1 on structure/fail-table-no-headers, missed by axe; 0 false alarms"
        ),
        Trusted("ibm", "skip_main_exists", "2.4.1 on structure/fail-no-bypass, missed by axe; 0 false alarms"),
        Trusted(
            "ibm",
            "aria_eventhandler_role_valid",
            "4.1.2 (F59) on keyboard/fail-click-only-div, missed by axe; 0 false alarms",
        ),
        Trusted(
            "htmlcs",
            "F68",
            "1.3.1 on 4 unlabelled-field pages incl. forms/fail-placeholder-only, missed by axe; 0 false alarms",
        ),
        Trusted(
            "htmlcs",
            "H42.2",
            "1.3.1 on structure/fail-empty-heading (axe's empty-heading is best practice only); 0 false alarms",
        ),
    )
}

ALWAYS = {"axe", "keyboard"}


def decide(results: Iterable[EngineResult]) -> tuple[str, str]:
    """("violation" | "needs_review", why) for the violation-kind results of one element and criterion."""
    results = list(results)
    engines = {r.engine for r in results}
    if engines & ALWAYS:
        return "violation", f"found by {' and '.join(ENGINE_NAMES[e] for e in sorted(engines & ALWAYS))}"
    if len(engines) >= 2:
        return "violation", "IBM Equal Access and HTML_CodeSniffer agree"
    trusted = [TRUSTED[(r.engine, r.rule)] for r in results if (r.engine, r.rule) in TRUSTED]
    if trusted:
        return "violation", f"{ENGINE_NAMES[trusted[0].engine]} rule {trusted[0].rule}: {trusted[0].evidence}"
    return "needs_review", review_reason(results)


def review_reason(results: Iterable[EngineResult]) -> str:
    named = sorted({f"{ENGINE_NAMES[r.engine]} {r.rule}" for r in results})
    return "to check by a person: " + "; ".join(named)


IMPACT_OVERRIDES = {"2.1.2": "critical", "1.1.1": "critical", "1.4.3": "serious", "1.4.11": "serious"}


def default_impact(number: str) -> str:
    """The impact of a finding no engine rated: failing a level A criterion blocks people (serious), AA
    hinders them (moderate); a keyboard trap or an image without a text alternative blocks entirely, and
    contrast follows axe-core's rating of its own contrast rule (serious)."""
    if number in IMPACT_OVERRIDES:
        return IMPACT_OVERRIDES[number]
    return "serious" if wcag.CRITERIA[number].level == "A" else "moderate"
