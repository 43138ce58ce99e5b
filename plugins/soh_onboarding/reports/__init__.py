"""Rendering of reports and documents from Jinja templates (templates/), never string concatenation.

Reports are written once in Markdown (readable in a repository, a pull request or an e-mail) and turned
into HTML by markdown-it with raw HTML disabled, inside one page layout: text from specs and legacy
sites is untrusted, so it is escaped on the way into HTML, and `javascript:` links are refused.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"


def md_cell(value: Any) -> str:
    """A value safe inside a Markdown table cell: no pipes or line breaks to break the table."""
    return " ".join(str(value).split()).replace("|", "\\|")


def pounds(amount: Any) -> str:
    """'1234567.80' as '£1,234,567.80'; '' for nothing (money is kept as strings of pounds and pence)."""
    if amount in (None, ""):
        return ""
    from decimal import Decimal

    return f"£{Decimal(str(amount)):,.2f}"


@cache
def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as an empty gap
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md_cell"] = md_cell
    environment.filters["pounds"] = pounds
    return environment


def render(name: str, **values: Any) -> str:
    """Render templates/<name>; HTML and SVG templates (.html.j2, .svg.j2) are autoescaped, Markdown ones are not."""
    return _environment(name.endswith((".html.j2", ".svg.j2"))).get_template(name).render(**values)


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(markdown: str, title: str) -> str:
    """A whole HTML page from Markdown, with raw HTML in the Markdown escaped."""
    return render("page.html.j2", title=title, body=Markup(_markdown().render(markdown)))
