"""Makes invalid force specs visible in the Airflow UI, as this file's import error.

Airflow shows a DAG file's exception under "Dag Import Errors" on the DAGs page. The DAGs of valid
specs come from the onboarding shard files, so a broken spec never hides the other forces; this file
defines no DAG and raises only when some spec fails its check, listing every error as file:line:column.
"""

from __future__ import annotations

from soh_onboarding import project, spec
from soh_onboarding.spec import cache as speccache


class InvalidForceSpecs(Exception):
    """Raised at parse time so the DAG processor records the errors where operators look."""


_specs = [project.specs_dir(__file__)]  # the same folder as onboarding.py's
if not speccache.known_valid(_specs):  # the shard files leave a marker when it found every spec valid
    _result = spec.check(_specs)
    if _result.valid:
        speccache.remember_valid(_specs)
    else:
        _listing = "\n".join(error.format() for error in _result.errors)
        raise InvalidForceSpecs(
            f"{len(_result.errors_by_file())} force spec(s) failed their check and have no onboarding DAG "
            f"(fix them by pull request; `python -m soh_onboarding validate` shows the same):\n{_listing}"
        )
