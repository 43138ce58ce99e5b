"""`python -m soh_onboarding …`: every phase runnable alone from a terminal, one module per command.

Each command module registers its own sub-parser (`register`) and imports its phase when it runs, so
`validate` stays fast and needs only the spec check's own dependencies (the pre-commit hook installs just
those). The sandbox's servers are started by `python -m sandbox …`, not from here: the library does not
know the sandbox exists.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import access, audit, charging, dpia, edge, golive, migrate, overrides, provision, reaudit, record, validate

COMMANDS = (validate, dpia, migrate, overrides, golive, reaudit, provision, edge, charging, audit, record, access)
"""In the order `--help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m soh_onboarding", description="Single Online Home force onboarding."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
