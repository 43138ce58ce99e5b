"""`python -m soh_onboarding validate`: check force specs; every error as file:line:column: field: message.

Check force specs against the schema and the rules across specs, for people, machines (--json) or GitHub
(--github). Exit 0 when all are valid, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .. import spec
from .common import command


def run(args: argparse.Namespace) -> int:
    result = spec.check([Path(p) for p in args.paths] if args.paths else None)
    if args.format == "json":
        print(json.dumps({"valid": result.valid, "errors": [e.as_dict() for e in result.errors]}, indent=2))
    elif args.format == "github":
        # Workflow commands: GitHub shows each error on the pull request's diff, at its line.
        for error in result.errors:
            text = f"{error.field or '(file)'}: {error.message}" + (f" (hint: {error.hint})" if error.hint else "")
            print(f"::error file={error.path},line={error.line},col={error.column}::{_escape(text)}")
    else:
        for error in result.errors:
            print(error.format())
    if args.format != "json":
        failed = len(result.errors_by_file())
        summary = f"{result.files_checked} spec file(s) checked: {result.files_checked - failed} valid"
        if failed:
            summary += f", {failed} with {len(result.errors)} error(s)"
        print(summary, file=sys.stderr if args.format == "github" else sys.stdout)
    if result.files_checked == 0:
        print("no spec files found", file=sys.stderr)
    return 0 if result.valid and result.files_checked else 1


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def register(commands: Any) -> None:
    validate = command(commands, __doc__, run)
    validate.add_argument(
        "paths", nargs="*", metavar="PATH", help="spec files or folders (default: all of onboarding_specs/)"
    )
    validate.add_argument(
        "--json", dest="format", action="store_const", const="json", help='print {"valid": bool, "errors": [...]}'
    )
    validate.add_argument(
        "--github", dest="format", action="store_const", const="github", help="print GitHub Actions annotations"
    )
    validate.set_defaults(format="text")
