"""`python -m soh_onboarding airflow-users`: print the simple auth manager's users: admin and every approver in the specs.

The list is what SIMPLE_AUTH_MANAGER_USERS takes (name:role, comma-separated); bin/run sets it at each start.
"""

from __future__ import annotations

import argparse
from typing import Any

from .. import spec
from .common import command


def run(args: argparse.Namespace) -> int:
    """Users for Airflow's simple auth manager: the admin, and every approver named in a valid spec.

    Approval tasks are assigned to people by their e-mail address, so each approver signs in with it.
    """
    users = {"admin": "admin"}
    for force in spec.check().specs:
        for role in ("data_protection_officer", "go_live_approver"):
            users.setdefault(force.data["contacts"][role]["email"], "user")
    print(",".join(f"{name}:{role}" for name, role in users.items()))
    return 0


def register(commands: Any) -> None:
    command(commands, __doc__, run)
