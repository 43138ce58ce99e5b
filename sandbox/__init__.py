"""Local stand-ins for the outside world (a legacy force website, later the platform's API).

Nothing in plugins/ imports this package, except the CLI's sandbox sub-command, lazily.
"""
