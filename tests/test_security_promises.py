"""The README's security section names a test for each promise: every one it names must exist."""

from __future__ import annotations

import re

from conftest import ROOT


def test_every_test_the_security_section_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Security") :]
    section = section[: section.index("\n## ", 1)]
    named = re.findall(r"`(tests/[\w/]+\.py)?::(\w+)`", section)
    assert len(named) >= 20
    missing, module = [], ""
    for path, name in named:
        module = path or module  # `::name` continues the last file named
        if not re.search(rf"^def {name}\(", (ROOT / module).read_text(encoding="utf-8"), re.MULTILINE):
            missing.append(f"{module}::{name}")
    assert not missing
