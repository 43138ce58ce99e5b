"""YAML documents checked against a JSON Schema, every error located at its line and column.

Specs, and the national configuration files beside them, are written by people and reviewed by pull
request: an error must say where it is (`file:line:column: field.path: message`) and how to fix it.
This module reads a document with the line-keeping reader (yamlsource), validates it, and turns each
schema error into a DocumentError a person can act on. Each schema is compiled twice:
- by jsonschema-rs (Rust), about 100 times faster, which only says valid or not: the DAG processor
  checks every spec at every parse, and nearly all are valid;
- by jsonschema, only for an invalid document, to explain each error.
Both use the same format functions (FORMATS); a property test checks that their verdicts agree.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from email_validator import EmailNotValidError, validate_email

from .. import patterns
from . import yamlsource
from .yamlsource import Path as FieldPath


@dataclass(frozen=True, order=True)
class DocumentError:
    """One thing to fix, located in the file. Sorts by file, then line."""

    path: str
    line: int
    column: int
    field: str
    message: str
    hint: str = ""

    def format(self) -> str:
        """The one-line form editors and CI logs understand, with the hint on the next line."""
        text = f"{self.path}:{self.line}:{self.column}: {self.field or '(file)'}: {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_field(path: Iterable[str | int]) -> str:
    """('tenant', 'domains', 0) -> 'tenant.domains[0]'; a key that is not a name (a path, a URL) is quoted:
    ('content_mapping', 'alt_text', '/images/a.png') -> 'content_mapping.alt_text["/images/a.png"]'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text and re.search(r"[^\w-]", part):
            text += json.dumps(part, ensure_ascii=False).join("[]")
        else:
            text += f".{part}" if text else str(part)
    return text


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible: shorter, and clickable in editors."""
    absolute = os.path.abspath(path)  # no symlink resolution: no system calls per file
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return absolute[len(cwd) + 1 :]
    return str(path)


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats apply to strings only; `type` reports the rest
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_email(value: object) -> bool:
    # jsonschema's own email check only looks for an "@"; this one knows the syntax of addresses.
    if not isinstance(value, str):
        return True
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _is_regex(value: object) -> bool:
    # RE2's syntax, since the crawler and the URL mapping match these with RE2 (patterns.py: linear time).
    return patterns.problem(value) is None


def _explain_regex(value: object) -> bool:
    """The same verdict as _is_regex, raising RE2's reason so the detailed validator can report it."""
    if isinstance(value, str):
        patterns.compile(value)
    return True


FORMATS = {"date": _is_date, "email": _is_email, "regex": _is_regex}
"""The formats the schemas use, checked by the same functions in both validators."""

_EXPLAINED_FORMATS = {"regex": (_explain_regex, patterns.PatternError)}
"""Formats whose failure has a reason worth showing: the detailed validator raises it as the error's cause."""


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    r"""JSON Schema's `pattern`, with a final `$` meaning the end of the string, as in ECMA-262 and jsonschema-rs.

    Why: Python's `$` also matches before a final newline, so 'demo\n' passed `^[a-z]+$` in this validator
    and failed in jsonschema-rs; the fast validator's "invalid" then found no error here, and the spec passed.
    (For `\s`, the schema writes `[^\s\x1c-\x1f]`: Python's `\s` has those four separators, Rust's has not.)
    """
    if not validator.is_type(instance, "string"):
        return
    anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    if not re.search(anchored, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Draft202012 = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})


@dataclass(frozen=True)
class Schema:
    """A JSON Schema file, compiled on first use."""

    path: Path

    @cached_property
    def data(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    @cached_property
    def detailed(self) -> jsonschema.Draft202012Validator:
        """The validator whose errors are reported: complete, and rich enough to explain each error."""
        checker = jsonschema.FormatChecker(formats=[])
        for name, check in FORMATS.items():
            explained, raises = _EXPLAINED_FORMATS.get(name, (check, ()))
            checker.checks(name, raises=raises)(explained)
        return _Draft202012(self.data, format_checker=checker)

    @cached_property
    def fast(self) -> jsonschema_rs.Validator:
        """The same schema compiled by jsonschema-rs: valid or not, about 100 times faster."""
        return jsonschema_rs.validator_for(self.data, validate_formats=True, formats=FORMATS)

    def errors(self, shown: str, source: yamlsource.Source) -> list[DocumentError]:
        if self.fast.is_valid(source.data):
            return []
        errors: list[DocumentError] = []
        for error in self.detailed.iter_errors(source.data):
            errors.extend(_translate(shown, source, error))
        return sorted(set(errors))


@cache
def schema_for(path: Path) -> Schema:
    """One compiled Schema per file and process."""
    return Schema(path)


@dataclass
class Document:
    """A file read and checked against its schema; `source.data` is the parsed YAML."""

    path: Path
    shown: str
    sha256: str
    source: yamlsource.Source
    errors: list[DocumentError]
    raw: bytes = field(default=b"", repr=False)

    @property
    def data(self) -> Any:
        return self.source.data


def read_bounded(path: Path, limit: int = yamlsource.MAX_BYTES) -> bytes:
    """The file's bytes, but never more than one byte over `limit` (the reader's by default; the caller
    reports the size), and never from a device or a pipe: `validate` on a FIFO or /dev/zero would wait or
    read for ever."""
    with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        return handle.read(limit + 1)


def load(path: Path, schema: Schema) -> Document:
    """Read and validate one YAML file. Never raises for bad input: the errors say what is wrong."""
    shown = display_path(path)
    try:
        raw = read_bounded(path)
    except OSError as exc:
        error = DocumentError(shown, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")
        return Document(path, shown, "", yamlsource.Source(), [error])
    source = yamlsource.read(raw)
    errors = [DocumentError(shown, p.line, p.column, format_field(p.path), p.message, p.hint) for p in source.problems]
    if isinstance(source.data, dict):
        # A value the reader refused (an alias, a bad tag) would also fail the schema: say it once.
        refused = {error.field for error in errors}
        errors += [e for e in schema.errors(shown, source) if e.field not in refused]
    return Document(path, shown, hashlib.sha256(raw).hexdigest(), source, errors, raw)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({_short(value)})"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping of fields",
    "array": "a list",
    "null": "nothing",
}


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


def _translate(shown: str, source: yamlsource.Source, error: jsonschema.ValidationError) -> Iterator[DocumentError]:
    """Turn a jsonschema error into errors a person can act on, located at the right line."""
    path: FieldPath = tuple(error.absolute_path)
    value = error.instance
    sub = error.schema if isinstance(error.schema, dict) else {}
    hint = sub.get("x-hint", "")
    kind = error.validator
    # A key that fails the mapping's propertyNames: located at that key, not at the mapping.
    on_key = "propertyNames" in error.relative_schema_path and isinstance(value, str)
    if on_key:
        path = (*path, value)

    def at(field_path: FieldPath, message: str, hint: str = "", key: bool = on_key) -> DocumentError:
        line, column = source.position(field_path, key=key)
        return DocumentError(shown, line, column, format_field(field_path), message, hint)

    if kind == "required":
        missing = re.search(r"'(.+?)' is a required property", error.message)
        name = missing.group(1) if missing else str(error.validator_value)
        described = sub.get("properties", {}).get(name, {}).get("description", "")
        line, column = source.position(path, key=True) if path else (1, 1)
        yield DocumentError(
            shown,
            line,
            column,
            format_field((*path, name)),
            "required field is missing",
            f"add it: {described}" if described else "",
        )
    elif kind == "additionalProperties":
        allowed = list(sub.get("properties", {}))
        for name in sorted(set(value) - set(allowed)):
            yield at(
                (*path, name),
                f"unknown field '{name}'",
                f"{_suggest(name, allowed)}allowed here: {', '.join(allowed)}",
                key=True,
            )
    elif kind == "enum":
        allowed = [str(v) for v in error.validator_value]
        yield at(
            path,
            f"{_short(value)} is not an allowed value",
            f"{_suggest(str(value), allowed)}allowed: {', '.join(allowed)}",
        )
    elif kind == "const":
        yield at(path, f"must be {error.validator_value!r}, not {_short(value)}")
    elif kind == "type":
        expected = error.validator_value
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in (expected if isinstance(expected, list) else [expected]))
        tip = hint
        if expected == "boolean" and isinstance(value, str):
            tip = "write true or false (yes/no/on/off are read as text)"
        elif expected == "string" and isinstance(value, int | float | bool):
            tip = "put the value in quotes"
        yield at(path, f"expected {names}, got {_describe(value)}", tip)
    elif kind == "format":
        reason = f": {error.cause}" if error.cause else ""
        yield at(path, f"{_short(value)} is not a valid {error.validator_value}{reason}", hint)
    elif kind == "pattern":
        yield at(path, f"{_short(value)} is not in the expected form", hint or f"must match {error.validator_value}")
    elif kind == "maxLength" and isinstance(value, str):
        what = "the key" if on_key else "the value"
        yield at(path, f"{what} is {len(value)} characters long, over the {error.validator_value} allowed", hint)
    elif kind == "uniqueItems":
        seen: set[str] = set()
        for index, item in enumerate(value):
            marker = json.dumps(item, sort_keys=True)
            if marker in seen:
                yield at((*path, index), f"{_short(item)} is listed more than once", "remove the repeated entry")
            seen.add(marker)
    elif kind == "minProperties" and "reason" in sub.get("required", []):
        yield at(
            path,
            "an override needs a figure beside its reason",
            f"give one of: {', '.join(p for p in sub['properties'] if p != 'reason')}",
        )
    else:
        yield at(path, error.message, hint)
