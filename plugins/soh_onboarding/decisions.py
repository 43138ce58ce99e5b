"""A person's decision on an approval task (Airflow's human-in-the-loop), as the phases record it.

The DPIA (the DPO's sign-off) and the go-live (the approver's decision) each ask a person to choose an
option, with a comment. What their decisions share is here: who chose what, when and why, whether that
approves, and how the answer the task gives becomes a decision. Each phase's Decision adds what it
records besides (dpia.decision, golive.decision); neither phase imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self


def person(spec_data: dict[str, Any], user: dict[str, Any]) -> str:
    """'Name (user id)': the spec names the people its approvals are assigned to, by e-mail address."""
    user_id = str(user.get("id") or "unknown")
    names = {person["email"]: person["name"] for person in spec_data["contacts"].values() if isinstance(person, dict)}
    name = names.get(user_id) or user.get("name") or user_id
    return f"{name} ({user_id})"


@dataclass(frozen=True)
class HumanDecision:
    """Who chose which option, when, and why."""

    APPROVING: ClassVar[str]
    """The option that approves (each phase names its own)."""

    option: str
    comment: str
    responded_by: str
    responded_at: str

    @property
    def approved(self) -> bool:
        return self.option == self.APPROVING

    @classmethod
    def from_answer(cls, answer: dict[str, Any], spec_data: dict[str, Any], **recorded: Any) -> Self:
        """The decision of an answered approval task (what the task returns: chosen_options, params_input,
        responded_by_user, responded_at), with what the phase records besides (`recorded`)."""
        user = answer.get("responded_by_user") or {}
        return cls(
            option=answer["chosen_options"][0],
            comment=(answer.get("params_input") or {}).get("comment", "") or "",
            responded_by=person(spec_data, user),
            responded_at=str(answer.get("responded_at", "")),
            **recorded,
        )
