"""The force's tenant on the platform: its name, domains (the legacy site's old ones after) and branding,
and its services (after the DPO's sign-off: they are what the DPIA assessed)."""

from __future__ import annotations

from typing import Any

from .client import PlatformClient


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
