"""Each engine's and the merged audit's detection and false-alarm rates on the labelled pages.

Serves tests/data/accessibility/pages/ (each page labelled with the success criteria it fails, or none)
on 127.0.0.1, audits them all once with every engine, then scores, from the same run:

- **each engine alone**: every result the engine itself calls a failure (axe's violations, IBM's
  VIOLATION/FAIL, HTML_CodeSniffer's errors, the keyboard probe's traps), before any policy;
- **merged**: the audit's violations after merging and policy.py's rule-by-rule decisions.

A failing page's barrier is *detected* when a violation on that page names one of its labelled criteria.
A *false alarm* is a (page, criterion) violation reported where the label does not have that criterion
(so every violation on a passing page is one). Per rule, the same counts are the evidence policy.py's
TRUSTED list rests on.

    .venv/bin/python benchmarks/accessibility_engines.py [--write-docs] [--json PATH]

--write-docs replaces the measured tables in docs/accessibility.md (between the MEASURED markers).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests" / "support")]  # the shared test servers

import a11y_pages  # noqa: E402

from soh_onboarding.accessibility import audit, engines, policy  # noqa: E402

DOCS = ROOT / "docs" / "accessibility.md"
START, END = "<!-- MEASURED:START -->", "<!-- MEASURED:END -->"
COLUMNS = ("axe", "ibm", "htmlcs", "keyboard", "merged")
TITLES = {**policy.ENGINE_NAMES, "keyboard": "keyboard probe", "merged": "**merged audit**"}


def score(reported: dict[str, set[str]], labels: dict[str, a11y_pages.Label]) -> dict[str, object]:
    failing = [p for p, label in labels.items() if label.failing]
    detected = [p for p in failing if reported.get(p, set()) & labels[p].expect]
    false_alarms = sorted((p, c) for p, cs in reported.items() for c in cs if c not in labels[p].expect)
    pairs = sum(len(cs) for cs in reported.values())
    return {
        "detected": len(detected),
        "barriers": len(failing),
        "detection_rate": len(detected) / len(failing),
        "false_alarms": len(false_alarms),
        "reported": pairs,
        "false_alarm_rate": len(false_alarms) / pairs if pairs else 0.0,
        "false_alarm_pages": len({p for p, _ in false_alarms}),
        "false_alarm_list": [f"{p} {c}" for p, c in false_alarms],
        "detected_list": detected,
    }


def measure() -> dict[str, object]:
    labels = a11y_pages.labels()
    with a11y_pages.serve() as base:
        result = audit.audit([base + p for p in labels], audit.AuditOptions(concurrency=2))
    errors = [p for p in result.pages if p.error]
    if errors:
        raise SystemExit(f"pages failed to load: {[(p.url, p.error) for p in errors]}")
    reported: dict[str, dict[str, set[str]]] = {c: defaultdict(set) for c in COLUMNS}
    rules: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: {"tp": set(), "fp": set()})
    for page in result.pages:
        path = page.url.removeprefix(base)
        for r in page.results:
            if r.kind != "violation":
                continue
            reported[r.engine][path].update(r.criteria)
            for c in r.criteria:
                rules[(r.engine, r.rule)]["tp" if c in labels[path].expect else "fp"].add(f"{path} {c}")
        for finding in page.violations:
            reported["merged"][path].update(finding.wcag)
    scores = {c: score(reported[c], labels) for c in COLUMNS}
    axe_pairs = {f"{p} {c}" for p, cs in reported["axe"].items() for c in cs}
    by_rule = [
        {
            "engine": engine,
            "rule": rule,
            "true": len(v["tp"]),
            "beyond_axe": len(v["tp"] - axe_pairs),
            "false": len(v["fp"]),
            "evidence_says": "violation"
            if engine in policy.ALWAYS or (len(v["tp"] - axe_pairs) > 0 and not v["fp"])
            else "needs review (alone)",
            "decision": "violation"
            if engine in policy.ALWAYS or (engine, rule) in policy.TRUSTED
            else "needs review (alone)",
            "false_list": sorted(v["fp"]),
        }
        for (engine, rule), v in sorted(rules.items())
    ]
    families = sorted({label.family for label in labels.values()})
    per_family = {
        fam: {
            c: sum(1 for p in scores[c]["detected_list"] if labels[p].family == fam)  # type: ignore[union-attr]
            for c in COLUMNS
        }
        | {"barriers": sum(1 for label in labels.values() if label.family == fam and label.failing)}
        for fam in families
    }
    return {
        "measured": datetime.now(UTC).isoformat(timespec="minutes"),
        "pages": len(labels),
        "failing_pages": sum(1 for label in labels.values() if label.failing),
        "engines": engines.versions(),
        "scores": scores,
        "per_family": per_family,
        "rules": by_rule,
        "seconds": round(result.seconds, 1),
    }


def markdown(m: dict) -> str:
    s = m["scores"]
    lines = [
        f"Measured {m['measured']} on {m['pages']} labelled pages ({m['failing_pages']} with one barrier each, "
        f"{m['pages'] - m['failing_pages']} passing) by `benchmarks/accessibility_engines.py`; "
        f"engines: {', '.join(m['engines'][e] for e in ('axe', 'ibm', 'htmlcs'))}.",
        "",
        "| Engine | Barriers detected | Detection rate | False alarms (page, criterion) | False-alarm rate | Pages with a false alarm |",
        "|---|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        x = s[c]
        lines.append(
            f"| {TITLES[c]} | {x['detected']} of {x['barriers']} | {x['detection_rate']:.0%} | {x['false_alarms']} "
            f"| {x['false_alarm_rate']:.0%} of {x['reported']} reported | {x['false_alarm_pages']} |"
        )
    lines += [
        "",
        "By family (barriers detected):",
        "",
        "| Family | Barriers | " + " | ".join(TITLES[c] for c in COLUMNS) + " |",
    ]
    lines.append("|---|---|" + "---|" * len(COLUMNS))
    for fam, row in m["per_family"].items():
        lines.append(f"| {fam} | {row['barriers']} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    lines += [
        "",
        "Rule by rule (each engine's own failures; the evidence for policy.py):",
        "",
        "| Engine | Rule | Right criterion on a failing page | Of which axe missed | False alarms | Evidence says | policy.py says | False alarms at |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in m["rules"]:
        lines.append(
            f"| {TITLES[r['engine']]} | `{r['rule']}` | {r['true']} | {r['beyond_axe']} | {r['false']} | {r['evidence_says']} | {r['decision']} "
            f"| {'; '.join(r['false_list'][:4])}{' …' if len(r['false_list']) > 4 else ''} |"
        )
    disagree = [f"{r['engine']}:{r['rule']}" for r in m["rules"] if r["evidence_says"] != r["decision"]]
    if disagree:
        lines += ["", f"policy.py differs from this run's evidence for: {', '.join(disagree)}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write-docs", action="store_true", help="replace the measured tables in docs/accessibility.md"
    )
    parser.add_argument("--json", help="also write the measurement as JSON to this path")
    args = parser.parse_args()
    measured = measure()
    table = markdown(measured)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(measured, indent=2) + "\n", encoding="utf-8")
    if args.write_docs:
        text = DOCS.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise SystemExit(f"{DOCS}: the {START} and {END} markers are missing")
        head, rest = text.split(START, 1)
        DOCS.write_text(head + START + "\n" + table + END + rest.split(END, 1)[1], encoding="utf-8")
        print(f"wrote {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
