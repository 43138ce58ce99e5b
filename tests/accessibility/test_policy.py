"""The merge policy as data (config/accessibility-policy.yaml): each decision, the defaults, and a policy
file that is wrong. No browser: engine results are built here."""

from __future__ import annotations

from pathlib import Path

import pytest

from soh_onboarding.accessibility import findings, policy
from soh_onboarding.accessibility.engines import EngineResult

RULES = policy.parse(
    {
        "defaults": {"axe": "alone", "keyboard": "alone", "ibm": "second_engine", "htmlcs": "second_engine"},
        "rules": [
            {"engine": "ibm", "rule": "label_name_visible", "decision": "alone", "evidence": "3 found, 0 false"},
            {"engine": "axe", "rule": "aria-required-children", "decision": "review"},
            {"engine": "ibm", "rule": "input_label_exists", "decision": "second_engine"},
            {"engine": "ibm", "rule": "aria_eventhandler_role_valid", "decision": "keyboard"},
        ],
    },
    "test",
)


def _result(engine: str, rule: str, criteria: tuple[str, ...], target: str = "#x", kind: str = "violation"):
    return EngineResult(engine=engine, rule=rule, kind=kind, criteria=criteria, target=target)


def test_each_decision_of_the_data_is_applied_rule_by_rule() -> None:
    violations, review = findings.merge(
        "u",
        [
            _result("ibm", "label_name_visible", ("2.5.3",), target="#alone"),
            _result("axe", "aria-required-children", ("1.3.1",), target="#review"),
            _result("ibm", "input_label_exists", ("4.1.2",), target="#single"),
            _result("ibm", "input_label_exists", ("4.1.2",), target="#pair"),
            _result("htmlcs", "H91.InputText.Name", ("4.1.2",), target="#pair"),
            _result("ibm", "aria_eventhandler_role_valid", ("2.1.1",), target="#unreachable"),
            _result("ibm", "aria_eventhandler_role_valid", ("2.1.1",), target="#reachable"),
            _result("axe", "image-alt", ("1.1.1",), target="#default-axe"),
        ],
        tabbables=["#reachable"],
        rules=RULES,
    )
    assert {f.target: f.reason for f in violations} == {
        "#alone": "IBM Equal Access label_name_visible: 3 found, 0 false",
        "#pair": "IBM Equal Access input_label_exists, confirmed by HTML_CodeSniffer H91.InputText.Name",
        "#unreachable": "IBM Equal Access aria_eventhandler_role_valid, confirmed by the keyboard probe: Tab never "
        "reaches the element",
        "#default-axe": "axe-core image-alt: not seen failing on the corpus: the engine's default",
    }
    assert sorted(f.target for f in review) == ["#reachable", "#review", "#single"]
    assert all(f.status == "needs_review" and "to check by a person" in f.reason for f in review)


def test_keyboard_decisions_need_the_probe_to_have_run() -> None:
    unreachable = [_result("ibm", "aria_eventhandler_role_valid", ("2.1.1",), target="#u")]
    assert policy.decide(unreachable, None, RULES)[0] == "needs_review"  # no probe: cannot confirm
    assert policy.decide(unreachable, [], RULES)[0] == "violation"


def test_an_unlisted_rule_takes_its_engines_default_and_says_so() -> None:
    rule = RULES.rule("htmlcs", "H30.2")
    assert rule.decision == "second_engine" and "default" in rule.evidence
    assert policy.decide([_result("htmlcs", "H30.2", ("1.1.1",))], None, RULES)[0] == "needs_review"


def test_the_policy_in_force_is_the_repositorys_file_and_it_is_well_formed() -> None:
    current = policy.current()
    assert current.source.endswith("config/accessibility-policy.yaml")
    assert {"recall", "false_alarm_rate", "failing_cases", "passing_cases"} <= set(current.measured)
    assert all(r.decision in policy.DECISIONS and r.evidence for r in current.rules.values())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a mapping"),
        ({"defaults": {"wave": "alone"}}, "defaults: must map engines"),
        ({"defaults": {"axe": "sometimes"}}, "defaults.axe: 'sometimes' is not one of"),
        ({"rules": [{"engine": "axe", "rule": "x"}]}, "rules[0]: each rule needs engine:, rule: and decision:"),
        ({"rules": [{"engine": "wave", "rule": "x", "decision": "alone"}]}, "rules[0]: engine 'wave'"),
        ({"rules": [{"engine": "axe", "rule": "x", "decision": "maybe"}]}, "rules[0]: decision 'maybe'"),
        (
            {"rules": [{"engine": "axe", "rule": "x", "decision": "alone"}] * 2},
            "rules[1]: axe rule x is listed twice",
        ),
    ],
)
def test_a_wrong_policy_file_is_refused_with_the_entry(data: object, message: str) -> None:
    with pytest.raises(policy.PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        policy.parse(data, "p.yaml")


def test_a_missing_or_broken_policy_file_says_which_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOH_ACCESSIBILITY_POLICY", str(tmp_path / "none.yaml"))
    with pytest.raises(policy.PolicyError, match=r"none\.yaml: the accessibility policy is missing"):
        policy.current()
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("SOH_ACCESSIBILITY_POLICY", str(broken))
    with pytest.raises(policy.PolicyError, match=r"broken\.yaml: cannot read the accessibility policy"):
        policy.current()


def test_an_audit_with_a_broken_policy_stops_before_any_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not one page error per page: the audit refuses to start, naming the file and the entry."""
    from soh_onboarding.accessibility.audit import AuditOptions, audit

    broken = tmp_path / "policy.yaml"
    broken.write_text("rules:\n  - {engine: axe, rule: image-alt, decision: maybe}\n", encoding="utf-8")
    monkeypatch.setenv("SOH_ACCESSIBILITY_POLICY", str(broken))
    with pytest.raises(policy.PolicyError, match=r"policy\.yaml: rules\[0\]: decision 'maybe'"):
        audit(["http://127.0.0.1:9/never-fetched"], AuditOptions(concurrency=1, page_timeout=5))
