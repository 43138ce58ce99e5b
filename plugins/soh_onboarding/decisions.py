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
    """'Name (e-mail)' of the person the spec names, by the e-mail address their login is named by.

    FAB's auth manager gives a login's database number as its id and its user name (the e-mail address,
    as access-sync creates it) as its name; the simple auth manager gives the user name as both. Anyone
    the spec does not name is 'name (id)'."""
    names = {
        person["email"].lower(): person["name"] for person in spec_data["contacts"].values() if isinstance(person, dict)
    }
    for login in (str(user.get("name") or ""), str(user.get("id") or "")):
        if login.lower() in names:
            return f"{names[login.lower()]} ({login})"
    user_id = str(user.get("id") or "unknown")
    return f"{user.get('name') or user_id} ({user_id})"


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
