"""A spec's regular expressions (crawl include/exclude, mapping and archive rules), matched in linear time.

Why RE2 and not Python's `re`: `re` backtracks, so a pattern such as `^/(a+)+$` takes time exponential in the
length of the path it is tried on. One 31-character link on a legacy site quadrupled a crawl's CPU, and a
slightly longer one would take hours; a spec is written by a force and a legacy site by anyone. RE2 (Google's
engine, through its official Python binding `google-re2`) never backtracks: matching time is linear in the
path, whatever the pattern. The price is a few features that need backtracking, which RE2 refuses:
lookarounds (`(?=`, `(?!`, `(?<=`, `(?<!`), backreferences (`\\1`, `(?P=name)`) and `\\Z` (RE2 writes `\\z`).
The spec check compiles every pattern here, so a spec that uses them fails with the field's line.
"""

from __future__ import annotations

import re
from typing import Any

import re2

Pattern = Any
"""A compiled pattern: RE2's, with `search`, `pattern` and `groupindex` as `re.Pattern` has (no type stubs)."""

MAX_MEMORY = 8 << 20
"""Bytes RE2 may use for one compiled pattern: a 500-character pattern needs far less; more is refused."""

_HINTS = (
    (re.compile(r"\(\?<?[=!]"), "lookarounds such as (?=...) or (?<!...) are not supported"),
    (re.compile(r"\\[1-9]|\(\?P="), "backreferences such as \\1 are not supported"),
    (re.compile(r"\\Z"), "write \\z for the end of the path, or $"),
)


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why, in words a spec's author can act on."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # the error is raised to the caller; RE2 would also print it to stderr
    options.max_mem = MAX_MEMORY
    return options


def compile(pattern: str) -> Pattern:
    """The compiled pattern (with `search`, `pattern` and `groupindex`, as `re`'s), or PatternError."""
    try:
        return re2.compile(pattern, options=_options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a regular expression"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        advice = next((text for found, text in _HINTS if found.search(pattern)), "")
        raise PatternError(f"{reason}; {advice}" if advice else str(reason)) from None


def problem(pattern: object) -> str | None:
    """Why a spec's pattern cannot be used, or None when it can (a value that is no string is the schema's)."""
    if not isinstance(pattern, str):
        return None
    try:
        compile(pattern)
    except PatternError as exc:
        return str(exc)
    return None
