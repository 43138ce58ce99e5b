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


def specs_dir(dag_file: str | os.PathLike[str] | None = None) -> Path:
    """The folder of force specs: SOH_SPECS_DIR (benchmarks and tests use it), else the onboarding_specs/
    beside the dags/ folder `dag_file` is in, else the project's onboarding_specs/.

    Deployed, the DAG files and the specs come from a git DAG bundle (a checkout of one commit) while this
    library comes with the image: a DAG file names its own checkout, so the specs a run reads are those of
    the commit its DAG was parsed from, not the image's. Read at call time, not import time, so a test can
    point a DagBag at a folder of its own.
    """
    if os.environ.get("SOH_SPECS_DIR"):
        return Path(os.environ["SOH_SPECS_DIR"])
    if dag_file:
        beside = Path(dag_file).resolve().parent.parent / "onboarding_specs"
        if beside.is_dir():
            return beside
    return SPECS_DIR
