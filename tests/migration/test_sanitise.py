"""The content sanitiser: an XSS corpus and random markup never get through; the content model does."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA
from soh_onboarding.migration.sanitise import CONTENT_ATTRIBUTES, CONTENT_TAGS, FLAG_KINDS, Finding, sanitise

VECTORS_FILE = DATA / "xss_vectors.txt"
_ESCAPES = {"\\t": "\t", "\\n": "\n", "\\r": "\r", "\\0": "\0"}


def load_vectors() -> list[str]:
    vectors = []
    for line in VECTORS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("# "):
            vectors.append(re.sub(r"\\[tnr0]", lambda m: _ESCAPES[m.group()], line))
    return vectors


VECTORS = load_vectors()
FORBIDDEN_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "meta", "link", "base"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe(html: str) -> None:
    """No script, handler, dangerous URL, comment or tag outside the content model, checked on a parse."""
    assert "<script" not in html.lower()
    parsed = parse(html)
    assert not parsed.comments
    for tag, attrs in parsed.elements:
        assert tag not in FORBIDDEN_TAGS, html
        assert tag in CONTENT_TAGS, html
        allowed = CONTENT_ATTRIBUTES.get(tag, frozenset()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            assert not re.fullmatch(r"on\w+", name), html
            assert name in allowed, html
            # html.parser has already unescaped the value; a browser also ignores whitespace and controls.
            plain = re.sub(r"[\x00-\x20\x7f\ufffd]", "", value or "").lower()
            assert not plain.startswith(DANGEROUS_SCHEMES), html
            if name in {"href", "src"}:
                assert not any(scheme in plain for scheme in DANGEROUS_SCHEMES[:3]), html


def kinds(findings: list[Finding]) -> list[str]:
    return [finding.kind for finding in findings]


def test_the_corpus_is_the_cheat_sheet_not_a_handful():
    assert len(VECTORS) >= 80
    assert len(set(VECTORS)) == len(VECTORS)


@pytest.mark.parametrize("vector", VECTORS)
def test_no_xss_vector_survives(vector):
    result = sanitise(vector)
    assert_safe(result.html)
    assert_safe(sanitise(vector, base_url="https://www.example.police.uk/news/").html)
    again = sanitise(result.html)
    assert again.html == result.html
    assert set(kinds(again.findings)) <= FLAG_KINDS


FRAGMENTS = [
    "<script>", "</script>", "<SCRIPT ", "<scr", "ipt>", "<img", "<img src=x", " src=", " href=", " alt=", " alt", " onerror=",
    " ONLOAD=", " onclick=", " style=", " class=", " id=", ' title="', "javascript:", "JaVaScRiPt:", "jav&#x09;ascript:",
    "java\tscript:", "java\0script:", "&#106;avascript:", "javascript&colon;", "vbscript:", "data:text/html,", "alert(1)", "x",
    "/", ">", "<", "/>", '"', "'", "`", "=", " ", "\n", "&lt;", "&amp;", "&quot;", "&#60;", "<!--", "-->", "<![CDATA[", "]]>",
    "<svg", "<svg/onload=alert(1)>", "</svg>", "<math>", "<mtext>", "<mglyph>", "<style>", "</style>", "<iframe", "<object",
    "<embed", "<form", "<meta", "<link", "<base", "<noscript>", "</noscript>", "<template>", "<textarea>", "<title>", "<a",
    "</a>", "<a href=/x>", "<p>", "</p>", "<b>", "</b>", "<i>", "<font>", "</font>", "<span>", "<div>", "</div>", "<h1>",
    "<h2>", "<h3>", "<h4>", "<h6>", "</h1>", "</h4>", "<table>", "<tr>", "<td>", "</table>", "<ul><li>", "<br>", "text",
]  # fmt: skip
html_ish = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_ish)
def test_random_markup_never_gets_through(html):
    result = sanitise(html)
    assert_safe(result.html)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_ish)
def test_sanitising_twice_changes_nothing(html):
    once = sanitise(html)
    twice = sanitise(once.html)
    assert twice.html == once.html
    assert set(kinds(twice.findings)) <= FLAG_KINDS
    assert [f for f in twice.findings if f.kind in FLAG_KINDS] == [f for f in once.findings if f.kind in FLAG_KINDS]


STRUCTURE_TAGS = sorted(CONTENT_TAGS | {"b", "i", "h1", "div", "span", "font", "form", "svg", "select", "template"})
structure = st.lists(
    st.sampled_from(STRUCTURE_TAGS).flatmap(
        lambda tag: st.sampled_from([f"<{tag}>", f"</{tag}>", f'<{tag} href="/x" src="y" alt="">', "text", " "])
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structure)
def test_misnested_content_model_markup_converges_in_one_pass(html):
    """html5ever re-parents misnested markup (tables, headings, nested links); the output must be a fixed point."""
    once = sanitise(html)
    assert_safe(once.html)
    twice = sanitise(once.html)
    assert twice.html == once.html
    assert set(kinds(twice.findings)) <= FLAG_KINDS


ARTICLE = (
    "<h2>Arrest after burglary in Abingdon</h2>"
    '<p>Officers from <abbr title="Thames Valley Police">TVP</abbr> arrested a <strong>34-year-old man</strong> '
    "on Tuesday 3 March in connection with a burglary on <em>Ock Street</em>.</p>"
    '<figure><img src="/media/ock-street.jpg" alt="Police cordon on Ock Street" width="640" height="360">'
    "<figcaption>The cordon was lifted at 6pm.</figcaption></figure>"
    "<h3>Appeal for witnesses</h3>"
    "<p>Anyone with information should call 101 quoting reference 43240098765, or "
    '<a href="https://www.crimestoppers-uk.org/" rel="noopener noreferrer">contact Crimestoppers</a> anonymously.</p>'
    '<ul><li>Call <a href="tel:101" rel="noopener noreferrer">101</a></li>'
    '<li>E-mail <a href="mailto:appeals@example.police.uk" rel="noopener noreferrer">the appeals team</a></li>'
    '<li>Report <a href="/report/burglary" rel="noopener noreferrer">online</a></li></ul>'
    "<blockquote><p>We are grateful to the public for their help.</p></blockquote>"
    "<h4>Crime figures</h4>"
    '<table><caption>Burglaries, 2025</caption><thead><tr><th scope="col">Month</th><th scope="col">Count</th></tr>'
    '</thead><tbody><tr><td>January</td><td>12</td></tr><tr><td colspan="2">No data for February</td></tr></tbody></table>'
    "<p>Detective Sergeant Jo Smith<br>Abingdon CID</p><hr><p>Notes: <code>43240098765</code> 5<sup>th</sup> H<sub>2</sub>O</p>"
)


def test_a_news_article_in_the_content_model_passes_unchanged():
    result = sanitise(ARTICLE)
    assert result.html == ARTICLE
    assert result.findings == []


def test_unknown_wrappers_are_unwrapped_and_their_text_kept():
    result = sanitise('<div class="x"><font color="red">Hello <span>dear</span></font> <center>world</center></div>')
    assert result.html == "Hello dear world"
    assert kinds(result.findings).count("removed_unknown_tag:font") == 1
    assert "removed_unknown_tag:span" in kinds(result.findings)
    assert "removed_attribute:color" not in kinds(result.findings), "a removed tag's attributes go with it"


def test_script_style_and_embedded_content_go_with_their_content():
    result = sanitise(
        "<p>before</p><script>steal()</script><style>p{}</style><iframe>frame text</iframe>"
        "<noscript>enable JS</noscript><object>fallback</object><p>after</p>"
    )
    assert result.html == "<p>before</p><p>after</p>"
    assert result.counts == {
        "removed_script": 1,
        "removed_style": 1,
        "removed_with_content:iframe": 1,
        "removed_with_content:noscript": 1,
        "removed_with_content:object": 1,
    }


def test_b_and_i_become_strong_and_em():
    assert sanitise("<p><b>bold</b> and <i>italic</i></p>").html == "<p><strong>bold</strong> and <em>italic</em></p>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<h2>A</h2><h4>B</h4>", "<h2>A</h2><h3>B</h3>"),
        ("<h1>Title</h1><p>x</p>", "<h2>Title</h2><p>x</p>"),
        ("<h3>A</h3><h3>B</h3>", "<h2>A</h2><h2>B</h2>"),
        ("<h2>A</h2><h5>B</h5><h6>C</h6><h3>D</h3>", "<h2>A</h2><h3>B</h3><h4>C</h4><h3>D</h3>"),
        ("<h4>A</h4><h2>B</h2><h3>C</h3>", "<h2>A</h2><h2>B</h2><h3>C</h3>"),
        ("<h2>A <b>b</b></h2><h3>C</h3>", "<h2>A <strong>b</strong></h2><h3>C</h3>"),
    ],
)
def test_heading_levels_are_repaired(source, expected):
    assert sanitise(source).html == expected


def test_heading_repairs_are_reported_with_their_text():
    result = sanitise("<h1>Our news</h1><h2>Appeals</h2><h2>Arrests</h2><h4>In Reading</h4>")
    assert result.html == "<h2>Our news</h2><h3>Appeals</h3><h3>Arrests</h3><h4>In Reading</h4>"
    assert result.findings == [
        Finding("heading_repaired", "h1 → h2: Our news"),
        Finding("heading_repaired", "h2 → h3: Appeals"),
        Finding("heading_repaired", "h2 → h3: Arrests"),
    ]


def test_missing_alt_text_is_flagged_never_invented():
    result = sanitise('<img src="/a.jpg"><img src="/b.jpg" alt=""><img src="/c.jpg" alt="A police dog">')
    assert result.html == '<img src="/a.jpg"><img src="/b.jpg" alt=""><img src="/c.jpg" alt="A police dog">'
    assert result.findings == [Finding("image_missing_alt", "/a.jpg")]
    (_, attrs), *_ = parse(result.html).elements
    assert "alt" not in dict(attrs)
    assert sanitise(result.html).findings == [Finding("image_missing_alt", "/a.jpg")]


def test_relative_links_are_kept_or_resolved_against_the_base_url():
    source = '<p><a href="../contact">Contact</a> <img src="logo.png" alt="Logo"></p>'
    assert sanitise(source).html == (
        '<p><a href="../contact" rel="noopener noreferrer">Contact</a> <img src="logo.png" alt="Logo"></p>'
    )
    resolved = sanitise(source, base_url="https://www.example.police.uk/news/2025/")
    assert resolved.html == (
        '<p><a href="https://www.example.police.uk/news/contact" rel="noopener noreferrer">Contact</a> '
        '<img src="https://www.example.police.uk/news/2025/logo.png" alt="Logo"></p>'
    )
    assert resolved.findings == []


def test_links_get_noopener_and_lose_target_and_legacy_rel():
    result = sanitise('<a href="https://example.org/" target="_blank" rel="opener nofollow">Example</a>')
    assert result.html == '<a href="https://example.org/" rel="noopener noreferrer">Example</a>'
    assert result.findings == [Finding("removed_attribute:target", "on <a>")]


def test_dangerous_urls_are_removed_and_reported_by_kind():
    result = sanitise(
        '<a href="javascript:alert(1)">one</a> <a href="jav&#x09;ascript:alert(2)">two</a> '
        '<a href="vbscript:msgbox(1)">three</a> <img src="data:image/png;base64,AAAA" alt="Chart">'
        '<a href="mailto:a@example.org">mail</a> <a href="tel:+441234567890">call</a>'
    )
    assert result.html == (
        'one two three <a href="mailto:a@example.org" rel="noopener noreferrer">mail</a> '
        '<a href="tel:+441234567890" rel="noopener noreferrer">call</a>'
    )
    assert result.counts == {
        "removed_javascript_url": 2,
        "removed_url_scheme": 1,
        "removed_data_url": 1,
        "removed_image_without_src": 1,
    }


def test_findings_count_every_removal():
    result = sanitise(
        '<p onclick="a()" style="color:red">x</p><img src="/a.png" alt="A" onerror="b()" onload="c()">'
        "<script>1</script><script src=/x.js></script><!-- editor note -->"
    )
    assert result.html == '<p>x</p><img src="/a.png" alt="A">'
    assert result.counts == {"removed_event_handler": 3, "removed_style": 1, "removed_script": 2, "removed_comment": 1}
    assert Finding("removed_script", "src=/x.js") in result.findings


def test_empty_links_are_flagged_and_kept():
    result = sanitise(
        '<a href="/a"></a><a href="/b"><img src="/b.png" alt="Home"></a><a href="/c"><img src="/c.png"></a>'
    )
    assert kinds(result.findings) == ["empty_link", "image_missing_alt", "empty_link"]
    assert [f.detail for f in result.findings if f.kind == "empty_link"] == ["/a", "/c"]
