"""The legacy site's documents, built to order: PDFs (with pikepdf) and .docx files (a zip of XML).

A real force's publications are a mix: some exported properly from Word (tagged, with a language, a title
and bookmarks), many not (untagged exports, scans of paper, forms whose fields have no tooltip), some
from long before the accessibility regulations. `pdf()` and `docx()` build each kind from what it should
have and lack, byte for byte the same for the same arguments, so the site and the tests share them.
"""

from __future__ import annotations

import functools
import io
import itertools
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .content import png


@dataclass(frozen=True)
class Field:
    """A text field of a PDF form: its name and its tooltip (/TU, what assistive technology reads)."""

    name: str
    tooltip: str | None = None


def _ascii(text: str) -> str:
    return "".join(c for c in text if 32 <= ord(c) < 127).replace("\\", "").replace("(", "").replace(")", "")


def pdf(
    title: str,
    *,
    pages: int = 1,
    tagged: bool = False,
    lang: str | None = None,
    info_title: str | None = None,
    xmp_title: str | None = None,
    display_title: bool = False,
    bookmarks: bool = False,
    scanned: bool = False,
    fields: tuple[Field, ...] = (),
    figure_alt: str | None = None,
    figure: bool = False,
    created: date | None = None,
    xmp_created: date | None = None,
) -> bytes:
    """A PDF of `pages` pages showing `title` (or, `scanned`, only an image of each page).

    `tagged` adds MarkInfo /Marked and a structure tree (a Document of P elements, each page's text marked
    with its MCID; with `figure`, a Figure whose /Alt is `figure_alt`); `fields` an AcroForm of text
    fields on page 1; `bookmarks` an outline entry per page; `created` the /Info /CreationDate.
    """
    document = pikepdf.new()
    font = document.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    scan = document.make_stream(bytes(range(0, 256, 4)), Type=Name.XObject, Subtype=Name.Image, Width=8, Height=8)
    scan.ColorSpace, scan.BitsPerComponent = Name.DeviceGray, 8
    text = _ascii(title)
    elements = []
    for number in range(1, pages + 1):
        document.add_blank_page(page_size=(595, 842))
        page = document.pages[-1]
        if scanned:
            page.Resources = Dictionary(XObject=Dictionary(Im0=scan))
            page.Contents = document.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
            continue
        line = f"BT /F1 18 Tf 72 770 Td ({text}: page {number} of {pages}) Tj ET".encode("ascii")
        resources = Dictionary(Font=Dictionary(F1=font))
        if tagged:
            line = b"/P <</MCID 0>> BDC " + line + b" EMC"
        if figure and number == 1:
            resources.XObject = Dictionary(Im0=scan)
            picture = b"q 100 0 0 100 72 600 cm /Im0 Do Q"
            line += b" /Figure <</MCID 1>> BDC " + picture + b" EMC" if tagged else b" " + picture
        page.Resources = resources
        page.Contents = document.make_stream(line)
        if tagged:
            page.obj.StructParents = number - 1
            kids = [document.make_indirect(Dictionary(S=Name.P, Pg=page.obj, K=0))]
            if figure and number == 1:
                element = Dictionary(S=Name.Figure, Pg=page.obj, K=1)
                if figure_alt is not None:
                    element.Alt = String(figure_alt)
                kids.append(document.make_indirect(element))
            elements.append(kids)
    root = document.Root
    if tagged:
        tree = document.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        top = document.make_indirect(Dictionary(S=Name.Document, P=tree, K=Array([k for ks in elements for k in ks])))
        for kids in elements:
            for kid in kids:
                kid.P = top
        parents = pikepdf.NumberTree.new(document)
        for index, kids in enumerate(elements):
            parents[index] = Array(kids)
        tree.K, tree.ParentTree = top, parents.obj
        tree.ParentTreeNextKey = len(elements)
        root.StructTreeRoot = tree
        root.MarkInfo = Dictionary(Marked=True)
    if lang is not None:
        root.Lang = String(lang)
    if display_title:
        root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    info = Dictionary(Producer=String("Demoshire Police publishing"))
    if info_title is not None:
        info.Title = String(info_title)
    if created is not None:
        info.CreationDate = String(f"D:{created:%Y%m%d}090000Z")
    document.trailer.Info = document.make_indirect(info)
    if xmp_title is not None or xmp_created is not None:
        root.Metadata = document.make_stream(_xmp(xmp_title, xmp_created), Type=Name.Metadata, Subtype=Name.XML)
    if bookmarks:
        _outline(document)
    if fields:
        _form(document, fields)
    out = io.BytesIO()
    document.save(out, deterministic_id=True, min_version="1.4")
    return out.getvalue()


def _xmp(title: str | None, created: date | None) -> bytes:
    parts = []
    if title is not None:
        parts.append(f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>')
    if created is not None:
        parts.append(f"<xmp:CreateDate>{created.isoformat()}T09:00:00Z</xmp:CreateDate>")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        + "".join(parts)
        + '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode("utf-8")


def _outline(document: pikepdf.Pdf) -> None:
    outlines = document.make_indirect(Dictionary(Type=Name.Outlines))
    items = []
    for number, page in enumerate(document.pages, start=1):
        item = Dictionary(Title=String(f"Section {number}"), Parent=outlines, Dest=Array([page.obj, Name.Fit]))
        items.append(document.make_indirect(item))
    for before, after in itertools.pairwise(items):
        before.Next, after.Prev = after, before
    outlines.First, outlines.Last, outlines.Count = items[0], items[-1], len(items)
    document.Root.Outlines = outlines


def _form(document: pikepdf.Pdf, fields: tuple[Field, ...]) -> None:
    page = document.pages[0]
    widgets = []
    for index, field in enumerate(fields):
        top = 700 - 40 * index
        widget = Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String(field.name), F=4, P=page.obj,
            Rect=Array([200, top, 500, top + 24]),
        )  # fmt: skip
        if field.tooltip is not None:
            widget.TU = String(field.tooltip)
        widgets.append(document.make_indirect(widget))
    page.obj.Annots = Array(widgets)
    document.Root.AcroForm = Dictionary(Fields=Array(widgets), NeedAppearances=True)


def docx(
    title: str | None,
    paragraphs: list[str],
    *,
    lang: str | None = None,
    heading: str | None = None,
    images: tuple[str | None, ...] = (),
    created: date | None = None,
) -> bytes:
    """A Word document: an optional Heading 1, the paragraphs, one picture per entry of `images` (its
    alternative text, or None for none), `title` and `created` in docProps/core.xml, `lang` as the
    default style's language."""
    body = []
    if heading is not None:
        body.append(f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>{escape(heading)}</w:t></w:r></w:p>')
    body += [f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>" for text in paragraphs]
    for number, alt in enumerate(images, start=1):
        descr = f" descr={quoteattr(alt)}" if alt is not None else ""
        body.append(
            '<w:p><w:r><w:drawing><wp:inline><wp:extent cx="914400" cy="914400"/>'
            f'<wp:docPr id="{number}" name="Picture {number}"{descr}/>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            f'<pic:pic><pic:nvPicPr><pic:cNvPr id="{number}" name="image{number}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip r:embed="rIdImage{number}"/></pic:blipFill><pic:spPr/></pic:pic>'
            "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
        )
    namespaces = (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"'
    )
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {namespaces}><w:body>{"".join(body)}</w:body></w:document>'
    language = f'<w:lang w:val="{lang}"/>' if lang else ""
    styles = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:docDefaults><w:rPrDefault><w:rPr>{language}</w:rPr></w:rPrDefault></w:docDefaults>"
        '<w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
        '<w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style></w:styles>'
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties '
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + (f"<dc:title>{escape(title)}</dc:title>" if title is not None else "")
        + (
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created.isoformat()}T09:00:00Z</dcterms:created>'
            if created
            else ""
        )
        + "</cp:coreProperties>"
    )
    relationships = "".join(
        f'<Relationship Id="rIdImage{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image{n}.png"/>'
        for n in range(1, len(images) + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            "</Relationships>"
        ),
        "word/_rels/document.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            f"{relationships}</Relationships>"
        ),
        "word/document.xml": document,
        "word/styles.xml": styles,
        "docProps/core.xml": core,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in parts.items():
            package.writestr(zipfile.ZipInfo(name, date_time=(2017, 5, 2, 9, 0, 0)), text.encode("utf-8"))
        for number in range(1, len(images) + 1):
            package.writestr(
                zipfile.ZipInfo(f"word/media/image{number}.png", date_time=(2017, 5, 2, 9, 0, 0)), png(200, 200, 200)
            )
    return out.getvalue()


@dataclass(frozen=True)
class Kind:
    """What one of the site's documents is like: its format, its faults, and its dates."""

    format: str  # pdf or docx
    what: str  # for people reading the ground truth
    last_modified: str = ""  # the Last-Modified header the site sends ("" for none)

    @property
    def media_type(self) -> str:
        if self.format == "docx":
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return "application/pdf"


def _http_date(day: date) -> str:
    return format_datetime(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC), usegmt=True)


MIX = (
    Kind("pdf", "good: tagged, language, title shown, 24 pages with bookmarks, a figure with alt text", _http_date(date(2025, 6, 30))),
    Kind("pdf", "an untagged export from 2016, no language or title (exempt: before 23 September 2018)", _http_date(date(2016, 3, 14))),
    Kind("pdf", "a scan: three pages of images, no text layer", _http_date(date(2019, 11, 5))),
    Kind("pdf", "tagged, 28 pages and no bookmarks; title in XMP only", _http_date(date(2022, 4, 1))),
    Kind("pdf", "good: tagged, language, title shown, a figure with alt text", _http_date(date(2024, 5, 20))),
    Kind("docx", "a Word document from 2017 (its own date only): no language, no headings, an image without alt text"),
    Kind("pdf", "a complaint form from 2015 with an unlabelled field (a form: needed for a service, never exempt)", _http_date(date(2015, 2, 10))),
    Kind("pdf", "an untagged export from 2017, no Last-Modified: dated by its /CreationDate only"),
)  # fmt: skip
"""The site's documents, by index modulo 8 (the names in content.DOCUMENTS, in order); the complaint forms
after the first have every field labelled."""


def kind_of(k: int) -> Kind:
    return MIX[k % len(MIX)]


@functools.lru_cache(maxsize=64)
def body(k: int, title: str) -> bytes:
    """The bytes of the site's k-th document, titled `title`: always the same for the same (k, title)."""
    variant = k % len(MIX)
    if variant == 0:
        return pdf(title, pages=24, tagged=True, lang="en-GB", info_title=title, display_title=True,
                   bookmarks=True, figure=True, figure_alt="Chart of calls for service by month", created=date(2025, 6, 30))  # fmt: skip
    if variant == 1:
        return pdf(title, created=date(2016, 3, 14))
    if variant == 2:
        return pdf(title, pages=3, scanned=True, created=date(2019, 11, 5))
    if variant == 3:
        return pdf(
            title, pages=28, tagged=True, lang="en-GB", xmp_title=title, display_title=True, created=date(2022, 4, 1)
        )
    if variant == 4:
        return pdf(title, pages=2, tagged=True, lang="en-GB", info_title=title, display_title=True,
                   figure=True, figure_alt="Bar chart of the pay gap by grade", created=date(2024, 5, 20))  # fmt: skip
    if variant == 5:
        paragraphs = [
            "This policy sets out how Demoshire Police answers requests made under the Freedom of Information Act 2000.",
            "We answer within 20 working days.",
            "Some information is exempt from disclosure; we will say which exemption applies.",
            "You can ask for an internal review within 40 working days of our answer.",
        ]
        return docx(title, paragraphs, images=(None,), created=date(2017, 5, 2))
    if variant == 6:
        # Only the first complaint form lacks a tooltip: however large the site, one known failing service document.
        details = Field("details", None if k == 6 else "What happened, when and where")
        fields = (Field("name", "Your full name"), Field("email", "Your email address"), details)
        return pdf(title, tagged=True, lang="en-GB", info_title=title, display_title=True, fields=fields,
                   created=date(2015, 2, 10))  # fmt: skip
    return pdf(title, info_title=title, created=date(2017, 1, 9))
