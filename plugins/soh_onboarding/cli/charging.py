"""`python -m soh_onboarding charging`: compute the charging model: who pays what, per year, per scenario.

Compute the charging model's scenarios (config/charging-model.yaml) into a folder: charges.csv, summary.json, charts
and report.html, checked by the Great Expectations suite. Exit 0 when the model is valid and the checks pass, 1
otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .. import project, spec
from .common import command


def run(args: argparse.Namespace) -> int:
    """Compute the charging model's scenarios into --out (or only check the model with --check)."""
    from ..charging import model
    from ..charging import run as charging_run

    try:
        if args.check:
            checked = spec.check([Path(args.specs)] if args.specs else None)
            model.load(Path(args.config), model.figures_from_specs(checked.specs))
            print(f"{args.config}: valid")
            return 0
        if not args.out:
            print("charging: --out DIR is required (or --check)", file=sys.stderr)
            return 2
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        outcome = charging_run.run(
            out,
            args.scenario,
            store=Path(args.store),
            specs_dir=Path(args.specs) if args.specs else None,
            config=Path(args.config),
            check_quality=not args.no_checks,
        )
    except model.ChargingModelError as error:
        if args.json:
            print(json.dumps({"ok": False, "errors": [e.as_dict() for e in error.errors]}, indent=2))
        else:
            print(error.listing(), file=sys.stderr)
            print(f"the charging model cannot be computed: {len(error.errors)} error(s)", file=sys.stderr)
        return 1
    quality = outcome.quality
    if args.json:
        document = {"ok": outcome.ok, "out": str(out), "quality": quality.as_dict() if quality else None}
        print(json.dumps({**document, **outcome.summary}, indent=2, ensure_ascii=False))
    else:
        host = outcome.summary["model"]["host_force"]
        for scenario_id in outcome.scenarios:
            scenario = outcome.summary["scenarios"][scenario_id]
            print(f"{scenario['title']}: {scenario['forces']} forces, apportioned {scenario['method']}")
            print(f"  {'year':8} {'cost':>15} {'funding':>15} {'charged':>15} {'gap':>15}  {host}")
            for year in scenario["years"]:
                amounts = (year[k]["total"] for k in ("cost", "funding_total", "charged", "gap"))
                cells = " ".join(f"{_pounds(a):>15}" for a in amounts)
                capped = " (cap)" if year["host"]["capped"] else ""
                print(f"  {year['financial_year']:8} {cells}  {_pounds(year['host']['total'])}{capped}")
        if quality is not None:
            print(f"checks: {quality.passed} of {len(quality.checks)} passed" if quality.success else quality.explain())
        print(f"outputs in {out}: charges.csv, summary.json, report.html, charts")
    return 0 if outcome.ok else 1


def _pounds(amount: str) -> str:
    from decimal import Decimal

    return f"£{Decimal(amount):,.2f}"


def register(commands: Any) -> None:
    charging = command(commands, __doc__, run, json="print the summary as JSON")
    charging.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="a scenario of the model (repeatable; default: all), e.g. base-case, live",
    )
    charging.add_argument("--out", metavar="DIR", help="folder for the outputs (created if need be)")
    charging.add_argument("--check", action="store_true", help="only check the model file; every error located")
    charging.add_argument("--config", default=str(project.CONFIG_DIR / "charging-model.yaml"), help="the model file")
    charging.add_argument(
        "--store",
        default=str(project.DEFAULT_ARTIFACT_STORE),
        metavar="DIR",
        help="artifact store holding platform/live-forces.json, for the live-register scenario (default: artifacts/)",
    )
    charging.add_argument("--specs", metavar="DIR", help="folder of force specs (default: onboarding_specs/)")
    charging.add_argument("--no-checks", action="store_true", help="skip the Great Expectations checks (faster)")
