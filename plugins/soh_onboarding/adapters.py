"""Which adapters reach the platform in this environment (config/platform.yaml, SOH_ENVIRONMENT).

A deployment names its environment once; every task then asks here whether the pages and documents go to
the platform's own API (facade) or to Optimizely CMS, and whether the edge is Cloudflare's or none, instead of each guessing from which Connections exist. A broken file or an unknown environment is
one located error, never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from .project import CONFIG_DIR

CONFIG = CONFIG_DIR / "platform.yaml"
ENV = "SOH_ENVIRONMENT"
DEFAULT_ENVIRONMENT = "local"
CHOICES = {"content": ("facade", "optimizely"), "edge": ("cloudflare", "none")}


class AdaptersError(ValueError):
    """config/platform.yaml cannot say which adapters to use."""


@dataclass(frozen=True)
class Adapters:
    environment: str
    content: str
    edge: str


def load(environment: str | None = None, path: Path = CONFIG) -> Adapters:
    """The adapters of `environment` (default: $SOH_ENVIRONMENT, else local)."""
    name = environment or os.environ.get(ENV) or DEFAULT_ENVIRONMENT
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise AdaptersError(f"{path}: cannot be read: {error}") from None
    environments = (data or {}).get("environments") if isinstance(data, dict) else None
    if not isinstance(environments, dict) or name not in environments:
        known = ", ".join(sorted(environments)) if isinstance(environments, dict) else "none"
        raise AdaptersError(f"{path}: no environment {name!r} under environments (known: {known}); set {ENV}")
    chosen = environments[name] or {}
    for key, allowed in CHOICES.items():
        if chosen.get(key) not in allowed:
            raise AdaptersError(
                f"{path}: environments.{name}.{key} is {chosen.get(key)!r}; it must be one of {', '.join(allowed)}"
            )
    return Adapters(name, chosen["content"], chosen["edge"])
