"""After go-live: the live-forces register (marking a force live), the daily checks of every live force's
site, and the monthly accessibility re-audit of every live force's live domain."""

from __future__ import annotations

from datetime import date
from typing import Any

from .. import project
from ..artifacts import force_folder
from .runtime import artifact_store, artifact_url, fail, golive_settings, now, specs_dir, valid_spec

LIVE_FORCES_URI = "soh://platform/live-forces"
"""Emitted when a force goes live (go-live's switch, or the mark_force_live DAG); schedules the charging model."""


def mark_force_live(context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """Record a force in the live-forces register and put it in the Asset event's extra.

    The date defaults to the spec's charging.live_from. The force must have a valid spec: its figures
    (FTE, population, cap) are what the charging model weights it by.
    """
    params = context.get("params") or {}
    slug = str(params.get("force") or "").strip()
    spec_file = specs_dir(context) / f"{slug}.yaml"
    if not slug or not spec_file.is_file():
        fail(f"No spec for force '{slug}' in {specs_dir(context)}: mark live only onboarded forces.")
    force = valid_spec(spec_file, f"The spec of '{slug}' does not pass its check; fix it by pull request")
    given = params.get("live_date") or ""
    try:
        live_date = date.fromisoformat(given) if given else date.fromisoformat(force.data["charging"]["live_from"])
    except ValueError:
        fail(f"live_date '{given}' is not a date written YYYY-MM-DD")
    return record_live(force.slug, force.name, live_date, context, asset)


def record_live(slug: str, name: str, live_date: date, context: dict[str, Any], asset: Any) -> dict[str, Any]:
    """Record the force in the live-forces register and put it on the Asset event (mark_force_live, go-live)."""
    from ..live import register

    source = f"{context['dag'].dag_id if context.get('dag') else 'mark_force_live'} run {context['run_id']}"
    entry, changed = register.mark_live(artifact_store(), slug, live_date, source)
    extra = {"force": entry.slug, "live_date": entry.live_date.isoformat(), "source": entry.source, "changed": changed}
    context["outlet_events"][asset].extra = extra
    print(f"{name} is live from {entry.live_date} ({'recorded' if changed else 'already recorded'})")
    return extra


def monitored_forces() -> list[str]:
    """The forces of the live-forces register that still have a spec (the checks need its domains)."""
    from ..live import register

    slugs = [force.slug for force in register.live_forces(artifact_store(), rolled_back=False)]
    kept = [slug for slug in slugs if (project.specs_dir() / f"{slug}.yaml").is_file()]
    for slug in sorted(set(slugs) - set(kept)):
        print(f"{slug} is in the live-forces register but has no spec in {project.specs_dir()}: not checked")
    print(f"checking {len(kept)} live force(s): {', '.join(kept) or 'none'}")
    return kept


def _live_spec(slug: str) -> dict[str, Any]:
    """The live force's spec as it is now; an invalid one fails the task with every error located."""
    path = project.specs_dir() / f"{slug}.yaml"
    return valid_spec(path, f"the spec of live force {slug} does not pass its check").data


def monitor_force(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Re-run the machine checks of one live force and compare with its go-live and its last check."""
    from ..golive import checks, decision
    from ..live import sitechecks

    spec_data = _live_spec(slug)
    store = artifact_store()
    record = decision.approved_record(force_folder(store, slug))
    run = force_folder(store, slug) / record["run"] if record else None
    checklist, _ = checks.run_checks(spec_data, golive_settings(), run, prerequisites=False, live=True)
    last = sitechecks.last_result(store, slug)
    outcome = sitechecks.compare(
        checklist, record["baseline_findings"] if record else [], last["findings"] if last else None
    )
    line = sitechecks.record(store, checklist, outcome)
    for finding in outcome.new:
        print(f"NEW REGRESSION {finding}")
    for finding in outcome.fixed:
        print(f"fixed since the last check: {finding}")
    print(f"{slug}: {checklist.status}; {len(outcome.open)} open regression(s), {len(outcome.new)} new")
    return line


def monitoring_summary(lines: list[dict[str, Any]] | None, context: dict[str, Any]) -> dict[str, Any]:
    """Write the dashboard's summary; fail (the alert) when any force has a new regression."""
    from ..live import sitechecks

    lines = [line for line in (lines or []) if line]
    path = sitechecks.summarise(artifact_store(), lines, now())
    alerts = [line for line in lines if line.get("alert")]
    print(f"summary for the dashboard: {artifact_url(path)}")
    if alerts:
        listing = "\n".join(f"- {line['force']}: {', '.join(line['new_regressions'])}" for line in alerts)
        fail(f"Regressions on {len(alerts)} live force(s):\n{listing}")
    return {"forces": len(lines), "alerts": 0}


def reaudit_force(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Re-audit one live force's live site; compare with the audit its go-live passed with and the last
    re-audit. Playwright is imported by the audit only, here at run time."""
    from ..accessibility import known
    from ..live import reaudit

    spec_data = _live_spec(slug)
    store = artifact_store()
    accepted = known.for_spec(project.specs_dir() / f"{slug}.yaml")  # read now: expiry is judged today
    try:
        done = reaudit.reaudit(spec_data, golive_settings(), store, progress=print, known=accepted)
    except reaudit.ReauditError as error:
        fail(f"{slug}: {error}")
    line = reaudit.record(store, done)
    if done.baseline is None:
        print(f"NO BASELINE: {done.baseline_missing}; every serious or critical violation counts")
    for item in done.outcome.new:
        print(f"NEW ACCESSIBILITY REGRESSION {item}")
    for item in done.outcome.fixed:
        print(f"fixed since the last re-audit: {item}")
    for failure in done.known_issue_failures:
        print(f"ACCEPTED KNOWN ISSUE NOT HONOURED {failure}")
    for warning in done.gate.warnings:
        print(f"WARNING {warning}")
    if done.gate.accepted:
        print(f"{len(done.gate.accepted)} violation(s) accepted as known issues, not counted as regressions")
    if done.statement.overdue:
        print(f"the accessibility statement (drafted {done.statement.drafted or 'never'}) is due for review")
    print(
        f"{slug}: {done.outcome.status}; {len(done.outcome.open)} open regression(s), {len(done.outcome.new)} new; "
        f"{line['pages']} page(s) in {line['seconds']} s; report {artifact_url(store / line['report'])}"
    )
    return line


def reaudit_summary(
    lines: list[dict[str, Any]] | None, listed: list[str] | None, context: dict[str, Any]
) -> dict[str, Any]:
    """Write the dashboard's summary of the re-audits (`listed`: the live forces the run set out to re-audit);
    fail (the alert) on new regressions, a live site none of whose pages could be audited, or a live force
    whose re-audit task failed (e.g. its spec no longer passes its check: the task's log says why)."""
    from ..live import reaudit

    lines = [line for line in (lines or []) if line]
    path = reaudit.summarise(artifact_store(), lines, now())
    print(f"summary for the dashboard: {artifact_url(path)}")
    alerts = [f"- {line['force']}: {', '.join(line['new_regressions'])}" for line in lines if line.get("alert")]
    alerts += [
        f"- {line['force']}: no page could be audited" for line in lines if line["status"] == reaudit.NOT_AUDITED
    ]
    alerts += [f"- {line['force']}: {failure}" for line in lines for failure in line.get("known_issue_failures") or []]
    alerts += [
        f"- {slug}: not re-audited, its task failed (see its log)"
        for slug in sorted(set(listed or []) - {line["force"] for line in lines})
    ]
    if alerts:
        fail("Accessibility re-audit alerts (new serious or critical violations, or no audit):\n" + "\n".join(alerts))
    return {"forces": len(lines), "alerts": 0}


def _log_day(context: dict[str, Any]) -> str:
    """The day whose logs a run reads: the trigger form's `day`, else the day before the run's logical date
    (a daily run at midnight reads the day that just ended)."""
    from datetime import timedelta

    given = str((context.get("params") or {}).get("day") or "").strip()
    if given:
        try:
            return date.fromisoformat(given).isoformat()
        except ValueError:
            fail(f"day '{given}' is not a date written YYYY-MM-DD")
    logical = context.get("logical_date") or context.get("data_interval_end")
    when = logical.date() if logical is not None else date.fromisoformat(now()[:10])
    return (when - timedelta(days=1)).isoformat()


def lost_links_force(slug: str, context: dict[str, Any]) -> dict[str, Any]:
    """Count one live force's old URLs answering 404 or 410 in a day of the edge's access logs, place each in
    its go-live run's redirect map, suggest the nearest migrated page, and write the day's result and report."""
    from airflow.sdk import ObjectStoragePath

    from ..edge.model import old_domains
    from ..golive import decision
    from ..live import accesslogs, lostlinks

    spec_data = _live_spec(slug)
    store = artifact_store()
    try:
        settings = lostlinks.LogSettings.load()
    except ValueError as error:
        fail(str(error))
    day = _log_day(context)
    record = decision.approved_record(force_folder(store, slug))
    if not record:
        fail(
            f"{slug} has no approved go-live in {force_folder(store, slug)}: its redirect map is what the logs are read against"
        )
    migration = force_folder(store, slug) / record["run"] / "migration"
    url = settings.folder(slug, spec_data["tenant"]["tenant_id"], day, str(project.ROOT))
    folder = ObjectStoragePath(url, conn_id=settings.conn_id)
    files = sorted((path for path in folder.iterdir() if path.is_file()), key=str) if folder.exists() else []
    if not files:
        print(f"WARNING {slug}: no access log files for {day} at {url}: is the edge's log delivery running?")
    hosts = old_domains(spec_data)
    tally = accesslogs.count(((str(path), lambda path=path: path.open("rb")) for path in files), hosts, progress=print)
    found = lostlinks.analyse(spec_data, slug, migration, tally, day, settings.alert_hits, settings.suggestions)
    line = lostlinks.record(store, found, spec_data["force"]["name"])
    for row in found.alerts:
        print(f"ALERT {row.target}: {row.hits} hits, {row.in_map}")
    print(
        f"{slug} on {day}: {found.lines} lines in {found.files} file(s), {found.malformed} malformed; "
        f"{line['old_urls']} old URL(s) answered 404 or 410; report {artifact_url(store / line['report'])}"
    )
    return line


def lost_links_summary(lines: list[dict[str, Any]] | None, context: dict[str, Any]) -> dict[str, Any]:
    """Write the dashboard's summary; fail (the alert) when a force has an old URL not in its map with as
    many hits as config/access-logs.yaml's alert_hits."""
    from ..live import lostlinks, sitechecks

    lines = [line for line in (lines or []) if line]
    path = sitechecks.summarise(artifact_store(), lines, now(), lostlinks.SUMMARY)
    print(f"summary for the dashboard: {artifact_url(path)}")
    alerts = [f"- {line['force']}: {'; '.join(line['alerts'])}" for line in lines if line.get("alert")]
    if alerts:
        fail("Old URLs not in the redirect map that the public keeps asking for:\n" + "\n".join(alerts))
    return {"forces": len(lines), "alerts": 0}
