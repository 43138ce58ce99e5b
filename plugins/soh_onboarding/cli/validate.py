"""`python -m soh_onboarding validate`: check force specs; every error as file:line:column: field: message.

Check force specs against the schema and the rules across specs, each spec's redirect overrides
(<slug>.redirects.csv beside it: on their own, and against the force's latest passing migration in --store
when there is one) and its accepted known accessibility issues (<slug>.known-issues.yaml: an expired entry
is an error), for people, machines (--json) or GitHub (--github). Exit 0 when all are valid, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .. import project, spec
from ..accessibility import known
from ..migration import overrides
from .common import command


def run(args: argparse.Namespace) -> int:
    named = [Path(p) for p in args.paths] if args.paths else None
    # An overrides file named on its own (a pull request that changes only it) is checked with its spec.
    # So is a known-issues file.
    wanted = [
        overrides.spec_for(p)
        if p.name.endswith(overrides.SUFFIX)
        else known.spec_for(p)
        if p.name.endswith(known.SUFFIX)
        else p
        for p in named or []
    ]
    wanted = [p for p in wanted if p is not None]  # a file without a spec: check_files says so
    result = spec.check(list(dict.fromkeys(wanted)) if named else None)
    folders = [project.specs_dir()] if named is None else [p for p in named if p.is_dir()]
    store = Path(args.store) if args.store else project.DEFAULT_ARTIFACT_STORE
    corrections = overrides.check_files(named, result.specs, store, folders)
    known_files, known_errors = known.check_files(named, result.specs, folders)
    errors = result.errors + corrections.errors + known_errors
    if args.format == "json":
        print(json.dumps({"valid": not errors, "errors": [e.as_dict() for e in errors]}, indent=2))
    elif args.format == "github":
        # Workflow commands: GitHub shows each error on the pull request's diff, at its line.
        for error in errors:
            text = f"{error.field or '(file)'}: {error.message}" + (f" (hint: {error.hint})" if error.hint else "")
            print(f"::error file={error.path},line={error.line},col={error.column}::{_escape(text)}")
    else:
        for error in errors:
            print(error.format())
    if args.format != "json":
        out = sys.stderr if args.format == "github" else sys.stdout
        for note in corrections.notes:
            print(note, file=out)
        print(_summary("spec file(s)", result.files_checked, result.errors), file=out)
        if corrections.files:
            print(_summary("redirect overrides file(s)", corrections.files, corrections.errors), file=out)
        if known_files:
            print(_summary("known accessibility issues file(s)", known_files, known_errors), file=out)
    if result.files_checked == 0:
        print("no spec files found", file=sys.stderr)
    return 0 if not errors and result.files_checked else 1


def _summary(what: str, checked: int, errors: list[Any]) -> str:
    failed = len({error.path for error in errors})
    summary = f"{checked} {what} checked: {checked - failed} valid"
    return summary + (f", {failed} with {len(errors)} error(s)" if failed else "")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def register(commands: Any) -> None:
    validate = command(commands, __doc__, run)
    validate.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="spec files (or their <slug>.redirects.csv or <slug>.known-issues.yaml) or folders (default: all of "
        "onboarding_specs/)",
    )
    validate.add_argument(
        "--json", dest="format", action="store_const", const="json", help='print {"valid": bool, "errors": [...]}'
    )
    validate.add_argument(
        "--github", dest="format", action="store_const", const="github", help="print GitHub Actions annotations"
    )
    validate.add_argument(
        "--store",
        metavar="DIR",
        help="artifact store holding the forces' runs (default: artifacts/): redirect overrides are also checked "
        "against the force's latest passing migration there",
    )
    validate.set_defaults(format="text")
