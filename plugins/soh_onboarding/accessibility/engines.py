"""The engines the audit injects into each page, and how each one's raw result becomes an `EngineResult`.

- **axe-core** (Deque, MPL-2.0), the copy bundled in the PyPI package axe-playwright-python: run with the
  tags of the standard (wcag2a, wcag2aa, wcag21a, wcag21aa, and wcag22aa for WCAG 2.2, without which
  `target-size` never runs). Its violations are violations; its "incomplete" results need a person.
- **IBM Equal Access** (`accessibility-checker-engine`, npm, Apache-2.0), ruleset WCAG_2_2 or WCAG_2_1: each
  rule is mapped to criteria by the ruleset's own checkpoints. VIOLATION/FAIL results are candidates for
  violations (policy.py decides); POTENTIAL and MANUAL need a person; RECOMMENDATION results are not
  WCAG requirements and are left out.
- **HTML_CodeSniffer** (`html_codesniffer`, npm, BSD-3-Clause), standard WCAG2AA: errors are candidates,
  warnings need a person; notices ("check that...") are generic reminders on every page and are left out
  (the report lists what needs manual testing once, by criterion).
- **keyboard**: our own probe. It presses Tab through the page and reports where focus cycles among
  some elements without ever reaching the others (2.1.2, `focus-trap`); it focuses each element Tab can
  reach and reports those that throw focus away on receiving it (W3C failure F55: 2.1.1, 2.4.7, 3.2.1,
  `focus-removed`); and it asks Chromium (DevTools' DOMDebugger) which elements listen for mouse clicks and
  reports those the keyboard cannot reach: not tabbable, no control, not inside one and holding none
  (failures F42 and F54: 2.1.1, `click-without-keyboard`).

Every element is named by one canonical CSS selector computed in the page (`window.__soh.selector`), so
the same element found by three engines (axe's selector, IBM's XPath, HTML_CodeSniffer's DOM node) is
recognised as one when findings are merged.

The npm engines are installed by `bin/setup` (`npm ci` in node/); SOH_A11Y_ENGINES_DIR points elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .. import project
from . import wcag

ENGINES = ("axe", "ibm", "htmlcs", "keyboard")

AXE_TAGS = {"WCAG 2.2 AA": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
AXE_TAGS["WCAG 2.1 AA"] = AXE_TAGS["WCAG 2.2 AA"][:4]
IBM_RULESETS = {"WCAG 2.2 AA": "WCAG_2_2", "WCAG 2.1 AA": "WCAG_2_1"}


class EnginesMissing(RuntimeError):
    """An engine's script is not installed: the message says how to install it."""


@dataclass(frozen=True)
class EngineResult:
    """One engine's verdict on one element: a raw result before policy and merging."""

    engine: str
    rule: str
    kind: str  # "violation" (the engine says it fails) or "review" (the engine asks a person)
    criteria: tuple[str, ...]
    target: str
    html: str = ""
    help: str = ""
    help_url: str = ""
    impact: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def engines_dir() -> Path:
    return Path(os.environ.get("SOH_A11Y_ENGINES_DIR") or project.ROOT / "node" / "node_modules")


@cache
def scripts() -> dict[str, str]:
    """The JavaScript of each engine, read once per process."""
    try:
        from axe_playwright_python.base import AXE_FILE_PATH
    except ImportError as exc:  # pragma: no cover - requirements.txt installs it
        raise EnginesMissing("axe-playwright-python is not installed: run bin/setup") from exc
    folder = engines_dir()
    paths = {
        "axe": Path(AXE_FILE_PATH),
        "ibm": folder / "accessibility-checker-engine" / "ace.js",
        "htmlcs": folder / "html_codesniffer" / "build" / "HTMLCS.js",
    }
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise EnginesMissing(
            f"accessibility engine script(s) missing: {', '.join(missing)}; run bin/setup "
            "(it runs `npm ci` in node/) or set SOH_A11Y_ENGINES_DIR to a node_modules folder holding them"
        )
    return {name: path.read_text(encoding="utf-8") for name, path in paths.items()}


# Defines window.__soh: the canonical selector and snippet of an element, shared by every engine runner.
HELPERS_JS = r"""
() => {
  if (window.__soh) return;
  const esc = (s) => (window.CSS && CSS.escape) ? CSS.escape(s) : s.replace(/[^a-zA-Z0-9_-]/g, '\\$&');
  const selector = (el) => {
    if (!el) return 'html';
    if (el.nodeType === 9) return 'html';
    if (el.nodeType !== 1) el = el.parentElement;
    if (!el) return 'html';
    const parts = [];
    while (el && el.nodeType === 1) {
      const tag = el.localName;
      if (el.id && document.querySelectorAll('#' + esc(el.id)).length === 1) { parts.unshift('#' + esc(el.id)); break; }
      if (tag === 'html') { parts.unshift('html'); break; }
      let index = 1, total = 1, s = el;
      while ((s = s.previousElementSibling)) if (s.localName === tag) { index++; total++; }
      s = el;
      while ((s = s.nextElementSibling)) if (s.localName === tag) total++;
      parts.unshift(total > 1 ? tag + ':nth-of-type(' + index + ')' : tag);
      el = el.parentElement;
    }
    return parts.join(' > ');
  };
  const snippet = (el) => {
    if (!el || el.nodeType !== 1) return '';
    const html = el.outerHTML || '';
    return html.length > 300 ? html.slice(0, 300) + '…' : html;
  };
  const byXPath = (path) => {
    try { return document.evaluate(path, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue; }
    catch (e) { return null; }
  };
  // The focused element's selector, or null when focus is on the document itself (no element has it).
  const focused = () => {
    const el = document.activeElement;
    return (!el || el === document.body || el === document.documentElement) ? null : selector(el);
  };
  window.__soh = { selector, snippet, byXPath, focused };
}
"""

AXE_JS = r"""
async (tags) => {
  const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations', 'incomplete'] });
  const out = [];
  for (const [kind, list] of [['violation', r.violations], ['review', r.incomplete]]) {
    for (const rule of list) {
      for (const node of rule.nodes) {
        let el = null;
        if (node.target.length === 1 && typeof node.target[0] === 'string') {
          try { el = document.querySelector(node.target[0]); } catch (e) { el = null; }
        }
        out.push({ rule: rule.id, kind, tags: rule.tags, impact: node.impact || rule.impact,
                   target: el ? __soh.selector(el) : node.target.flat().join(' >>> '), html: node.html,
                   help: rule.help, helpUrl: rule.helpUrl, message: node.failureSummary || '' });
      }
    }
  }
  return out;
}
"""

IBM_JS = r"""
async (ruleset) => {
  const checker = new ace.Checker();
  const report = await checker.check(document, [ruleset]);
  const guideline = checker.getGuidelines().find((g) => g.id === ruleset);
  const criteria = {};
  for (const cp of guideline.checkpoints) {
    for (const rule of cp.rules || []) (criteria[rule.id] = criteria[rule.id] || []).push(cp.num);
  }
  const out = [];
  for (const r of report.results) {
    const [policy, result] = r.value;
    if (result === 'PASS' || policy !== 'VIOLATION') continue;
    const el = __soh.byXPath(r.path.dom);
    out.push({ rule: r.ruleId, reason: r.reasonId, kind: result === 'FAIL' ? 'violation' : 'review',
               criteria: criteria[r.ruleId] || [], target: el ? __soh.selector(el) : (r.path.dom || 'html'),
               html: el ? __soh.snippet(el) : (r.snippet || ''), message: r.message });
  }
  return out;
}
"""

HTMLCS_JS = r"""
() => new Promise((resolve, reject) => {
  const done = () => resolve(HTMLCS.getMessages().filter((m) => m.type !== 3).map((m) => ({
    code: m.code, kind: m.type === 1 ? 'violation' : 'review',
    target: __soh.selector(m.element), html: __soh.snippet(m.element), message: m.msg })));
  HTMLCS.process('WCAG2AA', document, done, () => reject(new Error('HTML_CodeSniffer failed')), 'en');
})
"""

# The tabbable elements of the page: focusable by Tab, rendered, not disabled or inert.
TABBABLES_JS = r"""
() => {
  const q = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, iframe, summary, [tabindex], [contenteditable=""], [contenteditable=true]';
  return [...document.querySelectorAll(q)].filter((el) => {
    if (el.disabled || el.closest('[inert]')) return false;
    const t = el.getAttribute('tabindex');
    if (t !== null && parseInt(t, 10) < 0) return false;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 || r.height > 0;
  }).map((el) => __soh.selector(el));
}
"""

# Focus each tabbable element in turn: which ones throw focus away (back to the document) on receiving it.
FOCUS_REMOVED_JS = r"""
(selectors) => {
  const lost = [];
  for (const s of selectors) {
    let el = null;
    try { el = document.querySelector(s); } catch (e) { continue; }
    if (!el || typeof el.focus !== 'function') continue;
    el.focus();
    if (__soh.focused() === null) lost.push(s);
  }
  if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  return lost;
}
"""

# Called on an element that listens for clicks: its selector if the keyboard cannot reach what it does.
CLICK_ONLY_JS = r"""
function () {
  const el = this;
  if (!el || el.nodeType !== 1 || el === document.body || el === document.documentElement) return null;
  const reachable = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, summary, label, option, iframe, [contenteditable=""], [contenteditable=true], [tabindex]:not([tabindex^="-"])';
  if (el.closest(reachable) || el.querySelector(reachable)) return null;
  if (el.closest('[inert], [aria-hidden=true]')) return null;
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  if (s.visibility === 'hidden' || s.display === 'none' || !(r.width > 0 || r.height > 0)) return null;
  return window.__soh ? __soh.selector(el) : null;
}
"""
CLICK_EVENTS = frozenset({"click", "dblclick", "mousedown", "mouseup", "pointerdown", "pointerup"})

ACTIVE_JS = "() => __soh.focused()"

# Run in every frame before the page's own scripts (a context init script): while the keyboard probe runs,
# each Tab keydown records where focus stands, i.e. where the previous press left it, as ACTIVE_JS would
# read it. Registered first, on the window in the capture phase, so that no listener of the page's can
# keep the probe from seeing a press. Idle (one property check per keydown) until the probe starts it.
FOCUS_LOG_JS = r"""
window.addEventListener('keydown', (e) => {
  const log = window.__sohFocusLog;
  if (!log || e.key !== 'Tab' || !window.__soh) return;
  log.push(window.__soh.focused());
}, true);
"""

# Starts the focus log; true if the page has frames, whose documents get the keydowns while they hold focus.
FOCUS_LOG_START_JS = r"""
() => { window.__sohFocusLog = []; return !!document.querySelector('iframe, frame, object, embed'); }
"""

# The focused element after each press so far: the log without its first entry (focus before the first
# press), then focus now.
FOCUS_LOG_READ_JS = r"""
() => {
  const log = window.__sohFocusLog || [];
  return { presses: log.length, visited: [...log.slice(1), __soh.focused()] };
}
"""


def from_axe(raw: list[dict[str, Any]]) -> list[EngineResult]:
    return [
        EngineResult(
            engine="axe",
            rule=r["rule"],
            kind=r["kind"],
            criteria=wcag.from_axe_tags(r["tags"]),
            target=r["target"],
            html=r.get("html") or "",
            help=r.get("help") or "",
            help_url=r.get("helpUrl") or "",
            impact=r.get("impact"),
            extra={"message": r.get("message", "")},
        )
        for r in raw
    ]


def from_ibm(raw: list[dict[str, Any]]) -> list[EngineResult]:
    results = []
    for r in raw:
        criteria = tuple(wcag.sort_numbers([c for c in r["criteria"] if c in wcag.CRITERIA]))
        if not criteria:
            continue  # a rule outside the ruleset's WCAG checkpoints: not a WCAG finding
        results.append(
            EngineResult(
                engine="ibm",
                rule=r["rule"],
                kind=r["kind"],
                criteria=criteria,
                target=r["target"],
                html=r.get("html") or "",
                help=r.get("message") or "",
                help_url=f"https://able.ibm.com/rules/archives/latest/doc/en-US/{r['rule']}.html",
                extra={"reason": r.get("reason", "")},
            )
        )
    return results


def from_htmlcs(raw: list[dict[str, Any]]) -> list[EngineResult]:
    results = []
    for r in raw:
        criterion, rule = wcag.from_htmlcs_code(r["code"])
        if criterion is None:
            continue
        results.append(
            EngineResult(
                engine="htmlcs",
                rule=rule,
                kind=r["kind"],
                criteria=(criterion,),
                target=r["target"],
                html=r.get("html") or "",
                help=r.get("message") or "",
                help_url="https://squizlabs.github.io/HTML_CodeSniffer/Standards/WCAG2/",
                extra={"code": r["code"]},
            )
        )
    return results


def keyboard_trap(tabbables: list[str], visited: list[str | None]) -> EngineResult | None:
    """2.1.2 from the focus path of repeated Tab presses: a trap if focus keeps cycling among some elements
    and never reaches the rest of the page (nor leaves it: None is focus back on the document).

    `visited` is the focused element after each Tab press. A page without a trap either walks every
    tabbable element or leaves the page (focus on the document) before we stop pressing.
    """
    if not tabbables or None in visited or len(visited) < 3:
        return None
    seen: dict[str, int] = {}
    first_repeat = None
    for index, target in enumerate(visited):
        if target in seen:
            first_repeat = index
            break
        seen[target] = index
    if first_repeat is None:
        return None
    cycle = set(visited[seen[visited[first_repeat]] :])
    after = set(visited[first_repeat:])
    unreached = [t for t in tabbables if t not in set(visited)]
    if after <= cycle and unreached:
        trapped = visited[first_repeat]
        return EngineResult(
            engine="keyboard",
            rule="focus-trap",
            kind="violation",
            criteria=("2.1.2",),
            target=str(trapped),
            help=(
                f"Keyboard focus cycles among {len(cycle)} element(s) and never reaches the other "
                f"{len(unreached)} focusable element(s) of the page, e.g. {unreached[0]}"
            ),
            help_url="https://www.w3.org/WAI/WCAG22/Understanding/no-keyboard-trap.html",
            impact="critical",
        )
    return None


def focus_removed(target: str) -> EngineResult:
    return EngineResult(
        engine="keyboard",
        rule="focus-removed",
        kind="violation",
        criteria=("2.1.1", "2.4.7", "3.2.1"),
        target=target,
        help="The element throws keyboard focus away when it receives it (a script blurs it), so keyboard users "
        "cannot use it and cannot see where they are (WCAG failure F55)",
        help_url="https://www.w3.org/WAI/WCAG22/Techniques/failures/F55",
        impact="critical",
    )


def click_without_keyboard(target: str) -> EngineResult:
    return EngineResult(
        engine="keyboard",
        rule="click-without-keyboard",
        kind="violation",
        criteria=("2.1.1",),
        target=target,
        help="The element responds to a mouse click but the keyboard cannot reach it: it is not a control, "
        "Tab never reaches it and it holds no control (WCAG failures F42, F54). Use a button or a link",
        help_url="https://www.w3.org/WAI/WCAG22/Techniques/failures/F42",
        impact="serious",
    )


@cache
def versions() -> dict[str, str]:
    """Each engine's version, for the report's "how we tested" (read from the installed packages)."""
    import json
    import re
    from importlib import metadata

    found = {
        "keyboard": "keyboard probe (this project): Tab walk (2.1.2), focus removal (F55), click-only elements (F42, F54)"
    }
    try:
        header = scripts()["axe"][:200]
        match = re.search(r"axe v([\d.]+)", header)
        found["axe"] = (
            f"axe-core {match.group(1) if match else '?'} (axe-playwright-python {metadata.version('axe-playwright-python')})"
        )
    except (EnginesMissing, metadata.PackageNotFoundError):
        found["axe"] = "axe-core (version unknown)"
    for name, package, label in (
        ("ibm", "accessibility-checker-engine", "IBM Equal Access accessibility-checker-engine"),
        ("htmlcs", "html_codesniffer", "HTML_CodeSniffer"),
    ):
        try:
            manifest = json.loads((engines_dir() / package / "package.json").read_text(encoding="utf-8"))
            found[name] = f"{label} {manifest['version']}"
        except (OSError, ValueError, KeyError):
            found[name] = f"{label} (not installed)"
    return {name: found[name] for name in ENGINES}
