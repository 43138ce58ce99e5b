"""Write the admin API's contract, schemas/platform-api.yaml (OpenAPI 3.1), from the sandbox's models.

    .venv/bin/python -m sandbox.platform.contract > schemas/platform-api.yaml

The models in api.py are where the contract is edited; tests/provisioning/test_platform_contract.py fails when the
committed file and the sandbox differ, and runs schemathesis against the running sandbox with the file.
"""

from __future__ import annotations

from typing import Any

import yaml

from .api import MAX_ASSETS_PER_BATCH, MAX_PAGES_PER_BATCH, MAX_REDIRECTS_PER_BATCH, VERSION
from .server import SandboxPlatform

DESCRIPTION = f"""\
The admin API of the Single Online Home platform: what the onboarding orchestrator needs to set up a
force's tenant and publish its site. The supplier runs the real one; `sandbox/platform/` implements
this contract locally.

**Authentication**: every operation but `health` needs `Authorization: Bearer <token>`; without it, 401.

**Idempotency**: tenants and their configuration are set with PUT (repeatable). The batch operations
take an `Idempotency-Key`: a retry with the same key and body gets the first answer and changes
nothing (the same key with another body: 409). Clients retry 429 (after `Retry-After`), 500, 502, 503,
504 and timeouts with the same key.

**Batches**: pages (at most {MAX_PAGES_PER_BATCH} per batch), assets ({MAX_ASSETS_PER_BATCH}) and
redirects ({MAX_REDIRECTS_PER_BATCH}) are upserted keyed by path, each batch applied whole or not at all.
An item stored with the same hash is `unchanged` and keeps its revision.

**Content hash** of a page: the lower-case hex sha256 of the UTF-8 JSON object of its `path`, `title`,
`summary` ("" if absent), `body_html`, `content_type` ("page" if absent) and `published` (null if absent),
with sorted keys and no whitespace (`separators=(",", ":")`, non-ASCII unescaped). The platform
recomputes it and refuses a page whose hash differs, so reading back hashes verifies a publish.
Bodies must be sanitised HTML: script, style, iframe, object, embed, event handlers and `javascript:`
URLs are refused.

**Verifying**: `GET /tenants/{{id}}/summary` gives each collection's count and digest; the list
operations page through items in key order with `after` and `next_after`.

**Sites**: a tenant's preview is at `preview_url` (on the platform's host, under `/preview/<tenant_id>/`),
and its domains are served by host name. `PUT /tenants/{{id}}/state` with `live` is the go-live switch."""


def document() -> dict[str, Any]:
    doc = SandboxPlatform(token="contract").app().openapi()
    doc["info"] = {
        "title": "Single Online Home platform admin API",
        "version": VERSION,
        "description": DESCRIPTION,
    }
    doc["servers"] = [
        {"url": "http://127.0.0.1:8082", "description": "The sandbox (./bin/run); the supplier gives the real URL."}
    ]
    return doc


def dump() -> str:
    header = (
        "# The Single Online Home platform's admin API: the contract the orchestrator's client\n"
        "# (plugins/soh_onboarding/provisioning/client.py) and the sandbox (sandbox/platform/) keep to.\n"
        "# Generated from the sandbox's models: .venv/bin/python -m sandbox.platform.contract > schemas/platform-api.yaml\n"
    )
    return header + yaml.dump(document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


class _Dumper(yaml.SafeDumper):
    """Multi-line text as YAML literal blocks, so the description reads as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


if __name__ == "__main__":
    print(dump(), end="")
