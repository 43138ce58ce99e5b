"""The DPIA scoping document of a screening: screening.json, dpia-scoping.md and dpia-scoping.html."""

from __future__ import annotations

from typing import Any

from .catalogue import Catalogue
from .decision import Decision
from .screening import Screening


def write_documents(
    folder: Any,
    screening: Screening,
    spec: dict[str, Any],
    catalogue: Catalogue,
    run_id: str,
    generated_at: str,
    decision: Decision | None = None,
) -> dict[str, str]:
    """screening.json, dpia-scoping.md and dpia-scoping.html in the run's dpia folder."""
    from .. import reports
    from ..artifacts import write_json

    values = {
        "screening": screening,
        "spec": spec,
        "catalogue": catalogue,
        "decision": decision,
        "run_id": run_id,
        "generated_at": generated_at,
    }
    markdown = reports.render("dpia_scoping.md.j2", **values)
    (folder / "dpia-scoping.md").write_text(markdown, encoding="utf-8")
    (folder / "dpia-scoping.html").write_text(
        reports.markdown_to_html(markdown, f"DPIA scoping: {screening.force_name}"), encoding="utf-8"
    )
    write_json(folder / "screening.json", screening.as_dict())
    return {name: str(folder / name) for name in ("dpia-scoping.md", "dpia-scoping.html", "screening.json")}
