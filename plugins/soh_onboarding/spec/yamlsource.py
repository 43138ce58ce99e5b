"""Read a YAML file into plain data while remembering where every value came from.

Why not `yaml.safe_load`: a force's digital team needs each error at its line and column, and some YAML
features are hazards in a spec reviewed by pull request. So this reader, built on libyaml's event stream:
- records the line and column of every key and value, keyed by its path (("tenant", "domains", 0));
- refuses duplicate keys (safe_load silently keeps the last one), anchors and aliases (a reviewer cannot
  see what `*x` expands to), custom tags, non-UTF-8 bytes, empty files, files over a size limit and
  lists or mappings nested deeper than a limit (the reader takes a Python frame per level);
- resolves plain scalars by the YAML 1.2 core schema: only true/false are booleans (`no` stays the string
  "no", the "Norway problem"), and dates stay strings so JSON Schema can check their format.
Every problem is collected (the reader goes on after a duplicate key or an alias), never raised.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# libyaml's C parser is many times faster; the pure-Python one gives the same events. Only the parser
# part of the loader is used: resolution of scalars is ours (see _plain_scalar).
_EventLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

MAX_BYTES = 256 * 1024
"""A spec is a few kilobytes; anything this large is a mistake (or an attack on the parser)."""

MAX_DEPTH = 16
"""Lists and mappings nested deeper than this are refused. The schema nests four levels at most; a few kilobytes
of `{a: {a: ...` nest hundreds deep, and each level costs the reader (and the schema's validators) a Python
frame, so without a limit such a file ended the whole check in a RecursionError and no force had a DAG."""

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file itself, before the schema is even consulted."""

    line: int
    column: int
    message: str
    path: Path = ()
    hint: str = ""


@dataclass
class Source:
    """The data read from one file, and where each part of it sits in the text."""

    data: Any = None
    problems: list[Problem] = field(default_factory=list)
    value_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at `path`, or of its key when `key` is set.

        A path that does not exist (a missing field) falls back to its nearest existing parent,
        which is where the author has to add it.
        """
        marks = self.key_marks if key else self.value_marks
        if path in marks:
            return marks[path]
        while path:
            path = path[:-1]
            if path in self.value_marks:
                return self.value_marks[path]
        return (1, 1)


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$")
_SPECIAL_FLOAT = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$")
_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


_MAYBE_NOT_TEXT = frozenset("0123456789+-.~nNtTfF")
"""First characters of every plain scalar that is not a string: the rest skip the patterns below."""


def _plain_scalar(text: str) -> Any:
    """YAML 1.2 core schema resolution of an unquoted scalar."""
    if text and text[0] not in _MAYBE_NOT_TEXT:
        return text
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if _SPECIAL_FLOAT.match(text):
        return math.nan if "nan" in text.lower() else float(text.replace(".", "", 1))
    return text


def _tagged_scalar(tag: str, text: str) -> Any:
    """A scalar with an explicit core tag such as `!!str 123`."""
    if tag.endswith(":str"):
        return text
    value = _plain_scalar(text)
    expected = {":int": int, ":float": (int, float), ":bool": bool, ":null": type(None)}
    for suffix, kind in expected.items():
        if tag.endswith(suffix) and isinstance(value, kind) and not (suffix == ":int" and isinstance(value, bool)):
            return float(value) if suffix == ":float" else value
    raise ValueError(f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}")


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _line_col_of_offset(text: bytes | str, offset: int) -> tuple[int, int]:
    newline = b"\n" if isinstance(text, bytes) else "\n"
    line = text.count(newline, 0, offset) + 1
    start = text.rfind(newline, 0, offset) + 1
    return line, offset - start + 1


def decode(raw: bytes) -> tuple[str | None, list[Problem]]:
    """Check size, emptiness and encoding of the raw bytes; return the text or the problems."""
    if len(raw) > MAX_BYTES:
        return None, [
            Problem(
                1,
                1,
                f"file is over the limit of {MAX_BYTES:,} bytes",
                hint="a spec is a few kilobytes; split out or remove the bulk",
            )
        ]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col_of_offset(raw, exc.start)
        return None, [
            Problem(
                line,
                column,
                f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                hint="save the file as UTF-8 in your editor",
            )
        ]
    return text, []


def read(raw: bytes) -> Source:
    """Parse the bytes of one YAML document into a Source. Never raises for bad input."""
    source = Source()
    text, problems = decode(raw)
    if text is None:
        source.problems = problems
        return source
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        source.problems.append(Problem(1, 1, "the file is empty", hint="start from onboarding_specs/demo.yaml"))
        return source
    try:
        parser = _EventLoader(text)
        try:
            # iter(callable, sentinel) pulls events without a Python generator frame per event.
            _Builder(source).build(iter(parser.get_event, None))
        finally:
            parser.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _mark(mark) if mark else (1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        source.problems.append(Problem(line, column, f"YAML syntax error: {message}"))
        source.data = None
    except yaml.reader.ReaderError as exc:
        line, column = _line_col_of_offset(text, exc.position)
        source.problems.append(
            Problem(
                line,
                column,
                f"character U+{exc.character:04X} is not allowed in YAML",
                hint="remove control characters",
            )
        )
        source.data = None
    except yaml.YAMLError as exc:
        source.problems.append(Problem(1, 1, f"YAML error: {exc}"))
        source.data = None
    if source.data is not None and not isinstance(source.data, dict) and not source.problems:
        kind = "a list" if isinstance(source.data, list) else "a single value"
        source.problems.append(
            Problem(
                *source.position(()),
                f"the top level is {kind}, not a mapping of fields",
                hint="a spec starts with `spec_version: 1` then `force:`",
            )
        )
    return source


class _Builder:
    """Builds plain data from libyaml events, recording marks and collecting hazards."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def problem(self, event: Any, message: str, path: Path, hint: str = "") -> None:
        self.source.problems.append(Problem(*_mark(event.start_mark), message, path, hint))

    def build(self, events: Any) -> None:
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self.problem(
                        event,
                        "the file holds more than one YAML document",
                        (),
                        "keep one spec per file; remove the `---` line",
                    )
                    return
                root = self.node(events, next(events), ())
                self.source.data = root

    def node(self, events: Any, event: Any, path: Path) -> Any:
        self.source.value_marks.setdefault(path, _mark(event.start_mark))
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent):
            self.problem(
                event,
                f"YAML aliases (*{event.anchor}) are not allowed",
                path,
                "write the value out in full so reviewers see it",
            )
            return None
        if anchor:
            self.problem(
                event,
                f"YAML anchors (&{anchor}) are not allowed",
                path,
                "write the value out in full; remove the anchor",
            )
        if isinstance(event, yaml.ScalarEvent):
            return self.scalar(event, path)
        if isinstance(event, yaml.CollectionStartEvent) and len(path) >= MAX_DEPTH:
            self.problem(
                event,
                f"lists and mappings nest more than {MAX_DEPTH} levels deep here",
                path,
                "a spec nests a few levels deep; look for a stray indent or unclosed { or [ above this line",
            )
            _skip_collection(events)
            return None
        if isinstance(event, yaml.SequenceStartEvent):
            self.check_tag(event, "tag:yaml.org,2002:seq", path)
            items: list[Any] = []
            for child in events:
                if isinstance(child, yaml.SequenceEndEvent):
                    return items
                items.append(self.node(events, child, (*path, len(items))))
        if isinstance(event, yaml.MappingStartEvent):
            self.check_tag(event, "tag:yaml.org,2002:map", path)
            return self.mapping(events, path)
        raise yaml.YAMLError(f"unexpected YAML event {type(event).__name__}")  # pragma: no cover

    def mapping(self, events: Any, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_event in events:
            if isinstance(key_event, yaml.MappingEndEvent):
                return result
            if not isinstance(key_event, yaml.ScalarEvent):
                self.problem(key_event, "a key must be a plain name, not a list or mapping", path)
                self.node(events, key_event, (*path, "?"))
                self.node(events, next(events), (*path, "?"))
                continue
            key = key_event.value
            child = (*path, key)
            line = key_event.start_mark.line + 1
            if key in first_seen:
                self.problem(
                    key_event,
                    f"duplicate key '{key}' (first written at line {first_seen[key]})",
                    child,
                    "remove one of them; YAML would silently keep only the last",
                )
                self.node(events, next(events), (*path, f"{key}#dup{line}"))
                continue
            if key_event.anchor:
                self.problem(key_event, f"YAML anchors (&{key_event.anchor}) are not allowed", child)
            first_seen[key] = line
            self.source.key_marks[child] = _mark(key_event.start_mark)
            result[key] = self.node(events, next(events), child)
        return result  # pragma: no cover - the parser always closes a mapping

    def scalar(self, event: Any, path: Path) -> Any:
        tag = event.tag
        plain, _quoted = event.implicit
        if tag in (None, "!"):
            value = _plain_scalar(event.value) if plain else event.value
            if isinstance(value, float) and not math.isfinite(value):
                self.problem(event, f"{event.value} is not a finite number", path, "write an ordinary number")
            return value
        if tag not in _CORE_TAGS:
            self.problem(event, f"custom YAML tag {tag} is not allowed", path, "remove the tag; write a plain value")
            return event.value
        try:
            return _tagged_scalar(tag, event.value)
        except ValueError as exc:
            self.problem(event, str(exc), path)
            return event.value

    def check_tag(self, event: Any, allowed: str, path: Path) -> None:
        if event.tag not in (None, "!", allowed):
            self.problem(event, f"custom YAML tag {event.tag} is not allowed", path, "remove the tag")


def _skip_collection(events: Any) -> None:
    """Read past the rest of a list or mapping whose start event was just read, without a frame per level."""
    depth = 1
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            if depth == 0:
                return
