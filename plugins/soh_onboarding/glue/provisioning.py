"""Provisioning's adapter: the tenant, its services, publishing the migration, verifying by reading back.

Every call to the platform goes through `runtime.on_platform` (a refusal fails the task, a failing platform
is retried); a dry run writes nothing to it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .options import dry_run_skips, is_dry_run, phase_gate
from .runtime import adapters, artifact_url, fail, on_cms, on_edge, on_platform, run_folder, snapshot


def _provisioning(slug: str, context: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    folder = run_folder(slug, context)
    return snapshot(folder), folder.phase("migration"), folder.phase("provisioning")


def _edge_hosts(spec_data: dict[str, Any]) -> tuple[str, ...]:
    """The old domains whose redirects the edge answers (none without an edge): the platform gets the rest."""
    from ..edge.model import old_domains

    return () if adapters().edge == "none" else old_domains(spec_data)


def tenant(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    from .. import provisioning

    phase_gate("provisioning", context)
    spec_data, _, _ = _provisioning(slug, context)
    tenant_id = spec_data["tenant"]["tenant_id"]
    if dry_run_skips(context, f"create or update the tenant {tenant_id} on the platform"):
        return {"tenant_id": tenant_id, "preview_url": None, "state": None, "dry_run": True}
    made = on_platform(lambda client: provisioning.ensure_tenant(client, spec_data))
    print(f"tenant {made['tenant_id']} ({made['state']}): domains {', '.join(made['domains'])}")
    return {"tenant_id": made["tenant_id"], "preview_url": made["preview_url"], "state": made["state"]}


def services(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    from .. import provisioning

    spec_data, _, _ = _provisioning(slug, context)
    if dry_run_skips(context, f"enable {len(spec_data['tenant']['services'])} services on the platform"):
        return {"services": [], "dry_run": True}
    enabled = on_platform(lambda client: provisioning.enable_services(client, spec_data))
    print(f"services enabled: {', '.join(enabled['services'])}")
    return {"services": enabled["services"]}


def publish(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Publish the run's migration; a retry or a re-run sends only what the platform (or the CMS) does not
    have yet. With the content in Optimizely CMS, the pages and documents go there and the platform gets
    the redirects the edge does not answer."""
    from .. import provisioning

    spec_data, migration, _ = _provisioning(slug, context)
    where = "Optimizely CMS" if _in_cms() else f"the tenant {spec_data['tenant']['tenant_id']}"
    if dry_run_skips(context, f"publish the migration's pages, documents and redirects to {where}"):
        return {}
    at_edge = _edge_hosts(spec_data)
    published = _on_content(
        lambda client, cms: provisioning.publish_content(client, spec_data, migration, cms=cms, edge_hosts=at_edge)
    )
    return {kind: asdict(done) for kind, done in published.items()}


def _in_cms() -> bool:
    return adapters().content == "optimizely"


def _on_content(work: Any) -> Any:
    """`work(platform client, CMS client or None)`, each service's refusals and failures as on_platform says."""
    if _in_cms():
        return on_platform(lambda client: on_cms(lambda cms: work(client, cms)))
    return on_platform(lambda client: work(client, None))


def edge(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """The tenant at the edge (its domains' DNS, TLS, HSTS, headers, the old URLs' redirects), when this
    environment has an edge of ours; a dry run prints the diff and writes nothing."""
    spec_data, migration, out = _provisioning(slug, context)
    dry_run = is_dry_run(context)
    done = on_edge(spec_data, migration, out, live=False, dry_run=dry_run, refused="The edge")
    if done is None:
        print(f"edge: none in the environment {adapters().environment} (config/platform.yaml): nothing to set up")
        return {"edge": None}
    print("\n".join(done.diff if dry_run else done.diff[:20]))
    print(done.summary())
    for line in done.not_at_edge[:20]:
        print(f"left with the origin: {line}")
    return {"edge": adapters().edge, "changes": done.changes, "written": done.written, "left": len(done.not_at_edge)}


def verify(slug: str, sent: dict[str, Any] | None, context: dict[str, Any]) -> dict[str, Any]:
    """Read everything back (`sent`: what publish sent); write provisioning.json and the report; record the
    preview URL."""
    from .. import provisioning

    spec_data, migration, out = _provisioning(slug, context)
    tenant_id = spec_data["tenant"]["tenant_id"]
    if dry_run_skips(context, f"verify the tenant {tenant_id} (nothing was published)"):
        return {"tenant_id": tenant_id, "preview_url": None, "dry_run": True}
    published = {kind: provisioning.Published(**done) for kind, done in (sent or {}).items()}

    def check(client: Any, cms: Any) -> Any:
        hosts = _edge_hosts(spec_data)
        checked = provisioning.verify_content(client, spec_data, migration, published, cms=cms, edge_hosts=hosts)
        tenant = client.get_tenant(tenant_id)
        return provisioning.write_outputs(out, spec_data, tenant, published, checked, provisioning.held_in(cms))

    result = _on_content(check)
    report = artifact_url(out / "provisioning-report.html")
    if not result.ok:
        fail(
            f"{result.content_in[:1].upper()}{result.content_in[1:]} does not hold what was published:\n"
            + "\n".join(result.verification.problems)
            + f"\n{report}"
        )
    counts = result.verification.counts
    print(
        f"verified: {counts['pages']} pages, {counts['assets']} assets, {counts['redirects']} redirects; report {report}"
    )
    print(f"preview: {result.preview_url}")
    return {"tenant_id": tenant_id, "preview_url": result.preview_url, "live_url": result.live_url, "counts": counts}
