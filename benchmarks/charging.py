"""The charging model's exact arithmetic against a naive float implementation: time, and pennies lost.

All 44 forces x the model's 10 years, by officer FTE with the MPS cap, from config/charging-model.yaml.
The exact model (Fractions, rounded once by largest remainder) adds up to the penny by construction; the
naive one (floats, each charge rounded on its own) is what a spreadsheet does. Prints a small table:

    .venv/bin/python benchmarks/charging.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from soh_onboarding import spec
from soh_onboarding.charging import model as chargingmodel
from soh_onboarding.charging.arithmetic import KINDS, year_costs, year_funding


def naive(model: chargingmodel.ChargingModel, members: list) -> dict[tuple[str, str], float]:
    """Floats, caps redistributed in a loop, each charge rounded to pence on its own."""
    shares: dict[tuple[str, str], float] = {}
    for year in model.years:
        cost = year_costs(year, model.lines)
        funded = year_funding(year, model.lines, model.funding)
        for kind in KINDS:
            remaining = (cost[kind] - sum(f[kind] for f in funded.values())) / 100
            weights = {m.slug: float(m.weight) * year.months_live(m.live_from) / 12 for m in members}
            active = {slug for slug, w in weights.items() if w > 0}
            charge: dict[str, float] = {}
            while active:
                level = remaining / sum(weights[s] for s in active)
                over = [
                    m
                    for m in members
                    if m.slug in active and m.cap(kind) is not None and level * weights[m.slug] > float(m.cap(kind))
                ]
                if not over:
                    charge.update({s: level * weights[s] for s in active})
                    break
                for m in over:
                    charge[m.slug] = float(m.cap(kind))
                    remaining -= charge[m.slug]
                    active.discard(m.slug)
            for slug, value in charge.items():
                shares[(year.label, slug)] = shares.get((year.label, slug), 0.0) + round(value, 2)
    return shares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    figures = chargingmodel.figures_from_specs(spec.check().specs)
    model = chargingmodel.load(chargingmodel.CONFIG, figures)
    members = model.members("all-forces", figures)

    start = time.perf_counter()
    for _ in range(args.repeat):
        exact = model.compute("all-forces", figures)
    exact_time = (time.perf_counter() - start) / args.repeat
    start = time.perf_counter()
    for _ in range(args.repeat):
        floats = naive(model, members)
    naive_time = (time.perf_counter() - start) / args.repeat

    exact_off = naive_off = 0
    for year in exact.years:
        to_share = sum(year.to_share.values(), Decimal(0))
        exact_off += abs(sum(c.total for c in year.charges) + sum(year.gap.values(), Decimal(0)) - to_share)
        naive_off += abs(
            Decimal(str(round(sum(v for (y, _), v in floats.items() if y == year.financial_year), 2))) - to_share
        )
    print(f"{len(members)} forces x {len(model.years)} years")
    print(f"{'implementation':16} {'ms per run':>10} {'pence off (all years)':>22}")
    print(f"{'exact (Fraction)':16} {exact_time * 1000:>10.2f} {int(exact_off * 100):>22}")
    print(f"{'naive (float)':16} {naive_time * 1000:>10.2f} {int(naive_off * 100):>22}")
    print(f"exact / naive time: {exact_time / naive_time:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
