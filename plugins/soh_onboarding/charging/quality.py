"""Great Expectations checks over the charges table, before anyone is billed from it.

The checks look at the table as written (charges.csv's rows), not at the arithmetic that made it, so
they catch a wrong table whatever went wrong. Money is compared in whole pence (integers), never floats:
- every year reconciles: cost = funding + charges + unfunded gap, to the penny (a table built here by
  summing the charges rows, beside the summary's cost, funding and gap);
- no charge is negative;
- no charge passes its force's cap (the yearly cap, pro rata by months live, rounded down);
- every force of the roster has a row in every year, once; every live force that should pay is charged;
- no force is charged before it went live (rows with no months live are zero).

A failing suite fails the task with `QualityResult.explain()`: one readable line per failed check.
Pandas and Great Expectations are imported inside `check`, never when this module is imported; the GE
plumbing (context, running a suite over a dataframe, reading a failure) is shared in `quality`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import quality
from .arithmetic import KINDS, ScenarioResult, to_pence


@dataclass
class QualityResult:
    success: bool
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for check in self.checks if check["success"])

    def explain(self) -> str:
        failed = [check for check in self.checks if not check["success"]]
        lines = [f"{len(failed)} of {len(self.checks)} charging checks failed:"]
        lines += [f"- {check['description']}: {check['detail']}" for check in failed]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"success": self.success, "passed": self.passed, "total": len(self.checks), "checks": self.checks}


def tables(rows: Sequence[Mapping[str, Any]], results: Sequence[ScenarioResult], summary: Mapping[str, Any]) -> tuple:
    """The charges table (with caps and what each year had to share) and the per-year reconciliation."""
    import pandas as pd

    caps = {(result.scenario, member.slug): member for result in results for member in result.members}
    to_share = {
        (result.scenario, year.financial_year): to_pence(year.to_share["capital"] + year.to_share["revenue"])
        for result in results
        for year in result.years
    }
    records = []
    for row in rows:
        member = caps[(row["scenario"], row["force_slug"])]
        months = row["months_live"]
        cap_capital = None if member.cap_capital is None else to_pence(member.cap_capital) * months // 12
        cap_revenue = None if member.cap_revenue is None else to_pence(member.cap_revenue) * months // 12
        records.append(
            {
                "scenario": row["scenario"],
                "financial_year": row["financial_year"],
                "force_slug": row["force_slug"],
                "scenario_force": f"{row['scenario']}/{row['force_slug']}",
                "capital_p": to_pence(row["capital"]),
                "revenue_p": to_pence(row["revenue"]),
                "total_p": to_pence(row["total"]),
                "months_live": months,
                "cap_capital_p": cap_capital,
                "cap_revenue_p": cap_revenue,
                "should_pay": bool(
                    months > 0
                    and to_share[(row["scenario"], row["financial_year"])] > 0
                    and (cap_capital is None or cap_capital > 0 or cap_revenue is None or cap_revenue > 0)
                ),
            }
        )
    charges = pd.DataFrame.from_records(records)
    for column in ("cap_capital_p", "cap_revenue_p"):
        charges[column] = charges[column].astype("Int64")
    charged = charges.groupby(["scenario", "financial_year"])["total_p"].sum().to_dict() if records else {}
    reconcile = []
    for scenario_id, scenario in summary["scenarios"].items():
        for year in scenario["years"]:
            key = (scenario_id, year["financial_year"])
            cost, funding, gap = (to_pence(year[name]["total"]) for name in ("cost", "funding_total", "gap"))
            reconcile.append(
                {
                    "scenario_year": f"{scenario_id} {year['financial_year']}",
                    "difference_p": cost - funding - int(charged.get(key, 0)) - gap,
                }
            )
    return charges, pd.DataFrame.from_records(reconcile)


def check(
    rows: Sequence[Mapping[str, Any]], results: Sequence[ScenarioResult], summary: Mapping[str, Any]
) -> QualityResult:
    """Run the suite; never raises for a failed check (the caller decides to fail the task)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    charges, reconcile = tables(rows, results, summary)
    context = quality.context()
    expected_rows = {f"{r.scenario}/{m.slug}" for r in results for m in r.members}
    years = len(results[0].years) if results else 0

    money = ("capital_p", "revenue_p", "total_p")
    charges_checks = [
        *(
            gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, description=f"no negative {c[:-2]} charge")
            for c in money
        ),
        *(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=f"cap_{kind}_p",
                column_B=f"{kind}_p",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description=f"{kind} charges within the force's cap",
            )
            for kind in KINDS
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="total_p",
            min_value=0,
            max_value=0,
            row_condition=Column("months_live") == 0,
            description="no force charged before it went live",
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="total_p",
            min_value=1,
            row_condition=Column("should_pay") == True,  # noqa: E712 (builds a condition, not a test)
            description="every live force charged",
        ),
        gxe.ExpectColumnDistinctValuesToContainSet(
            column="scenario_force",
            value_set=sorted(expected_rows),
            description="every force of the roster in the table",
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["scenario", "financial_year", "force_slug"],
            description="one row per scenario, year and force",
        ),
        gxe.ExpectTableRowCountToEqual(
            value=len(expected_rows) * years, description="a row for every year of every force"
        ),
    ]
    reconcile_checks = [
        gxe.ExpectColumnValuesToBeBetween(
            column="difference_p",
            min_value=0,
            max_value=0,
            description="each year's charges, funding and gap add up to its cost to the penny",
        )
    ]
    checks = []
    for name, frame, expectations in (
        ("charges", charges, charges_checks),
        ("reconciliation", reconcile, reconcile_checks),
    ):
        for result in quality.validate(context, name, frame, expectations):
            config = result.expectation_config
            checks.append(
                {
                    "table": name,
                    "expectation": config.type,
                    "description": config.description,
                    "success": bool(result.success),
                    "detail": "" if result.success else _detail(result, frame, expected_rows),
                }
            )
    return QualityResult(all(check["success"] for check in checks), checks)


def _detail(result: Any, frame: Any, expected_rows: set[str]) -> str:
    config = result.expectation_config
    if problem := quality.could_not_run(result):
        return problem
    if config.type == "expect_column_distinct_values_to_contain_set":
        missing = sorted(expected_rows - set(frame["scenario_force"]))
        return f"missing: {', '.join(missing[:10])}"
    if config.type == "expect_table_row_count_to_equal":
        return f"{len(frame)} rows, expected {config.kwargs['value']}"
    count, values, _ = quality.unexpected(result)
    examples = ", ".join(str(value) for value in values[:5])
    return f"{count} row(s) fail, e.g. {examples}"
