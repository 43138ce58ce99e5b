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


def _checked_spec(path: str) -> spec.ForceSpec | None:
    """The spec a phase command runs on, or None after printing every error (the command exits 1)."""
    result = spec.check([Path(path)])
    for error in result.errors:
        print(error.format(), file=sys.stderr)
    return result.specs[0] if result.valid else None


def _dpia(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from . import catalogue, dpia

    force = _checked_spec(args.spec)
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


def _migrate(args: argparse.Namespace) -> int:
    """Crawl, extract, sanitise and map a force's legacy site into --out; resumable."""
    from dataclasses import asdict

    from .migration import pipeline
    from .migration.traffic import TrafficDataError

    force = _checked_spec(args.spec)
    if force is None:
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = (lambda line: print(line, file=sys.stderr)) if args.json else print
    try:
        summary = pipeline.migrate(force.data, out, max_pages=args.max_pages, progress=progress)
    except TrafficDataError as error:  # the spec's traffic CSV: which line, and what to fix
        print(f"{args.spec}: legacy_site.traffic_data: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    return 0 if summary.quality_passed else 1


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


def _charging(args: argparse.Namespace) -> int:
    """Compute the charging model's scenarios into --out (or only check the model with --check)."""
    from . import chargingmodel, chargingrun

    try:
        if args.check:
            checked = spec.check([Path(args.specs)] if args.specs else None)
            chargingmodel.load(Path(args.config), chargingmodel.figures_from_specs(checked.specs))
            print(f"{args.config}: valid")
            return 0
        if not args.out:
            print("charging: --out DIR is required (or --check)", file=sys.stderr)
            return 2
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        outcome = chargingrun.run(
            out,
            args.scenario,
            store=Path(args.store),
            specs_dir=Path(args.specs) if args.specs else None,
            config=Path(args.config),
            check_quality=not args.no_checks,
        )
    except chargingmodel.ChargingModelError as error:
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


def _legacy_site(args: argparse.Namespace) -> int:
    """Serve the sandbox legacy force website in the foreground until Ctrl-C.

    The only place the library touches the sandbox: imported here, lazily, from the project's root.
    """
    from . import project

    if str(project.ROOT) not in sys.path:
        sys.path.insert(0, str(project.ROOT))
    from sandbox.legacy_site import LegacySite, serve

    try:
        site = LegacySite(
            args.pages, args.seed, faults=not args.no_faults, fault_rate=args.fault_rate, slow_ms=args.slow_ms
        )
    except ValueError as error:
        print(f"sandbox legacy-site: {error}", file=sys.stderr)
        return 2
    try:
        serve(site, args.port, verbose=not args.quiet)
    except OSError as error:
        print(f"sandbox legacy-site: cannot serve on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def _pounds(amount: str) -> str:
    from decimal import Decimal

    return f"£{Decimal(amount):,.2f}"


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

    migrate = commands.add_parser(
        "migrate",
        help="migrate a force's legacy site: crawl, extract, sanitise, map URLs",
        description="Crawl the spec's legacy site (resuming from --out if a crawl is there), extract and sanitise "
        "each page, map every old URL, and write inventory.csv, redirects.csv, content.jsonl, the assets and the "
        "migration report to --out.",
    )
    migrate.add_argument("spec", metavar="SPEC", help="the force's spec file")
    migrate.add_argument("--out", required=True, metavar="DIR", help="folder for the migration (and its checkpoint)")
    migrate.add_argument("--max-pages", type=int, metavar="N", help="stop crawling after N pages (a trial run)")
    migrate.add_argument("--json", action="store_true", help="print the summary as JSON (progress goes to stderr)")
    migrate.set_defaults(func=_migrate)

    users = commands.add_parser(
        "airflow-users",
        help="print the simple auth manager's users: admin and every approver in the specs",
    )
    users.set_defaults(func=_airflow_users)

    from . import project  # paths only: keeps `validate` light

    charging = commands.add_parser(
        "charging",
        help="compute the charging model: who pays what, per year, per scenario",
        description="Compute the charging model's scenarios (config/charging-model.yaml) into a folder: charges.csv, "
        "summary.json, charts and report.html, checked by the Great Expectations suite. Exit 0 when the model is "
        "valid and the checks pass, 1 otherwise.",
    )
    charging.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="a scenario of the model (repeatable; default: all), e.g. base-case, live",
    )
    charging.add_argument("--out", metavar="DIR", help="folder for the outputs (created if need be)")
    charging.add_argument("--json", action="store_true", help="print the summary as JSON")
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
    charging.set_defaults(func=_charging)

    sandbox = commands.add_parser(
        "sandbox", help="local stand-ins for the outside world (a legacy force website)"
    ).add_subparsers(dest="sandbox", required=True, metavar="SITE")
    legacy = sandbox.add_parser(
        "legacy-site",
        help="serve a fictional old force website, with the faults real ones have, on 127.0.0.1",
        description="Serve the Demoshire Police legacy website (the demo spec's legacy_site) on 127.0.0.1 until "
        "Ctrl-C: SharePoint-style .aspx pages, deterministic from --seed, with broken links, redirects, duplicate "
        "URLs, windows-1252 pages, an enormous page, an endless calendar, slow pages and intermittent 500s.",
    )
    legacy.add_argument("--pages", type=int, default=500, metavar="N", help="content pages, 50 to 50000 (default 500)")
    legacy.add_argument("--port", type=int, default=8081, metavar="P", help="port on 127.0.0.1 (default 8081)")
    legacy.add_argument("--seed", type=int, default=0, metavar="S", help="same seed, same site (default 0)")
    legacy.add_argument("--no-faults", action="store_true", help="a clean site, for benchmarks: no faults at all")
    legacy.add_argument(
        "--fault-rate", type=float, default=0.05, metavar="R", help="share of URLs whose first request answers 500"
    )
    legacy.add_argument("--slow-ms", type=int, default=1500, metavar="MS", help="delay of slow pages (default 1500)")
    legacy.add_argument("--quiet", action="store_true", help="do not log each request")
    legacy.set_defaults(func=_legacy_site)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
