"""The DPIA phase: does a force's processing need a full DPIA, why, what are the risks, and the DPO's decision.

    catalogue  the national service catalogue (config/services.yaml): what each service processes, checked
    criteria   the ICO's "always do a DPIA" list and the nine EDPB/WP248 criteria, each with its evidence
    risks      the risk register, seeded from the catalogue on the ICO's scale
    screening  the screening of a force's spec: questions back to the force, criteria met, risks
    decision   the DPO's decision, and the standing approval of an unchanged screening
    scoping    the scoping document (screening.json, dpia-scoping.md and .html)

The names below are the phase's API, as its callers use it (`dpia.screen`, `dpia.Decision`); the catalogue
is its own subject, used by its module (`from soh_onboarding.dpia import catalogue`).
"""

from .criteria import Criterion, Evidence, ServiceProcessing
from .decision import (
    APPROVE,
    DPO_RESPONSE_TIMEOUT,
    OPTIONS,
    REJECT,
    REQUEST_CHANGES,
    Decision,
    approval_record,
    changes,
    compare_with_approval,
    record_decision,
)
from .risks import Risk, risk_level
from .scoping import write_documents
from .screening import Question, Screening, ScreeningQuestions, questions, screen

__all__ = [
    "APPROVE",
    "DPO_RESPONSE_TIMEOUT",
    "OPTIONS",
    "REJECT",
    "REQUEST_CHANGES",
    "Criterion",
    "Decision",
    "Evidence",
    "Question",
    "Risk",
    "Screening",
    "ScreeningQuestions",
    "ServiceProcessing",
    "approval_record",
    "changes",
    "compare_with_approval",
    "questions",
    "record_decision",
    "risk_level",
    "screen",
    "write_documents",
]
