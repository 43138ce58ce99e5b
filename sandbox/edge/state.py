"""The sandbox edge's state: one Cloudflare account with its zones, DNS records, zone settings, rulesets and
Bulk Redirect lists, held in memory behind one lock (and saved to a JSON file when given one, so that
`bin/run` keeps it across restarts).

Errors are `CloudflareError`s carrying the HTTP status and Cloudflare's error code, which the API turns into
Cloudflare's envelope (`{"success": false, "errors": [{"code", "message"}], ...}`).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..platform.store import Stats
from .expressions import ExpressionError, compile_expression, request_fields

SETTINGS_DEFAULTS: dict[str, Any] = {
    "min_tls_version": "1.0",
    "ssl": "full",
    "always_use_https": "off",
    "security_header": {
        "strict_transport_security": {
            "enabled": False,
            "max_age": 0,
            "include_subdomains": False,
            "preload": False,
            "nosniff": False,
        }
    },
}
"""The zone settings the sandbox knows, with the values a new zone has (Cloudflare's defaults)."""

TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
PHASES = {
    "http_request_redirect": "root",
    "http_response_headers_transform": "zone",
    "http_request_dynamic_redirect": "zone",
    "http_request_firewall_custom": "zone",
}
"""The ruleset phases the sandbox runs: Bulk Redirects at the account (kind root); at the zone, response
header transforms, Single Redirects and WAF custom rules."""
ACTIONS = {
    "http_request_redirect": "redirect",
    "http_response_headers_transform": "rewrite",
    "http_request_dynamic_redirect": "redirect",
    "http_request_firewall_custom": "block",
}
"""The action the sandbox runs in each phase (Cloudflare has more in some: they are refused here)."""
RULE_LIMITS = {"http_request_dynamic_redirect": 10, "http_request_firewall_custom": 20}
"""Rules per zone entrypoint the sandbox's plan allows (a plan's quota; config/edge.yaml's `rules`)."""
EXPRESSION_CHARS = 4096
BLOCK_CONTENT_TYPES = ("text/html", "text/plain", "application/json", "text/xml")

RECORD_TYPES = ("A", "AAAA", "CNAME", "TXT")
LIST_KINDS = ("redirect", "ip", "hostname", "asn")
OPERATION_SECONDS = 0.2
"""How long a bulk operation on list items stays pending, then running, before it ends."""


class CloudflareError(Exception):
    """What Cloudflare answers a refused request with: an HTTP status and its own error code."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    """Cloudflare's identifiers: 32 hexadecimal characters."""
    return secrets.token_hex(16)


def empty(account_id: str) -> dict[str, Any]:
    """An account's state with nothing in it yet (what the state file holds, as JSON)."""
    state: dict[str, Any] = {"account": {"id": account_id, "name": "Single Online Home"}}
    return state | {key: {} for key in ("zones", "records", "settings", "rulesets", "lists", "items", "operations")}


class EdgeState:
    """An account's edge configuration. Every method takes the lock: the API serves requests in threads."""

    def __init__(
        self,
        account_id: str,
        zones: list[str],
        path: Path | None = None,
        operation_seconds: float = OPERATION_SECONDS,
        rule_limits: dict[str, int] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.rule_limits = RULE_LIMITS | (rule_limits or {})
        self.operation_seconds = operation_seconds
        self.path = path
        self.stats = Stats()
        if path is not None and path.exists():
            self.data = json.loads(path.read_text(encoding="utf-8"))
        else:
            self.data = empty(account_id)
        for name in zones:
            self.add_zone(name)

    # --- persistence -----------------------------------------------------------------------------------

    def save(self) -> None:
        if self.path is not None:
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.data), encoding="utf-8")
            temporary.replace(self.path)

    @property
    def account_id(self) -> str:
        return self.data["account"]["id"]

    def check_account(self, account_id: str) -> None:
        if account_id != self.account_id:
            raise CloudflareError(403, 10000, "Authentication error")

    # --- zones -----------------------------------------------------------------------------------------

    def add_zone(self, name: str) -> dict[str, Any]:
        """A zone the account holds (the sandbox is given them; a real account adds them in the dashboard)."""
        with self.lock:
            for zone in self.data["zones"].values():
                if zone["name"] == name:
                    return zone
            stamp = now()
            zone = {
                "id": new_id(),
                "name": name,
                "status": "active",
                "paused": False,
                "type": "full",
                "development_mode": 0,
                "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
                "original_name_servers": [],
                "account": dict(self.data["account"]),
                "meta": {"page_rule_quota": 3, "phishing_detected": False},
                "owner": {"id": None, "name": None, "type": "user"},
                "plan": {"id": "94f3b7b6f2a6e4a8e1f0a9b2c3d4e5f6", "name": "Enterprise Website"},
                "permissions": [],
                "created_on": stamp,
                "modified_on": stamp,
                "activated_on": stamp,
            }
            self.data["zones"][zone["id"]] = zone
            self.data["settings"][zone["id"]] = {}
            self.save()
            return zone

    def zones(self, name: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            found = [zone for zone in self.data["zones"].values() if name is None or zone["name"] == name]
            return sorted(found, key=lambda zone: zone["name"])

    def zone(self, zone_id: str) -> dict[str, Any]:
        with self.lock:
            zone = self.data["zones"].get(zone_id)
            if zone is None:
                raise CloudflareError(404, 1001, "Invalid zone identifier")
            return zone

    def zone_of_host(self, host: str) -> dict[str, Any] | None:
        """The zone a host name belongs to: the longest zone name it ends with."""
        with self.lock:
            host = host.lower().rstrip(".")
            matches = [z for z in self.data["zones"].values() if host == z["name"] or host.endswith("." + z["name"])]
            return max(matches, key=lambda zone: len(zone["name"]), default=None)

    # --- DNS records -----------------------------------------------------------------------------------

    def records(self, zone_id: str, name: str | None = None, type_: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            self.zone(zone_id)
            found = [
                r
                for r in self.data["records"].values()
                if r["zone_id"] == zone_id
                and (name is None or r["name"] == name)
                and (type_ is None or r["type"] == type_)
            ]
            return sorted(found, key=lambda record: (record["name"], record["type"], record["id"]))

    def record(self, zone_id: str, record_id: str) -> dict[str, Any]:
        with self.lock:
            self.zone(zone_id)
            record = self.data["records"].get(record_id)
            if record is None or record["zone_id"] != zone_id:
                raise CloudflareError(404, 81044, "Record does not exist.")
            return record

    def _check_record(self, zone: dict[str, Any], record: dict[str, Any], keep: str | None = None) -> None:
        name, type_ = record.get("name"), record.get("type")
        ttl = record.get("ttl", 1)
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not (ttl == 1 or 30 <= ttl <= 86400):
            raise CloudflareError(400, 9021, "Invalid TTL. Must be between 30 and 86,400 seconds, or 1 for Automatic.")
        if not isinstance(record.get("proxied", False), bool):
            raise CloudflareError(400, 9003, "Invalid 'proxied' value, must be a boolean")
        comment = record.get("comment")
        if comment is not None and (not isinstance(comment, str) or len(comment) > 100):
            raise CloudflareError(400, 9101, "the record's comment must be text of at most 100 characters")
        tags = record.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise CloudflareError(400, 9102, "the record's tags must be a list of text")
        if type_ not in RECORD_TYPES:
            raise CloudflareError(
                400, 9000, f"DNS record type is invalid (the sandbox knows {', '.join(RECORD_TYPES)})"
            )
        if not isinstance(name, str) or not (name == zone["name"] or name.endswith("." + zone["name"])):
            raise CloudflareError(400, 9007, "Content for the record name is invalid: it is not in the zone")
        if not isinstance(record.get("content"), str) or not record["content"]:
            raise CloudflareError(400, 9005, "Content for the record is invalid")
        others = [r for r in self.records(zone["id"], name) if r["id"] != keep]
        if (type_ == "CNAME" and others) or any(r["type"] == "CNAME" for r in others):
            # Cloudflare: "An A, AAAA, or CNAME record with that host already exists."
            raise CloudflareError(400, 81053, "An A, AAAA, or CNAME record with that host already exists.")
        if any(r["type"] == type_ and r["content"] == record["content"] for r in others):
            raise CloudflareError(400, 81058, "An identical record already exists.")

    def create_record(self, zone_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            zone = self.zone(zone_id)
            body = {"name": str(body.get("name", "")).lower().rstrip("."), **_without(body, "name")}
            self._check_record(zone, body)
            stamp = now()
            record = {
                "id": new_id(),
                "zone_id": zone_id,
                "zone_name": zone["name"],
                "name": body["name"],
                "type": body["type"],
                "content": body["content"],
                "proxiable": body["type"] in ("A", "AAAA", "CNAME"),
                "proxied": bool(body.get("proxied", False)) and body["type"] in ("A", "AAAA", "CNAME"),
                "ttl": int(body.get("ttl", 1)),
                "comment": body.get("comment"),
                "tags": list(body.get("tags") or []),
                "settings": {},
                "meta": {},
                "created_on": stamp,
                "modified_on": stamp,
            }
            self.data["records"][record["id"]] = record
            self.save()
            return record

    def edit_record(self, zone_id: str, record_id: str, body: dict[str, Any], replace: bool) -> dict[str, Any]:
        with self.lock:
            zone, record = self.zone(zone_id), self.record(zone_id, record_id)
            fields = ("name", "type", "content", "proxied", "ttl", "comment", "tags")
            changed = {key: body[key] for key in fields if key in body}
            if replace:
                changed = {"proxied": False, "ttl": 1, "comment": None, "tags": []} | changed
            updated = record | changed
            updated["name"] = str(updated["name"]).lower().rstrip(".")
            self._check_record(zone, updated, keep=record_id)
            updated["proxied"] = bool(updated["proxied"]) and updated["type"] in ("A", "AAAA", "CNAME")
            updated["modified_on"] = now()
            self.data["records"][record_id] = updated
            self.save()
            return updated

    def delete_record(self, zone_id: str, record_id: str) -> dict[str, Any]:
        with self.lock:
            self.record(zone_id, record_id)
            del self.data["records"][record_id]
            self.save()
            return {"id": record_id}

    # --- zone settings ---------------------------------------------------------------------------------

    def setting(self, zone_id: str, setting_id: str) -> dict[str, Any]:
        with self.lock:
            self.zone(zone_id)
            if setting_id not in SETTINGS_DEFAULTS:
                raise CloudflareError(404, 1003, f"Invalid or missing setting: {setting_id}")
            stored = self.data["settings"][zone_id].get(setting_id)
            value = stored["value"] if stored else SETTINGS_DEFAULTS[setting_id]
            modified = stored["modified_on"] if stored else None
            return {"id": setting_id, "value": value, "editable": True, "modified_on": modified}

    def edit_setting(self, zone_id: str, setting_id: str, value: Any) -> dict[str, Any]:
        with self.lock:
            current = self.setting(zone_id, setting_id)["value"]
            if setting_id == "min_tls_version" and value not in TLS_VERSIONS:
                raise CloudflareError(400, 1007, f"Invalid value for zone setting min_tls_version: {value!r}")
            if setting_id in ("always_use_https",) and value not in ("on", "off"):
                raise CloudflareError(400, 1007, f"Invalid value for zone setting {setting_id}")
            if setting_id == "ssl" and value not in ("off", "flexible", "full", "strict"):
                raise CloudflareError(400, 1007, "Invalid value for zone setting ssl")
            if setting_id == "security_header":
                hsts = (value or {}).get("strict_transport_security") if isinstance(value, dict) else None
                if not isinstance(hsts, dict):
                    raise CloudflareError(400, 1007, "Invalid value for zone setting security_header")
                kinds = {"enabled": bool, "include_subdomains": bool, "preload": bool, "nosniff": bool, "max_age": int}
                if any(key not in kinds or not isinstance(item, kinds[key]) for key, item in hsts.items()) or (
                    isinstance(hsts.get("max_age"), int) and not 0 <= hsts["max_age"] <= 2**31
                ):
                    raise CloudflareError(400, 1007, "Invalid value for zone setting security_header")
                value = {"strict_transport_security": current["strict_transport_security"] | hsts}
            self.data["settings"][zone_id][setting_id] = {"value": value, "modified_on": now()}
            self.save()
            return self.setting(zone_id, setting_id)

    # --- rulesets --------------------------------------------------------------------------------------

    def _scope_key(self, scope: str, scope_id: str, phase: str) -> str:
        if phase not in PHASES:
            raise CloudflareError(400, 20217, f"'{phase}' is not a valid value for phase")
        if (PHASES[phase] == "root") != (scope == "accounts"):
            raise CloudflareError(400, 20217, f"the {phase} phase is not available at this level")
        if scope == "accounts":
            self.check_account(scope_id)
        else:
            self.zone(scope_id)
        return f"{scope}/{scope_id}/{phase}"

    def entrypoint(self, scope: str, scope_id: str, phase: str) -> dict[str, Any]:
        with self.lock:
            ruleset_id = self.data["rulesets"].get(self._scope_key(scope, scope_id, phase))
            if ruleset_id is None:
                raise CloudflareError(404, 10003, f"could not find entrypoint ruleset in the {phase} phase")
            return self.data["rulesets"][ruleset_id]

    def ruleset(self, scope: str, scope_id: str, ruleset_id: str) -> dict[str, Any]:
        with self.lock:
            ruleset = self.data["rulesets"].get(ruleset_id)
            if not isinstance(ruleset, dict) or ruleset["_scope"] != f"{scope}/{scope_id}":
                raise CloudflareError(404, 10003, "could not find ruleset")
            return ruleset

    def _rule(self, body: dict[str, Any], phase: str, old: dict[str, Any] | None = None) -> dict[str, Any]:
        action = body.get("action")
        if action != ACTIONS[phase]:
            raise CloudflareError(400, 20021, f"'{action}' is not a valid action for the {phase} phase")
        expression = body.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            raise CloudflareError(400, 20118, "the rule's expression is missing")
        if len(expression) > EXPRESSION_CHARS:
            raise CloudflareError(400, 20120, f"the rule's expression is longer than {EXPRESSION_CHARS} characters")
        try:
            compile_expression(expression)
        except ExpressionError as error:
            raise CloudflareError(400, 20118, f"filter parsing error: {error}") from None
        kinds = {"description": str, "ref": str, "enabled": bool, "action_parameters": dict}
        for name, kind in kinds.items():
            if name in body and not isinstance(body[name], kind):
                raise CloudflareError(400, 20120, f"the rule's {name} must be a {kind.__name__}")
        parameters = body.get("action_parameters") or {}
        if phase == "http_request_redirect":
            from_list = parameters.get("from_list")
            if (
                not isinstance(from_list, dict)
                or not isinstance(from_list.get("name"), str)
                or not any(item["name"] == from_list["name"] for item in self.data["lists"].values())
            ):
                raise CloudflareError(400, 20200, "the rule's from_list names no list of the account")
        elif phase == "http_request_dynamic_redirect":
            _check_from_value(parameters.get("from_value"))
        elif phase == "http_request_firewall_custom":
            _check_block_response(parameters.get("response"))
        else:
            headers = parameters.get("headers")
            if not isinstance(headers, dict) or not all(
                isinstance(h, dict) and h.get("operation") in ("set", "add", "remove") for h in headers.values()
            ):
                raise CloudflareError(400, 20120, "the rule's headers are invalid")
        rule = {
            "id": old["id"] if old else new_id(),
            "version": str(int(old["version"]) + 1) if old else "1",
            "action": action,
            "action_parameters": parameters,
            "expression": body["expression"],
            "description": body.get("description", ""),
            "enabled": bool(body.get("enabled", True)),
            "ref": body.get("ref") or (old["ref"] if old else new_id()),
            "last_updated": now(),
        }
        return rule

    def _store_ruleset(self, scope: str, scope_id: str, phase: str, ruleset: dict[str, Any]) -> dict[str, Any]:
        refs = [rule["ref"] for rule in ruleset["rules"]]
        if len(refs) != len(set(refs)):
            raise CloudflareError(400, 20219, "rules in a ruleset must have unique refs")
        limit = self.rule_limits.get(phase)
        if limit is not None and len(ruleset["rules"]) > limit:
            raise CloudflareError(
                400, 20215, f"exceeded the maximum number of rules in the phase {phase}: {len(refs)} out of {limit}"
            )
        ruleset["version"] = str(int(ruleset.get("version", "0")) + 1)
        ruleset["last_updated"] = now()
        self.data["rulesets"][ruleset["id"]] = ruleset
        self.data["rulesets"][self._scope_key(scope, scope_id, phase)] = ruleset["id"]
        self.save()
        return ruleset

    def put_entrypoint(self, scope: str, scope_id: str, phase: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            key = self._scope_key(scope, scope_id, phase)
            old_id = self.data["rulesets"].get(key)
            old = self.data["rulesets"][old_id] if old_id else None
            by_id = {rule["id"]: rule for rule in (old or {}).get("rules", [])}
            if not all(isinstance(rule, dict) for rule in body.get("rules") or []):
                raise CloudflareError(400, 20001, "every rule must be an object")
            if not all(isinstance(body.get(key, ""), str) for key in ("name", "description")):
                raise CloudflareError(400, 20001, "the ruleset's name and description must be text")
            rules = [self._rule(rule, phase, by_id.get(str(rule.get("id", "")))) for rule in body.get("rules") or []]
            ruleset = {
                "id": old["id"] if old else new_id(),
                "name": body.get("name") or (old or {}).get("name") or "default",
                "description": body.get("description", (old or {}).get("description", "")),
                "kind": PHASES[phase],
                "phase": phase,
                "rules": rules,
                "version": (old or {}).get("version", "0"),
                "_scope": f"{scope}/{scope_id}",
            }
            return self._store_ruleset(scope, scope_id, phase, ruleset)

    def add_rule(self, scope: str, scope_id: str, ruleset_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            ruleset = dict(self.ruleset(scope, scope_id, ruleset_id))
            rule = self._rule(body, ruleset["phase"])
            ruleset["rules"] = [*ruleset["rules"], rule]
            return self._store_ruleset(scope, scope_id, ruleset["phase"], ruleset)

    def edit_rule(self, scope: str, scope_id: str, ruleset_id: str, rule_id: str, body: dict) -> dict[str, Any]:
        with self.lock:
            ruleset = dict(self.ruleset(scope, scope_id, ruleset_id))
            old = next((rule for rule in ruleset["rules"] if rule["id"] == rule_id), None)
            if old is None:
                raise CloudflareError(404, 10003, "could not find rule")
            merged = {key: old[key] for key in ("action", "action_parameters", "expression", "description", "enabled")}
            rule = self._rule(merged | body, ruleset["phase"], old)
            ruleset["rules"] = [rule if r["id"] == rule_id else r for r in ruleset["rules"]]
            return self._store_ruleset(scope, scope_id, ruleset["phase"], ruleset)

    def delete_rule(self, scope: str, scope_id: str, ruleset_id: str, rule_id: str) -> dict[str, Any]:
        with self.lock:
            ruleset = dict(self.ruleset(scope, scope_id, ruleset_id))
            if not any(rule["id"] == rule_id for rule in ruleset["rules"]):
                raise CloudflareError(404, 10003, "could not find rule")
            ruleset["rules"] = [rule for rule in ruleset["rules"] if rule["id"] != rule_id]
            return self._store_ruleset(scope, scope_id, ruleset["phase"], ruleset)

    # --- Bulk Redirect lists ---------------------------------------------------------------------------

    def lists(self, account_id: str) -> list[dict[str, Any]]:
        with self.lock:
            self.check_account(account_id)
            counted = [
                found | {"num_items": len(self.data["items"][found["id"]])} for found in self.data["lists"].values()
            ]
            return sorted(counted, key=lambda item: item["name"])

    def get_list(self, account_id: str, list_id: str) -> dict[str, Any]:
        with self.lock:
            self.check_account(account_id)
            found = self.data["lists"].get(list_id)
            if found is None:
                raise CloudflareError(404, 10006, "list not found")
            return found | {"num_items": len(self.data["items"].get(list_id, {}))}

    def create_list(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.check_account(account_id)
            name, kind = body.get("name"), body.get("kind")
            if (
                not isinstance(name, str)
                or not name
                or len(name) > 50
                or not all(c.isalnum() or c == "_" for c in name)
            ):
                raise CloudflareError(400, 10001, "list name must be 1-50 letters, digits or underscores")
            if name != name.lower():
                raise CloudflareError(400, 10001, "list name must be lowercase")
            if not isinstance(body.get("description", ""), str):
                raise CloudflareError(400, 10001, "list description must be text")
            if kind not in LIST_KINDS:
                raise CloudflareError(400, 10001, f"list kind must be one of {', '.join(LIST_KINDS)}")
            if any(item["name"] == name for item in self.data["lists"].values()):
                raise CloudflareError(409, 10019, "a list with this name already exists")
            stamp = now()
            created = {"id": new_id(), "name": name, "kind": kind, "description": body.get("description", "")}
            created |= {"num_items": 0, "num_referencing_filters": 0, "created_on": stamp, "modified_on": stamp}
            self.data["lists"][created["id"]] = created
            self.data["items"][created["id"]] = {}
            self.save()
            return created

    def items(self, account_id: str, list_id: str) -> list[dict[str, Any]]:
        with self.lock:
            self.get_list(account_id, list_id)
            return sorted(self.data["items"][list_id].values(), key=lambda item: item["id"])

    def _bulk(self, account_id: str, list_id: str, apply: Any) -> dict[str, Any]:
        """A bulk operation on a list's items, asynchronous as Cloudflare's are: applied at once, but pending
        and then running for a moment (OPERATION_SECONDS), which a client sees only by polling. One pending
        operation per account: another is refused until it ends."""
        with self.lock:
            self.get_list(account_id, list_id)
            # Only the newest operation can still be outstanding: a new one is refused while another runs.
            newest = self.data["operations"].get(self.data.get("newest_operation", ""))
            if newest is not None and self._status(newest)["status"] in ("pending", "running"):
                raise CloudflareError(409, 10027, "there is an outstanding bulk operation on this account")
            operation: dict[str, Any] = {"id": new_id(), "started": time.time()}
            try:
                apply(self.data["items"][list_id])
            except CloudflareError as error:
                operation["error"] = error.message
            self.data["lists"][list_id]["modified_on"] = now()
            self.data["operations"][operation["id"]] = operation
            self.data["newest_operation"] = operation["id"]
            self.save()
            return {"operation_id": operation["id"]}

    def _status(self, operation: dict[str, Any]) -> dict[str, Any]:
        elapsed = time.time() - operation["started"]
        shown = {"id": operation["id"]}
        if elapsed < self.operation_seconds / 4:
            return shown | {"status": "pending"}
        if elapsed < self.operation_seconds:
            return shown | {"status": "running"}
        completed = datetime.fromtimestamp(operation["started"] + self.operation_seconds, UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
        if "error" in operation:
            return shown | {"status": "failed", "error": operation["error"], "completed": completed}
        return shown | {"status": "completed", "completed": completed}

    def operation(self, account_id: str, operation_id: str) -> dict[str, Any]:
        with self.lock:
            self.check_account(account_id)
            operation = self.data["operations"].get(operation_id)
            if operation is None:
                raise CloudflareError(404, 10007, "bulk operation not found")
            return self._status(operation)

    def add_items(self, account_id: str, list_id: str, body: list[dict[str, Any]], replace: bool) -> dict[str, Any]:
        def apply(items: dict[str, dict[str, Any]]) -> None:
            new = [_redirect_item(item) for item in body]
            sources = [item["redirect"]["source_url"] for item in new]
            if len(sources) != len(set(sources)):
                raise CloudflareError(400, 10021, "the items contain the same source URL more than once")
            kept = {} if replace else items
            taken = {item["redirect"]["source_url"] for item in kept.values()}
            clash = sorted(set(sources) & taken)
            if clash:
                raise CloudflareError(400, 10021, f"a redirect with source URL {clash[0]} is already in the list")
            if replace:
                items.clear()
            for item in new:
                items[item["id"]] = item

        return self._bulk(account_id, list_id, apply)

    def delete_items(self, account_id: str, list_id: str, ids: list[str]) -> dict[str, Any]:
        def apply(items: dict[str, dict[str, Any]]) -> None:
            for item_id in ids:
                items.pop(item_id, None)

        return self._bulk(account_id, list_id, apply)

    # --- what the ingress serves -------------------------------------------------------------------------

    def redirect_for(self, host: str, path: str) -> tuple[int, str] | None:
        """The Bulk Redirect a request to host/path meets: only lists an enabled rule of the account's
        http_request_redirect entrypoint references (exact source URL match; the sandbox's lists do not
        use subpath matching or subdomains)."""
        with self.lock:
            ruleset_id = self.data["rulesets"].get(f"accounts/{self.account_id}/http_request_redirect")
            if not ruleset_id:
                return None
            names = {
                rule["action_parameters"]["from_list"]["name"]
                for rule in self.data["rulesets"][ruleset_id]["rules"]
                if rule["enabled"]
            }
            source = f"{host.lower()}{path}"
            for list_id, found in self.data["lists"].items():
                if found["name"] not in names:
                    continue
                for item in self.data["items"][list_id].values():
                    redirect = item["redirect"]
                    if redirect["source_url"].split("://")[-1] == source:
                        return int(redirect.get("status_code") or 301), redirect["target_url"]
            return None

    def answer_for(self, scheme: str, host: str, path: str, query: str) -> tuple[int, dict[str, str], bytes] | None:
        """What the edge itself answers a request with, before the origin, in Cloudflare's phase order: the
        zone's Single Redirects, then its WAF custom rules (a block, with its custom response), then the
        account's Bulk Redirects (which match host and path, whatever the query). None: the origin answers."""
        with self.lock:
            host = host.lower()
            zone = self.zone_of_host(host)
            request = request_fields(scheme, host, path, query)
            for phase in ("http_request_dynamic_redirect", "http_request_firewall_custom"):
                ruleset_id = self.data["rulesets"].get(f"zones/{zone['id']}/{phase}") if zone else None
                for rule in self.data["rulesets"][ruleset_id]["rules"] if ruleset_id else []:
                    if not rule["enabled"] or not compile_expression(rule["expression"])(request):
                        continue
                    parameters = rule["action_parameters"]
                    if phase == "http_request_dynamic_redirect":
                        value = parameters["from_value"]
                        target = value["target_url"]["value"]
                        if value.get("preserve_query_string") and query:
                            target += ("&" if "?" in target else "?") + query
                        return int(value.get("status_code") or 301), {"Location": target}, b""
                    response = parameters.get("response") or {}
                    content = str(response.get("content", "<!DOCTYPE html><title>Blocked</title>")).encode("utf-8")
                    headers = {"Content-Type": str(response.get("content_type", "text/html"))}
                    return int(response.get("status_code") or 403), headers, content
            hit = self.redirect_for(host, path)
            return (hit[0], {"Location": hit[1]}, b"") if hit else None

    def response_headers(self, host: str) -> dict[str, str]:
        """The headers the zone's enabled response-header transform rules set (expression `true` only)."""
        with self.lock:
            zone = self.zone_of_host(host)
            if zone is None:
                return {}
            ruleset_id = self.data["rulesets"].get(f"zones/{zone['id']}/http_response_headers_transform")
            headers: dict[str, str] = {}
            for rule in self.data["rulesets"][ruleset_id]["rules"] if ruleset_id else []:
                if rule["enabled"] and rule["expression"].strip() == "true":
                    for name, change in rule["action_parameters"]["headers"].items():
                        if change["operation"] in ("set", "add"):
                            headers[name] = change["value"]
                        else:
                            headers.pop(name, None)
            hsts = self.setting(zone["id"], "security_header")["value"]["strict_transport_security"]
            if hsts["enabled"]:
                value = f"max-age={hsts['max_age']}"
                value += "; includeSubDomains" if hsts["include_subdomains"] else ""
                value += "; preload" if hsts["preload"] else ""
                headers["Strict-Transport-Security"] = value
            return headers

    def dns_answer(self, name: str) -> list[dict[str, Any]]:
        """The records a DNS query for `name` meets (proxied ones answer with the edge, as Cloudflare's do)."""
        with self.lock:
            zone = self.zone_of_host(name)
            if zone is None:
                return []
            return self.records(zone["id"], name.lower().rstrip("."))


def _without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in keys}


def _check_from_value(value: Any) -> None:
    """A Single Redirect's from_value, as Cloudflare checks it (a static target URL: the sandbox does not
    evaluate target expressions)."""
    target = value.get("target_url") if isinstance(value, dict) else None
    if not isinstance(target, dict) or not isinstance(target.get("value"), str) or not target["value"]:
        raise CloudflareError(400, 20120, "the rule's from_value needs target_url.value")
    if value.get("status_code", 301) not in (301, 302, 303, 307, 308):
        raise CloudflareError(400, 20120, "from_value.status_code must be one of 301, 302, 303, 307, 308")
    if not isinstance(value.get("preserve_query_string", False), bool):
        raise CloudflareError(400, 20120, "from_value.preserve_query_string must be a boolean")


def _check_block_response(response: Any) -> None:
    """A block's custom response: a 4xx status, one of the content types Cloudflare allows, text content."""
    if response is None:
        return
    if not isinstance(response, dict) or not isinstance(response.get("content"), str):
        raise CloudflareError(400, 20120, "the block's response needs content")
    status = response.get("status_code")
    if not isinstance(status, int) or not 400 <= status <= 499:
        raise CloudflareError(400, 20120, "the block's response status_code must be between 400 and 499")
    if response.get("content_type") not in BLOCK_CONTENT_TYPES:
        raise CloudflareError(400, 20120, f"the block's content_type must be one of {', '.join(BLOCK_CONTENT_TYPES)}")


def _redirect_item(body: dict[str, Any]) -> dict[str, Any]:
    """A list item of kind redirect, checked as Cloudflare checks it (no query string or port in the
    source URL; a 301, 302, 307 or 308)."""
    redirect = body.get("redirect") if isinstance(body, dict) else None
    if not isinstance(redirect, dict) or not redirect.get("source_url") or not redirect.get("target_url"):
        raise CloudflareError(400, 10021, "a redirect list item needs redirect.source_url and redirect.target_url")
    kinds = {"source_url": str, "target_url": str, "status_code": int, "include_subdomains": bool}
    kinds |= {"subpath_matching": bool, "preserve_query_string": bool, "preserve_path_suffix": bool}
    wrong = [key for key, kind in kinds.items() if key in redirect and not isinstance(redirect[key], kind)]
    if wrong or not isinstance(body.get("comment", ""), str):
        raise CloudflareError(400, 10021, f"a redirect's {(wrong or ['comment'])[0]} has the wrong type")
    source = str(redirect["source_url"])
    bare = source.split("://", 1)[-1]
    if "?" in bare or "#" in bare or ":" in bare.split("/", 1)[0]:
        raise CloudflareError(400, 10021, f"source URL {source} must not have a query string, fragment or port")
    status = redirect.get("status_code", 301)
    if status not in (301, 302, 307, 308):
        raise CloudflareError(400, 10021, f"status_code {status} is not one of 301, 302, 307, 308")
    stamp = now()
    defaults = {"include_subdomains": False, "subpath_matching": False, "preserve_query_string": False}
    defaults |= {"preserve_path_suffix": False, "status_code": 301}
    return {
        "id": new_id(),
        "redirect": defaults
        | {key: value for key, value in redirect.items() if key in (*defaults, "source_url", "target_url")},
        "comment": body.get("comment", ""),
        "created_on": stamp,
        "modified_on": stamp,
    }


class FollowedState(EdgeState):
    """Another process's edge state, read from its file and read again whenever the file changes: what the
    sandbox ingress serves (the edge sandbox writes, the ingress only reads)."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.RLock()
        self.path, self.stats, self.operation_seconds = path, Stats(), OPERATION_SECONDS
        self.data: dict[str, Any] = empty("")
        self._seen: float | None = None

    def save(self) -> None:
        raise RuntimeError("a followed edge state is read-only")

    def _fresh(self) -> None:
        try:
            changed = self.path.stat().st_mtime
        except FileNotFoundError:
            return
        if changed != self._seen:
            try:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError:  # caught between its writer's write and rename: keep the last good state
                return
            self._seen = changed

    def answer_for(self, scheme: str, host: str, path: str, query: str) -> tuple[int, dict[str, str], bytes] | None:
        self._fresh()
        return super().answer_for(scheme, host, path, query)

    def response_headers(self, host: str) -> dict[str, str]:
        self._fresh()
        return super().response_headers(host)

    def proxied_names(self) -> list[str]:
        """The host names whose proxied records point at the edge (the ingress answers DNS for them)."""
        self._fresh()
        with self.lock:
            return sorted({r["name"] for r in self.data["records"].values() if r.get("proxied")})
