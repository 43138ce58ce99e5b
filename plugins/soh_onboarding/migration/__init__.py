"""The content-migration phase: crawl a force's legacy site, extract each page's content, sanitise it,
map legacy URLs to the new site's, and check the quality of the result.

One module per step (sanitise.py, …); plain Python, no Airflow imports.
"""
