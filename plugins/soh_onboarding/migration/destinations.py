"""National destinations: where an old URL may be redirected off the force's own new site.

Some of a force's old pages are replaced by a national service, not by a page of its new site: its fraud
reporting page by the national fraud reporting service, its "find your neighbourhood team" by police.uk.
A redirect there is a promise that another organisation answers the URL, so only the destinations the
national team agreed with their owners may be used: the allow-list in config/destinations.yaml (GOV.UK's
transition tool keeps a whitelist of hosts for the same reason). Free of other imports: the spec check
(the pre-commit hook's small install) reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

CONFIG = "destinations.yaml"
ENVIRONMENT = "SOH_DESTINATIONS"
"""Names another allow-list file (tests, a staging list) instead of config/destinations.yaml."""


class DestinationsError(ValueError):
    """The allow-list file is missing or malformed: the message names the file and the entry."""


def _parts(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port, parts.path or "/"


@dataclass(frozen=True)
class Destination:
    """One allowed destination: a URL prefix and its name."""

    name: str
    url: str
    owner: str = ""

    def holds(self, url: str) -> bool:
        """Whether `url` is under this prefix: the same scheme, host and port, and whole path segments."""
        try:
            scheme, host, port, path = _parts(url)
        except ValueError:
            return False
        own_scheme, own_host, own_port, prefix = _parts(self.url)
        if (scheme, host, port) != (own_scheme, own_host, own_port):
            return False
        return path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/")


@dataclass(frozen=True)
class Destinations:
    """The allow-list, read."""

    source: str
    entries: tuple[Destination, ...] = ()

    def match(self, url: str) -> Destination | None:
        """The destination `url` is under (the longest prefix), or None when it is not allowed."""
        found = [entry for entry in self.entries if entry.holds(url)]
        return max(found, key=lambda entry: len(entry.url)) if found else None

    def listing(self) -> str:
        """The allowed prefixes, for an error's hint."""
        return ", ".join(entry.url for entry in self.entries) or "none"

    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Destinations:
        """config/destinations.yaml, or the file SOH_DESTINATIONS names; DestinationsError says what is wrong."""
        from ..project import CONFIG_DIR

        env = os.environ if environ is None else environ
        source = Path(path or env.get(ENVIRONMENT) or CONFIG_DIR / CONFIG)
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        except OSError as error:
            raise DestinationsError(f"{source}: cannot read the national destinations: {error}") from None
        except yaml.YAMLError as error:
            raise DestinationsError(f"{source}: not valid YAML: {error}") from None
        return cls(str(source), tuple(_entries(data, source)))


def _entries(data: Any, source: Path) -> list[Destination]:
    listed = data.get("destinations") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        raise DestinationsError(f"{source}: needs a list `destinations`, each with name and url")
    entries = []
    for number, item in enumerate(listed, start=1):
        where = f"{source}: destinations[{number}]"
        if not isinstance(item, dict) or not item.get("name") or not item.get("url"):
            raise DestinationsError(f"{where}: each destination needs a name and a url")
        url = str(item["url"])
        try:
            scheme, host, _port, _path = _parts(url)
        except ValueError as error:
            raise DestinationsError(f"{where}: url {url!r} is not a URL ({error})") from None
        parts = urlsplit(url)
        if scheme not in ("https", "http") or not host or parts.query or parts.fragment:
            raise DestinationsError(f"{where}: url {url!r} must be https://host/path, without query or fragment")
        entries.append(Destination(str(item["name"]), url, str(item.get("owner") or "")))
    return entries
