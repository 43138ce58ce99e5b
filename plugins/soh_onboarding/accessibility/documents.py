"""Accessibility checks of the documents a force's site publishes: the PDFs and office documents the
migration carried over (the run's migration/assets.csv and assets/), or any folder of them.

The Public Sector Bodies Accessibility Regulations 2018 (SI 2018/952) cover documents as they cover pages,
with one exemption (regulation 4(2)(a)): office file formats published before 23 September 2018, unless
they are needed for active administrative processes (a service). So each document gets

- its checks, read from the file: for PDFs with pikepdf (qpdf) the tags, language, title, text layer,
  bookmarks, figures' alternative text and form fields' names; for .docx/.xlsx/.pptx from the zip's XML
  the title, language, headings and images' alternative text. Each failure names its WCAG criterion and
  says what to do. What a file cannot show (reading order, contrast, whether a text alternative is
  right) is listed as needing review, never passed; a format we cannot read is "not checked";
- its publication date from the best evidence, with the source named: the legacy site's Last-Modified
  header (the migration records it in assets.csv), else the document's own creation date;
- whether it is needed for a service (the spec's `accessibility.documents.needed_for_services` patterns,
  or form fields: a form is always part of a service), and so whether it is exempt.

A damaged, encrypted or unreadable document is reported with the reason and the others go on.
pikepdf is imported when a PDF is checked, not when this module is.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree import ElementTree

from ..artifacts import within

EXEMPTION_DATE = date(2018, 9, 23)
"""SI 2018/952 regulation 4(2)(a): office file formats published before this date are out of scope,
unless needed for active administrative processes."""

LONG_DOCUMENT_PAGES = 20
"""A PDF of more than this many pages needs bookmarks (WCAG technique PDF2 asks for them in "long
documents" without a number; 21 pages or more is the threshold PDF/UA guidance cites: decision 0018)."""

MIN_PARAGRAPHS_FOR_HEADINGS = 3
"""A word-processed document with at least this many paragraphs of text must use heading styles."""

MAX_XML_PART = 20 * 1024 * 1024  # bytes of one uncompressed XML part read from an office document (zip bombs)
MAX_STRUCTURE_NODES = 200_000  # structure elements walked in one PDF (a hostile tree must not hang a run)
MAX_NAMES_SHOWN = 5  # field or image names quoted in one failure

PDF = "pdf"
OOXML = {".docx": "docx", ".xlsx": "xlsx", ".pptx": "pptx"}
NOT_READ = {".doc": "doc", ".xls": "xls", ".ppt": "ppt", ".odt": "odt", ".ods": "ods", ".odp": "odp", ".rtf": "rtf"}
DOCUMENT_SUFFIXES = (".pdf", *OOXML, *NOT_READ)
"""What counts as a document (the regulations' "office file formats"); images and CSV files are not."""

FROM_LAST_MODIFIED = "the legacy site's Last-Modified header"
FROM_PDF_INFO = "the PDF's creation date, /Info /CreationDate"
FROM_PDF_XMP = "the PDF's creation date, XMP xmp:CreateDate"
FROM_OFFICE = "the document's creation date, docProps/core.xml dcterms:created"
"""Where a publication date came from, best evidence first."""

LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
PDF_DATE = re.compile(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?")

PDF_REVIEW = (
    "the reading order and the tags follow the visual order of the content",
    "each text alternative says what its image shows (or the image is marked as an artifact)",
    "headings and tables are tagged as such, tables with header cells",
    "text contrast and the meaning of colour",
    "link text says where each link goes",
)
OFFICE_REVIEW = (
    "the reading order (text boxes and floating images)",
    "each text alternative says what its image shows",
    "tables have a header row",
    "text contrast and the meaning of colour",
    "link text says where each link goes",
)

NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "v": "urn:schemas-microsoft-com:vml",
}


def _q(prefix: str, local: str) -> str:
    """An element's name as ElementTree spells it: {namespace}local."""
    return f"{{{NS[prefix]}}}{local}"


DECORATIVE = "{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative"


@dataclass(frozen=True)
class Failure:
    """One check a document fails: the WCAG criteria it maps to, what is wrong and what to do."""

    check: str  # tagged, language, title, display_title, text_layer, bookmarks, figure_alt, form_labels, headings, image_alt
    wcag: tuple[str, ...]
    problem: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "wcag": list(self.wcag), "problem": self.problem, "fix": self.fix}


@dataclass(frozen=True)
class Settings:
    """The spec's `accessibility.documents`: which documents serve a service, and the gate's allowance."""

    needed_for_services: tuple[str, ...] = ()  # glob patterns over the documents' new paths
    allowed_failures: int = 0  # failing documents needed for a service the gate allows

    @classmethod
    def of(cls, accessibility: Mapping[str, Any] | None) -> Settings:
        documents = dict((accessibility or {}).get("documents") or {})
        return cls(
            needed_for_services=tuple(documents.get("needed_for_services") or ()),
            allowed_failures=int(documents.get("allowed_failures", 0)),
        )


@dataclass(frozen=True)
class Source:
    """One document to check: its bytes' place, its path on the new site, and what the migration knew."""

    file: Any  # a pathlib-like file (local or the artifact store's)
    path: str  # its new path, e.g. /media/documents/annual-report.pdf
    old_url: str = ""
    last_modified: str = ""  # the legacy site's Last-Modified header, as sent


@dataclass
class DocumentResult:
    """What the checks found in one document, its publication date and whether it is exempt."""

    path: str
    format: str
    old_url: str = ""
    status: str = "passed"  # passed (the automated checks) | failed | unreadable | not checked
    error: str = ""  # why it could not be read, or why it was not checked
    pages: int | None = None
    failures: list[Failure] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # the checks it passed
    needs_review: list[str] = field(default_factory=list)  # what a person must check
    has_form: bool = False
    published: str | None = None  # YYYY-MM-DD
    published_source: str = ""  # where the date came from ("" when unknown)
    needed_for_service: bool = False
    service_reason: str = ""
    exempt: bool = False
    exemption: str = ""  # why it is exempt, or why not

    @property
    def failing(self) -> bool:
        """Fails the checks, or could not be read at all (neither counts as accessible)."""
        return self.status in ("failed", "unreadable")

    @property
    def criteria(self) -> list[str]:
        return sorted({n for f in self.failures for n in f.wcag}, key=lambda n: tuple(map(int, n.split("."))))

    def summary(self) -> str:
        """One line for the gate and progress: the path and what fails."""
        if self.status == "unreadable":
            return f"{self.path}: could not be read: {self.error}"
        if self.status == "not checked":
            return f"{self.path}: not checked automatically ({self.error})"
        if not self.failures:
            return f"{self.path}: passes the automated checks"
        return f"{self.path}: " + "; ".join(f"{f.problem} ({', '.join(f.wcag)})" for f in self.failures)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = [f.as_dict() for f in self.failures]
        data["criteria"] = self.criteria
        return data


@dataclass
class DocumentsResult:
    """Every document of one check, in path order, with where they came from."""

    source: str
    checked_at: str
    documents: list[DocumentResult] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    def counts(self) -> dict[str, int]:
        docs = self.documents
        return {
            "documents": len(docs),
            "passed": sum(d.status == "passed" for d in docs),
            "failed": sum(d.status == "failed" for d in docs),
            "unreadable": sum(d.status == "unreadable" for d in docs),
            "not_checked": sum(d.status == "not checked" for d in docs),
            "exempt": sum(d.exempt for d in docs),
            "needed_for_service": sum(d.needed_for_service for d in docs),
            "failing_needed_for_service": len(self.failing_for_services()),
        }

    def failing_for_services(self) -> list[DocumentResult]:
        return [d for d in self.documents if d.needed_for_service and d.failing]

    def non_accessible(self) -> list[DocumentResult]:
        """Failing documents in the regulations' scope: the statement's "Non-accessible content"."""
        return [d for d in self.documents if d.failing and not d.exempt]

    def out_of_scope(self) -> list[DocumentResult]:
        """Failing documents published before 23 September 2018 and not needed for a service."""
        return [d for d in self.documents if d.failing and d.exempt]

    def gate_failures(self) -> list[str]:
        """The gate's lines: empty when the failing documents needed for a service are within the spec's
        `accessibility.documents.allowed_failures`; otherwise a head line and one line per document."""
        failing = self.failing_for_services()
        allowed = self.settings.allowed_failures
        if len(failing) <= allowed:
            return []
        lines = [f"{len(failing)} document(s) needed for a service fail the accessibility checks, {allowed} allowed"]
        lines += [f"{d.summary()} [needed for a service: {d.service_reason}]" for d in failing]
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "checked_at": self.checked_at,
            "exemption_date": EXEMPTION_DATE.isoformat(),
            "long_document_pages": LONG_DOCUMENT_PAGES,
            "settings": {
                "needed_for_services": list(self.settings.needed_for_services),
                "allowed_failures": self.settings.allowed_failures,
            },
            "counts": self.counts(),
            "gate_failures": self.gate_failures(),
            "documents": [d.as_dict() for d in self.documents],
        }


# ----- which documents ------------------------------------------------------------------------------


def is_document(path: str) -> bool:
    return path.lower().endswith(DOCUMENT_SUFFIXES)


class SourceError(ValueError):
    """The list of documents cannot be read (assets.csv damaged or missing a column): says where."""


def from_migration(migration: Any) -> list[Source]:
    """The documents of a migration folder: the rows of assets.csv whose new path is a document, their
    bytes under assets/ (found with `within`: an edited table cannot point outside it)."""
    table = migration / "assets.csv"
    try:
        with table.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"old_url", "new_path"} - set(reader.fieldnames or ())
            if missing:
                raise SourceError(
                    f"{table}: line 1: no {', '.join(sorted(missing))} column: is it a migration's assets.csv?"
                )
            rows = [(number, row) for number, row in enumerate(reader, start=2)]
    except UnicodeDecodeError as exc:
        raise SourceError(f"{table}: not UTF-8 text ({exc.reason}): write it again with the migration") from None
    sources = []
    for number, row in rows:
        new_path = (row.get("new_path") or "").strip()
        if not is_document(new_path):
            continue
        try:
            file = within(migration / "assets", new_path.lstrip("/"))
        except ValueError as exc:
            raise SourceError(f"{table}: line {number}: new_path {new_path!r}: {exc}") from None
        sources.append(Source(file, new_path, row.get("old_url") or "", (row.get("last_modified") or "").strip()))
    return sorted(sources, key=lambda s: s.path)


def from_folder(folder: Any) -> list[Source]:
    """The documents in a folder: a migration folder's (it has assets.csv), or every document file under
    it, its path on the site taken to be its path inside the folder."""
    if (folder / "assets.csv").exists():
        return from_migration(folder)
    found = [p for p in folder.rglob("*") if p.is_file() and is_document(p.name)]
    return sorted((Source(p, "/" + p.relative_to(folder).as_posix()) for p in found), key=lambda s: s.path)


# ----- the run --------------------------------------------------------------------------------------


def check_all(
    sources: Iterable[Source],
    settings: Settings | None = None,
    *,
    source: str = "",
    progress: Callable[[str], None] | None = None,
) -> DocumentsResult:
    """Check every document; one that cannot be read is reported as such and the next one is checked."""
    settings = settings or Settings()
    sources = list(sources)
    say = progress or (lambda line: None)
    say(f"checking {len(sources)} document(s)")
    result = DocumentsResult(
        source=source, checked_at=datetime.now(UTC).isoformat(timespec="seconds"), settings=settings
    )
    for number, item in enumerate(sources, start=1):
        document = check(item, settings)
        result.documents.append(document)
        exempt = ", exempt" if document.exempt else (", needed for a service" if document.needed_for_service else "")
        say(f"document {number}/{len(sources)}: {document.summary()}{exempt}")
    return result


def check(item: Source, settings: Settings | None = None) -> DocumentResult:
    """Check one document and decide its exemption."""
    settings = settings or Settings()
    suffix = "." + item.path.rsplit(".", 1)[-1].lower() if "." in item.path else ""
    kind = PDF if suffix == ".pdf" else OOXML.get(suffix) or NOT_READ.get(suffix, suffix.lstrip("."))
    result = DocumentResult(path=item.path, format=kind, old_url=item.old_url)
    created: tuple[date, str] | None = None
    try:
        data = item.file.read_bytes()
    except OSError as exc:
        result.status, result.error = (
            "unreadable",
            f"the file cannot be read ({exc.strerror or exc}): run the migration again",
        )
    else:
        try:
            if kind in (PDF, *OOXML.values()) and data.lstrip()[:1] == b"<":
                result.status = "unreadable"
                result.error = (
                    f"not a .{kind} file but an HTML page (an error page the legacy site sent in its place?): "
                    "migrate the document again"
                )
            elif kind == PDF:
                created = _check_pdf(data, result)
            elif suffix in OOXML:
                created = _check_office(data, kind, result)
            else:
                result.status = "not checked"
                result.error = f".{kind} files are not read by the automated checks: check it by hand, or publish it as HTML or an accessible PDF"
                result.needs_review = ["every check: the format is not read automatically"]
        except Exception as exc:  # a hostile or broken file must not stop the other documents: say why
            result.status, result.error = "unreadable", f"the checks could not read it ({type(exc).__name__}: {exc})"
        if result.status == "passed" and result.failures:
            result.status = "failed"
    _date(result, item.last_modified, created)
    _exemption(result, settings)
    return result


# ----- PDF ------------------------------------------------------------------------------------------


def _check_pdf(data: bytes, result: DocumentResult) -> tuple[date, str] | None:
    """The PDF checks into `result`; returns the document's own creation date and its source, if any."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        result.status = "unreadable"
        result.error = (
            "encrypted: it needs a password to open, so nobody can read it without one and it cannot be "
            "checked: publish it without a password"
        )
        return None
    except pikepdf.PdfError as exc:
        result.status = "unreadable"
        result.error = f"damaged: not a readable PDF ({_short(exc)}): export it again from its source document"
        return None
    with pdf:
        repaired = [w for w in pdf.get_warnings() if w]
        if repaired:
            result.needs_review.append(
                f"the file is damaged and was read only after repair ({_short(repaired[0])}): export it again"
            )
        result.pages = len(pdf.pages)
        root = pdf.Root
        rolemap = _rolemap(root)
        _tagged(root, result)
        _pdf_language(root, result)
        _pdf_title(pdf, root, result)
        _text_layer(pdf, result)
        _bookmarks(root, result)
        _figures(root, rolemap, result)
        _form_fields(root, result)
        if pdf.is_encrypted and not pdf.allow.accessibility:
            result.needs_review.append(
                "its permissions forbid extracting text for accessibility: remove the restriction"
            )
        result.needs_review.extend(PDF_REVIEW)
        return _pdf_created(pdf)


def _short(message: Any) -> str:
    text = str(message).split(": ", 1)[-1] if str(message).startswith(("stream <", "file ")) else str(message)
    return text.strip()[:200]


def _text(value: Any) -> str:
    """A PDF string (or anything) as trimmed text; "" when absent."""
    if value is None:
        return ""
    try:
        return str(value).strip()
    except (ValueError, UnicodeDecodeError):
        return ""


def _tagged(root: Any, result: DocumentResult) -> None:
    mark = root.get("/MarkInfo")
    marked = bool(mark.get("/Marked", False)) if hasattr(mark, "get") else False
    tree = "/StructTreeRoot" in root
    if marked and tree:
        result.passed.append("tagged")
        return
    missing = " and ".join(
        w for w, ok in (("not marked as tagged (MarkInfo /Marked)", marked), ("has no structure tree", tree)) if not ok
    )
    result.failures.append(
        Failure(
            "tagged",
            ("1.3.1",),
            f"untagged: it is {missing}, so screen readers cannot tell headings, lists and tables from plain text",
            "Export it again as a tagged PDF (Word: Save as PDF with 'Document structure tags for accessibility'), "
            "or publish the content as an HTML page",
        )
    )


def _pdf_language(root: Any, result: DocumentResult) -> None:
    lang = _text(root.get("/Lang"))
    if lang and LANGUAGE_TAG.fullmatch(lang):
        result.passed.append("language")
        return
    problem = f"its language {lang!r} is not a language tag" if lang else "no document language is set (/Lang)"
    result.failures.append(
        Failure(
            "language",
            ("3.1.1",),
            f"{problem}, so screen readers may read it with the wrong voice and pronunciation",
            "Set the document's language (Acrobat: File > Properties > Advanced > Language; Word: set the "
            "proofing language before exporting), e.g. en-GB or cy",
        )
    )


def _pdf_title(pdf: Any, root: Any, result: DocumentResult) -> None:
    info = pdf.trailer.get("/Info")
    title = _text(info.get("/Title")) if hasattr(info, "get") else ""
    if not title:
        try:
            title = _text(pdf.open_metadata(set_pikepdf_as_editor=False).get("dc:title"))
        except Exception:  # unreadable XMP is no title; the other checks go on
            title = ""
    if not title:
        result.failures.append(
            Failure(
                "title",
                ("2.4.2",),
                "no title (neither /Info /Title nor XMP dc:title), so its window and tab show only the file name",
                "Give it a title that says what it is (Word: File > Info > Title before exporting; Acrobat: "
                "File > Properties > Description > Title)",
            )
        )
        return
    prefs = root.get("/ViewerPreferences")
    shown = bool(prefs.get("/DisplayDocTitle", False)) if hasattr(prefs, "get") else False
    if not shown:
        result.failures.append(
            Failure(
                "display_title",
                ("2.4.2",),
                f"its title {title[:80]!r} is not shown: readers show the file name (ViewerPreferences /DisplayDocTitle is not set)",
                "Set it to show the document title (Acrobat: File > Properties > Initial View > Show: Document Title)",
            )
        )
        return
    result.passed.append("title")


def _content_marks(
    pikepdf: Any, owner: Any, resources: Any, forms: dict[tuple[int, int], tuple[bool, bool]], depth: int = 0
) -> tuple[bool, bool]:
    """(shows text, shows an image) for a page's or form XObject's content, following form XObjects.

    Each form XObject is read once per document (`forms`, by object number; one being read counts as
    neither), so a form drawn many times, or drawing itself, costs one parse, never a hang."""
    text = image = False
    for instruction in pikepdf.parse_content_stream(owner, "Tj TJ ' \" Do BI ID EI"):
        operator = str(instruction.operator)
        if operator in ("Tj", "TJ", "'", '"'):
            text = True
        elif operator == "INLINE IMAGE":
            image = True
        elif operator == "Do" and instruction.operands:
            xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
            target = xobjects.get(instruction.operands[0]) if hasattr(xobjects, "get") else None
            subtype = target.get("/Subtype") if hasattr(target, "get") else None
            if subtype == pikepdf.Name.Image:
                image = True
            elif subtype == pikepdf.Name.Form and depth < 8:
                key = target.objgen
                if key not in forms:
                    forms[key] = (False, False)
                    inner = target.get("/Resources") or resources
                    forms[key] = _content_marks(pikepdf, target, inner, forms, depth + 1)
                text, image = text or forms[key][0], image or forms[key][1]
        if text and image:
            break
    return text, image


def _text_layer(pdf: Any, result: DocumentResult) -> None:
    import pikepdf

    scanned, with_text, unread = [], 0, []
    forms: dict[tuple[int, int], tuple[bool, bool]] = {}
    for number, page in enumerate(pdf.pages, start=1):
        try:
            text, image = _content_marks(pikepdf, page, page.obj.get("/Resources") or pikepdf.Dictionary(), forms)
        except pikepdf.PdfError:
            unread.append(number)
            continue
        with_text += text
        if image and not text:
            scanned.append(number)
    if unread:
        result.needs_review.append(
            f"the content of page {', '.join(map(str, unread[:10]))} could not be read: check its text"
        )
    if not scanned:
        if not unread:
            result.passed.append("text layer")
        return
    if with_text:
        where = f"{len(scanned)} of {result.pages} pages (page {', '.join(map(str, scanned[:10]))}{'...' if len(scanned) > 10 else ''}) are"
    else:
        where = "it is a scanned image:" if result.pages == 1 else f"all {result.pages} pages are"
    result.failures.append(
        Failure(
            "text_layer",
            ("1.1.1",),
            f"{where} images with no text layer, so screen readers find nothing to read and nobody can search or copy it",
            "Publish the text itself: export the original document to a tagged PDF, or at least run text "
            "recognition (OCR) and check the recognised text",
        )
    )


def _bookmarks(root: Any, result: DocumentResult) -> None:
    if (result.pages or 0) <= LONG_DOCUMENT_PAGES:
        return
    outlines = root.get("/Outlines")
    if hasattr(outlines, "get") and outlines.get("/First") is not None:
        result.passed.append("bookmarks")
        return
    result.failures.append(
        Failure(
            "bookmarks",
            ("2.4.5",),
            f"{result.pages} pages and no bookmarks, so people cannot move through it by its sections",
            "Add bookmarks for its headings (Word: Save as PDF with 'Create bookmarks using headings')",
        )
    )


def _rolemap(root: Any) -> dict[str, str]:
    tree = root.get("/StructTreeRoot")
    mapping = tree.get("/RoleMap") if hasattr(tree, "get") else None
    if not hasattr(mapping, "items"):
        return {}
    return {str(k): str(v) for k, v in mapping.items()}


def _struct_elements(root: Any) -> Iterable[Any]:
    """The structure tree's elements, depth first, at most MAX_STRUCTURE_NODES (cycles are not followed)."""
    import pikepdf

    tree = root.get("/StructTreeRoot")
    if not hasattr(tree, "get"):
        return
    stack, seen, count = [tree.get("/K")], set(), 0
    while stack and count < MAX_STRUCTURE_NODES:
        node = stack.pop()
        if node is None:
            continue
        if hasattr(node, "objgen") and node.objgen != (0, 0):
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if isinstance(node, pikepdf.Array):
            stack.extend(reversed(list(node)))
            continue
        if not hasattr(node, "get") or node.get("/S") is None:
            continue
        count += 1
        yield node
        stack.append(node.get("/K"))


def _figures(root: Any, rolemap: dict[str, str], result: DocumentResult) -> None:
    figures = [e for e in _struct_elements(root) if rolemap.get(str(e.get("/S")), str(e.get("/S"))) == "/Figure"]
    if not figures:
        return
    bare = [e for e in figures if not _text(e.get("/Alt")) and not _text(e.get("/ActualText"))]
    if not bare:
        result.passed.append("figures have alternative text")
        return
    result.failures.append(
        Failure(
            "figure_alt",
            ("1.1.1",),
            f"{len(bare)} of {len(figures)} tagged figure(s) have no alternative text",
            "Give each informative image alternative text (Word: right-click > View Alt Text before exporting; "
            "Acrobat: Accessibility > Set Alternate Text), and mark decorative ones as artifacts",
        )
    )


def _terminal_fields(fields: Any) -> Iterable[tuple[str, Any]]:
    """(full name, field) of each terminal form field, with the widgets that are its kids folded in."""
    stack = [("", f) for f in reversed(list(fields))]
    seen: set[tuple[int, int]] = set()
    while stack and len(seen) < MAX_STRUCTURE_NODES:
        prefix, node = stack.pop()
        if not hasattr(node, "get"):
            continue
        if node.objgen != (0, 0):
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        part = _text(node.get("/T"))
        name = f"{prefix}.{part}" if prefix and part else (part or prefix)
        kids = node.get("/Kids")
        named_kids = [k for k in kids if hasattr(k, "get") and k.get("/T") is not None] if kids is not None else []
        if named_kids:
            stack.extend((name, k) for k in reversed(named_kids))
        else:
            yield name, node


def _hidden(node: Any) -> bool:
    widgets = [node, *(node.get("/Kids") or [])]
    flags = [int(w.get("/F", 0)) for w in widgets if hasattr(w, "get") and w.get("/Subtype") == "/Widget"]
    return bool(flags) and all(f & 2 for f in flags)  # annotation flag 2: Hidden


def _struct_alt(root: Any, node: Any) -> str:
    """The /Alt of the structure element (a Form tag) a widget belongs to, through the ParentTree."""
    import pikepdf

    tree = root.get("/StructTreeRoot")
    parents = tree.get("/ParentTree") if hasattr(tree, "get") else None
    if parents is None:
        return ""
    for widget in [node, *(node.get("/Kids") or [])]:
        key = widget.get("/StructParent") if hasattr(widget, "get") else None
        if key is None:
            continue
        try:
            element = pikepdf.NumberTree(parents).get(int(key))
        except (TypeError, ValueError, pikepdf.PdfError):
            continue
        if hasattr(element, "get") and _text(element.get("/Alt")):
            return _text(element.get("/Alt"))
    return ""


def _form_fields(root: Any, result: DocumentResult) -> None:
    form = root.get("/AcroForm")
    fields = form.get("/Fields") if hasattr(form, "get") else None
    if fields is None:
        return
    visible = [(name, node) for name, node in _terminal_fields(fields) if not _hidden(node)]
    if not visible:
        return
    result.has_form = True
    unnamed = [
        name or "(no name)" for name, node in visible if not _text(node.get("/TU")) and not _struct_alt(root, node)
    ]
    if not unnamed:
        result.passed.append("form fields named")
        return
    shown = ", ".join(unnamed[:MAX_NAMES_SHOWN]) + (
        f" and {len(unnamed) - MAX_NAMES_SHOWN} more" if len(unnamed) > MAX_NAMES_SHOWN else ""
    )
    result.failures.append(
        Failure(
            "form_labels",
            ("4.1.2", "3.3.2"),
            f"{len(unnamed)} of {len(visible)} form field(s) have no name for assistive technology (no /TU tooltip): {shown}",
            "Give each field a tooltip that says what to enter (Acrobat: field Properties > General > Tooltip); "
            "better, offer the form as an online service",
        )
    )


def _pdf_created(pdf: Any) -> tuple[date, str] | None:
    info = pdf.trailer.get("/Info")
    raw = _text(info.get("/CreationDate")) if hasattr(info, "get") else ""
    found = _pdf_date(raw)
    if found:
        return found, FROM_PDF_INFO
    try:
        raw = _text(pdf.open_metadata(set_pikepdf_as_editor=False).get("xmp:CreateDate"))
    except Exception:  # unreadable XMP: no date from it
        raw = ""
    found = _iso_date(raw)
    return (found, FROM_PDF_XMP) if found else None


def _pdf_date(raw: str) -> date | None:
    match = PDF_DATE.match(raw)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
    except ValueError:
        return None


def _iso_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None


# ----- office documents -----------------------------------------------------------------------------


def _check_office(data: bytes, kind: str, result: DocumentResult) -> tuple[date, str] | None:
    """The .docx/.xlsx/.pptx checks into `result`; returns the document's creation date, if any."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        result.status = "unreadable"
        result.error = (
            "encrypted (a password-protected Office file is not a zip) or an old binary Office file renamed: "
            "publish it without a password, saved as .docx, .xlsx or .pptx"
        )
        return None
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        result.status, result.error = (
            "unreadable",
            f"damaged: not a readable .{kind} file ({exc}): save it again from its source",
        )
        return None
    with package:
        core = _xml(package, "docProps/core.xml")
        title = _text(core.findtext("dc:title", namespaces=NS)) if core is not None else ""
        if title:
            result.passed.append("title")
        else:
            result.failures.append(
                Failure(
                    "title",
                    ("2.4.2",),
                    "no title in its properties (docProps/core.xml dc:title)",
                    "Give it a title that says what it is (File > Info > Properties > Title)",
                )
            )
        if kind == "docx":
            _docx(package, core, result)
        else:
            images = _images(package, kind)
            _image_alt(images, result)
            result.needs_review.append("the language is set for the whole document")
            result.needs_review.append(
                "each slide has a unique title"
                if kind == "pptx"
                else "each sheet has a name and header cells are marked"
            )
        result.needs_review.extend(OFFICE_REVIEW)
        raw = _text(core.findtext("dcterms:created", namespaces=NS)) if core is not None else ""
        created = _iso_date(raw)
        return (created, FROM_OFFICE) if created else None


def _xml(package: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    """One XML part of the package (None when absent); a part too large to be real is refused."""
    try:
        info = package.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_XML_PART:
        raise ValueError(f"{name} unpacks to {info.file_size} bytes, more than {MAX_XML_PART}: not read")
    return ElementTree.fromstring(package.read(info))


def _docx(package: zipfile.ZipFile, core: ElementTree.Element | None, result: DocumentResult) -> None:
    body = _xml(package, "word/document.xml")
    if body is None:
        raise ValueError("word/document.xml is missing: it is not a Word document")
    styles = _xml(package, "word/styles.xml")
    w = _q("w", "")
    language = _text(core.findtext("dc:language", namespaces=NS)) if core is not None else ""
    if not language and styles is not None:
        found = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
        language = _text(found.get(w + "val")) if found is not None else ""
    if language:
        result.passed.append("language")
    else:
        result.failures.append(
            Failure(
                "language",
                ("3.1.1",),
                "no document language is set (neither dc:language nor the default style's language)",
                "Set the language for the whole document (Review > Language > Set Proofing Language, with "
                "'Set As Default'), e.g. English (United Kingdom)",
            )
        )
    headings = set()
    for style in styles.iter(w + "style") if styles is not None else ():
        name = _text((style.find("w:name", NS) if style.find("w:name", NS) is not None else style).get(w + "val"))
        level = style.find("w:pPr/w:outlineLvl", NS)
        if re.fullmatch(r"(?i)heading \d", name) or (level is not None and _text(level.get(w + "val")) != "9"):
            headings.add(style.get(w + "styleId"))
    paragraphs = used = 0
    for paragraph in body.iter(w + "p"):
        if "".join(t.text or "" for t in paragraph.iter(w + "t")).strip():
            paragraphs += 1
        style = paragraph.find("w:pPr/w:pStyle", NS)
        if (style is not None and style.get(w + "val") in headings) or paragraph.find(
            "w:pPr/w:outlineLvl", NS
        ) is not None:
            used += 1
    if used:
        result.passed.append("headings")
    elif paragraphs >= MIN_PARAGRAPHS_FOR_HEADINGS:
        result.failures.append(
            Failure(
                "headings",
                ("1.3.1",),
                f"{paragraphs} paragraphs and no heading styles, so screen reader users cannot see its structure or move by section",
                "Mark each heading with a heading style (Home > Styles > Heading 1, Heading 2 ...), not bold or large text",
            )
        )
    images = [(_text(d.get("name")), _text(d.get("descr")) or _decorative(d)) for d in body.iter(_q("wp", "docPr"))]
    images += [
        (_text(s.get("id")), _text(s.get("alt")))
        for s in body.iter(_q("v", "shape"))
        if s.find("v:imagedata", NS) is not None
    ]
    _image_alt(images, result)


def _decorative(element: ElementTree.Element) -> str:
    """'decorative' when Office marked the image decorative (no text alternative needed), else ''."""
    return "decorative" if any(e.get("val") == "1" for e in element.iter(DECORATIVE)) else ""


def _images(package: zipfile.ZipFile, kind: str) -> list[tuple[str, str]]:
    """(name, alternative text) of each picture in a workbook's drawings or a presentation's slides."""
    prefix, ns = ("xl/drawings/", "xdr") if kind == "xlsx" else ("ppt/slides/", "p")
    images = []
    for name in sorted(
        n for n in package.namelist() if n.startswith(prefix) and n.endswith(".xml") and n.count("/") == 2
    ):
        part = _xml(package, name)
        for picture in part.iter(_q(ns, "nvPicPr")) if part is not None else ():
            props = picture.find(f"{ns}:cNvPr", NS)
            if props is not None:
                images.append((_text(props.get("name")), _text(props.get("descr")) or _decorative(props)))
    return images


def _image_alt(images: list[tuple[str, str]], result: DocumentResult) -> None:
    if not images:
        return
    bare = [name or "(no name)" for name, alt in images if not alt]
    if not bare:
        result.passed.append("images have alternative text")
        return
    shown = ", ".join(bare[:MAX_NAMES_SHOWN]) + (
        f" and {len(bare) - MAX_NAMES_SHOWN} more" if len(bare) > MAX_NAMES_SHOWN else ""
    )
    result.failures.append(
        Failure(
            "image_alt",
            ("1.1.1",),
            f"{len(bare)} of {len(images)} image(s) have no alternative text: {shown}",
            "Give each informative image alternative text (right-click > View Alt Text), and mark decorative ones as decorative",
        )
    )


# ----- the date and the exemption -------------------------------------------------------------------


def _date(result: DocumentResult, last_modified: str, created: tuple[date, str] | None) -> None:
    """The publication date from the best evidence: the legacy site's Last-Modified (when the file last
    changed there: on or after its first publication, so an exemption resting on it is safe), else the
    document's own creation date (on or before its publication: an exemption resting on it is to confirm)."""
    if last_modified:
        try:
            stamp = parsedate_to_datetime(last_modified)
        except (TypeError, ValueError, IndexError):
            stamp = None
        if stamp is not None:
            result.published = stamp.date().isoformat()
            result.published_source = FROM_LAST_MODIFIED
            return
        result.needs_review.append(f"the legacy site's Last-Modified {last_modified!r} is not a date: it was not used")
    if created is not None:
        result.published, result.published_source = created[0].isoformat(), created[1]


def _exemption(result: DocumentResult, settings: Settings) -> None:
    """Needed for a service (a spec pattern, or form fields) and so never exempt; else exempt when
    published before 23 September 2018; an unknown date is not exempt."""
    pattern = next((p for p in settings.needed_for_services if fnmatch.fnmatchcase(result.path, p)), None)
    if pattern is not None:
        result.needed_for_service = True
        result.service_reason = f"its path matches accessibility.documents.needed_for_services {pattern!r}"
    elif result.has_form:
        result.needed_for_service = True
        result.service_reason = "it has form fields: a form is part of a service"
    cutoff = f"{EXEMPTION_DATE.day} {EXEMPTION_DATE:%B %Y}"
    if result.needed_for_service:
        result.exemption = f"not exempt: needed for a service ({result.service_reason})"
    elif result.published is None:
        result.exemption = "not exempt: its publication date is unknown (no Last-Modified from the legacy site, no date in the document)"
    elif date.fromisoformat(result.published) < EXEMPTION_DATE:
        result.exempt = True
        result.exemption = f"exempt: published {result.published} (from {result.published_source}), before {cutoff}, and not needed for a service"
        if result.published_source != FROM_LAST_MODIFIED:
            result.exemption += f"; the date is when it was created: confirm it was published before {cutoff}"
    else:
        result.exemption = (
            f"not exempt: published {result.published} (from {result.published_source}), on or after {cutoff}"
        )
