"""Crawler traps, bounded without per-site tuning.

A legacy site's endless calendar (or a faceted search, or a session id in every link) yields URLs of one
shape that keep answering near-identical pages, and would spend the crawl's whole budget before the real
pages are reached. Nobody writes an exclusion for it until they have seen it, so the crawler must find it
itself: pages are grouped by URL shape (the path with its numeric segments and the query's values
blanked), and a shape whose pages keep coming back near-identical (by a bottom-k sketch of their text's
word shingles) is stopped. The shape and its counts are reported, so the force can confirm an exclusion
by pull request; nothing of the shape fetched so far is dropped.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from heapq import nsmallest
from urllib.parse import parse_qsl, urlsplit

SKETCH_SIZE = 32  # the k smallest shingle hashes kept per page (a bottom-k MinHash sketch)
SHINGLE = 3  # words per shingle
MAX_WORDS = 2000  # of a page's text sketched: bounds the cost on huge pages (about 0.15 ms for 500 words)
SIMILAR = 0.9  # estimated Jaccard similarity above which two pages are near-identical
REFERENCES = 8  # sketches kept per shape to compare new pages with (the shape's first pages)
TRAP_AFTER = 25  # near-identical pages of one shape before it counts as a trap ...
TRAP_SHARE = 0.8  # ... when at least this share of the shape's pages were near-identical

_NUMERIC = re.compile(r"\d")


def url_shape(url: str) -> str:
    """The URL with what varies in a trap blanked: path segments holding digits, and the query's values.

    /events/2025/03/14/ and /events/2031/11/02/ share a shape; /news/ and /contact/ do not, so a site's
    ordinary pages almost never share one unless they are a series.
    """
    parts = urlsplit(url)
    segments = ["{n}" if _NUMERIC.search(segment) else segment for segment in parts.path.split("/")]
    shape = f"{parts.netloc}{'/'.join(segments)}"
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return shape + ("?" + "&".join(f"{key}=*" for key in keys) if keys else "")


def sketch(text: str) -> tuple[int, ...]:
    """The SKETCH_SIZE smallest crc32s of the text's word shingles: stable across processes (a resumed
    crawl compares with the sketches in its journal), and cheap (crc32 runs in C)."""
    words = text.lower().split()[:MAX_WORDS]
    if len(words) < SHINGLE:
        words = words + [""] * (SHINGLE - len(words))
    hashes = {zlib.crc32(" ".join(words[i : i + SHINGLE]).encode()) for i in range(len(words) - SHINGLE + 1)}
    return tuple(nsmallest(SKETCH_SIZE, hashes))  # ascending


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two bottom-k sketches (Broder): the share of the union's k smallest
    hashes that both hold."""
    if not a or not b:
        return 0.0
    union = nsmallest(SKETCH_SIZE, set(a) | set(b))
    both = set(a) & set(b)
    return sum(1 for value in union if value in both) / len(union)


@dataclass
class Shape:
    """What one URL shape has yielded so far."""

    pages: int = 0
    near_identical: int = 0
    skipped: int = 0
    example: str = ""
    references: list[tuple[int, ...]] = field(default_factory=list)

    @property
    def trap(self) -> bool:
        return self.near_identical >= TRAP_AFTER and self.near_identical >= TRAP_SHARE * self.pages


@dataclass
class Traps:
    """The shapes seen in one crawl; `observe` each page fetched, ask `holds` before fetching a URL."""

    shapes: dict[str, Shape] = field(default_factory=dict)

    def observe(self, url: str, page_sketch: tuple[int, ...]) -> bool:
        """Count one fetched page; True when this page made its shape a trap."""
        shape = self.shapes.setdefault(url_shape(url), Shape(example=url))
        was_trap = shape.trap
        shape.pages += 1
        if any(similarity(page_sketch, known) >= SIMILAR for known in shape.references):
            shape.near_identical += 1
        elif len(shape.references) < REFERENCES:
            shape.references.append(page_sketch)
        return shape.trap and not was_trap

    def holds(self, url: str) -> bool:
        """True when the URL's shape is a trap (and counts it as skipped)."""
        shape = self.shapes.get(url_shape(url))
        if shape is None or not shape.trap:
            return False
        shape.skipped += 1
        return True

    def found(self) -> list[dict[str, object]]:
        """The traps, biggest first, for the crawl's summary and the migration report."""
        return [
            {
                "pattern": pattern,
                "pages": shape.pages,
                "near_identical": shape.near_identical,
                "skipped": shape.skipped,
                "example": shape.example,
            }
            for pattern, shape in sorted(self.shapes.items(), key=lambda item: -item[1].pages)
            if shape.trap
        ]
