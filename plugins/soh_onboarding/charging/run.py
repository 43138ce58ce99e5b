"""One run of the charging model, the same from the CLI and from Airflow: check the model, resolve the
rosters (reference table, specs, live register), compute, check the table, write the outputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import spec
from ..artifacts import write_json
from ..live.register import live_forces
from ..spec.documents import DocumentError
from . import quality, report
from .model import CONFIG, ChargingModel, ChargingModelError, figures_from_specs, load
from .quality import QualityResult

ALL = "all"


@dataclass
class Outcome:
    summary: dict[str, Any]
    quality: QualityResult | None
    scenarios: list[str]

    @property
    def ok(self) -> bool:
        return self.quality is None or self.quality.success


def scenario_ids(requested: Sequence[str] | None, model: ChargingModel) -> list[str]:
    """The scenarios asked for (all of them for None, [] or 'all'); an unknown name is a located-style error."""
    names = [name for name in requested or [] if name != ALL]
    if not names:
        return list(model.scenarios)
    unknown = [name for name in names if name not in model.scenarios]
    if unknown:
        known = ", ".join(model.scenarios)
        raise ChargingModelError(
            [
                DocumentError(
                    model.document.shown, 1, 1, "scenarios", f"no scenario '{name}'", f"scenarios: {known}, or all"
                )
                for name in unknown
            ]
        )
    return list(dict.fromkeys(names))


def run(
    folder: Any,
    requested: Sequence[str] | None = None,
    store: Any = None,
    specs_dir: Path | None = None,
    config: Path = CONFIG,
    check_quality: bool = True,
) -> Outcome:
    """Compute the requested scenarios into `folder`. Raises ChargingModelError for a model (or roster)
    that cannot be computed; a failed quality check is in the outcome, with every output still written
    so the failure can be read."""
    checked = spec.check([specs_dir] if specs_dir else None)
    figures = figures_from_specs(checked.specs)
    model = load(config, figures)
    wanted = scenario_ids(requested, model)
    register = live_forces(store) if store is not None else []
    results = [model.compute(scenario_id, figures, register) for scenario_id in wanted]
    growth = model.growth(figures)
    rows = report.charge_rows(results)
    data = report.summary(model, results, growth)
    verdict = quality.check(rows, results, data) if check_quality else None
    if verdict is not None:
        write_json(folder / "quality.json", verdict.as_dict())
    report.write(folder, model, results, growth, verdict.as_dict() if verdict else None)
    return Outcome(data, verdict, wanted)
