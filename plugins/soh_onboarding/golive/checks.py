"""Run every go-live check for one force and write the checklist (JSON, HTML, the old URLs as CSV)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

from .. import reports
from ..artifacts import write_json
from . import dnschecks, prereqs, redirects, tlschecks, web
from .model import FAIL, Check, Checklist
from .settings import Settings

JSON_NAME = "checklist.json"
HTML_NAME = "go-live-checklist.html"
REDIRECTS_NAME = "redirects-checked.csv"
REDIRECT_MAP = ("migration", "redirects.csv")


def domains(spec_data: dict[str, Any]) -> list[str]:
    """Every domain the checks look at: the tenant's (the first is canonical), then the old ones."""
    names = [*spec_data["tenant"]["domains"], *spec_data.get("go_live", {}).get("old_domains", [])]
    return list(dict.fromkeys(name.lower() for name in names))


def read_redirect_map(run_folder: Any) -> tuple[list[redirects.Row] | None, str]:
    if run_folder is None:
        return None, "no run folder: the migration's redirects.csv cannot be read"
    path = run_folder / REDIRECT_MAP[0] / REDIRECT_MAP[1]
    if not path.exists():
        return None, f"the content migration (migration) has not written the redirect map: {path} not found"
    try:
        return redirects.read_map(path.read_text(encoding="utf-8")), str(path)
    except (OSError, ValueError) as exc:
        return None, f"{path}: {exc}"


def run_checks(
    spec_data: dict[str, Any],
    settings: Settings,
    run_folder: Any = None,
    *,
    prerequisites: bool = True,
    live: bool = False,
    today: date | None = None,
) -> tuple[Checklist, list[redirects.Row]]:
    """Every check of the issue, in the checklist's order. Never raises for what it finds: a fault is a
    failed check with its evidence. Before go-live (`live=False`) a site hidden from search engines is a
    warning (the switch lifts it); the after-go-live monitoring passes `prerequisites=False, live=True`."""
    now = datetime.now(UTC)
    go_live = spec_data["go_live"]
    network = settings.network
    checklist = Checklist(
        force=spec_data["force"]["slug"],
        force_name=spec_data["force"]["name"],
        checked_at=now.isoformat(timespec="seconds"),
        network=network.describe(),
        min_grade=go_live.get("min_security_grade", "B"),
    )
    add = checklist.checks.extend
    if prerequisites:
        add(
            [
                prereqs.section_22(spec_data, today or now.date()),
                prereqs.dpia(run_folder),
                prereqs.migration(run_folder),
                prereqs.accessibility(run_folder),
            ]
        )
    every = domains(spec_data)
    canonical = every[0]
    mail = {name.lower() for name in go_live.get("mail_domains", [])}
    session = network.session()
    timeout = network.timeout

    def per_domain(domain: str) -> tuple[list[Check], list[Check], str]:
        dns_checks = [
            dnschecks.ingress(domain, settings),
            dnschecks.caa(domain, settings),
            dnschecks.mail(domain, domain in mail, settings),
        ]
        tls_checks = tlschecks.certificate(domain, settings)
        tls_checks.append(tlschecks.version(domain, settings))
        redirect_check, redirection = tlschecks.https_redirect(domain, settings, session)
        tls_checks.append(redirect_check)
        return dns_checks, tls_checks, redirection

    with ThreadPoolExecutor(max_workers=min(8, len(every)), thread_name_prefix="golive-domain") as pool:
        per = list(pool.map(per_domain, every))
    add([c for dns_checks, _, _ in per for c in dns_checks])
    add([c for _, tls_checks, _ in per for c in tls_checks])
    redirection = per[0][2]

    base = f"https://{canonical}"
    home = web.fetch(session, f"{base}/", timeout, follow=True)
    add(web.security_headers(canonical, home, redirection, settings, checklist.min_grade))

    paths = go_live["key_pages"]
    with ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="golive-page") as pool:
        pages = dict(
            zip(paths, pool.map(lambda p: web.fetch(session, f"{base}{p}", timeout), paths.values()), strict=True)
        )
    add([web.key_page(name, page) for name, page in pages.items()])

    add(
        [
            web.robots_txt(canonical, web.fetch(session, f"{base}/robots.txt", timeout), home, live),
            web.sitemap_xml(canonical, web.fetch(session, f"{base}/sitemap.xml", timeout), every),
            web.security_txt(canonical, web.fetch(session, f"{base}/.well-known/security.txt", timeout), now),
        ]
    )
    add([web.mixed_content(pages)])

    rows, where = read_redirect_map(run_folder)
    if rows is None:
        add([Check("redirects", "redirects", "", FAIL, where, {}, ["redirect-map-missing"])])
        checked: list[redirects.Row] = []
    else:
        check, checked = redirects.check(rows, session, timeout, settings.concurrency)
        check.evidence["map"] = where
        add([check])
    session.close()
    return checklist, checked


def write_report(folder: Any, checklist: Checklist, rows: list[redirects.Row]) -> dict[str, str]:
    """checklist.json, go-live-checklist.html and redirects-checked.csv in the phase's folder."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / JSON_NAME, checklist.as_dict())
    (folder / REDIRECTS_NAME).write_text(redirects.rows_csv(rows), encoding="utf-8")
    html = reports.render("golive_checklist.html.j2", checklist=checklist, redirects_csv=REDIRECTS_NAME if rows else "")
    (folder / HTML_NAME).write_text(html, encoding="utf-8")
    return {"json": str(folder / JSON_NAME), "html": str(folder / HTML_NAME), "redirects": str(folder / REDIRECTS_NAME)}


def decision_body(checklist: Checklist, report_url: str) -> str:
    """The Markdown the approver reads in the Airflow UI."""
    return reports.render("golive_decision_body.md.j2", checklist=checklist, report=report_url)
