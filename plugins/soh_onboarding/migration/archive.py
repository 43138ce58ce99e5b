"""Archive links pinned at a capture time before the switch.

A web archive's link to its latest capture of an old URL (the UK Government Web Archive's /ukgwa/+/...,
the Wayback Machine's /web/...) is right until the switch, then wrong: the archive's next capture of the old
URL is a capture of its redirect. So every archive link names the capture time it wants: the spec's
`content_mapping.archive_url` with `{timestamp}` (when the crawl last saw the legacy site), or an override's
link with a fixed one before the switch. Free of other imports: the spec check (the pre-commit hook's
small install) reads it too.
"""

from __future__ import annotations

import re
from datetime import date

_CAPTURE_TIME = re.compile(r"/(\d{4,14})/")
"""A capture time in a web archive's URL (UKGWA's /ukgwa/20240101093000/, the Wayback Machine's /web/2024/)."""


def archive_pin_problem(link: str, before: date | None = None) -> str | None:
    """Why an archive link (or the spec's archive_url template) is not pinned at a capture time before the
    switch, or None when it is."""
    if "{timestamp}" in link:
        return None
    found = _CAPTURE_TIME.search(link.replace("{old_url}", ""))
    if found is None:
        return (
            "it names no capture time, so it opens the archive's latest capture, which after the switch is a "
            "capture of the redirect itself"
        )
    stamp = found.group(1)
    if before is not None and stamp[:8] >= before.strftime("%Y%m%d")[: len(stamp[:8])]:
        return f"its capture time {stamp} is not before the switch ({before}): that capture may be the redirect itself"
    return None
