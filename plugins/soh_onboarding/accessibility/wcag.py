"""The WCAG success criteria the audit reports against: number, name, level, the version that added them.

One table, so every engine's rule is mapped to the same "1.4.3" form, the gate and the statement name
criteria the same way, and a WCAG 2.1 AA audit (the legal standard, SI 2018/952) can leave out the
criteria WCAG 2.2 added while a WCAG 2.2 AA audit (what GDS monitors since October 2024) leaves out
4.1.1 Parsing, which 2.2 made obsolete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    number: str
    name: str
    level: str  # "A" or "AA"
    added_in: str  # "2.0", "2.1" or "2.2"
    removed_in: str | None = None

    @property
    def understanding_url(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
        return f"https://www.w3.org/WAI/WCAG22/Understanding/{slug}.html"

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.number.split("."))


_A, _AA = "A", "AA"
CRITERIA: dict[str, Criterion] = {
    c.number: c
    for c in (
        Criterion("1.1.1", "Non-text Content", _A, "2.0"),
        Criterion("1.2.1", "Audio-only and Video-only (Prerecorded)", _A, "2.0"),
        Criterion("1.2.2", "Captions (Prerecorded)", _A, "2.0"),
        Criterion("1.2.3", "Audio Description or Media Alternative (Prerecorded)", _A, "2.0"),
        Criterion("1.2.4", "Captions (Live)", _AA, "2.0"),
        Criterion("1.2.5", "Audio Description (Prerecorded)", _AA, "2.0"),
        Criterion("1.3.1", "Info and Relationships", _A, "2.0"),
        Criterion("1.3.2", "Meaningful Sequence", _A, "2.0"),
        Criterion("1.3.3", "Sensory Characteristics", _A, "2.0"),
        Criterion("1.3.4", "Orientation", _AA, "2.1"),
        Criterion("1.3.5", "Identify Input Purpose", _AA, "2.1"),
        Criterion("1.4.1", "Use of Color", _A, "2.0"),
        Criterion("1.4.2", "Audio Control", _A, "2.0"),
        Criterion("1.4.3", "Contrast (Minimum)", _AA, "2.0"),
        Criterion("1.4.4", "Resize Text", _AA, "2.0"),
        Criterion("1.4.5", "Images of Text", _AA, "2.0"),
        Criterion("1.4.10", "Reflow", _AA, "2.1"),
        Criterion("1.4.11", "Non-text Contrast", _AA, "2.1"),
        Criterion("1.4.12", "Text Spacing", _AA, "2.1"),
        Criterion("1.4.13", "Content on Hover or Focus", _AA, "2.1"),
        Criterion("2.1.1", "Keyboard", _A, "2.0"),
        Criterion("2.1.2", "No Keyboard Trap", _A, "2.0"),
        Criterion("2.1.4", "Character Key Shortcuts", _A, "2.1"),
        Criterion("2.2.1", "Timing Adjustable", _A, "2.0"),
        Criterion("2.2.2", "Pause, Stop, Hide", _A, "2.0"),
        Criterion("2.3.1", "Three Flashes or Below Threshold", _A, "2.0"),
        Criterion("2.4.1", "Bypass Blocks", _A, "2.0"),
        Criterion("2.4.2", "Page Titled", _A, "2.0"),
        Criterion("2.4.3", "Focus Order", _A, "2.0"),
        Criterion("2.4.4", "Link Purpose (In Context)", _A, "2.0"),
        Criterion("2.4.5", "Multiple Ways", _AA, "2.0"),
        Criterion("2.4.6", "Headings and Labels", _AA, "2.0"),
        Criterion("2.4.7", "Focus Visible", _AA, "2.0"),
        Criterion("2.4.11", "Focus Not Obscured (Minimum)", _AA, "2.2"),
        Criterion("2.5.1", "Pointer Gestures", _A, "2.1"),
        Criterion("2.5.2", "Pointer Cancellation", _A, "2.1"),
        Criterion("2.5.3", "Label in Name", _A, "2.1"),
        Criterion("2.5.4", "Motion Actuation", _A, "2.1"),
        Criterion("2.5.7", "Dragging Movements", _AA, "2.2"),
        Criterion("2.5.8", "Target Size (Minimum)", _AA, "2.2"),
        Criterion("3.1.1", "Language of Page", _A, "2.0"),
        Criterion("3.1.2", "Language of Parts", _AA, "2.0"),
        Criterion("3.2.1", "On Focus", _A, "2.0"),
        Criterion("3.2.2", "On Input", _A, "2.0"),
        Criterion("3.2.3", "Consistent Navigation", _AA, "2.0"),
        Criterion("3.2.4", "Consistent Identification", _AA, "2.0"),
        Criterion("3.2.6", "Consistent Help", _A, "2.2"),
        Criterion("3.3.1", "Error Identification", _A, "2.0"),
        Criterion("3.3.2", "Labels or Instructions", _A, "2.0"),
        Criterion("3.3.3", "Error Suggestion", _AA, "2.0"),
        Criterion("3.3.4", "Error Prevention (Legal, Financial, Data)", _AA, "2.0"),
        Criterion("3.3.7", "Redundant Entry", _A, "2.2"),
        Criterion("3.3.8", "Accessible Authentication (Minimum)", _AA, "2.2"),
        Criterion("4.1.1", "Parsing", _A, "2.0", removed_in="2.2"),
        Criterion("4.1.2", "Name, Role, Value", _A, "2.0"),
        Criterion("4.1.3", "Status Messages", _AA, "2.1"),
    )
}

STANDARDS = {"WCAG 2.2 AA": "2.2", "WCAG 2.1 AA": "2.1"}
"""The spec's `accessibility.standard` values and the WCAG version each means."""


def in_standard(number: str, standard: str) -> bool:
    """Is this success criterion part of the standard (A or AA, added by then, not yet removed)?"""
    criterion = CRITERIA.get(number)
    if criterion is None:
        return False
    version = STANDARDS[standard]
    return criterion.added_in <= version and (criterion.removed_in is None or criterion.removed_in > version)


def criteria_in(standard: str) -> list[Criterion]:
    return sorted((c for c in CRITERIA.values() if in_standard(c.number, standard)), key=lambda c: c.sort_key)


def sort_numbers(numbers: set[str] | list[str] | tuple[str, ...]) -> list[str]:
    return sorted(set(numbers), key=lambda n: tuple(int(p) for p in n.split(".")))


_AXE_TAG = re.compile(r"^wcag(\d)(\d)(\d{1,2})$")


def from_axe_tags(tags: list[str]) -> tuple[str, ...]:
    """axe-core tags a rule 'wcag143' for 1.4.3 and 'wcag1410' for 1.4.10 (principles and guidelines are one digit)."""
    found = []
    for tag in tags:
        match = _AXE_TAG.match(tag)
        if match and (number := ".".join(match.groups())) in CRITERIA:
            found.append(number)
    return tuple(sort_numbers(found))


_HTMLCS_CODE = re.compile(r"^WCAG2A{1,3}\.Principle\d\.Guideline\d_\d+\.(\d)_(\d+)_(\d+)\.?(.*)$")


def from_htmlcs_code(code: str) -> tuple[str | None, str]:
    """HTML_CodeSniffer's 'WCAG2AA.Principle1.Guideline1_4.1_4_3.G18.Fail' -> ('1.4.3', 'G18.Fail')."""
    match = _HTMLCS_CODE.match(code)
    if not match:
        return None, code
    number = ".".join(match.groups()[:3])
    return (number if number in CRITERIA else None), match.group(4) or "(criterion)"


PARTLY_AUTOMATED = frozenset(
    {
        "1.1.1", "1.2.2", "1.3.1", "1.3.5", "1.4.1", "1.4.3", "1.4.4", "1.4.12", "2.1.1", "2.1.2", "2.2.1",
        "2.4.1", "2.4.2", "2.4.3", "2.4.4", "2.4.6", "2.5.3", "2.5.8", "3.1.1", "3.1.2", "3.3.2", "4.1.2",
    }
)  # fmt: skip
"""Criteria at least one of the audit's engines tests in part (axe-core's, IBM's and HTML_CodeSniffer's rules
mapped to them, and the keyboard probe). Every other criterion of the standard needs a person entirely,
and these need one too, to confirm: automated tools find a minority of barriers (GDS, 2017)."""
