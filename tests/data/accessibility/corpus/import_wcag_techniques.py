"""Build the labelled corpus in this folder from the W3C's WCAG Techniques (github.com/w3c/wcag).

Each code example of a technique becomes one small page, labelled by what the W3C says of it:

- an example of a **failure** technique (techniques/failures/F*.html, "Failure of Success Criterion 1.1.1
  due to ...") fails the criteria its title names: `<!-- label: fail 1.1.1 -->`;
- an example of a technique the Understanding documents list as **sufficient** for some criteria
  (understanding/understanding.11tydata.js) passes them: `<!-- label: pass 1.3.1 4.1.2 -->`.

Only those criteria are scored on the page (benchmarks/accessibility_engines.py): an example written to show
one thing may break another by accident, and that is not what the W3C labelled. Failure examples whose
prose shows a repair beside the failure ("instead", "corrected", ...) are left out, since the page would
hold both. An example's HTML, CSS and script blocks go into one page with a language, a title and a main
landmark, so the page itself adds no failure; images load from the corpus server (any image path answers
a small PNG) and nothing is fetched from elsewhere.

    python tests/data/accessibility/corpus/import_wcag_techniques.py /path/to/w3c-wcag.git [--commit REF]

It reads the git directory (a clone or `fetch github:w3c/wcag`) without a work tree and rewrites
tests/data/accessibility/corpus/wcag-techniques/. The README beside this file records the commit used.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser

HERE = Path(__file__).resolve().parent
OUT = HERE / "wcag-techniques"
sys.path.insert(0, str(HERE.parents[3] / "plugins"))

from soh_onboarding.accessibility import wcag  # noqa: E402

AUDITED = {c.number for c in wcag.criteria_in("WCAG 2.2 AA")}
"""Criteria outside WCAG 2.2 AA (AAA ones, 4.1.1 Parsing) are not what the audit reports: not labelled."""
FOLDERS = {"failures": "failures", "html": "html", "aria": "aria", "css": "css", "client-side-script": "script"}
REPAIRED = re.compile(r"\b(instead|correct(ed|ly|ion)?|repair(ed)?|fix(ed|es)?|solution|should be|better)\b", re.I)
EXTERNAL = re.compile(r"""(\s(?:src|href|data)\s*=\s*["'])(?:https?:)?//[^"']*(["'])""", re.I)
IMAGE = re.compile(r"""(<(?:img|input|image)\b[^>]*?\s(?:src|href)\s*=\s*["'])([^"']*)(["'])""", re.I)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True).stdout


def sufficient(repo: Path, commit: str) -> dict[str, set[str]]:
    """Technique id -> the criteria it is listed as sufficient for (WCAG 2.2's Understanding data)."""
    source = git(repo, "show", f"{commit}:understanding/understanding.11tydata.js")
    found: dict[str, set[str]] = {}
    blocks = re.split(r'\n\s{6}"[a-z0-9-]+": \{\s*\n\s*// (\d\.\d+\.\d+)', source)
    for number, body in zip(blocks[1::2], blocks[2::2], strict=True):
        part = body.split("advisory:", 1)[0].split("failure:", 1)[0]
        if "sufficient:" not in part:
            continue
        for technique in re.findall(r'"((?:H|ARIA|C|SCR)\d+)"', part.split("sufficient:", 1)[1]):
            found.setdefault(technique, set()).add(number)
    return found


def failure_criteria(title: str) -> set[str]:
    head = title.split(" due to ", 1)[0]
    return set(re.findall(r"\d\.\d+\.\d+", head))


def page(label: str, why: str, source: str, title: str, body: str, style: str, script: str) -> str:
    style_tag = f"<style>\n{style}\n</style>\n" if style else ""
    script_tag = f"<script>\n{script}\n</script>\n" if script else ""
    if re.search(r"<main\b|role=[\"']main", body, re.I):  # the example brings its own main landmark
        return (
            "<!DOCTYPE html>\n"
            f"<!-- label: {label} -->\n<!-- why: {why} -->\n<!-- source: {source} -->\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n{style_tag}</head>\n<body>\n{body}\n{script_tag}</body>\n</html>\n"
        )
    return (
        "<!DOCTYPE html>\n"
        f"<!-- label: {label} -->\n"
        f"<!-- why: {why} -->\n"
        f"<!-- source: {source} -->\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n{style_tag}</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</main>\n{script_tag}</body>\n</html>\n"
    )


def local(code: str) -> str:
    """Nothing fetched from elsewhere (the tests have no network): external URLs become local ones, and
    images load from the corpus server's /img/."""
    code = EXTERNAL.sub(lambda m: m.group(1) + "/img/external.png" + m.group(2), code)
    return IMAGE.sub(lambda m: m.group(1) + "/img/" + (m.group(2).rsplit("/", 1)[-1] or "x.png") + m.group(3), code)


def examples(document: HTMLParser) -> list[tuple[str, str, str, str, str]]:
    """(heading, prose, html, css, js) of each example section with HTML in it."""
    found = []
    for section in document.css("section.example"):
        heading = section.css_first("h3, h4")
        blocks = {"html": [], "css": [], "javascript": []}
        for code in section.css("pre code"):
            kind = next((k for k in blocks if f"language-{k}" in (code.attributes.get("class") or "")), None)
            if kind:
                blocks[kind].append(code.text(deep=True))
        if not blocks["html"]:
            continue
        prose = " ".join(p.text(deep=True) for p in section.css("p"))
        found.append(
            (
                heading.text(deep=True).strip() if heading else "",
                prose,
                "\n".join(blocks["html"]),
                "\n".join(blocks["css"]),
                "\n".join(blocks["javascript"]),
            )
        )
    return found


def build(repo: Path, commit: str) -> dict[str, int]:
    commit = git(repo, "rev-parse", commit).strip()
    passes = sufficient(repo, commit)
    if OUT.exists():
        shutil.rmtree(OUT)
    counts = {"fail": 0, "fail-any": 0, "pass": 0, "skipped": 0}
    for folder, short in FOLDERS.items():
        for path in git(repo, "ls-tree", "--name-only", commit, f"techniques/{folder}/").split():
            if not path.endswith(".html"):
                continue
            technique = Path(path).stem
            document = HTMLParser(git(repo, "show", f"{commit}:{path}"))
            title = (document.css_first("h1").text(deep=True) if document.css_first("h1") else technique).strip()
            title = re.sub(r"\s+", " ", title)
            if folder == "failures":
                criteria = {c for c in failure_criteria(title) if c in AUDITED}
                # "Failure of Success Criteria 1.3.1, 2.1.1, 2.1.3, or 4.1.2 when ...": one of them, not all
                verdict = "fail-any" if " or " in title.split(" due to ", 1)[0] and len(criteria) > 1 else "fail"
            else:
                criteria = {c for c in passes.get(technique, set()) if c in AUDITED}
                verdict = "pass"
            if not criteria:
                continue
            url = f"https://www.w3.org/WAI/WCAG22/Techniques/{folder}/{technique}"
            for index, (heading, prose, code, style, script) in enumerate(examples(document), start=1):
                if verdict != "pass" and REPAIRED.search(prose + " " + heading):
                    counts["skipped"] += 1
                    continue
                label = f"{verdict} {' '.join(wcag.sort_numbers(criteria))}"
                why = f"{technique} ({title}), example {index}: {heading}".replace("--", "-")
                source = f"{url} (w3c/wcag@{commit[:12]}, W3C Software and Document License)"
                target = OUT / short / f"{technique.lower()}-{index}.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                text = page(label, why, source, f"{technique} example {index}", local(code), style, local(script))
                target.write_text(text, encoding="utf-8")
                counts[verdict] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="the git directory of github.com/w3c/wcag")
    parser.add_argument("--commit", default="HEAD")
    args = parser.parse_args()
    counts = build(args.repo, args.commit)
    print(
        f"wrote {counts['fail'] + counts['fail-any']} failing pages ({counts['fail-any']} failing one of several "
        f"criteria) and {counts['pass']} passing pages; {counts['skipped']} examples skipped"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
