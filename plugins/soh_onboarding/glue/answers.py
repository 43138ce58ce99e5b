"""A person's answer to an approval task (Airflow's human-in-the-loop operator), as the phases record it.

The DPO's sign-off and the go-live decision are both HITLOperator tasks; their result (the task's XCom)
holds the option chosen, the form's comment, and who answered when. The phases' decisions take those as
plain values, with the person named as the spec names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    """The option a person chose, their comment, and who they are ('Name (user id)') and when they answered."""

    option: str
    comment: str
    responded_by: str
    responded_at: str

    @classmethod
    def of(cls, answer: dict[str, Any], spec_data: dict[str, Any]) -> Answer:
        """From a HITL task's result, naming the person by the spec's contacts (they are assigned by e-mail)."""
        return cls(
            option=answer["chosen_options"][0],
            comment=(answer.get("params_input") or {}).get("comment", "") or "",
            responded_by=person(spec_data, answer.get("responded_by_user") or {}),
            responded_at=str(answer.get("responded_at", "")),
        )


def person(spec_data: dict[str, Any], user: dict[str, Any]) -> str:
    """'Name (user id)': the spec names the people its approvals are assigned to, by e-mail address."""
    user_id = str(user.get("id") or "unknown")
    names = {person["email"]: person["name"] for person in spec_data["contacts"].values() if isinstance(person, dict)}
    name = names.get(user_id) or user.get("name") or user_id
    return f"{name} ({user_id})"
