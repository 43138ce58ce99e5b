"""Property tests: whatever a mutated spec holds, the check answers with located errors, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import DEMO
from soh_onboarding import spec
from soh_onboarding.spec import yamlsource

DEMO_BYTES = DEMO.read_bytes()
DEMO_DATA = yaml.safe_load(DEMO_BYTES)
FOLDER = Path(tempfile.mkdtemp(prefix="soh-fuzz-"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_answer_is_located(raw: bytes) -> spec.CheckResult:
    path = FOLDER / "demo.yaml"
    path.write_bytes(raw)
    result = spec.check([path])  # must not raise
    lines = raw.count(b"\n") + 1
    if result.valid:
        assert [s.slug for s in result.specs] == ["demo"]
    for error in result.errors:
        assert error.path.endswith("demo.yaml")
        assert 1 <= error.line <= lines + 1, error
        assert error.column >= 1, error
        assert error.message.strip(), error
        assert error.format().startswith(f"{error.path}:{error.line}:{error.column}: ")
    return result


YAML_NOISE = st.text(
    alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#%@`,?\n\t ~") + list("abcXYZ019_é€\u0000\u2028")),
    min_size=1,
    max_size=12,
)


@SETTINGS
@given(position=st.integers(0, len(DEMO_BYTES)), cut=st.integers(0, 40), noise=YAML_NOISE)
def test_text_mutations(position: int, cut: int, noise: str) -> None:
    raw = DEMO_BYTES[:position] + noise.encode("utf-8") + DEMO_BYTES[position + cut :]
    assert_answer_is_located(raw)


@SETTINGS
@given(position=st.integers(0, len(DEMO_BYTES)), junk=st.binary(min_size=1, max_size=6))
def test_byte_mutations(position: int, junk: bytes) -> None:
    assert_answer_is_located(DEMO_BYTES[:position] + junk + DEMO_BYTES[position:])


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(DEMO_DATA)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@SETTINGS
@given(target=st.sampled_from(PATHS), value=VALUES, delete=st.booleans())
def test_structural_mutations(target: tuple, value: Any, delete: bool) -> None:
    data = yaml.safe_load(DEMO_BYTES)
    parent = data
    for part in target[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[target[-1]]
    else:
        parent[target[-1]] = value
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
    result = assert_answer_is_located(raw)
    if delete and isinstance(parent, dict) and target[-1] in spec.schema()["required"] and len(target) == 1:
        assert any(e.field == target[-1] and e.message == "required field is missing" for e in result.errors)


@SETTINGS
@given(target=st.sampled_from(PATHS), value=VALUES)
# Where Python's regexes and jsonschema-rs's differ: `$` before a final newline, and `\s` on \x1c-\x1f.
@example(target=("force", "slug"), value="demo\n")
@example(target=("content_mapping", "alt_text"), value={"/images/a.png": "\x1c"})
@example(target=("content_mapping", "alt_text"), value={"/images/a.png": "A dog\n"})
@example(target=("content_mapping", "alt_text"), value={"/images/a\x1c.png": "A dog"})
@example(target=("legacy_site", "crawl", "connect_to"), value={"www.demoshire-police.example": "127.0.0.1:8081\n"})
def test_the_fast_and_the_detailed_validator_agree(target: tuple, value: Any) -> None:
    """The DAG factory trusts jsonschema-rs's verdict on valid specs; it must match jsonschema's."""
    data = yaml.safe_load(DEMO_BYTES)
    parent = data
    for part in target[:-1]:
        parent = parent[part]
    parent[target[-1]] = value
    data = yamlsource.read(yaml.safe_dump(data, allow_unicode=True).encode("utf-8")).data
    detailed = not any(True for _ in spec.spec_schema().detailed.iter_errors(data))
    assert spec.spec_schema().fast.is_valid(data) == detailed


_OPEN = {"flow-map": ("{a: ", "}"), "flow-list": ("[", "]")}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=st.lists(st.sampled_from(["flow-map", "flow-list", "block-map", "block-list"]), min_size=1, max_size=4),
    depth=st.integers(1, 1500),
)
@example(kinds=["flow-map"], depth=300)
@example(kinds=["block-list"], depth=1200)
def test_nesting_of_any_depth_and_kind_gets_a_located_answer(kinds: list[str], depth: int) -> None:
    """Before the reader's depth limit, a few hundred levels ended the check in a RecursionError."""
    text, closing, indent, levels = "extra:", "", 1, 0
    for level in range(depth):
        kind = kinds[level % len(kinds)]
        if kind in _OPEN:
            text += " " + _OPEN[kind][0]
            closing = _OPEN[kind][1] + closing
        elif closing:
            continue  # a block collection cannot open inside a flow one
        elif kind == "block-map":
            text += "\n" + " " * indent + f"k{level}:"
            indent += 1
        else:
            text += "\n" + " " * indent + "-"
            indent += 2
        levels += 1
    raw = DEMO_BYTES + (text + " 1" + closing + "\n").encode("utf-8")
    result = assert_answer_is_located(raw)
    if levels >= yamlsource.MAX_DEPTH:  # the innermost list or mapping sits `levels` deep
        assert not result.valid
        refusals = ("nest more than", "nesting depth", "over the limit")  # ours, libyaml's, the size limit
        assert any(any(r in e.message for r in refusals) for e in result.errors), [e.format() for e in result.errors]
