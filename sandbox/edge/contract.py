"""The sandbox edge checks each request against the contract it speaks (schemas/cloudflare-api.yaml), as
Cloudflare's API checks its own: query parameters by type and bounds, JSON bodies by schema. A request the
contract does not allow is a 400 in Cloudflare's envelope before any handler sees it, so the sandbox refuses
what Cloudflare would, and the contract and the sandbox cannot drift apart unnoticed (the contract test
sends invalid requests too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .state import CloudflareError

CONTRACT = Path(__file__).resolve().parents[2] / "schemas" / "cloudflare-api.yaml"


@dataclass(frozen=True)
class Operation:
    parameters: dict[str, dict[str, Any]]
    """Query parameters: name -> schema."""
    body: jsonschema.protocols.Validator | None


def _shape(template: str) -> str:
    """A path template with its parameter names dropped: /zones/{zone_id} and /zones/{id} are one route."""
    return re.sub(r"\{[^}]+\}", "{}", template)


class Contract:
    """The contract's operations by (method, path shape)."""

    def __init__(self, path: Path = CONTRACT) -> None:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.operations: dict[tuple[str, str], Operation] = {}
        for template, item in document["paths"].items():
            for method, operation in item.items():
                if method == "parameters":
                    continue
                query = {
                    p["name"]: p["schema"]
                    for p in [*item.get("parameters", []), *operation.get("parameters", [])]
                    if "$ref" not in p and p["in"] == "query"
                }
                schema = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json", {})
                body = None
                if "schema" in schema:
                    whole = {**schema["schema"], "components": document["components"]}
                    body = jsonschema.Draft7Validator(whole)
                self.operations[(method.upper(), _shape(template))] = Operation(query, body)

    def check(self, method: str, template: str, query: list[tuple[str, str]], body: Any) -> None:
        """Raise Cloudflare's 400 when the request breaks the contract (an unknown route is the router's)."""
        operation = self.operations.get((method, _shape(template)))
        if operation is None:
            return
        names = [name for name, _ in query]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise CloudflareError(400, 1004, f"query parameter {twice[0]!r} given more than once")
        for name, value in query:
            schema = operation.parameters.get(name)
            if schema is None:
                # Stricter than Cloudflare, which ignores what it does not know: here the contract must name
                # every parameter the adapter sends, so an unnamed one is refused.
                raise CloudflareError(400, 1004, f"unknown query parameter {name!r} (not in the contract)")
            _check_parameter(name, value, schema)
        if operation.body is not None:
            error = jsonschema.exceptions.best_match(operation.body.iter_errors(body))
            if error is not None:
                where = "/".join(str(part) for part in error.absolute_path) or "the body"
                raise CloudflareError(400, 9207, f"Request body is invalid: {where}: {error.message[:200]}")


def _check_parameter(name: str, value: str, schema: dict[str, Any]) -> None:
    if schema.get("type") == "integer":
        try:
            number = int(value)
        except ValueError:
            raise CloudflareError(400, 1004, f"{name} must be a whole number") from None
        if number < schema.get("minimum", number) or number > schema.get("maximum", number):
            raise CloudflareError(
                400, 1004, f"{name} must be between {schema.get('minimum')} and {schema.get('maximum')}"
            )
        return
    if len(value) > schema.get("maxLength", len(value)):
        raise CloudflareError(400, 1004, f"{name} is longer than {schema['maxLength']} characters")
    if "enum" in schema and value not in schema["enum"]:
        raise CloudflareError(400, 1004, f"{name} must be one of {', '.join(schema['enum'])}")
