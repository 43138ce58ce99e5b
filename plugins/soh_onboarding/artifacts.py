"""The artifact store: one folder per force and run, one sub-folder per phase.

    <store>/<force slug>/<run id>/spec/          the spec as validated, and what the run ran with
    <store>/<force slug>/<run id>/<phase>/       each later phase's inventories and reports
    <store>/<force slug>/dpia-approved.json      what outlives a run: the force's approved DPIA

`root` is any pathlib-like object: a `pathlib.Path` from the CLI and tests, or the `ObjectStoragePath`
that the Airflow glue builds from configuration (a local folder by default, object storage when
deployed). This module only joins, creates and writes, so both work the same.

A file whose name comes from data (a mapped page's new path, a crawled body's hash, a scenario id) is
joined with `within`, never with `/` alone: the name may not climb out of its folder, by `..` or by a
symbolic link.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from . import phases

PHASES = phases.FOLDERS
"""Sub-folders of a run, in the order of the flow (the phase registry, phases.py)."""


def safe_name(text: str) -> str:
    """A run id such as 'manual__2026-11-25T11:32:39+00:00' as a name every store accepts."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return cleaned[:200] or "run"


def is_local(folder: Any) -> bool:
    """A folder on this machine's file system (a pathlib.Path, or an ObjectStoragePath of file://)."""
    protocol = getattr(folder, "protocol", "file")
    return protocol in ("file", "local", "") or (isinstance(protocol, tuple) and "file" in protocol)


class OutsideFolder(ValueError):
    """A name from data that would put (or read) a file outside the folder it belongs in."""


def within(folder: Any, name: str) -> Any:
    """`folder / name` for a relative name that comes from data, refusing anything that leaves the folder.

    Refused (OutsideFolder): an empty or absolute name, a `.` or `..` segment, a backslash or NUL (a
    separator or terminator somewhere else: object stores, Windows, C), and, on the local file system, a
    name that goes through a symbolic link anywhere below `folder` (its resolved location is not the
    folder's resolved location joined with the name). The last is what `..` checks alone miss: a link
    left in a run folder (by a restore, a bug, a person) would carry a write or a read to /etc or to
    another force's files. The folder itself may be behind a link (e.g. a store on a mounted volume).
    Object storage has no links, so there the name's segments are the whole check (no resolve(), which
    it cannot do). Empty segments are ignored, as pathlib ignores them: `a//b/` is `a/b`.
    """
    parts = [part for part in name.split("/") if part]
    problem = _name_problem(name, parts)
    if problem:
        raise OutsideFolder(f"{name!r} is {problem}: refused as a file name under {folder}")
    path = folder
    for part in parts:
        path = path / part
    if is_local(folder):
        root = os.path.realpath(_local(folder))
        if os.path.realpath(_local(path)) != os.path.join(root, *parts):
            raise OutsideFolder(f"{name!r} goes through a symbolic link under {folder}: refused")
    return path


def _name_problem(name: str, parts: list[str]) -> str:
    """What makes a name unfit to join under a folder, or "" when nothing does."""
    if not parts:
        return "an empty name"
    if name.startswith("/"):
        return "an absolute path"
    if any(part in (".", "..") for part in parts):
        return "a . or .. segment"
    if "\\" in name or "\0" in name:
        return "a backslash or NUL"
    return ""


def _local(path: Any) -> str:
    """A local path's file-system path: an ObjectStoragePath of file:// keeps it in `.path`."""
    return path.path if hasattr(path, "protocol") else os.fspath(path)


def force_folder(store: Any, slug: str) -> Any:
    return store / safe_name(slug)


@dataclass(frozen=True)
class RunFolder:
    """The folder of one onboarding run of one force."""

    root: Any

    @classmethod
    def for_run(cls, store: Any, slug: str, run_id: str) -> RunFolder:
        return cls(force_folder(store, slug) / safe_name(run_id))

    @property
    def force(self) -> Any:
        """The force's folder, holding every run and what outlives a run (e.g. the approved DPIA)."""
        return self.root.parent

    def phase(self, name: str) -> Any:
        """The phase's sub-folder, created if need be."""
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}; phases are {', '.join(PHASES)}")
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def write_json(path: Any, data: Any) -> None:
    """Stable, readable JSON: sorted keys so two runs' files diff cleanly."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
