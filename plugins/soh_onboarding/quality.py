"""Great Expectations plumbing shared by the library's quality suites (charging, content migration).

Each suite builds its tables with pandas, states its checks as GE expectations, runs them here in an
ephemeral context (nothing written to disk, no analytics, no progress bars) and turns each failure into one
readable line. Great Expectations is imported inside the functions, never when this module is imported:
Airflow parses DAG files that import the library, and heavy imports at parse time are forbidden.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def context() -> Any:
    """An ephemeral Great Expectations context, quiet (no analytics, no progress bars)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    built = gx.get_context(mode="ephemeral")
    built.variables.progress_bars = ProgressBarsConfig(globally=False)
    return built


def validate(gx_context: Any, name: str, frame: Any, expectations: Sequence[Any]) -> list[Any]:
    """Run `expectations` over one pandas dataframe; GE's results, one per expectation, in order.

    `name` must be unique within the context (it names the suite, the data asset and the validation).
    """
    import great_expectations as gx

    sources = {source.name: source for source in gx_context.data_sources.all().values()}
    source = sources.get("pandas") or gx_context.data_sources.add_pandas("pandas")
    suite = gx_context.suites.add(gx.ExpectationSuite(name=name))
    for expectation in expectations:
        suite.add_expectation(expectation)
    asset = source.add_dataframe_asset(name)
    definition = gx_context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=asset.add_batch_definition_whole_dataframe(name), suite=suite)
    )
    outcome = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
    return list(outcome.results)


def could_not_run(result: Any) -> str | None:
    """Why an expectation raised instead of giving a verdict, in one line; None if it ran."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        message = str(info.get("exception_message") or "unknown error").splitlines()[0]
        return f"the check could not run: {message}"
    return None


def unexpected(result: Any) -> tuple[int, list[Any], list[Any]]:
    """(how many rows failed, a few failing values, their row indexes) from a column expectation's result."""
    found = result.result or {}
    return (
        int(found.get("unexpected_count") or 0),
        list(found.get("partial_unexpected_list") or []),
        list(found.get("partial_unexpected_index_list") or []),
    )
