"""Optimizely CMS's contract as we use it (schemas/optimizely-cma.yaml, written from the vendor's
documentation) and the sandbox CMS keep to each other.

Schemathesis generates requests from the contract, valid and invalid, and sends them to the sandbox
running on a real port with a real token: no answer may be a 500, and every answer must match the
contract's status codes, content types, headers and schemas.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import ROOT
from sandbox.cms import SandboxCMS, start

CONTRACT = ROOT / "schemas" / "optimizely-cma.yaml"
SECRET = "contract-secret"
WRITES = {"token", "createContent", "createOrReplaceContent", "patchContent", "deleteContent"}


def test_the_contract_names_the_operations_we_use() -> None:
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert operations == WRITES | {"getContent", "getChildren"}
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/episerver/connect/token"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[str, str]]:
    cms = SandboxCMS(client_secret=SECRET)
    with start(cms) as running:
        form = {"grant_type": "client_credentials", "client_id": cms.client_id, "client_secret": SECRET}
        token = requests.post(f"{running.url}/api/episerver/connect/token", data=form, timeout=10).json()
        yield running.url, token["access_token"]


schema = schemathesis.openapi.from_path(CONTRACT)


@schema.parametrize()
@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_sandbox_answers_as_the_contract_says(case, sandbox: tuple[str, str]) -> None:
    # A schema-valid write may rightly be refused for what JSON Schema cannot say (the parent exists, the
    # type has that property, the URL segment is free, the client is known), so for writes only the
    # acceptance of schema-valid data is not checked.
    # Likewise a children listing with an x-epi-continuation token the CMS never issued ("-" is a string the
    # schema allows) is rightly refused: the token is opaque, only the CMS's own are valid.
    url, token = sandbox
    operation = case.operation.definition.raw.get("operationId")
    continued = operation == "getChildren" and "x-epi-continuation" in {k.lower() for k in (case.headers or {})}
    case.call_and_validate(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[positive_data_acceptance] if operation in WRITES or continued else None,
    )
