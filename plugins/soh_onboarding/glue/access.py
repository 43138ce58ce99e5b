"""The access plan (access.py) applied to Airflow's FAB auth manager, and the one rule every door asks.

`OnboardingFabAuthManager` is Airflow's FAB auth manager ([core] auth_manager) with one change, through
the method Airflow provides for it: an approval step assigned to a person by e-mail (HITL
`assigned_users`, as the DAG names the spec's DPO and go-live approver) may be answered by the login of
that name, and by no one else: not the admin, not the national team, unless the spec names them.
FAB's own rule stays: the user must also have the edit permission on that DAG (their force's
approvers role).

`sync` creates and updates the roles and the logins from the plan: idempotent, it says what it changed,
and it only ever disables users it created itself (they carry the role access.MANAGED). `may_read` is
the rule the plugin's pages apply: the auth manager's permission to read the force's DAG.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager

from .. import access


class OnboardingFabAuthManager(FabAuthManager):
    """FAB's auth manager; an approval assigned by e-mail is answered by the login of that name only."""

    def is_authorized_hitl_task(self, *, assigned_users: set[str], user: Any) -> bool:
        # FAB's user ids are database numbers, unknown when the DAG is parsed; the specs name people by
        # e-mail, which is each login's user name (the sync creates them so). Airflow checks the DAG's
        # edit permission as well before it asks this.
        username = (getattr(user, "username", None) or "").strip().lower()
        return bool(username) and username in {assigned.strip().lower() for assigned in assigned_users}


def in_use() -> bool:
    """Airflow runs FAB's auth manager (ours or FAB's own): the roles and logins of the sync mean something."""
    from airflow.configuration import conf

    return "FabAuthManager" in conf.get("core", "auth_manager")


def may_read(user: Any, dag_id: str) -> bool:
    """The one rule of the plugin's pages: may this user read this DAG (runs, logs, its force's files)?"""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return get_auth_manager().is_authorized_dag(method="GET", details=DagDetails(id=dag_id), user=user)


@dataclass
class SyncReport:
    """What a sync changed, one line each; `passwords` holds the new logins' first passwords."""

    changes: list[str] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)


def new_password() -> str:
    """A login's first password, or bin/run's generated admin password."""
    return secrets.token_urlsafe(12)


def _national_permissions(sm: Any) -> tuple[tuple[str, str], ...]:
    """The national team's permissions: those of FAB's "User" role (every DAG: read, trigger, clear)."""
    role = sm.find_role("User")
    return tuple(sorted((perm.action.name, perm.resource.name) for perm in (role.permissions if role else [])))


def _sync_role(sm: Any, name: str, wanted: set[tuple[str, str]], report: SyncReport) -> Any:
    """The role with exactly `wanted` among its non-DAG permissions (DAG-level ones follow access_control)."""
    role = sm.find_role(name)
    if role is None:
        role = sm.add_role(name)
        report.changes.append(f"role created: {name}")
    have = {
        (perm.action.name, perm.resource.name): perm
        for perm in role.permissions
        if not perm.resource.name.startswith(("DAG:", "DAG Run:"))
    }
    for action, resource in sorted(wanted - set(have)):
        sm.add_permission_to_role(role, sm.get_permission(action, resource) or sm.create_permission(action, resource))
        report.changes.append(f"role {name}: + {action} on {resource}")
    for key in sorted(set(have) - wanted):
        sm.remove_permission_from_role(role, have[key])
        report.changes.append(f"role {name}: - {key[0]} on {key[1]}")
    return role


def sync(
    plan: access.Plan,
    *,
    admin_password: str | None = None,
    known_passwords: dict[str, str] | None = None,
) -> SyncReport:
    """Make FAB's roles and users what `plan` says. Never deletes a user; disables only the ones it made.

    `admin_password` creates (or resets) the `admin` login with FAB's Admin role. A new person's first
    password is `known_passwords[username]` when given (bin/run keeps them in one local file), else a
    new random one; the report lists them, and nothing else prints them.
    """
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    report = SyncReport()
    known = known_passwords or {}
    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        wanted_roles = dict(plan.roles) | {access.NATIONAL_TEAM: _national_permissions(sm)}
        roles = {name: _sync_role(sm, name, set(perms), report) for name, perms in wanted_roles.items()}
        for dag_id, control in plan.dags.items():
            sm.sync_perm_for_dag(dag_id, control)
        if admin_password:
            _sync_admin(sm, admin_password, report)
        managed = roles[access.MANAGED]
        for person in plan.people.values():
            _sync_person(sm, person, roles, managed, known, report)
        for user in sm.get_all_users():
            name = (user.username or "").lower()
            if managed in user.roles and name not in plan.people and (user.active or len(user.roles) > 1):
                user.roles = [managed]
                user.active = False
                sm.update_user(user)
                report.changes.append(f"user disabled (no longer named in a spec): {user.username}")
    return report


def _sync_admin(sm: Any, password: str, report: SyncReport) -> None:
    """The admin login with FAB's Admin role; the secret given at this start is its password."""
    admin = sm.find_user(username=access.ADMIN)
    if admin is None:
        sm.add_user(access.ADMIN, "Admin", "-", "admin@localhost", sm.find_role("Admin"), password)
        report.changes.append("user created: admin (Admin)")
    else:
        sm.reset_password(admin.id, password)


def _sync_person(
    sm: Any,
    person: access.Person,
    roles: dict[str, Any],
    managed: Any,
    known: dict[str, str],
    report: SyncReport,
) -> None:
    """The person's login with exactly the plan's onboarding roles; roles given by hand are left alone."""
    wanted = [roles[name] for name in sorted(person.roles)]
    user = sm.find_user(username=person.username)
    if user is None:
        password = known.get(person.username) or new_password()
        sm.add_user(person.username, person.first_name, person.last_name, person.email, [*wanted, managed], password)
        report.passwords[person.username] = password
        report.changes.append(f"user created: {person.username} ({', '.join(sorted(person.roles))})")
        return
    ours = {name for name in roles if name != access.MANAGED}
    others = [role for role in user.roles if role.name not in ours and not role.name.startswith("Force ")]
    keep = others + wanted
    before, after = {role.name for role in user.roles}, {role.name for role in keep}
    revive = access.MANAGED in after and not user.active
    if before != after or revive:
        user.roles = keep
        user.active = user.active or revive
        sm.update_user(user)
        added, removed = sorted(after - before), sorted(before - after)
        report.changes.append(
            f"user {person.username}: roles + {', '.join(added) or 'none'}, - {', '.join(removed) or 'none'}"
            + (" (enabled again)" if revive else "")
        )


def read_passwords(path: Path) -> dict[str, str]:
    """bin/run's local passwords file ({"user": "password"}), or nothing when there is none yet."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def write_passwords(path: Path, passwords: dict[str, str]) -> None:
    """The local passwords, readable by this user only (as the simple auth manager's file was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(passwords, out, indent=2, sort_keys=True)
