"""The accessibility phase's adapter: audit the tenant's verified preview and judge the gate (less the
force's accepted known issues, onboarding_specs/<slug>.known-issues.yaml).

Playwright is imported by the audit only, here at run time.
"""

from __future__ import annotations

from typing import Any

from .options import phase_gate
from .runtime import artifact_url, fail, run_folder, snapshot, specs_dir


def audit(
    slug: str, verified: dict[str, Any] | None, context: dict[str, Any], site_url: str | None = None
) -> dict[str, Any]:
    """Audit the site under `site_url`, by default the preview provisioning verified (`verified`, its
    result; or what it recorded in the run's folder); fail the task when the gate fails."""
    from ..accessibility import known, run

    phase_gate("accessibility", context)
    folder = run_folder(slug, context)
    out = folder.phase("accessibility")
    if site_url is None and verified:
        site_url = verified["preview_url"]
    # The accepted known issues beside the spec, from the checkout the running DAG came from, read when the
    # task runs (as the redirect overrides are): a renewal merged since applies when the task is cleared.
    accepted = known.for_spec(specs_dir(context) / f"{slug}.yaml")
    try:
        outcome = run.run_for_onboarding(snapshot(folder), folder.root, out, site_url, progress=print, known=accepted)
    except (run.NotProvisioned, run.documents.SourceError) as error:
        fail(str(error))
    report = artifact_url(out / outcome.files["report"])
    print(outcome.gate.summary())
    print(f"report: {report}; statement draft: {artifact_url(out / outcome.files['statement_html'])}")
    if not outcome.gate.passed:
        fail(f"{outcome.gate.summary()}\nreport: {report}")
    return {
        "pages": len(outcome.result.audited),
        "violations": len(outcome.result.findings),
        "needs_review": len(outcome.result.needs_review),
        "errors": len(outcome.result.errors),
        "gate": outcome.gate.as_dict(),
        "comparison": outcome.comparison.totals if outcome.comparison else None,
        "documents": outcome.documents.counts() if outcome.documents else None,
        "report": report,
    }
