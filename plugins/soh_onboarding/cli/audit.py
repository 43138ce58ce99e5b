"""`python -m soh_onboarding audit`: accessibility audit (WCAG 2.2 AA) of pages or sitemaps with three engines.

Audit pages (and every page of sitemaps: URLs ending in .xml) in Chromium with axe-core, IBM Equal Access,
HTML_CodeSniffer and a keyboard probe; write audit.json, accessibility-report.html and a draft accessibility
statement to --out. With --documents, check the PDFs and office documents of a folder too (a migration folder,
by its assets.csv, or any folder), or alone when no URL is given (documents.json and documents-report.html).
Exit 0 when the gate passes, 1 when it fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from .common import checked_spec, command, progress_printer


def run(args: argparse.Namespace) -> int:
    """Audit pages or sitemaps for accessibility into --out; exit 1 when the gate fails, 2 on bad input."""
    from ..accessibility import compare, engines, known, run, sitemap
    from ..accessibility.audit import AuditOptions

    from_spec, accepted = run.FromSpec(), None
    if args.spec:
        checked = checked_spec(args.spec)
        if checked is None:
            return 2
        from_spec = run.FromSpec.of(checked.data)
        accepted = known.for_spec(checked.path)  # the force's accepted known issues beside its spec
    settings = dict(from_spec.settings)
    documents_from = None
    if args.documents:
        documents_from = Path(args.documents)
        if not documents_from.is_dir():
            print(
                f"audit: --documents {documents_from}: not a folder (give a migration folder or a folder of documents)",
                file=sys.stderr,
            )
            return 2
    if not args.urls and documents_from is None:
        print("audit: give page or sitemap URLs, or --documents FOLDER, or both", file=sys.stderr)
        return 2
    if not args.urls:
        return _documents_only(documents_from, Path(args.out), settings, args.json)
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
        progress = progress_printer(args.json)
        outcome = run.run(
            args.urls,
            out,
            options=options,
            redirects=redirects,
            progress=progress,
            known=accepted,
            documents_from=documents_from,
            **replace(from_spec, settings=settings).as_kwargs(),
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


def _documents_only(folder: Path, out: Path, settings: dict[str, Any], as_json: bool) -> int:
    """Check a folder's documents alone: documents.json and documents-report.html into `out`; exit 1 when
    failing documents needed for a service exceed accessibility.documents.allowed_failures."""
    from ..accessibility import documents, report, run

    try:
        out.mkdir(parents=True, exist_ok=True)
        checked = run.check_documents(folder, settings, progress=progress_printer(as_json))
    except documents.SourceError as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    files = report.write_documents(out, checked)
    failures = checked.gate_failures()
    if as_json:
        print(json.dumps(checked.as_dict(), indent=2))
    else:
        counts = checked.counts()
        head = "document gate FAILED" if failures else "document gate passed"
        print(
            f"{head}: {counts['documents']} document(s), {counts['failed']} failing, {counts['unreadable']} unreadable,"
            f" {counts['exempt']} exempt, {counts['failing_needed_for_service']} failing and needed for a service"
            f" (allowed {checked.settings.allowed_failures})"
        )
        for line in failures:
            print(f"  - {line}")
        print(f"reports: {', '.join(str(out / name) for name in files.values())}")
    return 1 if failures else 0


def register(commands: Any) -> None:
    audit = command(
        commands, __doc__, run, json='print {"pages", "findings", "needs_review", "errors"} (progress to stderr)'
    )
    audit.add_argument("urls", nargs="*", metavar="URL_OR_SITEMAP", help="page URLs and sitemap URLs")
    audit.add_argument("--out", required=True, metavar="DIR", help="folder for the reports")
    audit.add_argument(
        "--spec",
        metavar="SPEC",
        help="take the standard, gate thresholds, key pages and the legacy site's connect_to from a spec, and "
        "its accepted known issues (<slug>.known-issues.yaml beside it)",
    )
    audit.add_argument("--standard", choices=["WCAG 2.2 AA", "WCAG 2.1 AA"], help="default: the spec's, or 2.2 AA")
    audit.add_argument("--max-pages", type=int, metavar="N", help="sample at most N pages (every template first)")
    audit.add_argument("--concurrency", type=int, default=2, metavar="N", help="pages at once (default 2)")
    audit.add_argument("--timeout", type=float, default=60.0, metavar="S", help="seconds per page (default 60)")
    audit.add_argument("--redirects", metavar="CSV", help="a migration's redirects.csv: audit the old pages too")
    audit.add_argument("--new-base", metavar="URL", help="where redirects.csv's new URLs are served (e.g. a preview)")
    audit.add_argument(
        "--documents",
        metavar="FOLDER",
        help="check the PDFs and office documents of a migration folder (its assets.csv) or any folder; alone without URLs",
    )
