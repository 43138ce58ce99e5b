"""The first task of every onboarding run: the spec must still pass its check, and is stored as the run used it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..spec import provenance
from .options import run_options
from .runtime import bundle_version, run_folder, valid_spec


def check_and_snapshot(spec_file: str, context: dict[str, Any]) -> dict[str, Any]:
    """Re-validate the spec; store it, its sha256, the commit and the operator's note in the run's folder."""
    force = valid_spec(Path(spec_file), "The spec no longer passes its check; fix it by pull request")
    folder = run_folder(force.slug, context)
    code = provenance.code_version(force.path, bundle_version(context))
    note = (context.get("params") or {}).get("run_note") or ""
    record = provenance.snapshot_spec(force, folder.phase("spec"), code, context["run_id"], note)
    print(f"Spec {force.path.name} is valid; snapshot in {folder.root / 'spec'} (commit {code.commit or 'unknown'})")
    options = run_options(context)
    print(f"Phases chosen: {', '.join(options['phases']) or 'none'}{'; dry run' if options['dry_run'] else ''}")
    return {"run_folder": str(folder.root), "spec_sha256": record["spec_sha256"], "commit": code.commit}
