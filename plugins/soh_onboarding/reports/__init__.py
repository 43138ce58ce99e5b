"""Rendering of reports and documents from Jinja templates (templates/), never string concatenation."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as an empty gap
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **values: Any) -> str:
    """Render templates/<name>; HTML and SVG templates (.html.j2, .svg.j2) are autoescaped, Markdown ones are not."""
    return _environment(name.endswith((".html.j2", ".svg.j2"))).get_template(name).render(**values)
