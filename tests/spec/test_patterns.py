"""A spec's regular expressions are matched by RE2: linear time whatever the pattern, the same answers as `re`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, DEMO, airflow_env
from soh_onboarding import patterns

CATASTROPHIC = [
    line
    for line in (DATA / "hostile" / "catastrophic_patterns.txt").read_text().splitlines()
    if line and not line.startswith("#")
]

LINEAR_TIME_PROBE = textwrap.dedent(
    """
    import json, sys, yaml
    from soh_onboarding.migration.mapping import Mapper
    from soh_onboarding.urls import Scope

    spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    pattern, length = sys.argv[2], int(sys.argv[3])
    spec["legacy_site"]["exclude_patterns"] = [pattern]
    spec["content_mapping"]["rules"] = [{"match": pattern, "content_type": "page", "new_path": "/x/"}]
    spec["content_mapping"]["archive"] = [{"match": pattern, "action": "gone", "reason": "r"}]
    base = spec["legacy_site"]["base_url"].rstrip("/")
    scope, mapper = Scope.from_spec(spec), Mapper.from_spec(spec)
    url = base + "/" + "a" * length + "!"
    print(json.dumps([scope.in_scope(url).allowed, mapper.map(url).type]))
    """
)


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_pattern_costs_the_crawl_and_the_mapping_linear_time(pattern: str) -> None:
    """Python's `re` would take 2^5000 steps (or 5000^12) on this path; RE2 takes microseconds.

    In a child process, because `re` holds the interpreter while it backtracks: a timeout in this process
    would never fire. The bound is generous (minutes against the age of the universe), not a timing.
    """
    done = subprocess.run(
        [sys.executable, "-c", LINEAR_TIME_PROBE, str(DEMO), pattern, "5000"],
        env=airflow_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    allowed, mapped = json.loads(done.stdout)
    expected = re.search(pattern, "/" + "a" * 12 + "!") is not None  # short enough for `re`
    assert (allowed, mapped) == ((not expected), "archive" if expected else "unresolved")


# Patterns of the kind specs hold (anchors, literals, classes, groups, named groups, alternation, every
# quantifier), to check that RE2 gives the same answers as Python's `re` did, so no spec changes meaning.
_ATOMS = st.sampled_from(["a", "b", "-", "/", "\\.", ".", "[a-z]", "[a-z0-9-]", "\\d", "\\w", "[^/]", "x"])
_QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "{1,3}", "*?", "+?"])


@st.composite
def _patterns(draw: st.DrawFn, depth: int = 2) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth and draw(st.booleans()):
            inner = draw(_patterns(depth - 1))
            alternative = f"|{draw(_patterns(depth - 1))}" if draw(st.booleans()) else ""
            group = draw(st.sampled_from(["(", "(?:", "(?P<g>"]))
            parts.append(f"{group}{inner}{alternative}){draw(_QUANTIFIERS)}")
        else:
            parts.append(draw(_ATOMS) + draw(_QUANTIFIERS))
    return draw(st.sampled_from(["^/", "", "/"])) + "".join(parts) + draw(st.sampled_from(["", "$", "/$"]))


def _named_once(pattern: str) -> str:
    """Each (?P<g> of a generated pattern given a name of its own."""
    names = iter(range(1000))
    return re.sub(r"\(\?P<g>", lambda _: f"(?P<g{next(names)}>", pattern)


# What a *repeated* group captures is where RE2 and `re` part: on a last iteration that matches nothing
# (^/(?P<g0>.*)* on "/1": RE2 "1", re ""). Spec patterns name groups to fill a template, never repeated
# ones, so for patterns with a repeated group only the match itself is compared.
REPEATED_GROUP = re.compile(r"\)(?:[*+?]|\{\d)")


@settings(max_examples=400, deadline=None)
@given(pattern=_patterns().map(_named_once), path=st.text(alphabet="ab-/.x19_", max_size=14).map(lambda p: "/" + p))
def test_re2_gives_the_answers_re_gave(pattern: str, path: str) -> None:
    ours, python = patterns.compile(pattern).search(path), re.search(pattern, path)
    assert (ours is None) == (python is None), (pattern, path)
    if ours is not None:
        assert ours.span() == python.span(), (pattern, path)
        if not REPEATED_GROUP.search(pattern):
            assert ours.groupdict() == python.groupdict(), (pattern, path)


def test_what_re2_cannot_run_is_an_error_with_its_reason_and_nothing_on_stderr(capfd) -> None:
    with pytest.raises(patterns.PatternError, match="lookarounds"):
        patterns.compile("^/news/(?!archive)")
    assert patterns.problem("^/(a)\\1$") == "invalid escape sequence: \\1; backreferences such as \\1 are not supported"
    assert patterns.problem("^/news/") is None
    assert patterns.problem(7) is None  # not a string: the schema's to report
    assert capfd.readouterr().err == ""
