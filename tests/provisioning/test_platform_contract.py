"""The platform's contract (schemas/platform-api.yaml) and the sandbox keep to each other.

Schemathesis generates requests from the contract, valid and invalid, and sends them to the sandbox
running on a real port: no answer may be a 500, and every answer must match the contract's status
codes, content types and schemas.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import ROOT
from sandbox.platform import SandboxPlatform, start
from sandbox.platform.contract import document
from sandbox.platform.scenarios import configured_tenant

CONTRACT = ROOT / "schemas" / "platform-api.yaml"
TOKEN = "contract-token"


def test_the_committed_contract_is_what_the_sandbox_implements() -> None:
    committed = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    assert committed == document(), (
        "regenerate: .venv/bin/python -m sandbox.platform.contract > schemas/platform-api.yaml"
    )
    assert committed["openapi"].startswith("3.1")
    assert committed["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = {op["operationId"] for path in committed["paths"].values() for op in path.values()}
    assert operations >= {
        "health",
        "putTenant",
        "getTenant",
        "putDomains",
        "putBranding",
        "putServices",
        "putSecurityHeaders",
        "putState",
        "publishPages",
        "publishAssets",
        "publishRedirects",
        "listPages",
        "listAssets",
        "listRedirects",
        "getSummary",
    }


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    platform = SandboxPlatform(tmp_path_factory.mktemp("contract") / "p.sqlite3", token=TOKEN)
    configured_tenant(platform, "good", ("www.good-force.example",))  # so generated ids sometimes exist
    with start(platform) as running:
        yield running.url


schema = schemathesis.openapi.from_path(CONTRACT)


@schema.parametrize()
@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_sandbox_answers_as_the_contract_says(case, sandbox_url: str) -> None:
    # A valid batch must also satisfy what JSON Schema cannot say (each page's content hash is the hash of
    # its content, an asset's sha256 that of its bytes, a 301 has a target, no key twice), so generated
    # batches may rightly be refused: for them, only the acceptance of schema-valid data is not checked.
    batch = case.operation.definition.raw.get("operationId", "").startswith("publish")
    case.call_and_validate(
        base_url=sandbox_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
        excluded_checks=[positive_data_acceptance] if batch else None,
    )
