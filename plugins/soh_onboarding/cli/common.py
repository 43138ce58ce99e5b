"""What the commands share: the spec a command runs on, and where progress lines go."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import spec


def checked_spec(path: str) -> spec.ForceSpec | None:
    """The spec a phase command runs on, or None after printing every error (the command exits 1)."""
    result = spec.check([Path(path)])
    for error in result.errors:
        print(error.format(), file=sys.stderr)
    return result.specs[0] if result.valid else None


def read_overrides(force: spec.ForceSpec) -> Any:
    """The force's redirect overrides beside its spec (None: it has none), or False after printing every
    error of the file (the command exits 1, and nothing of the file is applied)."""
    from ..migration import overrides

    found = overrides.for_spec(force.path, force.data)
    if found is not None and found.errors:
        for error in found.errors:
            print(error.format(), file=sys.stderr)
        return False
    return found


def progress_printer(as_json: bool) -> Callable[[str], None]:
    """Progress lines on stdout, or on stderr when stdout carries the command's JSON."""
    return (lambda line: print(line, file=sys.stderr)) if as_json else print


def command(
    commands: Any, doc: str | None, run: Callable[[argparse.Namespace], int], *, spec: str = "", json: str = ""
) -> argparse.ArgumentParser:
    """A command's sub-parser, run by `run`, described by its module's docstring `doc`.

    The docstring's first line, "`python -m soh_onboarding NAME`: HELP.", gives the command's name and its
    one-line help; the paragraphs after it are the description `NAME --help` prints. So what a command does
    is written once, where the next engineer reads it first. The force's spec file comes first when `spec`
    says what it is, and a --json flag when `json` says what it prints.
    """
    first, _, rest = (doc or "").strip().partition("\n")
    heading = re.fullmatch(r"`python -m soh_onboarding ([a-z-]+)`: (.+?)\.?", first.strip())
    if heading is None:
        raise ValueError(
            f"a command module's docstring must start with '`python -m soh_onboarding NAME`: HELP': {first!r}"
        )
    name, help = heading.groups()
    description = " ".join(rest.split()) or None
    parser = commands.add_parser(name, help=help, description=description)
    if spec:
        parser.add_argument("spec", metavar="SPEC", help=spec)
    if json:
        parser.add_argument("--json", action="store_true", help=json)
    parser.set_defaults(func=run)
    return parser
