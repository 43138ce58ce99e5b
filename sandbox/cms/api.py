"""The sandbox CMS's HTTP side: Optimizely's token endpoint, Content Management API (v3) and the Content
Delivery API's children listing, as schemas/optimizely-cma.yaml describes them.

Bodies are read by hand rather than by FastAPI's models, so every refusal is the CMS's own (ProblemDetails,
400 for a malformed request, 415 for a body that is not JSON, 413 over ASP.NET Core's request size limit)
and never FastAPI's 422 with {"detail": [...]}.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .auth import DELIVERY_SCOPE, MANAGEMENT_SCOPE
from .model import Content, parse_guid
from .problems import Problem

PREFIX = "/api/episerver"
CMA = f"{PREFIX}/v3.0/contentmanagement"
CDA = f"{PREFIX}/v3.0/content"
MAX_REQUEST_BYTES = 30_000_000
"""ASP.NET Core's (Kestrel's) default limit on a request body: larger bodies are refused with 413."""
MAX_TOP = 100
CONTINUATION = "x-epi-continuation"
VALIDATION_MODE = "x-epi-validation-mode"
PERMANENT_DELETE = "x-epi-permanent-delete"


def build_router(cms: Any) -> APIRouter:
    """The routes, on `cms` (a SandboxCMS: its tree, its tokens, its stats)."""
    router = APIRouter()
    tree, tokens, stats = cms.tree, cms.tokens, cms.store.stats

    def guard(request: Request, scope: str) -> Response | None:
        refused = tokens.check(request.headers.get("authorization"), scope)
        if refused == 401:
            return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if refused == 403:
            return Problem(403, "Forbidden", f"The token does not carry the scope {scope}.").response()
        return None

    def found(reference: str) -> Content:
        item = tree.find(reference)
        if item is None:
            raise Problem(404, "Not Found", f"Content '{reference}' was not found.")
        return item

    @router.post(f"{PREFIX}/connect/token")
    async def token(request: Request) -> JSONResponse:
        stats.requests["token"] += 1
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return JSONResponse({"error": "invalid_request", "error_description": "A form is expected."}, 400)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        status, body = tokens.grant(form)
        return JSONResponse(body, status, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def handle(request: Request, label: str, scope: str, act: Callable[[], Awaitable[Response]]) -> Response:
        """Count the call, check its token, answer a Problem the model raises as ProblemDetails."""
        stats.requests[label] += 1
        if refused := guard(request, scope):
            return refused
        try:
            answer = await act()
        except Problem as problem:
            return problem.response()
        if request.method != "GET":
            cms.changed()
        return answer

    def written(item: Content, status: int) -> JSONResponse:
        stats.items_received["content"] += 1
        return JSONResponse(item.as_json(tree), status)

    @router.post(CMA)
    async def create(request: Request) -> Response:
        async def act() -> Response:
            body, validate = await _body(request)
            return written(tree.create(body, None, validate), 201)

        return await handle(request, "POST content", MANAGEMENT_SCOPE, act)

    @router.put(f"{CMA}/{{reference}}")
    async def create_or_replace(reference: str, request: Request) -> Response:
        async def act() -> Response:
            guid = _guid(reference)
            if _content_type(request) == "multipart/form-data":
                (body, validate), blob = await _media(request)
                stats.items_received["media bytes"] += len(blob)
            else:
                (body, validate), blob = await _body(request), None
            current, item = tree.put(guid, body, validate, blob)
            return written(item, 200 if current else 201)

        return await handle(request, "PUT content", MANAGEMENT_SCOPE, act)

    @router.patch(f"{CMA}/{{reference}}")
    async def patch(reference: str, request: Request) -> Response:
        async def act() -> Response:
            current = found(reference)
            body, validate = await _body(request)
            return written(tree.patch(current, body, validate), 200)

        return await handle(request, "PATCH content", MANAGEMENT_SCOPE, act)

    @router.get(f"{CMA}/{{reference}}")
    async def read(reference: str, request: Request) -> Response:
        async def act() -> Response:
            return JSONResponse(found(reference).as_json(tree))

        return await handle(request, "GET content", MANAGEMENT_SCOPE, act)

    @router.delete(f"{CMA}/{{reference}}")
    async def delete(reference: str, request: Request) -> Response:
        async def act() -> Response:
            tree.delete(found(reference), _flag(request.headers.get(PERMANENT_DELETE)))
            return Response(status_code=204)

        return await handle(request, "DELETE content", MANAGEMENT_SCOPE, act)

    @router.get(f"{CDA}/{{reference}}/children")
    async def children(reference: str, request: Request) -> Response:
        async def act() -> Response:
            parent = found(reference)
            top = _top(request.query_params.get("top"))
            items = tree.children(parent, _after(request.headers.get(CONTINUATION), parent.id), top + 1)
            headers = {CONTINUATION: _token(parent.id, items[top - 1].id)} if len(items) > top else {}
            return JSONResponse([item.as_json(tree) for item in items[:top]], headers=headers)

        return await handle(request, "GET children", DELIVERY_SCOPE, act)

    @router.get("/globalassets/{path:path}")
    def media(path: str) -> Response:
        """A published media item's binary data at its public URL, as the CMS's site serves it (no token)."""
        stats.requests["GET media"] += 1
        item = tree.media_at(f"/globalassets/{path}")
        if item is None:
            return Response(status_code=404)
        return Response(item.blob, media_type=item.properties.get("mediaType") or "application/octet-stream")

    return router


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _mode(request: Request) -> bool:
    """Whether validation is complete (the default) or minimal."""
    mode = request.headers.get(VALIDATION_MODE) or "complete"
    if mode not in ("complete", "minimal"):
        raise Problem(400, "Bad Request", f"{VALIDATION_MODE} must be 'complete' or 'minimal'.")
    return mode == "complete"


def _content(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "Bad Request", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise Problem(400, "Bad Request", "The body must be a JSON object describing a content item.")
    return body


async def _body(request: Request) -> tuple[dict[str, Any], bool]:
    """The JSON object sent, and whether validation is complete (the default) or minimal."""
    validate = _mode(request)
    if not _content_type(request).endswith("json"):
        raise Problem(415, "Unsupported Media Type", "The body must be application/json.")
    raw = await request.body()
    if len(raw) > MAX_REQUEST_BYTES:
        raise Problem(413, "Payload Too Large", f"The request body exceeds {MAX_REQUEST_BYTES} bytes.")
    return _content(raw), validate


async def _media(request: Request) -> tuple[tuple[dict[str, Any], bool], bytes]:
    """A multipart/form-data PUT of media (the vendor's createOrUpdateContentMediaMultipart): a part named
    `content` with the item's JSON, and the binary data in a part with a file name."""
    validate = _mode(request)
    if int(request.headers.get("content-length") or 0) > MAX_REQUEST_BYTES:
        raise Problem(413, "Payload Too Large", f"The request body exceeds {MAX_REQUEST_BYTES} bytes.")
    try:
        form = await request.form()
    except Exception:  # the multipart parser's errors, whatever their class: a malformed body
        raise Problem(400, "Bad Request", "The multipart body cannot be read.") from None
    content = form.get("content")
    if content is None:
        raise Problem(400, "Bad Request", "The multipart body has no part named 'content'.")
    raw = await content.read() if hasattr(content, "read") else str(content).encode("utf-8")
    files = [value for name, value in form.multi_items() if name != "content" and hasattr(value, "read")]
    if len(files) != 1:
        raise Problem(400, "Bad Request", "The multipart body must have one part with the binary data (a file).")
    return (_content(raw), validate), await files[0].read()


def _guid(reference: str) -> str:
    guid = parse_guid(reference)
    if guid is None:
        raise Problem(400, "Bad Request", f"'{reference}' is not a content GUID.")
    return guid


def _flag(value: str | None) -> bool:
    if value is None:
        return False
    if value not in ("true", "false"):
        raise Problem(400, "Bad Request", f"{PERMANENT_DELETE} must be true or false.")
    return value == "true"


def _top(value: str | None) -> int:
    if value is None:
        return MAX_TOP
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_TOP:
        raise Problem(400, "Bad Request", f"top must be a whole number from 1 to {MAX_TOP}.")
    return int(value)


def _token(parent_id: int, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{parent_id}|{last_id}".encode()).decode()


def _after(token: str | None, parent_id: int) -> int:
    """Where a continuation token left off: opaque to clients, bound to the parent it was issued for."""
    if not token:
        return 0
    try:
        parent, last = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        if int(parent) == parent_id:
            return int(last)
    except (ValueError, UnicodeDecodeError):
        pass
    raise Problem(400, "Bad Request", f"The {CONTINUATION} token is not valid for this listing.")
