"""DPIA screening: does a force's processing need a full DPIA, why, and what are the risks?

Under UK GDPR art 35 a DPIA is required for processing likely to result in a high risk. The screening
evaluates the ICO's "always do a DPIA" list and the nine EDPB/WP248 criteria (two or more met: a DPIA is
normally required) against what the force enables, read from the national catalogue, and the force's
own answers in its spec. Every criterion met carries its evidence (which service, which data, which
answer), so the DPO can see why, and the DPIA is derived rather than self-declared.

The risk register is seeded from the catalogue on the ICO's scale (likelihood remote / possible /
probable x severity minimal / significant / severe) with the standard mitigations; a residual high
risk means the ICO must be consulted before processing (UK GDPR art 36).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .catalogue import Catalogue, Processing

LIKELIHOOD = {"remote": 1, "possible": 2, "probable": 3}
SEVERITY = {"minimal": 1, "significant": 2, "severe": 3}
SENSITIVE = {"special_category", "criminal_offence", "health", "children"}
"""Data categories that count as sensitive or highly personal (WP248 criterion 4)."""

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


def risk_level(likelihood: str, severity: str) -> str:
    """ICO matrix: the product of the two scales, 1-2 low, 3-4 medium, 6-9 high."""
    score = LIKELIHOOD[likelihood] * SEVERITY[severity]
    return "high" if score >= 6 else "medium" if score >= 3 else "low"


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
class Risk:
    id: str
    title: str
    description: str
    likelihood: str
    severity: str
    level: str
    mitigations: tuple[str, ...]
    residual_likelihood: str
    residual_severity: str
    residual_level: str
    sources: tuple[str, ...]

    @property
    def consult_ico(self) -> bool:
        return self.residual_level == "high"


@dataclass(frozen=True)
class ServiceProcessing:
    """One enabled service's processing, as the document describes it."""

    id: str
    name: str
    processing: Processing


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


# --- criteria ------------------------------------------------------------------------------------


def _names(categories: set[str]) -> str:
    return ", ".join(sorted(category.replace("_", " ") for category in categories))


def _answer(answers: dict[str, Any], name: str) -> tuple[Evidence, ...]:
    value = answers.get(name)
    return (Evidence(f"answer:dpia.screening.{name}", f"answered {json.dumps(value)}"),) if value is True else ()


def _services_with(enabled: list[ServiceProcessing], test: Any, detail: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"service:{s.id}", detail(s)) for s in enabled if test(s.processing))


def _criteria(enabled: list[ServiceProcessing], answers: dict[str, Any], catalogue: Catalogue) -> list[Criterion]:
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


# --- risks ---------------------------------------------------------------------------------------


def _risks(enabled: list[ServiceProcessing], answers: dict[str, Any], catalogue: Catalogue) -> list[Risk]:
    sources: dict[str, list[str]] = {}
    for risk_id in catalogue.platform.risks:
        sources.setdefault(risk_id, []).append("platform")
    for service in enabled:
        for risk_id in service.processing.risks:
            sources.setdefault(risk_id, []).append(f"service:{service.id}")
    for answer, risk_id in catalogue.answer_risks.items():
        if answers.get(answer) is True:
            sources.setdefault(risk_id, []).append(f"answer:dpia.screening.{answer}")
    risks = []
    for risk_id, found_in in sources.items():
        t = catalogue.risks[risk_id]
        risks.append(
            Risk(
                t.id,
                t.title,
                t.description,
                t.likelihood,
                t.severity,
                risk_level(t.likelihood, t.severity),
                t.mitigations,
                t.residual_likelihood,
                t.residual_severity,
                risk_level(t.residual_likelihood, t.residual_severity),
                tuple(found_in),
            )
        )
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(risks, key=lambda r: (order[r.residual_level], order[r.level], r.id))


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
    criteria = _criteria(enabled, answers, catalogue)
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
        risks=tuple(_risks(enabled, answers, catalogue)),
        services=tuple(enabled),
        answers=answers,
        local_processors=local_processors,
        basis=json.loads(json.dumps(basis)),  # as stored: lists, not tuples, so a stored basis compares equal
    )


def changes(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between the basis of an approved screening and this one, in the spec's terms."""
    found: list[str] = []
    before, after = set(previous.get("services", [])), set(current["services"])
    found += [f"service enabled: {s}" for s in sorted(after - before)]
    found += [f"service disabled: {s}" for s in sorted(before - after)]
    old_answers, new_answers = previous.get("answers", {}), current["answers"]
    for name in sorted(set(old_answers) | set(new_answers)):
        if old_answers.get(name) != new_answers.get(name):
            found.append(
                f"answer changed: dpia.screening.{name}: {json.dumps(old_answers.get(name))} -> {json.dumps(new_answers.get(name))}"
            )
    if previous.get("local_processors") != current["local_processors"]:
        found.append("dpia.local_processors changed")
    old_processing = previous.get("processing", {})
    for service_id, processing in current["processing"].items():
        if service_id in old_processing and old_processing[service_id] != processing:
            found.append(f"the national catalogue changed what {service_id} processes")
    return found


# --- the DPO's decision and the record of approvals ----------------------------------------------

APPROVE, REQUEST_CHANGES, REJECT = "Approve", "Request changes", "Reject"
OPTIONS = (APPROVE, REQUEST_CHANGES, REJECT)


@dataclass(frozen=True)
class Decision:
    """The DPO's answer, or an earlier approval that still stands for an unchanged screening."""

    option: str
    comment: str
    responded_by: str
    responded_at: str
    fingerprint: str
    run_id: str
    cites: str = ""  # the run whose approval stands, when the DPO was not asked again

    @property
    def approved(self) -> bool:
        return self.option == APPROVE


def approval_record(force_folder: Any) -> dict[str, Any] | None:
    """The last approved DPIA of a force (`<store>/<force>/dpia-approved.json`), or None."""
    path = force_folder / "dpia-approved.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def compare_with_approval(screening: Screening, force_folder: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """The approval that still stands (None if there is none or the screening changed) and the changes."""
    record = approval_record(force_folder)
    if record is None:
        return None, ["no earlier approved DPIA for this force"]
    if record["fingerprint"] == screening.fingerprint:
        return record, []
    return None, changes(record["basis"], screening.basis) or ["the screening changed"]


def write_documents(
    folder: Any,
    screening: Screening,
    spec: dict[str, Any],
    catalogue: Catalogue,
    run_id: str,
    generated_at: str,
    decision: Decision | None = None,
) -> dict[str, str]:
    """screening.json, dpia-scoping.md and dpia-scoping.html in the run's dpia folder."""
    from .. import reports
    from ..artifacts import write_json

    values = {
        "screening": screening,
        "spec": spec,
        "catalogue": catalogue,
        "decision": decision,
        "run_id": run_id,
        "generated_at": generated_at,
    }
    markdown = reports.render("dpia_scoping.md.j2", **values)
    (folder / "dpia-scoping.md").write_text(markdown, encoding="utf-8")
    (folder / "dpia-scoping.html").write_text(
        reports.markdown_to_html(markdown, f"DPIA scoping: {screening.force_name}"), encoding="utf-8"
    )
    write_json(folder / "screening.json", screening.as_dict())
    return {name: str(folder / name) for name in ("dpia-scoping.md", "dpia-scoping.html", "screening.json")}


def record_decision(run_folder: Any, force_folder: Any, screening: Screening, decision: Decision) -> None:
    """Store the decision with the run's DPIA record; an approval also becomes the force's standing one."""
    from ..artifacts import write_json

    write_json(run_folder / "decision.json", asdict(decision) | {"approved": decision.approved})
    if decision.approved and not decision.cites:
        record = {
            "force": screening.force,
            "fingerprint": screening.fingerprint,
            "basis": screening.basis,
            "decision": asdict(decision),
        }
        force_folder.mkdir(parents=True, exist_ok=True)
        write_json(force_folder / "dpia-approved.json", record)
