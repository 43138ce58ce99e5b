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

    from . import dpia
    from .dpia import catalogue

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

    from . import project
    from .migration import pipeline
    from .migration.traffic import TrafficDataError

    force = _checked_spec(args.spec)
    if force is None:
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = (lambda line: print(line, file=sys.stderr)) if args.json else print
    # Read before this run replaces --out's summary.json: the page count a re-crawl is compared with.
    previous = pipeline.previous_migration(Path(args.store or project.DEFAULT_ARTIFACT_STORE), force.slug, out)
    try:
        summary = pipeline.migrate(force.data, out, max_pages=args.max_pages, previous=previous, progress=progress)
    except TrafficDataError as error:  # the spec's traffic CSV: which line, and what to fix
        print(f"{args.spec}: legacy_site.traffic_data: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    if not summary.quality_passed:  # with --json the checks' lines are on stderr already (progress)
        why = "" if args.json else f"\n{summary.quality}"
        print(f"migrate: FAILED (report: {out / 'migration-report.html'}){why}", file=sys.stderr)
        return 1
    return 0


def _golive_check(args: argparse.Namespace) -> int:
    """Run every go-live check for a force; write the checklist; exit 0 only when nothing failed."""
    from . import project
    from .artifacts import force_folder
    from .golive import checks, settings

    force = _checked_spec(args.spec)
    if force is None:
        return 1
    try:
        configured = settings.load()
    except settings.SettingsError as error:
        print(error, file=sys.stderr)
        return 1
    run = Path(args.run) if args.run else None
    if run is None:  # the force's latest run in the store, if any
        runs = [p for p in force_folder(Path(args.store or project.DEFAULT_ARTIFACT_STORE), force.slug).glob("*/spec")]
        run = max(runs, key=lambda p: p.stat().st_mtime).parent if runs else None
    checklist, rows = checks.run_checks(force.data, configured, run)
    out = Path(args.out) if args.out else (run / "go_live" if run else None)
    paths = checks.write_report(out, checklist, rows) if out else {}
    if args.json:
        print(json.dumps(checklist.as_dict() | {"run_folder": str(run or ""), "reports": paths}, indent=2))
    else:
        for check in checklist.checks:
            subject = f" {check.subject}" if check.subject else ""
            print(f"{check.status.upper():4} {check.name}{subject}: {check.summary}")
        counts = checklist.counts()
        verdict = "ready for the go-live decision" if checklist.passed else "NOT ready"
        print(f"{force.name}: {verdict}: {counts['pass']} passed, {counts['warn']} warning(s), {counts['fail']} failed")
        print(f"run folder: {run or 'none found'}; checklist: {paths.get('html', 'not written (no --out)')}")
    return 0 if checklist.passed else 1


def _reaudit(args: argparse.Namespace) -> int:
    """Re-audit a live force's live site against its go-live audit; exit 1 on new regressions, no page
    audited, or a site that cannot be reached."""
    from . import project
    from .accessibility import monitor
    from .golive import settings

    force = _checked_spec(args.spec)
    if force is None:
        return 1
    store = Path(args.store or project.DEFAULT_ARTIFACT_STORE)
    try:
        done = monitor.reaudit(force.data, settings.load(), store, progress=lambda line: print(line, file=sys.stderr))
    except (settings.SettingsError, monitor.ReauditError) as error:
        print(f"{force.slug}: {error}", file=sys.stderr)
        return 1
    line = monitor.record(store, done)
    if args.json:
        print(json.dumps(line, indent=2, sort_keys=True))
    else:
        for item in done.outcome.new:
            print(f"NEW  {item}")
        for item in sorted(set(done.outcome.open) - set(done.outcome.new)):
            print(f"OPEN {item}")
        for item in done.outcome.fixed:
            print(f"FIXED {item}")
        drafted = done.statement.drafted or "never"
        overdue = "due for review" if done.statement.overdue else f"review due {done.statement.review_due}"
        print(f"{force.name}: {done.outcome.status}; {len(done.outcome.new)} new, {len(done.outcome.open)} open")
        print(f"statement drafted {drafted}: {overdue}; report: {store / line['report']}")
    return 1 if done.outcome.alert or done.outcome.status == monitor.NOT_AUDITED else 0


def _audit(args: argparse.Namespace) -> int:
    """Audit pages or sitemaps for accessibility into --out; exit 1 when the gate fails, 2 on bad input."""
    from .accessibility import compare, engines, run, sitemap
    from .accessibility.audit import AuditOptions

    settings: dict = {}
    key_paths: list[str] = []
    force, contact = "[organisation]", "[email address]"
    legacy_connect_to = None
    if args.spec:
        checked = _checked_spec(args.spec)
        if checked is None:
            return 2
        settings = dict(checked.data.get("accessibility") or {})
        key_paths = list((checked.data.get("go_live") or {}).get("key_pages", {}).values())
        force, contact = checked.name, checked.data["contacts"]["digital_lead"]["email"]
        legacy_connect_to = checked.data["legacy_site"].get("crawl", {}).get("connect_to")
    if args.max_pages is not None:
        settings["max_pages"] = args.max_pages
    if args.standard:
        settings["standard"] = args.standard
    redirects = None
    if args.redirects:
        path = Path(args.redirects)
        try:
            text = path.read_text(encoding="utf-8")
            redirects = compare.read_redirects(text, source=str(path), new_base=args.new_base)
        except OSError as exc:
            print(f"{path}: cannot read the redirect map ({exc.strerror})", file=sys.stderr)
            return 2
        except compare.RedirectMapError as exc:
            print(exc, file=sys.stderr)
            return 2
    try:
        options = AuditOptions(
            standard=settings.get("standard", "WCAG 2.2 AA"), concurrency=args.concurrency, page_timeout=args.timeout
        )
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        progress = (lambda line: print(line, file=sys.stderr)) if args.json else print
        outcome = run.run(
            args.urls,
            out,
            settings=settings,
            options=options,
            key_paths=key_paths,
            redirects=redirects,
            force=force,
            contact_email=contact,
            progress=progress,
            legacy_connect_to=legacy_connect_to,
        )
    except (ValueError, sitemap.SitemapError, engines.EnginesMissing) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(outcome.result.summary(), indent=2))
    else:
        print(outcome.gate.summary())
        if outcome.comparison is not None:
            totals = outcome.comparison.totals
            print(
                f"before/after on {outcome.comparison.pairs} page pair(s): {totals['fixed']} fixed, "
                f"{totals['carried_over']} carried over, {totals['introduced']} introduced"
            )
        print(f"reports: {', '.join(str(out / name) for name in outcome.files.values())}")
    return 0 if outcome.gate.passed else 1


def _provision(args: argparse.Namespace) -> int:
    """Set up the force's tenant and publish a finished migration to the platform; verify; resumable."""
    from . import provisioning
    from .migration.quality import recorded_outcome
    from .provisioning.client import Credentials, PlatformClient, PlatformError

    if args.allow_large_prune and not args.prune:
        print("provision: --allow-large-prune goes with --prune", file=sys.stderr)
        return 2
    force = _checked_spec(args.spec)
    if force is None:
        return 1
    run = Path(args.run_dir)
    migration = run / "migration" if (run / "migration" / "content.jsonl").is_file() else run
    if not (migration / "content.jsonl").is_file():
        print(
            f"provision: no finished migration in {run}: expected content.jsonl (a `migrate --out` folder) or "
            "migration/content.jsonl (an onboarding run's folder)",
            file=sys.stderr,
        )
        return 1
    outcome = recorded_outcome(migration)
    if (migration / "summary.json").is_file() and not (outcome and outcome.passed):
        print(
            f"provision: the migration in {migration} failed its quality checks; fix and re-run it first",
            file=sys.stderr,
        )
        return 1
    try:
        credentials = Credentials.from_env()
    except PlatformError as error:
        print(f"provision: {error}", file=sys.stderr)
        return 2
    out = run / "provisioning"
    out.mkdir(parents=True, exist_ok=True)
    progress = (lambda line: print(line, file=sys.stderr)) if args.json else print
    with PlatformClient(credentials) as client:
        try:
            result = provisioning.provision(
                client,
                force.data,
                migration,
                out,
                prune=args.prune,
                allow_large_prune=args.allow_large_prune,
                progress=progress,
            )
        except PlatformError as error:
            print(f"provision: the platform refused: {error}", file=sys.stderr)
            return 1
        except provisioning.PruneRefused as refused:
            print(f"provision: {refused}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    return 0 if result.ok else 1


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
            args.pages,
            args.seed,
            faults=not args.no_faults,
            fault_rate=args.fault_rate,
            slow_ms=args.slow_ms,
            latency_ms=args.latency_ms,
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


def _sandbox_platform(args: argparse.Namespace) -> int:
    """Serve the sandbox platform (admin API and tenant sites) in the foreground until Ctrl-C.

    Like `legacy-site`, the sandbox is imported here only, lazily, from the project's root.
    """
    import os

    from . import project

    if str(project.ROOT) not in sys.path:
        sys.path.insert(0, str(project.ROOT))
    from sandbox.platform import Faults, SandboxPlatform, serve

    token = os.environ.get(args.token_env, "")
    if not token:
        print(f"sandbox platform: set the API token in the environment variable {args.token_env}", file=sys.stderr)
        return 2
    try:
        faults = Faults(
            error_rate=args.error_rate,
            throttle_rate=args.throttle_rate,
            timeout_rate=args.timeout_rate,
            slow_rate=args.slow_rate,
            retry_after=args.retry_after,
            stall_seconds=args.stall_seconds,
        )
        platform = SandboxPlatform(Path(args.data), token=token, faults=faults)
    except (ValueError, OSError) as error:
        print(f"sandbox platform: {error}", file=sys.stderr)
        return 2
    serve(platform, args.port, verbose=not args.quiet)
    return 0


def _sandbox_ingress(args: argparse.Namespace) -> int:
    """Serve the sandbox ingress (DNS, HTTP, HTTPS in front of the sandbox platform) until Ctrl-C.

    Like the other sandboxes, imported here only, lazily, from the project's root.
    """
    from . import project

    if str(project.ROOT) not in sys.path:
        sys.path.insert(0, str(project.ROOT))
    from sandbox.ingress import serve

    ports = {"dns_port": args.dns_port, "http_port": args.http_port, "https_port": args.https_port}
    try:
        serve(Path(args.dir), args.platform_port, Path(args.data), verbose=not args.quiet, **ports)
    except OSError as error:
        print(f"sandbox ingress: cannot serve on 127.0.0.1 (ports {ports}): {error}", file=sys.stderr)
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
        "migration report to --out. Exit 1 when a quality check fails, e.g. no page was migrated (the legacy site "
        "down, or its address refused) or most of the previous migration's pages were lost.",
    )
    migrate.add_argument("spec", metavar="SPEC", help="the force's spec file")
    migrate.add_argument("--out", required=True, metavar="DIR", help="folder for the migration (and its checkpoint)")
    migrate.add_argument("--max-pages", type=int, metavar="N", help="stop crawling after N pages (a trial run)")
    migrate.add_argument("--json", action="store_true", help="print the summary as JSON (progress goes to stderr)")
    migrate.add_argument(
        "--store",
        metavar="DIR",
        help="artifact store holding the force's earlier runs (default: artifacts/): the checks fail when this "
        "migration lost more than content_mapping.max_page_loss_share of the pages of the latest one that passed "
        "(or of --out's own previous run)",
    )
    migrate.set_defaults(func=_migrate)

    golive = commands.add_parser(
        "golive-check",
        help="run the go-live checks: DNS, TLS, headers, key pages, old URLs, files, prerequisites",
        description="Run every go-live check for a force's new site and write the checklist (checklist.json, "
        "go-live-checklist.html, redirects-checked.csv). Connections follow config/go-live.yaml and "
        "SOH_GOLIVE_RESOLVER, SOH_GOLIVE_HTTP_PORT, SOH_GOLIVE_HTTPS_PORT, SOH_GOLIVE_CA_BUNDLE. "
        "Exit 0 when nothing failed, 1 otherwise.",
    )
    golive.add_argument("spec", metavar="SPEC", help="the force's spec file")
    golive.add_argument("--json", action="store_true", help="print the checklist as JSON")
    golive.add_argument(
        "--run", metavar="DIR", help="the run's artifact folder (prerequisites, redirect map); default: the latest run"
    )
    golive.add_argument("--store", metavar="DIR", help="artifact store to find the latest run in (default: artifacts/)")
    golive.add_argument("--out", metavar="DIR", help="folder for the checklist (default: <run>/go_live)")
    golive.set_defaults(func=_golive_check)

    reaudit = commands.add_parser(
        "reaudit",
        help="re-audit a live force's live site for accessibility against its go-live audit",
        description="Audit the force's live domain (its sitemap, sampled as the onboarding audit) through "
        "config/go-live.yaml's resolver and ports, compare with the audit its go-live passed with and the last "
        "re-audit, and write <store>/<force>/accessibility-monitoring/<date>.json and .html. Exit 1 on new "
        "serious or critical violations, when no page could be audited, or when the site cannot be reached.",
    )
    reaudit.add_argument("spec", metavar="SPEC", help="the live force's spec file")
    reaudit.add_argument("--store", metavar="DIR", help="the artifact store (default: artifacts/)")
    reaudit.add_argument("--json", action="store_true", help="print the result's summary line as JSON")
    reaudit.set_defaults(func=_reaudit)

    provision = commands.add_parser(
        "provision",
        help="set up a force's tenant on the platform and publish its migrated site",
        description="Create or update the spec's tenant (name, domains, branding, services), publish the migration's "
        "pages, documents and images and redirects in batches (only what is missing or changed on the platform: "
        "a re-run resumes), and verify by reading back counts and hashes. The platform's URL and token come from "
        "SOH_PLATFORM_URL and SOH_PLATFORM_TOKEN. Writes RUN_DIR/provisioning/. It does not check the DPO's "
        "sign-off: the onboarding DAG does, before it publishes. Exit 0 when verified.",
    )
    provision.add_argument("spec", metavar="SPEC", help="the force's spec file")
    provision.add_argument(
        "--from",
        dest="run_dir",
        required=True,
        metavar="RUN_DIR",
        help="a `migrate --out` folder, or an onboarding run's folder (with migration/)",
    )
    provision.add_argument(
        "--prune",
        action="store_true",
        help="also remove what the platform has and the migration no longer has: refused from a migration that "
        "failed its checks or has no page, and beyond the spec's tenant.max_prune_share (default 10%%) of the "
        "pages, assets or redirects; nothing is sent or removed when refused",
    )
    provision.add_argument(
        "--allow-large-prune",
        action="store_true",
        help="with --prune: remove even more than tenant.max_prune_share (never from a failed or empty migration)",
    )
    provision.add_argument("--json", action="store_true", help="print the result as JSON (progress goes to stderr)")
    provision.set_defaults(func=_provision)

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

    audit = commands.add_parser(
        "audit",
        help="accessibility audit (WCAG 2.2 AA) of pages or sitemaps with three engines",
        description="Audit pages (and every page of sitemaps: URLs ending in .xml) in Chromium with axe-core, IBM "
        "Equal Access, HTML_CodeSniffer and a keyboard probe; write audit.json, accessibility-report.html and a draft "
        "accessibility statement to --out. Exit 0 when the gate passes, 1 when it fails, 2 on bad input.",
    )
    audit.add_argument("urls", nargs="+", metavar="URL_OR_SITEMAP", help="page URLs and sitemap URLs")
    audit.add_argument("--out", required=True, metavar="DIR", help="folder for the reports")
    audit.add_argument(
        "--json", action="store_true", help='print {"pages", "findings", "needs_review", "errors"} (progress to stderr)'
    )
    audit.add_argument(
        "--spec",
        metavar="SPEC",
        help="take the standard, gate thresholds, key pages and the legacy site's connect_to from a spec",
    )
    audit.add_argument("--standard", choices=["WCAG 2.2 AA", "WCAG 2.1 AA"], help="default: the spec's, or 2.2 AA")
    audit.add_argument("--max-pages", type=int, metavar="N", help="sample at most N pages (every template first)")
    audit.add_argument("--concurrency", type=int, default=2, metavar="N", help="pages at once (default 2)")
    audit.add_argument("--timeout", type=float, default=60.0, metavar="S", help="seconds per page (default 60)")
    audit.add_argument("--redirects", metavar="CSV", help="a migration's redirects.csv: audit the old pages too")
    audit.add_argument("--new-base", metavar="URL", help="where redirects.csv's new URLs are served (e.g. a preview)")
    audit.set_defaults(func=_audit)

    sandbox = commands.add_parser(
        "sandbox", help="local stand-ins for the outside world (a legacy force website, the platform, its ingress)"
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
    legacy.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="server think time added to every answer, as a real CMS and network take (default 0; faults or not)",
    )
    legacy.add_argument("--quiet", action="store_true", help="do not log each request")
    legacy.set_defaults(func=_legacy_site)
    platform = sandbox.add_parser(
        "platform",
        help="serve a sandbox of the Single Online Home platform: its admin API and every tenant's site",
        description="Serve the platform's admin API (schemas/platform-api.yaml) on 127.0.0.1 until Ctrl-C, kept in a "
        "SQLite file, and each tenant's site from what was published to it: previews at /preview/<tenant>/, "
        "domains by the Host header. The API token is read from an environment variable, never from the command line.",
    )
    platform.add_argument("--port", type=int, default=8082, metavar="P", help="port on 127.0.0.1 (default 8082)")
    platform.add_argument(
        "--data", default=str(project.ROOT / ".sandbox" / "platform.sqlite3"), metavar="FILE", help="the SQLite file"
    )
    platform.add_argument(
        "--token-env", default="SOH_SANDBOX_PLATFORM_TOKEN", metavar="VAR", help="environment variable with the token"
    )
    platform.add_argument("--error-rate", type=float, default=0.0, metavar="R", help="share of API calls answering 500")
    platform.add_argument("--throttle-rate", type=float, default=0.0, metavar="R", help="share answering 429")
    platform.add_argument(
        "--timeout-rate", type=float, default=0.0, metavar="R", help="share processed but answered too late"
    )
    platform.add_argument("--slow-rate", type=float, default=0.0, metavar="R", help="share answered slowly")
    platform.add_argument("--retry-after", type=int, default=1, metavar="S", help="Retry-After of the 429s (seconds)")
    platform.add_argument(
        "--stall-seconds", type=float, default=3.0, metavar="S", help="how long a 'timeout' holds its answer back"
    )
    platform.add_argument("--quiet", action="store_true", help="do not log each request")
    platform.set_defaults(func=_sandbox_platform)
    ingress = sandbox.add_parser(
        "ingress",
        help="serve a sandbox of the platform's DNS and TLS ingress in front of the sandbox platform",
        description="Serve on 127.0.0.1 until Ctrl-C: a DNS server answering for the sandbox platform's tenant "
        "domains (A 127.0.0.1, CAA, and the SPF/MX/DMARC records of a domain that sends no mail), and HTTP + HTTPS "
        "forwarding by Host to the platform, with certificates from a local CA made in --dir at first start. "
        "Prints the SOH_GOLIVE_* variables that point the go-live checks at it.",
    )
    ingress.add_argument("--platform-port", type=int, default=8082, metavar="P", help="the sandbox platform's port")
    ingress.add_argument(
        "--data", default=str(project.ROOT / ".sandbox" / "platform.sqlite3"), metavar="FILE", help="its SQLite file"
    )
    ingress.add_argument(
        "--dir", default=str(project.ROOT / ".sandbox" / "ingress"), metavar="DIR", help="where the CA is kept"
    )
    ingress.add_argument("--dns-port", type=int, default=8053, metavar="P", help="DNS, UDP and TCP (default 8053)")
    ingress.add_argument("--http-port", type=int, default=8083, metavar="P", help="HTTP (default 8083)")
    ingress.add_argument("--https-port", type=int, default=8443, metavar="P", help="HTTPS (default 8443)")
    ingress.add_argument("--quiet", action="store_true", help="do not print the SOH_GOLIVE_* variables")
    ingress.set_defaults(func=_sandbox_ingress)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
