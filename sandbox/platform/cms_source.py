"""A tenant's pages and media read from Optimizely CMS, as the Single Online Home's site renders them.

The real platform's sites are rendered from the CMS's content tree: a force's start page under the root,
its pages below it by URL segment, its media in a folder of the global assets. When the platform sandbox is
given a CMS (`--cms`), a tenant whose start page the CMS holds is served from there instead of from the
pages the admin API stored: each request walks the tree by the path's segments through the Content
Delivery API (children, a page of 100 at a time), and media bytes come from the CMS's /globalassets/ URL.

It answers as the `Store` does for the site (page, asset, all_paths), so `site.Site` renders either the
same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

ROOT_ID, GLOBAL_ASSETS_ID = 1, 3
TOKEN_PATH = "/api/episerver/connect/token"
CDA_PATH = "/api/episerver/v3.0/content"
START_TYPE, FOLDER_TYPE = "SohStartPage", "SysContentFolder"
PAGE_TYPES = frozenset({"SohStartPage", "SohStandardPage", "SohArticlePage", "SohNewsPage"})
"""The content types that are pages of the site (a SohContainerPage is a node of the tree, not a page)."""


class CmsUnavailable(Exception):
    """The CMS did not answer as its contract says: the site answers 502, as a platform whose CMS is down."""


@dataclass
class CmsSource:
    """The Content Delivery API of one CMS, with a client allowed its delivery scope."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    timeout: float = 10.0

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._session = requests.Session()
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None

    # --- the Store's side, for site.Site -----------------------------------------------------------

    def holds(self, tenant_id: str) -> bool:
        return self._start(tenant_id) is not None

    def page(self, tenant_id: str, path: str) -> dict[str, Any] | None:
        start = self._start(tenant_id)
        item = self._walk(start, path) if start else None
        if item is None or (item.get("contentType") or [""])[-1] not in PAGE_TYPES:
            return None
        if _value(item, "sohPath") != path:
            return None  # /news is not /news/ (one URL segment in the tree): the site answers its 301
        published = _value(item, "publishedDate")
        return {
            "title": _value(item, "heading") or item.get("name") or "",
            "body_html": _value(item, "mainBody") or "",
            "summary": _value(item, "teaserText") or "",
            "published": published[:10] if published else None,
        }

    def asset(self, tenant_id: str, path: str) -> dict[str, Any] | None:
        folder = self._child_by_segment(GLOBAL_ASSETS_ID, tenant_id, FOLDER_TYPE)
        item = self._walk(folder, path) if folder else None
        url = item.get("url") if item else None
        if not url:
            return None
        reply = self._get(url, authorised=False)
        if reply.status_code == 404:
            return None
        return {"data": reply.content, "content_type": _value(item, "mediaType") or "application/octet-stream"}

    def all_paths(self, table: str, tenant_id: str) -> list[str]:
        """Every page's path (`table` "pages", as the Store names it) under the tenant's start page."""
        start = self._start(tenant_id)
        if start is None or table != "pages":
            return []
        return sorted(
            _value(item, "sohPath")
            for item in self._descendants(start)
            if (item.get("contentType") or [""])[-1] in PAGE_TYPES and _value(item, "sohPath")
        )

    # --- the tree --------------------------------------------------------------------------------

    def _start(self, tenant_id: str) -> dict[str, Any] | None:
        return self._child_by_segment(ROOT_ID, tenant_id, START_TYPE)

    def _child_by_segment(self, parent: int | str, segment: str, kind: str | None = None) -> dict[str, Any] | None:
        for child in self._children(parent):
            if child.get("routeSegment") == segment and (kind is None or kind in child.get("contentType", [])):
                return child
        return None

    def _walk(self, item: dict[str, Any], path: str) -> dict[str, Any] | None:
        for segment in [s for s in path.split("/") if s]:
            item = self._child_by_segment(item["contentLink"]["guidValue"], segment)
            if item is None:
                return None
        return item

    def _descendants(self, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield item
        for child in self._children(item["contentLink"]["guidValue"]):
            yield from self._descendants(child)

    def _children(self, parent: int | str) -> Iterator[dict[str, Any]]:
        headers: dict[str, str] = {}
        while True:
            reply = self._get(f"{CDA_PATH}/{parent}/children?top=100", headers=headers)
            if reply.status_code == 404:
                return
            if reply.status_code != 200:
                raise CmsUnavailable(f"GET children of {parent}: {reply.status_code}")
            yield from reply.json()
            following = reply.headers.get("x-epi-continuation")
            if not following:
                return
            headers = {"x-epi-continuation": following}

    # --- HTTP ------------------------------------------------------------------------------------

    def _get(self, path: str, *, authorised: bool = True, headers: dict[str, str] | None = None) -> requests.Response:
        """One GET, again after a 429 or 5xx (the sandbox CMS's faults), a few times."""
        for attempt in range(5):
            sent = dict(headers or {})
            if authorised:
                sent["Authorization"] = f"Bearer {self._access_token()}"
            try:
                reply = self._session.get(f"{self.base_url}{path}", headers=sent, timeout=self.timeout)
            except requests.RequestException as error:
                if attempt == 4:
                    raise CmsUnavailable(f"GET {path}: {error}") from None
                continue
            if reply.status_code == 401 and authorised:
                self._token = None
                continue
            if reply.status_code == 429 or reply.status_code >= 500:
                time.sleep(min(float(reply.headers.get("Retry-After") or 0.2), 2.0))
                continue
            return reply
        raise CmsUnavailable(f"GET {path}: the CMS kept failing")

    def _access_token(self) -> str:
        with self._lock:
            if self._token and time.monotonic() < self._token[1]:
                return self._token[0]
            form = {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": "epi_content_delivery",
            }
            for _ in range(5):
                try:
                    reply = self._session.post(f"{self.base_url}{TOKEN_PATH}", data=form, timeout=self.timeout)
                except requests.RequestException:
                    continue
                if reply.status_code == 200:
                    answer = reply.json()
                    lifetime = float(answer.get("expires_in") or 300)
                    self._token = (answer["access_token"], time.monotonic() + lifetime * 0.9)
                    return self._token[0]
                if reply.status_code < 500 and reply.status_code != 429:
                    raise CmsUnavailable(f"POST {TOKEN_PATH}: {reply.status_code}")
            raise CmsUnavailable(f"POST {TOKEN_PATH}: the CMS kept failing")


def _value(item: dict[str, Any], name: str) -> Any:
    return (item.get(name) or {}).get("value")
