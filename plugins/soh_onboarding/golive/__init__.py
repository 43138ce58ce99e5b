"""Go-live: the machine checks before the public sees a force's new site, their checklist, and the decision.

    checks.run_checks(spec, settings, run_folder)  -> Checklist (model.py) and every old URL's result
    checks.write_report(folder, checklist, rows)   -> checklist.json, go-live-checklist.html, redirects-checked.csv
    decision.py                                    -> the approver's decision, recorded; what switching live records

The checks, by module: dnschecks (ingress, CAA, SPF/DMARC or parked records), tlschecks (certificate,
expiry, version, http -> https), headers + web (Observatory score, HSTS, key pages, robots.txt,
sitemap.xml, security.txt, mixed content), redirects (the whole redirect map, bounded concurrency),
prereqs (Section 22, DPIA, migration quality, accessibility gate). net.py is how they reach the site:
through a configured resolver and ports (settings.py, config/go-live.yaml). Nothing here imports Airflow.
"""
