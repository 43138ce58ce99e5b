"""Provisioning: the force's tenant on the platform, and its migrated site published there and verified.

    ensure_tenant    the tenant (PUT: created once, then updated), its domains (old ones after) and branding
    enable_services  the services of the spec (after the DPO's sign-off: they are what the DPIA assessed)
    publish          pages, assets and redirects from the migration's outputs, in batches
    verify           read back: every item on the platform with the hash we sent; counts and digests

Publishing is resumable and sends only what changed: it first reads back what the platform holds (path
and hash of every item), then sends only the items that are missing or differ, in batches the platform
commits whole. A run killed half-way leaves whole batches behind; the next run reads them back and sends
the rest. Items on the platform that the migration no longer has are reported, and removed only when
asked (`prune`), since the force's editors may have added them.

Pruning trusts the migration to be whole, so it is checked first (`check_prune`), before anything is sent
or removed: never from a migration whose recorded outcome (summary.json) is missing, failed or has no
page (a legacy site that was down gives an empty migration, and pruning to it would empty the live
site), and never more than `tenant.max_prune_share` of the tenant's pages, assets or redirects without
an explicit `allow_large_prune`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from base64 import b64encode
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from .. import reports
from ..artifacts import within, write_json
from ..migration.quality import recorded_outcome
from .client import PlatformClient, content_hash

PAGES_PER_BATCH = 250
BATCH_BYTES = 4_000_000
ASSETS_PER_BATCH = 100
ASSET_BATCH_BYTES = 8_000_000
REDIRECTS_PER_BATCH = 2000
MAX_BODY_CHARS = 10_000_000
"""The contract's limit on a page's body_html: a larger page is reported, not sent."""
_SAFE_PATH = "/._~!$&'()*+,;=:@%-"
_SEGMENT = re.compile(r"^/(?:[^./][^/]*/)*(?:[^./][^/]*)?$")
"""A path the contract accepts: no empty, '.' or '..' segment (other characters are percent-encoded)."""
MAX_PRUNE_SHARE = 0.1
"""Default of the spec's tenant.max_prune_share: a prune that would remove more than a tenth of a tenant's
pages, assets or redirects is more likely a broken migration than a site that shrank, so it needs saying so."""
KINDS = {"pages": "pages", "assets": "documents and images", "redirects": "redirects"}
"""What is published, in order (a redirect should land on something already there), with its name for people."""


class PruneRefused(Exception):
    """Pruning was refused before anything was sent or removed; the message says why and how to go on."""


@dataclass
class Published:
    """What publishing one kind of item did."""

    local: int = 0
    on_platform_before: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    batches: int = 0
    not_in_migration: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    counts: dict[str, int]
    not_in_migration: dict[str, int]


# --- the tenant ----------------------------------------------------------------------------------


def tenant_domains(spec_data: dict[str, Any]) -> list[str]:
    """The tenant's domains on the platform: tenant.domains (the first stays the primary), then the legacy
    site's go_live.old_domains, so the platform serves the old names too and redirects every old URL on them
    to its new URL on the primary domain (and the platform's DNS can point them at its ingress)."""
    names = [*spec_data["tenant"]["domains"], *spec_data.get("go_live", {}).get("old_domains", [])]
    return list(dict.fromkeys(name.lower() for name in names))


def ensure_tenant(client: PlatformClient, spec_data: dict[str, Any]) -> dict[str, Any]:
    """Create or update the tenant with its name, domains (old domains included) and branding; returns the
    tenant."""
    tenant = spec_data["tenant"]
    client.put_tenant(tenant["tenant_id"], tenant["display_name"])
    client.put_domains(tenant["tenant_id"], tenant_domains(spec_data))
    branding = {key: value for key, value in tenant["branding"].items() if value is not None}
    return client.put_branding(tenant["tenant_id"], branding)


def enable_services(client: PlatformClient, spec_data: dict[str, Any]) -> dict[str, Any]:
    tenant = spec_data["tenant"]
    return client.put_services(tenant["tenant_id"], list(tenant["services"]))


# --- what the migration has ----------------------------------------------------------------------


def read_pages(migration: Any) -> Iterator[dict[str, Any]]:
    """The migrated pages as the platform takes them, each with its content hash (streamed)."""
    with (migration / "content.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            page = {
                "path": record["new_path"],
                "title": record["title"] or record["new_path"],
                "summary": record.get("summary") or "",
                "body_html": record["body_html"],
                "content_type": record.get("content_type") or "page",
                "published": record.get("published") or None,
            }
            page["content_hash"] = content_hash(page)
            yield page


def publishable(page: dict[str, Any]) -> bool:
    return len(page["body_html"]) <= MAX_BODY_CHARS


def read_assets(migration: Any) -> list[dict[str, Any]]:
    """The documents and images: path, media type, sha256 and where the bytes are (read when sent).

    Each file is found with `within` (OutsideFolder otherwise): assets.csv names it, and a table from an
    older run, or one edited, must not make provisioning read and publish a file from outside assets/.
    """
    table = migration / "assets.csv"
    if not table.exists():
        return []
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    seen: set[str] = set()
    assets = []
    for row in sorted(rows, key=lambda r: r["new_path"]):
        if row["new_path"] in seen:
            continue
        seen.add(row["new_path"])
        media_type = (row["content_type"] or "application/octet-stream").split(";")[0].strip().lower()
        assets.append(
            {
                "path": row["new_path"],
                "content_type": media_type,
                "sha256": row["sha256"],
                "file": within(migration / "assets", row["new_path"].lstrip("/")),
            }
        )
    return assets


def old_path(url: str) -> str:
    """An old URL's path and query as the platform matches a redirect (percent-encoded where needed)."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    return f"{path}?{quote(parts.query, safe=_SAFE_PATH + '?/')}" if parts.query else path


def read_redirects(migration: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """redirects.csv as the platform's redirects: `redirect` rows become 301s to the new path, `archive`
    rows 410 Gone; `unresolved` rows are not published (the platform answers 404). One redirect per old
    path: the same path on another of the legacy host names is the same redirect. Returns the redirects
    and the old URLs skipped, with why."""
    redirects: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    with (migration / "redirects.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["type"] not in ("redirect", "archive"):
                continue
            source = old_path(row["old_url"])
            target = urlsplit(row["new_url"]).path if row["type"] == "redirect" else None
            if not _SEGMENT.match(source.split("?")[0]):
                skipped.append(f"{row['old_url']}: the platform cannot match this path")
                continue
            if target == source:
                continue  # the page itself lives at its old path: nothing to redirect
            wanted = {"from_path": source, "to_path": target, "status": 301 if target else 410}
            if source in redirects and redirects[source] != wanted:
                skipped.append(f"{row['old_url']}: another old URL with the same path redirects elsewhere")
                continue
            redirects[source] = wanted
    return [redirects[key] for key in sorted(redirects)], skipped


# --- publishing ----------------------------------------------------------------------------------


def _batches(items: Iterable[dict], size: int, max_bytes: int, weight: Callable[[dict], int]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    total = 0
    for item in items:
        cost = weight(item)
        if batch and (len(batch) >= size or total + cost > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += cost
    if batch:
        yield batch


def _send(
    client: PlatformClient,
    tenant_id: str,
    kind: str,
    batches: Iterable[list[dict]],
    result: Published,
    progress: Callable[[str], None],
) -> None:
    for batch in batches:
        answer = client.publish(tenant_id, kind, batch)
        result.batches += 1
        result.sent += len(batch)
        for key in ("created", "updated", "unchanged"):
            setattr(result, key, getattr(result, key) + answer[key])
        progress(
            f"{kind}: batch {result.batches}: {len(batch)} sent ({answer['created']} new, {answer['updated']} changed)"
        )


def _prune(client: PlatformClient, tenant_id: str, kind: str, keys: list[str], result: Published, prune: bool) -> None:
    result.not_in_migration = len(keys)
    if not prune:
        return
    for start in range(0, len(keys), 1000):
        answer = client.publish(tenant_id, kind, [], keys[start : start + 1000])
        result.deleted += answer["deleted"]
        result.batches += 1
    result.not_in_migration -= result.deleted


def publish_pages(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    batch_size: int = PAGES_PER_BATCH,
    prune: bool = False,
    progress: Callable[[str], None] = print,
) -> Published:
    remote = {item["path"]: item["content_hash"] for item in client.listing(tenant_id, "pages")}
    local: dict[str, str] = {}  # path -> hash: the bodies are read again when sent, not held
    skipped = []
    for page in read_pages(migration):
        if publishable(page):
            local[page["path"]] = page["content_hash"]
        else:
            skipped.append(
                f"{page['path']}: its body has {len(page['body_html']):,} characters, over the platform's limit"
            )
    changed = {path for path, digest in local.items() if remote.get(path) != digest}
    result = Published(local=len(local), on_platform_before=len(remote), skipped=skipped)
    progress(f"pages: {len(local)} migrated, {len(remote)} on the platform, {len(changed)} to send")
    wanted = (page for page in read_pages(migration) if page["path"] in changed)
    batches = _batches(wanted, batch_size, BATCH_BYTES, lambda page: len(page["body_html"]) + len(page["title"]) + 200)
    _send(client, tenant_id, "pages", batches, result, progress)
    _prune(client, tenant_id, "pages", sorted(set(remote) - set(local)), result, prune)
    return result


def publish_assets(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    prune: bool = False,
    progress: Callable[[str], None] = print,
) -> Published:
    remote = {item["path"]: (item["sha256"], item["content_type"]) for item in client.listing(tenant_id, "assets")}
    local = read_assets(migration)
    changed = [a for a in local if remote.get(a["path"]) != (a["sha256"], a["content_type"])]
    result = Published(local=len(local), on_platform_before=len(remote))
    progress(f"assets: {len(local)} migrated, {len(remote)} on the platform, {len(changed)} to send")

    def payloads() -> Iterator[dict]:
        for asset in changed:
            data = asset["file"].read_bytes()
            yield {
                "path": asset["path"],
                "content_type": asset["content_type"],
                "sha256": hashlib.sha256(data).hexdigest(),
                "data_base64": b64encode(data).decode("ascii"),
            }

    batches = _batches(payloads(), ASSETS_PER_BATCH, ASSET_BATCH_BYTES, lambda a: len(a["data_base64"]))
    _send(client, tenant_id, "assets", batches, result, progress)
    _prune(client, tenant_id, "assets", sorted(set(remote) - {a["path"] for a in local}), result, prune)
    return result


def publish_redirects(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    prune: bool = False,
    progress: Callable[[str], None] = print,
) -> Published:
    remote = {item["from_path"]: (item["to_path"], item["status"]) for item in client.listing(tenant_id, "redirects")}
    local, skipped = read_redirects(migration)
    changed = [r for r in local if remote.get(r["from_path"]) != (r["to_path"], r["status"])]
    result = Published(local=len(local), on_platform_before=len(remote), skipped=skipped)
    progress(f"redirects: {len(local)} from old URLs, {len(remote)} on the platform, {len(changed)} to send")
    batches = _batches(changed, REDIRECTS_PER_BATCH, BATCH_BYTES, lambda r: len(r["from_path"]) + 100)
    _send(client, tenant_id, "redirects", batches, result, progress)
    _prune(client, tenant_id, "redirects", sorted(set(remote) - {r["from_path"] for r in local}), result, prune)
    return result


def _outcome_problem(migration: Any) -> str | None:
    """Why the migration's recorded outcome forbids pruning to it, or None when it passed with pages."""
    outcome = recorded_outcome(migration)
    if outcome is None:
        return f"the migration in {migration} has no recorded outcome (summary.json): it may not have finished"
    if not outcome.passed:
        return f"the migration in {migration} failed its quality checks (summary.json)"
    if outcome.pages < 1:
        return f"the migration in {migration} has no page (summary.json)"
    return None


def check_prune(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    max_share: float = MAX_PRUNE_SHARE,
    allow_large: bool = False,
) -> dict[str, int]:
    """Raise PruneRefused unless pruning the tenant to this migration is safe; else how many of each kind
    it removes. Called before anything is sent, so a refusal leaves the tenant's content as it was.

    Never from a failed or empty migration (no override: re-run the migration); more than `max_share` of
    any kind only with `allow_large`. It reads the platform's listings once more than publishing alone.
    """
    problem = _outcome_problem(migration)
    wanted = _expected(migration)
    if problem is None and not wanted["pages"]:
        problem = f"the migration in {migration} has no page to publish (content.jsonl)"
    if problem:
        raise PruneRefused(f"refusing to prune the tenant {tenant_id}: {problem}. Nothing was sent or removed.")
    there = _listed(client, tenant_id)
    removed = {kind: len(set(there[kind]) - set(wanted[kind])) for kind in KINDS}
    over = [
        f"{removed[kind]:,} of {len(there[kind]):,} {name} ({removed[kind] / len(there[kind]) * 100:.3g}%)"
        for kind, name in KINDS.items()
        if there[kind] and removed[kind] / len(there[kind]) > max_share
    ]
    if over and not allow_large:
        raise PruneRefused(
            f"refusing to prune the tenant {tenant_id}: it would remove {', '.join(over)}, over the limit of "
            f"{max_share * 100:g}% of each (tenant.max_prune_share in the spec). Nothing was sent or removed. "
            "If these removals are intended, run again with --allow-large-prune."
        )
    return removed


def publish(
    client: PlatformClient,
    tenant_id: str,
    migration: Any,
    *,
    prune: bool = False,
    max_prune_share: float = MAX_PRUNE_SHARE,
    allow_large_prune: bool = False,
    batch_size: int = PAGES_PER_BATCH,
    progress: Callable[[str], None] = print,
) -> dict[str, Published]:
    """Pages, then assets, then redirects (a redirect should land on something already there).

    With `prune`, check_prune first: it raises PruneRefused before anything is sent or removed."""
    if prune:
        removing = check_prune(client, tenant_id, migration, max_share=max_prune_share, allow_large=allow_large_prune)
        progress("prune: " + ", ".join(f"{count} {KINDS[kind]}" for kind, count in removing.items()) + " to remove")
    return {
        "pages": publish_pages(client, tenant_id, migration, batch_size=batch_size, prune=prune, progress=progress),
        "assets": publish_assets(client, tenant_id, migration, prune=prune, progress=progress),
        "redirects": publish_redirects(client, tenant_id, migration, prune=prune, progress=progress),
    }


# --- verifying -----------------------------------------------------------------------------------


def digest(lines: Iterable[str]) -> str:
    """The contract's digest of a collection: sha256 of its lines in key order, joined by newlines."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _expected(migration: Any) -> dict[str, dict[str, str]]:
    """What the migration publishes, by kind: key (path, or old path of a redirect) -> hash or target."""
    return {
        "pages": {p["path"]: p["content_hash"] for p in read_pages(migration) if publishable(p)},
        "assets": {a["path"]: a["sha256"] for a in read_assets(migration)},
        "redirects": {r["from_path"]: f"{r['to_path'] or ''}\t{r['status']}" for r in read_redirects(migration)[0]},
    }


def _listed(client: PlatformClient, tenant_id: str) -> dict[str, dict[str, str]]:
    """What the platform holds for the tenant, by kind, keyed and valued as `_expected`."""
    return {
        "pages": {i["path"]: i["content_hash"] for i in client.listing(tenant_id, "pages")},
        "assets": {i["path"]: i["sha256"] for i in client.listing(tenant_id, "assets")},
        "redirects": {
            i["from_path"]: f"{i['to_path'] or ''}\t{i['status']}" for i in client.listing(tenant_id, "redirects")
        },
    }


def verify(client: PlatformClient, tenant_id: str, migration: Any) -> Verification:
    """Read back every page, asset and redirect: each must be there with what we sent, and the platform's
    own counts and digests must agree with what it lists."""
    expected = _expected(migration)
    listed = _listed(client, tenant_id)
    summary = client.summary(tenant_id)
    problems: list[str] = []
    for kind, wanted in expected.items():
        there = listed[kind]
        missing = sorted(set(wanted) - set(there))
        different = sorted(key for key in wanted if key in there and there[key] != wanted[key])
        if missing:
            problems.append(f"{kind}: {len(missing)} missing on the platform, e.g. {missing[0]}")
        if different:
            problems.append(f"{kind}: {len(different)} differ from what was sent, e.g. {different[0]}")
        lines = [f"{key}\t{there[key]}" for key in sorted(there)]
        if summary[kind]["count"] != len(there) or summary[kind]["digest"] != digest(lines):
            problems.append(f"{kind}: the platform's summary disagrees with its own listing")
    return Verification(
        ok=not problems,
        problems=problems,
        counts={kind: len(listed[kind]) for kind in listed},
        not_in_migration={kind: len(set(listed[kind]) - set(expected[kind])) for kind in listed},
    )


# --- one whole provisioning (the CLI; the DAG runs the steps as tasks) ---------------------------


@dataclass
class ProvisioningResult:
    tenant_id: str
    preview_url: str
    live_url: str | None
    state: str
    published: dict[str, Published]
    verification: Verification
    calls: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verification.ok

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def write_outputs(
    out: Any, spec_data: dict[str, Any], tenant: dict[str, Any], published: dict[str, Published], checked: Verification
) -> ProvisioningResult:
    """provisioning.json and the report (Markdown and HTML) in the run's provisioning folder."""
    result = ProvisioningResult(
        tenant_id=tenant["tenant_id"],
        preview_url=tenant["preview_url"],
        live_url=tenant["live_url"],
        state=tenant["state"],
        published=published,
        verification=checked,
    )
    write_json(out / "provisioning.json", result.as_dict())
    markdown = reports.render("provisioning_report.md.j2", spec=spec_data, result=result, tenant=tenant)
    (out / "provisioning-report.md").write_text(markdown, encoding="utf-8")
    title = f"Provisioning: {spec_data['force']['name']}"
    (out / "provisioning-report.html").write_text(reports.markdown_to_html(markdown, title), encoding="utf-8")
    return result


def provision(
    client: PlatformClient,
    spec_data: dict[str, Any],
    migration: Any,
    out: Any,
    *,
    prune: bool = False,
    allow_large_prune: bool = False,
    progress: Callable[[str], None] = print,
) -> ProvisioningResult:
    """Everything in order, in this process: what the CLI runs. With `prune`, PruneRefused (see
    check_prune) leaves the tenant's content as it was."""
    tenant_id = spec_data["tenant"]["tenant_id"]
    out.mkdir(parents=True, exist_ok=True)
    ensure_tenant(client, spec_data)
    enable_services(client, spec_data)
    progress(f"tenant {tenant_id}: name, domains, branding and {len(spec_data['tenant']['services'])} services set")
    published = publish(
        client,
        tenant_id,
        migration,
        prune=prune,
        max_prune_share=spec_data["tenant"].get("max_prune_share", MAX_PRUNE_SHARE),
        allow_large_prune=allow_large_prune,
        progress=progress,
    )
    checked = verify(client, tenant_id, migration)
    result = write_outputs(out, spec_data, client.get_tenant(tenant_id), published, checked)
    result.calls = client.stats.as_dict()
    write_json(out / "provisioning.json", result.as_dict())
    progress(
        f"verified: {checked.counts['pages']} pages, {checked.counts['assets']} assets, "
        f"{checked.counts['redirects']} redirects on the platform"
        if checked.ok
        else "verification FAILED: " + "; ".join(checked.problems)
    )
    progress(f"preview: {result.preview_url}")
    return result
