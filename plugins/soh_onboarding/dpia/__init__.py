"""The DPIA phase: does a force's processing need a full DPIA, why, what are the risks, and the DPO's decision.

    catalogue  the national service catalogue (config/services.yaml): what each service processes, checked
    screening  the screening of a force's spec against the catalogue, and what changed since an approval

The names below are the phase's API, as its callers use it (`dpia.screen`, `dpia.Decision`); the catalogue
is its own subject, used by its module (`from soh_onboarding.dpia import catalogue`).
"""

from .screening import (
    APPROVE,
    OPTIONS,
    REJECT,
    REQUEST_CHANGES,
    Criterion,
    Decision,
    Evidence,
    Question,
    Risk,
    Screening,
    ScreeningQuestions,
    ServiceProcessing,
    approval_record,
    changes,
    compare_with_approval,
    questions,
    record_decision,
    risk_level,
    screen,
    write_documents,
)

__all__ = [
    "APPROVE",
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
