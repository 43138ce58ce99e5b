"""Which engine results count as violations, and which go to "needs review": decided rule by rule, from
evidence, and written down as data in config/accessibility-policy.yaml.

Every (engine, rule) that raised a failure on the labelled corpus (tests/data/accessibility/) has one of
four decisions there, with the counts it rests on:

- `alone`: its failure is a violation by itself (it found at least 2 failing cases and at least 4 per
  false alarm);
- `second_engine`: a violation when another engine fails the same element for the same criterion (alone
  it raised false alarms, confirmed it raised none);
- `keyboard`: a violation when the keyboard probe confirms it: the element cannot be reached with Tab
  (for the keyboard criteria 2.1.1, 2.1.2, 2.4.3 and 2.4.7);
- `review`: always "needs review", naming the engine and rule so a person knows what to check.

A rule the corpus never saw fail, or saw fail once without a false alarm, takes its engine's default (`defaults:`): axe-core's rules and the
keyboard probe alone (Deque writes its rules for no false positives; the probe reports a trap only when it
walked the cycle), IBM Equal Access and HTML_CodeSniffer with a second engine. `benchmarks/accessibility_engines.py
--write-policy` re-derives the file from a fresh run; `tests/accessibility/test_policy_corpus.py` fails when
the policy in force raises more false alarms or finds fewer barriers on the corpus than the file records.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .. import project
from . import wcag
from .engines import EngineResult

ENGINE_NAMES = {
    "axe": "axe-core",
    "ibm": "IBM Equal Access",
    "htmlcs": "HTML_CodeSniffer",
    "keyboard": "the keyboard probe",
}
DECISIONS = ("alone", "second_engine", "keyboard", "review")
KEYBOARD_CRITERIA = frozenset({"2.1.1", "2.1.2", "2.4.3", "2.4.7"})
"""The criteria whose failures the keyboard probe can confirm: about reaching and operating an element
from the keyboard, which an element Tab never reaches cannot be."""


class PolicyError(ValueError):
    """The policy file is not what this module reads: the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    engine: str
    rule: str
    decision: str
    evidence: str = ""


@dataclass(frozen=True)
class Policy:
    defaults: dict[str, str]
    rules: dict[tuple[str, str], Rule]
    measured: dict[str, object]
    """The corpus figures the file was derived with: what tests/accessibility/test_policy_corpus.py holds
    the policy to (merged recall at least, false-alarm rate at most)."""
    source: str = ""

    def rule(self, engine: str, rule: str) -> Rule:
        found = self.rules.get((engine, rule))
        if found is not None:
            return found
        return Rule(
            engine, rule, self.defaults.get(engine, "review"), "not seen failing on the corpus: the engine's default"
        )


def path() -> Path:
    return Path(os.environ.get("SOH_ACCESSIBILITY_POLICY") or project.ROOT / "config" / "accessibility-policy.yaml")


def parse(data: object, source: str) -> Policy:
    """The policy in `data` (the YAML file, loaded), checked entry by entry."""
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: expected a mapping with defaults: and rules:")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - set(ENGINE_NAMES):
        raise PolicyError(f"{source}: defaults: must map engines ({', '.join(ENGINE_NAMES)}) to a decision")
    for engine, decision in defaults.items():
        if decision not in DECISIONS:
            raise PolicyError(f"{source}: defaults.{engine}: {decision!r} is not one of {', '.join(DECISIONS)}")
    rules: dict[tuple[str, str], Rule] = {}
    for index, entry in enumerate(data.get("rules") or []):
        where = f"{source}: rules[{index}]"
        if not isinstance(entry, dict) or not {"engine", "rule", "decision"} <= set(entry):
            raise PolicyError(f"{where}: each rule needs engine:, rule: and decision:")
        if entry["engine"] not in ENGINE_NAMES:
            raise PolicyError(f"{where}: engine {entry['engine']!r} is not one of {', '.join(ENGINE_NAMES)}")
        if entry["decision"] not in DECISIONS:
            raise PolicyError(f"{where}: decision {entry['decision']!r} is not one of {', '.join(DECISIONS)}")
        key = (entry["engine"], str(entry["rule"]))
        if key in rules:
            raise PolicyError(f"{where}: {key[0]} rule {key[1]} is listed twice")
        rules[key] = Rule(key[0], key[1], entry["decision"], str(entry.get("evidence") or ""))
    return Policy(dict(defaults), rules, dict(data.get("measured") or {}), source)


@cache
def _load(file: str, mtime: float) -> Policy:
    try:
        data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{file}: cannot read the accessibility policy: {exc}") from exc
    return parse(data, file)


def current() -> Policy:
    """The policy in force, read once per change of the file."""
    file = path()
    try:
        mtime = file.stat().st_mtime
    except OSError as exc:
        raise PolicyError(
            f"{file}: the accessibility policy is missing (SOH_ACCESSIBILITY_POLICY names another)"
        ) from exc
    return _load(str(file), mtime)


def _named(rule: Rule) -> str:
    return f"{ENGINE_NAMES[rule.engine]} {rule.rule}"


def decide(
    results: Iterable[EngineResult], tabbables: Iterable[str] | None = None, policy: Policy | None = None
) -> tuple[str, str]:
    """("violation" | "needs_review", why) for the violation-kind results of one element and criterion.

    `tabbables` are the page's elements Tab reaches (None when the keyboard probe did not run, and then no
    `keyboard` decision can be confirmed)."""
    policy = policy or current()
    results = list(results)
    rules = [(r, policy.rule(r.engine, r.rule)) for r in results]
    for _, rule in rules:
        if rule.decision == "alone":
            return "violation", f"{_named(rule)}: {rule.evidence}" if rule.evidence else f"found by {_named(rule)}"
    engines = {r.engine for r in results}
    for result, rule in rules:
        if rule.decision == "second_engine" and len(engines - {result.engine}) >= 1:
            others = sorted({_named(o) for r, o in rules if r.engine != result.engine})
            return "violation", f"{_named(rule)}, confirmed by {', '.join(others)}"
    reachable = set(tabbables) if tabbables is not None else None
    for result, rule in rules:
        if (
            rule.decision == "keyboard"
            and reachable is not None
            and set(result.criteria) & KEYBOARD_CRITERIA
            and result.target not in reachable
        ):
            return "violation", f"{_named(rule)}, confirmed by the keyboard probe: Tab never reaches the element"
    return "needs_review", review_reason(results)


def review_reason(results: Iterable[EngineResult]) -> str:
    named = sorted({f"{ENGINE_NAMES[r.engine]} {r.rule}" for r in results})
    return "to check by a person: " + "; ".join(named)


IMPACT_OVERRIDES = {"2.1.2": "critical", "1.1.1": "critical", "1.4.3": "serious", "1.4.11": "serious"}


def default_impact(number: str) -> str:
    """The impact of a finding no engine rated: failing a level A criterion blocks people (serious), AA
    hinders them (moderate); a keyboard trap or an image without a text alternative blocks entirely, and
    contrast follows axe-core's rating of its own contrast rule (serious)."""
    if number in IMPACT_OVERRIDES:
        return IMPACT_OVERRIDES[number]
    return "serious" if wcag.CRITERIA[number].level == "A" else "moderate"
