"""The charging model's outputs in a run's `charging/` folder, for the programme board and the checks.

    charges.csv       one row per scenario, year and force in the roster (zero before it is live)
    summary.json      per scenario and year: cost, funding, charged, unfunded gap, the host force's part,
                      each force's share; and the growth curve
    charges-<scenario>.svg   charges per force per year (a heat map: 44 forces stay readable)
    growth.svg        the host force's contribution against the number of forces on the platform
    report.html       all of it on one page, charts inline with their data tables
    quality.json      the Great Expectations verdict (written by quality.py)

Charts are SVG from Jinja templates: no plotting dependency, text a screen reader can read (<title>,
<desc>) and a data table beside each. Money stays Decimal; it becomes text only here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import reports
from .arithmetic import KINDS, ScenarioResult
from .model import ChargingModel

CSV_COLUMNS = (
    "scenario",
    "financial_year",
    "force_slug",
    "capital",
    "revenue",
    "total",
    "capped",
    "months_live",
    "live_from",
)
"""The columns the issue asks for, then months_live and live_from so checks can see when a force joined."""

ZERO = Decimal("0.00")


def short_money(value: Decimal | str) -> str:
    """£1.40m / £245k / £900, for chart labels."""
    amount = Decimal(value)
    if amount >= 1_000_000:
        return f"£{amount / 1_000_000:.2f}m"
    if amount >= 1_000:
        return f"£{amount / 1_000:.0f}k"
    return f"£{amount:.0f}"


def _split(values: Mapping[str, Decimal]) -> dict[str, str]:
    return {**{kind: str(values[kind]) for kind in KINDS}, "total": str(values["capital"] + values["revenue"])}


# --- tables ------------------------------------------------------------------------------------


def charge_rows(results: Sequence[ScenarioResult]) -> list[dict[str, Any]]:
    return [
        {
            "scenario": charge.scenario,
            "financial_year": charge.financial_year,
            "force_slug": charge.force_slug,
            "capital": charge.capital,
            "revenue": charge.revenue,
            "total": charge.total,
            "capped": charge.capped,
            "months_live": charge.months_live,
            "live_from": charge.live_from.isoformat() if charge.live_from else "",
        }
        for result in results
        for charge in result.charges()
    ]


def charges_csv(results: Sequence[ScenarioResult]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in charge_rows(results):
        writer.writerow({**row, "capped": "true" if row["capped"] else "false"})
    return out.getvalue()


def summary(model: ChargingModel, results: Sequence[ScenarioResult], growth: Sequence[Mapping[str, Any]]) -> dict:
    """Everything the board reads, as JSON-ready data (money as strings of pounds and pence)."""
    host = model.host_force
    scenarios = {}
    for result in results:
        scenario = model.scenarios[result.scenario]
        years = []
        for year in result.years:
            host_charge = year.charge_of(host)
            funded = {kind: sum((paid[kind] for paid in year.funding.values()), ZERO) for kind in KINDS}
            years.append(
                {
                    "financial_year": year.financial_year,
                    "cost": _split(year.cost),
                    "funding": {source: _split(paid) for source, paid in year.funding.items()},
                    "funding_total": _split(funded),
                    "charged": _split({kind: year.charged(kind) for kind in KINDS}),
                    "gap": _split(year.gap),
                    "forces_live": sum(1 for charge in year.charges if charge.months_live),
                    "host": {
                        **_split(
                            {kind: getattr(host_charge, kind) for kind in KINDS}
                            if host_charge
                            else dict.fromkeys(KINDS, ZERO)
                        ),
                        "capped": bool(host_charge and host_charge.capped),
                    },
                }
            )
        shares = {
            member.slug: {
                "name": member.name,
                "capped_years": [
                    y.financial_year for y in result.years if (c := y.charge_of(member.slug)) and c.capped
                ],
                "years": {
                    y.financial_year: str(c.total) for y in result.years if (c := y.charge_of(member.slug)) is not None
                },
            }
            for member in result.members
        }
        scenarios[result.scenario] = {
            "title": scenario.title,
            "description": scenario.description,
            "method": (scenario.apportionment or model.apportionment).describe(),
            "forces": len(result.members),
            "years": years,
            "shares": shares,
        }
    return {
        "model": {
            "file": model.document.shown,
            "sha256": model.document.sha256,
            "host_force": host,
            "financial_years": [year.label for year in model.years],
        },
        "scenarios": scenarios,
        "growth": {
            "year": model.growth_year,
            "points": [
                {key: str(value) if isinstance(value, Decimal) else value for key, value in point.items()}
                for point in growth
            ],
        },
    }


def asset_extra(summary_data: Mapping[str, Any], folder: str) -> dict[str, Any]:
    """The compact summary carried by the Asset event soh://charging/model: per scenario and year the
    cost, funding, gap and the host force's part (totals); the full summary is in the folder."""
    return {
        "folder": folder,
        "host_force": summary_data["model"]["host_force"],
        "scenarios": {
            scenario_id: {
                year["financial_year"]: {
                    "cost": year["cost"]["total"],
                    "funding": year["funding_total"]["total"],
                    "gap": year["gap"]["total"],
                    "host": year["host"]["total"],
                    "forces_live": year["forces_live"],
                }
                for year in scenario["years"]
            }
            for scenario_id, scenario in summary_data["scenarios"].items()
        },
    }


# --- charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    value: Decimal
    label: str
    shade: float
    capped: bool


def heatmap(result: ScenarioResult) -> dict[str, Any]:
    """Layout of the charges-per-force-per-year chart: one row per force, one column per year."""
    left, top, cell_w, cell_h = 190, 50, 74, 20
    years = [year.financial_year for year in result.years]
    top_value = max((charge.total for charge in result.charges()), default=ZERO) or Decimal(1)
    rows = []
    for index, member in enumerate(result.members):
        cells = []
        for column, year in enumerate(result.years):
            charge = year.charge_of(member.slug)
            value = charge.total if charge else ZERO
            cells.append(
                Cell(
                    x=left + column * cell_w,
                    y=top + index * cell_h,
                    value=value,
                    label=short_money(value) if value else "–",
                    shade=float(value / top_value),
                    capped=bool(charge and charge.capped),
                )
            )
        rows.append({"name": member.name, "slug": member.slug, "y": top + index * cell_h, "cells": cells})
    return {
        "width": left + len(years) * cell_w + 20,
        "height": top + len(rows) * cell_h + 40,
        "left": left,
        "top": top,
        "cell_w": cell_w,
        "cell_h": cell_h,
        "years": [{"label": label, "x": left + i * cell_w + cell_w / 2} for i, label in enumerate(years)],
        "rows": rows,
        "title": f"{result.title}: charges per force per year",
        "id": result.scenario,
    }


def growth_chart(model: ChargingModel, points: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Layout of the host force's contribution against the number of forces on the platform."""
    if not points:
        return None
    width, height, left, right, top, bottom = 760, 380, 80, 20, 40, 50
    counts = [p["forces"] for p in points]
    cap = model.caps.get(model.host_force)
    cap_total = cap[0] + cap[1] if cap else None
    top_value = max([p["host_uncapped"] for p in points] + ([cap_total] if cap_total else []))
    top_value = Decimal(top_value) * Decimal("1.1") or Decimal(1)
    low, high = min(counts), max(counts)

    def x(count: int) -> float:
        return left + (count - low) / max(high - low, 1) * (width - left - right)

    def y(value: Decimal) -> float:
        return top + (1 - float(Decimal(value) / top_value)) * (height - top - bottom)

    step = Decimal(10) ** (len(str(int(top_value))) - 1)
    ticks = [step * i for i in range(int(top_value / step) + 1)]
    base = next((len(model.roster(model.scenarios[s])) for s in model.scenarios if s == "base-case"), None)
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "charged": " ".join(f"{x(p['forces']):.1f},{y(p['host_charged']):.1f}" for p in points),
        "uncapped": " ".join(f"{x(p['forces']):.1f},{y(p['host_uncapped']):.1f}" for p in points),
        "cap": {"y": y(cap_total), "label": short_money(cap_total)} if cap_total else None,
        "base": {"x": x(base), "forces": base} if base and low <= base <= high else None,
        "x_ticks": [{"x": x(c), "label": c} for c in counts if c in (low, high) or c % 5 == 0],
        "y_ticks": [{"y": y(v), "label": short_money(v)} for v in ticks],
        "host": model.reference[model.host_force].name if model.host_force in model.reference else model.host_force,
        "year": model.growth_year,
        "low": low,
        "high": high,
        "points": points,
    }


# --- writing -----------------------------------------------------------------------------------


def write(
    folder: Any,
    model: ChargingModel,
    results: Sequence[ScenarioResult],
    growth: Sequence[Mapping[str, Any]],
    quality: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write charges.csv, summary.json, the charts and report.html into `folder`; return the summary."""
    from ..artifacts import within, write_json

    data = summary(model, results, growth)
    (folder / "charges.csv").write_text(charges_csv(results), encoding="utf-8")
    write_json(folder / "summary.json", data)
    charts = {}
    for result in results:
        svg = reports.render("charges_heatmap.svg.j2", chart=heatmap(result))
        # The scenario id is the model's (a slug, by its schema): joined with `within` all the same.
        within(folder, f"charges-{result.scenario}.svg").write_text(svg, encoding="utf-8")
        charts[result.scenario] = svg
    growth_layout = growth_chart(model, growth)
    if growth_layout:
        growth_layout["svg"] = reports.render("growth.svg.j2", chart=growth_layout)
        (folder / "growth.svg").write_text(growth_layout["svg"], encoding="utf-8")
    html = reports.render(
        "charging_report.html.j2", summary=data, results=results, charts=charts, growth=growth_layout, quality=quality
    )
    (folder / "report.html").write_text(html, encoding="utf-8")
    return data
