"""Recall and false alarms of each engine, their union and the merged audit on the labelled corpus, per
success criterion and per engine rule, from one run.

Serves tests/data/accessibility/ (pages/: this project's pages, one barrier each or none; corpus/: the
pages imported from the W3C's WCAG Techniques, labelled pass or fail per criterion; see the README there)
on 127.0.0.1, audits every page once with every engine, then scores the same results several ways:

- **each engine alone**: every result the engine itself calls a failure (axe's violations, IBM's
  VIOLATION/FAIL, HTML_CodeSniffer's errors, the keyboard probe's traps), before any policy;
- **union**: a failure from any engine;
- **merged**: the audit's violations after merging and the policy in force (config/accessibility-policy.yaml),
  and, with --write-policy, the policy derived from this run's evidence (written to that file).

A *failing case* is a page labelled as failing a criterion; it is *found* when a violation on the page names
that criterion. A *passing case* is a page labelled as passing (one criterion of the corpus, or every
criterion for this project's clean pages); it is a *false alarm* when a violation on the page names a
criterion its label speaks for. Recall = failing cases found / failing cases; false-alarm rate = passing
cases with a false alarm / passing cases.

Per rule, the same counts say what policy.py's data should decide: `alone` when the rule found at least 2
failing cases and at least 4 per false alarm (a violation on a criterion the page is labelled as passing);
the engine's default when it found fewer and raised none; `second_engine` when it raised false alarms alone but none where another engine failed the same element
for the same criterion; `keyboard` likewise where the keyboard probe confirms it (a keyboard criterion, an
element Tab never reaches); `review` otherwise.

    .venv/bin/python benchmarks/accessibility_engines.py [--write-policy] [--write-docs] [--json PATH]
        [--raw PATH]   # reuse (or, if missing, save) the engines' raw results: re-score without Chromium

The tables go to stdout, progress to stderr. --write-docs replaces the tables in docs/accessibility.md
(between the MEASURED markers).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests" / "support")]  # the shared test servers

import a11y_pages  # noqa: E402
import yaml  # noqa: E402

from soh_onboarding.accessibility import audit, engines, findings, policy, wcag  # noqa: E402
from soh_onboarding.accessibility.engines import EngineResult  # noqa: E402

DOCS = ROOT / "docs" / "accessibility.md"
START, END = "<!-- MEASURED:START -->", "<!-- MEASURED:END -->"
ENGINE_COLUMNS = ("axe", "ibm", "htmlcs", "keyboard")
COLUMNS = (*ENGINE_COLUMNS, "union", "merged")
TITLES = {**policy.ENGINE_NAMES, "keyboard": "keyboard probe", "union": "union of engines", "merged": "merged audit"}
Raw = dict[str, dict]  # path -> {"results": [EngineResult as dict], "tabbables": [...] | None}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_engines(labels: dict[str, a11y_pages.Label]) -> Raw:
    """Audit every labelled page once, keeping each engine's raw results and the page's tabbable elements."""
    done = itertools.count(1)

    def progress(line: str) -> None:
        if (n := next(done)) % 50 == 0 or n == len(labels):
            log(f"  audited {n}/{len(labels)} pages")

    with a11y_pages.serve() as base:
        result = audit.audit([base + p for p in labels], audit.AuditOptions(concurrency=2), progress=progress)
    for page in result.pages:
        if page.error:
            log(f"  NOT AUDITED, left out of the scores: {page.url.removeprefix(base)}: {page.error}")
    return {
        page.url.removeprefix(base): {
            "results": [asdict(r) | {"criteria": list(r.criteria)} for r in page.results],
            "tabbables": page.tabbables,
            "error": page.error,
        }
        for page in result.pages
    }


def results_of(raw_page: dict) -> list[EngineResult]:
    return [EngineResult(**(r | {"criteria": tuple(r["criteria"])})) for r in raw_page["results"]]


def reported(raw: Raw, rules: policy.Policy) -> dict[str, dict[str, set[str]]]:
    """Column -> page -> the criteria it reports a violation for."""
    out: dict[str, dict[str, set[str]]] = {c: defaultdict(set) for c in COLUMNS}
    for path, page in raw.items():
        results = results_of(page)
        for r in results:
            if r.kind == "violation":
                out[r.engine][path].update(r.criteria)
                out["union"][path].update(r.criteria)
        violations, _ = findings.merge(path, results, page["tabbables"], rules)
        for finding in violations:
            out["merged"][path].update(finding.wcag)
    return out


def cases(labels: dict[str, a11y_pages.Label]) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    """(failing cases, passing cases) as (page, criterion); a clean page of pages/ is one passing case for
    every criterion (criterion None), a corpus page one case per labelled criterion, and a page failing one
    of several criteria one case for them all ("1.3.1|2.1.1|4.1.2", found when any of them is)."""
    failing = []
    for p, label in labels.items():
        if label.any_of:
            failing.append((p, "|".join(wcag.sort_numbers(label.expect))))
        else:
            failing += [(p, c) for c in wcag.sort_numbers(label.expect)]
    passing: list[tuple[str, str | None]] = []
    for p, label in labels.items():
        if label.failing:
            continue
        passing += [(p, c) for c in sorted(label.scored)] if label.scored is not None else [(p, None)]
    return failing, passing


def score(found: dict[str, set[str]], labels: dict[str, a11y_pages.Label]) -> dict[str, object]:
    failing, passing = cases(labels)
    hits = [(p, c) for p, c in failing if set(c.split("|")) & found.get(p, set())]
    alarms = [(p, c) for p, c in passing if (found.get(p, set()) if c is None else found.get(p, set()) & {c})]
    return {
        "failing": len(failing),
        "found": len(hits),
        "recall": len(hits) / len(failing) if failing else 0.0,
        "passing": len(passing),
        "false_alarms": len(alarms),
        "false_alarm_rate": len(alarms) / len(passing) if passing else 0.0,
        "false_alarm_list": [f"{p} {c or '(any)'}" for p, c in alarms],
    }


def per_criterion(found: dict[str, dict[str, set[str]]], labels: dict[str, a11y_pages.Label]) -> list[dict]:
    failing, passing = cases(labels)
    numbers = wcag.sort_numbers({c for _, c in failing if "|" not in c} | {c for _, c in passing if c})
    rows = []
    for n in [*numbers, *sorted({c for _, c in failing if "|" in c})]:
        f = [(p, c) for p, c in failing if c == n]
        ok = [(p, c) for p, c in passing if c == n]
        row: dict[str, object] = {"criterion": n.replace("|", " or "), "failing": len(f), "passing": len(ok)}
        for column in COLUMNS:
            row[column] = (
                sum(1 for p, _ in f if set(n.split("|")) & found[column].get(p, set())),
                sum(1 for p, _ in ok if n in found[column].get(p, set())),
            )
        rows.append(row)
    return rows


def rule_evidence(raw: Raw, labels: dict[str, a11y_pages.Label]) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(engine, rule) -> sets of "page criterion" cases: found / false alarm, alone, confirmed by a second
    engine (another engine fails the same element for the criterion) and by the keyboard probe."""
    evidence: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path, page in raw.items():
        label = labels[path]
        results = [r for r in results_of(page) if r.kind == "violation"]
        reachable = set(page["tabbables"]) if page["tabbables"] is not None else None
        for r in results:
            for c in r.criteria:
                if not label.speaks_for(c):
                    continue
                outcome = "tp" if c in label.expect else "fp"
                case = f"{path} {c}"
                counts = evidence[(r.engine, r.rule)]
                counts[outcome].add(case)
                if any(o.engine != r.engine and o.target == r.target and c in o.criteria for o in results):
                    counts[f"{outcome}_second"].add(case)
                if c in policy.KEYBOARD_CRITERIA and reachable is not None and r.target not in reachable:
                    counts[f"{outcome}_keyboard"].add(case)
    return evidence


ALONE_RATIO = 4
ALONE_MIN = 2
"""A rule is trusted alone when it found at least ALONE_MIN failing cases and at least ALONE_RATIO per false
alarm: HTML_CodeSniffer's F68 (6 found, 1 false alarm) finds unlabelled fields no other engine names for
1.3.1. A rule with fewer cases and no false alarm keeps its engine's default: one page is too little
evidence to trust or to demote it. Chosen by 5-fold cross-validation on the corpus (docs/decisions/0020):
recall 56.1% and false alarms 1.6% out of sample, against 57.7% and 2.4% trusting one case, and 53.7% and
2.4% allowing no false alarm."""
FOLDS = 5


def evidence_says(counts: dict[str, set[str]]) -> str:
    """The decision a rule's counts support; "" when they are too few to say (the engine's default)."""
    found, false = len(counts["tp"]), len(counts["fp"])
    if found >= ALONE_MIN and found >= ALONE_RATIO * false:
        return "alone"
    if not false:
        return ""
    if counts["tp_second"] and not counts["fp_second"]:
        return "second_engine"
    if counts["tp_keyboard"] and not counts["fp_keyboard"]:
        return "keyboard"
    return "review"


def derive_policy(evidence: dict, defaults: dict[str, str]) -> dict:
    """The policy file's data: every rule that raised a failure on a labelled case, with its counts."""
    rules = []
    for (engine, rule), counts in sorted(evidence.items()):
        if not (counts["tp"] or counts["fp"]):
            continue
        said = (
            f"{len(counts['tp'])} failing case(s) found, {len(counts['fp'])} false alarm(s); with a second "
            f"engine {len(counts['tp_second'])}/{len(counts['fp_second'])}"
        )
        if counts["tp_keyboard"] or counts["fp_keyboard"]:
            said += f"; keyboard-confirmed {len(counts['tp_keyboard'])}/{len(counts['fp_keyboard'])}"
        decision = evidence_says(counts)
        if not decision:
            decision, said = defaults.get(engine, "review"), f"too few cases, the engine's default: {said}"
        rules.append({"engine": engine, "rule": rule, "decision": decision, "evidence": said})
    return {"defaults": defaults, "rules": rules}


def cross_validate(raw: Raw, labels: dict[str, a11y_pages.Label], defaults: dict[str, str]) -> dict[str, object]:
    """The derived policy's figures on pages it was not derived from: the pages split in FOLDS by a hash
    of their path, each fold scored with the policy derived from the others, the counts summed. What to
    expect on pages this corpus never saw, unlike the in-sample figures of the derived policy."""
    totals = dict.fromkeys(("found", "failing", "false_alarms", "passing"), 0)
    for fold in range(FOLDS):
        held = {p for p in labels if int(hashlib.sha256(p.encode()).hexdigest(), 16) % FOLDS == fold}
        train = {p: labels[p] for p in labels if p not in held}
        derived = policy.parse(derive_policy(rule_evidence({p: raw[p] for p in train}, train), defaults), "fold")
        merged = measure({p: raw[p] for p in held}, {p: labels[p] for p in held}, derived)["scores"]["merged"]
        for key in totals:
            totals[key] += merged[key]
    return totals | {
        "recall": totals["found"] / totals["failing"],
        "false_alarm_rate": totals["false_alarms"] / totals["passing"],
    }


POLICY_HEADER = """\
# Which engine rule's failure is a violation (alone, with a second engine, with the keyboard probe) and
# which needs review: derived from the labelled corpus of tests/data/accessibility/ by
#   .venv/bin/python benchmarks/accessibility_engines.py --write-policy
# Review a change like code: `evidence` is "failing cases found, false alarms" of the rule alone, then with
# a second engine (and keyboard-confirmed). `measured` is what tests/accessibility/test_policy_corpus.py
# holds the audit to on the corpus: merged recall at least, false-alarm rate at most. See policy.py.
"""


def measure(raw: Raw, labels: dict[str, a11y_pages.Label], rules: policy.Policy) -> dict[str, object]:
    found = reported(raw, rules)
    return {
        "scores": {c: score(found[c], labels) for c in COLUMNS},
        "per_criterion": per_criterion(found, labels),
    }


def figures(m: dict) -> dict[str, object]:
    merged = m["scores"]["merged"]
    return {
        "recall": round(merged["recall"], 4),
        "false_alarm_rate": round(merged["false_alarm_rate"], 4),
        "failing_cases": merged["failing"],
        "passing_cases": merged["passing"],
    }


def markdown(title: str, m: dict, pages: int) -> str:
    lines = [
        f"{title}: {pages} labelled pages, {m['scores']['merged']['failing']} failing cases, "
        f"{m['scores']['merged']['passing']} passing cases.",
        "",
        "| | Failing cases found | Recall | Passing cases with a false alarm | False-alarm rate |",
        "|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        x = m["scores"][c]
        name = f"**{TITLES[c]}**" if c == "merged" else TITLES[c]
        lines.append(
            f"| {name} | {x['found']} of {x['failing']} | {x['recall']:.1%} | {x['false_alarms']} of {x['passing']} "
            f"| {x['false_alarm_rate']:.1%} |"
        )
    lines += [
        "",
        "Per success criterion (found of failing / false alarms of passing):",
        "",
        "| Criterion | Failing | Passing | " + " | ".join(TITLES[c] for c in COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for row in m["per_criterion"]:
        cells = " | ".join(f"{row[c][0]} / {row[c][1]}" for c in COLUMNS)
        lines.append(f"| {row['criterion']} | {row['failing']} | {row['passing']} | {cells} |")
    return "\n".join(lines) + "\n"


def rules_markdown(evidence: dict, in_force: policy.Policy) -> str:
    lines = [
        "Per engine rule (cases found / false alarms: alone, with a second engine, keyboard-confirmed):",
        "",
        "| Engine | Rule | Alone | With a second engine | Keyboard-confirmed | Evidence says | Policy in force |",
        "|---|---|---|---|---|---|---|",
    ]
    for (engine, rule), c in sorted(evidence.items()):
        says = evidence_says(c) or "(no case)"
        lines.append(
            f"| {TITLES[engine]} | `{rule}` | {len(c['tp'])} / {len(c['fp'])} | {len(c['tp_second'])} / "
            f"{len(c['fp_second'])} | {len(c['tp_keyboard'])} / {len(c['fp_keyboard'])} | {says} "
            f"| {in_force.rule(engine, rule).decision} |"
        )
    return "\n".join(lines) + "\n"


def load_raw(path: Path | None, labels: dict[str, a11y_pages.Label], say: Callable[[str], None]) -> Raw:
    if path and path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
        missing = set(labels) - set(raw)
        if missing:
            raise SystemExit(f"{path} has no results for {len(missing)} page(s), e.g. {sorted(missing)[:3]}: delete it")
        say(f"re-scoring the raw results in {path}")
        return {p: raw[p] for p in labels}
    say(f"auditing {len(labels)} labelled pages with every engine")
    raw = run_engines(labels)
    if path:
        path.write_text(json.dumps(raw) + "\n", encoding="utf-8")
    return raw


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-policy", action="store_true", help="derive config/accessibility-policy.yaml")
    parser.add_argument("--write-docs", action="store_true", help="replace the tables in docs/accessibility.md")
    parser.add_argument("--json", help="also write the measurement as JSON to this path")
    parser.add_argument("--raw", type=Path, help="the engines' raw results: reused if the file exists, else saved")
    args = parser.parse_args()
    labels = a11y_pages.labels(corpus=True)
    raw = load_raw(args.raw, labels, log)
    failed = sorted(p for p, page in raw.items() if page.get("error"))
    labels = {p: label for p, label in labels.items() if p not in failed}
    raw = {p: raw[p] for p in labels}
    in_force = policy.current()
    evidence = rule_evidence(raw, labels)
    now = measure(raw, labels, in_force)
    output = [markdown("Policy in force (config/accessibility-policy.yaml)", now, len(labels))]
    result: dict[str, object] = {
        "measured": datetime.now(UTC).isoformat(timespec="minutes"),
        "engines": engines.versions(),
        "in_force": now,
        "not_audited": failed,
    }
    if args.write_policy:
        derived_rules = derive_policy(evidence, in_force.defaults)
        derived = policy.parse(derived_rules, "derived")
        after = measure(raw, labels, derived)
        held_out = cross_validate(raw, labels, in_force.defaults)
        measured = figures(after) | {
            "cross_validated_recall": round(held_out["recall"], 4),
            "cross_validated_false_alarm_rate": round(held_out["false_alarm_rate"], 4),
            "pages": len(labels),
            "date": datetime.now(UTC).date().isoformat(),
            "engines": engines.versions(),
        }
        data = {"measured": measured, **derived_rules}
        text = POLICY_HEADER + yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True)
        policy.path().write_text(text, encoding="utf-8")
        log(f"wrote {policy.path()}")
        output.append(markdown("Policy derived from this run (now written)", after, len(labels)))
        result["derived"] = after
        output.append(
            f"Derived policy on pages it was not derived from ({FOLDS}-fold cross-validation): recall "
            f"{held_out['recall']:.1%} ({held_out['found']} of {held_out['failing']}), false alarms "
            f"{held_out['false_alarm_rate']:.1%} ({held_out['false_alarms']} of {held_out['passing']}).\n"
        )
        result["cross_validated"] = held_out
        in_force = derived
    output.append(rules_markdown(evidence, in_force))
    table = "\n".join(output)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    if args.write_docs:
        text = DOCS.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise SystemExit(f"{DOCS}: the {START} and {END} markers are missing")
        head, rest = text.split(START, 1)
        DOCS.write_text(head + START + "\n" + table + END + rest.split(END, 1)[1], encoding="utf-8")
        log(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
