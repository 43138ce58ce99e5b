"""`python -m soh_onboarding …`: every phase runnable alone from a terminal.

Each sub-command imports its phase lazily, so `validate` stays fast and needs only the spec check's
own dependencies (the pre-commit hook installs just those).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import spec


def _validate(args: argparse.Namespace) -> int:
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


def _dpia(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from . import catalogue, dpia

    result = spec.check([Path(args.spec)])
    if not result.valid:
        for error in result.errors:
            print(error.format(), file=sys.stderr)
        return 1
    force = result.specs[0]
    try:
        screening = dpia.screen(force.data, services := catalogue.load())
    except (catalogue.CatalogueError, dpia.ScreeningQuestions) as exc:
        print(exc, file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = dpia.write_documents(
        out, screening, force.data, services, "cli", datetime.now(UTC).isoformat(timespec="seconds")
    )
    if args.json:
        print(json.dumps(screening.as_dict(), indent=2, default=str))
    else:
        verdict = "a full DPIA is required" if screening.full_dpia_required else "a full DPIA is not required"
        print(f"{force.name}: {verdict}")
        for reason in screening.reasons:
            print(f"  - {reason}")
        print(f"  law enforcement processing (DPA 2018 Part 3): {', '.join(screening.part3_services) or 'none'}")
        print(f"  consult the ICO before processing: {'yes' if screening.consult_ico else 'no'}")
        print(f"  documents: {', '.join(paths.values())}")
    return 0


def _airflow_users(args: argparse.Namespace) -> int:
    """Users for Airflow's simple auth manager: the admin, and every approver named in a valid spec.

    Approval tasks are assigned to people by their e-mail address, so each approver signs in with it.
    """
    users = {"admin": "admin"}
    for force in spec.check().specs:
        for role in ("data_protection_officer", "go_live_approver"):
            users.setdefault(force.data["contacts"][role]["email"], "user")
    print(",".join(f"{name}:{role}" for name, role in users.items()))
    return 0


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m soh_onboarding", description="Single Online Home force onboarding."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check force specs; every error as file:line:column: field: message",
        description="Check force specs against the schema and the rules across specs. Exit 0 when all are valid, 1 otherwise.",
    )
    validate.add_argument(
        "paths", nargs="*", metavar="PATH", help="spec files or folders (default: all of onboarding_specs/)"
    )
    validate.add_argument(
        "--json", dest="format", action="store_const", const="json", help='print {"valid": bool, "errors": [...]}'
    )
    validate.add_argument(
        "--github", dest="format", action="store_const", const="github", help="print GitHub Actions annotations"
    )
    validate.set_defaults(func=_validate, format="text")

    screening = commands.add_parser(
        "dpia",
        help="screen a force's processing and write the DPIA scoping document",
        description="Screen the spec against the ICO list and the EDPB/WP248 criteria; write screening.json and "
        "the scoping document (Markdown and HTML) to --out. Exit 1 when the spec is invalid or answers are missing.",
    )
    screening.add_argument("spec", metavar="SPEC", help="the force's spec file")
    screening.add_argument("--out", required=True, metavar="DIR", help="folder for the documents")
    screening.add_argument("--json", action="store_true", help="print the screening as JSON")
    screening.set_defaults(func=_dpia)

    users = commands.add_parser(
        "airflow-users",
        help="print the simple auth manager's users: admin and every approver in the specs",
    )
    users.set_defaults(func=_airflow_users)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
