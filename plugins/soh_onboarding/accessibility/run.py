"""One accessibility phase run: discover the pages, audit them, judge the gate, compare with the legacy
site through the redirect map, write the reports. The CLI calls `run`; an onboarding run's task calls
`run_for_onboarding`, which finds the site and the redirect map in the run's folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..urls import split_host_port
from . import compare, documents, gate, report, sitemap
from .audit import AuditOptions, AuditResult, audit


def _site_of(inputs: list[str]) -> str:
    """The site a report is about: the first input, without its sitemap file name."""
    if not inputs:
        return ""
    first = inputs[0]
    return first.rsplit("/", 1)[0] + "/" if sitemap.looks_like_sitemap(first) else first


@dataclass
class PhaseOutcome:
    result: AuditResult
    gate: gate.GateResult
    comparison: compare.Comparison | None
    before: AuditResult | None
    files: dict[str, str]
    documents: documents.DocumentsResult | None = None


@dataclass(frozen=True)
class FromSpec:
    """What a force's spec says about auditing its site, as `run`'s keyword arguments."""

    settings: dict[str, Any] = field(default_factory=dict)
    key_paths: list[str] = field(default_factory=list)
    force: str = "[organisation]"
    contact_email: str = "[email address]"
    legacy_connect_to: Mapping[str, str] | None = None

    @classmethod
    def of(cls, spec_data: Mapping[str, Any]) -> FromSpec:
        return cls(
            settings=dict(spec_data.get("accessibility") or {}),
            key_paths=list((spec_data.get("go_live") or {}).get("key_pages", {}).values()),
            force=spec_data["force"]["name"],
            contact_email=spec_data["contacts"]["digital_lead"]["email"],
            legacy_connect_to=spec_data["legacy_site"].get("crawl", {}).get("connect_to"),
        )

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "settings": dict(self.settings),
            "key_paths": list(self.key_paths),
            "force": self.force,
            "contact_email": self.contact_email,
            "legacy_connect_to": self.legacy_connect_to,
        }


class NotProvisioned(Exception):
    """The run has no site to audit: provisioning has not recorded the tenant's preview."""


def run_for_onboarding(
    spec_data: Mapping[str, Any],
    run_root: Any,
    out: Any,
    site_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    known: Any = None,
) -> PhaseOutcome:
    """The accessibility phase of one onboarding run: the sitemap under `site_url`, by default the tenant's
    preview as provisioning recorded it (provisioning/provisioning.json, `preview_url`); with the run's
    migration/redirects.csv, the legacy pages whose new home was audited are audited too (before and after);
    with its migration/assets.csv, the migrated documents are checked too. `known`: the force's accepted
    known issues (known.KnownIssues), read by the caller beside its spec."""
    if site_url is None:
        provisioned = run_root / "provisioning" / "provisioning.json"
        if not provisioned.exists():
            raise NotProvisioned(f"{provisioned} is missing: provisioning must run first (it gives the preview)")
        site_url = json.loads(provisioned.read_text(encoding="utf-8"))["preview_url"]
    base = site_url.rstrip("/") + "/"
    redirects = None
    redirects_csv = run_root / "migration" / "redirects.csv"
    if redirects_csv.exists():
        redirects = compare.read_redirects(
            redirects_csv.read_text(encoding="utf-8"), source=str(redirects_csv), new_base=base
        )
    migration = run_root / "migration"
    return run(
        [base + "sitemap.xml"],
        out,
        redirects=redirects,
        site=base,
        progress=progress,
        known=known,
        documents_from=migration if (migration / "assets.csv").exists() else None,
        **FromSpec.of(spec_data).as_kwargs(),
    )


def run(
    inputs: Iterable[str],
    out: Any,
    *,
    settings: dict[str, Any] | None = None,
    options: AuditOptions | None = None,
    key_paths: Iterable[str] = (),
    redirects: list[tuple[str, str]] | None = None,
    force: str = "[organisation]",
    contact_email: str = "[email address]",
    site: str | None = None,
    progress: Callable[[str], None] | None = None,
    legacy_connect_to: Mapping[str, str] | None = None,
    known: Any = None,
    documents_from: Any = None,
) -> PhaseOutcome:
    """Audit the pages named by `inputs` (page or sitemap URLs) into `out`.

    `settings` is the spec's `accessibility` section (standard, allowed_violations, max_pages, ...).
    With `redirects` ((old_url, new_url) pairs, new URLs on the audited site), the old pages whose new
    page was audited are audited too, and the comparison goes into the reports; `legacy_connect_to` (the
    spec's legacy_site.crawl.connect_to) says where their host names are fetched from, as the crawl did.
    `known` (known.KnownIssues): the force's accepted known issues, which the gate does not count.
    With `documents_from` (a migration folder, or any folder of documents) its documents are checked too
    (documents.py): into documents.json, the reports, and the gate (settings' `documents`).
    """
    settings = settings or {}
    inputs = list(inputs)
    options = options or AuditOptions(standard=settings.get("standard", "WCAG 2.2 AA"))
    found = sitemap.discover(inputs, max_pages=settings.get("max_pages"), key_paths=key_paths)
    say = progress or (lambda line: None)
    say(f"auditing {len(found.urls)} page(s) of {found.listed} listed, {options.concurrency} at a time")
    result = audit(found.urls, options, progress=progress, discovery=found.as_dict())
    before = comparison = None
    if redirects:
        audited = set(found.urls)
        pairs = [(old, new) for old, new in redirects if new in audited]
        say(f"auditing {len(pairs)} legacy page(s) matched by the redirect map")
        rules = tuple((split_host_port(key)[0], target) for key, target in (legacy_connect_to or {}).items())
        before = audit([old for old, _ in pairs], replace(options, host_rules=rules), progress=progress)
        comparison = compare.compare(before, result, pairs)
    site = site or _site_of(inputs)
    verdict = gate.check(result, settings, known, site=site)
    checked = None
    if documents_from is not None:
        checked = check_documents(documents_from, settings, progress=progress)
        verdict = gate.with_documents(verdict, checked)
    files = report.write(
        out,
        result,
        verdict,
        site=site,
        force=force,
        contact_email=contact_email,
        comparison=comparison,
        documents=checked,
    )
    if before is not None:
        from ..artifacts import write_json

        write_json(out / "legacy-audit.json", before.as_dict())
        files["legacy_json"] = "legacy-audit.json"
    return PhaseOutcome(result, verdict, comparison, before, files, checked)


def check_documents(
    folder: Any, settings: Mapping[str, Any] | None = None, progress: Callable[[str], None] | None = None
) -> documents.DocumentsResult:
    """The documents of `folder` (a migration folder: its assets.csv; else every document file under it),
    checked with the spec's `accessibility.documents` settings."""
    return documents.check_all(
        documents.from_folder(folder), documents.Settings.of(settings), source=str(folder), progress=progress
    )
