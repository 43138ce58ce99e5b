"""The spec check: every good spec passes; every kind of bad input gets its own error at the right line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import DATA, DEMO, SPECS
from soh_onboarding import spec
from soh_onboarding.spec import yamlsource
from soh_onboarding.spec.documents import DocumentError

DEMO_TEXT = DEMO.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def edit(old: str, new: str, text: str = DEMO_TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def check(folder: Path, text: str | bytes, name: str = "demo.yaml") -> spec.CheckResult:
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return spec.check([path])


def the_error(result: spec.CheckResult, field: str) -> DocumentError:
    found = [e for e in result.errors if e.field == field]
    assert found, f"no error for {field}; got {[e.format() for e in result.errors]}"
    return found[0]


@pytest.mark.parametrize("spec_file", spec.spec_files([SPECS]), ids=lambda p: p.name)
def test_each_project_spec_is_valid(spec_file: Path) -> None:
    result = spec.check([spec_file])
    assert result.errors == []
    assert [s.slug for s in result.specs] == [spec_file.stem]


def test_the_project_has_the_three_proof_of_concept_forces_and_the_demo() -> None:
    result = spec.check()
    assert result.valid, [e.format() for e in result.errors]
    assert {s.slug for s in result.specs} == {"demo", "metropolitan", "thames-valley", "hampshire"}


def test_every_spec_starts_with_the_editor_schema_line() -> None:
    for spec_file in spec.spec_files([SPECS]):  # not <slug>.known-issues.yaml: its own schema's line
        first = spec_file.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/onboarding-spec.schema.json", spec_file


def test_wrong_type_is_located_at_the_value(tmp_path: Path) -> None:
    text = edit("officer_fte: 1250.0", 'officer_fte: "lots"')
    error = the_error(check(tmp_path, text), "force.officer_fte")
    assert (error.line, error.column) == (line_of(text, "officer_fte"), 16)
    assert error.message == "expected a number, got a string ('lots')"


def test_missing_field_is_located_at_its_parent(tmp_path: Path) -> None:
    text = edit("  officer_fte: 1250.0\n", "")
    error = the_error(check(tmp_path, text), "force.officer_fte")
    assert error.line == text.splitlines().index("force:") + 1
    assert error.message == "required field is missing"
    assert "Police officer full-time equivalents" in error.hint


def test_missing_top_level_section_is_at_line_one(tmp_path: Path) -> None:
    start = DEMO_TEXT.index("charging:")
    error = the_error(check(tmp_path, DEMO_TEXT[:start]), "charging")
    assert (error.line, error.column) == (1, 1)


def test_unknown_key_is_located_at_the_key_with_a_suggestion(tmp_path: Path) -> None:
    text = edit("  tenant_id: demo\n", "  tenant_id: demo\n  tennant_name: x\n")
    error = the_error(check(tmp_path, text), "tenant.tennant_name")
    assert (error.line, error.column) == (line_of(text, "tennant_name"), 3)
    assert error.message == "unknown field 'tennant_name'"
    assert "allowed here: tenant_id, display_name" in error.hint


def test_bad_enum_lists_the_allowed_values(tmp_path: Path) -> None:
    text = edit("nation: England", "nation: Englnd")
    error = the_error(check(tmp_path, text), "force.nation")
    assert error.line == line_of(text, "Englnd")
    assert error.hint == "did you mean 'England'? allowed: England, Wales, Great Britain"


def test_duplicate_key_is_refused_at_the_second_key(tmp_path: Path) -> None:
    text = edit("  nation: England\n", "  nation: England\n  nation: Wales\n")
    result = check(tmp_path, text)
    error = the_error(result, "force.nation")
    assert error.line == line_of(text, "nation: Wales")
    assert f"duplicate key 'nation' (first written at line {line_of(text, 'nation: England')})" == error.message
    assert not result.specs


def test_alias_and_anchor_are_refused(tmp_path: Path) -> None:
    text = edit("  officer_fte: 1250.0", "  officer_fte: &fte 1250.0\n  population: *fte")
    text = edit("  population: 640000\n", "", text)
    result = check(tmp_path, text)
    messages = {e.field: e for e in result.errors}
    assert messages["force.officer_fte"].message == "YAML anchors (&fte) are not allowed"
    assert messages["force.population"].message == "YAML aliases (*fte) are not allowed"
    assert messages["force.population"].line == line_of(text, "*fte")


def test_bad_encoding_is_located_at_the_byte(tmp_path: Path) -> None:
    raw = DEMO_TEXT.encode("utf-8").replace(b"name: Demoshire Police", b"name: Demoshire Police \xe9", 1)
    result = check(tmp_path, raw)
    [error] = result.errors
    assert (error.line, error.column) == (
        line_of(DEMO_TEXT, "name: Demoshire Police"),
        len("  name: Demoshire Police ") + 1,
    )
    assert error.message == "the file is not valid UTF-8 (byte 0xe9)"


def test_windows_1252_quotes_are_reported_not_guessed(tmp_path: Path) -> None:
    raw = DEMO_TEXT.encode("utf-8").replace(b"name: Demoshire Police", b"name: \x93Demoshire\x94", 1)
    assert "not valid UTF-8" in check(tmp_path, raw).errors[0].message


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    assert check(tmp_path, b"\xef\xbb\xbf" + DEMO_TEXT.encode()).valid


def test_duplicate_slug_across_files_is_reported_on_both(tmp_path: Path) -> None:
    (tmp_path / "demo.yml").write_text(DEMO_TEXT, encoding="utf-8")
    result = check(tmp_path, DEMO_TEXT)
    assert not result.valid
    error = the_error(result, "force.slug")
    assert error.message.startswith("slug 'demo' is also claimed by")
    assert error.message.endswith("demo.yml")
    assert error.line == line_of(DEMO_TEXT, "slug: demo")
    both = spec.check([tmp_path])
    assert {e.path.rsplit("/", 1)[-1] for e in both.errors if e.field == "force.slug"} == {"demo.yaml", "demo.yml"}


def test_duplicate_tenant_id_and_domain_across_files(tmp_path: Path) -> None:
    other = DEMO_TEXT.replace("slug: demo", "slug: other").replace("tenant_id: demo", "tenant_id: other")
    (tmp_path / "other.yaml").write_text(other, encoding="utf-8")
    result = check(tmp_path, DEMO_TEXT.replace("tenant_id: demo", "tenant_id: other"))
    assert the_error(result, "tenant.tenant_id").message == "tenant id 'other' is also claimed by " + str(
        tmp_path / "other.yaml"
    )
    domain = the_error(result, "tenant.domains[0]")
    assert domain.message.startswith("domain 'demo.soh.localhost' is also claimed by")
    assert domain.line == line_of(DEMO_TEXT, "- demo.soh.localhost")


def test_a_new_spec_is_checked_against_the_existing_ones(tmp_path: Path) -> None:
    """A pull request adding one file: only that file is named, its clash with a sibling still shows."""
    (tmp_path / "demo.yaml").write_text(DEMO_TEXT, encoding="utf-8")
    new = DEMO_TEXT.replace("slug: demo", "slug: newforce").replace("tenant_id: demo", "tenant_id: newforce")
    result = check(tmp_path, new, "newforce.yaml")
    assert {e.path for e in result.errors} == {str(tmp_path / "newforce.yaml")}
    assert the_error(result, "tenant.domains[0]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# only a comment\n\n", "the file is empty"),
        ("- just\n- a list\n", "the top level is a list, not a mapping of fields"),
        ("hello\n", "the top level is a single value, not a mapping of fields"),
        ("force: [1, 2\n", "YAML syntax error"),
        ("a: 1\n---\nb: 2\n", "the file holds more than one YAML document"),
        (
            "a: !!python/object/apply:os.system [ls]\n",
            "custom YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed",
        ),
        ("a: 1\x07\n", "character U+0007 is not allowed in YAML"),
        ("a: .nan\n", ".nan is not a finite number"),
        ("a: 1e999\n", "1e999 is not a finite number"),
    ],
)
def test_file_level_hazards(tmp_path: Path, text: str, message: str) -> None:
    result = check(tmp_path, text)
    assert any(e.message.startswith(message) for e in result.errors), [e.format() for e in result.errors]
    assert all(e.line >= 1 and e.column >= 1 for e in result.errors)


def test_oversized_file_is_refused_without_parsing(tmp_path: Path) -> None:
    result = check(tmp_path, DEMO_TEXT + "#" * yamlsource.MAX_BYTES)
    [error] = result.errors
    assert "over the limit of 262,144" in error.message


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = spec.check([tmp_path / "nope.yaml"])
    assert [e.message for e in result.errors] == ["cannot read the file: No such file or directory"]


def test_syntax_error_points_at_the_line(tmp_path: Path) -> None:
    text = edit("  slug: demo\n", "  slug: demo\n  nation: [England\n")
    error = check(tmp_path, text).errors[0]
    assert error.message.startswith("YAML syntax error")
    assert line_of(text, "[England") <= error.line <= line_of(text, "[England") + 2


def test_slug_must_equal_the_file_name(tmp_path: Path) -> None:
    error = the_error(check(tmp_path, DEMO_TEXT, "demoshire.yaml"), "force.slug")
    assert error.message == "slug 'demo' does not match the file name 'demoshire.yaml'"
    assert error.hint == "rename the file to demo.yaml or change the slug"


def test_yes_no_are_text_not_booleans(tmp_path: Path) -> None:
    text = edit("profiling_or_scoring: false", "profiling_or_scoring: no")
    error = the_error(check(tmp_path, text), "dpia.screening.profiling_or_scoring")
    assert error.message == "expected true or false, got a string ('no')"
    assert "yes/no/on/off are read as text" in error.hint


def test_invalid_date_format(tmp_path: Path) -> None:
    text = edit("target_date: 2026-06-01", "target_date: 2026-13-01")
    error = the_error(check(tmp_path, text), "go_live.target_date")
    assert error.message == "'2026-13-01' is not a valid date"
    assert "YYYY-MM-DD" in error.hint


@pytest.mark.parametrize(
    ("old", "new", "field", "message", "at"),
    [
        (
            "signed_date: 2026-01-15",
            "signed_date: 2026-07-01",
            "section_22.signed_date",
            "after the go-live target",
            "signed_date",
        ),
        (
            "status: signed",
            "status: drafting",
            "section_22.signed_date",
            "a signed date is given but the status is 'drafting'",
            "signed_date",
        ),
        (
            "live_from: 2026-06-01",
            "live_from: 2026-05-01",
            "charging.live_from",
            "before the go-live target",
            "live_from",
        ),
        (
            "email: dpo@demoshire.police.example",
            "email: dpo@@demoshire",
            "contacts.data_protection_officer.email",
            "is not a valid email",
            "dpo@@",
        ),
        (
            'primary_colour: "#00305e"',
            'primary_colour: "#7799cc"',
            "tenant.branding.primary_colour",
            "WCAG 1.4.3 needs 4.5:1",
            "#7799cc",
        ),
        (
            "/news/{force}/news/demoshire/{slug}/",
            "/news/{force}/news/{region}/{slug}/",
            "content_mapping.rules[1].new_path",
            "'{region}' is not a named group",
            "{region}",
        ),
        (
            "- http://www.demoshire-police.example/sitemap.xml",
            "- http://elsewhere.example/sitemap.xml",
            "legacy_site.sitemap_urls[0]",
            "outside the legacy site's domains",
            "elsewhere",
        ),
        (
            "- ^/calendar/ ",
            "- ^/calendar/( ",
            "legacy_site.exclude_patterns[0]",
            "is not a valid regex",
            "^/calendar/(",
        ),
        ("tenant_id: demo", "tenant_id: Demo Police", "tenant.tenant_id", "is not in the expected form", "Demo Police"),
        ("max_pages: 500", "max_pages: 0", "legacy_site.crawl.max_pages", "less than the minimum of 1", "max_pages: 0"),
        (
            "    - cookies-and-analytics",
            "    - cookies-and-analytics\n    - report-a-crime",
            "tenant.services[11]",
            "listed more than once",
            "    - report-a-crime\n",
        ),
        (
            "    - cookies-and-analytics",
            "    - cookie-and-analytics",
            "tenant.services[10]",
            "is not an allowed value",
            "cookie-and",
        ),
        (
            "innovative_technology: false",
            "innovative_technology: true",
            "dpia.screening.innovative_technology_description",
            "required field is missing",
            "screening:",
        ),
        (
            "  min_security_grade: B",
            "  min_security_grade: B\n  mail_domains: [mail.example.org]",
            "go_live.mail_domains[0]",
            "neither a tenant domain nor an old domain",
            "mail_domains",
        ),
        (
            "\ncontent_mapping:",
            "  traffic_data: onboarding_specs/none.csv\n\ncontent_mapping:",
            "legacy_site.traffic_data",
            "no file at",
            "traffic_data",
        ),
        (
            "  min_security_grade: B",
            "  min_security_grade: B\n  old_domains: [old.example.org]",
            "go_live.old_domains[0]",
            "is not a domain of the legacy site",
            "old_domains",
        ),
        (
            "live_from: 2026-06-01",
            "live_from: 2026-06-01\n  cap: {capital: 0.071, revenue: 1, source: PCD 451}",
            "charging.cap.capital",
            "fractions of a penny",
            "cap:",
        ),
        ("spec_version: 1", "spec_version: 2", "spec_version", "must be 1, not 2", "spec_version"),
        (
            "      demoshire-police.example: 127.0.0.1:8081",
            "      elsewhere.example: 127.0.0.1:8081",
            'legacy_site.crawl.connect_to["elsewhere.example"]',
            "elsewhere.example is not a host of the legacy site",
            "elsewhere.example:",
        ),
        (
            "      demoshire-police.example: 127.0.0.1:8081",
            "      demoshire-police.example:0: 127.0.0.1:8081",
            'legacy_site.crawl.connect_to["demoshire-police.example:0"]',
            "'0' is not a port",
            "demoshire-police.example:0:",
        ),
        (
            "      demoshire-police.example: 127.0.0.1:8081",
            "      demoshire-police.example: 127.0.0.1:80810",
            'legacy_site.crawl.connect_to["demoshire-police.example"]',
            "'80810' is not a port (1 to 65535)",
            "127.0.0.1:80810",
        ),
        (
            "      demoshire-police.example: 127.0.0.1:8081",
            "      demoshire-police.example: 127.0.0.1",
            'legacy_site.crawl.connect_to["demoshire-police.example"]',
            "'127.0.0.1' is not in the expected form",
            "      demoshire-police.example: 127.0.0.1\n",
        ),
    ],
)
def test_rules_and_formats(tmp_path: Path, old: str, new: str, field: str, message: str, at: str) -> None:
    text = edit(old, new)
    error = the_error(check(tmp_path, text), field)
    assert message in error.message
    if at.endswith("\n"):  # the second of two equal lines
        expected = [n for n, line in enumerate(text.splitlines(), 1) if line == at.rstrip("\n")][-1]
    else:
        expected = line_of(text, at)
    assert error.line == expected


def test_connect_to_keys_may_name_a_port_of_a_legacy_host(tmp_path: Path) -> None:
    text = edit("      demoshire-police.example: 127.0.0.1:8081", "      demoshire-police.example:80: '[::1]:8081'")
    assert check(tmp_path, text).errors == []


def test_a_rule_still_runs_when_another_section_is_missing(tmp_path: Path) -> None:
    start, end = DEMO_TEXT.index("go_live:"), DEMO_TEXT.index("charging:")
    text = edit("status: signed", "status: drafting", DEMO_TEXT[:start] + DEMO_TEXT[end:])
    fields = {e.field for e in check(tmp_path, text).errors}
    assert {"go_live", "section_22.signed_date"} <= fields


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = edit("nation: England", "nation: Englnd")
    text = edit("officer_fte: 1250.0", "officer_fte: lots", text)
    text = edit('primary_colour: "#00305e"', 'primary_colour: "#aaaaaa"', text)
    text = edit("  tenant_id: demo\n", "  tenant_id: demo\n  tennant: x\n", text)
    fields = {e.field for e in check(tmp_path, text).errors}
    assert {"force.nation", "force.officer_fte", "tenant.branding.primary_colour", "tenant.tennant"} <= fields


def test_error_format_is_file_line_column_field_message(tmp_path: Path) -> None:
    text = edit("nation: England", "nation: Englnd")
    error = the_error(check(tmp_path, text), "force.nation")
    first, hint = error.format().split("\n")
    assert first == f"{error.path}:{error.line}:{error.column}: force.nation: 'Englnd' is not an allowed value"
    assert hint.startswith("    hint: ")


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert spec.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert spec.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert spec.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_a_base_url_too_broken_to_parse_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    # urllib raises on 'http://[' ("Invalid IPv6 URL"); the rules across specs read base_url before the schema
    # has judged it, so they must survive it (found by the fuzz test).
    text = edit("base_url: http://www.demoshire-police.example/", 'base_url: "http://["')
    result = check(tmp_path, text)
    error = the_error(result, "legacy_site.base_url")
    assert error.line == line_of(text, 'base_url: "http://["')


HOSTILE = DATA / "hostile"


def json_string(text: str) -> str:
    """A YAML double-quoted scalar for any text (JSON's form is one)."""
    return json.dumps(text)


def hostile_lines(name: str) -> list[str]:
    """The non-comment lines of a file of hostile inputs in tests/data/hostile/."""
    text = (HOSTILE / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("fragment", ["deep_flow_mapping.yaml", "deep_block_sequence.yaml"])
def test_deep_nesting_is_a_located_error_and_hides_no_force(tmp_path: Path, fragment: str) -> None:
    (tmp_path / "thames-valley.yaml").write_bytes((SPECS / "thames-valley.yaml").read_bytes())
    text = DEMO_TEXT + (HOSTILE / fragment).read_text(encoding="utf-8")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")

    result = spec.check([tmp_path])  # a RecursionError traceback before the reader had a depth limit

    assert [s.slug for s in result.specs] == ["thames-valley"]
    nested = [e for e in result.errors if "nest more than" in e.message]
    assert len(nested) == 1, [e.format() for e in result.errors]
    assert nested[0].path.endswith("demo.yaml")
    assert nested[0].line == line_of(text, "extra:") + (fragment == "deep_block_sequence.yaml")
    assert nested[0].field.startswith("extra")
    assert f"more than {yamlsource.MAX_DEPTH} levels" in nested[0].message


def test_a_check_that_breaks_on_a_file_is_that_files_error(tmp_path: Path, monkeypatch) -> None:
    """Defence in depth: whatever a rule trips over, the file gets a located error, the others still pass."""

    def broken_rule(data: dict, path: Path, fail: object) -> None:
        if path.stem == "demo":
            raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(spec, "RULES", (*spec.RULES, broken_rule))
    for name in ("demo.yaml", "thames-valley.yaml"):
        (tmp_path / name).write_bytes((SPECS / name).read_bytes())

    result = spec.check([tmp_path])

    assert [s.slug for s in result.specs] == ["thames-valley"]
    [error] = result.errors
    assert (error.path.endswith("demo.yaml"), error.line, error.column) == (True, 1, 1)
    assert "RecursionError" in error.message


@pytest.mark.parametrize("template", hostile_lines("climbing_new_paths.txt"))
def test_a_new_path_with_dot_segments_is_refused(tmp_path: Path, template: str) -> None:
    old = "new_path: /advice/advice-and-information/{slug}/"
    text = edit(old, f"new_path: {json_string(template)}")
    error = the_error(check(tmp_path, text), "content_mapping.rules[3].new_path")
    assert error.line == line_of(text, json_string(template))
    climbs = spec.dot_segments(template)[1]
    assert climbs == (template != "/news/./{slug}/")
    assert ("climbs out of the site's root" if climbs else "has a '.' segment") in error.message


def test_dot_segments_reads_a_path_as_a_server_would() -> None:
    assert spec.dot_segments("/news/{slug}/") == ("", False)
    assert spec.dot_segments("/a/b/../c/") == ("..", False)
    assert spec.dot_segments("/a/../../c/") == ("..", True)
    assert spec.dot_segments("/a/%2E%2E/%2e%2e/") == ("..", True)
    assert spec.dot_segments("/a..b/.hidden/") == ("", False)


@pytest.mark.parametrize("traffic", ["../../etc/passwd.csv", "onboarding_specs/../../outside.csv", "/etc/x.csv"])
def test_traffic_data_outside_the_repository_is_refused(tmp_path: Path, traffic: str) -> None:
    text = edit("\ncontent_mapping:", f"  traffic_data: {traffic}\n\ncontent_mapping:")
    result = check(tmp_path, text)
    assert any(e.field == "legacy_site.traffic_data" and e.line == line_of(text, "traffic_data") for e in result.errors)
    if not traffic.startswith("/"):  # the schema's form refuses an absolute path; the rule refuses the rest
        assert "outside the repository" in the_error(result, "legacy_site.traffic_data").message


@pytest.mark.parametrize("selector", hostile_lines("bad_selectors.txt"))
def test_an_invalid_css_selector_is_refused_at_its_line(tmp_path: Path, selector: str) -> None:
    text = edit("    - .share-links", f"    - {json_string(selector)}")
    error = the_error(check(tmp_path, text), "legacy_site.content_selectors.remove[1]")
    assert "is not a CSS selector" in error.message
    assert error.line == line_of(text, json_string(selector))


def test_an_invalid_main_selector_is_refused_and_a_valid_one_passes(tmp_path: Path) -> None:
    error = the_error(
        check(tmp_path, edit('main: "#content"', 'main: "#content >> p"')), "legacy_site.content_selectors.main"
    )
    assert error.line == line_of(DEMO_TEXT, 'main: "#content"')
    assert check(tmp_path, edit('main: "#content"', 'main: "main article:not(.teaser) > div"')).valid


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("^/news/(?!archive)", "lookarounds"),
        ("^/(?<=x)a", "lookarounds"),
        ("^/(a)\\\\1$", "backreferences"),
        ("^/news/\\\\Z", "write \\z"),
        ("^/a{1001}$", "invalid repetition size"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_with_its_reason(tmp_path: Path, pattern: str, reason: str) -> None:
    text = edit("- ^/calendar/ ", f'- "{pattern}" ')
    error = the_error(check(tmp_path, text), "legacy_site.exclude_patterns[0]")
    assert "is not a valid regex" in error.message
    assert reason in error.message
    assert error.line == line_of(text, pattern)


@pytest.mark.parametrize("pattern", hostile_lines("catastrophic_patterns.txt"))
def test_a_catastrophic_pattern_is_accepted_since_re2_matches_it_in_linear_time(tmp_path: Path, pattern: str) -> None:
    text = edit("- ^/calendar/ ", f"- {json_string(pattern)} ")
    assert check(tmp_path, text).valid, [e.format() for e in check(tmp_path, text).errors]


def test_a_pipe_or_a_device_named_like_a_spec_is_reported_not_read(tmp_path: Path) -> None:
    """`validate` read a FIFO for ever (and /dev/zero until memory ran out); now each is the file's error."""
    (tmp_path / "demo.yaml").write_text(DEMO_TEXT, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    result = spec.check([tmp_path])
    assert [s.slug for s in result.specs] == ["demo"]
    assert sorted((Path(e.path).name, e.message) for e in result.errors) == [
        ("pipe.yaml", "cannot read the file: not a regular file"),
        ("zero.yaml", "cannot read the file: not a regular file"),
    ]


def test_a_huge_file_is_refused_after_reading_only_past_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "demo.yaml"
    with big.open("wb") as handle:
        handle.write(DEMO_TEXT.encode("utf-8"))
        handle.truncate(8 << 30)  # 8 GiB, sparse: reading it all would take the machine's memory
    [error] = spec.check([big]).errors
    assert "over the limit of 262,144 bytes" in error.message
