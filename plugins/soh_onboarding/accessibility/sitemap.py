"""Which pages to audit: from sitemaps (and sitemap indexes) or page URLs, sampled when there are too many.

A site larger than `max_pages` is sampled so that the sample still says something about every page:
the key pages first (the home page and the spec's go-live key pages), then pages taken in turn from
each template (pages whose paths share their first segment and depth, e.g. /news/<slug>/ or
/neighbourhoods/<area>/<ward>/), so every content type and template is represented before any gets a
second page. The same sitemap always gives the same sample.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import requests

MAX_SITEMAPS = 200
USER_AGENT = "SOH-onboarding-accessibility-audit/1.0"


class SitemapError(ValueError):
    """A sitemap could not be read: says which and why."""


@dataclass
class Discovery:
    urls: list[str]
    listed: int  # pages the inputs named before sampling
    sampled: bool
    templates: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"listed": self.listed, "audited": len(self.urls), "sampled": self.sampled, "templates": self.templates}


def looks_like_sitemap(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(".xml")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_sitemap(url: str, *, timeout: float = 30.0, _seen: set[str] | None = None, session: Any = None) -> list[str]:
    """Page URLs listed by a sitemap, following a sitemap index (at most MAX_SITEMAPS sitemaps).

    `session`: a requests session to fetch with (e.g. the go-live Network's, for a live domain reached
    through a chosen resolver); by default a plain request."""
    seen = _seen if _seen is not None else set()
    if url in seen or len(seen) >= MAX_SITEMAPS:
        return []
    seen.add(url)
    try:
        response = (session or requests).get(url, timeout=timeout, headers={"User-Agent": USER_AGENT})
    except requests.RequestException as exc:
        raise SitemapError(f"{url}: could not fetch the sitemap ({type(exc).__name__}: {exc})") from exc
    if response.status_code != 200:
        raise SitemapError(f"{url}: the sitemap answered HTTP {response.status_code}; check the address")
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError as exc:
        raise SitemapError(f"{url}: not a valid sitemap XML document ({exc})") from exc
    locs = [(el.text or "").strip() for el in root.iter() if _local(el.tag) == "loc"]
    if _local(root.tag) == "sitemapindex":
        pages: list[str] = []
        for loc in locs:
            pages += read_sitemap(urljoin(url, loc), timeout=timeout, _seen=seen, session=session)
        return pages
    if _local(root.tag) != "urlset":
        raise SitemapError(f"{url}: the XML is a <{_local(root.tag)}>, not a sitemap <urlset> or <sitemapindex>")
    pages = [urljoin(url, loc) for loc in locs if loc]
    return [page for page in pages if urlsplit(page).scheme in ("http", "https")]


def template_of(url: str, base: str = "") -> str:
    """A page's template, guessed from its path below the site's base (e.g. a preview's /preview/<tenant>/):
    first segment and depth ('/news/*/*' for /news/a/b)."""
    path = urlsplit(url).path
    prefix = urlsplit(base).path.rstrip("/") if base else ""
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    segments = [s for s in path.split("/") if s]
    if not segments:
        return "/"
    first = re.sub(r"\.(aspx?|html?|php)$", "", segments[0].lower())
    return "/" + "/".join([first] + ["*"] * (len(segments) - 1))


def sample(urls: Iterable[str], max_pages: int, key_paths: Iterable[str] = (), base: str = "") -> list[str]:
    """At most max_pages URLs: the home page and the key pages (paths below `base`), then round-robin over
    templates (sorted, so deterministic)."""
    urls = list(dict.fromkeys(urls))
    if len(urls) <= max_pages:
        return urls
    root = base or (f"{urlsplit(urls[0]).scheme}://{urlsplit(urls[0]).netloc}/" if urls else "/")
    root = root.rstrip("/") + "/"
    wanted = [root, *(urljoin(root, p.lstrip("/")) for p in key_paths)]
    by_url: dict[str, str] = {}
    for url in sorted(urls):
        for form in (url, url.rstrip("/") + "/"):
            by_url.setdefault(form, url)
    key = []
    for want in wanted:
        found = by_url.get(want) or by_url.get(want.rstrip("/") + "/")
        if found:
            key.append(found)
    chosen = list(dict.fromkeys(key))[:max_pages]
    by_template: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        if url not in chosen:
            by_template[template_of(url, root)].append(url)
    queues = [sorted(by_template[t]) for t in sorted(by_template)]
    position = 0
    while len(chosen) < max_pages and any(queues):
        for queue in queues:
            if position < len(queue) and len(chosen) < max_pages:
                chosen.append(queue[position])
        position += 1
    return chosen


def site_base(item: str) -> str:
    """The site an input belongs to: a sitemap's folder (a preview's /preview/<tenant>/), else the host's root."""
    parts = urlsplit(item)
    if looks_like_sitemap(item):
        return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/"
    return f"{parts.scheme}://{parts.netloc}/"


def discover(
    inputs: Iterable[str], *, max_pages: int | None = None, key_paths: Iterable[str] = (), session: Any = None
) -> Discovery:
    """The pages to audit from URLs and sitemaps (a URL ending in .xml is read as a sitemap)."""
    inputs = list(inputs)
    urls: list[str] = []
    for item in inputs:
        if not re.match(r"^https?://", item):
            raise SitemapError(f"{item}: not an http(s) URL; give a page URL or a sitemap URL (…/sitemap.xml)")
        urls += read_sitemap(item, session=session) if looks_like_sitemap(item) else [item]
    urls = list(dict.fromkeys(urls))
    base = site_base(inputs[0]) if inputs else ""
    chosen = sample(urls, max_pages, key_paths, base) if max_pages else urls
    templates: dict[str, int] = defaultdict(int)
    for url in chosen:
        templates[template_of(url, base)] += 1
    return Discovery(
        urls=chosen, listed=len(urls), sampled=len(chosen) < len(urls), templates=dict(sorted(templates.items()))
    )
