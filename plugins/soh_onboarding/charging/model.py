"""The charging model's configuration (config/charging-model.yaml) and the rosters of its scenarios.

The file is checked like a spec: JSON Schema (schemas/charging-model.schema.json) through
documents.load, then the rules a schema cannot say (unknown forces, shares over 100%, funding above a
year's cost...), each error at its line and column. A model that fails its check is never computed.

Weights. Each force's weight is a blend of indices that do not depend on the roster: 1 for the equal
basis, and the force's officer FTE or population over the national mean (the mean of the reference
table) for the others. For a single method this is plain proportionality; for a blend such as 50% equal
and 50% FTE a force of average size carries one unit of each. Fixing the indices this way (rather than
splitting the cost into an "equal" pot and an "FTE" pot, whose per-force amounts both shift when a force
joins) is what keeps the promise that a force joining never raises anyone's exact charge, caps included.

Figures come from config/police_forces.csv unless the force's spec overrides them: charging.weighting
first, then force.officer_fte / force.population. A force's cap comes from its spec's charging.cap, else
from the model's `caps`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import project
from ..live.register import LiveForce
from ..spec import documents
from ..spec.documents import DocumentError, format_field
from ..spec.yamlsource import Path as FieldPath
from . import arithmetic, policeforces
from .arithmetic import CostLine, FinancialYear, FundingSource, Member, ScenarioResult

CONFIG = project.CONFIG_DIR / "charging-model.yaml"
SCHEMA = project.SCHEMAS_DIR / "charging-model.schema.json"
ROSTER_KEYWORDS = ("all", "live-on-soh-2021-03", "live-register")
BASES = ("equal", "officer_fte", "population")


class ChargingModelError(Exception):
    """The model (or a roster it is asked for) cannot be computed; every reason, located."""

    def __init__(self, errors: Sequence[DocumentError]) -> None:
        self.errors = list(errors)
        super().__init__(self.listing())

    def listing(self) -> str:
        return "\n".join(error.format() for error in self.errors)


@dataclass(frozen=True)
class ForceFigures:
    """What a force's spec tells the charging model."""

    slug: str
    name: str
    officer_fte: Decimal | None = None
    population: int | None = None
    cap: tuple[Decimal, Decimal, str] | None = None
    live_from: date | None = None


def figures_from_specs(specs: Iterable[Any]) -> dict[str, ForceFigures]:
    """The charging fields of valid specs (spec.ForceSpec), by slug."""
    figures = {}
    for force in specs:
        data = force.data
        weighting = data["charging"].get("weighting", {})
        fte = weighting.get("officer_fte", data["force"].get("officer_fte"))
        population = weighting.get("population", data["force"].get("population"))
        cap = data["charging"].get("cap")
        figures[force.slug] = ForceFigures(
            slug=force.slug,
            name=force.name,
            officer_fte=None if fte is None else Decimal(str(fte)),
            population=population,
            cap=None if cap is None else (Decimal(str(cap["capital"])), Decimal(str(cap["revenue"])), cap["source"]),
            live_from=date.fromisoformat(data["charging"]["live_from"]),
        )
    return figures


@dataclass(frozen=True)
class Apportionment:
    method: str
    blend: Mapping[str, Fraction]
    where: FieldPath
    """Where it is written, to locate an error about it."""

    def shares(self) -> dict[str, Fraction]:
        return dict(self.blend) if self.method == "blend" else {self.method: Fraction(1)}

    def describe(self) -> str:
        if self.method != "blend":
            return {"equal": "equal shares", "officer_fte": "by officer FTE", "population": "by population"}[
                self.method
            ]
        return ", ".join(f"{share * 100:g}% {basis.replace('_', ' ')}" for basis, share in self.blend.items() if share)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    description: str
    forces: str | tuple[tuple[str, date | None], ...]
    apportionment: Apportionment | None
    index: int


@dataclass
class ChargingModel:
    """A checked charging model."""

    document: documents.Document
    years: tuple[FinancialYear, ...]
    host_force: str
    lines: tuple[CostLine, ...]
    funding: tuple[FundingSource, ...]
    apportionment: Apportionment
    caps: dict[str, tuple[Decimal, Decimal, str]]
    scenarios: dict[str, Scenario]
    growth_scenarios: tuple[str, ...] = ()
    growth_year: str | None = None
    reference: dict[str, policeforces.PoliceForce] = field(default_factory=dict)

    @property
    def data(self) -> dict[str, Any]:
        return self.document.data

    def error(self, field_path: FieldPath, message: str, hint: str = "") -> DocumentError:
        line, column = self.document.source.position(field_path)
        return DocumentError(self.document.shown, line, column, format_field(field_path), message, hint)

    # --- rosters and members ---

    def roster(self, scenario: Scenario, register: Sequence[LiveForce] = ()) -> list[tuple[str, date | None]]:
        """The scenario's forces, in order, with the date each joins (None: live all along)."""
        if scenario.forces == "all":
            return [(slug, None) for slug in self.reference]
        if scenario.forces == "live-on-soh-2021-03":
            return [(slug, None) for slug, force in self.reference.items() if force.live_on_soh_2021_03]
        if scenario.forces == "live-register":
            return [(entry.slug, entry.live_date) for entry in register]
        return list(scenario.forces)  # type: ignore[arg-type]

    def members(
        self,
        scenario_id: str,
        figures: Mapping[str, ForceFigures],
        register: Sequence[LiveForce] = (),
        roster: Sequence[tuple[str, date | None]] | None = None,
    ) -> list[Member]:
        """The scenario's roster as Members: weights, dates and caps resolved. Located errors otherwise."""
        scenario = self.scenarios[scenario_id]
        apportionment = scenario.apportionment or self.apportionment
        shares = apportionment.shares()
        means = self._national_means()
        members: list[Member] = []
        errors: list[DocumentError] = []
        forces_at: FieldPath = ("scenarios", scenario.index, "forces")
        until = {entry.slug: entry.live_until for entry in register} if scenario.forces == "live-register" else {}
        for slug, live_from in self.roster(scenario, register) if roster is None else roster:
            known = self.reference.get(slug)
            spec = figures.get(slug)
            if known is None and spec is None:
                errors.append(
                    self.error(
                        forces_at,
                        f"'{slug}' is neither in config/police_forces.csv nor a force with a valid spec",
                        "mark live only forces that have a spec in onboarding_specs/",
                    )
                )
                continue
            values = {
                "officer_fte": spec.officer_fte
                if spec and spec.officer_fte is not None
                else known and known.officer_fte,
                "population": spec.population if spec and spec.population is not None else known and known.population,
            }
            weight = Fraction(0)
            for basis, share in shares.items():
                if not share:
                    continue
                if basis == "equal":
                    weight += share
                    continue
                value = values[basis]
                if value is None:
                    errors.append(
                        self.error(
                            apportionment.where,
                            f"{slug} has no {basis.replace('_', ' ')} figure (config/police_forces.csv or its spec), "
                            f"so scenario '{scenario.id}' cannot weight by it",
                            f"give charging.weighting.{basis} in the force's spec, or choose another method",
                        )
                    )
                    continue
                weight += share * Fraction(value) / means[basis]
            cap = spec.cap if spec and spec.cap else self.caps.get(slug)
            members.append(
                Member(
                    slug=slug,
                    name=spec.name if spec else known.name,  # type: ignore[union-attr]
                    weight=weight,
                    live_from=live_from,
                    cap_capital=cap[0] if cap else None,
                    cap_revenue=cap[1] if cap else None,
                    live_until=until.get(slug),
                )
            )
        if errors:
            raise ChargingModelError(sorted(set(errors)))
        return members

    def _national_means(self) -> dict[str, Fraction]:
        ftes = [Fraction(force.officer_fte) for force in self.reference.values()]
        populations = [Fraction(force.population) for force in self.reference.values() if force.population]
        return {"officer_fte": sum(ftes) / len(ftes), "population": sum(populations) / len(populations)}

    # --- computing ---

    def compute(
        self, scenario_id: str, figures: Mapping[str, ForceFigures], register: Sequence[LiveForce] = ()
    ) -> ScenarioResult:
        scenario = self.scenarios[scenario_id]
        members = self.members(scenario_id, figures, register)
        return arithmetic.compute(scenario.id, scenario.title, members, self.years, self.lines, self.funding)

    def growth(self, figures: Mapping[str, ForceFigures]) -> list[dict[str, Any]]:
        """The host force's contribution in the growth year as forces join one by one, in the order of the
        growth scenarios' rosters: [{forces, host_charged, host_uncapped, host_capped, gap}]."""
        if not self.growth_scenarios or self.growth_year is None:
            return []
        order: list[str] = []
        for scenario_id in self.growth_scenarios:
            order += [slug for slug, _ in self.roster(self.scenarios[scenario_id]) if slug not in order]
        last = self.growth_scenarios[-1]
        everyone = self.members(last, figures, roster=[(slug, None) for slug in order])
        by_slug = {member.slug: member for member in everyone}
        year = next(y for y in self.years if y.label == self.growth_year)
        first = len(self.roster(self.scenarios[self.growth_scenarios[0]]))
        points = []
        for count in range(max(first, 1), len(order) + 1):
            members = [by_slug[slug] for slug in order[:count]]
            result = arithmetic.compute("growth", "growth", members, [year], self.lines, self.funding).years[0]
            host = result.charge_of(self.host_force)
            uncapped = result.uncapped.get(self.host_force, {})
            points.append(
                {
                    "forces": count,
                    "joined": order[count - 1],
                    "host_charged": host.total if host else Decimal("0.00"),
                    "host_uncapped": sum(uncapped.values(), Decimal("0.00")),
                    "host_capped": bool(host and host.capped),
                    "gap": sum(result.gap.values(), Decimal("0.00")),
                    "others_mean": (
                        (sum(c.total for c in result.charges) - (host.total if host else 0))
                        / (count - (1 if host else 0))
                    ).quantize(arithmetic.PENNY)
                    if count > (1 if host else 0)
                    else Decimal("0.00"),
                }
            )
        return points


# --- loading and checking ----------------------------------------------------------------------


def schema() -> documents.Schema:
    return documents.schema_for(SCHEMA)


def scenario_names(path: Path = CONFIG) -> list[str]:
    """The scenario ids of a model that passes its schema, else []: cheap enough for DAG parse time."""
    document = documents.load(path, schema())
    if document.errors:
        return []
    return [scenario["id"] for scenario in document.data["scenarios"]]


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def load(
    path: Path = CONFIG, figures: Mapping[str, ForceFigures] | None = None, reference_csv: Path | None = None
) -> ChargingModel:
    """Read and check the model; raises ChargingModelError with every error, located."""
    document = documents.load(path, schema())
    if document.errors:
        raise ChargingModelError(document.errors)
    reference = policeforces.reference(reference_csv or policeforces.REFERENCE_CSV)
    known = set(reference) | set(figures or {})
    errors: list[DocumentError] = []

    def fail(field_path: FieldPath, message: str, hint: str = "") -> None:
        line, column = document.source.position(field_path)
        errors.append(DocumentError(document.shown, line, column, format_field(field_path), message, hint))

    data = document.data
    for rule in RULES:
        rule(data, known, fail)
    if errors:
        raise ChargingModelError(sorted(set(errors)))
    return _build(document, reference)


def _apportionment(data: dict[str, Any], where: FieldPath) -> Apportionment:
    blend = {basis: Fraction(str(share)) for basis, share in data.get("blend", {}).items()}
    return Apportionment(data["method"], blend, (*where, "method"))


def _build(document: documents.Document, reference: dict[str, policeforces.PoliceForce]) -> ChargingModel:
    data = document.data
    years = tuple(FinancialYear(label) for label in data["financial_years"])
    lines = []
    for line in data["cost_lines"]:
        if "by_year" in line:
            amounts = {label: _money(value) for label, value in line["by_year"].items()}
        else:
            amounts = {label: _money(line["amount"]) for label in line.get("years", data["financial_years"])}
        lines.append(CostLine(line["id"], line["name"], line["kind"], amounts))
    funding = []
    for source in data.get("funding", []):
        funding.append(
            FundingSource(
                id=source["id"],
                name=source["name"],
                years=frozenset(source["years"]),
                share=Fraction(str(source["share"])) if "share" in source else None,
                amounts={kind: _money(value) for kind, value in source["amount"].items()}
                if "amount" in source
                else None,
                lines=frozenset(source["lines"]) if "lines" in source else None,
            )
        )
    scenarios = {}
    for index, item in enumerate(data["scenarios"]):
        forces = item["forces"]
        if isinstance(forces, list):
            forces = tuple(
                (entry, None) if isinstance(entry, str) else (entry["force"], date.fromisoformat(entry["live_from"]))
                for entry in forces
            )
        own = item.get("apportionment")
        scenarios[item["id"]] = Scenario(
            item["id"],
            item["title"],
            item.get("description", ""),
            forces,
            _apportionment(own, ("scenarios", index, "apportionment")) if own else None,
            index,
        )
    growth = data.get("growth_chart", {})
    return ChargingModel(
        document=document,
        years=years,
        host_force=data["host_force"],
        lines=tuple(lines),
        funding=tuple(funding),
        apportionment=_apportionment(data["apportionment"], ("apportionment",)),
        caps={
            cap["force"]: (_money(cap["capital"]), _money(cap["revenue"]), cap["source"])
            for cap in data.get("caps", [])
        },
        scenarios=scenarios,
        growth_scenarios=tuple(growth.get("scenarios", ())),
        growth_year=growth.get("year"),
        reference=reference,
    )


Fail = Any


def _rule_years(data: dict[str, Any], known: set[str], fail: Fail) -> None:
    labels = data["financial_years"]
    for index, label in enumerate(labels):
        start = int(label[:4])
        if int(label[5:]) != (start + 1) % 100:
            fail(
                ("financial_years", index), f"{label} is not a financial year", f"write {start}/{(start + 1) % 100:02d}"
            )
        elif index and label <= labels[index - 1]:
            fail(("financial_years", index), f"{label} comes after {labels[index - 1]}", "list the years in order")


def _rule_money_in_pence(data: dict[str, Any], known: set[str], fail: Fail) -> None:
    def check(value: Any, where: FieldPath) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                arithmetic.to_pence(value)
            except ValueError:
                fail(where, f"{value} has fractions of a penny", "give pounds with at most two decimals")

    for index, line in enumerate(data["cost_lines"]):
        check(line.get("amount"), ("cost_lines", index, "amount"))
        for label, value in line.get("by_year", {}).items():
            check(value, ("cost_lines", index, "by_year", label))
    for index, source in enumerate(data.get("funding", [])):
        for kind, value in source.get("amount", {}).items():
            check(value, ("funding", index, "amount", kind))
    for index, cap in enumerate(data.get("caps", [])):
        for kind in arithmetic.KINDS:
            check(cap.get(kind), ("caps", index, kind))


def _rule_cost_lines(data: dict[str, Any], known: set[str], fail: Fail) -> None:
    years = set(data["financial_years"])
    seen: set[str] = set()
    for index, line in enumerate(data["cost_lines"]):
        if line["id"] in seen:
            fail(("cost_lines", index, "id"), f"cost line '{line['id']}' is defined twice", "give each line its own id")
        seen.add(line["id"])
        if ("amount" in line) == ("by_year" in line):
            fail(
                ("cost_lines", index), "give either amount or by_year", "amount: the same every year; by_year: per year"
            )
        if "by_year" in line and "years" in line:
            fail(("cost_lines", index, "years"), "years goes with amount, not by_year", "remove years")
        for label in line.get("years", []):
            if label not in years:
                fail(
                    ("cost_lines", index, "years", line["years"].index(label)), f"{label} is not one of financial_years"
                )
        for label in line.get("by_year", {}):
            if label not in years:
                fail(("cost_lines", index, "by_year", label), f"{label} is not one of financial_years")


def _line_costs(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Decimal]]:
    """(line id, year) -> {kind: pounds}."""
    costs: dict[tuple[str, str], dict[str, Decimal]] = {}
    for line in data["cost_lines"]:
        amounts = line.get("by_year") or dict.fromkeys(
            line.get("years", data["financial_years"]), line.get("amount", 0)
        )
        for label, value in amounts.items():
            costs[(line["id"], label)] = {line["kind"]: _money(value)}
    return costs


def _rule_funding(data: dict[str, Any], known: set[str], fail: Fail) -> None:
    years = set(data["financial_years"])
    line_ids = [line["id"] for line in data["cost_lines"]]
    costs = _line_costs(data)
    shares: dict[tuple[str, str], Fraction] = {}
    paid: dict[tuple[str, str], Decimal] = {}
    for index, source in enumerate(data.get("funding", [])):
        where: FieldPath = ("funding", index)
        if ("share" in source) == ("amount" in source):
            fail(where, "give either share or amount", "share: a fraction of the lines' cost; amount: pounds a year")
            continue
        if "lines" in source and "amount" in source:
            fail((*where, "lines"), "lines goes with share, not amount", "remove lines")
        for position, line_id in enumerate(source.get("lines", [])):
            if line_id not in line_ids:
                fail((*where, "lines", position), f"no cost line '{line_id}'", f"cost lines: {', '.join(line_ids)}")
        for position, label in enumerate(source["years"]):
            if label not in years:
                fail((*where, "years", position), f"{label} is not one of financial_years")
                continue
            covered = source.get("lines", line_ids)
            if "share" in source:
                for line_id in covered:
                    shares[(line_id, label)] = shares.get((line_id, label), Fraction(0)) + Fraction(
                        str(source["share"])
                    )
                    if shares[(line_id, label)] > 1:
                        fail(
                            (*where, "share"),
                            f"funding shares of cost line '{line_id}' in {label} add up to "
                            f"{float(shares[(line_id, label)]) * 100:g}%, over 100%",
                            "the shares of the sources paying for a line may add up to 1 at most",
                        )
                for line_id in covered:
                    for kind, value in costs.get((line_id, label), {}).items():
                        paid[(kind, label)] = paid.get((kind, label), Decimal(0)) + value * _money(source["share"])
            else:
                for kind, value in source["amount"].items():
                    paid[(kind, label)] = paid.get((kind, label), Decimal(0)) + _money(value)
                    total = sum((c.get(kind, Decimal(0)) for (_, y), c in costs.items() if y == label), Decimal(0))
                    if paid[(kind, label)] > total:
                        fail(
                            (*where, "amount", kind),
                            f"funding of {kind} costs in {label} comes to £{paid[(kind, label)]:,.2f}, "
                            f"more than their cost of £{total:,.2f}",
                            "funding can pay for at most the whole cost",
                        )


def _rule_apportionment(data: dict[str, Any], known: set[str], fail: Fail) -> None:
    places = [(data["apportionment"], ("apportionment",))]
    places += [
        (s["apportionment"], ("scenarios", i, "apportionment"))
        for i, s in enumerate(data["scenarios"])
        if "apportionment" in s
    ]
    for item, where in places:
        if item["method"] == "blend":
            if "blend" not in item:
                fail(
                    (*where, "method"),
                    "method blend needs the blend's shares",
                    "add blend: {equal: 0.5, officer_fte: 0.5}",
                )
                continue
            total = sum((Fraction(str(v)) for v in item["blend"].values()), Fraction(0))
            if total != 1:
                over = "over" if total > 1 else "under"
                fail(
                    (*where, "blend"),
                    f"the blend's shares add up to {float(total) * 100:g}%, {over} 100%",
                    "make the shares add up to 1",
                )
        elif "blend" in item:
            fail(
                (*where, "blend"),
                f"blend is given but the method is {item['method']}",
                "set method: blend, or remove blend",
            )


def _rule_forces_known(data: dict[str, Any], known: set[str], fail: Fail) -> None:
    def check(slug: str, where: FieldPath) -> None:
        if slug not in known:
            hint = documents._suggest(slug, sorted(known))
            fail(where, f"unknown force '{slug}'", f"{hint}use a slug of config/police_forces.csv or of a spec")

    check(data["host_force"], ("host_force",))
    seen_caps: set[str] = set()
    for index, cap in enumerate(data.get("caps", [])):
        check(cap["force"], ("caps", index, "force"))
        if cap["force"] in seen_caps:
            fail(("caps", index, "force"), f"{cap['force']} is capped twice", "keep one entry")
        seen_caps.add(cap["force"])
    ids: set[str] = set()
    for index, scenario in enumerate(data["scenarios"]):
        if scenario["id"] in ids:
            fail(("scenarios", index, "id"), f"scenario '{scenario['id']}' is defined twice", "give each its own id")
        ids.add(scenario["id"])
        if isinstance(scenario["forces"], list):
            listed: set[str] = set()
            for position, entry in enumerate(scenario["forces"]):
                slug = entry if isinstance(entry, str) else entry["force"]
                where: FieldPath = ("scenarios", index, "forces", position)
                check(slug, where)
                if slug in listed:
                    fail(where, f"{slug} is listed twice", "remove the repeated entry")
                listed.add(slug)


def _rule_growth_chart(data: dict[str, Any], known: set[str], fail: Fail) -> None:
    growth = data.get("growth_chart")
    if not growth:
        return
    scenarios = {s["id"]: s for s in data["scenarios"]}
    for index, scenario_id in enumerate(growth["scenarios"]):
        if scenario_id not in scenarios:
            fail(
                ("growth_chart", "scenarios", index),
                f"no scenario '{scenario_id}'",
                f"scenarios: {', '.join(scenarios)}",
            )
        elif scenarios[scenario_id]["forces"] == "live-register":
            fail(
                ("growth_chart", "scenarios", index),
                "the live register changes with every go-live",
                "use named rosters",
            )
    if growth["year"] not in data["financial_years"]:
        fail(("growth_chart", "year"), f"{growth['year']} is not one of financial_years")


RULES = (
    _rule_years,
    _rule_money_in_pence,
    _rule_cost_lines,
    _rule_funding,
    _rule_apportionment,
    _rule_forces_known,
    _rule_growth_chart,
)
"""Checks beyond the schema. Each sees a document the schema passed."""
