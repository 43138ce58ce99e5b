"""The risk register: seeded from the catalogue on the ICO's scale (likelihood remote / possible / probable
x severity minimal / significant / severe) with the standard mitigations; a residual high risk means the
ICO must be consulted before processing (UK GDPR art 36).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalogue import Catalogue
from .criteria import ServiceProcessing

LIKELIHOOD = {"remote": 1, "possible": 2, "probable": 3}
SEVERITY = {"minimal": 1, "significant": 2, "severe": 3}


def risk_level(likelihood: str, severity: str) -> str:
    """ICO matrix: the product of the two scales, 1-2 low, 3-4 medium, 6-9 high."""
    score = LIKELIHOOD[likelihood] * SEVERITY[severity]
    return "high" if score >= 6 else "medium" if score >= 3 else "low"


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


def risk_register(enabled: list[ServiceProcessing], answers: dict[str, Any], catalogue: Catalogue) -> list[Risk]:
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
