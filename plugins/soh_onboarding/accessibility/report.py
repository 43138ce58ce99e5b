"""The audit's artifacts: audit.json, the HTML report (shaped like GDS's monitoring reports) and a draft
accessibility statement in the regulations' model, all rendered from templates in reports/templates/.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from markupsafe import Markup

from .. import reports
from ..artifacts import write_json
from . import wcag

DOCUMENTS_JSON = "documents.json"
DOCUMENTS_REPORT = "documents-report.html"  # a check of documents alone; otherwise they are in the audit's report
REVIEW_ROWS = 500  # the HTML report lists this many "needs review" items; audit.json has all

PLAIN = {
    "1.1.1": "Some images and image buttons have no text alternative, so people using a screen reader cannot access their information",
    "1.3.1": "Some structure (headings, lists, tables, form groups) is only visual and not marked up, so assistive technology cannot convey it",
    "1.3.5": "Some form fields do not identify their purpose, so browsers cannot fill them in for people",
    "1.4.1": "Some links or information are shown by colour alone",
    "1.4.3": "Some text does not contrast enough with its background",
    "1.4.11": "Some controls and graphics do not contrast enough with their surroundings",
    "2.1.1": "Some controls cannot be used with a keyboard",
    "2.1.2": "Keyboard focus gets trapped in some parts of pages",
    "2.4.1": "Some pages have no way to skip repeated content",
    "2.4.2": "Some pages have no title",
    "2.4.3": "The keyboard focus order of some pages does not follow the content",
    "2.4.4": "The purpose of some links cannot be determined from their text",
    "2.4.6": "Some headings or labels are empty or do not describe their content",
    "2.5.3": "The accessible name of some controls does not include their visible label, so speech recognition users cannot operate them",
    "2.5.8": "Some buttons and links are too small or too close together to press easily",
    "3.1.1": "The language of some pages is not set, or not valid",
    "3.1.2": "Some content in another language (such as Welsh) is not marked with its language",
    "3.3.2": "Some form fields have no label or instructions",
    "4.1.2": "Some controls have no accessible name or role, so assistive technology cannot identify them",
}


def _pages(result: Any, accepted: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    known = {_key(item) for item in accepted or []}
    return [
        {
            "url": p.url,
            "error": p.error,
            "findings": [f.as_dict() | {"accepted": _key(f) in known} for f in p.violations],
            "needs_review": len(p.needs_review),
        }
        for p in result.pages
    ]


def _key(finding: Any) -> tuple[str, str, tuple[str, ...]]:
    """A violation's identity across its Finding and its dict: page, element, criteria."""
    if isinstance(finding, dict):
        return finding["url"], finding["target"], tuple(finding["wcag"])
    return finding.url, finding.target, tuple(finding.wcag)


def non_compliant(result: Any, accepted: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per failed criterion: how many findings on how many pages, one example (for the statement); the
    `accepted` known issues (gate.accepted) are left out: known_issues() lists them with their reason."""
    by_criterion: dict[str, list[Any]] = defaultdict(list)
    left_out = {_key(item) for item in accepted or []}
    for finding in result.findings:
        if _key(finding) in left_out:
            continue
        for number in finding.wcag:
            by_criterion[number].append(finding)
    return [
        {
            "criterion": n,
            "name": wcag.CRITERIA[n].name,
            "plain": PLAIN.get(n, f"Some content fails success criterion {n} {wcag.CRITERIA[n].name}"),
            "findings": len(by_criterion[n]),
            "pages": len({f.url for f in by_criterion[n]}),
            "example": f"{by_criterion[n][0].url} ({by_criterion[n][0].target})",
        }
        for n in wcag.sort_numbers(list(by_criterion))
    ]


def _long_date(day: str) -> str:
    """'2027-12-06' as '6 December 2027', as the model statement writes dates."""
    parsed = date.fromisoformat(day)
    return f"{parsed.day} {parsed:%B %Y}"


def known_issues(gate: Any) -> list[dict[str, Any]]:
    """The accepted known issues for the statement: per entry that accepted a violation, what fails (in
    plain words, by criterion), the force's reason and the date by which it will be fixed (its expiry)."""
    by_entry: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in gate.accepted:
        by_entry[item["where"]].append(item)
    listed = []
    for items in by_entry.values():
        entry = items[0]["entry"]
        numbers = wcag.sort_numbers(list({n for item in items for n in item["wcag"]}))
        listed.append(
            {
                "plain": PLAIN.get(numbers[0], f"Some content fails success criterion {numbers[0]}"),
                "criteria": ", ".join(f"{n} ({wcag.CRITERIA[n].name})" for n in numbers),
                "reason": entry["reason"],
                "fix_by": _long_date(entry["expires"]),
                "findings": len(items),
                "pages": len({item["url"] for item in items}),
                "example": f"{items[0]['url']} ({items[0]['target']})",
            }
        )
    return listed


def compliance_status(result: Any, documents: Any = None) -> str:
    """fully / partially / not compliant, from the automated results only (the draft says so); failing
    documents in the regulations' scope make a site with clean pages partially compliant."""
    if not result.findings:
        return "partially" if documents is not None and documents.non_accessible() else "fully"
    pages = max(len(result.audited), 1)
    blocked = {f.url for f in result.findings if f.impact == "critical"}
    return "not" if len(blocked) * 2 > pages else "partially"


def render_report(
    result: Any,
    gate: Any,
    *,
    site: str,
    comparison: Any = None,
    monitoring: dict[str, Any] | None = None,
    documents: Any = None,
) -> str:
    """The HTML report of an audit; `monitoring` (a re-audit of a live site: its regressions against the
    go-live audit and the statement's age, see monitor.py) adds a section "Since go-live", `documents`
    (documents.DocumentsResult) a section "Documents"."""
    data = result.as_dict() | {"gate": gate.as_dict(), "site": site}
    if comparison is not None:
        data["comparison"] = comparison.as_dict()
    manual = [c for c in wcag.criteria_in(result.standard) if c.number not in wcag.PARTLY_AUTOMATED]
    review = [f.as_dict() for f in result.needs_review]
    return reports.render(
        "accessibility_report.html.j2",
        title=f"Accessibility {'re-audit' if monitoring else 'audit'}: {site}",
        site=site,
        result=data,
        gate=gate.as_dict(),
        pages=_pages(result, gate.accepted),
        criteria=wcag.CRITERIA,
        manual=manual,
        comparison=data.get("comparison"),
        monitoring=monitoring,
        review_rows=review[:REVIEW_ROWS],
        review_shown=min(len(review), REVIEW_ROWS),
        review_truncated=len(review) > REVIEW_ROWS,
        documents=documents.as_dict() if documents is not None else None,
    )


def write(
    folder: Any,
    result: Any,
    gate: Any,
    *,
    site: str,
    force: str = "[organisation]",
    contact_email: str = "[email address]",
    comparison: Any = None,
    documents: Any = None,
) -> dict[str, str]:
    """Write audit.json, accessibility-report.html and accessibility-statement.md/.html into `folder`; with
    `documents` (documents.DocumentsResult) documents.json too, and the documents in the report and statement."""
    data = result.as_dict() | {"gate": gate.as_dict(), "site": site}
    if comparison is not None:
        data["comparison"] = comparison.as_dict()
    if gate.known_issues is not None:
        data["known_issues"] = gate.known_issues  # the accepted known issues, with counts, in a section of their own
    if documents is not None:
        data["documents"] = {"file": DOCUMENTS_JSON, "counts": documents.counts()}
        write_json(folder / DOCUMENTS_JSON, documents.as_dict())
    write_json(folder / "audit.json", data)
    manual = [c for c in wcag.criteria_in(result.standard) if c.number not in wcag.PARTLY_AUTOMATED]
    html = render_report(result, gate, site=site, comparison=comparison, documents=documents)
    (folder / "accessibility-report.html").write_text(html, encoding="utf-8")
    statement = reports.render(
        "accessibility_statement.md.j2",
        force=force,
        site=site,
        standard_version=wcag.STANDARDS[result.standard],
        status=compliance_status(result, documents),
        non_compliant=non_compliant(result, gate.accepted),
        known_issues=known_issues(gate),
        tested=result.started[:10],
        pages=len(result.audited),
        sampled=bool(result.discovery.get("sampled")),
        engines=[v for k, v in result.engine_versions.items() if k != "keyboard"],
        manual=[f"{c.number} {c.name}" for c in manual],
        contact_email=contact_email,
        **statement_documents(documents),
    )
    (folder / "accessibility-statement.md").write_text(statement, encoding="utf-8")
    (folder / "accessibility-statement.html").write_text(
        reports.markdown_to_html(statement, f"Accessibility statement for {force} (draft)"), encoding="utf-8"
    )
    files = {
        "json": "audit.json",
        "report": "accessibility-report.html",
        "statement": "accessibility-statement.md",
        "statement_html": "accessibility-statement.html",
    }
    return files | ({"documents_json": DOCUMENTS_JSON} if documents is not None else {})


def statement_documents(documents: Any) -> dict[str, Any]:
    """The statement's document lists: failing documents in scope ("Non-accessible content"), failing ones
    exempt as published before 23 September 2018 and not needed for a service ("not within the scope"),
    and the paths of failing ones needed for a service (the model statement's "essential" documents)."""
    if documents is None:
        return {"documents_failing": [], "documents_exempt": [], "documents_for_services": []}
    return {
        "documents_failing": [d.as_dict() for d in documents.non_accessible()],
        "documents_exempt": [d.as_dict() for d in documents.out_of_scope()],
        "documents_for_services": [d.path for d in documents.failing_for_services()],
    }


def write_documents(folder: Any, documents: Any) -> dict[str, str]:
    """A check of documents alone (no pages): documents.json and documents-report.html into `folder`."""
    write_json(folder / DOCUMENTS_JSON, documents.as_dict())
    title = f"Document accessibility checks: {documents.source}"
    section = reports.render("accessibility_documents.html.j2", documents=documents.as_dict(), documents_title=title)
    page = reports.render("page.html.j2", title=title, body=Markup(section))
    (folder / DOCUMENTS_REPORT).write_text(page, encoding="utf-8")
    return {"documents_json": DOCUMENTS_JSON, "documents_report": DOCUMENTS_REPORT}
