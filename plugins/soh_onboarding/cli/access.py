"""`python -m soh_onboarding access-sync`: create and update the Airflow roles and logins the specs name.

Per force, a role for its people (digital lead, DPO, go-live approver: read its DAG, runs, logs and files) and one
for its approvers (answer its approval steps); the National Live Service team (config/access.yaml) reads, triggers
and clears every force. Run at every start by bin/run and at every deploy; idempotent, it prints what it changed. It
never deletes a user, and disables only logins it created that no spec names any more. Needs Airflow's database and
the FAB auth manager (AIRFLOW__CORE__AUTH_MANAGER). Exit 0 when done, 2 on bad input.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from .. import access, spec
from .common import command


def run(args: argparse.Namespace) -> int:
    # FAB's start-up logs and deprecation warnings would drown the lines that say what changed.
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from ..glue import access as fab

    if not fab.in_use():
        print(
            "access-sync: Airflow's auth manager is not FAB's; set AIRFLOW__CORE__AUTH_MANAGER="
            "soh_onboarding.glue.access.OnboardingFabAuthManager (bin/run and the deployment do)",
            file=sys.stderr,
        )
        return 2
    admin_password = None
    if args.admin_password_env:
        admin_password = os.environ.get(args.admin_password_env, "")
        if len(admin_password) < 12:
            print(
                f"access-sync: the admin's password must be given in ${args.admin_password_env}, 12 characters "
                "or more: there is no default password",
                file=sys.stderr,
            )
            return 2
    try:
        team = access.national_team(args.config)
    except ValueError as error:
        print(f"access-sync: {error}", file=sys.stderr)
        return 2
    checked = spec.check()
    if checked.errors:
        print(
            f"access-sync: {len(checked.errors)} spec error(s): those forces get no role (see validate)",
            file=sys.stderr,
        )
    known = fab.read_passwords(args.passwords) if args.passwords else {}
    if admin_password is None and args.passwords:
        admin_password = known.get(access.ADMIN) or fab.new_password()
        known[access.ADMIN] = admin_password
    report = fab.sync(access.plan(checked.specs, team), admin_password=admin_password, known_passwords=known)
    for line in report.changes:
        print(line)
    if args.passwords:
        fab.write_passwords(args.passwords, known | report.passwords)
        if report.passwords:
            print(f"first passwords of {len(report.passwords)} new login(s) kept in {args.passwords}")
    elif report.passwords:
        print("first passwords of the new logins (give each to its person; shown once):")
        for username, password in sorted(report.passwords.items()):
            print(f"  {username}: {password}")
    if not report.changes:
        print(f"access: nothing to change ({len(checked.specs)} force(s), {len(team)} in the national team)")
    return 0


def register(commands: Any) -> None:
    sync = command(commands, __doc__, run)
    sync.add_argument(
        "--admin-password-env",
        metavar="NAME",
        help="create or reset the admin login with the password in this environment variable (the deployment's secret)",
    )
    sync.add_argument(
        "--passwords",
        type=Path,
        metavar="FILE",
        help="keep the local logins' passwords here, readable by you only, and reuse them (bin/run)",
    )
    sync.add_argument(
        "--config", type=Path, metavar="FILE", help="the national team's people (default: config/access.yaml)"
    )
