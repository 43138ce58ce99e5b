"""The Markdown reports and documents show untrusted text as text: a force name, a contact's name, a key
from the spec, a URL from the legacy site or the platform, a check's summary. Each is rendered with the
vectors of tests/data/xss_vectors.txt and tests/data/hostile/, and read back with a permissive Markdown
parser (raw HTML on, as GitHub or another viewer might render the .md file): every value must come out as
one piece of plain text, so it made no tag, link, emphasis, code or heading of its own."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from test_crawl import spec_for
from test_sanitise import load_vectors, parse

from conftest import DATA, DEMO, ROOT
from sandbox.legacy_site import LegacySite, start
from soh_onboarding import dpia, provisioning, reports, spec
from soh_onboarding.dpia import catalogue
from soh_onboarding.golive.model import Check, Checklist
from soh_onboarding.migration import pipeline

HOSTILE = DATA / "hostile"
FORCE_NAME = (HOSTILE / "force-name.txt").read_text(encoding="utf-8").splitlines()[0]
VECTORS = load_vectors()
DEMO_DATA = spec.check([DEMO]).specs[0].data
PERMISSIVE = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def plain(value: str) -> str:
    """`value` as a Markdown parser gives it back as text: on one line (the escaping keeps a value from
    starting a block of its own), NUL as U+FFFD (as CommonMark requires)."""
    return " ".join(value.replace("\0", "\ufffd").split())


def texts(markdown: str) -> list[str]:
    """The text and code pieces of `markdown`, as a permissive parser reads them."""
    found = []
    for token in PERMISSIVE.parse(markdown):
        found += [child.content for child in token.children or () if child.type in ("text", "code_inline")]
    return found


def assert_inert(markdown: str, *values: str) -> None:
    """Each value is one piece of text (or of code), and nothing in the document is raw HTML."""
    pieces = texts(markdown)
    for value in values:
        assert any(plain(value) in piece for piece in pieces), f"not shown as plain text: {value!r}"
    tokens = PERMISSIVE.parse(markdown)
    everything = tokens + [child for token in tokens for child in token.children or ()]
    assert [token.content for token in everything if token.type in ("html_inline", "html_block")] == []


def assert_the_force_name_is_inert(markdown: str, html: str = "") -> None:
    """The example of the issue: no raw tag, link or emphasis in the Markdown itself or in its HTML."""
    assert_inert(markdown, FORCE_NAME)
    for made in ("<script", "**Police**", "[x](javascript:"):
        assert made not in markdown
    if html:
        for made in ("<script", "<strong>police", 'href="javascript'):
            assert made not in html.lower()
        assert any(FORCE_NAME in text for text in parse(html).text)  # shown as written, not escaped twice


# --- the migration report, from a real migration ---------------------------------------------------


def test_the_migration_report_shows_a_hostile_force_name_and_spec_keys_as_text(tmp_path: Path) -> None:
    """The force name from a hostile file, and every XSS vector as an alt-text key of the spec: keys that
    match no image are listed in the report, verbatim."""
    with start(LegacySite(50, seed=3, slow_ms=0, fault_rate=0)) as running:
        data = spec_for(running.url)
        data["force"]["name"] = FORCE_NAME
        data["content_mapping"]["alt_text"] = {vector: "text" for vector in VECTORS}
        pipeline.migrate(data, tmp_path, chunks=1, progress=lambda _line: None)
    markdown = (tmp_path / "migration-report.md").read_text(encoding="utf-8")
    assert_the_force_name_is_inert(markdown, (tmp_path / "migration-report.html").read_text(encoding="utf-8"))
    assert_inert(markdown, *VECTORS)
    assert_inert(markdown, running.url)  # the legacy site's own URLs too (unresolved, images without alt)


# --- the DPIA documents ----------------------------------------------------------------------------


def hostile_force() -> dict:
    data = copy.deepcopy(DEMO_DATA)
    data["force"]["name"] = FORCE_NAME
    data["contacts"]["data_protection_officer"]["name"] = VECTORS[0]
    data["contacts"]["digital_lead"]["name"] = VECTORS[1]
    data["contacts"]["go_live_approver"]["name"] = VECTORS[2]
    return data


def test_the_dpia_documents_show_hostile_names_as_text(tmp_path: Path) -> None:
    data = hostile_force()
    services = catalogue.load()
    screening = dpia.screen(data, services)
    paths = dpia.write_documents(tmp_path, screening, data, services, VECTORS[3], "2026-11-25T12:00:00+00:00")
    markdown = Path(paths["dpia-scoping.md"]).read_text(encoding="utf-8")
    assert_the_force_name_is_inert(markdown, Path(paths["dpia-scoping.html"]).read_text(encoding="utf-8"))
    assert_inert(markdown, *VECTORS[:2], VECTORS[3])  # the DPO, the digital lead, the run's id
    body = reports.render("dpia_decision_body.md.j2", screening=screening, changes=VECTORS[4:40], document=FORCE_NAME)
    assert_the_force_name_is_inert(body)
    assert_inert(body, *VECTORS[4:40])


@pytest.mark.parametrize("vector", VECTORS)
def test_every_vector_as_a_force_name_in_the_dpia_decision_body(vector: str) -> None:
    data = hostile_force() | {"force": DEMO_DATA["force"] | {"name": vector}}
    screening = dpia.screen(data, catalogue.load())
    body = reports.render("dpia_decision_body.md.j2", screening=screening, changes=[], document="x")
    assert_inert(body, vector)
    assert "<" not in body  # the template has none: no renderer, however lax, can find a tag in the file


# --- provisioning, the DAG's documentation, accessibility, go-live ---------------------------------


def test_the_provisioning_report_shows_the_platforms_answers_as_text(tmp_path: Path) -> None:
    """What the platform answered is as untrusted as the legacy site: a preview URL that is not http(s)
    is shown, not linked."""
    tenant = {
        "tenant_id": VECTORS[5],
        "preview_url": "javascript:alert(1)",
        "live_url": VECTORS[6],
        "state": VECTORS[7],
        "domains": [VECTORS[8], VECTORS[9]],
        "services": [],
    }
    published = {"pages": provisioning.Published(skipped=[VECTORS[10], VECTORS[11]])}
    checked = provisioning.Verification(False, [VECTORS[12], FORCE_NAME], {}, {})
    provisioning.write_outputs(tmp_path, {"force": {"name": FORCE_NAME}}, tenant, published, checked)
    markdown = (tmp_path / "provisioning-report.md").read_text(encoding="utf-8")
    assert_the_force_name_is_inert(markdown, (tmp_path / "provisioning-report.html").read_text(encoding="utf-8"))
    assert_inert(markdown, *VECTORS[5:8], ", ".join(VECTORS[8:10]), *VECTORS[10:13], "javascript:alert(1)")
    assert "| Preview | javascript:alert(1) |" in markdown  # shown, not linked


def test_the_provisioning_report_links_a_real_preview(tmp_path: Path) -> None:
    tenant = {
        "tenant_id": "demo",
        "preview_url": "https://x.example/preview/demo/",
        "live_url": None,
        "state": "preview",
    }
    checked = provisioning.Verification(True, [], {}, {})
    provisioning.write_outputs(tmp_path, DEMO_DATA, tenant | {"domains": [], "services": []}, {}, checked)
    markdown = (tmp_path / "provisioning-report.md").read_text(encoding="utf-8")
    assert "| Preview | [https://x.example/preview/demo/](https://x.example/preview/demo/) |" in markdown


def test_the_dags_documentation_shows_hostile_spec_text_as_text() -> None:
    from soh_onboarding.glue import building

    force = spec.ForceSpec(ROOT / "onboarding_specs" / "demo.yaml", hostile_force(), "0" * 64)
    markdown = building.dag_doc(force)
    assert_the_force_name_is_inert(markdown)
    assert_inert(markdown, *VECTORS[:3])


def test_the_accessibility_statement_shows_hostile_text_as_text() -> None:
    item = {"criterion": "1.1.1", "name": "Non-text Content", "plain": "Some images have no text alternative"}
    statement = reports.render(
        "accessibility_statement.md.j2",
        force=FORCE_NAME,
        site=VECTORS[13],
        standard_version="2.2",
        status="partially",
        non_compliant=[item | {"findings": 2, "pages": 1, "example": VECTORS[14]}],
        known_issues=[
            item
            | {"criteria": "1.1.1 (Non-text Content)", "reason": VECTORS[18], "fix_by": "6 December 2027"}
            | {"findings": 1, "pages": 1, "example": VECTORS[19]}
        ],
        documents_failing=[
            {"path": VECTORS[20], "status": "failed", "failures": [{"problem": VECTORS[21], "wcag": ["1.3.1"]}]},
            {"path": VECTORS[22], "status": "unreadable", "error": VECTORS[23], "failures": []},
        ],
        documents_exempt=[],
        documents_for_services=[],
        tested="2026-11-25",
        pages=3,
        sampled=True,
        engines=[VECTORS[15]],
        manual=[VECTORS[16]],
        contact_email=VECTORS[17],
    )
    assert_the_force_name_is_inert(statement)
    assert_inert(statement, *VECTORS[13:24])


def test_the_golive_decision_shows_hostile_check_text_as_text() -> None:
    checks = [Check(VECTORS[n], "dns", VECTORS[n + 1], "warn", VECTORS[n + 2]) for n in range(18, len(VECTORS) - 2, 3)]
    checklist = Checklist("demo", FORCE_NAME, "2026-11-25T12:00:00Z", "public", checks)
    body = reports.render("golive_decision_body.md.j2", checklist=checklist, report="https://airflow.example/r")
    assert_the_force_name_is_inert(body)
    assert_inert(body, *(text for check in checks for text in (check.name, check.subject, check.summary)))
    assert "[go-live checklist](https://airflow.example/r)" in body


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example/x"])
def test_a_report_link_that_is_not_http_or_a_path_here_is_not_a_link(url: str) -> None:
    checklist = Checklist("demo", "Demoshire Police", "2026-11-25T12:00:00Z", "public", [])
    body = reports.render("golive_decision_body.md.j2", checklist=checklist, report=url)
    assert_inert(body, url.strip())
    assert "[go-live checklist](" not in body


@pytest.mark.parametrize("url", ["https://airflow.example/soh/artifacts/x.html", "/soh/artifacts/x.html"])
def test_a_report_link_over_http_or_to_a_path_here_is_a_link(url: str) -> None:
    checklist = Checklist("demo", "Demoshire Police", "2026-11-25T12:00:00Z", "public", [])
    body = reports.render("golive_decision_body.md.j2", checklist=checklist, report=url)
    assert f"[go-live checklist]({url})" in body
