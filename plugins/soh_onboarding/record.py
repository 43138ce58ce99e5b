"""A force's onboarding record: every run, who triggered it, every decision, the spec versions and the
reports, as one zip a DPO or an auditor can keep.

    index.html             what a person reads first: the runs, the decisions, the spec versions, a link
                           to every file of the record
    manifest.json          the same as data, with the sha256 and size of every other file, and what was
                           left out and why
    runs/<run folder>/...  each run's folder as its phases wrote it (spec/, dpia/, migration/, ...)
    force/...              what outlives a run: the force's standing DPIA and go-live approvals

Plain Python: the runs come as `Run`s from whoever knows them (glue/record.py from Airflow's database, the
CLI from an export of Airflow's REST API, or nobody: then the store's run folders are the runs, and who
triggered each is unknown); the files come from the artifact store, a `pathlib.Path` or an object
storage path, read only through `/`, iterdir, is_dir, is_file, stat and open, and every name under the
store through `artifacts.within` (no `..`, no symbolic link followed).

A run folder holds more than a record needs: the crawl's checkpoint and the legacy site's raw pages, the
migration's intermediate chunks, the migrated documents and images. Those folders are left out, and so is
any other file over a size cap; each is listed in the manifest and the index with the reason, never
dropped silently. The zip is written as it is read, one file at a time, so a large store never sits in
memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from . import phases
from .artifacts import OutsideFolder, safe_name, within
from .dashboard import dag_of_force
from .spec.provenance import CodeVersion

MAX_FILE_BYTES = 25 * 1024 * 1024
"""A file larger than this is left out (and listed): the reports and inventories are far smaller; what
reaches it is content (a large site's content.jsonl), not a record of the onboarding."""

LEFT_OUT_FOLDERS: dict[str, str] = {
    f"{phases.MIGRATION.id}/crawl": "the crawl's checkpoint and the legacy site's raw pages: the crawler's working "
    "state and a copy of the old site; inventory.csv and redirects.csv say what it found",
    f"{phases.MIGRATION.id}/plan": "the migration's plan, an intermediate step: content.jsonl, inventory.csv and "
    "redirects.csv hold its outcome",
    f"{phases.MIGRATION.id}/content": "the processing's chunks (part-N.jsonl), merged into content.jsonl",
    f"{phases.MIGRATION.id}/assets": "the legacy site's documents and images at their new paths: content the "
    "platform publishes, listed in assets.csv",
}
"""Sub-folders of a run folder the record leaves out, with why (relative to the run folder)."""

UNKNOWN_TRIGGER = "unknown (not read from Airflow)"
"""Who triggered a run that only the artifact store knows of (no Airflow database, or a run it forgot)."""

RECORDED, NOT_RECORDED, UNREADABLE = "recorded", "not recorded", "unreadable"
"""A decision's or a spec snapshot's status in the record."""

CHUNK = 1024 * 1024
"""How much of a file is read, hashed and compressed at a time."""

INDEX, MANIFEST = "index.html", "manifest.json"


class RecordError(ValueError):
    """Input the record cannot be built from (a runs export that is not one), said in one line."""


@dataclass(frozen=True)
class Run:
    """One run of a force's onboarding DAG, as Airflow knows it (its database, or its REST API)."""

    run_id: str
    state: str = ""
    run_type: str = ""
    """manual, scheduled, backfill, asset_triggered."""
    triggered_by: str = ""
    """How Airflow says the run started: ui, rest_api, cli, timetable, ..."""
    triggering_user_name: str = ""
    """The signed-in user who triggered it; "" when no person did (a schedule, an asset)."""
    logical_date: str = ""
    start_date: str = ""
    end_date: str = ""
    run_after: str = ""
    conf: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    known_to_airflow: bool = True
    """False for a run folder of the store that no list of Airflow's runs held."""

    @property
    def who_triggered(self) -> str:
        if not self.known_to_airflow:
            return UNKNOWN_TRIGGER
        return self.triggering_user_name or f"no user ({self.triggered_by or self.run_type or 'not said'})"

    @property
    def folder(self) -> str:
        """The run's folder name in the store (artifacts.RunFolder)."""
        return safe_name(self.run_id)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"who_triggered": self.who_triggered}


@dataclass(frozen=True, kw_only=True)
class FromRunFolder:
    """What the record read of one file of a run's folder (a decision, a spec snapshot), and whether it could."""

    run_id: str
    status: str
    """RECORDED; NOT_RECORDED (no such file: for a decision, the phase ran and nobody decided: waiting, timed
    out, stopped); UNREADABLE."""
    problem: str = ""
    """Why it is not RECORDED, naming the file."""


@dataclass(frozen=True, kw_only=True)
class Decision(FromRunFolder):
    """A person's decision on one phase of one run, as the phase recorded it (decisions.HumanDecision)."""

    phase: str
    option: str = ""
    approved: bool | None = None
    responded_by: str = ""
    responded_at: str = ""
    comment: str = ""
    cites: str = ""
    """The run whose DPIA approval stood for this one, when the DPO was not asked again."""
    file: str = ""
    """The decision's file in the record, when RECORDED."""

    @property
    def label(self) -> str:
        return phases.by_id(self.phase).label

    @property
    def decided_by(self) -> str:
        return phases.by_id(self.phase).decided_by

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"label": self.label, "decided_by": self.decided_by}


@dataclass(frozen=True, kw_only=True)
class SpecVersion(FromRunFolder):
    """What a run ran with, from its spec snapshot (spec/provenance.py): the spec's hash and the commit."""

    spec_file: str = ""
    spec_sha256: str = ""
    code: CodeVersion | None = None
    """The commit the run's DAG and spec came from, as the snapshot recorded it."""
    snapshot_at: str = ""
    run_note: str = ""
    stored_sha256: str = ""
    """The sha256 of spec/spec.yaml as the record holds it: it should be `spec_sha256`."""

    @property
    def stored_matches(self) -> bool | None:
        return self.stored_sha256 == self.spec_sha256 if self.stored_sha256 and self.spec_sha256 else None


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class LeftOut:
    name: str
    reason: str


@dataclass(frozen=True)
class RunRecord:
    """One run with what its folder says of it."""

    run: Run
    folder: str
    """Its folder in the record ("runs/<run folder>"), "" when the store has none."""
    spec: SpecVersion
    decisions: list[Decision]
    moment: datetime | None
    """When it ran, for the order (newest first): Airflow's dates, else its spec snapshot's time."""


# --- the runs -------------------------------------------------------------------------------------------


def run_folders(store: Any, slug: str) -> list[str]:
    """The names of the force's run folders in the store: folders holding a phase's sub-folder (not the
    force's monitoring folders), reached without a symbolic link."""
    return _force_folder(store, slug)[0]


def _force_folder(store: Any, slug: str) -> tuple[list[str], list[str]]:
    """The force folder's run folders, and the names in it behind a symbolic link (not followed)."""
    force = safe_name(slug)
    if not _is_dir(store, force):
        return [], []
    found, linked = [], []
    for child in sorted(within(store, force).iterdir(), key=lambda path: path.name):
        folder = f"{force}/{child.name}"
        try:
            path = within(store, folder)
        except OutsideFolder:
            linked.append(child.name)
            continue
        if path.is_dir() and any((path / name).is_dir() for name in phases.FOLDERS):
            found.append(child.name)
    return found, linked


def with_store_runs(store: Any, slug: str, runs: Sequence[Run]) -> list[Run]:
    """`runs`, and a run for each run folder none of them names: its run id from its spec snapshot, who
    triggered it unknown."""
    known = {run.folder for run in runs}
    extra = []
    for name in run_folders(store, slug):
        if name not in known:
            snapshot, _, _ = _read_record(store, f"{safe_name(slug)}/{name}/spec/snapshot.json")
            run_id = str(snapshot.get("run_id") or "")
            extra.append(Run(run_id if safe_name(run_id) == name else name, known_to_airflow=False))
    return [*runs, *extra]


_TEXT_FIELDS = tuple(spec.name for spec in fields(Run) if spec.type == "str" and spec.name != "run_id")
"""What the REST API's run has besides its id that the record's Run keeps: text or null."""


def runs_from_api(text: str, dag_id: str) -> list[Run]:
    """The runs of `GET /api/v2/dags/{dag_id}/dagRuns` (its JSON: a `dag_runs` list), or RecordError
    saying where the text is not that (the line of bad JSON, the field of a bad run)."""
    try:
        data = json.loads(text)
    except ValueError as error:
        where = f"line {error.lineno}, column {error.colno}: " if isinstance(error, json.JSONDecodeError) else ""
        raise RecordError(f"{where}not JSON ({getattr(error, 'msg', error)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("dag_runs"), list):
        raise RecordError(f"expected an object with a 'dag_runs' list, as GET /api/v2/dags/{dag_id}/dagRuns answers")
    items = data["dag_runs"]
    total = data.get("total_entries")
    if isinstance(total, int) and total > len(items):
        raise RecordError(
            f"total_entries: {total} runs, but the file holds {len(items)}: export them all (?limit=, ?offset=)"
        )
    return [_api_run(item, f"dag_runs[{index}]", dag_id) for index, item in enumerate(items)]


def _api_run(item: Any, where: str, dag_id: str) -> Run:
    """One run of the API's list; RecordError naming the field that is wrong."""
    if not isinstance(item, dict):
        raise RecordError(f"{where}: expected an object, found {type(item).__name__}")
    if item.get("dag_id") not in (None, dag_id):
        raise RecordError(f"{where}.dag_id: {item['dag_id']!r} is not this force's DAG ({dag_id})")
    run_id = item.get("dag_run_id")
    if not isinstance(run_id, str) or not run_id:
        raise RecordError(f"{where}.dag_run_id: expected the run's id, found {run_id!r}")
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise RecordError(f"{where}.{name}: expected text or null, found {type(value).__name__}")
        values[name] = value or ""
    conf = item.get("conf")
    if conf is not None and not isinstance(conf, dict):
        raise RecordError(f"{where}.conf: expected an object or null, found {type(conf).__name__}")
    return Run(run_id, conf=conf or {}, **values)


# --- what a run's folder says -----------------------------------------------------------------------------


def _read_record(store: Any, relative: str) -> tuple[dict[str, Any], str, str]:
    """A JSON object a phase wrote, its status (RECORDED, NOT_RECORDED when there is no file, UNREADABLE),
    and what is wrong ("" when nothing): a broken file is said in the record, never a failed record."""
    try:
        data = json.loads(within(store, relative).read_bytes())
    except FileNotFoundError:
        return {}, NOT_RECORDED, "missing"
    except OutsideFolder:
        return {}, UNREADABLE, "behind a symbolic link: not followed"
    except OSError as error:
        return {}, UNREADABLE, f"cannot be read: {error.strerror or error}"
    except ValueError as error:
        return {}, UNREADABLE, f"not JSON: {error}"
    return (data, RECORDED, "") if isinstance(data, dict) else ({}, UNREADABLE, "not a JSON object")


def _fields_of(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The values of dataclass `cls`'s text and yes/no fields that `data` (JSON from the store) holds: text
    as text (null as "", or None where the field may be None), a yes/no only when the JSON holds a boolean. What `data` holds besides is not
    the record's; a field it lacks keeps its default."""
    values: dict[str, Any] = {}
    for spec in fields(cls):
        value = data.get(spec.name)
        if spec.name in data and spec.type == "str":
            values[spec.name] = "" if value is None else str(value)
        elif spec.name in data and spec.type == "str | None":
            values[spec.name] = None if value is None else str(value)
        elif spec.name in data and spec.type == "bool | None":
            values[spec.name] = value if isinstance(value, bool) else None
    return values


def _decisions(store: Any, base: str, run: Run) -> list[Decision]:
    """The decision of each phase a person decides, for the phases the run reached (has a folder of)."""
    found = []
    for phase in phases.DECIDED:
        if not _is_dir(store, f"{base}/{phase.id}"):
            continue
        relative = f"{phase.id}/{phase.result_file}"
        data, status, problem = _read_record(store, f"{base}/{relative}")
        about = {"run_id": run.run_id, "phase": phase.id}
        about |= {"status": status, "problem": problem and f"{relative} {problem}"}
        about["file"] = f"runs/{run.folder}/{relative}" if status == RECORDED else ""
        found.append(Decision(**_fields_of(Decision, data | about)))
    return found


def _spec_version(store: Any, base: str, run: Run) -> SpecVersion:
    """What the run's spec snapshot says (provenance.snapshot_spec): the spec's file and hash, the commit."""
    data, status, problem = _read_record(store, f"{base}/spec/snapshot.json")
    code = data.get("code")
    named = {"run_id": run.run_id, "status": status, "problem": problem and f"spec/snapshot.json {problem}"}
    named["run_note"] = data.get("note")
    return SpecVersion(**_fields_of(SpecVersion, data | named), code=_code_version(code))


def _code_version(code: Any) -> CodeVersion | None:
    """The snapshot's `code` (provenance.CodeVersion as JSON), None when it has none."""
    if not isinstance(code, dict):
        return None
    unknown = dict.fromkeys(spec.name for spec in fields(CodeVersion)) | {"source": "unknown"}
    return CodeVersion(**(unknown | _fields_of(CodeVersion, code)))


def _is_dir(store: Any, relative: str) -> bool:
    try:
        return within(store, relative).is_dir()
    except OutsideFolder:
        return False


def _moment(*texts: str) -> datetime | None:
    """The first of `texts` that is an ISO date and time, in UTC (Airflow's 'Z' or '+00:00' alike)."""
    for text in texts:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            continue
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def read_runs(store: Any, slug: str, runs: Sequence[Run]) -> list[RunRecord]:
    """Each run with its folder's decisions and spec version, newest first (a run with no date last)."""
    records = []
    for run in runs:
        base = f"{safe_name(slug)}/{run.folder}"
        has_folder = _is_dir(store, base)
        spec = _spec_version(store, base, run) if has_folder else SpecVersion(run_id=run.run_id, status=NOT_RECORDED)
        moment = _moment(run.start_date, run.logical_date, run.run_after, spec.snapshot_at)
        decisions = _decisions(store, base, run) if has_folder else []
        records.append(RunRecord(run, f"runs/{run.folder}" if has_folder else "", spec, decisions, moment))
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(records, key=lambda record: record.moment or oldest, reverse=True)


# --- the zip ------------------------------------------------------------------------------------------------


@dataclass
class _Writer:
    """The zip being written, and what went into it and what did not."""

    archive: zipfile.ZipFile
    date_time: tuple[int, int, int, int, int, int]
    max_file_bytes: int
    files: list[FileEntry] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)

    def _entry(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add_bytes(self, name: str, data: bytes, *, listed: bool = True) -> None:
        self.archive.writestr(self._entry(name), data)
        if listed:
            self.files.append(FileEntry(name, len(data), hashlib.sha256(data).hexdigest()))

    def add_if_there(self, store: Any, relative: str, name: str) -> None:
        """The store's file `relative` as `name`, when there is one (a link to one is listed, not followed)."""
        try:
            path = within(store, relative)
        except OutsideFolder:
            self.left_out.append(LeftOut(name, "behind a symbolic link: not followed"))
            return
        if path.is_file():
            self.add_file(name, path)

    def add_file(self, name: str, path: Any) -> None:
        """`path`'s bytes as `name`, a chunk at a time, hashed on the way; left out when too large or unreadable."""
        try:
            size = path.stat().st_size
            if size > self.max_file_bytes:
                self.left_out.append(LeftOut(name, f"{size:,} bytes, over the record's cap of {self.max_file_bytes:,}"))
                return
            source = path.open("rb")
        except OSError as error:
            self.left_out.append(LeftOut(name, f"cannot be read: {error.strerror or error}"))
            return
        digest, written = hashlib.sha256(), 0
        with source, self.archive.open(self._entry(name), "w", force_zip64=size > zipfile.ZIP64_LIMIT) as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
                written += len(chunk)
        self.files.append(FileEntry(name, written, digest.hexdigest()))

    def add_store(self, store: Any, slug: str, records: list[RunRecord]) -> list[RunRecord]:
        """Each run's folder, then the force's standing records; returns `records` with the hash of each
        run's spec.yaml as the zip holds it."""
        force = safe_name(slug)
        for record in records:
            if record.folder:
                self.add_folder(store, f"{force}/{record.run.folder}", record.folder)
        for name in _standing_records():
            self.add_if_there(store, f"{force}/{name}", f"force/{name}")
        for name in sorted(set(_force_folder(store, slug)[1]) - set(_standing_records())):
            self.left_out.append(LeftOut(f"runs/{name}", "behind a symbolic link in the force's folder: not followed"))
        hashes = {entry.name: entry.sha256 for entry in self.files}
        return [_with_stored_spec(record, hashes) for record in records]

    def add_folder(self, store: Any, relative: str, name: str, below: str = "") -> None:
        """Every file under the store's `relative` folder (a run folder) as `name/...`, but LEFT_OUT_FOLDERS,
        symbolic links and anything not a plain file, each listed as left out. `below`: where `relative`
        is in the run folder, as LEFT_OUT_FOLDERS names it."""
        try:
            children = sorted(within(store, relative).iterdir(), key=lambda path: path.name)
        except OSError as error:
            self.left_out.append(LeftOut(f"{name}/", f"cannot be listed: {error.strerror or error}"))
            return
        for child in children:
            inner, entry = f"{below}/{child.name}" if below else child.name, f"{name}/{child.name}"
            try:
                path = within(store, f"{relative}/{child.name}")
            except OutsideFolder:
                self.left_out.append(LeftOut(entry, "a symbolic link or an unsafe name: not followed"))
                continue
            if path.is_dir() and inner in LEFT_OUT_FOLDERS:
                self.left_out.append(LeftOut(f"{entry}/", LEFT_OUT_FOLDERS[inner]))
            elif path.is_dir():
                self.add_folder(store, f"{relative}/{child.name}", entry, inner)
            elif path.is_file():
                self.add_file(entry, path)
            else:
                self.left_out.append(LeftOut(entry, "not a plain file"))


def _standing_records() -> tuple[str, ...]:
    """What outlives a run in the force's folder: the standing DPIA approval and the go-live record."""
    from .dpia.decision import APPROVED_RECORD as DPIA_APPROVED
    from .golive.decision import APPROVED_RECORD as GOLIVE_APPROVED

    return (DPIA_APPROVED, GOLIVE_APPROVED)


def write_record(
    store: Any,
    slug: str,
    runs: Sequence[Run],
    out: IO[bytes] | str | os.PathLike[str],
    *,
    generated_at: datetime,
    force_name: str = "",
    runs_source: str = "Airflow's database",
    max_file_bytes: int = MAX_FILE_BYTES,
) -> dict[str, Any]:
    """Write the force's record to `out` (a binary stream, or a file path: see `_private_file`); returns
    the manifest.

    `runs` are Airflow's runs of the force's DAG; every run folder of the store that none of them names is
    added, as a run only the store knows. `runs_source` says, in the record, where `runs` came from.
    """
    records = read_runs(store, slug, with_store_runs(store, slug, runs))
    moment = generated_at.astimezone(UTC)
    opened = _private_file(Path(out)) if isinstance(out, str | os.PathLike) else nullcontext(out)
    with opened as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        writer = _Writer(archive, moment.timetuple()[:6], max_file_bytes)
        records = writer.add_store(store, slug, records)
        manifest = _manifest(slug, force_name, moment, runs_source, max_file_bytes, records, writer)
        writer.add_bytes(INDEX, _index(manifest, records, writer).encode("utf-8"))
        manifest["files"] = [asdict(entry) for entry in writer.files]
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
        writer.add_bytes(MANIFEST, text.encode("utf-8"), listed=False)
    return manifest


@contextmanager
def _private_file(path: Path) -> Iterator[IO[bytes]]:
    """A file for the record at `path`, readable by its owner only (the record names people and holds
    their comments), written beside it and moved into place once whole: a failed write leaves no zip."""
    partial = path.with_name(f".{path.name}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _with_stored_spec(record: RunRecord, hashes: dict[str, str]) -> RunRecord:
    """The record with the hash of its spec.yaml as the zip holds it, to compare with the snapshot's."""
    stored = hashes.get(f"{record.folder}/spec/spec.yaml", "")
    return replace(record, spec=replace(record.spec, stored_sha256=stored)) if record.folder else record


def _manifest(
    slug: str,
    force_name: str,
    moment: datetime,
    runs_source: str,
    max_file_bytes: int,
    records: list[RunRecord],
    writer: _Writer,
) -> dict[str, Any]:
    """The record as data (manifest.json); its `files` are added once index.html is written."""
    return {
        "record": "SOH force onboarding record",
        "force": slug,
        "force_name": force_name or slug,
        "dag_id": dag_of_force(slug),
        "generated_at": moment.isoformat(timespec="seconds"),
        "runs_source": runs_source,
        "runs": [record.run.as_dict() | {"folder": record.folder} for record in records],
        "decisions": [decision.as_dict() for record in records for decision in record.decisions],
        "spec_versions": [
            asdict(record.spec) | {"stored_matches": record.spec.stored_matches} for record in records if record.folder
        ],
        "left_out": [asdict(entry) for entry in writer.left_out],
        "left_out_rules": {"max_file_bytes": max_file_bytes, "folders": LEFT_OUT_FOLDERS},
        "files_note": f"every file of the zip but {MANIFEST} itself, with its size in bytes and its sha256",
    }


def _index(manifest: dict[str, Any], records: list[RunRecord], writer: _Writer) -> str:
    """index.html: the manifest for a person, each run's files listed under it."""
    from . import reports

    files: dict[str, list[FileEntry]] = {}
    for entry in writer.files:
        parts = entry.name.split("/")
        files.setdefault("/".join(parts[:2]) if parts[0] == "runs" else parts[0], []).append(entry)
    return reports.render(
        "record_index.html.j2",
        manifest=manifest,
        records=records,
        files=files,
        left_out=list(writer.left_out),
        manifest_name=MANIFEST,
    )


def download_name(slug: str, day: date) -> str:
    """The zip's file name when downloaded: the force and the day, e.g. demo-onboarding-record-2026-11-25.zip."""
    return f"{safe_name(slug)}-onboarding-record-{day.isoformat()}.zip"


def chunks(stream: IO[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """A written record (a temporary file, rewound) as the pieces a web response sends; closed at the end."""
    with stream:
        while piece := stream.read(size):
            yield piece
