"""The edge on Cloudflare, through Cloudflare's official Python library (`cloudflare`, generated from
Cloudflare's OpenAPI schema).

Per tenant, in one account:

- dns: the tenant's domains (and from the go-live switch the old domains) as proxied A/AAAA or CNAME
  records to the platform's ingress, in the zones the account holds for them;
- tls, hsts: the zones' `min_tls_version` and `security_header` settings;
- headers: one rule (ref `soh_<tenant>`) in each zone's `http_response_headers_transform` entrypoint that
  sets the security headers on every answer;
- query-redirects: one Single Redirect (ref `soh_<tenant>.redirect.<hash>`) in each old domain's zone's
  `http_request_dynamic_redirect` entrypoint per old URL with a query string, 301 to its new URL;
- gone: the retired old URLs answered 410 Gone with the removed-page HTML by custom rules (refs
  `soh_<tenant>.gone.<n>`, as many paths per rule as the expression limit allows) in each old domain's
  zone's `http_request_firewall_custom` entrypoint;
- redirects: a Bulk Redirect list `soh_<tenant>_redirects` with one 301 per other old URL, enabled by one
  rule (ref `soh_<tenant>`) in the account's `http_request_redirect` entrypoint.

Single Redirects and custom rules run before Bulk Redirects, so an old path with a query is matched before
the same path without one (as the platform matches them). What the plan's rule budget (config/edge.yaml's
`rules`) or a missing zone leaves over is the plan's `left`: the origin answers it.

Read, compare, write only what differs (model.Plan). Writes are not idempotent at Cloudflare (a create
whose answer was lost would be made twice, or refused as a duplicate), so `converge` re-reads after any
refused or uncertain write and plans again: a retry, a second run and a run resumed after a kill all end in
the same state with no duplicate record, rule or list item. The library retries 429 (waiting what
Retry-After says), 408, 409, 5xx and connection errors itself; list item writes are asynchronous bulk
operations (one pending per account), polled to the end.

The API token comes from the Airflow Connection `soh_edge` (glue) or the environment outside Airflow
(SOH_EDGE_TOKEN, SOH_EDGE_ACCOUNT_ID, SOH_EDGE_URL for another base URL, e.g. the sandbox's). It is only
in the library's Authorization header, never in a message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import cloudflare
import httpx

from ..environment import required
from ..provisioning.client import check_url
from .model import MANAGED, Change, Desired, EdgeError, OldUrl, Plan, Record, Redirect

log = logging.getLogger(__name__)

TOKEN_ENV, ACCOUNT_ENV, URL_ENV = "SOH_EDGE_TOKEN", "SOH_EDGE_ACCOUNT_ID", "SOH_EDGE_URL"
ITEMS_PAGE = 500
"""List items per page when reading a list (Cloudflare's most)."""
RECORDS_PAGE = 1000
ITEMS_PER_OPERATION = 5000
"""List items sent in one bulk operation (one request each; a large map is a few operations)."""
REDIRECT_PHASE, HEADERS_PHASE = "http_request_redirect", "http_response_headers_transform"
QUERY_PHASE, GONE_PHASE = "http_request_dynamic_redirect", "http_request_firewall_custom"
RULE_PHASES = {"headers": HEADERS_PHASE, "query-redirects": QUERY_PHASE, "gone": GONE_PHASE}
"""The zone entrypoints our rules live in, by plan section."""
POLL_SECONDS = (0.05, 0.2, 0.5, 1.0)
ROUNDS = 6
"""Plan-and-apply rounds before `converge` gives up (each round after the first follows a refused write)."""


@dataclass(frozen=True)
class EdgeCredentials:
    """Where the API is, the account, and the token (kept out of repr, so out of logs and tracebacks)."""

    account_id: str
    token: str = field(repr=False)
    base_url: str | None = None
    """None: Cloudflare's own API (https://api.cloudflare.com/client/v4)."""

    def __post_init__(self) -> None:
        if not self.token:
            raise EdgeError("the edge's API token is empty")
        if not self.account_id:
            raise EdgeError("the edge's account id is empty")
        if self.base_url:
            check_url(self.base_url)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> EdgeCredentials:
        env = os.environ if environ is None else environ
        given = required((TOKEN_ENV, ACCOUNT_ENV), "the edge's API", "soh_edge", EdgeError, env)
        return cls(given[ACCOUNT_ENV], given[TOKEN_ENV], env.get(URL_ENV) or None)


@dataclass
class Outcome:
    """What `converge` did: the plan it started from, the changes written, the rounds and refusals."""

    first: Plan
    written: list[Change] = field(default_factory=list)
    rounds: int = 0
    refused: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written)


class CloudflareEdge:
    """One account's edge, read and written through the official client."""

    def __init__(self, client: cloudflare.Cloudflare, account_id: str) -> None:
        self.client, self.account_id = client, account_id
        self._zones: dict[str, str | None] = {}

    @classmethod
    def connect(cls, credentials: EdgeCredentials, max_retries: int = 8, timeout: float = 30.0) -> CloudflareEdge:
        client = cloudflare.Cloudflare(
            api_token=credentials.token,
            base_url=credentials.base_url,
            max_retries=max_retries,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )
        return cls(client, credentials.account_id)

    def close(self) -> None:
        self.client.close()

    # --- reading --------------------------------------------------------------------------------------

    def zone_of(self, host: str) -> str:
        """The id of the account's zone for `host`: the longest zone name it ends with (each name asked once)."""
        labels = host.lower().rstrip(".").split(".")
        for start in range(len(labels) - 1):
            name = ".".join(labels[start:])
            if name not in self._zones:
                found = [zone.id for zone in self.client.zones.list(name=name, account={"id": self.account_id})]
                self._zones[name] = found[0] if found else None
            if self._zones[name]:
                return self._zones[name]
        raise EdgeError(
            f"the edge account holds no zone for {host}: add the zone to the account (or delegate it) first"
        )

    def _records_of(self, name: str) -> list[Any]:
        zone_id = self.zone_of(name)
        return [
            record
            for record in self.client.dns.records.list(zone_id=zone_id, name={"exact": name}, per_page=RECORDS_PAGE)
            if record.type in ("A", "AAAA", "CNAME")
        ]

    def _setting(self, host: str, setting_id: str) -> Any:
        return self.client.zones.settings.get(setting_id=setting_id, zone_id=self.zone_of(host)).value

    def _entrypoint(self, phase: str, **scope: str) -> dict[str, Any] | None:
        try:
            ruleset = self.client.rulesets.phases.get(phase, **scope)
        except cloudflare.NotFoundError:
            return None
        return _plain(ruleset)

    def _list(self, name: str) -> dict[str, Any] | None:
        for found in self.client.rules.lists.list(account_id=self.account_id):
            if found.name == name:
                return _plain(found)
        return None

    def _items(self, list_id: str) -> list[dict[str, Any]]:
        return [
            _plain(item)
            for item in self.client.rules.lists.items.list(list_id, account_id=self.account_id, per_page=ITEMS_PAGE)
        ]

    # --- planning -------------------------------------------------------------------------------------

    def plan(self, want: Desired) -> Plan:
        """Every change the edge needs for `want`, reading only (a dry run prints its lines)."""
        with _said():
            return self._plan(want)

    def _plan(self, want: Desired) -> Plan:
        plan = Plan()
        self._plan_dns(want, plan)
        self._plan_settings(want, plan)
        self._plan_headers(want, plan)
        self._plan_old_url_rules(want, plan)
        self._plan_redirects(want, plan)
        return plan

    def _plan_dns(self, want: Desired, plan: Plan) -> None:
        by_name: dict[str, list[Record]] = {}
        for record in want.records:
            by_name.setdefault(record.name, []).append(record)
        same = 0
        for name, records in by_name.items():
            have = self._records_of(name)
            wanted = {(r.type, r.content) for r in records}
            for record in have:
                if (record.type, record.content) not in wanted:
                    plan.changes.append(
                        Change("dns", "delete", f"{name} {record.type}", _record_text(record), target=record.id)
                    )
            held = {(r.type, r.content): r for r in have}
            for record in records:
                found = held.get((record.type, record.content))
                if found is None:
                    plan.changes.append(
                        Change(
                            "dns", "create", f"{name} {record.type}", after=_wanted_text(record), target=(record, None)
                        )
                    )
                elif not found.proxied or (found.comment or "") != MANAGED:
                    before = _record_text(found)
                    plan.changes.append(
                        Change(
                            "dns", "update", f"{name} {record.type}", before, _wanted_text(record), (record, found.id)
                        )
                    )
                else:
                    same += 1
        plan.unchanged["dns"] = same

    def _plan_settings(self, want: Desired, plan: Plan) -> None:
        hsts = want.hsts
        for section, setting_id, value in (
            ("tls", "min_tls_version", want.min_tls_version),
            ("hsts", "security_header", {"strict_transport_security": hsts}),
        ):
            same = 0
            for zone_host in self._zone_hosts(want):
                have = _plain(self._setting(zone_host, setting_id))
                if setting_id == "security_header":
                    have = {"strict_transport_security": _plain((have or {}).get("strict_transport_security"))}
                    have["strict_transport_security"] = {
                        key: (have["strict_transport_security"] or {}).get(key) for key in hsts
                    }
                if have != value:
                    plan.changes.append(Change(section, "update", zone_host, have, value))
                else:
                    same += 1
            plan.unchanged[section] = same

    def _zone_hosts(self, want: Desired) -> list[str]:
        """One host per zone of the tenant's own domains (its settings are per zone)."""
        seen: dict[str, str] = {}
        for host in want.zones_of_headers:
            seen.setdefault(self.zone_of(host), host)
        return list(seen.values())

    def _header_rule(self, want: Desired) -> dict[str, Any]:
        headers = {name: {"operation": "set", "value": value} for name, value in want.response_headers.items()}
        return {
            "ref": want.rule_ref,
            "description": f"SOH tenant {want.tenant_id}: security headers",
            "expression": "true",
            "action": "rewrite",
            "action_parameters": {"headers": headers},
            "enabled": True,
        }

    def _redirect_rule(self, want: Desired) -> dict[str, Any]:
        return {
            "ref": want.rule_ref,
            "description": f"SOH tenant {want.tenant_id}: the legacy site's old URLs",
            "expression": f"http.request.full_uri in ${want.list_name}",
            "action": "redirect",
            "action_parameters": {"from_list": {"name": want.list_name, "key": "http.request.full_uri"}},
            "enabled": True,
        }

    def _plan_rule(self, plan: Plan, section: str, key: str, entry: dict | None, rule: dict, scope: dict) -> None:
        found = next((r for r in (entry or {}).get("rules") or [] if r.get("ref") == rule["ref"]), None)
        if found is None:
            plan.changes.append(
                Change(section, "create", key, after=_rule_text(rule), target=(rule, entry and entry["id"], scope))
            )
        elif any(_plain(found.get(name)) != value for name, value in rule.items()):
            before = _rule_text(found) + ("" if found.get("enabled", True) else " (disabled)")
            plan.changes.append(
                Change(section, "update", key, before, _rule_text(rule), (rule, entry["id"], scope, found["id"]))
            )
        else:
            plan.unchanged[section] = plan.unchanged.get(section, 0) + 1

    def _plan_headers(self, want: Desired, plan: Plan) -> None:
        rule = self._header_rule(want)
        plan.unchanged.setdefault("headers", 0)
        for host in self._zone_hosts(want):
            scope = {"zone_id": self.zone_of(host)}
            self._plan_rule(
                plan, "headers", f"{host} rule {want.rule_ref}", self._entrypoint(HEADERS_PHASE, **scope), rule, scope
            )

    def _plan_old_url_rules(self, want: Desired, plan: Plan) -> None:
        """The old URLs the Bulk Redirect list cannot hold, as rules in each old domain's zone: a Single
        Redirect per old URL with a query, the 410s in as few custom rules as the expression limit allows.
        Rules of ours no longer wanted are deleted (before the creates, so a full budget is freed first)."""
        plan.unchanged.setdefault("query-redirects", 0)
        plan.unchanged.setdefault("gone", 0)
        zones: dict[str, list[str]] = {}
        for host in want.old_hosts:
            try:
                zones.setdefault(self.zone_of(host), []).append(host)
            except EdgeError:
                if want.by_rule:
                    plan.left.append(
                        f"{len(want.by_rule)} old URLs on {host} (410s and URLs with a query): the edge account "
                        f"holds no zone for {host} yet, so the origin answers them; a run after the zone is "
                        "added puts them at the edge"
                    )
        limits = want.limits
        for zone_id, hosts in zones.items():
            scope = {"zone_id": zone_id}
            for section, phase, limit, make in (
                ("query-redirects", QUERY_PHASE, limits.single_redirects, _query_rules),
                ("gone", GONE_PHASE, limits.custom_rules, _gone_rules),
            ):
                entry = self._entrypoint(phase, **scope)
                prefix = f"{want.rule_ref}.{'redirect' if section == 'query-redirects' else 'gone'}."
                rules = (entry or {}).get("rules") or []
                foreign = sum(1 for rule in rules if not str(rule.get("ref", "")).startswith(prefix))
                wanted, left = make(want, hosts, max(limit - foreign, 0), limits.expression_chars)
                plan.left.extend(left)
                refs = {rule["ref"] for rule in wanted}
                for rule in rules:
                    if str(rule.get("ref", "")).startswith(prefix) and rule["ref"] not in refs:
                        key = f"{hosts[0]} rule {rule['ref']}"
                        plan.changes.append(
                            Change(section, "delete", key, _rule_text(rule), target=(entry["id"], scope, rule["id"]))
                        )
                for rule in wanted:
                    self._plan_rule(plan, section, f"{hosts[0]} rule {rule['ref']}", entry, rule, scope)

    def _plan_redirects(self, want: Desired, plan: Plan) -> None:
        found = self._list(want.list_name)
        wanted = {item.source_url: item for item in want.redirects}
        same = 0
        if found is None:
            plan.changes.append(Change("redirects", "create", f"list {want.list_name}", after=want.list_name))
            plan.changes.extend(_redirect_change(wanted[s]) for s in sorted(wanted))
        else:
            held: dict[str, dict[str, Any]] = {}
            for item in self._items(found["id"]):
                redirect = item.get("redirect") or {}
                source = redirect.get("source_url", "")
                target = Redirect(source, redirect.get("target_url", ""), int(redirect.get("status_code") or 301))
                if source in held or wanted.get(source) != target:
                    plan.changes.append(
                        Change("redirects", "delete", source, _redirect_text(target), target=item["id"])
                    )
                    continue
                held[source] = item
            for source in sorted(wanted):
                if source in held:
                    same += 1
                else:
                    plan.changes.append(_redirect_change(wanted[source]))
        plan.unchanged["redirects"] = same
        scope = {"account_id": self.account_id}
        entry = self._entrypoint(REDIRECT_PHASE, **scope)
        self._plan_rule(plan, "redirect-rule", f"account rule {want.rule_ref}", entry, self._redirect_rule(want), scope)

    # --- writing --------------------------------------------------------------------------------------

    def apply(self, want: Desired, plan: Plan, progress: Callable[[str], None] = log.info) -> list[Change]:
        """Write `plan`'s changes in the order of model.SECTIONS (the Bulk Redirect Rule after its list,
        which it names); returns what was written. A refusal raises after the writes before it (converge
        re-plans from there)."""
        written: list[Change] = []
        for change in plan.changes:
            if change.section == "dns":
                self._write_record(change)
            elif change.section in ("tls", "hsts"):
                setting_id = "min_tls_version" if change.section == "tls" else "security_header"
                self.client.zones.settings.edit(
                    setting_id=setting_id, zone_id=self.zone_of(change.key), value=change.after
                )
            elif change.section in RULE_PHASES:
                self._write_rule(change, RULE_PHASES[change.section])
            else:
                continue
            written.append(change)
        if plan.of("redirects"):
            written.extend(self._write_items(want, plan.of("redirects"), progress))
        for change in plan.of("redirect-rule"):
            self._write_rule(change, REDIRECT_PHASE)
            written.append(change)
        return written

    def _write_record(self, change: Change) -> None:
        if change.action == "delete":
            self.client.dns.records.delete(change.target, zone_id=self.zone_of(change.key.split()[0]))
            return
        record, record_id = change.target
        body = {"name": record.name, "type": record.type, "content": record.content, "proxied": True}
        body |= {"ttl": 1, "comment": MANAGED}
        zone_id = self.zone_of(record.name)
        if record_id is None:
            self.client.dns.records.create(zone_id=zone_id, **body)
        else:
            self.client.dns.records.edit(record_id, zone_id=zone_id, **body)

    def _write_rule(self, change: Change, phase: str) -> None:
        if change.action == "delete":
            ruleset_id, scope, rule_id = change.target
            self.client.rulesets.rules.delete(rule_id, ruleset_id=ruleset_id, **scope)
        elif change.action == "create":
            rule, ruleset_id, scope = change.target
            if ruleset_id is None:
                entry = self._entrypoint(phase, **scope)
                if entry is None:
                    self.client.rulesets.phases.update(phase, rules=[rule], **scope)
                    return
                ruleset_id = entry["id"]
            self.client.rulesets.rules.create(ruleset_id, **rule, **scope)
        else:
            rule, ruleset_id, scope, rule_id = change.target
            self.client.rulesets.rules.edit(rule_id, ruleset_id=ruleset_id, **rule, **scope)

    def _write_items(self, want: Desired, changes: list[Change], progress: Callable[[str], None]) -> list[Change]:
        written: list[Change] = []
        list_change = next((c for c in changes if c.key == f"list {want.list_name}"), None)
        if list_change is not None:
            self.client.rules.lists.create(
                account_id=self.account_id,
                kind="redirect",
                name=want.list_name,
                description=f"SOH tenant {want.tenant_id}: the legacy site's old URLs",
            )
            written.append(list_change)
        found = self._list(want.list_name)
        if found is None:
            raise EdgeError(f"the Bulk Redirect list {want.list_name} was created but cannot be found")
        deletes = [c for c in changes if c.action == "delete"]
        creates = [c for c in changes if c.action == "create" and c is not list_change]
        for start in range(0, len(deletes), ITEMS_PER_OPERATION):
            chunk = deletes[start : start + ITEMS_PER_OPERATION]
            operation = self.client.rules.lists.items.delete(
                found["id"], account_id=self.account_id, items=[{"id": c.target} for c in chunk]
            )
            self._wait(operation.operation_id)
            written.extend(chunk)
            progress(f"edge: removed {len(written)} of {len(deletes)} redirects that differ")
        done = 0
        for start in range(0, len(creates), ITEMS_PER_OPERATION):
            chunk = creates[start : start + ITEMS_PER_OPERATION]
            body = [{"redirect": _redirect_body(c.target), "comment": MANAGED} for c in chunk]
            operation = self.client.rules.lists.items.create(found["id"], account_id=self.account_id, body=body)
            self._wait(operation.operation_id)
            written.extend(chunk)
            done += len(chunk)
            progress(f"edge: sent {done} of {len(creates)} redirects")
        return written

    def _wait(self, operation_id: str) -> None:
        """Poll a bulk operation until it completes; a failed one raises EdgeError with Cloudflare's reason."""
        for attempt in range(600):
            status = self.client.rules.lists.bulk_operations.get(operation_id, account_id=self.account_id)
            if status.status == "completed":
                return
            if status.status == "failed":
                raise EdgeError(f"the edge refused a list update: {getattr(status, 'error', 'no reason given')}")
            time.sleep(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)])
        raise EdgeError(f"the edge's bulk operation {operation_id} did not finish")

    # --- the way back -----------------------------------------------------------------------------------

    def records_at(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The A, AAAA and CNAME records at each name, as plain data (_record_state): what the go-live switch
        replaces, kept before it (edge/run.py's edge-before-switch.json) so a rollback puts them back exactly."""
        with _said():
            return {
                name: sorted(
                    (_record_state(r) for r in self._records_of(name)), key=lambda i: (i["type"], i["content"])
                )
                for name in names
            }

    def restore_records(self, wanted: dict[str, list[dict[str, Any]]]) -> list[Change]:
        """Make the records at each name exactly `wanted` (records_at's form): ours deleted, the force's put
        back with their own proxying, TTL and comment. Re-read after a refused write (a create whose answer
        was lost is refused as identical), so a retry and a second run end the same, the second writing nothing."""
        with _said():
            written: list[Change] = []
            for _round in range(ROUNDS):
                changes = self._restore_plan(wanted)
                if not changes:
                    return written
                try:
                    for change in changes:
                        self._restore_write(change)
                        written.append(change)
                except (cloudflare.BadRequestError, cloudflare.ConflictError) as refusal:
                    log.info("edge: a write was refused (%s); reading the edge again", _reason(refusal))
            raise EdgeError(f"the old domains' records still differ after {ROUNDS} rounds")

    def _restore_plan(self, wanted: dict[str, list[dict[str, Any]]]) -> list[Change]:
        changes: list[Change] = []
        for name, records in wanted.items():
            missing = [dict(item) for item in records]
            for record in self._records_of(name):
                if _record_state(record) in missing:
                    missing.remove(_record_state(record))  # kept as it is
                else:
                    changes.append(
                        Change("dns", "delete", f"{name} {record.type}", _record_text(record), target=record.id)
                    )
            changes.extend(
                Change("dns", "create", f"{name} {i['type']}", after=f"{i['type']} {i['content']}", target=(name, i))
                for i in missing
            )
        return changes

    def _restore_write(self, change: Change) -> None:
        if change.action == "delete":
            self._write_record(change)
            return
        name, item = change.target
        body = {key: value for key, value in item.items() if value or key == "proxied"}  # no empty comment
        self.client.dns.records.create(zone_id=self.zone_of(name), name=name, **body)

    # --- both -----------------------------------------------------------------------------------------

    def converge(self, want: Desired, progress: Callable[[str], None] = log.info) -> Outcome:
        """Plan, write, and plan again until nothing differs: what a refused or uncertain write left (a
        duplicate refused after a lost answer, a list operation that failed) is re-read, never assumed."""
        with _said():
            return self._converge(want, progress)

    def _converge(self, want: Desired, progress: Callable[[str], None]) -> Outcome:
        first = self._plan(want)
        outcome = Outcome(first)
        plan = first
        for round_ in range(1, ROUNDS + 1):
            outcome.rounds = round_
            if not plan.changes:
                return outcome
            try:
                outcome.written.extend(self.apply(want, plan, progress))
            except (cloudflare.BadRequestError, cloudflare.ConflictError, EdgeError) as refusal:
                outcome.refused.append(_reason(refusal))
                progress(f"edge: a write was refused ({_reason(refusal)}); reading the edge again")
            plan = self._plan(want)
        if plan.changes:
            raise EdgeError(
                f"the edge still differs after {ROUNDS} rounds ({len(plan.changes)} changes); last refusal: "
                f"{outcome.refused[-1] if outcome.refused else 'none'}"
            )
        return outcome


@contextmanager
def _said() -> Iterator[None]:
    """The library's errors a person can act on, as EdgeErrors that say what to do (never the token)."""
    try:
        yield
    except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as refusal:
        raise EdgeError(
            f"the edge refused the API token ({refusal.status_code}: {_reason(refusal)}): check the token in the "
            f"Connection soh_edge (or {TOKEN_ENV}) and its permissions (docs/provisioning.md#the-edge)"
        ) from None
    except cloudflare.APIConnectionError as failure:
        raise EdgeError(f"cannot reach the edge's API ({failure.request.url.host}): {failure}") from None
    except cloudflare.APIStatusError as refusal:
        raise EdgeError(f"the edge answered {refusal.status_code}: {_reason(refusal)}") from None


def _plain(value: Any) -> Any:
    """A library model (or a dict, when the library could not type an answer) as plain data."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _redirect_text(redirect: Redirect) -> str:
    return f"{redirect.status_code} to {redirect.target_url}"


def _redirect_change(redirect: Redirect) -> Change:
    return Change("redirects", "create", redirect.source_url, after=_redirect_text(redirect), target=redirect)


def _wanted_text(record: Record) -> str:
    return f"{record.type} {record.content} (proxied)"


def _rule_text(rule: dict[str, Any]) -> str:
    """A rule as the diff shows it: its expression, and the list it enables, where it redirects, the
    status it answers or the headers it sets."""
    parameters = rule.get("action_parameters") or {}
    what = (
        (parameters.get("from_list") or {}).get("name")
        or ((parameters.get("from_value") or {}).get("target_url") or {}).get("value")
        or ((parameters.get("response") or {}).get("status_code"))
        or ", ".join(parameters.get("headers", {}))
    )
    expression = rule.get("expression", "")
    if len(expression) > 200:
        expression = expression[:200] + f"… ({len(expression)} characters)"
    return f"{rule.get('action')} when {expression}: {what}"


def _quoted(text: str) -> str:
    """A string in the Rules language: double quotes, with backslash and quote escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hosts(hosts: list[str]) -> str:
    return "http.host in {" + " ".join(_quoted(host) for host in hosts) + "}"


def _query_rules(want: Desired, hosts: list[str], budget: int, most_chars: int) -> tuple[list[dict], list[str]]:
    """One Single Redirect per old URL with a query (its path and its whole query matched), up to `budget`;
    the rest with why."""
    rules: list[dict[str, Any]] = []
    left: list[str] = []
    for url in (url for url in want.by_rule if url.target_url):
        path, _, query = url.from_path.partition("?")
        expression = f"{_hosts(hosts)} and http.request.uri.path eq {_quoted(path)}"
        expression += f" and http.request.uri.query eq {_quoted(query)}"
        if len(expression) > most_chars:
            left.append(
                f"{url.from_path}: too long for a rule expression ({most_chars} characters); the origin redirects it"
            )
        elif len(rules) >= budget:
            left.append(
                f"{url.from_path} on {', '.join(hosts)}: the zone's Single Redirect rules are spent "
                f"(config/edge.yaml rules.single_redirects: {want.limits.single_redirects}); the origin redirects it"
            )
        else:
            digest = hashlib.sha256(url.from_path.encode("utf-8")).hexdigest()[:12]
            rules.append(
                {
                    "ref": f"{want.rule_ref}.redirect.{digest}",
                    "description": f"SOH tenant {want.tenant_id}: old URL {url.from_path}"[:500],
                    "expression": expression,
                    "action": "redirect",
                    "action_parameters": {
                        "from_value": {
                            "status_code": 301,
                            "target_url": {"value": url.target_url},
                            "preserve_query_string": False,
                        }
                    },
                    "enabled": True,
                }
            )
    return rules, left


def _gone_rules(want: Desired, hosts: list[str], budget: int, most_chars: int) -> tuple[list[dict], list[str]]:
    """The retired old URLs as few custom rules as fit: the paths in `http.request.uri.path in {...}`, those
    with a query in `http.request.uri in {...}`, each expression within `most_chars`; each rule answers 410
    with the removed-page HTML. Over `budget` rules, the rest with why."""
    gone: list[OldUrl] = [url for url in want.by_rule if url.target_url is None]
    head = f"{_hosts(hosts)} and "
    groups: list[tuple[str, list[str]]] = []
    left: list[str] = []
    for field_name, urls in (
        ("http.request.uri.path", [u.from_path for u in gone if "?" not in u.from_path]),
        ("http.request.uri", [u.from_path for u in gone if "?" in u.from_path]),
    ):
        chunk: list[str] = []
        for url in urls:
            fits = len(head) + len(field_name) + len(" in {}") + sum(len(_quoted(v)) + 1 for v in [*chunk, url])
            if fits <= most_chars:
                chunk.append(url)
                continue
            if chunk:
                groups.append((field_name, chunk))
            chunk = [url]
            if len(head) + len(field_name) + len(" in {}") + len(_quoted(url)) > most_chars:
                left.append(f"{url}: too long for a rule expression ({most_chars} characters); the origin answers 410")
                chunk = []
        if chunk:
            groups.append((field_name, chunk))
    rules: list[dict[str, Any]] = []
    for number, (field_name, urls) in enumerate(groups, start=1):
        if len(rules) >= budget:
            left.extend(
                f"{url} on {', '.join(hosts)}: the zone's custom rules are spent (config/edge.yaml "
                f"rules.custom_rules: {want.limits.custom_rules}); the origin answers 410"
                for url in urls
            )
            continue
        rules.append(
            {
                "ref": f"{want.rule_ref}.gone.{number}",
                "description": f"SOH tenant {want.tenant_id}: {len(urls)} retired old URLs, 410 Gone",
                "expression": head + f"{field_name} in {{" + " ".join(_quoted(url) for url in urls) + "}",
                "action": "block",
                "action_parameters": {
                    "response": {"status_code": 410, "content_type": "text/html", "content": want.gone_page}
                },
                "enabled": True,
            }
        )
    return rules, left


def _record_state(record: Any) -> dict[str, Any]:
    """A record as a rollback keeps and compares it: what the switch may change and must put back."""
    return {
        "type": record.type,
        "content": record.content,
        "proxied": bool(record.proxied),
        "ttl": int(record.ttl or 1),
        "comment": record.comment or "",
    }


def _record_text(record: Any) -> str:
    return f"{record.type} {record.content} (proxied: {bool(record.proxied)}; {record.comment or 'not ours'})"


def _redirect_body(redirect: Redirect) -> dict[str, Any]:
    return {
        "source_url": redirect.source_url,
        "target_url": redirect.target_url,
        "status_code": redirect.status_code,
        "preserve_query_string": False,
        "subpath_matching": False,
        "include_subdomains": False,
        "preserve_path_suffix": False,
    }


def _reason(error: Exception) -> str:
    """Cloudflare's error codes and messages (its body holds no secret: the token is in a header)."""
    body = getattr(error, "body", None)
    if isinstance(body, dict) and body.get("errors"):
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in body["errors"] if isinstance(e, dict))
    return str(error)
