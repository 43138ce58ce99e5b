"""The DPIA criteria: the ICO's "always do a DPIA" list and the nine EDPB/WP248 criteria (two or more met:
a DPIA is normally required), evaluated against what a force enables, read from the national catalogue,
and the force's own answers in its spec. Every criterion met carries its evidence (which service, which
data, which answer), so the DPO can see why.

The criteria are data: WP248_CRITERIA and ICO_CRITERIA (id and title), and EVIDENCE (what meets each:
an answer, a catalogue flag, sensitive data, large scale, other criteria met together, each kind defined
once above them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalogue import Catalogue, Processing

SENSITIVE = {"special_category", "criminal_offence", "health", "children"}
"""Data categories that count as sensitive or highly personal (WP248 criterion 4)."""


@dataclass(frozen=True)
class Evidence:
    source: str  # "service:report-a-crime", "answer:dpia.screening.data_matching", "catalogue:..."
    detail: str


@dataclass(frozen=True)
class Criterion:
    id: str
    framework: str  # "ICO" (always do a DPIA) or "WP248" (EDPB nine criteria)
    title: str
    met: bool
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class ServiceProcessing:
    """One enabled service's processing, as the document describes it."""

    id: str
    name: str
    processing: Processing


def _names(categories: set[str]) -> str:
    return ", ".join(sorted(category.replace("_", " ") for category in categories))


def _sensitive(processing: Processing) -> set[str]:
    return SENSITIVE & set(processing.data_categories)


def _services_with(enabled: list[ServiceProcessing], test: Any, detail: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"service:{s.id}", detail(s)) for s in enabled if test(s.processing))


# --- the kinds of evidence a criterion is met on -------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the evidence is read from: the enabled services, the force's answers, the catalogue, and the
    criteria evaluated so far (some of the ICO's combine WP248 criteria)."""

    enabled: list[ServiceProcessing]
    answers: dict[str, Any]
    catalogue: Catalogue
    found: dict[str, Criterion]


Rule = Callable[[Facts], tuple[Evidence, ...]]


def answered(name: str) -> Rule:
    """The force answered true to dpia.screening.<name>."""

    def rule(facts: Facts) -> tuple[Evidence, ...]:
        value = facts.answers.get(name)
        return (Evidence(f"answer:dpia.screening.{name}", f"answered {json.dumps(value)}"),) if value is True else ()

    return rule


def flagged(flag: str, text: str) -> Rule:
    """An enabled service the catalogue flags with `flag`; `text` says what that means."""
    return lambda facts: _services_with(facts.enabled, lambda p: flag in p.flags, lambda s: f"{s.name}: {text}")


def sensitive_data(facts: Facts) -> tuple[Evidence, ...]:
    """An enabled service that processes a SENSITIVE data category."""
    return _services_with(
        facts.enabled,
        lambda p: bool(_sensitive(p)),
        lambda s: f"{s.name} processes {_names(_sensitive(s.processing))} data",
    )


def childrens_data(facts: Facts) -> tuple[Evidence, ...]:
    """An enabled service that processes children's data."""
    return _services_with(
        facts.enabled, lambda p: "children" in p.data_categories, lambda s: f"{s.name} processes children's data"
    )


def sensitive_access_decisions(facts: Facts) -> tuple[Evidence, ...]:
    """An enabled service that decides access to something, using a SENSITIVE data category."""
    return _services_with(
        facts.enabled,
        lambda p: "decides_access" in p.flags and bool(_sensitive(p)),
        lambda s: f"{s.name} decides access using {_names(_sensitive(s.processing))} data",
    )


def large_scale(facts: Facts) -> tuple[Evidence, ...]:
    """The submissions the force expects a year reach the catalogue's threshold of large scale."""
    volume = facts.answers.get("expected_submissions_per_year") or 0
    threshold = facts.catalogue.large_scale_submissions_per_year
    if volume < threshold:
        return ()
    return (
        Evidence(
            "answer:dpia.screening.expected_submissions_per_year",
            f"{volume:,} submissions a year, at or over the {threshold:,} the programme counts as large scale",
        ),
    )


def same_as(criterion: str) -> Rule:
    """The evidence of another criterion, met or not."""
    return lambda facts: facts.found[criterion].evidence


def all_met(*criteria: str) -> Rule:
    """The evidence of these criteria, when every one of them is met."""

    def rule(facts: Facts) -> tuple[Evidence, ...]:
        if not all(facts.found[c].met for c in criteria):
            return ()
        return sum((facts.found[c].evidence for c in criteria), ())

    return rule


def with_another_wp248(criterion: str) -> Rule:
    """The evidence of this WP248 criterion and of every other WP248 criterion met, when it and another are."""

    def rule(facts: Facts) -> tuple[Evidence, ...]:
        others = [c for c in facts.found.values() if c.framework == "WP248" and c.met and c.id != criterion]
        if not (facts.found[criterion].met and others):
            return ()
        return facts.found[criterion].evidence + sum((c.evidence for c in others), ())

    return rule


# --- the criteria --------------------------------------------------------------------------------


WP248_CRITERIA = {
    "W1": "Evaluation or scoring",
    "W2": "Automated decision-making with legal or similar significant effect",
    "W3": "Systematic monitoring",
    "W4": "Sensitive data or data of a highly personal nature",
    "W5": "Data processed on a large scale",
    "W6": "Matching or combining datasets",
    "W7": "Data concerning vulnerable data subjects",
    "W8": "Innovative use or applying new technological or organisational solutions",
    "W9": "Processing that prevents people from exercising a right or using a service or contract",
}
"""The EDPB's nine criteria (WP248 rev.01): two or more met normally require a DPIA."""

ICO_CRITERIA = {
    "I1": "Systematic and extensive profiling or automated decision-making with significant effects",
    "I2": "Special category or criminal offence data on a large scale",
    "I3": "Systematic monitoring of a publicly accessible place on a large scale",
    "I4": "Innovative technology in combination with another criterion",
    "I5": "Profiling, automated decisions or special category data to decide on access to a service",
    "I6": "Profiling on a large scale",
    "I7": "Biometric or genetic data",
    "I8": "Combining, comparing or matching data from multiple sources",
    "I9": "Invisible processing: personal data not obtained from the person, without a privacy notice to them",
    "I10": "Tracking individuals' location or behaviour",
    "I11": "Targeting children or other vulnerable people, or offering online services directly to them",
    "I12": "Processing that could put someone's physical health or safety at risk if breached",
}
"""The ICO's list of processing that always needs a DPIA."""

FRAMEWORKS = (("WP248", WP248_CRITERIA), ("ICO", ICO_CRITERIA))
"""The tables in the order they are evaluated: some of the ICO's criteria combine WP248 ones."""

EVIDENCE: dict[str, tuple[Rule, ...]] = {
    "W1": (answered("profiling_or_scoring"),),
    "W2": (answered("automated_decisions"),),
    "W3": (answered("systematic_monitoring"),),
    "W4": (sensitive_data,),
    "W5": (large_scale,),
    "W6": (answered("data_matching"), flagged("matches_other_sources", "matched against police records")),
    "W7": (
        flagged("vulnerable_subjects", "offered to or about vulnerable people"),
        answered("targets_children"),
        childrens_data,
    ),
    "W8": (answered("innovative_technology"),),
    "W9": (flagged("decides_access", "decides access to a service, a licence or a right"),),
    "I1": (answered("automated_decisions"), all_met("W1", "W5")),
    "I2": (all_met("W4", "W5"),),
    "I3": (all_met("W3", "W5"),),
    "I4": (with_another_wp248("W8"),),
    "I5": (sensitive_access_decisions,),
    "I6": (all_met("W1", "W5"),),
    "I7": (answered("biometric_or_genetic"),),
    "I8": (same_as("W6"),),
    "I9": (
        flagged(
            "collected_from_third_parties",
            "holds data about people who did not give it (e.g. suspects named by others)",
        ),
        answered("legacy_content_has_personal_data"),
    ),
    "I10": (answered("location_tracking"), flagged("tracks_behaviour", "tracks visitors' behaviour")),
    "I11": (same_as("W7"),),
    "I12": (flagged("harm_if_breached", "a breach could put someone in physical danger"),),
}
"""What meets each criterion: any of its rules finding evidence. Its evidence is all they find, in this order."""


def evaluate_criteria(
    enabled: list[ServiceProcessing], answers: dict[str, Any], catalogue: Catalogue
) -> list[Criterion]:
    """Every criterion of both tables with its evidence: the ICO's first, then WP248's."""
    found: dict[str, Criterion] = {}
    facts = Facts(enabled, answers, catalogue, found)
    for framework, titles in FRAMEWORKS:
        for criterion, title in titles.items():
            evidence = sum((rule(facts) for rule in EVIDENCE[criterion]), ())
            found[criterion] = Criterion(criterion, framework, title, bool(evidence), evidence)
    return [c for c in found.values() if c.framework == "ICO"] + [c for c in found.values() if c.framework == "WP248"]
