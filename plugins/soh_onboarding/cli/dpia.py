"""`python -m soh_onboarding dpia`: screen a force's processing and write the DPIA scoping document.

Screen the spec against the ICO list and the EDPB/WP248 criteria; write screening.json and the scoping document
(Markdown and HTML) to --out. Exit 1 when the spec is invalid or answers are missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import checked_spec, command


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from .. import dpia
    from ..dpia import catalogue

    force = checked_spec(args.spec)
    if force is None:
        return 1
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


def register(commands: Any) -> None:
    screening = command(commands, __doc__, run, spec="the force's spec file", json="print the screening as JSON")
    screening.add_argument("--out", required=True, metavar="DIR", help="folder for the documents")
