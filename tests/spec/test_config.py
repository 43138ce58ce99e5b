"""National configuration: the service catalogue agrees with the schema; the pools import into Airflow."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from conftest import ROOT, airflow_cli, undocumented_fields
from soh_onboarding import project, spec


def test_schema_is_valid_json_schema_2020_12_and_documents_every_field() -> None:
    schema = spec.schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)

    assert undocumented_fields(schema, "spec") == []


def test_the_schema_carries_every_section_the_phases_need() -> None:
    assert set(spec.schema()["required"]) == {
        "spec_version", "force", "contacts", "section_22", "legacy_site", "content_mapping",
        "tenant", "dpia", "accessibility", "go_live", "charging",
    }  # fmt: skip


def test_the_catalogue_schema_documents_every_field() -> None:
    from soh_onboarding.dpia import catalogue
    from soh_onboarding.spec import documents

    schema = documents.schema_for(catalogue.CATALOGUE_SCHEMA).data
    jsonschema.Draft202012Validator.check_schema(schema)
    assert undocumented_fields(schema, "catalogue") == []


def test_service_catalogue_matches_the_schema_enum() -> None:
    catalogue = yaml.safe_load(project.SERVICES_CATALOGUE.read_text(encoding="utf-8"))["services"]
    ids = [service["id"] for service in catalogue]
    assert len(ids) == len(set(ids))
    enum = spec.schema()["properties"]["tenant"]["properties"]["services"]["items"]["enum"]
    assert ids == enum
    for required in (
        "report-a-crime",
        "report-road-traffic-incident",
        "lost-and-found-property",
        "firearms-licensing",
        "clares-law",
    ):
        assert required in ids
    assert all({"id", "name", "description", "path"} <= set(service) for service in catalogue)


def test_pools_import_into_airflow(airflow_db: Path) -> None:
    done = airflow_cli("pools", "import", str(ROOT / "config" / "pools.json"))
    assert done.returncode == 0, done.stderr[-2000:]
    listed = airflow_cli("pools", "list", "--output", "json")
    pools = {pool["pool"]: pool for pool in json.loads(listed.stdout)}
    configured = json.loads((ROOT / "config" / "pools.json").read_text())
    for name, pool in configured.items():
        assert int(pools[name]["slots"]) == pool["slots"]
