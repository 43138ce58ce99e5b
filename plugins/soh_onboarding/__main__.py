"""`python -m soh_onboarding ...`: see the cli package."""

from soh_onboarding.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
