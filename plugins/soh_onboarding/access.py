"""Who may see and do what: derived from the specs, so that a spec change (a new DPO) moves the rights.

Each force has two roles: its people (the digital lead, the DPO, the go-live approver) read its DAG, runs,
logs and artifacts and nothing of any other force; its approvers (the DPO and the go-live approver) may
also answer its approval steps, and only those assigned to them by name (HITL `assigned_users`). The
National Live Service team reads, triggers and clears every force's runs and answers no approval that
does not name them.

This module only decides. Airflow's FAB auth manager enforces it (glue/access.py applies the plan to its
roles and users; the DAG carries `access_control`), and every door of this project asks the auth manager,
never this module, whether a user may read a force: the DAG pages, the REST API, the dashboard, the
artifact and record URLs. E-mails go only to the people this plan gives the force's role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .project import ROOT

NATIONAL_TEAM = "National Live Service"
"""The national team's role: the FAB "User" role's permissions (every DAG: read, trigger, clear)."""
MANAGED = "Onboarding sync"
"""A role with no permission, given to every user the sync creates: the only users it may ever disable."""
ADMIN = "admin"
"""The administrator's user name (FAB's Admin role): the deployment's secret or bin/run's generated password."""

CONTACTS = ("digital_lead", "data_protection_officer", "go_live_approver")
"""The spec's people who get a login to their force's onboarding."""
APPROVERS = ("data_protection_officer", "go_live_approver")
"""... of whom these answer its approval steps (the DPIA sign-off, the go-live decision)."""

ROLLBACK_DAG = "rollback_force"
"""The platform DAG whose decision a force's approvers answer (dags/rollback.py)."""
READ_ONLY = {"DAGs": {"can_read"}, "DAG Runs": {"can_read"}}
"""A force's role on its own DAG (the DAG's `access_control`)."""
ANSWER = {"DAGs": {"can_read", "can_edit"}, "DAG Runs": {"can_read"}}
"""Its approvers' role on it: answering a HITL task is an edit of the DAG's task (FAB's rule)."""

FORCE_PERMISSIONS = (
    ("can_read", "DAG Runs"),
    ("can_read", "DAG Code"),
    ("can_read", "DAG Versions"),
    ("can_read", "DAG Warnings"),
    ("can_read", "Task Instances"),
    ("can_read", "Task Logs"),
    ("can_read", "XComs"),
    ("can_read", "HITL Detail"),
    ("can_read", "Website"),
    ("can_read", "My Password"),
    ("can_edit", "My Password"),
    ("can_read", "My Profile"),
    ("can_edit", "My Profile"),
    ("menu_access", "Browse"),
    ("menu_access", "DAGs"),
    ("menu_access", "DAG Runs"),
    ("menu_access", "Task Instances"),
    ("menu_access", "Docs"),
    ("menu_access", "Documentation"),
)
"""What a force's role may do beside its DAG. FAB checks these AND the DAG's own permission, so "Task Logs"
here opens the logs of the force's DAG only. Left out on purpose: reading every DAG ("DAGs"), import errors
(they quote other forces' spec files), pools, jobs, assets and the cluster's activity."""
APPROVER_PERMISSIONS = (*FORCE_PERMISSIONS, ("can_edit", "HITL Detail"))
"""... and an approver's: answer a HITL task (of their force's DAG only, and only one that names them)."""


@dataclass(frozen=True)
class Person:
    """A login: its user name is the e-mail address the specs name the person by (HITL assigns by it)."""

    username: str
    first_name: str
    last_name: str
    roles: frozenset[str]

    @property
    def email(self) -> str:
        return self.username


@dataclass
class Plan:
    """The roles with their permissions, and every person with their roles, as the specs say today.

    The national team's role is not among `roles`: its permissions are FAB's "User" role's, read where
    the plan is applied (glue/access.py), so they follow FAB's upgrades."""

    roles: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    dags: dict[str, dict[str, dict[str, set[str]]]] = field(default_factory=dict)
    """Each force's DAG id and its access_control."""

    def add(self, email: str, name: str, roles: Iterable[str]) -> None:
        username = email.strip().lower()
        first, _, last = name.strip().partition(" ")
        known = self.people.get(username)
        if known:
            self.people[username] = Person(username, known.first_name, known.last_name, known.roles | set(roles))
        else:
            self.people[username] = Person(username, first or username, last or "-", frozenset(roles))


def force_role(slug: str) -> str:
    return f"Force {slug}"


def approvers_role(slug: str) -> str:
    return f"Force {slug} approvers"


def access_control(slug: str) -> dict[str, dict[str, set[str]]]:
    """The force's DAG's `access_control`: its people read it, its approvers may answer its approvals."""
    return {force_role(slug): READ_ONLY, approvers_role(slug): ANSWER}


def people_of(spec_data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(e-mail, name, approver?) of each person the spec names."""
    contacts = spec_data.get("contacts") or {}
    return [
        (contacts[key]["email"], contacts[key]["name"], key in APPROVERS)
        for key in CONTACTS
        if (contacts.get(key) or {}).get("email")
    ]


def national_team(path: Path | None = None) -> list[dict[str, str]]:
    """The national team's people from config/access.yaml (`national_team:` a list of name and email)."""
    path = path or ROOT / "config" / "access.yaml"
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    team = data.get("national_team") or []
    if not isinstance(team, list) or not all(isinstance(p, dict) and p.get("email") and p.get("name") for p in team):
        raise ValueError(f"{path}: national_team must be a list of entries with a name and an email")
    return team


def plan(specs: Iterable[Any], team: Iterable[dict[str, str]] = ()) -> Plan:
    """What the specs (valid ones, with `.slug`, `.dag_id` and `.data`) and the national team ask for."""
    result = Plan(roles={MANAGED: (("can_read", "Website"),)})  # FAB adds Website to every role
    for force in specs:
        reader, approver = force_role(force.slug), approvers_role(force.slug)
        result.roles[reader] = FORCE_PERMISSIONS
        result.roles[approver] = APPROVER_PERMISSIONS
        result.dags[force.dag_id] = access_control(force.slug)
        for email, name, approves in people_of(force.data):
            result.add(email, name, [reader, approver] if approves else [reader])
        # rollback_force serves every force: its decision is assigned at run time to the force's go-live
        # approver (and the national team), who must be able to answer it there
        result.dags.setdefault(ROLLBACK_DAG, {})[approver] = ANSWER
    for person in team:
        result.add(person["email"], person["name"], [NATIONAL_TEAM])
    return result
