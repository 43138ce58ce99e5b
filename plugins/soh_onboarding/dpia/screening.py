"""DPIA screening: does a force's processing need a full DPIA, why, and what are the risks?

Under UK GDPR art 35 a DPIA is required for processing likely to result in a high risk. The screening
evaluates the DPIA criteria (criteria.py) against what the force enables, read from the national
catalogue, and the force's own answers in its spec, and seeds the risk register (risks.py): the DPIA is
derived rather than self-declared. Missing or contradictory answers are questions back to the force.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .catalogue import Catalogue, Processing
from .criteria import Criterion, ServiceProcessing, evaluate_criteria
from .risks import Risk, risk_register

ANSWERS = (
    "expected_submissions_per_year",
    "profiling_or_scoring",
    "automated_decisions",
    "systematic_monitoring",
    "data_matching",
    "innovative_technology",
    "targets_children",
    "biometric_or_genetic",
    "location_tracking",
    "transfers_outside_uk",
    "legacy_content_has_personal_data",
    "privacy_notice_url",
)
"""The screening answers every spec must give (dpia.screening.*)."""


@dataclass(frozen=True)
class Question:
    """Something the force must answer or reconcile in its spec before the screening can stand."""

    field: str
    question: str


class ScreeningQuestions(Exception):
    """Missing or contradictory answers: the screening cannot be trusted until they are resolved."""

    def __init__(self, questions: list[Question]) -> None:
        self.questions = questions
        listing = "\n".join(f"- {q.field}: {q.question}" for q in questions)
        super().__init__(f"the DPIA screening needs {len(questions)} answer(s) in the spec:\n{listing}")


@dataclass(frozen=True)
class Screening:
    force: str
    force_name: str
    criteria: tuple[Criterion, ...]
    full_dpia_required: bool
    reasons: tuple[str, ...]
    part3: bool
    part3_services: tuple[str, ...]
    risks: tuple[Risk, ...]
    services: tuple[ServiceProcessing, ...]
    answers: dict[str, Any]
    local_processors: tuple[dict[str, str], ...]
    basis: dict[str, Any] = field(repr=False)
    """What the outcome depends on; a DPO's approval stands while this is unchanged."""

    @property
    def consult_ico(self) -> bool:
        return any(risk.consult_ico for risk in self.risks)

    @property
    def met(self) -> list[Criterion]:
        return [criterion for criterion in self.criteria if criterion.met]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.basis, sort_keys=True).encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["consult_ico"] = self.consult_ico
        data["fingerprint"] = self.fingerprint
        for risk, record in zip(self.risks, data["risks"], strict=True):
            record["consult_ico"] = risk.consult_ico
        return data


# --- questions -----------------------------------------------------------------------------------


def questions(spec: dict[str, Any], catalogue: Catalogue) -> list[Question]:
    """Missing answers, and answers that contradict what the spec itself says elsewhere."""
    dpia = spec.get("dpia") or {}
    answers = dpia.get("screening") or {}
    found = [
        Question(f"dpia.screening.{name}", "missing: answer it (see the schema's description of the field)")
        for name in ANSWERS
        if answers.get(name) is None
    ]
    innovative = answers.get("innovative_technology")
    described = answers.get("innovative_technology_description")
    if innovative is True and not described:
        found.append(
            Question(
                "dpia.screening.innovative_technology_description",
                "innovative technology is used: what is it and what does it do?",
            )
        )
    if innovative is False and described:
        found.append(
            Question(
                "dpia.screening.innovative_technology",
                "false, yet innovative_technology_description describes one: is innovative technology used?",
            )
        )
    foreign = [p for p in dpia.get("local_processors") or [] if p.get("location", "").strip().lower() not in UK_NAMES]
    if answers.get("transfers_outside_uk") is False and foreign:
        names = ", ".join(f"{p['name']} ({p['location']})" for p in foreign)
        found.append(
            Question("dpia.screening.transfers_outside_uk", f"false, yet processors outside the UK are listed: {names}")
        )
    enabled = spec.get("tenant", {}).get("services") or []
    collecting = [
        s for s in enabled if s in catalogue.services and _collects_submissions(catalogue.services[s].processing)
    ]
    if answers.get("expected_submissions_per_year") == 0 and collecting:
        found.append(
            Question(
                "dpia.screening.expected_submissions_per_year",
                f"0, yet services that take submissions are enabled: {', '.join(collecting)}",
            )
        )
    rules = (spec.get("content_mapping") or {}).get("rules") or []
    appeals = [r["match"] for r in rules if r.get("content_type") == "appeal"]
    if answers.get("legacy_content_has_personal_data") is False and appeals:
        found.append(
            Question(
                "dpia.screening.legacy_content_has_personal_data",
                "false, yet content_mapping migrates appeals, which name and picture people",
            )
        )
    unknown = [s for s in enabled if s not in catalogue.services]
    if unknown:
        found.append(Question("tenant.services", f"not in the national catalogue: {', '.join(unknown)}"))
    return found


UK_NAMES = {"united kingdom", "uk", "england", "wales", "scotland", "northern ireland", "great britain", "gb"}


def _collects_submissions(processing: Processing) -> bool:
    return bool(set(processing.data_categories) & {"contact", "free_text", "identity"})


# --- the screening -------------------------------------------------------------------------------


def screen(spec: dict[str, Any], catalogue: Catalogue) -> Screening:
    """Screen one force's spec. Raises ScreeningQuestions when answers are missing or contradictory."""
    asked = questions(spec, catalogue)
    if asked:
        raise ScreeningQuestions(asked)
    answers = dict(spec["dpia"]["screening"])
    enabled = [
        ServiceProcessing(service_id, catalogue.services[service_id].name, catalogue.services[service_id].processing)
        for service_id in spec["tenant"]["services"]
    ]
    criteria = evaluate_criteria(enabled, answers, catalogue)
    ico_met = [c for c in criteria if c.met and c.framework == "ICO"]
    wp248_met = [c for c in criteria if c.met and c.framework == "WP248"]
    reasons = [f"ICO list: {c.title}" for c in ico_met]
    if len(wp248_met) >= 2:
        reasons.append(
            f"{len(wp248_met)} of the nine EDPB/WP248 criteria are met (two or more normally require a DPIA)"
        )
    part3 = tuple(s.id for s in enabled if s.processing.regime == "law_enforcement")
    local_processors = tuple(dict(p) for p in spec["dpia"].get("local_processors") or [])
    basis = {
        "services": sorted(s.id for s in enabled),
        "answers": answers,
        "local_processors": sorted(local_processors, key=lambda p: json.dumps(p, sort_keys=True)),
        "processing": {s.id: asdict(s.processing) for s in enabled} | {"(platform)": asdict(catalogue.platform)},
    }
    return Screening(
        force=spec["force"]["slug"],
        force_name=spec["force"]["name"],
        criteria=tuple(criteria),
        full_dpia_required=bool(reasons),
        reasons=tuple(reasons),
        part3=bool(part3),
        part3_services=part3,
        risks=tuple(risk_register(enabled, answers, catalogue)),
        services=tuple(enabled),
        answers=answers,
        local_processors=local_processors,
        basis=json.loads(json.dumps(basis)),  # as stored: lists, not tuples, so a stored basis compares equal
    )
