"""The sandbox edge's routes: Cloudflare API v4 under /client/v4, answering in Cloudflare's envelope.

Every answer is `{"success", "errors", "messages", "result"}` (and `result_info` on lists), errors carry
Cloudflare's codes, a missing or wrong token is a 400/403 as Cloudflare answers them, and the account's
requests are rate limited as Cloudflare's API is (a window of requests, then 429 with Retry-After).
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from ..serving import allowed_methods
from .contract import Contract
from .state import CloudflareError, EdgeState

PREFIX = "/client/v4"


def envelope(result: Any, result_info: dict[str, Any] | None = None, status: int = 200) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return JSONResponse(body, status_code=status)


def error_body(status: int, message: str, code: int | None = None) -> dict[str, Any]:
    """Cloudflare's error envelope (also what the fault mode answers with)."""
    codes = {429: 10100, 500: 10000}
    return {
        "success": False,
        "errors": [{"code": code or codes.get(status, 10000), "message": message}],
        "messages": [],
        "result": None,
    }


def refuse(error: CloudflareError) -> JSONResponse:
    return JSONResponse(error_body(error.status, error.message, error.code), status_code=error.status)


class RateLimit:
    """Cloudflare's global API limit: `limit` requests per `window` seconds per token, then 429 with
    Retry-After (the seconds until a request leaves the window, rounded up)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> float | None:
        """None when the request may pass, else the seconds to wait."""
        if self.limit <= 0:
            return None
        with self._lock:
            moment = time.monotonic()
            while self._times and self._times[0] <= moment - self.window:
                self._times.popleft()
            if len(self._times) >= self.limit:
                return self._times[0] + self.window - moment
            self._times.append(moment)
            return None


def _page_info(items: list[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, Any]]:
    total_pages = max(1, -(-len(items) // per_page))
    chosen = items[(page - 1) * per_page : page * per_page]
    info = {"page": page, "per_page": per_page, "count": len(chosen), "total_count": len(items)}
    return chosen, info | {"total_pages": total_pages}


def _int(request: Request, name: str, default: int) -> int:
    """A whole-number query parameter (the contract has checked its type and bounds)."""
    raw = request.query_params.get(name)
    return default if raw is None else int(raw)


async def _json(
    request: Request, expected: type = dict, code: int = 9207, message: str = "Request body is invalid."
) -> Any:
    """The request's JSON body, of the `expected` type, else Cloudflare's 400 with `code`."""
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise CloudflareError(400, 6007, "Malformed JSON in request body") from None
    if not isinstance(body, expected):
        raise CloudflareError(400, code, message)
    return body


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def build_router(state: EdgeState, token: Callable[[], str], limit: RateLimit, contract: Contract) -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    def guard(request: Request) -> None:
        state.stats.requests[
            f"{request.method} {request.scope.get('route').path if request.scope.get('route') else ''}"
        ] += 1
        given = request.headers.get("authorization", "")
        if not given.startswith("Bearer "):
            raise CloudflareError(401, 10000, "Authentication error")
        if not hmac.compare_digest(given.removeprefix("Bearer ").encode(), token().encode()):
            raise CloudflareError(403, 9109, "Invalid access token")
        wait = limit.admit()
        if wait is not None:
            state.stats.rate_limited += 1
            raise RateLimited(wait)

    def route(method: str, path: str) -> Callable:
        def register(handler: Callable) -> Callable:
            async def endpoint(request: Request) -> JSONResponse:
                try:
                    guard(request)
                    body = await _json(request, object) if request.method in ("POST", "PUT", "PATCH") else None
                    if request.method == "DELETE" and await request.body():
                        body = await _json(request, object)
                    contract.check(request.method, path, request.query_params.multi_items(), body)
                    return await handler(request, **request.path_params)
                except RateLimited as limited:
                    body = error_body(
                        429,
                        "More than the allowed requests per window reached. Please wait and consider throttling your request speed",
                    )
                    return JSONResponse(
                        body, status_code=429, headers={"Retry-After": str(max(1, int(limited.wait + 0.999)))}
                    )
                except CloudflareError as error:
                    return refuse(error)

            endpoint.__name__ = handler.__name__
            router.add_api_route(path, endpoint, methods=[method], include_in_schema=False)
            return handler

        return register

    # --- zones --------------------------------------------------------------------------------------------

    @route("GET", "/zones")
    async def list_zones(request: Request) -> JSONResponse:
        zones = state.zones(request.query_params.get("name"))
        page = _int(request, "page", 1)
        chosen, info = _page_info(zones, page, _int(request, "per_page", 20))
        return envelope(chosen, info)

    @route("GET", "/zones/{zone_id}")
    async def get_zone(request: Request, zone_id: str) -> JSONResponse:
        return envelope(state.zone(zone_id))

    # --- DNS records --------------------------------------------------------------------------------------

    @route("GET", "/zones/{zone_id}/dns_records")
    async def list_records(request: Request, zone_id: str) -> JSONResponse:
        name = request.query_params.get("name") or request.query_params.get("name.exact")
        records = state.records(zone_id, name.lower().rstrip(".") if name else None, request.query_params.get("type"))
        page = _int(request, "page", 1)
        per_page = _int(request, "per_page", 100)
        chosen, info = _page_info([_public(r) for r in records], page, per_page)
        return envelope(chosen, info)

    @route("POST", "/zones/{zone_id}/dns_records")
    async def create_record(request: Request, zone_id: str) -> JSONResponse:
        body = await _json(request)
        return envelope(_public(state.create_record(zone_id, body)))

    @route("GET", "/zones/{zone_id}/dns_records/{record_id}")
    async def get_record(request: Request, zone_id: str, record_id: str) -> JSONResponse:
        return envelope(_public(state.record(zone_id, record_id)))

    async def _edit(request: Request, zone_id: str, record_id: str, replace: bool) -> JSONResponse:
        body = await _json(request)
        return envelope(_public(state.edit_record(zone_id, record_id, body, replace)))

    @route("PATCH", "/zones/{zone_id}/dns_records/{record_id}")
    async def edit_record(request: Request, zone_id: str, record_id: str) -> JSONResponse:
        return await _edit(request, zone_id, record_id, replace=False)

    @route("PUT", "/zones/{zone_id}/dns_records/{record_id}")
    async def replace_record(request: Request, zone_id: str, record_id: str) -> JSONResponse:
        return await _edit(request, zone_id, record_id, replace=True)

    @route("DELETE", "/zones/{zone_id}/dns_records/{record_id}")
    async def delete_record(request: Request, zone_id: str, record_id: str) -> JSONResponse:
        return envelope(state.delete_record(zone_id, record_id))

    # --- zone settings --------------------------------------------------------------------------------------

    @route("GET", "/zones/{zone_id}/settings/{setting_id}")
    async def get_setting(request: Request, zone_id: str, setting_id: str) -> JSONResponse:
        return envelope(state.setting(zone_id, setting_id))

    @route("PATCH", "/zones/{zone_id}/settings/{setting_id}")
    async def edit_setting(request: Request, zone_id: str, setting_id: str) -> JSONResponse:
        body = await _json(request)
        if not isinstance(body, dict) or "value" not in body:
            raise CloudflareError(400, 1007, "the setting's value is missing")
        return envelope(state.edit_setting(zone_id, setting_id, body["value"]))

    # --- rulesets (zones and accounts alike) ---------------------------------------------------------------

    for kind in ("zones", "accounts"):
        _ruleset_routes(route, state, kind)

    # --- Bulk Redirect lists --------------------------------------------------------------------------------

    @route("GET", "/accounts/{account_id}/rules/lists")
    async def list_lists(request: Request, account_id: str) -> JSONResponse:
        return envelope(state.lists(account_id))

    @route("POST", "/accounts/{account_id}/rules/lists")
    async def create_list(request: Request, account_id: str) -> JSONResponse:
        body = await _json(request, dict, 10001, "the list is invalid")
        return envelope(state.create_list(account_id, body))

    @route("GET", "/accounts/{account_id}/rules/lists/{list_id}")
    async def get_list(request: Request, account_id: str, list_id: str) -> JSONResponse:
        return envelope(state.get_list(account_id, list_id))

    @route("GET", "/accounts/{account_id}/rules/lists/bulk_operations/{operation_id}")
    async def get_operation(request: Request, account_id: str, operation_id: str) -> JSONResponse:
        return envelope(state.operation(account_id, operation_id))

    @route("GET", "/accounts/{account_id}/rules/lists/{list_id}/items")
    async def list_items(request: Request, account_id: str, list_id: str) -> JSONResponse:
        items = state.items(account_id, list_id)
        per_page = _int(request, "per_page", 25)
        start = 0
        cursor = request.query_params.get("cursor")
        if cursor:
            try:
                start = int(base64.urlsafe_b64decode(cursor.encode()).decode())
            except ValueError:
                raise CloudflareError(400, 10005, "the cursor is invalid") from None
        chosen = items[start : start + per_page]
        cursors: dict[str, str] = {}
        if start + per_page < len(items):
            cursors["after"] = base64.urlsafe_b64encode(str(start + per_page).encode()).decode()
        if start:
            cursors["before"] = base64.urlsafe_b64encode(str(max(0, start - per_page)).encode()).decode()
        return envelope(chosen, {"cursors": cursors})

    async def _items(request: Request, account_id: str, list_id: str, replace: bool) -> JSONResponse:
        body = await _json(request, list, 10021, "the body must be a list of items")
        return envelope(state.add_items(account_id, list_id, body, replace))

    @route("POST", "/accounts/{account_id}/rules/lists/{list_id}/items")
    async def add_items(request: Request, account_id: str, list_id: str) -> JSONResponse:
        return await _items(request, account_id, list_id, replace=False)

    @route("PUT", "/accounts/{account_id}/rules/lists/{list_id}/items")
    async def replace_items(request: Request, account_id: str, list_id: str) -> JSONResponse:
        return await _items(request, account_id, list_id, replace=True)

    @route("DELETE", "/accounts/{account_id}/rules/lists/{list_id}/items")
    async def delete_items(request: Request, account_id: str, list_id: str) -> JSONResponse:
        body = await _json(request)
        ids = body.get("items") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(item, dict) and item.get("id") for item in ids):
            raise CloudflareError(400, 10021, 'the body must be {"items": [{"id": ...}, ...]}')
        return envelope(state.delete_items(account_id, list_id, [item["id"] for item in ids]))

    return router


def _ruleset_routes(route: Callable, state: EdgeState, kind: str) -> None:
    """The entrypoint and rule routes of rulesets, under /zones/{id} or /accounts/{id}."""

    @route("GET", f"/{kind}/{{scope_id}}/rulesets/phases/{{phase}}/entrypoint")
    async def get_entrypoint(request: Request, scope_id: str, phase: str) -> JSONResponse:
        return envelope(_public(state.entrypoint(kind, scope_id, phase)))

    @route("PUT", f"/{kind}/{{scope_id}}/rulesets/phases/{{phase}}/entrypoint")
    async def put_entrypoint(request: Request, scope_id: str, phase: str) -> JSONResponse:
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("rules", []), list):
            raise CloudflareError(400, 20001, "the ruleset is invalid")
        return envelope(_public(state.put_entrypoint(kind, scope_id, phase, body)))

    @route("POST", f"/{kind}/{{scope_id}}/rulesets/{{ruleset_id}}/rules")
    async def add_rule(request: Request, scope_id: str, ruleset_id: str) -> JSONResponse:
        body = await _json(request, dict, 20001, "the rule is invalid")
        return envelope(_public(state.add_rule(kind, scope_id, ruleset_id, body)))

    @route("PATCH", f"/{kind}/{{scope_id}}/rulesets/{{ruleset_id}}/rules/{{rule_id}}")
    async def edit_rule(request: Request, scope_id: str, ruleset_id: str, rule_id: str) -> JSONResponse:
        body = await _json(request, dict, 20001, "the rule is invalid")
        return envelope(_public(state.edit_rule(kind, scope_id, ruleset_id, rule_id, body)))

    @route("DELETE", f"/{kind}/{{scope_id}}/rulesets/{{ruleset_id}}/rules/{{rule_id}}")
    async def delete_rule(request: Request, scope_id: str, ruleset_id: str, rule_id: str) -> JSONResponse:
        return envelope(_public(state.delete_rule(kind, scope_id, ruleset_id, rule_id)))


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.1f} s")
        self.wait = wait


def add_fallback(app: FastAPI) -> None:
    """Any other path or method under /client/v4: Cloudflare's 404 or 405 (with Allow) in its envelope,
    never FastAPI's."""

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]

    @app.api_route(f"{PREFIX}/{{rest:path}}", methods=methods, include_in_schema=False)
    async def fallback(rest: str, request: Request) -> JSONResponse:
        allowed = allowed_methods(app, request.scope, PREFIX + "/")
        if allowed:
            body = error_body(405, "Method not allowed", 10405)
            return JSONResponse(body, status_code=405, headers={"Allow": ", ".join(allowed)})
        return JSONResponse(error_body(404, "No route for that URI", 7000), status_code=404)
