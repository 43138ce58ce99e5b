"""The charging model's adapter: the platform-wide run that splits the platform's costs between the forces."""

from __future__ import annotations

from typing import Any

from ..artifacts import RunFolder
from .runtime import artifact_store, fail, specs_dir

CHARGING_MODEL_URI = "soh://charging/model"
"""Emitted when the charging model is recomputed, with the summary in the event's extra."""
PLATFORM_SLUG = "platform"
"""The artifact store's folder for platform-wide runs (not one force's): <store>/platform/<run id>/charging/."""


def charging_scenarios() -> list[str]:
    """The model's scenario names, for the trigger form; [] when the model file does not pass its schema
    (the run then reports the located errors). Parse time: reads one small local file, nothing else."""
    from ..charging import model

    return model.scenario_names()


def compute_charging(context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """Compute the charging model into <store>/platform/<run id>/charging/; fail on a model error or a
    failed quality check, with a readable summary; emit the summary on the Asset event."""
    from ..charging import report, run
    from ..charging.model import ChargingModelError

    params = context.get("params") or {}
    scenario = params.get("scenario") or run.ALL
    for event in _triggering_events(context):
        print(f"triggered by {event}")
    store = artifact_store()
    folder = RunFolder.for_run(store, PLATFORM_SLUG, context["run_id"]).phase("charging")
    try:
        outcome = run.run(folder, [scenario], store=store, specs_dir=specs_dir(context))
    except ChargingModelError as error:
        fail(f"The charging model cannot be computed; fix config/charging-model.yaml or the specs:\n{error.listing()}")
    if not outcome.ok and outcome.quality is not None:
        fail(f"{outcome.quality.explain()}\nThe tables and report are in {folder}.")
    extra = report.asset_extra(outcome.summary, str(folder))
    context["outlet_events"][asset].extra = extra
    print(f"charging model: {', '.join(outcome.scenarios)} computed into {folder}")
    return {"folder": str(folder), "scenarios": outcome.scenarios}


def _triggering_events(context: dict[str, Any]) -> list[str]:
    events = context.get("triggering_asset_events") or {}
    described = []
    for asset, items in dict(events).items():
        for event in items:
            described.append(f"{getattr(asset, 'uri', asset)} {getattr(event, 'extra', {})}")
    return described
