"""Sanitise HTML from a legacy force website into the platform's content model.

Content from a legacy site is untrusted input: whatever a page held (a compromised CMS, an editor's pasted
markup, a third-party widget), what reaches the platform is only the markup of the content model below.
No script, style, event handler, `javascript:`/`data:` URL or unknown tag survives, heading levels are
repaired, and missing alt text is flagged, never invented. Each page's `findings` say what it lost, so the
migration report can list it.

How, in three passes:

1. **Audit** (stdlib `html.parser` over the raw input) records what the allow-list is about to take away.
   It is a report, not the defence: on malformed input its parse may differ from a browser's.
2. **Clean** with nh3 (ammonia on html5ever, the browser's own parsing algorithm): the defence. Tags and
   attributes outside the allow-list go; URLs outside the allowed schemes go; comments go.
3. **Repair** (`html.parser` over nh3's well-formed output): `b`→`strong`, `i`→`em`, heading levels,
   links without an `href` unwrapped, images without a `src` dropped, every URL checked once more, missing
   alt text and empty links flagged. The result goes through nh3 once more, so the output is always nh3's
   own serialisation: safe whatever the repair did, and unchanged by a second `sanitise`.

Decisions about the content model:

- **Tags** (`CONTENT_TAGS`): prose (p, h2–h6, blockquote, pre, code, br, hr), lists (ul, ol, li, dl, dt,
  dd), inline semantics (a, strong, em, abbr, sub, sup), tables (table, caption, thead, tbody, tfoot, tr,
  th, td) and images (img, figure, figcaption). No `h1`: the page template owns the page's one h1, so an h1
  in content becomes an h2. `b` and `i` become `strong` and `em`: legacy WYSIWYG editors emit them to mean
  emphasis, and the platform's design system styles only the semantic pair.
- **Unknown tags are unwrapped** (font, span, div, center, section, form, u, …): the tag goes, its text
  stays. Presentation and layout belong to the platform's templates. An ASP.NET page wraps its whole body
  in a `<form>`, so dropping a form's content would drop the page.
- **Some tags go with everything inside them** (`DROPPED_WITH_CONTENT`): script and style (code, not
  prose); active or embedded content (iframe, frame, object, embed, applet) whose inside is fallback
  markup; template, noscript, noembed, noframes (alternative renderings); title; form controls whose text
  is meaningless without the control (select, textarea, button); and svg and math, whose foreign-content
  parsing is where namespace-confusion (mutation XSS) attacks live — the content model has `img`.
- **Attributes** (`CONTENT_ATTRIBUTES`): a: href, title; img: src, alt, width, height; abbr: title;
  th: scope, colspan, rowspan; td: colspan, rowspan. No `style`, `class` or `id` anywhere (the design
  system styles content; ids would collide with the template's) and no `on*` handler.
- **URLs**: http, https, mailto and tel, and relative URLs, kept as they are or, given `base_url`, resolved
  against it (so URL mapping can tell the force's own links from others). Every link gets
  `rel="noopener noreferrer"`; a legacy `rel` or `target` is dropped.
- **Missing alt text is flagged, never invented.** `alt=""` says "this image is decorative" (WCAG 2.2,
  technique H67). Adding it to an image nobody described would be a false claim and would hide the fault
  from the report; so the image keeps no alt attribute, and an `image_missing_alt` finding asks the
  force's editors to write one. An `alt=""` already in the source is the author's decision and kept.
- **Alt text the editors wrote comes back through `alt_text`**: a callable from the image's (resolved)
  URL to the text the force's editors gave it in their spec (`content_mapping.alt_text`, see alttext.py),
  or None. It is asked only about images without an alt attribute, so an alt in the source always wins;
  the editors' `""` (decorative, their deliberate decision) is applied like any other text. Each image
  filled so is an `image_alt_from_spec` finding.

Finding kinds (`Finding.kind`):

- `removed_script`, `removed_style` (a `<style>` element or a `style` attribute), `removed_event_handler`,
  `removed_javascript_url`, `removed_data_url`, `removed_url_scheme` (any other scheme outside the
  allow-list: vbscript:, file:, ftp:, …), `removed_attribute:<name>` (from a tag that stays; a removed
  tag's attributes go with it unreported), `removed_comment` (also CDATA,
  processing instructions and declarations, which HTML parses as comments);
- `removed_unknown_tag:<tag>` (unwrapped, text kept), `removed_with_content:<tag>` (see above),
  `removed_image_without_src`;
- `heading_repaired` (detail: "h4 → h3: <heading text>"). The first heading becomes h2, and each heading
  becomes one level below the section it opens in, so no level is skipped: h2 h4 → h2 h3; h3 h3 → h2 h2;
  h1 h2 → h2 h3 (what the h1 introduced moves down with it);
- `image_alt_from_spec` (detail: src): the image had no alt; the editors' text from the spec was given;
- flags, which do not change the output and so recur on every pass: `image_missing_alt` (detail: src),
  `empty_link` (a link with no text and no described image; detail: href).

Sanitising is idempotent: `sanitise(sanitise(x).html).html == sanitise(x).html`, and the second pass has
no findings but the flags.
"""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
RENAMED = {"b": "strong", "i": "em"}
CONTENT_TAGS = frozenset(
    [
        "p",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "code",
        "br",
        "hr",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "a",
        "strong",
        "em",
        "abbr",
        "sub",
        "sup",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "img",
        "figure",
        "figcaption",
    ]
)
CONTENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "abbr": frozenset({"title"}),
    "th": frozenset({"scope", "colspan", "rowspan"}),
    "td": frozenset({"colspan", "rowspan"}),
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer"
DROPPED_WITH_CONTENT = frozenset(
    [
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "noframes",
        "object",
        "embed",
        "applet",
        "template",
        "noscript",
        "noembed",
        "title",
        "select",
        "textarea",
        "button",
        "svg",
        "math",
    ]
)
# Attributes whose value is a URL, in the content model and outside it (reported by scheme when removed).
URL_ATTRIBUTES = frozenset(
    [
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "data",
        "background",
        "poster",
        "lowsrc",
        "dynsrc",
        "codebase",
        "cite",
        "longdesc",
        "usemap",
        "manifest",
        "srcset",
        "ping",
    ]
)
FLAG_KINDS = frozenset({"image_missing_alt", "empty_link"})
VOID_TAGS = frozenset({"br", "hr", "img"})

# nh3 sees b and i (repair renames them) and h1 (repair turns it into h2).
_NH3_TAGS = CONTENT_TAGS | set(RENAMED) | {"h1"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_SCRIPT_SCHEMES = ("vbscript", "livescript")
# What a browser ignores inside a URL's scheme: ASCII whitespace and control characters; also U+FFFD,
# which the HTML parser puts in place of NUL.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f\ufffd]+")


@dataclass(frozen=True)
class Finding:
    """One thing sanitising took away from a page, repaired in it, or flagged for its editors."""

    kind: str
    detail: str = ""


@dataclass(frozen=True)
class SanitisedContent:
    html: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many findings of each kind, for the migration report's per-page summary."""
        return dict(Counter(finding.kind for finding in self.findings))


def url_problem(value: str) -> tuple[str, str] | None:
    """Why a URL attribute's (already unescaped) value must go, as (finding kind, scheme); None if it may stay.

    A browser ignores whitespace and control characters inside a scheme, so they are ignored here too. A
    script scheme anywhere in the value also fails it (old IE read backtick-quoted values): no legitimate
    link on a police website contains `javascript:`.
    """
    plain = _IGNORED_IN_URL.sub("", value).lower()
    match = _SCHEME.match(plain)
    scheme = match.group(1) if match else ""
    if scheme == "javascript" or "javascript:" in plain:
        return "removed_javascript_url", "javascript"
    if scheme == "data":
        return "removed_data_url", "data"
    for script in _SCRIPT_SCHEMES:
        if f"{script}:" in plain:
            return "removed_url_scheme", script
    if scheme and scheme not in URL_SCHEMES:
        return "removed_url_scheme", scheme
    return None


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _url_finding(value: str, where: str) -> Finding | None:
    problem = url_problem(value)
    if problem is None:
        return None
    kind, scheme = problem
    return Finding(kind, where if kind != "removed_url_scheme" else f"{scheme}: in {where}")


class _Audit(HTMLParser):
    """What the allow-list will remove from the raw input, as findings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[Finding] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            src = dict(attrs).get("src")
            self.findings.append(Finding("removed_script", f"src={_short(src)}" if src else "inline"))
        elif tag == "style":
            self.findings.append(Finding("removed_style", "<style> element"))
        elif tag in DROPPED_WITH_CONTENT:
            self.findings.append(Finding(f"removed_with_content:{tag}"))
        elif tag not in _NH3_TAGS:
            self.findings.append(Finding(f"removed_unknown_tag:{tag}"))
        kept = CONTENT_ATTRIBUTES.get(RENAMED.get(tag, tag), frozenset()) if tag in _NH3_TAGS else frozenset()
        for name, value in attrs:
            where = f"{name} on <{tag}>"
            if name.startswith("on"):
                self.findings.append(Finding("removed_event_handler", where))
            elif name == "style":
                self.findings.append(Finding("removed_style", f"style attribute on <{tag}>"))
            elif tag == "a" and name == "rel":
                continue  # replaced by LINK_REL, not lost
            elif name in kept and name not in URL_ATTRIBUTES:
                continue
            elif finding := _url_finding(value or "", where):
                self.findings.append(finding)
            elif name not in kept and tag in _NH3_TAGS:  # a removed tag's other attributes go without saying
                self.findings.append(Finding(f"removed_attribute:{name}", f"on <{tag}>"))

    def handle_comment(self, data: str) -> None:
        self.findings.append(Finding("removed_comment", _short(data)))

    def handle_decl(self, decl: str) -> None:
        self.findings.append(Finding("removed_comment", _short(decl)))

    def unknown_decl(self, data: str) -> None:
        self.findings.append(Finding("removed_comment", _short(data)))

    def handle_pi(self, data: str) -> None:
        self.findings.append(Finding("removed_comment", _short(data)))


@dataclass
class _Heading:
    original: int
    level: int
    text: list[str] = field(default_factory=list)


@dataclass
class _Link:
    href: str | None
    named: bool = False


AltText = Callable[[str], str | None]
"""An image's URL -> the alt text the force's editors wrote for it, or None."""


class _Repair(HTMLParser):
    """Rewrites nh3's output: renames, heading levels, links and images; flags what only an editor can fix."""

    def __init__(self, alt_text: AltText | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.alt_text = alt_text
        self.out: list[str] = []
        self.findings: list[Finding] = []
        self._outline: list[_Heading] = []  # the open sections, outermost first
        self._heading: _Heading | None = None
        self._links: list[_Link] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = RENAMED.get(tag, tag)
        attrs = [
            (name, value or "")
            for name, value in attrs
            if name not in URL_ATTRIBUTES or url_problem(value or "") is None
        ]
        present = dict(attrs)
        if tag in HEADINGS:
            self._open_heading(int(tag[1]))
            tag = f"h{self._heading.level}" if self._heading else tag
        elif tag == "a":
            self._links.append(_Link(present.get("href")))
            if "href" not in present:
                return  # a link to nowhere: its text stays, the tag goes
        elif tag == "img":
            if not present.get("src"):
                self.findings.append(Finding("removed_image_without_src", f"alt={present.get('alt', '')!r}"))
                return
            if "alt" not in present:
                written = self.alt_text(present["src"]) if self.alt_text else None
                if written is None:
                    self.findings.append(Finding("image_missing_alt", present["src"]))
                else:
                    attrs.append(("alt", written))
                    present["alt"] = written
                    self.findings.append(Finding("image_alt_from_spec", present["src"]))
            if self._links and present.get("alt", "").strip():
                self._links[-1].named = True
        rendered = "".join(f' {name}="{htmllib.escape(value)}"' for name, value in attrs if name != "rel")
        self.out.append(f"<{tag}{rendered}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tag = RENAMED.get(tag, tag)
        if tag in HEADINGS and self._heading:
            heading, self._heading = self._heading, None
            if heading.original != heading.level:
                self.findings.append(
                    Finding(
                        "heading_repaired", f"h{heading.original} → h{heading.level}: {_short(''.join(heading.text))}"
                    )
                )
            tag = f"h{heading.level}"
        elif tag == "a" and self._links:
            link = self._links.pop()
            if link.href is None:
                return
            if not link.named:
                self.findings.append(Finding("empty_link", link.href))
            if self._links and link.named:
                self._links[-1].named = True
        elif tag in VOID_TAGS:
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._heading.text.append(data)
        if self._links and data.strip():
            self._links[-1].named = True
        self.out.append(htmllib.escape(data, quote=False))

    def _open_heading(self, original: int) -> None:
        """Level 2 for the first heading (and any h1); below that, one deeper than the section it opens in."""
        while self._outline and self._outline[-1].original >= original:
            self._outline.pop()
        level = min(6, self._outline[-1].level + 1) if self._outline else 2
        self._heading = _Heading(original, level)
        self._outline.append(self._heading)


def _clean(html: str, base_url: str | None) -> str:
    return nh3.clean(
        html,
        tags=set(_NH3_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in CONTENT_ATTRIBUTES.items()},
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        url_relative=("rewrite_with_base", base_url) if base_url else "pass_through",
    )


def sanitise(html: str, *, base_url: str | None = None, alt_text: AltText | None = None) -> SanitisedContent:
    """The content of one legacy page, reduced to the platform's content model, with what it lost.

    base_url: the page's own URL; given, relative links and image sources are resolved against it.
    alt_text: the editors' text alternatives, asked (with the resolved src) about each image without alt.
    """
    audit = _Audit()
    audit.feed(html)
    audit.close()
    repair = _Repair(alt_text)
    repair.feed(_clean(html, base_url))
    repair.close()
    return SanitisedContent(html=_clean("".join(repair.out), None), findings=audit.findings + repair.findings)
