"""The DPIA criteria: the ICO's "always do a DPIA" list and the nine EDPB/WP248 criteria (two or more met:
a DPIA is normally required), evaluated against what a force enables, read from the national catalogue,
and the force's own answers in its spec. Every criterion met carries its evidence (which service, which
data, which answer), so the DPO can see why.
"""

from __future__ import annotations

import json
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


def _answer(answers: dict[str, Any], name: str) -> tuple[Evidence, ...]:
    value = answers.get(name)
    return (Evidence(f"answer:dpia.screening.{name}", f"answered {json.dumps(value)}"),) if value is True else ()


def _services_with(enabled: list[ServiceProcessing], test: Any, detail: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"service:{s.id}", detail(s)) for s in enabled if test(s.processing))


def evaluate_criteria(
    enabled: list[ServiceProcessing], answers: dict[str, Any], catalogue: Catalogue
) -> list[Criterion]:
    def flagged(flag: str, text: str) -> tuple[Evidence, ...]:
        return _services_with(enabled, lambda p: flag in p.flags, lambda s: f"{s.name}: {text}")

    sensitive = _services_with(
        enabled,
        lambda p: bool(SENSITIVE & set(p.data_categories)),
        lambda s: f"{s.name} processes {_names(SENSITIVE & set(s.processing.data_categories))} data",
    )
    volume = answers.get("expected_submissions_per_year") or 0
    threshold = catalogue.large_scale_submissions_per_year
    large = (
        (
            Evidence(
                "answer:dpia.screening.expected_submissions_per_year",
                f"{volume:,} submissions a year, at or over the {threshold:,} the programme counts as large scale",
            ),
        )
        if volume >= threshold
        else ()
    )
    vulnerable = flagged("vulnerable_subjects", "offered to or about vulnerable people") + _answer(
        answers, "targets_children"
    )
    vulnerable += _services_with(
        enabled, lambda p: "children" in p.data_categories, lambda s: f"{s.name} processes children's data"
    )
    matching = _answer(answers, "data_matching") + flagged("matches_other_sources", "matched against police records")
    decides = flagged("decides_access", "decides access to a service, a licence or a right")
    wp248 = [
        Criterion("W1", "WP248", "Evaluation or scoring", False, _answer(answers, "profiling_or_scoring")),
        Criterion(
            "W2",
            "WP248",
            "Automated decision-making with legal or similar significant effect",
            False,
            _answer(answers, "automated_decisions"),
        ),
        Criterion("W3", "WP248", "Systematic monitoring", False, _answer(answers, "systematic_monitoring")),
        Criterion("W4", "WP248", "Sensitive data or data of a highly personal nature", False, sensitive),
        Criterion("W5", "WP248", "Data processed on a large scale", False, large),
        Criterion("W6", "WP248", "Matching or combining datasets", False, matching),
        Criterion("W7", "WP248", "Data concerning vulnerable data subjects", False, vulnerable),
        Criterion(
            "W8",
            "WP248",
            "Innovative use or applying new technological or organisational solutions",
            False,
            _answer(answers, "innovative_technology"),
        ),
        Criterion(
            "W9",
            "WP248",
            "Processing that prevents people from exercising a right or using a service or contract",
            False,
            decides,
        ),
    ]
    wp248 = [Criterion(c.id, c.framework, c.title, bool(c.evidence), c.evidence) for c in wp248]
    by_id = {c.id: c for c in wp248}
    others_met = [c for c in wp248 if c.met and c.id != "W8"]

    def both(*ids: str) -> tuple[Evidence, ...]:
        return sum((by_id[i].evidence for i in ids), ()) if all(by_id[i].met for i in ids) else ()

    decides_sensitive = _services_with(
        enabled,
        lambda p: "decides_access" in p.flags and bool(SENSITIVE & set(p.data_categories)),
        lambda s: f"{s.name} decides access using {_names(SENSITIVE & set(s.processing.data_categories))} data",
    )
    invisible = flagged(
        "collected_from_third_parties", "holds data about people who did not give it (e.g. suspects named by others)"
    )
    invisible += _answer(answers, "legacy_content_has_personal_data")
    tracking = _answer(answers, "location_tracking") + flagged("tracks_behaviour", "tracks visitors' behaviour")
    ico = [
        Criterion(
            "I1",
            "ICO",
            "Systematic and extensive profiling or automated decision-making with significant effects",
            False,
            _answer(answers, "automated_decisions") + both("W1", "W5"),
        ),
        Criterion("I2", "ICO", "Special category or criminal offence data on a large scale", False, both("W4", "W5")),
        Criterion(
            "I3",
            "ICO",
            "Systematic monitoring of a publicly accessible place on a large scale",
            False,
            both("W3", "W5"),
        ),
        Criterion(
            "I4",
            "ICO",
            "Innovative technology in combination with another criterion",
            False,
            by_id["W8"].evidence + sum((c.evidence for c in others_met), ()) if by_id["W8"].met and others_met else (),
        ),
        Criterion(
            "I5",
            "ICO",
            "Profiling, automated decisions or special category data to decide on access to a service",
            False,
            decides_sensitive,
        ),
        Criterion("I6", "ICO", "Profiling on a large scale", False, both("W1", "W5")),
        Criterion("I7", "ICO", "Biometric or genetic data", False, _answer(answers, "biometric_or_genetic")),
        Criterion("I8", "ICO", "Combining, comparing or matching data from multiple sources", False, matching),
        Criterion(
            "I9",
            "ICO",
            "Invisible processing: personal data not obtained from the person, without a privacy notice to them",
            False,
            invisible,
        ),
        Criterion("I10", "ICO", "Tracking individuals' location or behaviour", False, tracking),
        Criterion(
            "I11",
            "ICO",
            "Targeting children or other vulnerable people, or offering online services directly to them",
            False,
            vulnerable,
        ),
        Criterion(
            "I12",
            "ICO",
            "Processing that could put someone's physical health or safety at risk if breached",
            False,
            flagged("harm_if_breached", "a breach could put someone in physical danger"),
        ),
    ]
    ico = [Criterion(c.id, c.framework, c.title, bool(c.evidence), c.evidence) for c in ico]
    return ico + wp248
