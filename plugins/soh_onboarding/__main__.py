"""`python -m soh_onboarding ...`: see cli.py."""

from soh_onboarding.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
