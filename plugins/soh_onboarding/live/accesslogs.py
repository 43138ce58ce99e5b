"""The edge's access logs after go-live: which old URLs still answer 404 Not Found or 410 Gone, and how often.

The redirect map was made from a crawl; the public's links, bookmarks and search results reach URLs no crawl
found. Their requests are in the access logs of the old domains, so counting the 404s and 410s there, busiest
first, shows what the map missed (GOV.UK's transition tool does the same with its redirector's logs).

Read line by line from any number of files, plain or gzip (told by their first bytes, not their names), so a
day of a busy force's logs is never held in memory. Three formats, told apart per line:

- the common log format: `host ident user [time] "GET /path HTTP/1.1" status bytes`;
- the combined log format: the same, then `"referer" "user agent"`;
- JSON lines of Cloudflare Logpush's http_requests dataset: `ClientRequestHost`, `ClientRequestMethod`,
  `ClientRequestURI`, `EdgeResponseStatus` (other fields are ignored).

A line that is none of these is counted as malformed, with the first few kept as examples (file and line),
never fatal: a log shipper's partial last line must not lose a day's count. Memory is bounded whatever the
traffic: at most `MAX_TRACKED` distinct old URLs are counted; past that the rarest are dropped and their hits
summed in `dropped_hits`, so a scanner trying random URLs cannot exhaust it (the busiest, which matter, stay
exact unless millions of distinct URLs each come more often than they do).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

MISSING = (404, 410)
"""The statuses counted: not found, and gone (a deliberate retirement, listed apart)."""
MAX_TRACKED = 100_000
"""Distinct old URLs counted at most (about 20 MB); past it the rarest half is dropped."""
EXAMPLES = 5

_CLF = re.compile(
    r'(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) (?P<target>\S+)(?: HTTP/\d(?:\.\d)?)?" '
    r'(?P<status>\d{3}) (?:\d+|-)(?: "[^"]*" "[^"]*")?\s*'
)


@dataclass(frozen=True)
class Request:
    """One request of a log line: the host (empty for the common formats, which do not carry it), the
    method, the path and query as sent, and the status the edge answered."""

    host: str
    method: str
    target: str
    status: int


class Malformed(ValueError):
    """A line in none of the formats."""


def parse_line(line: str) -> Request:
    """The request of one log line, in any of the three formats; Malformed when it is none of them."""
    text = line.strip()
    if text.startswith("{"):
        try:
            entry = json.loads(text)
        except ValueError:
            raise Malformed("a JSON line that does not parse") from None
        if not isinstance(entry, dict):
            raise Malformed("a JSON line that is not an object")
        try:
            status = int(entry["EdgeResponseStatus"])
            target = str(entry["ClientRequestURI"])
        except (KeyError, TypeError, ValueError):
            raise Malformed("a JSON line without ClientRequestURI and a numeric EdgeResponseStatus") from None
        host = str(entry.get("ClientRequestHost") or "").lower()
        return Request(host, str(entry.get("ClientRequestMethod") or "GET").upper(), target, status)
    found = _CLF.fullmatch(text)
    if found is None:
        raise Malformed("not the common or combined log format, nor a JSON line")
    return Request("", found["method"], found["target"], int(found["status"]))


@dataclass
class Tally:
    """What a day's logs say about the old domains: requests seen, and hits per old URL (path and query,
    as sent) that answered 404 or 410."""

    lines: int = 0
    requests: int = 0
    """Requests for the old domains (a line of the common formats always counts: its file is theirs)."""
    other_hosts: int = 0
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    hits: dict[tuple[str, int], int] = field(default_factory=dict)
    """(target, status) -> hits."""
    dropped_hits: int = 0
    """Hits of rare URLs dropped to keep the count bounded (MAX_TRACKED)."""
    files: list[str] = field(default_factory=list)

    def add(self, request: Request, old_hosts: frozenset[str]) -> None:
        if request.host and request.host not in old_hosts:
            self.other_hosts += 1
            return
        self.requests += 1
        if request.status not in MISSING or request.method not in ("GET", "HEAD"):
            return
        key = (request.target, request.status)
        self.hits[key] = self.hits.get(key, 0) + 1
        if len(self.hits) > MAX_TRACKED:
            self._drop_rarest()

    def _drop_rarest(self) -> None:
        ordered = sorted(self.hits.items(), key=lambda item: item[1], reverse=True)
        keep = MAX_TRACKED // 2
        self.dropped_hits += sum(count for _, count in ordered[keep:])
        self.hits = dict(ordered[:keep])

    def busiest(self) -> list[tuple[str, int, int]]:
        """(target, status, hits), busiest first, then by target."""
        return sorted(((t, s, n) for (t, s), n in self.hits.items()), key=lambda row: (-row[2], row[0], row[1]))


def _text_lines(handle: IO[bytes]) -> Iterator[str]:
    """The lines of a binary stream, gunzipped when it starts with gzip's magic bytes."""
    buffered = handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(handle)  # type: ignore[arg-type]
    stream: IO[bytes] = gzip.GzipFile(fileobj=buffered) if buffered.peek(2)[:2] == b"\x1f\x8b" else buffered
    yield from io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")


def count(
    sources: Iterable[tuple[str, Any]],
    old_hosts: Iterable[str],
    tally: Tally | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Tally:
    """Count the 404s and 410s of `sources` ((name, opener) pairs: `opener()` returns a binary stream, so a
    file is opened only when its turn comes). `old_hosts`: the old domains (JSON lines for other hosts are
    counted apart). `progress` hears one line per file read."""
    tally = tally or Tally()
    hosts = frozenset(host.lower() for host in old_hosts)
    for name, opener in sources:
        tally.files.append(name)
        with opener() as handle:
            try:
                for number, line in enumerate(_text_lines(handle), start=1):
                    if not line.strip():
                        continue
                    tally.lines += 1
                    try:
                        request = parse_line(line)
                    except Malformed as why:
                        tally.malformed += 1
                        if len(tally.malformed_examples) < EXAMPLES:
                            tally.malformed_examples.append(f"{name}:{number}: {why}")
                        continue
                    tally.add(request, hosts)
            except (OSError, EOFError) as broken:  # a truncated gzip: what was read counts, the rest is said
                tally.malformed += 1
                if len(tally.malformed_examples) < EXAMPLES:
                    tally.malformed_examples.append(f"{name}: the file ends early or is damaged ({broken})")
        progress(f"read {name}: {tally.lines} lines so far, {sum(tally.hits.values())} hits on 404 or 410")
    return tally
