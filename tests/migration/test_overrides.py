"""A force's redirect overrides (<slug>.redirects.csv): each error at its line, the validate command's answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import DEMO, soh
from soh_onboarding.migration import overrides

DEMO_DATA = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
OLD = "http://www.demoshire-police.example"
HEADER = "old_url,type,new_url,note\n"


def errors(text: str) -> list[tuple[int, str, str]]:
    """(line, column, message) of each error in an overrides file holding `text`."""
    scope = overrides.Scope.from_spec(DEMO_DATA)
    found = overrides.parse(text, "demo.redirects.csv", scope, DEMO_DATA["tenant"]["domains"])
    assert found.errors or found.rows
    return [(e.line, e.field, e.message) for e in found.errors]


def test_a_valid_file_reads_every_kind_of_row() -> None:
    scope = overrides.Scope.from_spec(DEMO_DATA)
    text = (
        HEADER + "/News/Appeal.aspx,redirect,/news/demo/appeal/,renamed by the news team\n"
        f"{OLD}/about/history.aspx,archive,https://webarchive.nationalarchives.gov.uk/ukgwa/2024/x,kept\n"
        "/jobs/closed.aspx,archive,,\n"
        "/intranet/login.aspx,unresolved,,not public\n"
    )
    found = overrides.parse(text, "demo.redirects.csv", scope, DEMO_DATA["tenant"]["domains"])
    assert found.errors == []
    assert [(r.line, r.type) for r in found.rows] == [
        (2, "redirect"),
        (3, "archive"),
        (4, "archive"),
        (5, "unresolved"),
    ]
    first = found.rows[0]
    assert (first.old_url, first.new_path, first.note) == (
        f"{OLD}/news/appeal.aspx",
        "/news/demo/appeal/",
        "renamed by the news team",
    )
    assert [r.archive_action for r in found.rows[1:3]] == ["archive_link", "gone"]


def test_the_tenant_domain_is_not_an_old_url() -> None:
    text = HEADER + "https://demo.soh.localhost/x.aspx,redirect,/contact/,\n"
    assert errors(text) == [(2, "old_url", "'https://demo.soh.localhost/x.aspx' is not on the legacy site")]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("/a.aspx,redirct,/a/,\n", (4, "type", "unknown type 'redirct'")),
        ("/a.aspx,,/a/,\n", (4, "type", "the type is empty")),
        ("/a.aspx,redirect,/a/\n", (4, "(row)", "3 field(s), the header has 4")),
        (",redirect,/a/,\n", (4, "old_url", "the old URL is empty")),
        (
            "https://elsewhere.example/a,redirect,/a/,\n",
            (4, "old_url", "'https://elsewhere.example/a' is not on the legacy site"),
        ),
        ("/a.aspx,redirect,,\n", (4, "new_url", "a redirect needs a new_url")),
        ("/a.aspx,redirect,news/a/,\n", (4, "new_url", "'news/a/' is not a path")),
        (
            "/a.aspx,redirect,https://evil.example/a/,\n",
            (4, "new_url", "'https://evil.example/a/' is not on the new site"),
        ),
        ("/a.aspx,redirect,/a/?x=1,\n", (4, "new_url", "'/a/?x=1' has a query or fragment")),
        ("/a.aspx,redirect,/a/../../b/,\n", (4, "new_url", "new path /a/../../b/ climbs above the site root")),
        ("/a.aspx,unresolved,/a/,\n", (4, "new_url", "an unresolved row has no new_url")),
        ("/a.aspx,archive,/a/,\n", (4, "new_url", "'/a/' is not an archive URL")),
        (
            f"/a.aspx,archive,{OLD}/b.aspx,\n",
            (4, "new_url", f"'{OLD}/b.aspx' is on the legacy site, which goes away at the switch"),
        ),
        ("/a.aspx,redirect,/a.aspx,\n", (4, "new_url", f"{OLD}/a.aspx redirects to itself (a loop)")),
        (
            f"/a.aspx,redirect,{OLD}/b.aspx,\n",
            (4, "new_url", f"redirects to {OLD}/b.aspx, a URL of the legacy site"),
        ),
        ('/a.aspx,redirect,"/a/,\n', (4, "(row)", "this line is not valid CSV (unexpected end of data)")),
    ],
)
def test_each_kind_of_error_names_its_line(rows: str, expected: tuple[int, str, str]) -> None:
    """After a good row and a blank line, the bad row is line 4."""
    assert errors(HEADER + "/fine.aspx,archive,,\n\n" + rows) == [expected]


def test_duplicates_chains_and_a_bad_header() -> None:
    text = (
        HEADER + "/a.aspx,redirect,/news/demo/a/,\n"  # 2
        "/b.aspx,redirect,/A.aspx,\n"  # 3: to an old URL that itself redirects
        "/c.aspx,archive,,\n"  # 4
        "/d.aspx,redirect,/c.aspx,\n"  # 5: to an archived one
        "/A.aspx,archive,,\n"  # 6: /a.aspx again (canonical old URLs are lower case)
    )
    assert errors(text) == [
        (3, "new_url", f"redirects to {OLD}/a.aspx, which itself redirects to /news/demo/a/ (a chain)"),
        (5, "new_url", f"redirects to {OLD}/c.aspx, which is archived (gone)"),
        (6, "old_url", f"{OLD}/a.aspx is already on line 2"),
    ]
    assert errors("old_url,kind,new_url\n/a.aspx,redirect,/a/\n") == [
        (1, "(header)", "missing column(s) type"),
        (1, "(header)", "unknown column(s) 'kind'"),
    ]
    assert errors("old_url\n") == [(1, "(header)", "missing column(s) type, new_url")]


def test_a_file_with_errors_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "demo.redirects.csv"
    path.write_text(HEADER + "/a.aspx,redirect,/news/demo/a/,\n/b.aspx,gone,,\n", encoding="utf-8")
    found = overrides.read(path, DEMO_DATA)
    assert [e.line for e in found.errors] == [3] and found.rows == []
    path.write_bytes(HEADER.encode() + b"/a.aspx,archive,,caf\xe9\n")
    assert [(e.line, e.message) for e in overrides.read(path, DEMO_DATA).errors] == [(2, "not UTF-8 text (byte 46)")]


def specs_folder(tmp_path: Path, csv_text: str | None) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "demo.yaml").write_bytes(DEMO.read_bytes())
    if csv_text is not None:
        (folder / "demo.redirects.csv").write_text(csv_text, encoding="utf-8")
    return folder


def test_validate_exits_1_with_file_line_messages(tmp_path: Path) -> None:
    folder = specs_folder(
        tmp_path, HEADER + "/a.aspx,redirect,/news/demo/a/,\n/b.aspx,redirct,/b/,\n/A.aspx,archive,,\n"
    )
    (folder / "demoo.redirects.csv").write_text(HEADER, encoding="utf-8")
    done = soh("validate", str(folder), "--store", str(tmp_path / "no-store"), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "specs/demo.redirects.csv:3:1: type: unknown type 'redirct'" in lines
    assert f"specs/demo.redirects.csv:4:1: old_url: {OLD}/a.aspx is already on line 2" in lines
    assert "    hint: one row per old URL: keep line 2 or line 4, not both" in lines
    assert "specs/demoo.redirects.csv:1:1: (file): no spec demoo.yaml beside this file, so it never applies" in lines
    assert lines[-2:] == [
        "1 spec file(s) checked: 1 valid",
        "2 redirect overrides file(s) checked: 0 valid, 2 with 3 error(s)",
    ]
    assert "Traceback" not in done.stderr
    alone = soh("validate", "--github", str(folder / "demo.redirects.csv"), "--store", str(tmp_path / "no-store"))
    assert alone.returncode == 1
    assert f"::error file={folder / 'demo.redirects.csv'},line=3,col=1::type: unknown type 'redirct'" in alone.stdout


def test_validate_exits_0_on_a_good_file(tmp_path: Path) -> None:
    folder = specs_folder(tmp_path, HEADER + "/a.aspx,redirect,/news/demo/a/,renamed\n/b.aspx,archive,,\n")
    done = soh("validate", str(folder / "demo.yaml"), "--store", str(tmp_path / "no-store"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        f"specs/demo.redirects.csv: checked on its own (no passing migration of demo in {tmp_path / 'no-store'})",
        "1 spec file(s) checked: 1 valid",
        "1 redirect overrides file(s) checked: 1 valid",
    ]
