"""Remember that a set of spec files passed the check, so later parses need not check it again.

Both kinds of DAG file check the specs at every parse, in separate processes: the onboarding shard files
(dags/onboarding_shard_*.py) to build the DAGs, and dags/onboarding_spec_errors.py to report the invalid
ones. When a check finds all specs valid, it leaves a marker named by a fingerprint of everything the
verdict depends on: the schema, the catalogue, the checking code, and each spec file's name and bytes.
With the marker it leaves each shard's specs, as the check parsed them, in a JSON file of their own, so
a shard file reads only its forces instead of parsing and validating every spec again (the full check
costs about 1 ms per spec; the cross-file rules need every spec, so without the cache each shard would
pay for all of them). Any change to any of those inputs makes a new fingerprint, so a stale marker is
never used; a missing one only costs the full check.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from .. import patterns, project, spec, urls
from . import documents, yamlsource

PRUNE_AFTER_SECONDS = 86_400
"""Cached specs of a fingerprint untouched this long are deleted when a new set is cached."""


def cache_dir() -> Path:
    return Path(os.environ.get("SOH_CACHE_DIR") or Path(tempfile.gettempdir()) / f"soh-onboarding-{os.getuid()}")


@cache
def _rules_digest() -> bytes:
    digest = hashlib.sha256()
    checking_code = (spec, yamlsource, documents, patterns, urls)  # urls: connect_to's ports, alt-text keys
    for path in (*(Path(m.__file__) for m in checking_code), project.SPEC_SCHEMA, project.SERVICES_CATALOGUE):
        digest.update(path.read_bytes())
    return digest.digest()


def _read(files: list[Path]) -> dict[Path, bytes | None]:
    contents: dict[Path, bytes | None] = {}
    for path in files:
        try:
            contents[path] = documents.read_bounded(path)  # what the check reads, and no more
        except OSError:
            contents[path] = None
    return contents


def _fingerprint(contents: dict[Path, bytes | None]) -> str:
    digest = hashlib.sha256(_rules_digest())
    resolved: dict[Path, Path] = {}  # one realpath per folder, not per file: 2,000 specs share one folder
    for path, raw in contents.items():
        folder = resolved.get(path.parent) or resolved.setdefault(path.parent, path.parent.resolve())
        digest.update(os.fsencode(folder / path.name))
        digest.update(b"unreadable" if raw is None else hashlib.sha256(raw).digest())
    return digest.hexdigest()


def fingerprint(paths: Iterable[Path] | None = None) -> str:
    return _fingerprint(_read(spec.spec_files(paths)))


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


# --- shards: the forces of one DAG file ----------------------------------------------------------


def shard_of(path: Path, shards: int) -> int:
    """Which of `shards` DAG files builds the DAG of this spec file: a stable hash of its name (the slug).

    CRC-32, not Python's hash(), which differs between processes; adding a force moves no other force."""
    return zlib.crc32(path.stem.encode()) % shards


def check_shard(shard: int, shards: int, paths: Iterable[Path] | None = None) -> spec.CheckResult:
    """The check's verdict on the specs of one shard, with every sibling taken into account.

    From the cache when the whole set is known valid; otherwise the full `spec.check()`, whose valid
    verdict then fills the cache for the other shards and for onboarding_spec_errors.py. The result's
    `specs` are this shard's valid specs; its `errors` are every spec's (the DAGs of the valid ones are
    built whatever the others say, and onboarding_spec_errors.py shows the errors)."""
    files = spec.spec_files(paths)
    contents = _read(files)
    key = _fingerprint(contents)
    mine = [path for path in files if shard_of(path, shards) == shard]
    cached = _cached_specs(key, shard, shards, {path: contents[path] for path in mine})
    if cached is not None:
        return spec.CheckResult(specs=cached, files_checked=len(files))
    result = spec.check(paths)
    if result.valid and all(s.raw == contents.get(s.path) for s in result.specs):  # no file changed meanwhile
        _remember_specs(key, shards, result.specs)
    result.specs = [force for force in result.specs if shard_of(force.path, shards) == shard]
    return result


def _trusted(folder: Path) -> bool:
    """Cached specs become DAGs: use them only from a folder of ours that nobody else may write to."""
    try:
        status = folder.stat()
    except OSError:
        return False
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def _specs_file(key: str, shard: int, shards: int) -> Path:
    return cache_dir() / f"specs-{key}-{shard}-of-{shards}.json"


def _cached_specs(key: str, shard: int, shards: int, mine: dict[Path, bytes | None]) -> list[spec.ForceSpec] | None:
    folder = cache_dir()
    if not (folder / f"valid-{key}").exists() or not _trusted(folder):
        return None
    try:
        entries = json.loads(_specs_file(key, shard, shards).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    specs = []
    by_path = {Path(entry["path"]): entry for entry in entries}
    if set(by_path) != set(mine):
        return None
    for path, raw in mine.items():
        entry = by_path[path]
        if raw is None or entry["sha256"] != hashlib.sha256(raw).hexdigest():
            return None
        specs.append(spec.ForceSpec(path, entry["data"], entry["sha256"], raw))
    return specs


def _remember_specs(key: str, shards: int, specs: list[spec.ForceSpec]) -> None:
    """The marker, and each shard's specs as the check parsed them. Best effort, as remember_valid."""
    entries: list[list[dict[str, Any]]] = [[] for _ in range(shards)]
    for force in specs:
        text = json.dumps(force.data)
        if json.loads(text) != force.data:  # only plain JSON data is cached: the shard must see what the check saw
            return
        entries[shard_of(force.path, shards)].append(
            {"path": str(force.path), "sha256": force.sha256, "data": force.data}
        )
    try:
        folder = cache_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _prune(folder)
        for shard, shard_entries in enumerate(entries):
            target = _specs_file(key, shard, shards)
            partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(shard_entries), encoding="utf-8")
            partial.replace(target)  # atomic: a shard parsed meanwhile reads all of it or nothing
        (folder / f"valid-{key}").touch()
    except OSError:
        pass


def _prune(folder: Path) -> None:
    cutoff = time.time() - PRUNE_AFTER_SECONDS
    for old in folder.glob("specs-*.json"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
