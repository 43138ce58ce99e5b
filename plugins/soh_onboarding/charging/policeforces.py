"""The reference table of police forces: who they are, and the figures the charging model weights by.

config/police_forces.csv is a copy of shared/reference/police_forces.csv (see config/README.md for its
sources): the 43 territorial forces of England and Wales plus British Transport Police, with officer FTE
(Home Office workforce statistics, 30 Sep 2019), population (2011 Census; none for BTP, which polices the
railways rather than an area) and whether Parliament was told the force was live on SOH in March 2021.
A force's spec may override the figures (spec fields force.officer_fte, force.population and
charging.weighting); this module only reads the table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from .. import project

REFERENCE_CSV = project.CONFIG_DIR / "police_forces.csv"


@dataclass(frozen=True)
class PoliceForce:
    """One row of the reference table."""

    slug: str
    name: str
    nation: str
    officer_fte: Decimal
    population: int | None
    live_on_soh_2021_03: bool


@cache
def reference(path: Path = REFERENCE_CSV) -> dict[str, PoliceForce]:
    """Every force of the table by slug, in the table's (alphabetical) order."""
    forces: dict[str, PoliceForce] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            forces[row["slug"]] = PoliceForce(
                slug=row["slug"],
                name=row["force"],
                nation=row["nation"],
                officer_fte=Decimal(row["officers_fte_2019_09"]),
                population=int(row["population_2011"]) if row["population_2011"] else None,
                live_on_soh_2021_03=row["live_on_soh_2021_03"] == "yes",
            )
    return forces
