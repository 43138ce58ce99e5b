"""The go-live checks' configuration: config/go-live.yaml, its scoring table, and environment overrides.

How the checks connect depends on where they run (a deployment's resolver and CA bundle, a test's
local ports), so environment variables override the file: SOH_GOLIVE_RESOLVER (address or
address:port), SOH_GOLIVE_HTTP_PORT, SOH_GOLIVE_HTTPS_PORT, SOH_GOLIVE_CA_BUNDLE and SOH_GOLIVE_LOCAL_TEST_CA
("1" or "true": the CA bundle is a local test CA, e.g. the sandbox ingress's).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import project
from ..spec import documents, yamlsource
from ..spec.documents import DocumentError
from .headers import ScoringTable
from .net import Network

CONFIG = project.CONFIG_DIR / "go-live.yaml"
SCHEMA = project.SCHEMAS_DIR / "go-live.schema.json"


class SettingsError(Exception):
    """The configuration fails its checks; every error located."""

    def __init__(self, errors: list[DocumentError]) -> None:
        self.errors = errors
        super().__init__("the go-live configuration has errors:\n" + "\n".join(e.format() for e in errors))


@dataclass(frozen=True)
class Settings:
    ingress_addresses: tuple[str, ...]
    cname_targets: tuple[str, ...]
    caa_issuers: tuple[str, ...]
    network: Network
    concurrency: int
    certificate_min_days: int
    scoring: ScoringTable
    local_test_ca: bool = False
    """The CA bundle is a local test CA (a sandbox's), not a deployment's: only then may a browser, which
    cannot be handed a CA bundle, skip certificate verification (the accessibility re-audit)."""


def parse_resolver(text: str) -> tuple[str, int]:
    """'192.0.2.53', '192.0.2.53:5353', '[2001:db8::53]:53' or '2001:db8::53' -> (address, port)."""
    text = text.strip()
    if text.startswith("["):
        address, _, port = text[1:].partition("]")
        port = port.lstrip(":")
    elif text.count(":") == 1:
        address, port = text.split(":")
    else:
        address, port = text, ""
    ipaddress.ip_address(address)  # ValueError: not an address
    number = int(port) if port else 53
    if not 0 < number < 65536:
        raise ValueError(f"port {number} is out of range")
    return address, number


def load(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check the configuration; raise SettingsError with every located error."""
    path = path or CONFIG
    environ = os.environ if environ is None else environ
    document = documents.load(path, documents.schema_for(SCHEMA))
    if document.errors:
        raise SettingsError(document.errors)
    data = document.data
    errors: list[DocumentError] = []

    def problem(field: str, message: str, hint: str = "") -> None:
        errors.append(DocumentError(document.shown, 1, 1, field, message, hint))

    for number, address in enumerate(data["ingress"]["addresses"]):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            problem(f"ingress.addresses[{number}]", f"'{address}' is not an IP address")
    resolver_text = environ.get("SOH_GOLIVE_RESOLVER") or data.get("resolver")
    resolver = None
    if resolver_text:
        try:
            resolver = parse_resolver(resolver_text)
        except ValueError as exc:
            problem("resolver", f"'{resolver_text}' is not address[:port]: {exc}", "e.g. 192.0.2.53 or 127.0.0.1:5353")
    ports = {"http": 80, "https": 443, **data["ports"]}
    for scheme in ports:
        given = environ.get(f"SOH_GOLIVE_{scheme.upper()}_PORT")
        if given:
            if not given.isdigit() or not 0 < int(given) < 65536:
                problem(f"ports.{scheme}", f"SOH_GOLIVE_{scheme.upper()}_PORT={given!r} is not a port number")
            else:
                ports[scheme] = int(given)
    ca_bundle = environ.get("SOH_GOLIVE_CA_BUNDLE") or data.get("ca_bundle")
    if ca_bundle and not Path(ca_bundle).is_file():
        problem("ca_bundle", f"no such file: {ca_bundle}", "a PEM file of CA certificates")
    local_test_ca = bool(data.get("local_test_ca", False))
    flag = environ.get("SOH_GOLIVE_LOCAL_TEST_CA")
    if flag:
        if flag.lower() not in ("1", "true", "0", "false"):
            problem("local_test_ca", f"SOH_GOLIVE_LOCAL_TEST_CA={flag!r} is not 1, true, 0 or false")
        local_test_ca = flag.lower() in ("1", "true")
    if local_test_ca and not ca_bundle:
        problem("local_test_ca", "a local test CA is declared but no ca_bundle is set", "set ca_bundle to its PEM file")
    scoring_path = path.parent / data["scoring"]
    scoring = _scoring(scoring_path, problem)
    if errors or scoring is None:
        raise SettingsError(errors)
    network = Network(
        resolver=resolver,
        ports=ports,
        ca_bundle=ca_bundle or None,
        timeout=float(data["timeout_seconds"]),
        pool_size=int(data["concurrency"]),
    )
    return Settings(
        ingress_addresses=tuple(data["ingress"]["addresses"]),
        cname_targets=tuple(t.rstrip(".").lower() for t in data["ingress"].get("cname_targets", [])),
        caa_issuers=tuple(data["caa_issuers"]),
        network=network,
        concurrency=int(data["concurrency"]),
        certificate_min_days=int(data["certificate_min_days"]),
        scoring=scoring,
        local_test_ca=local_test_ca,
    )


def _scoring(path: Path, problem: Callable[..., None]) -> ScoringTable | None:
    try:
        source = yamlsource.read(path.read_bytes())
    except OSError as exc:
        problem("scoring", f"cannot read {path}: {exc.strerror or exc}")
        return None
    if source.problems or not isinstance(source.data, dict):
        problem("scoring", f"{path} is not a readable YAML mapping")
        return None
    try:
        table = ScoringTable.from_data(source.data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem("scoring", f"{path}: missing or wrong entry {exc}", "see the table's header for its shape")
        return None
    missing = {"A+", "A", "B", "C"} - set(table.thresholds)
    if missing:
        problem("scoring", f"{path}: thresholds lack {', '.join(sorted(missing))}")
        return None
    return table
