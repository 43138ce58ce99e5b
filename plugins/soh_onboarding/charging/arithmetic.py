"""The charging model's arithmetic: who pays what, per financial year, as forces join the platform.

Each year and each kind of cost (capital, revenue) is computed on its own:
1. the year's cost is the sum of its cost lines; funding sources (the Police Transformation Fund) pay
   their part first, each rounded to the penny once;
2. the rest is shared among the forces live that year in proportion to their weights, each weight
   multiplied by the whole months the force is live in the year (pro rata);
3. a force whose share would pass its cap (also pro rata, rounded down to the penny) pays its cap, and
   the excess is shared by the uncapped forces in proportion to their weights, until no share passes
   a cap (water-filling); when every force is capped, what is left is the unfunded gap;
4. the exact shares (rational numbers, never floats) are rounded to pennies once, by the largest
   remainder rule, so the charges plus the gap add up to the year's cost to the penny.

Why weights that do not depend on the roster (see model.py for how they are made): with them, a
force joining never raises another's exact charge, caps or not, which is what a force signing up is
promised. Rounding can still move a penny.

This module knows nothing of files, specs or Airflow: it takes plain values and returns plain values.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

KINDS = ("capital", "revenue")
PENNY = Decimal("0.01")


def to_pence(pounds: Decimal | int | float | str) -> int:
    """Pounds with at most two decimals to whole pence; refuses fractions of a penny."""
    amount = Decimal(str(pounds))
    pence = amount * 100
    if pence != pence.to_integral_value():
        raise ValueError(f"{pounds} has fractions of a penny")
    return int(pence)


def to_pounds(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(PENNY)


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A UK public-sector financial year, 1 April to 31 March, written 2019/20."""

    label: str

    @property
    def start(self) -> date:
        return date(int(self.label[:4]), 4, 1)

    def month_starts(self) -> list[date]:
        first = self.start.year
        return [date(first + (month >= 13), (month - 1) % 12 + 1, 1) for month in range(4, 16)]

    def months_live(self, live_from: date | None, live_until: date | None = None) -> int:
        """Whole months of the year the force is live: a month counts when the force is live on its first
        day. No `live_from` means live before the year began; `live_until` is the day a rollback took it off
        (months that begin after it are not its)."""
        return sum(
            1
            for first in self.month_starts()
            if (live_from is None or first >= live_from) and (live_until is None or first <= live_until)
        )


@dataclass(frozen=True)
class CostLine:
    """One line of the platform's costs: pounds per financial year label."""

    id: str
    name: str
    kind: str
    amounts: Mapping[str, Decimal]


@dataclass(frozen=True)
class FundingSource:
    """Money from outside the forces: a share of some lines' cost, or fixed amounts per kind."""

    id: str
    name: str
    years: frozenset[str]
    share: Fraction | None = None
    amounts: Mapping[str, Decimal] | None = None
    lines: frozenset[str] | None = None  # None: every line


@dataclass(frozen=True)
class Member:
    """A force in a scenario's roster, with everything the arithmetic needs.

    `weight` does not depend on who else is in the roster; `cap_*` are yearly caps in pounds, or None.
    """

    slug: str
    name: str
    weight: Fraction
    live_from: date | None = None
    cap_capital: Decimal | None = None
    cap_revenue: Decimal | None = None
    live_until: date | None = None
    """The day a rollback took the force off the platform (the live-forces register's live_until)."""

    def cap(self, kind: str) -> Decimal | None:
        return self.cap_capital if kind == "capital" else self.cap_revenue


@dataclass(frozen=True)
class Charge:
    """What one force pays in one year."""

    scenario: str
    financial_year: str
    force_slug: str
    force_name: str
    months_live: int
    live_from: date | None
    capital: Decimal
    revenue: Decimal
    capped_capital: bool
    capped_revenue: bool
    exact_capital: Fraction = field(repr=False, compare=False)
    exact_revenue: Fraction = field(repr=False, compare=False)

    @property
    def total(self) -> Decimal:
        return self.capital + self.revenue

    @property
    def capped(self) -> bool:
        return self.capped_capital or self.capped_revenue


@dataclass(frozen=True)
class YearResult:
    """One financial year of a scenario: the cost, who funded it, who was charged, what is unfunded."""

    financial_year: str
    cost: Mapping[str, Decimal]
    funding: Mapping[str, Mapping[str, Decimal]]
    to_share: Mapping[str, Decimal]
    gap: Mapping[str, Decimal]
    charges: tuple[Charge, ...]
    uncapped: Mapping[str, Mapping[str, Decimal]]
    """What each force would pay without any cap (rounded the same way): the risk the caps move."""

    def charged(self, kind: str) -> Decimal:
        return sum((getattr(charge, kind) for charge in self.charges), Decimal("0.00"))

    def charge_of(self, slug: str) -> Charge | None:
        return next((charge for charge in self.charges if charge.force_slug == slug), None)


@dataclass(frozen=True)
class ScenarioResult:
    scenario: str
    title: str
    members: tuple[Member, ...]
    years: tuple[YearResult, ...]

    def charges(self) -> list[Charge]:
        return [charge for year in self.years for charge in year.charges]


# --- the arithmetic ----------------------------------------------------------------------------


def water_fill(
    total: Fraction | int, weights: Mapping[Hashable, Fraction], caps: Mapping[Hashable, Fraction | int | None]
) -> tuple[dict[Hashable, Fraction], set[Hashable], Fraction]:
    """Share `total` in proportion to `weights`, no one above their cap; returns (shares, capped, gap).

    At the current level (amount per unit of weight) every member whose share would pass its cap is
    fixed at its cap: the level can only rise as members leave, so they stay capped. Repeat until no
    share passes a cap. The gap is what is left when every member is capped (or there is no member).
    """
    shares: dict[Hashable, Fraction] = {}
    capped: set[Hashable] = set()
    remaining = Fraction(total)
    active = [key for key in weights if weights[key] > 0]
    shares.update({key: Fraction(0) for key in weights if weights[key] <= 0})
    while active:
        level = remaining / sum(weights[key] for key in active)
        over = [key for key in active if caps.get(key) is not None and level * weights[key] > caps[key]]
        if not over:
            shares.update({key: level * weights[key] for key in active})
            return shares, capped, Fraction(0)
        for key in over:
            shares[key] = Fraction(caps[key])  # type: ignore[arg-type]
            remaining -= shares[key]
        capped.update(over)
        active = [key for key in active if key not in capped]
    return shares, capped, remaining


def largest_remainder(exact: Mapping[Hashable, Fraction], total: int) -> dict[Hashable, int]:
    """Round exact amounts (in pence) to whole pence that add up to `total`, moving each by under a penny.

    Everyone gets the floor of their amount; the pennies still missing go to the largest remainders,
    ties broken by key so that the result is the same on every run.
    """
    if sum(exact.values(), Fraction(0)) != total:
        raise ValueError("the exact amounts do not add up to the total")
    rounded = {key: math.floor(value) for key, value in exact.items()}
    missing = total - sum(rounded.values())
    order = sorted(exact, key=lambda key: (-(exact[key] - rounded[key]), str(key)))
    for key in order[:missing]:
        rounded[key] += 1
    return rounded


def year_costs(year: FinancialYear, lines: Iterable[CostLine]) -> dict[str, int]:
    """Pence per kind in the year."""
    pence = dict.fromkeys(KINDS, 0)
    for line in lines:
        pence[line.kind] += to_pence(line.amounts.get(year.label, Decimal(0)))
    return pence


def year_funding(
    year: FinancialYear, lines: Sequence[CostLine], funding: Iterable[FundingSource]
) -> dict[str, dict[str, int]]:
    """Pence per source and kind in the year; a share is rounded half up to the penny, once."""
    paid: dict[str, dict[str, int]] = {}
    for source in funding:
        if year.label not in source.years:
            continue
        if source.share is not None:
            covered = [line for line in lines if source.lines is None or line.id in source.lines]
            base = year_costs(year, covered)
            paid[source.id] = {kind: math.floor(base[kind] * source.share + Fraction(1, 2)) for kind in KINDS}
        else:
            amounts = source.amounts or {}
            paid[source.id] = {kind: to_pence(amounts.get(kind, 0)) for kind in KINDS}
    return paid


def compute(
    scenario: str,
    title: str,
    members: Sequence[Member],
    years: Sequence[FinancialYear],
    lines: Sequence[CostLine],
    funding: Sequence[FundingSource] = (),
) -> ScenarioResult:
    """Every year of one scenario. Raises ValueError when funding exceeds a year's cost (the model's
    check reports that with its line first, so a checked model never gets here with it)."""
    slugs = [member.slug for member in members]
    if len(set(slugs)) != len(slugs):
        raise ValueError("a force is listed twice in the roster")
    results = []
    for year in years:
        cost = year_costs(year, lines)
        funded = year_funding(year, lines, funding)
        to_share = {kind: cost[kind] - sum(source[kind] for source in funded.values()) for kind in KINDS}
        for kind in KINDS:
            if to_share[kind] < 0:
                raise ValueError(f"{year.label}: funding of {kind} costs exceeds the cost")
        months = {member.slug: year.months_live(member.live_from, member.live_until) for member in members}
        live = [member for member in members if months[member.slug] > 0]
        weights = {member.slug: member.weight * months[member.slug] / 12 for member in live}
        exact: dict[str, dict[Hashable, Fraction]] = {}
        rounded: dict[str, dict[Hashable, int]] = {}
        capped: dict[str, set[Hashable]] = {}
        gap: dict[str, int] = {}
        uncapped: dict[str, dict[Hashable, int]] = {}
        for kind in KINDS:
            caps = {}
            for member in live:
                cap = member.cap(kind)
                caps[member.slug] = None if cap is None else to_pence(cap) * months[member.slug] // 12
            exact[kind], capped[kind], gap_exact = water_fill(to_share[kind], weights, caps)
            rounded[kind] = largest_remainder({**exact[kind], None: gap_exact}, to_share[kind])
            gap[kind] = rounded[kind].pop(None)
            free, _, free_gap = water_fill(to_share[kind], weights, {})
            uncapped[kind] = largest_remainder({**free, None: free_gap}, to_share[kind])
            uncapped[kind].pop(None)
        charges = tuple(
            Charge(
                scenario=scenario,
                financial_year=year.label,
                force_slug=member.slug,
                force_name=member.name,
                months_live=months[member.slug],
                live_from=member.live_from,
                capital=to_pounds(rounded["capital"].get(member.slug, 0)),
                revenue=to_pounds(rounded["revenue"].get(member.slug, 0)),
                capped_capital=member.slug in capped["capital"],
                capped_revenue=member.slug in capped["revenue"],
                exact_capital=exact["capital"].get(member.slug, Fraction(0)) / 100,
                exact_revenue=exact["revenue"].get(member.slug, Fraction(0)) / 100,
            )
            for member in members
        )
        results.append(
            YearResult(
                financial_year=year.label,
                cost={kind: to_pounds(cost[kind]) for kind in KINDS},
                funding={sid: {kind: to_pounds(pence[kind]) for kind in KINDS} for sid, pence in funded.items()},
                to_share={kind: to_pounds(to_share[kind]) for kind in KINDS},
                gap={kind: to_pounds(gap[kind]) for kind in KINDS},
                charges=charges,
                uncapped={
                    str(slug): {kind: to_pounds(uncapped[kind].get(slug, 0)) for kind in KINDS} for slug in weights
                },
            )
        )
    return ScenarioResult(scenario, title, tuple(members), tuple(results))
