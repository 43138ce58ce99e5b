"""The accessibility audit of a force's new site (WCAG 2.2 AA, or 2.1 AA, the legal standard), before and after.

    sitemap.py   which pages: sitemaps, page URLs, sampling by template for very large sites
    audit.py     Chromium through Playwright, a bounded pool of browser contexts, a timeout per page
    engines.py   axe-core, IBM Equal Access, HTML_CodeSniffer and a keyboard probe, injected into each page
    findings.py  one finding per page, element and criterion, keeping every engine that found it
    policy.py    which results are violations and which need a person: config/accessibility-policy.yaml, rule by rule
    documents.py the migrated PDFs and office documents: checks, publication date, the pre-2018 exemption
    known.py     the force's accepted known issues (<slug>.known-issues.yaml), with their expiry
    gate.py      the spec's thresholds; compare.py  legacy pages against their new homes (redirect map)
    report.py    audit.json, the HTML report and a draft accessibility statement
    run.py       one phase run: discover, audit, gate, compare, write (what the CLI and Airflow call)

Importing this package imports no browser: Playwright is imported when an audit runs.
"""
