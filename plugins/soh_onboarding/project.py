"""Where the project's files are. One place, so the CLI, the DAGs and the tests agree.

In the repository the package lives in <root>/plugins/soh_onboarding/, so the root is two levels up.
Installed elsewhere (the pre-commit hook installs it into its own environment) the root is the working
directory, which is the repository when pre-commit runs. SOH_PROJECT_ROOT overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    if os.environ.get("SOH_PROJECT_ROOT"):
        return Path(os.environ["SOH_PROJECT_ROOT"]).resolve()
    beside = Path(__file__).resolve().parents[2]
    if (beside / "schemas").is_dir():
        return beside
    return Path.cwd()


ROOT = _find_root()
SPECS_DIR = ROOT / "onboarding_specs"
SCHEMAS_DIR = ROOT / "schemas"
CONFIG_DIR = ROOT / "config"
SPEC_SCHEMA = SCHEMAS_DIR / "onboarding-spec.schema.json"
SERVICES_CATALOGUE = CONFIG_DIR / "services.yaml"
DEFAULT_ARTIFACT_STORE = ROOT / "artifacts"
POOLS_CONFIG = CONFIG_DIR / "pools.json"


def specs_dir() -> Path:
    """The folder of force specs: onboarding_specs/, or SOH_SPECS_DIR (benchmarks and tests use it).

    Read at call time, not import time, so a test can point a DagBag at a folder of its own.
    """
    return Path(os.environ.get("SOH_SPECS_DIR") or SPECS_DIR)
