"""Cloudflare's contract (schemas/cloudflare-api.yaml) and the sandbox edge keep to each other, and the
official library's typed models accept every answer the adapter relies on.

Schemathesis generates requests from the contract, valid and invalid, and sends them to the sandbox on a
real port: no answer may be a 500, and every answer must match the contract's status codes and schemas.
The library's models are generated from Cloudflare's own OpenAPI schema, so validating the sandbox's raw
answers with them checks the sandbox against Cloudflare's published shapes, not only against ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cloudflare
import httpx
import pytest
import schemathesis
from cloudflare.types.dns import RecordResponse
from cloudflare.types.rules import ListCreateResponse, ListGetResponse
from cloudflare.types.rules.lists import BulkOperationGetResponse, ItemCreateResponse, ItemListResponse
from cloudflare.types.rulesets import PhaseGetResponse, PhaseUpdateResponse, RuleCreateResponse, RuleEditResponse
from cloudflare.types.zones import SettingEditResponse, SettingGetResponse, Zone
from hypothesis import HealthCheck, settings
from pydantic import TypeAdapter
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import ROOT
from sandbox.edge.server import SandboxEdge, start
from test_cloudflare_edge import ZONES, connect, want

CONTRACT = ROOT / "schemas" / "cloudflare-api.yaml"


@pytest.fixture(scope="module")
def edge() -> Iterator[tuple[SandboxEdge, Any]]:
    sandbox = SandboxEdge(zones=list(ZONES), rate_limit=0)
    with start(sandbox) as running:
        connect(running, sandbox).converge(want(30, live=True))  # so some generated ids and names exist
        yield sandbox, running


schema = schemathesis.openapi.from_path(CONTRACT)


@schema.parametrize()
@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_sandbox_answers_as_the_contract_says(case, edge) -> None:
    # A write that JSON Schema allows may still rightly be refused for what a schema cannot say (a record's
    # name outside its zone, a rule's action not of its phase, a source URL already in the list, an id that
    # names nothing): for writes, only the acceptance of schema-valid data is not checked.
    # And a list's page asked with a cursor the edge never issued is rightly refused: cursors are opaque.
    sandbox, running = edge
    write = case.method.upper() != "GET" or "cursor" in (case.query or {})
    case.call_and_validate(
        base_url=running.api_url,
        headers={"Authorization": f"Bearer {sandbox.token}"},
        excluded_checks=[positive_data_acceptance] if write else None,
    )


def _result(raw: Any) -> Any:
    body = raw.http_response.json()
    assert body["success"] is True and body["errors"] == [], body
    return body["result"]


def test_the_official_models_accept_every_answer_the_adapter_reads(edge) -> None:
    sandbox, running = edge
    client = cloudflare.Cloudflare(api_token=sandbox.token, base_url=running.api_url, max_retries=0)
    account = sandbox.account_id
    zone = _result(client.zones.with_raw_response.list(name="soh.example"))[0]
    TypeAdapter(Zone).validate_python(zone)
    records = _result(client.dns.records.with_raw_response.list(zone_id=zone["id"], name={"exact": "demo.soh.example"}))
    assert records and all(TypeAdapter(RecordResponse).validate_python(record) for record in records)
    made = _result(
        client.dns.records.with_raw_response.create(
            zone_id=zone["id"], name="x.soh.example", type="CNAME", content="t.example", proxied=True, ttl=1
        )
    )
    TypeAdapter(RecordResponse).validate_python(made)
    for setting_id in ("min_tls_version", "security_header"):
        TypeAdapter(SettingGetResponse).validate_python(
            _result(client.zones.settings.with_raw_response.get(setting_id=setting_id, zone_id=zone["id"]))
        )
    edited = client.zones.settings.with_raw_response.edit(setting_id="min_tls_version", zone_id=zone["id"], value="1.3")
    TypeAdapter(SettingEditResponse).validate_python(_result(edited))
    entry = _result(client.rulesets.phases.with_raw_response.get("http_response_headers_transform", zone_id=zone["id"]))
    TypeAdapter(PhaseGetResponse).validate_python(entry)
    rule = {
        "ref": "contract",
        "expression": "true",
        "action": "rewrite",
        "action_parameters": {"headers": {"X-A": {"operation": "set", "value": "1"}}},
    }
    added = _result(client.rulesets.rules.with_raw_response.create(entry["id"], zone_id=zone["id"], **rule))
    TypeAdapter(RuleCreateResponse).validate_python(added)
    rule_id = next(r["id"] for r in added["rules"] if r["ref"] == "contract")
    changed = client.rulesets.rules.with_raw_response.edit(
        rule_id, ruleset_id=entry["id"], zone_id=zone["id"], **rule | {"enabled": False}
    )
    TypeAdapter(RuleEditResponse).validate_python(_result(changed))
    put = client.rulesets.phases.with_raw_response.update(
        "http_response_headers_transform", zone_id=zone["id"], rules=[rule]
    )
    TypeAdapter(PhaseUpdateResponse).validate_python(_result(put))

    created = _result(
        client.rules.lists.with_raw_response.create(account_id=account, kind="redirect", name="contract_list")
    )
    TypeAdapter(ListCreateResponse).validate_python(created)
    TypeAdapter(ListGetResponse).validate_python(
        _result(client.rules.lists.with_raw_response.get(created["id"], account_id=account))
    )
    item = {
        "redirect": {"source_url": "www.demoshire-police.example/contract", "target_url": "https://demo.soh.example/"}
    }
    operation = _result(
        client.rules.lists.items.with_raw_response.create(created["id"], account_id=account, body=[item])
    )
    TypeAdapter(ItemCreateResponse).validate_python(operation)
    status = _result(
        client.rules.lists.bulk_operations.with_raw_response.get(operation["operation_id"], account_id=account)
    )
    TypeAdapter(BulkOperationGetResponse).validate_python(status)
    ours = next(found for found in client.rules.lists.list(account_id=account) if found.name == "soh_demo_redirects")
    page = client.rules.lists.items.with_raw_response.list(ours.id, account_id=account, per_page=25)
    body = page.http_response.json()
    assert len(body["result"]) == 25 and body["result_info"]["cursors"]["after"], "cursor pagination"
    assert all(TypeAdapter(ItemListResponse).validate_python(found) for found in body["result"])
    assert len(list(client.rules.lists.items.list(ours.id, account_id=account, per_page=7))) == 60, (
        "every page, by the library's own paginator"
    )


def test_errors_come_in_cloudflares_envelope(edge) -> None:
    sandbox, running = edge
    client = cloudflare.Cloudflare(api_token=sandbox.token, base_url=running.api_url, max_retries=0)
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.dns.records.get("0" * 32, zone_id="f" * 32)
    assert missing.value.body == {
        "success": False,
        "errors": [{"code": 1001, "message": "Invalid zone identifier"}],
        "messages": [],
        "result": None,
    }
    with pytest.raises(cloudflare.BadRequestError) as refused:
        zone = sandbox.store.zones("soh.example")[0]["id"]
        client.dns.records.create(zone_id=zone, name="elsewhere.example", type="A", content="192.0.2.1", ttl=1)
    assert refused.value.body["errors"][0]["code"] == 9007
    with pytest.raises(cloudflare.NotFoundError) as nowhere:
        client.get("/zones/nothing/here/at/all", cast_to=object)
    assert nowhere.value.body["errors"][0]["code"] == 7000
    bare = httpx.get(f"{running.api_url}/zones")
    assert bare.status_code == 401 and bare.json()["errors"] == [{"code": 10000, "message": "Authentication error"}]
