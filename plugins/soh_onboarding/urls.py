"""URL canonicalisation and the crawl's scope: which URLs are the same page, and which may be fetched.

GOV.UK transition practice: canonicalise every old URL before mapping it, so one page has one URL in the
inventory however it was linked (case, trailing slash, tracking parameters, session ids, host alias).

Decisions (each a parameter of `canonicalise`, defaults chosen for the SharePoint/IIS sites forces run):
- **Case** (`case_insensitive=True`): IIS and SharePoint serve `/News/Item.aspx` and `/news/item.aspx` as
  the same page, so the path and the query parameter *names* are lower-cased. Query *values* keep their case
  (they may be identifiers). Pass `case_insensitive=False` for a case-sensitive (e.g. Apache) legacy site.
- **Trailing slash** (`trailing_slash=False`): `/news/` and `/news` are one page; the canonical form has no
  trailing slash, except the root `/`. Pass `trailing_slash=True` to keep a slash on every directory path.
- **Directory index pages** (`strip_index=True`): `/news/default.aspx`, `/news/index.html` (see
  `INDEX_PAGES`) serve the same page as `/news/`, so the index file name is dropped. The mapping rules then
  see `/news`, which is the listing page, not a piece of content: it ends up `unresolved` unless a rule
  names it, which is what a person should decide.
- Scheme and host lower-cased, default ports dropped, userinfo dropped (never part of a page's identity),
  fragment dropped, dot segments resolved, duplicate slashes collapsed, percent-encoding normalised
  (unreserved characters decoded, escapes upper-case, escaped delimiters such as %2F kept escaped).
- Query: tracking parameters (`utm_*`, `gclid`, …) and session parameters dropped; the rest kept (e.g.
  `?page=2` of a listing), sorted by name (stable, so repeated names keep their order).
- Session ids in the path: `;jsessionid=…` path parameters and ASP.NET cookieless `(S(…))` segments dropped.
- A backslash in the host part is refused (NotAWebURL): browsers and Python disagree about the host.

The scope (`Scope`) answers the crawler's two questions: may this URL be fetched (scheme, host, port,
include/exclude patterns), and may this resolved address be connected to (no private, loopback or
link-local address unless the spec allows it; never multicast, reserved or unspecified). The crawler
calls `resolve_and_check` before every request, including every redirect hop, and connects only to the
addresses it returned (so a second DNS answer cannot rebind the host to a private address).

`connect_to` (the spec's legacy_site.crawl.connect_to, as curl's --connect-to): some legacy host names are
fetched from another address, e.g. the CMS's origin behind a CDN that blocks crawlers, or a local copy. Only
the connection moves: URLs, links, sitemaps, the Host header, TLS server name and the redirect map keep the
public names. The address check applies to where the connection really goes.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from soh_onboarding import patterns

DEFAULT_PORTS = {"http": 80, "https": 443}
WEB_SCHEMES = frozenset(DEFAULT_PORTS)

#: Query parameters that only track a visit; they never change the page.
TRACKING_PARAMETERS = frozenset(
    {
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "yclid",
        "twclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
    }
)
TRACKING_PREFIXES = ("utm_",)
#: Query parameters that carry a session; they never change the page either.
SESSION_PARAMETERS = frozenset({"jsessionid", "phpsessid", "aspsessionid", "sessionid", "cfid", "cftoken"})

#: File names that serve a directory's page on IIS/SharePoint and common servers.
INDEX_PAGES = frozenset({"default.aspx", "default.asp", "default.htm", "default.html", "index.html", "index.htm"})

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SAFE_IN_PATH = "-._~!$&'()*+,;=:@/"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_JSESSIONID = re.compile(r";jsessionid=[^/;?#]*", re.IGNORECASE)
_COOKIELESS_SESSION = re.compile(r"\((?:[A-Za-z]\([^()/]*\))+\)")


class NotAWebURL(ValueError):
    """The URL is not an absolute http(s) URL with a host (mailto:, javascript:, a bare path without base)."""


@functools.lru_cache(maxsize=8)
def _plain(safe: str) -> re.Pattern[str]:
    """Text that `_normalise_escapes` gives back as it is (lower-cased or not): no escape, and only characters
    that `quote(..., safe=safe)` keeps, so decoding, quoting and re-joining would change nothing else."""
    return re.compile("[" + re.escape("".join(sorted(_UNRESERVED | set(safe)))) + "]*")


def _normalise_escapes(text: str, *, lower: bool, safe: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, encode what must be encoded.

    Escapes of delimiters (%2F, %3F, %25, …) stay escaped: decoding them would change the URL's structure.
    Everything else is decoded to bytes, read as UTF-8 (undecodable bytes survive as surrogates),
    optionally lower-cased, and quoted again, so `%c3%a9`, `%C3%A9` and `é` all become `%C3%A9`.
    """
    if _plain(safe).fullmatch(text):  # most URLs: nothing to decode or encode, so skip the byte-by-byte walk
        return text.lower() if lower else text
    return _walk_escapes(text, lower=lower, safe=safe)


def _walk_escapes(text: str, *, lower: bool, safe: str) -> str:
    """`_normalise_escapes` the long way, byte by byte: for text with escapes or characters to encode."""
    out: list[str] = []
    pending = bytearray()

    def flush() -> None:
        if pending:
            decoded = pending.decode("utf-8", errors="surrogateescape")
            if lower:
                decoded = decoded.lower()
            out.append(quote(decoded, safe=safe, errors="surrogateescape"))
            pending.clear()

    position = 0
    while position < len(text):
        match = _ESCAPE.match(text, position)
        if match:
            byte = int(match.group(1), 16)
            if byte < 0x80 and chr(byte) not in _UNRESERVED:
                flush()
                out.append("%" + match.group(1).upper())
            else:
                pending.append(byte)
            position = match.end()
        else:
            pending += text[position].encode("utf-8", errors="surrogatepass")
            position += 1
    flush()
    return "".join(out)


def dot_segments(path: str) -> tuple[str, bool]:
    """The first '.' or '..' segment of a path ("" if none), and whether the path climbs above its root
    (more '..' than segments before them, at any point). The path is read as it is: decode it first."""
    first, depth, climbs = "", 0, False
    for segment in path.split("/"):
        if segment in (".", ".."):
            first = first or segment
            depth -= segment == ".."
            climbs = climbs or depth < 0
        elif segment:
            depth += 1
    return first, climbs


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on a path that starts with /: the `.` and `..` segments resolved."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if path.split("/")[-1] in (".", ".."):
        output.append("")
    return "/" + "/".join(output)


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    if ":" in host:  # an IPv6 literal
        return f"[{ipaddress.ip_address(host.split('%')[0]).compressed}]"
    with contextlib.suppress(UnicodeError):  # a name IDNA refuses (e.g. with _) is kept as it is
        host = host.encode("idna").decode("ascii")
    return host


def canonicalise(
    url: str,
    *,
    base: str | None = None,
    case_insensitive: bool = True,
    trailing_slash: bool = False,
    strip_index: bool = True,
) -> str:
    """The canonical form of a URL (see the module's docstring for each decision).

    Raises NotAWebURL for anything that is not (or does not resolve to) an absolute http(s) URL.
    """
    url = url.strip()
    if base is not None:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as error:
        raise NotAWebURL(f"{url!r}: {error}") from error
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not hostname:
        raise NotAWebURL(f"{url!r} is not an absolute http(s) URL")
    if "\\" in parts.netloc:  # browsers read \ as /, Python as part of the host: refuse the ambiguity
        raise NotAWebURL(f"{url!r} has a backslash in its host part")
    try:
        host = _host(hostname)
    except ValueError as error:
        raise NotAWebURL(f"{url!r}: {error}") from error
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"

    # Escapes first, so a session id or dot segment spelt with escapes (%6Asessionid, %2E%2E) is seen too.
    path = _normalise_escapes(parts.path, lower=case_insensitive, safe=_SAFE_IN_PATH)
    path = _JSESSIONID.sub("", path)
    path = "/".join(s for s in path.split("/") if not _COOKIELESS_SESSION.fullmatch(s))
    path = re.sub("/{2,}", "/", "/" + path)
    path = remove_dot_segments(path)
    while strip_index:
        head, _, last = path.rstrip("/").rpartition("/")
        if last.lower() not in INDEX_PAGES:
            break
        path = head + "/"
    if path != "/":
        path = path.rstrip("/") + ("/" if trailing_slash else "")
    return urlunsplit((scheme, netloc, path, _canonical_query(parts.query, case_insensitive), ""))


def _canonical_query(query: str, case_insensitive: bool) -> str:
    kept = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        key = name.lower()
        if key in TRACKING_PARAMETERS or key in SESSION_PARAMETERS or key.startswith(TRACKING_PREFIXES):
            continue
        kept.append((key if case_insensitive else name, value))
    kept.sort(key=lambda pair: pair[0])
    return urlencode(kept, quote_via=quote, safe="-._~")


@dataclass(frozen=True)
class Decision:
    """Whether something is allowed, and why (the reason goes into the crawl log and report)."""

    allowed: bool
    reason: str
    addresses: tuple[str, ...] = ()
    port: int | None = None  # where resolve_and_check's addresses are connected to (connect_to may move it)

    def __bool__(self) -> bool:
        return self.allowed


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(address.strip("[]").split("%")[0])


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str, *, allow_private: bool = False) -> str | None:
    """Why an address must not be connected to, or None when it may.

    Always refused: multicast, reserved, unspecified (0.0.0.0 and :: reach the local host).
    Refused unless allow_private: private, loopback, link-local, shared (CGNAT) and any other non-global
    address. An IPv6 address standing for an IPv4 one (::ffff:127.0.0.1, 6to4, NAT64) is judged as that.
    """
    try:
        ip = _ip(address)
    except ValueError:
        return f"'{address}' is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)) is not None:
        problem = address_problem(str(embedded), allow_private=allow_private)
        return f"{ip} stands for {embedded}: {problem}" if problem else None
    for kind in ("unspecified", "multicast"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is an {kind} address"
    for kind in ("loopback", "link_local"):  # before reserved: ::1 is in IPv6's reserved ::/8
        if getattr(ip, f"is_{kind}"):
            return None if allow_private else f"{ip} is a {kind.replace('_', '-')} address"
    if ip.is_reserved:  # before private: Python counts 240.0.0.0/4 as private too
        return f"{ip} is a reserved address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return None if allow_private else f"{ip} is a private address"
    if allow_private:
        return None
    if not ip.is_global:
        return f"{ip} is not a globally reachable address"
    return None


Resolver = Callable[..., Iterable[tuple[Any, ...]]]

#: host or host:port (lower-case) -> (host or address, port) the connection goes to instead
ConnectTo = Mapping[str, tuple[str, int]]


_HOST_PORT = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[^\s:/\[\]@?#]+))(?::(?P<port>[^:]*))?")


def split_host_port(text: str) -> tuple[str, int | None]:
    """'name:port', '[v6]:port' or a bare name -> (name, port or None); ValueError saying what is wrong."""
    match = _HOST_PORT.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"'{text}' is not a host or host:port")
    port = match["port"]
    if port is None:
        return match["v6"] or match["name"], None
    if not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535:
        raise ValueError(f"'{port}' is not a port (1 to 65535)")
    return match["v6"] or match["name"], int(port)


def parse_connect_to(mapping: Mapping[str, str] | None) -> dict[str, tuple[str, int]]:
    """The spec's connect_to map, checked: each target must be host:port (the spec rules say where not)."""
    parsed: dict[str, tuple[str, int]] = {}
    for key, value in (mapping or {}).items():
        host, port = split_host_port(key)
        target, target_port = split_host_port(value)
        if target_port is None:
            raise ValueError(f"connect_to {key}: '{value}' has no port (give address:port)")
        parsed[host if port is None else f"{host}:{port}"] = (target, target_port)
    return parsed


def connect_target(host: str, port: int, connect_to: ConnectTo | None) -> tuple[str, int]:
    """Where a connection for host:port really goes: its connect_to entry (host:port first, then the bare
    host, as curl matches), else the host itself."""
    if connect_to:
        name = host.strip("[]").lower()
        found = connect_to.get(f"{name}:{port}") or connect_to.get(name)
        if found:
            return found
    return host, port


@dataclass(frozen=True)
class Scope:
    """What the crawler may fetch for one force: built from the spec's legacy_site section."""

    base_url: str
    hosts: frozenset[str]
    ports: frozenset[int]
    include: tuple[patterns.Pattern, ...] = ()
    exclude: tuple[patterns.Pattern, ...] = ()
    allow_private_addresses: bool = False
    case_insensitive: bool = True
    connect_to: ConnectTo = field(default_factory=dict, hash=False, compare=False)
    base_host: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_host", urlsplit(self.base_url).netloc)

    @classmethod
    def from_spec(cls, spec_data: Mapping[str, Any] | Any, *, case_insensitive: bool = True) -> Scope:
        """From a spec's data (the whole spec, or just its legacy_site section, or a ForceSpec)."""
        data = getattr(spec_data, "data", spec_data)
        legacy = data.get("legacy_site", data)
        base_url = canonicalise(legacy["base_url"], case_insensitive=case_insensitive)
        base = urlsplit(base_url)
        hosts = {_host(base.hostname or ""), *(_host(h) for h in legacy.get("other_domains", []))}
        crawl = legacy.get("crawl", {})
        return cls(
            base_url=base_url,
            hosts=frozenset(hosts),
            ports=frozenset({80, 443, base.port or DEFAULT_PORTS[base.scheme]}),
            include=tuple(patterns.compile(p) for p in legacy.get("include_patterns", [])),
            exclude=tuple(patterns.compile(p) for p in legacy.get("exclude_patterns", [])),
            allow_private_addresses=bool(crawl.get("allow_private_addresses", False)),
            case_insensitive=case_insensitive,
            connect_to=parse_connect_to(crawl.get("connect_to")),
        )

    def canonicalise(self, url: str, *, base: str | None = None) -> str:
        """canonicalise(), and a URL on one of the other domains moved onto the base URL's scheme and host.

        other_domains serve the same site, so http://thamesvalley.police.uk/a and
        https://www.thamesvalley.police.uk/a are one page: one entry in the inventory, one mapping.
        """
        canonical = canonicalise(url, base=base, case_insensitive=self.case_insensitive)
        return self._onto_base(canonical, urlsplit(canonical))

    def _onto_base(self, canonical: str, parts: Any) -> str:
        base_port = urlsplit(self.base_url).port
        if parts.hostname in self.hosts and parts.port in (None, DEFAULT_PORTS.get(parts.scheme), base_port):
            scheme, netloc = urlsplit(self.base_url)[:2]
            canonical = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
        return canonical

    def legacy_canonical(self, url: str) -> str | None:
        """The canonical old URL of a link to the legacy site's domains, or None for any other link.

        is_legacy() and canonicalise() with one canonicalisation: re-linking asks both of every link.
        """
        try:
            canonical = canonicalise(url, case_insensitive=self.case_insensitive)
        except NotAWebURL:
            return None
        parts = urlsplit(canonical)
        return self._onto_base(canonical, parts) if parts.hostname in self.hosts else None

    def is_legacy(self, url: str, *, base: str | None = None) -> bool:
        """Whether a URL is on the legacy site's domains (whatever its path)."""
        try:
            return urlsplit(canonicalise(url, base=base)).hostname in self.hosts
        except NotAWebURL:
            return False

    def in_scope(self, url: str, *, base: str | None = None) -> Decision:
        """May the crawler fetch this URL? Host exactly one of the legacy domains, http(s), path patterns."""
        try:
            canonical = canonicalise(url, base=base, case_insensitive=self.case_insensitive)
        except NotAWebURL as error:
            return Decision(False, str(error))
        if "@" in urlsplit(urljoin(base, url) if base else url.strip()).netloc:
            return Decision(False, "a URL with credentials (user@host) is never followed")
        return self.canonical_in_scope(canonical)

    def canonical_in_scope(self, canonical: str) -> Decision:
        """in_scope() for a URL already in canonical form (as the crawler holds them): no second canonicalisation."""
        parts = urlsplit(canonical)
        if parts.hostname not in self.hosts:
            return Decision(False, f"host '{parts.hostname}' is not one of the legacy site's domains")
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        if port not in self.ports:
            return Decision(False, f"port {port} is not the legacy site's")
        if self.include and not any(p.search(parts.path) for p in self.include):
            return Decision(False, f"path '{parts.path}' matches none of include_patterns")
        for pattern in self.exclude:
            if pattern.search(parts.path):
                return Decision(False, f"path '{parts.path}' matches exclude pattern '{pattern.pattern}'")
        return Decision(True, "on the legacy site")

    def resolve_and_check(self, host: str, port: int, resolver: Resolver = socket.getaddrinfo) -> Decision:
        """resolve_and_check() of where a connection to host:port goes (connect_to applied)."""
        return resolve_and_check(
            host, port, resolver=resolver, allow_private=self.allow_private_addresses, connect_to=self.connect_to
        )


def check_resolved(host: str, addresses: Iterable[str], *, allow_private: bool = False) -> Decision:
    """Every address a host resolved to must be allowed; Decision.addresses are the ones to connect to."""
    found = tuple(dict.fromkeys(addresses))
    if not found:
        return Decision(False, f"{host} did not resolve to any address")
    for address in found:
        if problem := address_problem(address, allow_private=allow_private):
            return Decision(False, f"{host} resolves to {problem}")
    return Decision(True, f"{host} resolves to {', '.join(found)}", found)


def resolve_and_check(
    host: str,
    port: int,
    *,
    resolver: Resolver = socket.getaddrinfo,
    allow_private: bool = False,
    connect_to: ConnectTo | None = None,
) -> Decision:
    """Resolve a host (before a request and after every redirect) and check every address it gave.

    The crawler connects only to Decision.addresses, so the host cannot be re-resolved to somewhere else.
    With a connect_to entry for host:port, its target is resolved and checked instead (the connection
    goes there; Decision.port says on which port).
    """
    target, target_port = connect_target(host, port, connect_to)
    shown = host if (target, target_port) == (host, port) else f"{host} (connect_to {target}:{target_port})"
    try:
        answers = resolver(target.strip("[]"), target_port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        return Decision(False, f"{shown} did not resolve: {error}")
    decision = check_resolved(shown, (str(sockaddr[0]) for *_, sockaddr in answers), allow_private=allow_private)
    return Decision(decision.allowed, decision.reason, decision.addresses, target_port)
