"""Content migration: crawl the legacy site, extract, sanitise, map old URLs to new ones, check quality."""
