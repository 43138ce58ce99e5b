"""The charging model: the paper's base case, the arithmetic's promises (property tests), located errors
for a bad model, the live-forces register, the outputs and their Great Expectations checks, the CLI."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_python, soh, undocumented_fields
from soh_onboarding import spec
from soh_onboarding.charging import arithmetic
from soh_onboarding.charging import model as chargingmodel
from soh_onboarding.charging import quality as chargingquality
from soh_onboarding.charging import report as chargingreport
from soh_onboarding.charging import run as chargingrun
from soh_onboarding.charging.arithmetic import CostLine, FinancialYear, FundingSource, Member
from soh_onboarding.charging.model import ChargingModelError
from soh_onboarding.live import register as liveforces

CONFIG = ROOT / "config" / "charging-model.yaml"


@pytest.fixture(scope="module")
def figures() -> dict[str, chargingmodel.ForceFigures]:
    return chargingmodel.figures_from_specs(spec.check().specs)


@pytest.fixture(scope="module")
def model(figures) -> chargingmodel.ChargingModel:
    return chargingmodel.load(CONFIG, figures)


# --- the paper ---------------------------------------------------------------------------------


def test_the_base_case_reproduces_the_papers_mps_figures(model, figures) -> None:
    """PCD 451: with 20 forces the MPS pays £0.5m capital and £0.9m revenue a year (£1.4m, its cap)."""
    result = model.compute("base-case", figures)
    assert len(result.members) == 20
    assert len(result.years) == 10
    for year in result.years:
        mps = year.charge_of("metropolitan")
        assert (mps.capital, mps.revenue, mps.total) == (
            Decimal("500000.00"),
            Decimal("900000.00"),
            Decimal("1400000.00"),
        )
        # The cap was "based on 20 forces": the MPS's own share is within £500 of it, so the cap barely binds.
        uncapped = year.uncapped["metropolitan"]
        assert Decimal(0) <= uncapped["capital"] - mps.capital < 500
        assert Decimal(0) <= uncapped["revenue"] - mps.revenue < 500
        assert year.gap == {"capital": Decimal("0.00"), "revenue": Decimal("0.00")}


def test_the_ptf_pays_the_first_two_years_onboarding_line(model, figures) -> None:
    years = model.compute("base-case", figures).years
    assert [sum(y.funding.get("ptf", {}).values(), Decimal(0)) for y in years[:3]] == [600000, 600000, 0]


def test_the_mps_risk_after_year_two_falls_on_the_others_below_20_forces(model, figures) -> None:
    growth = model.growth(figures)
    assert [p["forces"] for p in growth] == list(range(3, 45))
    by_count = {p["forces"]: p for p in growth}
    assert all(by_count[n]["host_charged"] == Decimal("1400000.00") for n in range(3, 21))
    assert by_count[3]["host_uncapped"] > Decimal("2700000")  # nearly twice the cap with 3 forces
    assert Decimal("1400000") <= by_count[20]["host_uncapped"] < Decimal("1401000")
    assert by_count[44]["host_charged"] < Decimal("1000000")
    charged = [p["host_charged"] for p in growth]
    assert charged == sorted(charged, reverse=True)  # never rises as forces join


def test_scenario_rosters(model, figures) -> None:
    assert len(model.members("proof-of-concept", figures)) == 3
    assert len(model.members("live-2021-03", figures)) == 28  # 27 forces plus BTP (HL13532)
    assert len(model.members("all-forces", figures)) == 44
    assert model.members("live", figures) == []
    live = [liveforces.LiveForce("demo", date(2026, 6, 1), "test", "now")]
    [demo] = model.members("live", figures, live)
    assert (demo.slug, demo.name, demo.live_from) == ("demo", "Demoshire Police", date(2026, 6, 1))


def test_a_force_rolled_back_is_charged_up_to_its_rollback_and_not_after(model, figures) -> None:
    """The live-forces register after a rollback (live_until): the live-register scenario charges the force
    for the months that begin while it was live, and nothing from the month after."""
    live = [liveforces.LiveForce("demo", date(2026, 6, 1), "test", "now")]
    rolled_back = [liveforces.LiveForce("demo", date(2026, 6, 1), "test", "now", live_until=date(2026, 12, 4))]
    before = {c.financial_year: c for c in model.compute("live", figures, live).charges()}
    after = {c.financial_year: c for c in model.compute("live", figures, rolled_back).charges()}
    assert before["2026/27"].months_live == 10 and after["2026/27"].months_live == 7  # June to December
    later = [year for year in before if year > "2026/27"]
    assert later and all(before[year].months_live == 12 for year in later)
    assert all(year not in after or after[year].months_live == 0 for year in later), "not charged after"


def test_the_spec_overrides_the_reference_figures(model, figures) -> None:
    changed = dict(figures)
    changed["thames-valley"] = chargingmodel.ForceFigures("thames-valley", "Thames Valley Police", Decimal("8412.4"))
    before = {m.slug: m.weight for m in model.members("proof-of-concept", figures)}
    after = {m.slug: m.weight for m in model.members("proof-of-concept", changed)}
    assert after["thames-valley"] == 2 * before["thames-valley"]
    assert after["hampshire"] == before["hampshire"]


# --- the arithmetic ----------------------------------------------------------------------------

YEARS = [FinancialYear("2025/26"), FinancialYear("2026/27")]
pence = st.integers(min_value=0, max_value=10**9)
live_dates = st.one_of(st.none(), st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 1)))
caps = st.one_of(st.none(), st.integers(min_value=0, max_value=5 * 10**7))


@st.composite
def members(draw, min_size: int = 1, max_size: int = 12) -> list[Member]:
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    found = []
    for index in range(count):
        cap_capital, cap_revenue = draw(caps), draw(caps)
        found.append(
            Member(
                slug=f"force-{index:02d}",
                name=f"Force {index}",
                weight=Fraction(draw(st.integers(min_value=1, max_value=10**7)), 100),
                live_from=draw(live_dates),
                cap_capital=None if cap_capital is None else arithmetic.to_pounds(cap_capital),
                cap_revenue=None if cap_revenue is None else arithmetic.to_pounds(cap_revenue),
            )
        )
    return found


@st.composite
def costs(draw) -> tuple[list[CostLine], list[FundingSource]]:
    lines = [
        CostLine(f"line-{i}", f"Line {i}", kind, {y.label: arithmetic.to_pounds(draw(pence)) for y in YEARS})
        for i, kind in enumerate(draw(st.lists(st.sampled_from(arithmetic.KINDS), min_size=1, max_size=4)))
    ]
    funding = []
    if draw(st.booleans()):
        share = Fraction(draw(st.integers(min_value=1, max_value=100)), 100)
        funding.append(FundingSource("ptf", "PTF", frozenset({YEARS[0].label}), share=share))
    return lines, funding


def _pence(amount: Decimal) -> int:
    return arithmetic.to_pence(amount)


@settings(max_examples=200, deadline=None)
@given(members(), costs())
def test_totals_reconcile_caps_hold_and_nothing_is_negative(roster, cost) -> None:
    lines, funding = cost
    result = arithmetic.compute("prop", "prop", roster, YEARS, lines, funding)
    for year, fy in zip(result.years, YEARS, strict=True):
        for kind in arithmetic.KINDS:
            funded = sum((paid[kind] for paid in year.funding.values()), Decimal(0))
            assert year.to_share[kind] + funded == year.cost[kind]
            assert year.charged(kind) + year.gap[kind] == year.to_share[kind]  # to the penny
            live = [c for c in year.charges if c.months_live]
            for charge in year.charges:
                amount = getattr(charge, kind)
                assert amount >= 0
                member = next(m for m in roster if m.slug == charge.force_slug)
                cap = member.cap(kind)
                if cap is not None:
                    assert _pence(amount) <= _pence(cap) * charge.months_live // 12
                if not charge.months_live:
                    assert amount == 0
            if year.gap[kind] > 0:  # a gap only when every live force is at its cap
                assert all(getattr(c, f"capped_{kind}") for c in live)
        assert fy.label == year.financial_year


@settings(max_examples=200, deadline=None)
@given(members(min_size=1, max_size=10), members(min_size=1, max_size=1), costs())
def test_a_force_joining_never_raises_anyone_elses_charge(roster, newcomer, cost) -> None:
    lines, _ = cost
    new = newcomer[0]
    joining = Member("newcomer", "Newcomer", new.weight, new.live_from, new.cap_capital, new.cap_revenue)
    before = arithmetic.compute("before", "", roster, YEARS, lines)
    after = arithmetic.compute("after", "", [*roster, joining], YEARS, lines)
    for old, new in zip(before.years, after.years, strict=True):
        for member in roster:
            was, now = old.charge_of(member.slug), new.charge_of(member.slug)
            for kind in arithmetic.KINDS:
                assert getattr(now, f"exact_{kind}") <= getattr(was, f"exact_{kind}")
                # rounding to the penny can move a penny either way, never more
                assert getattr(now, kind) <= getattr(was, kind) + Decimal("0.01")


@given(st.lists(st.fractions(min_value=0, max_value=10**6), min_size=1, max_size=20))
def test_largest_remainder_moves_each_amount_by_under_a_penny(amounts) -> None:
    total = sum(amounts, Fraction(0))
    whole = int(total)
    amounts = [*amounts, Fraction(whole + 1) - total] if total != whole else amounts
    exact = dict(enumerate(amounts))
    rounded = arithmetic.largest_remainder(exact, sum(amounts, Fraction(0)).numerator)
    assert sum(rounded.values()) == sum(amounts)
    assert all(abs(rounded[k] - exact[k]) < 1 for k in exact)


def test_pro_rata_by_whole_months_live() -> None:
    year = FinancialYear("2024/25")
    assert year.months_live(None) == 12
    assert year.months_live(date(2024, 4, 1)) == 12
    assert year.months_live(date(2024, 4, 2)) == 11  # a month counts when live on its first day
    assert year.months_live(date(2025, 3, 1)) == 1
    assert year.months_live(date(2025, 4, 1)) == 0


def test_every_force_capped_leaves_a_reported_gap() -> None:
    roster = [
        Member("a", "A", Fraction(1), cap_capital=Decimal(100), cap_revenue=Decimal(0)),
        Member("b", "B", Fraction(3), cap_capital=Decimal(200), cap_revenue=Decimal(0)),
    ]
    lines = [CostLine("x", "X", "capital", {"2024/25": Decimal(1000)})]
    [year] = arithmetic.compute("s", "s", roster, [FinancialYear("2024/25")], lines).years
    assert [c.capital for c in year.charges] == [100, 200]
    assert year.gap["capital"] == Decimal("700.00")


def test_a_capped_forces_excess_goes_to_the_others_by_weight() -> None:
    roster = [
        Member("big", "Big", Fraction(8), cap_capital=Decimal(500)),
        Member("mid", "Mid", Fraction(2)),
        Member("small", "Small", Fraction(1)),
    ]
    lines = [CostLine("x", "X", "capital", {"2024/25": Decimal(1100)})]
    [year] = arithmetic.compute("s", "s", roster, [FinancialYear("2024/25")], lines).years
    assert [c.capital for c in year.charges] == [Decimal("500.00"), Decimal("400.00"), Decimal("200.00")]


# --- a bad model: located errors ---------------------------------------------------------------


def _bad_config(tmp_path: Path, old: str, new: str) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "charging-model.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _errors(path: Path, figures) -> list[str]:
    with pytest.raises(ChargingModelError) as failure:
        chargingmodel.load(path, figures)
    return [error.format() for error in failure.value.errors]


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in row)


def test_an_unknown_force_is_located(tmp_path, figures) -> None:
    path = _bad_config(tmp_path, "      - cheshire\n", "      - cheshir\n")
    [error] = _errors(path, figures)
    line = _line_of(path, "- cheshir")
    assert error.startswith(f"{path}:{line}:9: scenarios[1].forces[4]: unknown force 'cheshir'")
    assert "did you mean 'cheshire'?" in error


def test_a_negative_cost_is_located(tmp_path, figures) -> None:
    path = _bad_config(tmp_path, "amount: 522000", "amount: -522000")
    [error] = _errors(path, figures)
    assert f":{_line_of(path, '-522000')}:" in error
    assert "cost_lines[1].amount: -522000 is less than the minimum of 0" in error
    assert "not negative" in error


def test_blend_shares_over_100_percent_are_located(tmp_path, figures) -> None:
    path = _bad_config(
        tmp_path, "  method: officer_fte\n", "  method: blend\n  blend:\n    equal: 0.6\n    officer_fte: 0.5\n"
    )
    [error] = _errors(path, figures)
    assert f":{_line_of(path, 'equal: 0.6')}:" in error
    assert "apportionment.blend: the blend's shares add up to 110%, over 100%" in error


def test_funding_shares_over_100_percent_and_funding_over_cost_are_located(tmp_path, figures) -> None:
    path = _bad_config(
        tmp_path,
        '    source: MOPAC decision PCD 451 ("the first',
        "  - id: home-office\n    name: Home Office grant\n    years: [2019/20]\n    share: 0.5\n    lines: [onboarding-transition]\n"
        "  - id: gift\n    name: A generous gift\n    years: [2020/21]\n    amount: {capital: 2000000}\n"
        '    source: MOPAC decision PCD 451 ("the first',
    )
    errors = "\n".join(_errors(path, figures))
    assert (
        "funding[1].share: funding shares of cost line 'onboarding-transition' in 2019/20 add up to 150%, over 100%"
        in errors
    )
    assert (
        "funding[2].amount.capital: funding of capital costs in 2020/21 comes to £2,000,000.00, more than their cost"
        in errors
    )


def test_weighting_by_population_needs_a_figure_for_btp(tmp_path, figures) -> None:
    path = _bad_config(tmp_path, "  method: officer_fte\n", "  method: population\n")
    model = chargingmodel.load(path, figures)
    model.compute("proof-of-concept", figures)  # fine: every PoC force has a population
    with pytest.raises(ChargingModelError) as failure:
        model.compute("base-case", figures)
    [error] = failure.value.errors
    assert error.field == "apportionment.method" and error.line == _line_of(path, "method: population")
    assert "british-transport-police has no population figure" in error.message


def test_a_register_naming_an_unknown_force_is_located(model, figures) -> None:
    with pytest.raises(ChargingModelError, match=r"'nowhere' is neither in config/police_forces\.csv"):
        model.members("live", figures, [liveforces.LiveForce("nowhere", date(2026, 1, 1), "t", "t")])


# --- the register ------------------------------------------------------------------------------


def test_marking_live_is_idempotent_and_keeps_corrections(tmp_path) -> None:
    entry, changed = liveforces.mark_live(tmp_path, "demo", date(2026, 6, 1), "first")
    assert changed and entry.live_date == date(2026, 6, 1)
    _, again = liveforces.mark_live(tmp_path, "demo", date(2026, 6, 1), "second")
    assert not again
    liveforces.mark_live(tmp_path, "demo", date(2026, 7, 1), "correction")
    assert [(f.slug, f.live_date, f.source) for f in liveforces.live_forces(tmp_path)] == [
        ("demo", date(2026, 7, 1), "correction")
    ]
    history = json.loads((tmp_path / "platform" / "live-forces.json").read_text())["history"]
    assert [h["live_date"] for h in history] == ["2026-06-01"]


# --- outputs and their checks ------------------------------------------------------------------


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> tuple[Path, chargingrun.Outcome]:
    folder = tmp_path_factory.mktemp("charging")
    store = tmp_path_factory.mktemp("store")
    liveforces.mark_live(store, "demo", date(2026, 6, 1), "test")
    liveforces.mark_live(store, "metropolitan", date(2019, 4, 1), "test")
    return folder, chargingrun.run(folder, None, store=store)


def test_the_outputs_are_written_and_pass_their_checks(outputs) -> None:
    folder, outcome = outputs
    assert outcome.ok, outcome.quality.explain()
    assert outcome.quality.passed == len(outcome.quality.checks) >= 10
    with (folder / "charges.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:7] == ["scenario", "financial_year", "force_slug", "capital", "revenue", "total", "capped"]
    base = [r for r in rows if r["scenario"] == "base-case" and r["force_slug"] == "metropolitan"]
    assert {(r["capital"], r["revenue"], r["total"], r["capped"]) for r in base} == {
        ("500000.00", "900000.00", "1400000.00", "true")
    }
    demo = [r for r in rows if r["scenario"] == "live" and r["force_slug"] == "demo"]
    assert [r["months_live"] for r in demo] == ["0"] * 7 + ["10", "12", "12"]  # live from 1 June 2026
    assert all(Decimal(r["total"]) == 0 for r in demo if r["months_live"] == "0")
    summary = json.loads((folder / "summary.json").read_text())
    year = summary["scenarios"]["base-case"]["years"][0]
    assert year["host"] == {"capital": "500000.00", "revenue": "900000.00", "total": "1400000.00", "capped": True}
    assert year["funding"]["ptf"]["total"] == "600000.00"


def test_the_charts_are_accessible_svg_and_the_report_links_them(outputs) -> None:
    folder, _ = outputs
    for name in ("growth.svg", "charges-base-case.svg", "charges-all-forces.svg"):
        root = ET.parse(folder / name).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        assert root.get("role") == "img"
        assert root.find(f"{ns}title").text and root.find(f"{ns}desc").text
    assert "Avon &amp; Somerset" in (folder / "charges-all-forces.svg").read_text()
    html = (folder / "report.html").read_text()
    assert html.count("<svg") == 6  # five scenarios and the growth chart
    assert "The risk after year two" in html and "11 of 11 checks passed" in html


def test_a_wrong_charges_table_fails_its_checks_readably(outputs, model, figures) -> None:
    result = model.compute("base-case", figures)
    rows = chargingreport.charge_rows([result])
    data = chargingreport.summary(model, [result], [])
    first = rows[0]
    assert first["force_slug"] == "metropolitan"
    first["capital"] += Decimal("10.00")  # over the MPS's cap, and the year no longer adds up
    first["total"] += Decimal("10.00")
    rows[1]["revenue"] = Decimal("-5.00")
    rows[1]["total"] = rows[1]["capital"] - 5
    outcome = chargingquality.check(rows, [result], data)
    assert not outcome.success
    text = outcome.explain()
    assert "charging checks failed" in text
    assert "capital charges within the force's cap" in text
    assert "no negative revenue charge" in text
    assert "each year's charges, funding and gap add up to its cost to the penny" in text


# --- the CLI -----------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return soh("charging", *args)


def test_cli_computes_a_scenario_as_json(tmp_path) -> None:
    done = cli("--scenario", "base-case", "--out", str(tmp_path), "--json", "--store", str(tmp_path / "store"))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] and data["quality"]["success"]
    assert list(data["scenarios"]) == ["base-case"]
    assert data["scenarios"]["base-case"]["years"][3]["host"]["total"] == "1400000.00"
    assert (tmp_path / "charges.csv").is_file() and (tmp_path / "report.html").is_file()


def test_cli_reports_a_bad_model_located_without_a_traceback(tmp_path) -> None:
    bad = _bad_config(tmp_path, "amount: 522000", "amount: -522000")
    done = cli("--config", str(bad), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{bad}:{_line_of(bad, '-522000')}:" in done.stderr
    unknown = cli("--scenario", "nope", "--out", str(tmp_path / "out"), "--no-checks")
    assert unknown.returncode == 1 and "no scenario 'nope'" in unknown.stderr
    assert cli("--check").returncode == 0


def test_the_model_schema_documents_every_field() -> None:
    schema = chargingmodel.schema().data
    assert undocumented_fields(schema, "model") == []


def test_the_charging_benchmark_runs_and_the_exact_model_loses_no_penny() -> None:
    done = run_python(str(ROOT / "benchmarks" / "charging.py"), "--repeat", "1", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "44 forces x 10 years" in done.stdout
    assert re.search(r"^exact \(Fraction\)\s+\d+\.\d+\s+0$", done.stdout, re.MULTILINE), done.stdout
