"""The sandbox CMS's content: the content types it knows and the content tree, in memory.

Optimizely CMS keeps every content item in one tree: the root (id 1), the wastebasket (2) and the global
assets folder (3) exist in every installation; a site is a start page under the root. Each item has an
integer id and a GUID (its contentLink), a parent, a name, a URL segment unique among its siblings, a
content type, a language branch, a version status and the properties its type declares. This module
checks a write against those rules and answers with the vendor's ProblemDetails (see problems.py); the
web layer (api.py) only translates HTTP.
"""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .problems import Problem

ROOT_ID, WASTEBASKET_ID, GLOBAL_ASSETS_ID = 1, 2, 3
LANGUAGES = ("en",)
STATUSES = ("CheckedOut", "CheckedIn", "Published")
"""The version statuses a write may ask for (the CMS has more, e.g. AwaitingApproval, DelayedPublish)."""
STRING_LIMIT = 255
"""A String property, a name and a URL segment hold at most 255 characters (longer text is LongString)."""
SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_~.-]*$")
"""A URL segment the CMS accepts: lower-case letters, digits and - _ ~ . (what its segment creator makes)."""
INPUT_FIELDS = frozenset({"contentLink", "name", "language", "contentType", "parentLink", "routeSegment", "status"})
"""The system fields a write may set; every other member of its body is a property of the content type."""
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def parse_guid(value: object) -> str | None:
    """A GUID in its usual hyphenated form, lower-cased; None for anything else."""
    return value.lower() if isinstance(value, str) and GUID.match(value) else None


@dataclass(frozen=True)
class ContentType:
    """A content type: its base (Page, Media, Image, Folder), its properties by data type, the required ones."""

    name: str
    base: str
    properties: dict[str, str]
    required: frozenset[str] = frozenset()


def _page(name: str, *extra: tuple[str, str]) -> ContentType:
    props = {"heading": "String", "teaserText": "LongString", "mainBody": "XhtmlString", "sohPath": "String"}
    return ContentType(name, "Page", props | dict(extra), frozenset({"heading"}))


MEDIA_BASES = ("Media", "Image")
"""The bases of the content types that hold binary data (a multipart PUT's file)."""


def _media(name: str, base: str) -> ContentType:
    props = {"mediaType": "String", "sha256": "String", "sohPath": "String"}
    return ContentType(name, base, props, frozenset({"mediaType", "sha256"}))


CONTENT_TYPES = {
    t.name: t
    for t in (
        _page("SohStartPage"),
        _page("SohStandardPage"),
        _page("SohArticlePage", ("publishedDate", "Date")),
        _page("SohNewsPage", ("publishedDate", "Date")),
        ContentType("SohContainerPage", "Page", {"sohPath": "String"}),
        _media("SohDocumentFile", "Media"),
        _media("SohImageFile", "Image"),
        ContentType("SysContentFolder", "Folder", {}),
        ContentType("SysRoot", "Page", {}),
        ContentType("SysRecycleBin", "Page", {}),
    )
}
SYSTEM_TYPES = frozenset({"SysRoot", "SysRecycleBin"})


@dataclass
class Content:
    id: int
    guid: str
    parent_id: int | None
    name: str
    route_segment: str
    content_type: str
    language: str = "en"
    status: str = "CheckedOut"
    properties: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    saved: str = ""
    blob: bytes | None = field(default=None, repr=False)
    """A media item's binary data, as a multipart PUT sent it."""

    def as_json(self, tree: Tree) -> dict[str, Any]:
        kind = CONTENT_TYPES[self.content_type]
        answer: dict[str, Any] = {
            "contentLink": {"id": self.id, "workId": 0, "guidValue": self.guid},
            "name": self.name,
            "language": {"name": self.language},
            "contentType": [kind.base, self.content_type],
            "parentLink": tree.link(self.parent_id) if self.parent_id is not None else None,
            "routeSegment": self.route_segment,
            "status": self.status,
            "created": self.created,
            "saved": self.saved,
        }
        for name, data_type in kind.properties.items():
            answer[name] = {"value": self.properties.get(name), "propertyDataType": data_type}
        if kind.base in MEDIA_BASES:
            answer["url"] = tree.media_url(self)
        return answer

    def dump(self) -> dict[str, Any]:
        """The item as the state file keeps it (binary data in base64)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "blob"}
        return fields | {"blob": base64.b64encode(self.blob).decode("ascii") if self.blob is not None else None}

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Content:
        blob = data.get("blob")
        return cls(**(data | {"blob": base64.b64decode(blob) if blob is not None else None}))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(errors: dict[str, list[str]]) -> Problem:
    return Problem(400, "One or more validation errors occurred.", errors=errors)


class Tree:
    """Every content item, by id and by GUID; one lock, so concurrent writes cannot both take a segment."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_id: dict[int, Content] = {}
        self._by_guid: dict[str, Content] = {}
        self._next_id = 1
        for name, kind, parent in (
            ("Root", "SysRoot", None),
            ("Recycle Bin", "SysRecycleBin", ROOT_ID),
            ("For All Sites", "SysContentFolder", ROOT_ID),
        ):
            self._add(str(uuid.uuid4()), parent, name, name.lower().replace(" ", "-"), kind, "Published", {})

    def _add(
        self, guid: str, parent: int | None, name: str, segment: str, kind: str, status: str, props: dict
    ) -> Content:
        now = _now()
        item = Content(self._next_id, guid, parent, name, segment, kind, "en", status, props, now, now)
        self._next_id += 1
        self._by_id[item.id], self._by_guid[guid] = item, item
        return item

    # --- reading -------------------------------------------------------------------------------

    def find(self, reference: str) -> Content | None:
        """By integer id or GUID (a reference with a work id, '5_12', is refused as the CMS refuses it)."""
        with self._lock:
            if reference.isascii() and reference.isdigit():
                return self._by_id.get(int(reference))
            guid = parse_guid(reference)
            if guid is None:
                raise _invalid({"contentReference": [f"'{reference}' is not a content id or GUID"]})
            return self._by_guid.get(guid)

    def link(self, content_id: int) -> dict[str, Any]:
        return {"id": content_id, "workId": 0, "guidValue": self._by_id[content_id].guid}

    def children(self, parent: Content, after: int, top: int, published_only: bool = True) -> list[Content]:
        with self._lock:
            return [
                c
                for c in sorted(self._by_id.values(), key=lambda c: c.id)
                if c.parent_id == parent.id and c.id > after and (c.status == "Published" or not published_only)
            ][:top]

    def descendants(self, content: Content) -> Iterator[Content]:
        with self._lock:
            for child in [c for c in self._by_id.values() if c.parent_id == content.id]:
                yield child
                yield from self.descendants(child)

    def media_url(self, content: Content) -> str | None:
        """Where the CMS serves a published media item's binary data, as Optimizely does for the global
        assets folder ("For All Sites"): /globalassets/<folders>/<file>; None outside that folder."""
        segments = self.path_of(content)
        below = self._by_id[GLOBAL_ASSETS_ID].route_segment
        return "/globalassets/" + "/".join(segments[1:]) if segments[0] == below and len(segments) > 1 else None

    def media_at(self, url_path: str) -> Content | None:
        """The published media item a /globalassets/ URL path names, or None."""
        with self._lock:
            item = self._by_id[GLOBAL_ASSETS_ID]
            for segment in [s for s in url_path.removeprefix("/globalassets/").split("/") if s]:
                found = [c for c in self._by_id.values() if c.parent_id == item.id and c.route_segment == segment]
                if not found:
                    return None
                item = found[0]
            published = item.status == "Published" and item.blob is not None
            return item if published and CONTENT_TYPES[item.content_type].base in MEDIA_BASES else None

    def dump(self) -> dict[str, Any]:
        """The whole tree as the state file keeps it."""
        with self._lock:
            return {"next_id": self._next_id, "items": [item.dump() for item in self._by_id.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the tree with a dumped one (the state file of an earlier run)."""
        with self._lock:
            items = [Content.restore(item) for item in data["items"]]
            self._by_id = {item.id: item for item in items}
            self._by_guid = {item.guid: item for item in items}
            self._next_id = int(data["next_id"])

    def path_of(self, content: Content) -> list[str]:
        """The URL segments from the root's child down to `content` (sandbox only: tests count by path)."""
        segments = []
        while content.parent_id not in (None, ROOT_ID):
            segments.append(content.route_segment)
            content = self._by_id[content.parent_id]
        return [content.route_segment, *reversed(segments)]

    def __iter__(self) -> Iterator[Content]:
        with self._lock:
            return iter(list(self._by_id.values()))

    # --- writing -------------------------------------------------------------------------------

    def create(self, body: dict[str, Any], guid: str | None, validate: bool) -> Content:
        """A new item from a create (POST, or PUT of an unknown GUID): type, parent and name required."""
        with self._lock:
            fields = _fields(body)
            missing = [f for f in ("name", "contentType", "parentLink") if f not in fields]
            if missing:
                raise _invalid({f: [f"The {f} field is required."] for f in missing})
            parent = self._parent(fields["parentLink"])
            kind = CONTENT_TYPES[fields["contentType"]]
            guid = guid or fields.get("guid") or str(uuid.uuid4())
            if guid in self._by_guid:
                raise Problem(409, "Conflict", f"Content with GUID {guid} already exists.")
            segment = fields.get("routeSegment") or _segment_from(fields["name"])
            self._segment_free(parent.id, segment, None)
            props = _properties(kind, body, {}, validate, fields.get("status", "CheckedOut"))
            item = self._add(
                guid, parent.id, fields["name"], segment, kind.name, fields.get("status", "CheckedOut"), props
            )
            item.language = fields.get("language", "en")
            return item

    def put(
        self, guid: str, body: dict[str, Any], validate: bool, blob: bytes | None = None
    ) -> tuple[Content | None, Content]:
        """PUT by GUID: the item there before (None if it is new) and the item now. A contentLink in the body
        naming another GUID is refused; binary data (`blob`, from a multipart PUT) only for a media type."""
        with self._lock:
            if _fields(body).get("guid", guid) != guid:
                raise _invalid({"contentLink": ["The contentLink's guidValue differs from the GUID in the URL."]})
            current = self._by_guid.get(guid)
            named = body.get("contentType")
            named = named[-1] if isinstance(named, list) and named and isinstance(named[-1], str) else ""
            kind = CONTENT_TYPES.get(current.content_type if current else named)
            if blob is not None and (kind is None or kind.base not in MEDIA_BASES):
                raise _invalid({"file": ["Binary data can only be sent for a media content type."]})
            item = self.replace(current, body, validate) if current else self.create(body, guid, validate)
            if blob is not None:
                item.blob = blob
            return current, item

    def replace(self, current: Content, body: dict[str, Any], validate: bool) -> Content:
        """PUT of an existing GUID: every field replaced; the hierarchy and the type stay."""
        with self._lock:
            fields = _fields(body)
            if "parentLink" in fields and self._parent(fields["parentLink"]).id != current.parent_id:
                raise _invalid({"parentLink": ["This endpoint cannot be used to update the content hierarchy."]})
            return self._update(current, fields, body, validate, {})

    def patch(self, current: Content, body: dict[str, Any], validate: bool) -> Content:
        """PATCH: only the fields given change; a parentLink is refused (moving has its own endpoint)."""
        with self._lock:
            fields = _fields(body)
            if "parentLink" in fields:
                raise _invalid({"parentLink": ["The content hierarchy cannot be changed by PATCH."]})
            return self._update(current, fields, body, validate, current.properties)

    def _update(self, current: Content, fields: dict, body: dict, validate: bool, base: dict) -> Content:
        if current.content_type in SYSTEM_TYPES or current.id == GLOBAL_ASSETS_ID:
            raise Problem(403, "Forbidden", "System content cannot be changed.")
        if fields.get("contentType", current.content_type) != current.content_type:
            raise _invalid({"contentType": ["The content type of existing content cannot be changed."]})
        segment = fields.get("routeSegment") or current.route_segment
        self._segment_free(current.parent_id, segment, current.id)
        status = fields.get("status", current.status)
        current.properties = _properties(CONTENT_TYPES[current.content_type], body, base, validate, status)
        current.name = fields.get("name", current.name)
        current.route_segment, current.status = segment, status
        current.language = fields.get("language", current.language)
        current.saved = _now()
        return current

    def delete(self, current: Content, permanent: bool) -> None:
        """Into the wastebasket with its descendants, or gone for good (x-epi-permanent-delete)."""
        with self._lock:
            if current.content_type in SYSTEM_TYPES or current.id in (ROOT_ID, WASTEBASKET_ID, GLOBAL_ASSETS_ID):
                raise Problem(403, "Forbidden", "System content cannot be deleted.")
            if not permanent:
                current.parent_id = WASTEBASKET_ID
                return
            for item in [current, *self.descendants(current)]:
                del self._by_id[item.id], self._by_guid[item.guid]

    def _parent(self, link: dict[str, Any]) -> Content:
        parent = None
        if "guidValue" in link:
            guid = parse_guid(link["guidValue"])
            if guid is None:
                raise _invalid({"parentLink": ["The parentLink's guidValue is not a GUID."]})
            parent = self._by_guid.get(guid)
        elif isinstance(link.get("id"), int) and not isinstance(link.get("id"), bool):
            parent = self._by_id.get(link["id"])
        else:
            raise _invalid({"parentLink": ["A parentLink needs an id or a guidValue."]})
        if parent is None:
            raise _invalid({"parentLink": ["The parent content does not exist."]})
        return parent

    def _segment_free(self, parent_id: int | None, segment: str, own_id: int | None) -> None:
        for other in self._by_id.values():
            if other.parent_id == parent_id and other.route_segment == segment and other.id != own_id:
                raise Problem(
                    409,
                    "Conflict",
                    f"The URL segment '{segment}' is already used by content {other.id} under its parent.",
                )


def _segment_from(name: str) -> str:
    segment = re.sub(r"[^a-z0-9_~.-]+", "-", name.lower()).strip("-") or "content"
    return segment[:STRING_LIMIT]


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """The system fields of a request, checked for shape (the properties are checked by _properties)."""
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > STRING_LIMIT:
            errors["name"] = [f"The name must be text of 1 to {STRING_LIMIT} characters."]
        else:
            fields["name"] = name
    if "contentType" in body:
        kinds = body["contentType"]
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
            errors["contentType"] = ["The contentType must be a list of type names."]
        elif kinds[-1] not in CONTENT_TYPES or kinds[-1] in SYSTEM_TYPES:
            errors["contentType"] = [f"The content type '{kinds[-1]}' does not exist."]
        else:
            fields["contentType"] = kinds[-1]
    if "parentLink" in body:
        if not isinstance(body["parentLink"], dict):
            errors["parentLink"] = ["The parentLink must be an object with an id or a guidValue."]
        else:
            fields["parentLink"] = body["parentLink"]
    if "routeSegment" in body and body["routeSegment"] is not None:
        segment = body["routeSegment"]
        if not isinstance(segment, str) or not SEGMENT.match(segment) or len(segment) > STRING_LIMIT:
            errors["routeSegment"] = [f"'{segment}' is not a valid URL segment (a-z, 0-9, - _ ~ .)."]
        else:
            fields["routeSegment"] = segment
    if "status" in body:
        if body["status"] not in STATUSES:
            errors["status"] = [f"The status must be one of {', '.join(STATUSES)}."]
        else:
            fields["status"] = body["status"]
    if "language" in body:
        language = body["language"]
        name = language.get("name") if isinstance(language, dict) else None
        if name not in LANGUAGES:
            errors["language"] = [f"The language must be one of the site's: {', '.join(LANGUAGES)}."]
        else:
            fields["language"] = name
    if "contentLink" in body:
        link = body["contentLink"]
        guid = parse_guid(link.get("guidValue")) if isinstance(link, dict) else None
        if not isinstance(link, dict) or ("guidValue" in link and guid is None):
            errors["contentLink"] = ["The contentLink must be an object whose guidValue is a GUID."]
        elif guid:
            fields["guid"] = guid
    if errors:
        raise _invalid(errors)
    return fields


def _properties(kind: ContentType, body: dict, base: dict, validate: bool, status: str) -> dict[str, Any]:
    """The type's properties from the body's `{"value": ...}` objects; an unknown one or a wrong data type is a
    400; a required one missing when publishing is a 422, unless validation is minimal."""
    props = dict(base)
    errors: dict[str, list[str]] = {}
    for name, given in body.items():
        if name in INPUT_FIELDS:
            continue
        if name not in kind.properties:
            errors[name] = [f"The content type {kind.name} has no property '{name}'."]
            continue
        if not isinstance(given, dict) or "value" not in given:
            errors[name] = ['A property is given as {"value": ...}.']
            continue
        try:
            props[name] = _value(kind.properties[name], given["value"])
        except ValueError as error:
            errors[name] = [str(error)]
    if errors:
        raise _invalid(errors)
    missing = sorted(n for n in kind.required if props.get(n) in (None, ""))
    if validate and status == "Published" and missing:
        raise Problem(
            422,
            "Content validation failed",
            "The content cannot be published: required properties have no value.",
            errors={n: [f"{n} is required."] for n in missing},
        )
    return props


def _value(data_type: str, value: Any) -> Any:
    """A property value as the data type stores it (ValueError says why not)."""
    if value is None:
        return None
    if data_type in ("String", "LongString", "XhtmlString"):
        if not isinstance(value, str):
            raise ValueError(f"{data_type} expects text.")
        if data_type == "String" and len(value) > STRING_LIMIT:
            raise ValueError(f"A String property holds at most {STRING_LIMIT} characters.")
        return value
    if data_type == "Date":
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not a date.") from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(f"unknown data type {data_type}")
