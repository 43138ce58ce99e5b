"""The national service catalogue (config/services.yaml): what each service processes, and its risks.

The DPIA screening derives a force's data protection picture from the services it enables, so the
catalogue is national configuration reviewed like code: its schema (schemas/services-catalogue.schema.json)
and the cross-references below (every risk, mitigation and processor named exists) are checked with
located errors before anything uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import project
from ..spec import documents
from ..spec.documents import DocumentError, format_field

CATALOGUE_SCHEMA = project.SCHEMAS_DIR / "services-catalogue.schema.json"


class CatalogueError(Exception):
    """The catalogue fails its checks: national configuration must be fixed before any screening."""

    def __init__(self, errors: list[DocumentError]) -> None:
        self.errors = errors
        listing = "\n".join(error.format() for error in errors)
        super().__init__(f"the service catalogue has {len(errors)} error(s):\n{listing}")


@dataclass(frozen=True)
class Processing:
    """What a service (or the platform itself) does with personal data."""

    purpose: str
    data_categories: tuple[str, ...]
    data_subjects: tuple[str, ...]
    regime: str  # "law_enforcement" (DPA 2018 Part 3) or "general" (UK GDPR)
    lawful_basis: str
    sensitive_processing: str
    processors: tuple[str, ...]
    retention: str
    flags: tuple[str, ...]
    risks: tuple[str, ...]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Processing:
        return cls(
            purpose=data["purpose"],
            data_categories=tuple(data["data_categories"]),
            data_subjects=tuple(data["data_subjects"]),
            regime=data["regime"],
            lawful_basis=data["lawful_basis"],
            sensitive_processing=data.get("sensitive_processing", ""),
            processors=tuple(data["processors"]),
            retention=data["retention"],
            flags=tuple(data.get("flags", ())),
            risks=tuple(data.get("risks", ())),
        )


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    description: str
    path: str
    processing: Processing


@dataclass(frozen=True)
class RiskTemplate:
    """A risk to individuals on the ICO's scale, before and after its standard mitigations."""

    id: str
    title: str
    description: str
    likelihood: str
    severity: str
    mitigations: tuple[str, ...]
    residual_likelihood: str
    residual_severity: str


@dataclass(frozen=True)
class Processor:
    id: str
    name: str
    role: str
    location: str


@dataclass(frozen=True)
class Catalogue:
    services: dict[str, Service]
    platform: Processing
    processors: dict[str, Processor]
    mitigations: dict[str, str]
    risks: dict[str, RiskTemplate]
    answer_risks: dict[str, str]
    large_scale_submissions_per_year: int
    sha256: str


def _screening_answers() -> set[str]:
    from .. import spec

    return set(spec.schema()["properties"]["dpia"]["properties"]["screening"]["properties"])


def _reference_errors(document: documents.Document) -> list[DocumentError]:
    """Ids unique, and every id referred to defined: what a schema alone cannot say."""
    data, source = document.data, document.source
    errors: list[DocumentError] = []

    def fail(path: tuple, message: str, hint: str = "") -> None:
        line, column = source.position(path)
        errors.append(DocumentError(document.shown, line, column, format_field(path), message, hint))

    defined: dict[str, set[str]] = {}
    for section in ("services", "processors", "mitigations", "risks"):
        defined[section] = set()
        for index, item in enumerate(data[section]):
            if item["id"] in defined[section]:
                fail((section, index, "id"), f"'{item['id']}' is defined more than once in {section}")
            defined[section].add(item["id"])

    def check_refs(path: tuple, values: list[str], section: str) -> None:
        for index, value in enumerate(values):
            if value not in defined[section]:
                fail(
                    (*path, index),
                    f"'{value}' is not defined in {section}",
                    f"define it under {section}: or fix the id",
                )

    for index, service in enumerate(data["services"]):
        processing = service["processing"]
        check_refs(("services", index, "processing", "processors"), processing["processors"], "processors")
        check_refs(("services", index, "processing", "risks"), processing["risks"], "risks")
    check_refs(("platform", "processors"), data["platform"]["processors"], "processors")
    check_refs(("platform", "risks"), data["platform"]["risks"], "risks")
    for index, risk in enumerate(data["risks"]):
        check_refs(("risks", index, "mitigations"), risk["mitigations"], "mitigations")
    answers = _screening_answers()
    for answer, risk in data["answer_risks"].items():
        if answer not in answers:
            fail(
                ("answer_risks", answer),
                f"'{answer}' is not a screening answer of the spec",
                f"answers are: {', '.join(sorted(answers))}",
            )
        if risk not in defined["risks"]:
            fail(("answer_risks", answer), f"'{risk}' is not defined in risks")
    return errors


def load(path: Path | None = None) -> Catalogue:
    """Load and check the catalogue; raise CatalogueError with every located error."""
    document = documents.load(path or project.SERVICES_CATALOGUE, documents.schema_for(CATALOGUE_SCHEMA))
    if not document.errors and isinstance(document.data, dict):
        document.errors += _reference_errors(document)
    if document.errors:
        raise CatalogueError(document.errors)
    data = document.data
    return Catalogue(
        services={
            item["id"]: Service(
                item["id"], item["name"], item["description"], item["path"], Processing.from_data(item["processing"])
            )
            for item in data["services"]
        },
        platform=Processing.from_data(data["platform"]),
        processors={
            item["id"]: Processor(item["id"], item["name"], item["role"], item["location"])
            for item in data["processors"]
        },
        mitigations={item["id"]: item["text"] for item in data["mitigations"]},
        risks={
            item["id"]: RiskTemplate(
                item["id"],
                item["title"],
                item["description"],
                item["likelihood"],
                item["severity"],
                tuple(item["mitigations"]),
                item["residual"]["likelihood"],
                item["residual"]["severity"],
            )
            for item in data["risks"]
        },
        answer_risks=dict(data["answer_risks"]),
        large_scale_submissions_per_year=data["large_scale_submissions_per_year"],
        sha256=document.sha256,
    )
