"""Remember that a set of spec files passed the check, so the second DAG file need not check it again.

Both DAG files check every spec at every parse (dags/onboarding.py to build the DAGs, and
dags/onboarding_spec_errors.py to report the invalid ones), in separate processes. When the first
finds all specs valid, it leaves a marker named by a fingerprint of everything the verdict depends on:
the schema, the catalogue, the checking code, and each spec file's name and bytes. The second finds the
marker and skips its check. Any change to any of those makes a new fingerprint, so a stale marker is
never used; a missing one only costs the full check.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from . import project, spec, yamlsource


def cache_dir() -> Path:
    return Path(os.environ.get("SOH_CACHE_DIR") or Path(tempfile.gettempdir()) / f"soh-onboarding-{os.getuid()}")


@cache
def _rules_digest() -> bytes:
    digest = hashlib.sha256()
    for path in (Path(spec.__file__), Path(yamlsource.__file__), project.SPEC_SCHEMA, project.SERVICES_CATALOGUE):
        digest.update(path.read_bytes())
    return digest.digest()


def fingerprint(paths: Iterable[Path] | None = None) -> str:
    digest = hashlib.sha256(_rules_digest())
    for path in spec.spec_files(paths):
        digest.update(os.fsencode(path.resolve()))
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def known_valid(paths: Iterable[Path] | None = None) -> bool:
    return (cache_dir() / f"valid-{fingerprint(paths)}").exists()


def remember_valid(paths: Iterable[Path] | None = None) -> None:
    """Best effort: a cache that cannot be written only means the next parse checks again."""
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"valid-{fingerprint(paths)}").touch()
    except OSError:
        pass
