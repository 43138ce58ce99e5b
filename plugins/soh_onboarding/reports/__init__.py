"""Rendering of reports and documents from Jinja templates (templates/), never string concatenation.

Reports are written once in Markdown (readable in a repository, a pull request or an e-mail) and turned
into HTML by markdown-it with raw HTML disabled, inside one page layout: text from specs, legacy sites
and the platform is untrusted, so it is escaped on the way in, and `javascript:` links are refused.

Escaping is the templates' default, whatever the format: HTML and SVG templates are autoescaped by Jinja,
and every `{{ value }}` of a Markdown template goes through `md` (the environment's finalize), so a
field added later cannot forget it. The .md file is read as it is, too (in the Airflow UI, on a code
host, in an editor), by renderers that may allow raw HTML: `md` leaves no tag, link, emphasis, code,
heading or table cell that the template did not write. Markup belongs in the template's text
(`**{{ "yes" if x else "no" }}**`), never in a value; `md_code` and `md_link` write a code span and a
link around an untrusted value.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"


class MarkdownText(str):
    """Markdown made by `md`, `md_code` or `md_link`: the finalize step leaves it as it is."""


_INLINE_MARKUP = re.compile(r"[\\`*\[\]|~]|(?<![^\W_])_|_(?![^\W_])|(?<!\S)#")
"""What makes Markdown within a line, backslash-escaped: escapes, code, emphasis, links and images
(without `[` no `](` or `![` can form), table cells, strikethrough; an underscore unless it is inside a
word (where it cannot emphasise: legacy_site stays readable); a hash that could open or close a heading."""
_HTML_MARKUP = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
"""Raw HTML, autolinks, entities and block quotes: as entities (a backslash before `<` is not an escape
in every Markdown)."""
_BLOCK_START = re.compile(r"^(?:[-+=](?![A-Za-z0-9])|\d{1,9}(?=[.)](?:\s|$)))")
"""What starts a list, a thematic break or a setext heading when a value begins a line."""


def md(value: Any) -> MarkdownText:
    """`value` as Markdown that shows it as plain text: on one line, every character that would make
    Markdown or HTML escaped (the default for each `{{ }}` of a Markdown template)."""
    if isinstance(value, MarkdownText):
        return value
    text = _INLINE_MARKUP.sub(lambda m: f"\\{m[0]}", " ".join(str(value).split()))
    text = re.sub(r"[&<>]", lambda m: _HTML_MARKUP[m[0]], text)
    if match := _BLOCK_START.match(text):
        text = f"{match[0]}\\{text[match.end() :]}" if match[0].isdigit() else f"\\{text}"
    return MarkdownText(text)


md_cell = md
"""A value safe inside a Markdown table cell (pipes and line breaks included): `md` does it all; the name
stays for templates that say where a value goes."""


def md_code(value: Any) -> MarkdownText:
    """`value` as an inline code span, shown exactly: fenced with more backticks than it holds (a code
    span's content is never Markdown or HTML), on one line, pipes escaped for a table."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return MarkdownText(f"{fence}{pad}{text}{pad}{fence}")


_URL_SAFE = "/:?#[]@!$&'*+,;=%~-._"
"""What a link's destination keeps as it is: a URL's own delimiters. The rest is percent-encoded: spaces,
`<>`, quotes, backslashes, and parentheses, which would otherwise end the destination."""


def md_link(url: Any, text: Any = None) -> MarkdownText:
    """A link to `url` showing `text` (or the URL), when the URL is http(s) or a path on the same site;
    otherwise the text and the URL, shown but not linked (a `javascript:` or `data:` URL from a
    platform's answer stays inert)."""
    url = " ".join(str(url).split())
    shown = md(url if text is None else text)
    parts = urlsplit(url)
    same_site = not parts.scheme and not parts.netloc and url.startswith("/")
    if parts.scheme.lower() not in ("http", "https") and not same_site:
        return shown if text is None else MarkdownText(f"{shown} ({md(url)})")
    return MarkdownText(f"[{shown}]({quote(url, safe=_URL_SAFE)})")


def pounds(amount: Any) -> str:
    """'1234567.80' as '£1,234,567.80'; '' for nothing (money is kept as strings of pounds and pence)."""
    if amount in (None, ""):
        return ""
    from decimal import Decimal

    return f"£{Decimal(str(amount)):,.2f}"


@cache
def _environment(markup: str) -> jinja2.Environment:
    """The environment of one kind of template: 'html' (HTML and SVG: autoescaped), 'md' (every value
    through `md`) or 'text' (anything else, as it is)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=markup == "html",
        finalize=md if markup == "md" else None,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as an empty gap
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(md_cell=md_cell, md_code=md_code, md_link=md_link, pounds=pounds)
    return environment


def render(name: str, **values: Any) -> str:
    """Render templates/<name>: HTML and SVG templates (.html.j2, .svg.j2) autoescaped, Markdown ones
    (.md.j2) with every value escaped by `md`."""
    markup = "html" if name.endswith((".html.j2", ".svg.j2")) else "md" if name.endswith(".md.j2") else "text"
    return _environment(markup).get_template(name).render(**values)


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(markdown: str, title: str) -> str:
    """A whole HTML page from Markdown, with raw HTML in the Markdown escaped."""
    return render("page.html.j2", title=title, body=Markup(_markdown().render(markdown)))
