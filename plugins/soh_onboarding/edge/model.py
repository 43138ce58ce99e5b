"""What a force's tenant needs at the edge, whichever vendor runs it, and the changes that get it there.

The edge is where the platform's public face lives: the DNS records of the tenant's domains (and, from the
go-live switch on, of the legacy site's old domains), the old URLs' redirects, the minimum TLS version, HSTS
and the security headers. `desired(...)` says what that should be, from the spec, the migration's redirect
map and config/edge.yaml; an adapter (edge/cloudflare.py) reads what the edge holds, compares, and writes
only the `Change`s that differ, so a re-run changes nothing and a run killed half-way resumes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .. import reports
from ..project import CONFIG_DIR

CONFIG = CONFIG_DIR / "edge.yaml"
MANAGED = "managed by the SOH onboarding orchestrator"
"""The comment on every DNS record the orchestrator writes: records without it are the force's, never
changed unless they stand where one of ours must go (then the plan says it replaces them)."""

SECTIONS = ("dns", "tls", "hsts", "headers", "query-redirects", "gone", "redirects", "redirect-rule")
"""The parts of the edge, in the order they are applied (the Bulk Redirects last, the rule that enables
their list after the list)."""


class EdgeError(Exception):
    """The edge cannot be brought to what the tenant needs (a zone the account lacks, a refusal)."""


class Record(NamedTuple):
    """A DNS record: A/AAAA to the platform's ingress addresses, or a CNAME to its ingress name. Always
    proxied: the edge answers for it, so its redirects, TLS settings and headers apply."""

    name: str
    type: str
    content: str


@dataclass(frozen=True)
class Redirect:
    """One old URL's redirect at the edge: source without scheme (host and path, as Bulk Redirects match)."""

    source_url: str
    target_url: str
    status_code: int = 301


@dataclass(frozen=True)
class OldUrl:
    """An old URL a zone rule answers (not the Bulk Redirect list, which matches no query and only
    redirects): a path with its query, 301 to `target_url` (a Single Redirect), or 410 Gone when the target
    is None (a custom rule)."""

    from_path: str
    target_url: str | None


@dataclass(frozen=True)
class RuleLimits:
    """What the account's plan allows in each old domain's zone (config/edge.yaml's `rules`)."""

    single_redirects: int
    """Rules in the zone's http_request_dynamic_redirect phase: one per old URL with a query."""
    custom_rules: int
    """Rules in the zone's http_request_firewall_custom phase: the 410s, many old paths per rule."""
    expression_chars: int
    """The longest rule expression the plan accepts."""


@dataclass(frozen=True)
class EdgeSettings:
    """config/edge.yaml: what every tenant gets at the edge."""

    min_tls_version: str
    hsts: dict[str, Any]
    """The zone setting security_header's strict_transport_security, as Cloudflare takes it."""
    response_headers: dict[str, str]
    ingress_addresses: tuple[str, ...]
    ingress_cname: str | None
    limits: RuleLimits

    @classmethod
    def load(cls, path: Path | None = None) -> EdgeSettings:
        """config/edge.yaml, and where the domains point from config/go-live.yaml's ingress: the addresses
        (or the first CNAME target) the go-live checks expect every domain to resolve to."""
        from ..golive import settings as golive_settings

        data = yaml.safe_load((path or CONFIG).read_text(encoding="utf-8"))
        hsts, rules = data["hsts"], data["rules"]
        try:
            ingress = golive_settings.load()
        except golive_settings.SettingsError as error:
            raise EdgeError(f"where the domains point is config/go-live.yaml's ingress: {error}") from None
        return cls(
            min_tls_version=str(data["min_tls_version"]),
            hsts={
                "enabled": True,
                "max_age": int(hsts["max_age"]),
                "include_subdomains": bool(hsts["include_subdomains"]),
                "preload": bool(hsts["preload"]),
                "nosniff": True,
            },
            response_headers={str(k): str(v) for k, v in data["response_headers"].items()},
            ingress_addresses=ingress.ingress_addresses,
            ingress_cname=ingress.cname_targets[0] if ingress.cname_targets else None,
            limits=RuleLimits(
                int(rules["single_redirects"]), int(rules["custom_rules"]), int(rules["expression_chars"])
            ),
        )


@dataclass(frozen=True)
class Desired:
    """What one tenant needs at the edge."""

    tenant_id: str
    records: tuple[Record, ...]
    redirects: tuple[Redirect, ...]
    min_tls_version: str
    hsts: dict[str, Any]
    response_headers: dict[str, str]
    zones_of_headers: tuple[str, ...]
    """The host names whose zones carry the tenant's TLS, HSTS and header settings (its own domains)."""
    not_at_edge: tuple[str, ...] = ()
    """Redirect-map rows the edge cannot hold, each with why (they stay with the origin)."""
    old_hosts: tuple[str, ...] = ()
    """The legacy site's old domains, whose zones carry the rules of `by_rule`."""
    by_rule: tuple[OldUrl, ...] = ()
    gone_page: str = ""
    """The HTML of the 410 answer (templates/edge_gone.html.j2: the page is removed, the force's new home)."""
    limits: RuleLimits = RuleLimits(0, 0, 4096)

    @property
    def list_name(self) -> str:
        """The tenant's Bulk Redirect list: lowercase letters, digits and underscores, at most 50."""
        return ("soh_" + re.sub(r"[^a-z0-9]+", "_", self.tenant_id.lower()) + "_redirects")[:50]

    @property
    def rule_ref(self) -> str:
        """The `ref` of the tenant's rules (the Bulk Redirect Rule, the header transform), so a re-run finds
        its own rule among other tenants'."""
        return "soh_" + re.sub(r"[^a-z0-9]+", "_", self.tenant_id.lower())


def _records(names: Iterable[str], settings: EdgeSettings) -> list[Record]:
    records = []
    for name in names:
        if settings.ingress_cname:
            records.append(Record(name, "CNAME", settings.ingress_cname))
        else:
            records.extend(
                Record(name, "AAAA" if ":" in address else "A", address) for address in settings.ingress_addresses
            )
    return records


def old_domains(spec_data: dict[str, Any]) -> tuple[str, ...]:
    """The legacy site's old domains the edge redirects from (go_live.old_domains, not the tenant's own)."""
    own = {name.lower() for name in spec_data["tenant"]["domains"]}
    names = (name.lower() for name in spec_data.get("go_live", {}).get("old_domains", []))
    return tuple(dict.fromkeys(name for name in names if name not in own))


def target_url(primary: str, to_path: str) -> str:
    """A redirect's target as the edge sends it: a path on the tenant's primary domain, or a URL off the
    site (a national destination, an archived copy) as it is."""
    return to_path if to_path.startswith(("https://", "http://")) else f"https://{primary}{to_path}"


def split(
    redirects: Iterable[dict[str, Any]], old_domains: Iterable[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The redirect map's rows (provisioning/items.read_redirects) as the edge holds them: those in the Bulk
    Redirect list (a plain old path to a new one) and those it answers by a zone rule (an old path with a
    query string: a Single Redirect; a retired page: 410 Gone from a custom rule). The platform keeps the
    second kind too, for whatever the zones' rule budget leaves over. With no old domain the edge holds none.

    Single Redirects and custom rules run before Bulk Redirects (Cloudflare's phase order), so a path the map
    has with and without a query (/newsitem.aspx?id=22 and /newsitem.aspx) is told apart as the platform
    tells it: the path and query first, then the path alone."""
    rows = list(redirects)
    if not list(old_domains):
        return [], rows
    bulk = [row for row in rows if row["to_path"] is not None and "?" not in row["from_path"]]
    by_rule = [row for row in rows if row["to_path"] is None or "?" in row["from_path"]]
    return bulk, by_rule


def desired(
    spec_data: dict[str, Any],
    redirects: Iterable[dict[str, Any]],
    settings: EdgeSettings,
    live: bool,
) -> Desired:
    """The tenant's edge from its spec and the platform's redirects (provisioning/items.read_redirects: an
    old path and query, a new path or None for 410 Gone). Before go-live only the tenant's own domains point
    at the platform; `live` adds the legacy site's old domains (the switch). The old URLs are answered on
    the old domains with a 301 to the new URL on the primary domain (or off the site: `target_url`), or a
    410 Gone, from the Bulk Redirect list and the zone rules (`split`)."""
    tenant = spec_data["tenant"]
    domains = [name.lower() for name in tenant["domains"]]
    old = list(old_domains(spec_data))
    primary = domains[0]
    rows = list(redirects)
    bulk, by_rule = split(rows, old)
    items = [Redirect(f"{host}{row['from_path']}", target_url(primary, row["to_path"])) for row in bulk for host in old]
    # A 410 that offers a suggested page is the platform's alone: a custom rule's page is one for all its URLs.
    ruled = [
        OldUrl(row["from_path"], target_url(primary, row["to_path"]) if row["to_path"] else None)
        for row in by_rule
        if row["to_path"] or not row.get("suggested_path")
    ]
    left = [] if old else [f"{row['from_path']}: no old domain: the origin answers it" for row in rows]
    return Desired(
        tenant_id=tenant["tenant_id"],
        records=tuple(_records(domains + (old if live else []), settings)),
        redirects=tuple(sorted(set(items), key=lambda item: item.source_url)),
        min_tls_version=settings.min_tls_version,
        hsts=settings.hsts,
        response_headers=dict(settings.response_headers),
        zones_of_headers=tuple(domains),
        not_at_edge=tuple(left),
        old_hosts=tuple(old),
        by_rule=tuple(sorted(set(ruled), key=lambda url: url.from_path)),
        gone_page=reports.render("edge_gone.html.j2", force=spec_data["force"]["name"], home_url=f"https://{primary}/"),
        limits=settings.limits,
    )


@dataclass(frozen=True)
class Change:
    """One write the edge needs: what, where, and from what to what (for the dry run's diff)."""

    section: str
    action: str
    """create, update or delete."""
    key: str
    before: Any = None
    after: Any = None
    target: Any = None
    """What the write needs that the diff does not show (ids, the rule to send)."""

    def line(self) -> str:
        sign = {"create": "+", "delete": "-", "update": "~"}[self.action]
        if self.action == "update":
            return f"{sign} {self.section} {self.key}: {_text(self.before)} -> {_text(self.after)}"
        return f"{sign} {self.section} {self.key}: {_text(self.after if self.action == 'create' else self.before)}"


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items())
    return str(value)


@dataclass
class Plan:
    """The changes one tenant's edge needs, section by section, and what already matched."""

    changes: list[Change] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)
    """Old URLs the edge's zones cannot take (no zone yet, the plan's rule budget spent), each with why:
    the origin answers them."""

    def of(self, section: str) -> list[Change]:
        return [change for change in self.changes if change.section == section]

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for change in self.changes:
            counts.setdefault(change.section, {}).setdefault(change.action, 0)
            counts[change.section][change.action] += 1
        return counts

    def lines(self, most: int = 50) -> list[str]:
        """The diff a dry run prints: every change, up to `most` per section, then how many more."""
        out = []
        for section in SECTIONS:
            changes = self.of(section)
            out.extend(change.line() for change in changes[:most])
            if len(changes) > most:
                out.append(f"  ... and {len(changes) - most} more {section} changes")
        return out or ["nothing to change: the edge already matches"]
