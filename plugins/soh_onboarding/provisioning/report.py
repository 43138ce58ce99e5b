"""The provisioning's record: provisioning.json and the report (Markdown and HTML) in the run's
provisioning folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .. import reports
from ..artifacts import write_json
from .publishing import Published
from .verification import Verification


@dataclass
class ProvisioningResult:
    tenant_id: str
    preview_url: str
    live_url: str | None
    state: str
    published: dict[str, Published]
    verification: Verification
    calls: dict[str, Any] = field(default_factory=dict)
    content_in: str = "the platform"
    """Where the pages and documents are held: the platform, or Optimizely CMS (config/platform.yaml)."""

    @property
    def ok(self) -> bool:
        return self.verification.ok

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def write_outputs(
    out: Any,
    spec_data: dict[str, Any],
    tenant: dict[str, Any],
    published: dict[str, Published],
    checked: Verification,
    content_in: str = "the platform",
) -> ProvisioningResult:
    """provisioning.json and the report (Markdown and HTML) in the run's provisioning folder."""
    result = ProvisioningResult(
        tenant_id=tenant["tenant_id"],
        preview_url=tenant["preview_url"],
        live_url=tenant["live_url"],
        state=tenant["state"],
        published=published,
        verification=checked,
        content_in=content_in,
    )
    write_json(out / "provisioning.json", result.as_dict())
    markdown = reports.render("provisioning_report.md.j2", spec=spec_data, result=result, tenant=tenant)
    (out / "provisioning-report.md").write_text(markdown, encoding="utf-8")
    title = f"Provisioning: {spec_data['force']['name']}"
    (out / "provisioning-report.html").write_text(reports.markdown_to_html(markdown, title), encoding="utf-8")
    return result
