"""Access log files as the edge's log delivery writes them, for the tests and the benchmark of the access-log
ingestion (plugins/soh_onboarding/live/accesslogs.py).

Cloudflare Logpush delivers the http_requests dataset as gzip files of JSON lines, one object per request,
in a folder per day (`<prefix>/<YYYYMMDD>/<start>_<end>_<hash>.log.gz`). A web server writes the common or
combined log format. `write_day` writes a day of either, from the requests given, with the malformed lines
real deliveries have (a truncated last line, a line of another format) when asked.
"""

from __future__ import annotations

import gzip
import json
import random
import sqlite3
import threading
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)


def json_line(host: str, target: str, status: int, when: datetime, client: str = "198.51.100.7") -> str:
    """One request as a Logpush http_requests JSON line (the fields the ingestion reads, and a few more)."""
    return json.dumps(
        {
            "ClientIP": client,
            "ClientRequestHost": host,
            "ClientRequestMethod": "GET",
            "ClientRequestURI": target,
            "ClientRequestUserAgent": AGENTS[zlib.crc32(target.encode()) % len(AGENTS)],
            "EdgeResponseStatus": status,
            "EdgeStartTimestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "RayID": f"{zlib.crc32(f'{target} {when}'.encode()):08x}{zlib.crc32(host.encode()):07x}"[:15],
        },
        separators=(",", ":"),
    )


def clf_line(target: str, status: int, when: datetime, combined: bool, client: str = "198.51.100.7") -> str:
    """One request in the common (or combined) log format."""
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    line = f'{client} - - [{stamp}] "GET {target} HTTP/1.1" {status} {0 if status >= 300 else 5120}'
    if combined:
        line += f' "https://www.google.com/" "{AGENTS[zlib.crc32(target.encode()) % len(AGENTS)]}"'
    return line


def write_day(
    folder: Path,
    requests: Iterable[tuple[str, str, int]],
    day: datetime,
    *,
    log_format: str = "json",
    files: int = 2,
    malformed: int = 0,
    seed: int = 1,
) -> list[Path]:
    """Write (host, target, status) requests as `files` gzip files in `folder` (`json`, `combined` or
    `common`), shuffled across the day, plus `malformed` unreadable lines; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    chooser = random.Random(seed)
    paths = [folder / f"{day:%Y%m%d}T{n:02d}0000Z_{n:02d}5959Z_{seed:04x}{n:04x}.log.gz" for n in range(files)]
    handles = [gzip.open(path, "wt", encoding="utf-8", compresslevel=1) for path in paths]  # noqa: SIM115 (closed below)
    try:
        for number, (host, target, status) in enumerate(requests):
            when = day + timedelta(seconds=number % 86_400)
            if log_format == "json":
                line = json_line(host, target, status, when)
            else:
                line = clf_line(target, status, when, combined=log_format == "combined")
            handles[chooser.randrange(files)].write(line + "\n")
        for number in range(malformed):
            broken = ('{"ClientRequestHost": "cut off', "GET /no-brackets 404", "\x00\x01 binary noise")[number % 3]
            handles[number % files].write(broken + "\n")
    finally:
        for handle in handles:
            handle.close()
    return paths


class Delivery:
    """What the sandbox ingress (standing for the edge) logs: one Logpush JSON line per request to a proxied
    host of a tenant, appended to `<folder>/<tenant>/<YYYYMMDD>/edge.log` (plain text: the reader tells gzip
    from its first bytes), the tenant read from the sandbox platform's SQLite file, as Logpush jobs per zone
    deliver to a destination per force."""

    def __init__(self, folder: Path, platform_data: Path) -> None:
        self.folder, self.platform_data = folder, platform_data
        self.lock = threading.Lock()

    def tenant_of(self, host: str) -> str | None:
        if not self.platform_data.exists():
            return None
        try:
            with sqlite3.connect(f"{self.platform_data.as_uri()}?mode=ro", uri=True, timeout=5) as db:
                found = db.execute("SELECT tenant_id FROM domains WHERE domain = ?", (host,)).fetchone()
        except sqlite3.Error:
            return None
        return found[0] if found else None

    def __call__(self, host: str, target: str, status: int, client: str) -> None:
        tenant = self.tenant_of(host)
        if tenant is None or not tenant.replace("-", "").replace("_", "").isalnum():
            return
        when = datetime.now(UTC)
        line = json_line(host, target, status, when.replace(tzinfo=None), client)
        out = self.folder / tenant / f"{when:%Y%m%d}"
        with self.lock:
            out.mkdir(parents=True, exist_ok=True)
            with (out / "edge.log").open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
