"""The checks of migrated documents: real PDFs (built with pikepdf) and .docx files, each check passing and
failing, damaged and encrypted files, the publication date and the pre-2018 exemption, the gate, the reports,
the CLI, and the sandbox legacy site's documents through a real migration."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from test_crawl import spec_for

from conftest import run_python
from sandbox.legacy_site import LegacySite, start
from sandbox.legacy_site import documents as build
from soh_onboarding.accessibility import documents, gate, report, run
from soh_onboarding.accessibility.audit import AuditResult, PageResult

GOOD = {"tagged": True, "lang": "en-GB", "info_title": "Annual report", "display_title": True}


def check_bytes(data: bytes, name: str = "/media/documents/report.pdf", last_modified: str = "", **settings):
    """Check one document written to a real file."""
    folder = Path(check_bytes.tmp) / name.lstrip("/")  # type: ignore[attr-defined]
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_bytes(data)
    return documents.check(documents.Source(folder, name, last_modified=last_modified), documents.Settings(**settings))


@pytest.fixture(autouse=True)
def _tmp(tmp_path: Path) -> None:
    check_bytes.tmp = tmp_path  # type: ignore[attr-defined]


def failed(result: documents.DocumentResult) -> dict[str, tuple[str, ...]]:
    return {f.check: f.wcag for f in result.failures}


# ----- PDFs: each check passing and failing ---------------------------------------------------------


def test_a_well_made_pdf_passes_every_check_that_applies() -> None:
    fields = (build.Field("name", "Your full name"), build.Field("email", "Your email address"))
    data = build.pdf("Annual report", pages=24, bookmarks=True, figure=True, figure_alt="Chart", fields=fields, **GOOD)
    result = check_bytes(data)
    assert result.status == "passed" and result.failures == [] and result.pages == 24
    assert set(result.passed) == {
        "tagged",
        "language",
        "title",
        "text layer",
        "bookmarks",
        "figures have alternative text",
        "form fields named",
    }
    assert result.needs_review  # what a file cannot show is never passed silently
    assert any("reading order" in item for item in result.needs_review)


@pytest.mark.parametrize(
    ("changes", "check", "criteria"),
    [
        ({"tagged": False}, "tagged", ("1.3.1",)),
        ({"lang": None}, "language", ("3.1.1",)),
        ({"lang": "English please"}, "language", ("3.1.1",)),
        ({"info_title": None}, "title", ("2.4.2",)),
        ({"display_title": False}, "display_title", ("2.4.2",)),
        ({"pages": 21}, "bookmarks", ("2.4.5",)),
        ({"figure": True}, "figure_alt", ("1.1.1",)),
        ({"fields": (build.Field("name", "Your name"), build.Field("details"))}, "form_labels", ("4.1.2", "3.3.2")),
    ],
)
def test_each_pdf_check_fails_alone_with_its_criteria(changes: dict, check: str, criteria: tuple[str, ...]) -> None:
    result = check_bytes(build.pdf("Report", **(GOOD | changes)))
    assert result.status == "failed"
    assert failed(result) == {check: criteria}
    failure = result.failures[0]
    assert failure.problem and failure.fix  # what is wrong, and what to do, in words


def test_twenty_pages_need_no_bookmarks_and_an_xmp_title_counts() -> None:
    result = check_bytes(build.pdf("Plan", pages=20, **(GOOD | {"info_title": None, "xmp_title": "Plan"})))
    assert result.status == "passed" and "bookmarks" not in result.passed and "title" in result.passed


def test_a_scanned_pdf_has_no_text_layer_and_a_part_scanned_one_names_its_pages() -> None:
    scan = check_bytes(build.pdf("Scan", pages=2, scanned=True, **GOOD))
    assert failed(scan)["text_layer"] == ("1.1.1",)
    assert "all 2 pages are images with no text layer" in scan.failures[-1].problem
    mixed = pikepdf.open(io.BytesIO(build.pdf("Report", pages=2, **GOOD)))
    mixed.pages.extend(pikepdf.open(io.BytesIO(build.pdf("Scan", scanned=True))).pages)
    out = io.BytesIO()
    mixed.save(out)
    part = check_bytes(out.getvalue())
    assert failed(part) == {"text_layer": ("1.1.1",)}
    assert "1 of 3 pages (page 3) are images" in part.failures[0].problem


def test_a_damaged_pdf_is_reported_and_a_repaired_one_says_so() -> None:
    garbage = check_bytes(b"%PDF-1.4\nthis is not a PDF at all")
    assert garbage.status == "unreadable" and garbage.error.startswith("damaged: not a readable PDF")
    assert garbage.failing and garbage.failures == []
    page = check_bytes(b"<html><head><title>Server Error in '/' Application.</title></head></html>")
    assert page.status == "unreadable" and "an HTML page (an error page the legacy site sent" in page.error
    good = build.pdf("Report", **GOOD)
    cut = check_bytes(good[: len(good) // 2])
    assert any("read only after repair" in item for item in cut.needs_review)


def test_form_xobjects_are_followed_once_and_unreadable_page_content_needs_review() -> None:
    document = pikepdf.open(io.BytesIO(build.pdf("Report", pages=2, **GOOD)))
    form = document.make_stream(b"/Fm0 Do " * 50, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
    form.BBox = pikepdf.Array([0, 0, 10, 10])
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))  # a form that draws itself
    page = document.pages[0]
    page.Resources.XObject = pikepdf.Dictionary(Fm0=form)
    page.Contents = document.make_stream(b"/Fm0 Do " * 50 + b"BT /F1 12 Tf (text) Tj ET")
    broken = pikepdf.Stream(document, b"not deflated at all")
    broken.Filter = pikepdf.Name.FlateDecode  # says it is compressed: cannot be decoded
    document.pages[1].Contents = document.make_indirect(broken)
    out = io.BytesIO()
    document.save(out)
    result = check_bytes(out.getvalue())
    assert "text_layer" not in failed(result) and "text layer" not in result.passed
    assert any("the content of page 2 could not be read" in item for item in result.needs_review), result.needs_review


def test_an_encrypted_pdf_is_reported_as_such() -> None:
    document = pikepdf.open(io.BytesIO(build.pdf("Report", **GOOD)))
    out = io.BytesIO()
    document.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    result = check_bytes(out.getvalue())
    assert result.status == "unreadable" and result.error.startswith("encrypted: it needs a password")
    owner_only = io.BytesIO()
    document.save(owner_only, encryption=pikepdf.Encryption(user="", owner="owner"))
    assert check_bytes(owner_only.getvalue()).status == "passed"  # opens without a password: checked as usual


# ----- office documents -----------------------------------------------------------------------------


def test_a_good_docx_passes_and_a_bad_one_fails_each_check() -> None:
    text = ["One.", "Two.", "Three."]
    good = check_bytes(build.docx("Policy", text, lang="en-GB", heading="Policy", images=("A chart",)), "/p.docx")
    assert good.status == "passed" and set(good.passed) == {
        "title",
        "language",
        "headings",
        "images have alternative text",
    }
    bad = check_bytes(build.docx(None, text, images=("A chart", None)), "/p.docx")
    assert failed(bad) == {
        "title": ("2.4.2",),
        "language": ("3.1.1",),
        "headings": ("1.3.1",),
        "image_alt": ("1.1.1",),
    }
    assert "1 of 2 image(s) have no alternative text: Picture 2" in bad.failures[-1].problem
    short = check_bytes(build.docx("Note", ["Only two.", "Paragraphs."], lang="en"), "/n.docx")
    assert short.status == "passed"  # too short to need headings


def test_a_decorative_image_needs_no_alt_text() -> None:
    data = build.docx("Policy", ["One."], lang="en-GB", images=(None,))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name in source.namelist():
            body = source.read(name)
            if name == "word/document.xml":
                body = body.replace(
                    b'name="Picture 1"/>',
                    b'name="Picture 1"><a:extLst><a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
                    b'<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative"'
                    b' val="1"/></a:ext></a:extLst></wp:docPr>',
                )
            package.writestr(name, body)
    assert check_bytes(out.getvalue(), "/p.docx").status == "passed"


def test_damaged_and_encrypted_office_files_and_unread_formats_are_reported() -> None:
    damaged = check_bytes(b"PK\x03\x04 cut short", "/a.docx")
    assert damaged.status == "unreadable" and damaged.error.startswith("damaged: not a readable .docx file")
    encrypted = check_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "/b.docx")
    assert encrypted.status == "unreadable" and encrypted.error.startswith("encrypted")
    empty_zip = io.BytesIO()
    zipfile.ZipFile(empty_zip, "w").close()
    no_body = check_bytes(empty_zip.getvalue(), "/c.docx")
    assert no_body.status == "unreadable" and "word/document.xml is missing" in no_body.error
    old = check_bytes(b"\xd0\xcf\x11\xe0 binary", "/d.doc")
    assert old.status == "not checked" and not old.failing and old.needs_review  # listed, never passed


# ----- the date and the exemption -------------------------------------------------------------------

OLD_UNTAGGED = build.pdf("Leaflet", created=date(2016, 3, 14))


@pytest.mark.parametrize(
    ("last_modified", "created", "exempt", "published", "source"),
    [
        ("Mon, 14 Mar 2016 09:00:00 GMT", date(2020, 1, 1), True, "2016-03-14", documents.FROM_LAST_MODIFIED),
        ("Sat, 22 Sep 2018 23:00:00 GMT", None, True, "2018-09-22", documents.FROM_LAST_MODIFIED),
        ("Sun, 23 Sep 2018 00:00:00 GMT", date(2016, 1, 1), False, "2018-09-23", documents.FROM_LAST_MODIFIED),
        ("", date(2017, 1, 9), True, "2017-01-09", documents.FROM_PDF_INFO),
        ("", date(2019, 1, 9), False, "2019-01-09", documents.FROM_PDF_INFO),
        ("not a date", date(2017, 1, 9), True, "2017-01-09", documents.FROM_PDF_INFO),
        ("", None, False, None, ""),
    ],
)
def test_the_publication_date_comes_from_the_best_evidence(
    last_modified: str, created: date | None, exempt: bool, published: str | None, source: str
) -> None:
    result = check_bytes(build.pdf("Leaflet", created=created), last_modified=last_modified)
    assert (result.exempt, result.published, result.published_source) == (exempt, published, source)
    assert result.exemption.startswith("exempt" if exempt else "not exempt")
    if published is None:
        assert "publication date is unknown" in result.exemption
    if exempt and source != documents.FROM_LAST_MODIFIED:
        assert "confirm it was published before 23 September 2018" in result.exemption
    if last_modified == "not a date":
        assert any("'not a date' is not a date" in item for item in result.needs_review)


def test_xmp_and_docx_dates_are_used_when_the_site_gave_none() -> None:
    xmp = check_bytes(build.pdf("Plan", xmp_created=date(2017, 6, 1)))
    assert (xmp.published, xmp.published_source, xmp.exempt) == ("2017-06-01", documents.FROM_PDF_XMP, True)
    word = check_bytes(build.docx("Policy", ["x"], created=date(2017, 5, 2)), "/p.docx")
    assert (word.published, word.published_source, word.exempt) == ("2017-05-02", documents.FROM_OFFICE, True)


def test_a_form_or_a_named_document_is_needed_for_a_service_and_never_exempt() -> None:
    form = build.pdf("Complaint form", fields=(build.Field("details"),), created=date(2015, 2, 10), **GOOD)
    result = check_bytes(form, last_modified="Tue, 10 Feb 2015 09:00:00 GMT")
    assert result.has_form and result.needed_for_service and not result.exempt
    assert result.service_reason == "it has form fields: a form is part of a service"
    named = check_bytes(
        OLD_UNTAGGED, "/media/documents/firearms-guide.pdf", needed_for_services=("/media/*-guide.pdf",)
    )
    assert named.needed_for_service and not named.exempt and "'/media/*-guide.pdf'" in named.service_reason
    other = check_bytes(OLD_UNTAGGED, "/media/documents/leaflet.pdf", needed_for_services=("/media/*-guide.pdf",))
    assert not other.needed_for_service and other.exempt


# ----- many documents, the gate and the reports -----------------------------------------------------


def _migration(folder: Path, rows: list[tuple[str, bytes, str]]) -> Path:
    """A migration folder as the pipeline writes it: assets.csv and the files under assets/."""
    with (folder / "assets.csv").open("w", encoding="utf-8", newline="") as table:
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(["old_url", "new_path", "sha256", "content_type", "last_modified"])
        for path, body, last_modified in rows:
            target = folder / "assets" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            writer.writerow([f"http://old.example{path}", path, "0", "application/pdf", last_modified])
        writer.writerow(["http://old.example/logo.png", "/media/logo.png", "0", "image/png", ""])  # not a document
    return folder


SERVICE_FORM = build.pdf("Complaint form", fields=(build.Field("details"),), **GOOD)


def test_a_broken_document_never_stops_the_others(tmp_path: Path) -> None:
    folder = _migration(
        tmp_path,
        [("/media/a.pdf", b"garbage", ""), ("/media/b.pdf", build.pdf("Report", **GOOD), "")],
    )
    (folder / "assets" / "media" / "missing.pdf").unlink(missing_ok=True)
    with (folder / "assets.csv").open("a", encoding="utf-8") as table:
        table.write("http://old.example/missing.pdf,/media/missing.pdf,0,application/pdf,\n")
    lines: list[str] = []
    checked = run.check_documents(folder, progress=lines.append)
    assert [(d.path, d.status) for d in checked.documents] == [
        ("/media/a.pdf", "unreadable"),
        ("/media/b.pdf", "passed"),
        ("/media/missing.pdf", "unreadable"),
    ]
    assert "the file cannot be read" in checked.documents[2].error
    assert lines[0] == "checking 3 document(s)" and lines[2].startswith("document 2/3: /media/b.pdf: passes")


def test_a_bad_assets_table_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text("old_url,new_path\nhttp://o/x.pdf,/../../etc/passwd.pdf\n", encoding="utf-8")
    with pytest.raises(documents.SourceError, match=r"assets.csv: line 2: new_path '/../../etc/passwd.pdf'"):
        documents.from_migration(tmp_path)
    (tmp_path / "assets.csv").write_text("url,path\n", encoding="utf-8")
    with pytest.raises(documents.SourceError, match=r"assets.csv: line 1: no new_path, old_url column"):
        documents.from_migration(tmp_path)


def _passing_gate() -> gate.GateResult:
    return gate.GateResult(
        True, dict.fromkeys(("critical", "serious", "moderate", "minor"), 0), gate.DEFAULT_ALLOWED, 0, 0
    )


def test_the_gate_fails_on_a_failing_service_document_and_only_lists_the_others(tmp_path: Path) -> None:
    folder = _migration(
        tmp_path,
        [
            ("/media/complaint-form.pdf", SERVICE_FORM, "Tue, 10 Feb 2015 09:00:00 GMT"),
            ("/media/old-leaflet.pdf", OLD_UNTAGGED, "Mon, 14 Mar 2016 09:00:00 GMT"),
            ("/media/new-leaflet.pdf", build.pdf("Leaflet"), "Mon, 14 Mar 2022 09:00:00 GMT"),
        ],
    )
    checked = run.check_documents(folder)
    verdict = gate.with_documents(_passing_gate(), checked)
    assert not verdict.passed
    assert verdict.failures[0] == "1 document(s) needed for a service fail the accessibility checks, 0 allowed"
    assert verdict.failures[1].startswith("/media/complaint-form.pdf: 1 of 1 form field(s) have no name")
    assert (
        "(4.1.2, 3.3.2)" in verdict.failures[1] and "[needed for a service: it has form fields" in verdict.failures[1]
    )
    assert len(verdict.failures) == 2  # the failing leaflets are listed in the report, not in the gate
    assert (
        "documents: 3 checked, 3 failing or unreadable, 1 of them needed for a service, 1 exempt" in verdict.summary()
    )
    allowed = run.check_documents(folder, {"documents": {"allowed_failures": 1}})
    assert gate.with_documents(_passing_gate(), allowed).passed
    (tmp_path / "empty").mkdir()
    nothing = run.check_documents(_migration(tmp_path / "empty", []))
    assert nothing.documents == [] and gate.with_documents(_passing_gate(), nothing).passed


def test_the_reports_and_statement_list_the_documents(tmp_path: Path) -> None:
    (tmp_path / "migration").mkdir()
    folder = _migration(
        tmp_path / "migration",
        [
            ("/media/complaint-form.pdf", SERVICE_FORM, ""),
            ("/media/old-leaflet.pdf", OLD_UNTAGGED, "Mon, 14 Mar 2016 09:00:00 GMT"),
            ("/media/scan.pdf", build.pdf("Scan", scanned=True), "Mon, 14 Mar 2022 09:00:00 GMT"),
            ("/media/good.pdf", build.pdf("Good <b>report</b>", **GOOD), ""),
        ],
    )
    checked = run.check_documents(folder)
    clean = AuditResult("WCAG 2.2 AA", [PageResult("https://site.example/", 200)], "2026-12-07T10:00:00", 1.0, 1, {})
    verdict = gate.with_documents(gate.check(clean, {}), checked)
    out = tmp_path / "out"
    out.mkdir()
    files = report.write(out, clean, verdict, site="https://site.example/", documents=checked)
    assert files["documents_json"] == "documents.json"
    audit = json.loads((out / "audit.json").read_text())
    assert audit["documents"]["counts"]["failing_needed_for_service"] == 1 and audit["gate"]["passed"] is False
    saved = json.loads((out / "documents.json").read_text())
    scan = next(d for d in saved["documents"] if d["path"] == "/media/scan.pdf")
    assert {f["check"] for f in scan["failures"]} == {"tagged", "language", "title", "text_layer"}
    assert scan["criteria"] == ["1.1.1", "1.3.1", "2.4.2", "3.1.1"]
    html = (out / "accessibility-report.html").read_text()
    assert '<h2 id="documents">Documents</h2>' in html and "/media/scan.pdf" in html
    assert "images with no text layer" in html and "<b>report</b>" not in html
    statement = (out / "accessibility-statement.md").read_text()
    non_accessible, out_of_scope = statement.split("### Disproportionate burden")
    assert "#### PDFs and other documents" in non_accessible and "/media/scan.pdf" in non_accessible
    assert "/media/old-leaflet.pdf" not in non_accessible  # exempt: in the "not within scope" part
    assert "do not require us to fix PDFs or other documents published before 23 September 2018" in out_of_scope
    assert "- /media/old-leaflet.pdf (published 2016-03-14)" in out_of_scope
    assert "essential to providing our services" in out_of_scope and "/media/complaint-form.pdf" in out_of_scope
    assert "partially compliant" in statement  # clean pages, failing documents in scope


def test_the_cli_checks_a_folder_of_documents_alone(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "forms").mkdir(parents=True)
    (docs / "forms" / "complaint.pdf").write_bytes(SERVICE_FORM)
    (docs / "report.pdf").write_bytes(build.pdf("Report", **GOOD))
    (docs / "notes.txt").write_text("not a document")
    out = tmp_path / "out"
    done = run_python("-m", "soh_onboarding", "audit", "--documents", str(docs), "--out", str(out))
    assert done.returncode == 1, done.stderr
    assert "checking 2 document(s)" in done.stdout
    assert "document gate FAILED: 2 document(s), 1 failing, 0 unreadable, 0 exempt" in done.stdout
    assert "  - /forms/complaint.pdf: 1 of 1 form field(s) have no name" in done.stdout
    assert (out / "documents-report.html").read_text().count("<h1>") == 1
    assert json.loads((out / "documents.json").read_text())["counts"]["documents"] == 2
    missing = run_python("-m", "soh_onboarding", "audit", "--documents", str(tmp_path / "nope"), "--out", str(out))
    assert missing.returncode == 2 and "not a folder" in missing.stderr and "Traceback" not in missing.stderr
    nothing = run_python("-m", "soh_onboarding", "audit", "--out", str(out))
    assert nothing.returncode == 2 and "give page or sitemap URLs, or --documents FOLDER" in nothing.stderr


# ----- the sandbox legacy site through a real migration ---------------------------------------------


@pytest.mark.slow
def test_the_sandbox_sites_documents_through_the_migration(tmp_path: Path) -> None:
    """The legacy site's mix of documents, crawled and migrated (assets.csv with Last-Modified), then checked."""
    from soh_onboarding.migration import pipeline

    site = LegacySite(150, seed=2, faults=False)
    assert site.counts["documents"] == 7
    with start(site) as running:
        data = spec_for(running.url)
        pipeline.migrate(data, tmp_path, progress=lambda _line: None)
    rows = {row["new_path"]: row for row in csv.DictReader((tmp_path / "assets.csv").open(encoding="utf-8"))}
    assert rows["/media/documents/annual-report.pdf"]["last_modified"] == "Mon, 30 Jun 2025 09:00:00 GMT"
    assert rows["/media/documents/freedom-of-information-policy.docx"]["last_modified"] == ""
    checked = run.check_documents(tmp_path, data["accessibility"])
    by_path = {d.path.removeprefix("/media/documents/"): d for d in checked.documents}
    assert set(by_path) == {
        "annual-report.pdf",
        "crime-prevention-leaflet.pdf",
        "stop-and-search-data.pdf",
        "police-and-crime-plan.pdf",
        "gender-pay-gap-report.pdf",
        "freedom-of-information-policy.docx",
        "complaints-procedure.pdf",
    }
    assert by_path["annual-report.pdf"].status == "passed" and "bookmarks" in by_path["annual-report.pdf"].passed
    assert by_path["gender-pay-gap-report.pdf"].status == "passed"
    leaflet = by_path["crime-prevention-leaflet.pdf"]
    assert leaflet.exempt and leaflet.published_source == documents.FROM_LAST_MODIFIED
    assert "text_layer" in failed(by_path["stop-and-search-data.pdf"])
    assert failed(by_path["police-and-crime-plan.pdf"]) == {"bookmarks": ("2.4.5",)}
    policy = by_path["freedom-of-information-policy.docx"]
    assert set(failed(policy)) == {"language", "headings", "image_alt"}
    assert policy.exempt and policy.published_source == documents.FROM_OFFICE
    form = by_path["complaints-procedure.pdf"]
    assert failed(form) == {"form_labels": ("4.1.2", "3.3.2")} and form.needed_for_service and not form.exempt
    assert "needed_for_services '/media/documents/complaints-*'" in form.service_reason  # the demo spec's pattern
    assert checked.gate_failures() == []  # the demo allows its one known failing service document


def test_the_onboarding_phase_checks_the_runs_migrated_documents_and_fails_the_gate_on_them(tmp_path: Path) -> None:
    """run_for_onboarding on a preview whose pages pass: the run's migration/assets.csv is checked, and its
    failing complaint form alone fails the gate, named in the summary; the reports include the documents."""
    import copy

    import yaml

    from conftest import DEMO
    from sandbox.platform import SandboxPlatform
    from sandbox.platform import start as start_platform
    from sandbox.platform.scenarios import configured_tenant

    data = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    data["accessibility"] |= {"max_pages": 2, "documents": {"needed_for_services": ["/media/*-form.pdf"]}}
    (tmp_path / "migration").mkdir()
    _migration(
        tmp_path / "migration",
        [("/media/complaint-form.pdf", SERVICE_FORM, ""), ("/media/report.pdf", build.pdf("Report", **GOOD), "")],
    )
    platform = SandboxPlatform(":memory:", token="t")
    configured_tenant(platform, "good", ("www.good-force.example",))
    lines: list[str] = []
    out = tmp_path / "accessibility"
    out.mkdir()
    with start_platform(platform) as running:
        outcome = run.run_for_onboarding(data, tmp_path, out, f"{running.url}/preview/good/", progress=lines.append)
    assert outcome.result.findings == [] and outcome.documents is not None
    assert not outcome.gate.passed
    assert outcome.gate.failures[0] == "1 document(s) needed for a service fail the accessibility checks, 0 allowed"
    assert "/media/complaint-form.pdf: 1 of 1 form field(s) have no name" in outcome.gate.summary()
    assert "checking 2 document(s)" in lines and outcome.files["documents_json"] == "documents.json"
    assert json.loads((out / "audit.json").read_text())["gate"]["documents"]["failing_needed_for_service"] == 1
