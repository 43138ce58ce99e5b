"""URL canonicalisation, the crawl's scope and address checks, and the old-URL → new-URL mapping."""

from __future__ import annotations

import copy
import csv
import io
import socket
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SPECS
from soh_onboarding.migration.mapping import (
    LinkLookup,
    Mapper,
    make_unique,
    normalise_new_path,
    redirects_csv,
    rewrite_links,
    write_redirects_csv,
)
from soh_onboarding.urls import (
    NotAWebURL,
    Scope,
    _normalise_escapes,
    _walk_escapes,
    address_problem,
    canonicalise,
    check_resolved,
    connect_target,
    parse_connect_to,
    resolve_and_check,
)

TVP = "https://www.thamesvalley.police.uk"


def _spec(name: str) -> dict:
    return yaml.safe_load((SPECS / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tvp() -> dict:
    return _spec("thames-valley")


@pytest.fixture(scope="module")
def demo() -> dict:
    return _spec("demo")


# --- canonicalise ---------------------------------------------------------------------------------------

CANONICAL = [
    # case: scheme, host and (IIS/SharePoint) path lower-cased; query values keep their case
    ("HTTPS://WWW.ThamesValley.Police.UK/News/Man-Arrested.aspx", f"{TVP}/news/man-arrested.aspx"),
    (f"{TVP}/Search.aspx?Q=Burglary", f"{TVP}/search.aspx?q=Burglary"),
    # trailing slash: one page, no slash except the root
    (f"{TVP}/news/", f"{TVP}/news"),
    (f"{TVP}/news///", f"{TVP}/news"),
    (TVP, f"{TVP}/"),
    (f"{TVP}/", f"{TVP}/"),
    # directory index pages
    (f"{TVP}/news/default.aspx", f"{TVP}/news"),
    (f"{TVP}/news/Default.aspx/", f"{TVP}/news"),
    (f"{TVP}/index.html", f"{TVP}/"),
    (f"{TVP}/news/default-ish.aspx", f"{TVP}/news/default-ish.aspx"),
    # default ports dropped, others kept
    ("http://www.thamesvalley.police.uk:80/a", "http://www.thamesvalley.police.uk/a"),
    (f"{TVP}:443/a", f"{TVP}/a"),
    ("http://www.thamesvalley.police.uk:443/a", "http://www.thamesvalley.police.uk:443/a"),
    (f"{TVP}:8443/a", f"{TVP}:8443/a"),
    # fragments dropped
    (f"{TVP}/a.aspx#top", f"{TVP}/a.aspx"),
    # tracking parameters dropped, significant ones kept and sorted
    (f"{TVP}/news?utm_source=tw&utm_medium=social&page=2", f"{TVP}/news?page=2"),
    (f"{TVP}/news?gclid=1&fbclid=2&mc_cid=3&mc_eid=4&_ga=5&msclkid=6", f"{TVP}/news"),
    (f"{TVP}/news?type=appeal&page=2", f"{TVP}/news?page=2&type=appeal"),
    (f"{TVP}/news?", f"{TVP}/news"),
    # session ids
    (f"{TVP}/a.aspx;jsessionid=0123ABC?page=2", f"{TVP}/a.aspx?page=2"),
    (f"{TVP}/news;JSESSIONID=x/item.aspx", f"{TVP}/news/item.aspx"),
    (f"{TVP}/(S(lit3py55t21z5v55vlm25s55))/orderform.aspx", f"{TVP}/orderform.aspx"),
    (f"{TVP}/(X(1)S(abc123)F(zz))/news/a.aspx", f"{TVP}/news/a.aspx"),
    (f"{TVP}/a?PHPSESSID=1&JSessionId=2&x=1", f"{TVP}/a?x=1"),
    # percent-encoding: unreserved decoded, escapes upper-case, delimiters stay escaped
    (f"{TVP}/%7Euser/%61bc", f"{TVP}/~user/abc"),
    (f"{TVP}/a%2fb", f"{TVP}/a%2Fb"),
    (f"{TVP}/annual%20report.pdf", f"{TVP}/annual%20report.pdf"),
    (f"{TVP}/annual report.pdf", f"{TVP}/annual%20report.pdf"),
    (f"{TVP}/caf%C3%A9", f"{TVP}/caf%C3%A9"),
    (f"{TVP}/CAF%C3%89", f"{TVP}/caf%C3%A9"),
    (f"{TVP}/café", f"{TVP}/caf%C3%A9"),
    (f"{TVP}/100%", f"{TVP}/100%25"),
    (f"{TVP}/a?q=a+b", f"{TVP}/a?q=a%20b"),
    # dot segments
    (f"{TVP}/a/b/../c/./d.aspx", f"{TVP}/a/c/d.aspx"),
    (f"{TVP}/../../a", f"{TVP}/a"),
    (f"{TVP}/a/%2E%2E/b", f"{TVP}/b"),
    # userinfo is never part of a page's identity
    ("https://user:secret@www.thamesvalley.police.uk/a", f"{TVP}/a"),
    # IPv6 literal hosts
    ("http://[::1]:80/a/", "http://[::1]/a"),
    ("http://[0:0:0:0:0:0:0:1]:8081/", "http://[::1]:8081/"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonicalise(url: str, expected: str) -> None:
    assert canonicalise(url) == expected
    assert canonicalise(expected) == expected


RELATIVE = [
    ("../appeals/witness.aspx", f"{TVP}/news/berkshire/item.aspx", f"{TVP}/news/appeals/witness.aspx"),
    ("/Contact-Us.aspx", f"{TVP}/news/item.aspx", f"{TVP}/contact-us.aspx"),
    ("other.aspx?page=3#x", f"{TVP}/news/item.aspx", f"{TVP}/news/other.aspx?page=3"),
    ("//thamesvalley.police.uk/a", f"{TVP}/news/item.aspx", "https://thamesvalley.police.uk/a"),
    ("?page=2", f"{TVP}/news", f"{TVP}/news?page=2"),
]


@pytest.mark.parametrize(("link", "base", "expected"), RELATIVE)
def test_canonicalise_relative(link: str, base: str, expected: str) -> None:
    assert canonicalise(link, base=base) == expected


def test_canonicalise_parameters() -> None:
    url = f"{TVP}/News/Default.aspx"
    assert canonicalise(url, case_insensitive=False) == f"{TVP}/News"
    assert canonicalise(url, strip_index=False) == f"{TVP}/news/default.aspx"
    assert canonicalise(f"{TVP}/news", trailing_slash=True) == f"{TVP}/news/"
    assert canonicalise(f"{TVP}/", trailing_slash=True) == f"{TVP}/"


@pytest.mark.parametrize(
    "url",
    [
        "mailto:a@b.uk",
        "javascript:alert(1)",
        "ftp://www.thamesvalley.police.uk/",
        "/relative/only",
        "https://",
        "tel:101",
    ],
)
def test_canonicalise_refuses_non_web_urls(url: str) -> None:
    with pytest.raises(NotAWebURL):
        canonicalise(url)


@settings(max_examples=500)
@given(
    text=st.lists(st.sampled_from([*"aZ09-._~!$&'()*+,;=:@/%2Fc3A9é \"<>[]{}|^`#?\\", "%2F", "%c3%a9"])).map("".join),
    lower=st.booleans(),
)
def test_the_fast_path_for_plain_paths_gives_what_the_byte_walk_gives(text: str, lower: bool) -> None:
    """Paths with nothing to decode or encode skip the walk (most links): the answer must not change."""
    safe = "-._~!$&'()*+,;=:@/"
    assert _normalise_escapes(text, lower=lower, safe=safe) == _walk_escapes(text, lower=lower, safe=safe)


def test_canonicalise_refuses_backslash_in_host() -> None:
    with pytest.raises(NotAWebURL):
        canonicalise("https://evil.com\\@www.thamesvalley.police.uk/")


# --- scope ----------------------------------------------------------------------------------------------

SCOPE = [
    (f"{TVP}/news/a.aspx", True),
    ("https://thamesvalley.police.uk/news/a.aspx", True),  # other_domains
    ("http://WWW.THAMESVALLEY.POLICE.UK/news", True),
    ("https://www.thamesvalley.police.uk./news", True),  # trailing dot of a fully-qualified name
    ("https://evil-thamesvalley.police.uk/", False),
    ("https://thamesvalley.police.uk.evil.com/", False),
    ("https://sub.thamesvalley.police.uk/", False),
    ("https://www.thamesvalley.police.uk@evil.com/", False),
    ("https://evil.com@www.thamesvalley.police.uk/", False),  # credentials: never followed
    ("https://evil.com\\@www.thamesvalley.police.uk/", False),
    ("ftp://www.thamesvalley.police.uk/", False),
    ("javascript:alert(1)", False),
    (f"{TVP}:22/", False),
    (f"{TVP}/_layouts/15/start.aspx", False),  # exclude_patterns
    (f"{TVP}/_LAYOUTS/15/start.aspx", False),  # ... on the canonical (lower-case) path
    (f"{TVP}/Search/results.aspx?q=x", False),
    (f"{TVP}/events/calendar/2026/11", False),
    (f"{TVP}/events/summer-fair.aspx", True),
]


@pytest.mark.parametrize(("url", "allowed"), SCOPE)
def test_scope(tvp: dict, url: str, allowed: bool) -> None:
    decision = Scope.from_spec(tvp).in_scope(url)
    assert decision.allowed is allowed, decision.reason
    assert decision.reason


def test_scope_include_patterns_and_reasons(tvp: dict) -> None:
    legacy = {**tvp["legacy_site"], "include_patterns": ["^/news/", "^/appeals/"]}
    scope = Scope.from_spec({"legacy_site": legacy})
    assert scope.in_scope(f"{TVP}/News/a.aspx")
    assert not scope.in_scope(f"{TVP}/advice/a.aspx")
    assert "include_patterns" in scope.in_scope(f"{TVP}/advice/a.aspx").reason
    assert "exclude pattern '^/search/'" in Scope.from_spec(tvp).in_scope(f"{TVP}/search/x").reason
    assert "not one of the legacy site's domains" in scope.in_scope("https://evil.com/news/").reason


def test_scope_relative_links_and_base_port(demo: dict) -> None:
    scope = Scope.from_spec(demo["legacy_site"] | {"base_url": "http://127.0.0.1:8081/"})
    assert scope.in_scope("/news/a.aspx", base="http://127.0.0.1:8081/index.html")
    assert not scope.in_scope("http://127.0.0.1:8082/")
    assert not scope.in_scope("http://127.0.0.1:8081/calendar/2026")
    # the demo itself: its public names on their default port, wherever connect_to fetches them from
    public = Scope.from_spec(demo)
    assert public.in_scope("/news/a.aspx", base="http://demoshire-police.example/index.html")
    assert not public.in_scope("http://www.demoshire-police.example:8081/")
    assert not public.in_scope("http://127.0.0.1:8081/")


def test_scope_folds_other_domains_onto_the_base_host(tvp: dict) -> None:
    scope = Scope.from_spec(tvp)
    assert scope.canonicalise("http://ThamesValley.police.uk/News/A.aspx") == f"{TVP}/news/a.aspx"
    assert scope.canonicalise("https://example.org/A") == "https://example.org/a"


# --- addresses ------------------------------------------------------------------------------------------

ADDRESSES = [
    ("8.8.8.8", None),
    ("2a00:1450:4009:81f::200e", None),
    ("::ffff:8.8.8.8", None),
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("10.0.0.5", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("100.64.0.1", "not a globally reachable"),  # shared (CGNAT)
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("not-an-ip", "not an IP address"),
]


@pytest.mark.parametrize(("address", "problem"), ADDRESSES)
def test_address_refusal(address: str, problem: str | None) -> None:
    found = address_problem(address)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    ("address", "allowed_with_private"),
    [
        *[("127.0.0.1", True), ("::1", True), ("10.0.0.1", True), ("fe80::1", True), ("::ffff:127.0.0.1", True)],
        *[("0.0.0.0", False), ("224.0.0.1", False), ("240.0.0.1", False), ("::", False), ("ff02::1", False)],
    ],
)
def test_allow_private_addresses_allows_only_private_loopback_link_local(
    address: str, allowed_with_private: bool
) -> None:
    assert (address_problem(address, allow_private=True) is None) is allowed_with_private


def test_localhost_refused_unless_allowed(tvp: dict, demo: dict) -> None:
    refused = Scope.from_spec(tvp).resolve_and_check("localhost", 80)
    assert not refused.allowed and "loopback" in refused.reason and not refused.addresses
    allowed = Scope.from_spec(demo).resolve_and_check("localhost", 8081)
    assert allowed.allowed and allowed.addresses
    assert all(address_problem(a, allow_private=True) is None for a in allowed.addresses)


@pytest.mark.parametrize("literal", ["127.0.0.1", "::1", "169.254.169.254", "10.1.2.3"])
def test_literal_ips_refused_after_resolution(literal: str) -> None:
    assert not resolve_and_check(literal, 443)


def test_resolve_and_check_public_address_with_injected_resolver() -> None:
    def resolver(host: str, port: int, **_: object) -> list[tuple]:
        assert host == "www.thamesvalley.police.uk"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("51.140.1.2", port))]

    decision = resolve_and_check("www.thamesvalley.police.uk", 443, resolver=resolver)
    assert decision.allowed and decision.addresses == ("51.140.1.2",)


def test_one_private_answer_refuses_the_host() -> None:
    def resolver(host: str, port: int, **_: object) -> list[tuple]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("51.140.1.2", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:192.168.0.1", port, 0, 0)),
        ]

    assert not resolve_and_check("rebind.example", 443, resolver=resolver)
    assert not check_resolved("nothing.example", [])


def test_resolver_failure_is_a_refusal() -> None:
    def resolver(host: str, port: int, **_: object) -> list[tuple]:
        raise socket.gaierror("Name or service not known")

    decision = resolve_and_check("no-such-host.invalid", 443, resolver=resolver)
    assert not decision and "did not resolve" in decision.reason


# --- mapping --------------------------------------------------------------------------------------------


def test_thames_valley_mapping(tvp: dict) -> None:
    mapper = Mapper.from_spec(tvp)
    news = mapper.map(f"{TVP}/news/berkshire/Man-Arrested.aspx")
    assert (news.type, news.new_path, news.content_type, news.rule_index) == (
        "redirect",
        "/news/thames-valley/news/berkshire/man-arrested/",
        "news",
        0,
    )
    assert (
        mapper.map(f"{TVP}/news/force-update.aspx").new_path == "/news/thames-valley/news/thames-valley/force-update/"
    )
    appeal = mapper.map("http://thamesvalley.police.uk/appeals/witness-sought.aspx?utm_source=x")
    assert appeal.old_url == f"{TVP}/appeals/witness-sought.aspx"
    assert (appeal.type, appeal.new_path, appeal.content_type) == (
        "redirect",
        "/news/thames-valley/appeals/witness-sought/",
        "appeal",
    )
    ward = mapper.map(f"{TVP}/your-area/oxford/cowley.aspx")
    assert (ward.new_path, ward.content_type) == ("/a/your-area/thames-valley/oxford/cowley/", "neighbourhood")
    assert mapper.map(f"{TVP}/report-a-crime.aspx").new_path == "/ro/report/ocr/af/how-to-report-a-crime/"
    document = mapper.map(f"{TVP}/documents/Annual-Report.pdf")
    assert document.new_path == "/media/documents/annual-report.pdf"  # the template has no trailing slash
    archived = mapper.map(f"{TVP}/news/archive/2015/old-story.aspx")
    assert (archived.type, archived.new_path, archived.archive_action) == ("archive", None, "gone")
    assert "retention" in archived.reason
    unmatched = mapper.map(f"{TVP}/some/deep/page.html")
    assert (unmatched.type, unmatched.new_path, unmatched.rule_index) == ("unresolved", None, None)


def test_demo_mapping(demo: dict) -> None:
    mapper = Mapper.from_spec(demo)
    base = "http://127.0.0.1:8081"
    assert mapper.map(f"{base}/news/new-station-opens.aspx").new_path == "/news/demo/news/demoshire/new-station-opens/"
    assert mapper.map(f"{base}/appeals/missing-person.aspx").new_path == "/news/demo/appeals/missing-person/"
    assert mapper.map(f"{base}/neighbourhoods/north/abbey.aspx").new_path == "/a/your-area/demo/north/abbey/"
    assert mapper.map(f"{base}/news/archive/old.aspx").type == "archive"
    assert mapper.map(f"{base}/a/b/c").type == "unresolved"


def test_archive_rules_win_over_mapping_rules(tvp: dict) -> None:
    data = {**tvp, "content_mapping": {**tvp["content_mapping"]}}
    data["content_mapping"]["rules"] = [
        {"match": r"^/news/(?P<slug>.+)\.aspx$", "content_type": "news", "new_path": "/news/{force}/{slug}/"}
    ]
    mapper = Mapper.from_spec(data)
    assert mapper.map(f"{TVP}/news/archive/old.aspx").type == "archive"
    assert mapper.map(f"{TVP}/news/recent.aspx").type == "redirect"


def test_unmatched_gone(tvp: dict) -> None:
    data = {**tvp, "content_mapping": {**tvp["content_mapping"], "unmatched": "gone"}}
    mapping = Mapper.from_spec(data).map(f"{TVP}/nowhere/x.html")
    assert (mapping.type, mapping.archive_action, mapping.new_path) == ("archive", "gone", None)


def _collision_spec() -> dict:
    return {
        "force": {"slug": "demo"},
        "content_mapping": {
            "rules": [
                {"match": r"^/a/(?P<slug>[a-z0-9-]+)\.aspx$", "content_type": "page", "new_path": "/{slug}/"},
                {"match": r"^/b/(?P<slug>[a-z0-9-]+)\.aspx$", "content_type": "page", "new_path": "/{slug}/"},
                {
                    "match": r"^/docs/(?P<name>[a-z0-9-]+)\.pdf$",
                    "content_type": "document",
                    "new_path": "/m/{name}.pdf",
                },
                {
                    "match": r"^/files/(?P<name>[a-z0-9-]+)\.pdf$",
                    "content_type": "document",
                    "new_path": "/m/{name}.pdf",
                },
            ]
        },
    }


def test_new_paths_are_unique_and_deterministic() -> None:
    mapper = Mapper.from_spec(_collision_spec())
    urls = [
        "https://old.example/b/x.aspx",
        "https://old.example/a/x.aspx",
        "https://old.example/A/X.aspx",  # the same page as /a/x.aspx
        "https://old.example/a/x-2.aspx",  # already owns /x-2/
        "https://old.example/files/r.pdf",
        "https://old.example/docs/r.pdf",
    ]
    mappings = mapper.map_all(urls)
    by_old = {m.old_url.removeprefix("https://old.example"): m for m in mappings}
    assert len(mappings) == 5  # the duplicate collapsed
    assert by_old["/a/x.aspx"].new_path == "/x/"
    assert by_old["/a/x-2.aspx"].new_path == "/x-2/"
    assert by_old["/b/x.aspx"].new_path == "/x-3/"
    assert "made unique" in by_old["/b/x.aspx"].reason and "/a/x.aspx" in by_old["/b/x.aspx"].reason
    assert by_old["/docs/r.pdf"].new_path == "/m/r.pdf"
    assert by_old["/files/r.pdf"].new_path == "/m/r-2.pdf"
    new_paths = [m.new_path for m in mappings]
    assert len(set(new_paths)) == len(new_paths)
    assert mapper.map_all(reversed(urls)) == mappings


def test_query_variants_are_different_pages(tvp: dict) -> None:
    mappings = Mapper.from_spec(tvp).map_all([f"{TVP}/news/a.aspx?page=2", f"{TVP}/news/a.aspx"])
    assert [m.new_path for m in mappings] == [
        "/news/thames-valley/news/thames-valley/a/",
        "/news/thames-valley/news/thames-valley/a-2/",
    ]


def test_make_unique_leaves_archive_and_unresolved_alone(tvp: dict) -> None:
    mapper = Mapper.from_spec(tvp)
    mappings = [mapper.map(f"{TVP}/news/archive/{n}.aspx") for n in "ab"] + [mapper.map(f"{TVP}/x/y")]
    assert make_unique(mappings) == sorted(mappings, key=lambda m: m.old_url)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("/News//A/", "/news/a/"), ("/media/Doc.PDF", "/media/doc.pdf"), ("/a%2fb", "/a%2Fb"), ("/", "/")],
)
def test_normalise_new_path(raw: str, expected: str) -> None:
    assert normalise_new_path(raw) == expected


# --- links inside content -------------------------------------------------------------------------------


@pytest.fixture
def lookup(tvp: dict) -> LinkLookup:
    mapper = Mapper.from_spec(tvp)
    urls = [f"{TVP}/appeals/witness.aspx", f"{TVP}/news/berkshire/man-arrested.aspx", f"{TVP}/x/unknown.html"]
    urls += [f"{TVP}/news/archive/old.aspx", f"{TVP}/documents/report.pdf"]
    return LinkLookup(mapper.map_all(urls), mapper.scope)


PAGE = f"{TVP}/news/berkshire/today.aspx"


def test_rewrite_links(lookup: LinkLookup) -> None:
    source = (
        '<div class="c">\n<p>See <a class=x HREF="../../appeals/Witness.aspx#more">the appeal</a>,\n'
        "<a href='https://WWW.ThamesValley.Police.UK/news/berkshire/man-arrested.aspx'>abs</a>,\n"
        '<a href="http://thamesvalley.police.uk/appeals/witness.aspx?utm_source=x">alias host</a>,\n'
        '<a href="https://www.gov.uk/report">external</a>, <a href="#top">top</a>, <a href="mailto:a@b.uk">m</a>,\n'
        '<a href="/x/unknown.html">unresolved</a> <a href="/news/archive/old.aspx">gone</a>\n'
        '<img alt="a &amp; b" src="/documents/report.pdf"/></p>\n'
        '<!-- <a href="/appeals/witness.aspx"> --><script>var s = "<a href=\'/appeals/witness.aspx\'>";</script>\n'
        "</div>"
    )
    html_out, changed, unresolved = rewrite_links(source, PAGE, lookup)
    assert changed == 6  # four links rewritten, two unwrapped
    assert '<a class=x HREF="/news/thames-valley/appeals/witness/#more">the appeal</a>' in html_out
    assert '<a href="/news/thames-valley/news/berkshire/man-arrested/">abs</a>' in html_out
    assert '<a href="/news/thames-valley/appeals/witness/">alias host</a>' in html_out
    assert '<img alt="a &amp; b" src="/media/documents/report.pdf"/>' in html_out
    assert '<a href="https://www.gov.uk/report">external</a>, <a href="#top">top</a>' in html_out
    assert '<!-- <a href="/appeals/witness.aspx"> -->' in html_out  # comments and scripts untouched
    assert "<a href='/appeals/witness.aspx'>" in html_out
    assert unresolved == [f"{TVP}/x/unknown.html", f"{TVP}/news/archive/old.aspx"]
    # everything outside the rewritten attribute values is byte for byte the same
    expected = source
    for before, after in [
        ('"../../appeals/Witness.aspx#more"', '"/news/thames-valley/appeals/witness/#more"'),
        (
            f"'{TVP.replace('www.thamesvalley.police.uk', 'WWW.ThamesValley.Police.UK')}/news/berkshire/man-arrested.aspx'",
            '"/news/thames-valley/news/berkshire/man-arrested/"',
        ),
        ('"http://thamesvalley.police.uk/appeals/witness.aspx?utm_source=x"', '"/news/thames-valley/appeals/witness/"'),
        ('"/documents/report.pdf"', '"/media/documents/report.pdf"'),
        # links to old pages without a new home are unwrapped: their text stays, never a link to the old site
        ('<a href="/x/unknown.html">unresolved</a>', "unresolved"),
        ('<a href="/news/archive/old.aspx">gone</a>', "gone"),
    ]:
        assert before in expected
        expected = expected.replace(before, after, 1)
    assert html_out == expected


def test_rewrite_links_can_leave_old_links_in_place(lookup: LinkLookup) -> None:
    source = '<p><a href="/x/unknown.html">unresolved</a> <img src="/x/unknown.png" alt="u"></p>'
    assert rewrite_links(source, PAGE, lookup, unlink_legacy=False) == (
        source,
        0,
        [f"{TVP}/x/unknown.html", f"{TVP}/x/unknown.png"],
    )
    html_out, changed, _ = rewrite_links(source, PAGE, lookup)
    assert (html_out, changed) == ("<p>unresolved </p>", 2)  # unwrapped, and the image from the old site dropped


def test_rewrite_links_rewrites_each_srcset_candidate(lookup: LinkLookup) -> None:
    source = (
        '<img src="/documents/report.pdf" srcset="/documents/report.pdf 1x, https://cdn.example.org/r.png 2x,'
        ' /x/unknown.png 3x" alt="r">'
    )
    html_out, changed, unresolved = rewrite_links(source, PAGE, lookup)
    assert html_out == (
        '<img src="/media/documents/report.pdf" srcset="/media/documents/report.pdf 1x, '
        'https://cdn.example.org/r.png 2x" alt="r">'
    )
    assert changed == 2 and unresolved == [f"{TVP}/x/unknown.png"]


def test_links_to_archive_link_pages_point_at_the_archived_copy(tvp: dict) -> None:
    data = copy.deepcopy(tvp)
    data["content_mapping"]["archive"] = [
        {"match": "^/bulletins/", "action": "archive_link", "reason": "kept in the web archive"}
    ]
    mapper = Mapper.from_spec(data, archive_time="20261120093000")  # when the crawl last saw the site
    [mapping] = mapper.map_all([f"{TVP}/bulletins/week-1.aspx"])
    archived = f"https://webarchive.nationalarchives.gov.uk/ukgwa/20261120093000/{TVP}/bulletins/week-1.aspx"
    assert (mapping.type, mapping.archive_action, mapping.archive_url) == ("archive", "archive_link", archived)
    html_out, changed, unresolved = rewrite_links(
        '<a href="/bulletins/week-1.aspx">week 1</a>', PAGE, LinkLookup([mapping], mapper.scope)
    )
    assert html_out == f'<a href="{archived}">week 1</a>' and changed == 1
    assert unresolved == [f"{TVP}/bulletins/week-1.aspx"]
    rows = list(csv.reader(io.StringIO(redirects_csv([mapping], "https://thamesvalley.soh.example"))))
    assert rows[1] == [f"{TVP}/bulletins/week-1.aspx", "", "archive", archived, "crawl", "", "", ""]

    data["content_mapping"]["archive_url"] = "https://archive.example.org/web/{timestamp}/{old_url}"
    assert Mapper.from_spec(data, "20261120093000").map(f"{TVP}/bulletins/week-1.aspx").archive_url == (
        f"https://archive.example.org/web/20261120093000/{TVP}/bulletins/week-1.aspx"
    )


@pytest.mark.parametrize(
    ("link", "before", "problem"),
    [
        ("https://webarchive.nationalarchives.gov.uk/ukgwa/+/{old_url}", None, "names no capture time"),
        ("https://web.archive.org/web/{old_url}", None, "names no capture time"),
        ("https://webarchive.nationalarchives.gov.uk/ukgwa/{timestamp}/{old_url}", None, None),
        ("https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/https://x/a", date(2026, 12, 1), None),
        ("https://web.archive.org/web/20261201000000/https://x/a", date(2026, 12, 1), "not before the switch"),
        ("https://web.archive.org/web/2027/https://x/a", date(2026, 12, 1), "not before the switch"),
    ],
)
def test_an_archive_link_must_be_pinned_before_the_switch(link: str, before, problem: str | None) -> None:
    from soh_onboarding.migration.archive import archive_pin_problem

    found = archive_pin_problem(link, before)
    assert (found is None) if problem is None else (problem in found), found


def test_rewrite_links_without_legacy_links_changes_nothing(lookup: LinkLookup) -> None:
    source = '<p><a href="https://example.org/">x</a><br><img src="data:image/png;base64,AA=="></p>'
    assert rewrite_links(source, PAGE, lookup) == (source, 0, [])


def test_rewrite_links_honours_base_href(lookup: LinkLookup) -> None:
    source = f'<base href="{TVP}/appeals/"><a href="witness.aspx">w</a>'
    html_out, changed, _ = rewrite_links(source, PAGE, lookup)
    assert changed == 1 and 'href="/news/thames-valley/appeals/witness/"' in html_out


# --- redirects.csv --------------------------------------------------------------------------------------


def test_redirects_csv(tvp: dict, tmp_path: Path) -> None:
    mapper = Mapper.from_spec(tvp)
    urls = [f"{TVP}/news/b.aspx", f"{TVP}/appeals/a.aspx", f"{TVP}/news/archive/x.aspx", f"{TVP}/z/q.html"]
    mappings = mapper.map_all(urls)
    path = write_redirects_csv(tmp_path / "redirects.csv", list(reversed(mappings)), "https://thamesvalley.soh.example")
    text = path.read_bytes().decode("utf-8")
    assert text == redirects_csv(mappings, "https://thamesvalley.soh.example/")
    assert "\r" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["old_url", "new_url", "type", "archive_url", "source", "note", "destination", "suggested_url"],
        [
            f"{TVP}/appeals/a.aspx",
            "https://thamesvalley.soh.example/news/thames-valley/appeals/a/",
            "redirect",
            "",
            "crawl",
            "",
            "",
            "",
        ],
        [f"{TVP}/news/archive/x.aspx", "", "archive", "", "crawl", "", "", ""],
        [
            f"{TVP}/news/b.aspx",
            "https://thamesvalley.soh.example/news/thames-valley/news/thames-valley/b/",
            "redirect",
            "",
            "crawl",
            "",
            "",
            "",
        ],
        [f"{TVP}/z/q.html", "", "unresolved", "", "crawl", "", "", ""],
    ]


# --- properties -----------------------------------------------------------------------------------------

_PIECES = [
    *"aAbZ09-._~%/e;=()S!$&'+,:@ é",
    "..",
    ".",
    "%41",
    "%2e",
    "%2F",
    "%zz",
    "%C3%A9",
    "default.aspx",
    "jsessionid",
]
_SEGMENT = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_URLS = st.builds(
    lambda scheme, host, port, segments, query, fragment: (
        f"{scheme}://{host}{port}/{'/'.join(segments)}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["www.thamesvalley.police.uk", "ThamesValley.Police.UK", "evil.com", "[::1]", "127.0.0.1"]),
    st.sampled_from(["", ":80", ":443", ":8081"]),
    st.lists(_SEGMENT, max_size=6),
    st.sampled_from(["", "?", "?page=2", "?utm_source=x&b=2&A=1", "?q=a+b%2B%zz&q=c", "?jsessionid=1"]),
    st.sampled_from(["", "#", "#frag"]),
)


@settings(max_examples=400, deadline=None)
@given(_URLS, st.booleans(), st.booleans(), st.booleans())
def test_canonicalise_is_idempotent(url: str, case_insensitive: bool, trailing_slash: bool, strip_index: bool) -> None:
    options = {"case_insensitive": case_insensitive, "trailing_slash": trailing_slash, "strip_index": strip_index}
    once = canonicalise(url, **options)
    assert canonicalise(once, **options) == once


@settings(max_examples=400, deadline=None)
@given(_URLS)
def test_canonical_urls_of_in_scope_pages_stay_in_scope(url: str) -> None:
    scope = Scope.from_spec(_spec("thames-valley"))
    if scope.in_scope(url):
        canonical = canonicalise(url)
        assert scope.in_scope(canonical)
        assert scope.in_scope(scope.canonicalise(url))


# --- connect_to ---------------------------------------------------------------------------------------


def test_connect_to_targets_match_host_and_port_first_then_the_host() -> None:
    connect_to = parse_connect_to(
        {
            "www.force.example": "127.0.0.1:8081",
            "Force.example:443": "[::1]:9443",
            "force.example": "origin.cms.example:80",
        }
    )
    assert connect_target("www.force.example", 80, connect_to) == ("127.0.0.1", 8081)
    assert connect_target("WWW.Force.Example", 443, connect_to) == ("127.0.0.1", 8081)  # any port
    assert connect_target("force.example", 443, connect_to) == ("::1", 9443)
    assert connect_target("force.example", 80, connect_to) == ("origin.cms.example", 80)
    assert connect_target("other.example", 80, connect_to) == ("other.example", 80)
    assert connect_target("www.force.example", 80, None) == ("www.force.example", 80)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"www.force.example": "127.0.0.1"}, "has no port"),
        ({"www.force.example": "127.0.0.1:0"}, "'0' is not a port"),
        ({"www.force.example": "127.0.0.1:65536"}, "'65536' is not a port"),
        ({"www.force.example:x": "127.0.0.1:80"}, "'x' is not a port"),
        ({"www.force.example": "http://127.0.0.1:80/"}, "is not a host or host:port"),
    ],
)
def test_connect_to_refuses_targets_without_a_usable_port(mapping: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_connect_to(mapping)


def test_connect_to_resolves_and_checks_the_target_not_the_public_name(demo: dict) -> None:
    asked: list[tuple[str, int]] = []

    def resolver(host: str, port: int, **_: object) -> list[tuple]:
        asked.append((host, port))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    data = copy.deepcopy(demo)
    crawl = data["legacy_site"]["crawl"]
    crawl["connect_to"] = {"www.force.example": "127.0.0.1:9999"}
    decision = Scope.from_spec(data).resolve_and_check("www.force.example", 80, resolver=resolver)
    assert asked == [("127.0.0.1", 9999)]
    assert decision.allowed and decision.addresses == ("127.0.0.1",) and decision.port == 9999
    assert "www.force.example (connect_to 127.0.0.1:9999)" in decision.reason
    crawl["allow_private_addresses"] = False  # the target is loopback: refused as any loopback address
    refused = Scope.from_spec(data).resolve_and_check("www.force.example", 80, resolver=resolver)
    assert not refused and refused.reason.endswith("resolves to 127.0.0.1 is a loopback address")
    # a name without an entry is resolved itself
    Scope.from_spec(data).resolve_and_check("force.example", 80, resolver=resolver)
    assert asked[-1] == ("force.example", 80)
