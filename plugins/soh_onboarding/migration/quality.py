"""Great Expectations checks over a content migration's output, before anything is published or redirected.

The checks read the migration output folder as written (the contract of the migration pipeline):

- `inventory.csv`: old_url, canonical_url, http_status, content_type, new_path, title, content_hash,
  mapping — one row per URL found; mapping is redirect, archive or unresolved, or duplicate (same bytes as
  another page: redirects to that page's new_path) or error (could not be fetched; not a page);
- `redirects.csv`: old_url, new_url, type (redirect|archive|unresolved; new_url absolute, redirects only);
- `content.jsonl`: one JSON object per migrated page (old_url, new_path, title, body_html, …).

The legacy site's hosts and the new site's base URL are arguments, as is the spec's
`content_mapping.max_unresolved_share`. The checks, each a named expectation (on a column derived here
when GE has no direct expectation for it):

1. new paths are unique among pages (inventory rows mapped `redirect`);
2. every migrated page has a title and a body (text left after stripping the tags);
3. no unsafe markup in a body: no script, style, iframe (or other embedded content), no `on*=` handler,
   no javascript:, vbscript: or data: URL — found by parsing (html.parser), with a raw search for the
   tags as a second net where a malformed body parses unlike a browser;
4. no link or image in a body points at a legacy host;
5. every redirect (redirects.csv, type redirect) and every duplicate lands on a migrated page (or a
   migrated document or image, listed in `assets.csv` when there is one);
6. every URL found is mapped: a known mapping, a new path for every redirect and duplicate, and every
   redirect/archive/unresolved URL in redirects.csv;
7. the unresolved share (unresolved / (redirect + archive + unresolved)) is at most the spec's threshold;
8. the migration has pages: a legacy site that is down, or whose address the crawler refuses, gives an
   output with no page, which would otherwise pass every check above (and publishing it with prune would
   empty the tenant);
9. it has not lost more than `content_mapping.max_page_loss_share` of the pages of the force's previous
   migration that passed (`previous`, found by the pipeline; no comparison without one): a crawl cut short
   by a failing site looks like a smaller site.

Checks 8 and 9 say why when they fail: how many URLs the crawl found and could not fetch, with examples
(`unfetched`: the crawl's reasons, e.g. "refused: … is a loopback address").

`check_migration` never raises for a failed check; the task fails with `QualityResult.summary()`, one
readable line per failed check with a few examples. Pandas and Great Expectations are imported inside
`check_migration`, never when this module is imported (Airflow parses the DAG files that import it).
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .mapping import DESTINATION, DUPLICATE, MAPPING_TYPES, REDIRECT, UNRESOLVED
from .sanitise import URL_ATTRIBUTES, url_problem

INVENTORY_COLUMNS = (
    "old_url",
    "canonical_url",
    "http_status",
    "content_type",
    "new_path",
    "title",
    "content_hash",
    "mapping",
)
REDIRECTS_COLUMNS = ("old_url", "new_url", "type")
MAPPED = MAPPING_TYPES  # the old pages: in redirects.csv, counted for the share
MAPPINGS = (*MAPPED, DUPLICATE, DESTINATION, "error")
WITH_NEW_PATH = (REDIRECT, DUPLICATE)
#: Tags no migrated body may hold: code, styling, and embedded or active content.
UNSAFE_TAGS = frozenset({"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet"})
_UNSAFE_RAW = re.compile(r"<\s*(script|style|iframe)(?=[\s/>]|$)", re.IGNORECASE)
_SCRIPT_SCHEMES = ("vbscript", "livescript")
EXAMPLES = 3
MAX_PAGE_LOSS_SHARE = 0.5
"""Default of the spec's content_mapping.max_page_loss_share: a migration with fewer than half the pages of
the previous one lost most of them, which a site that broke or blocked the crawler does."""


@dataclass(frozen=True)
class PreviousMigration:
    """The pages of the force's previous migration that passed its checks: what a new one is compared with."""

    pages: int
    source: str  # where it is recorded (its summary.json), for the reason of a failed check


@dataclass(frozen=True)
class RecordedOutcome:
    """What a finished migration recorded in its summary.json: whether its checks passed, and its pages."""

    passed: bool
    pages: int


def recorded_outcome(folder: Any) -> RecordedOutcome | None:
    """The outcome in folder/summary.json; None when there is none or it cannot be read (the migration did
    not finish, or the folder is not a migration's): never taken for a pass."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return RecordedOutcome(summary.get("quality_passed") is True, int(summary.get("pages_migrated") or 0))
    except (OSError, ValueError, AttributeError, TypeError):
        return None


class CheckResult(NamedTuple):
    description: str
    success: bool
    details: str


@dataclass
class QualityResult:
    success: bool
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [result for result in self.results if not result.success]

    def summary(self) -> str:
        """One line per failed check, with a few offending values; one line in all when everything passed."""
        if not self.failed:
            return f"all {len(self.results)} migration checks passed"
        lines = [f"{len(self.failed)} of {len(self.results)} migration checks failed:"]
        lines += [f"- {result.description}: {result.details}" for result in self.failed]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "passed": len(self.results) - len(self.failed),
            "total": len(self.results),
            "checks": [result._asdict() for result in self.results],
        }


# --- what the derived columns hold: plain functions over one page's body ---------------------------------


class _Body(HTMLParser):
    """One pass over a body: its unsafe markup, the URLs it links to, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: dict[str, None] = {}
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in UNSAFE_TAGS:
            self.problems[f"<{tag}>"] = None
        for name, value in attrs:
            if name.startswith("on"):
                self.problems[f"{name}= on <{tag}>"] = None
            elif name in URL_ATTRIBUTES and (problem := url_problem(value or "")):
                kind, scheme = problem
                if kind != "removed_url_scheme" or scheme in _SCRIPT_SCHEMES:
                    self.problems[f"{scheme}: URL in {name} on <{tag}>"] = None
            if name == "srcset":
                self.urls += [part.split()[0] for part in (value or "").split(",") if part.split()]
            elif name in URL_ATTRIBUTES and value:
                self.urls.append(value.strip())

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(body_html: str) -> _Body:
    parser = _Body()
    parser.feed(body_html)
    parser.close()
    for match in _UNSAFE_RAW.finditer(body_html):  # a second net: a malformed body may parse otherwise
        parser.problems[f"<{match.group(1).lower()}>"] = None
    return parser


def unsafe_markup(body_html: str) -> list[str]:
    """What in a body must not reach the platform (e.g. `<script>`, `onclick= on <a>`); empty if nothing."""
    return list(_parse(body_html).problems)


def body_text(body_html: str) -> str:
    """A body's text with the tags stripped and whitespace collapsed."""
    return _text_of(_parse(body_html))


def _text_of(parsed: _Body) -> str:
    return " ".join("".join(parsed.text).split())


def legacy_host_names(legacy_hosts: Iterable[str]) -> frozenset[str]:
    """Lower-cased host names; a netloc with a port (the base URL's) also counts as its host name."""
    names = set()
    for host in legacy_hosts:
        host = host.strip().lower()
        if host:
            names.add(host)
            with contextlib.suppress(ValueError):
                names.add(urlsplit(f"//{host}").hostname or host)
    return frozenset(names)


def legacy_links(body_html: str, hosts: frozenset[str]) -> list[str]:
    """The absolute URLs (links, image sources, …) in a body whose host is one of the legacy hosts."""
    return _legacy_of(_parse(body_html), hosts)


def _legacy_of(parsed: _Body, hosts: frozenset[str]) -> list[str]:
    found: dict[str, None] = {}
    for url in parsed.urls:
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            continue
        if host and (host in hosts or parts.netloc.lower() in hosts):
            found[url] = None
    return list(found)


# --- reading the output folder --------------------------------------------------------------------------


def _read_csv(
    path: Path, columns: tuple[str, ...], problems: list[str], optional: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    if not path.is_file():
        problems.append(f"{path.name} is missing")
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in columns if column not in (reader.fieldnames or [])]
        if missing:
            problems.append(f"{path.name} has no column {', '.join(missing)}")
            return []
        return [{column: (row.get(column) or "").strip() for column in columns + optional} for row in reader]


BODY_TEXT_KEPT = 200
"""Characters of a body's text kept for the checks: enough to tell empty from not, whatever the page's size."""


def _read_content(path: Path, problems: list[str], hosts: frozenset[str]) -> list[dict[str, Any]]:
    """One compact row per page, derived as the file is read: memory does not grow with the pages' bodies."""
    if not path.is_file():
        problems.append(f"{path.name} is missing")
        return []
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                page = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{path.name} line {number} is not JSON ({error.msg})")
                continue
            if not isinstance(page, dict):
                problems.append(f"{path.name} line {number} is not a JSON object")
                continue
            parsed = _parse(_text(page.get("body_html")))  # once, for all three derived columns
            rows.append(
                {
                    "page": _text(page.get("new_path")) or _text(page.get("old_url")) or "(no path)",
                    "old_url": _text(page.get("old_url")),
                    "new_path": _text(page.get("new_path")),
                    "title": _text(page.get("title")).strip(),
                    "body_text": _text_of(parsed)[:BODY_TEXT_KEPT],
                    "unsafe_markup": ", ".join(parsed.problems),
                    "legacy_links": " ".join(_legacy_of(parsed, hosts)),
                }
            )
    return rows


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- the suite ------------------------------------------------------------------------------------------


def _some(items: Iterable[Any]) -> str:
    items = list(dict.fromkeys(str(item) for item in items))
    return ", ".join(items[:EXAMPLES]) + (", …" if len(items) > EXAMPLES else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def check_migration(
    folder: Any,
    *,
    legacy_hosts: Iterable[str],
    new_base_url: str,
    max_unresolved_share: float,
    previous: PreviousMigration | None = None,
    max_page_loss_share: float = MAX_PAGE_LOSS_SHARE,
    unfetched: Sequence[str] = (),
) -> QualityResult:
    """Run the suite over a migration output folder; never raises for a failed check.

    `previous` is the force's previous passing migration (None: nothing to compare the page count with);
    `unfetched` a few URLs the crawl could not fetch, each with why, for the reason of checks 8 and 9.
    """
    import great_expectations.expectations as gxe
    import pandas as pd

    from .. import quality

    folder = Path(folder) if isinstance(folder, str) else folder  # a Path or the store's ObjectStoragePath
    problems: list[str] = []
    inventory_rows = _read_csv(folder / "inventory.csv", INVENTORY_COLUMNS, problems)
    redirect_rows = _read_csv(folder / "redirects.csv", REDIRECTS_COLUMNS, problems, ("destination",))
    hosts = legacy_host_names(legacy_hosts)
    content_rows = _read_content(folder / "content.jsonl", problems, hosts)
    if problems:
        return QualityResult(False, [CheckResult("the migration output is complete", False, "; ".join(problems))])

    new_site = urlsplit(new_base_url)
    inventory = pd.DataFrame.from_records(inventory_rows, columns=list(INVENTORY_COLUMNS))
    redirects = pd.DataFrame.from_records(redirect_rows, columns=[*REDIRECTS_COLUMNS, "destination"])
    content = pd.DataFrame.from_records(
        content_rows,
        columns=["page", "old_url", "new_path", "title", "body_text", "unsafe_markup", "legacy_links"],
    )
    pages = inventory[inventory["mapping"] == REDIRECT].reset_index(drop=True)
    moved = inventory[inventory["mapping"].isin(WITH_NEW_PATH)].reset_index(drop=True)
    mapped = inventory[inventory["mapping"].isin(MAPPED)].reset_index(drop=True)
    # A redirect to a national destination (its `destination` named) is checked by the go-live check, not here.
    to_pages = redirects[(redirects["type"] == REDIRECT) & (redirects["destination"] == "")].reset_index(drop=True)
    copies = inventory[(inventory["mapping"] == "duplicate") & (inventory["new_path"] != "")].reset_index(drop=True)
    # Documents and images moved to the new site (assets.csv, when the pipeline wrote one) are targets too.
    assets = _read_csv(folder / "assets.csv", ("old_url", "new_path"), []) if (folder / "assets.csv").exists() else []
    migrated = sorted((set(content["new_path"]) | {_text(row.get("new_path")) for row in assets}) - {""})

    def target(url: str) -> str:
        """A redirect's path on the new site; the URL itself when it is not on the new site."""
        parts = urlsplit(url)
        same_site = (parts.scheme, parts.netloc.lower()) == (new_site.scheme, new_site.netloc.lower())
        return parts.path if same_site and parts.path else url or "(empty)"

    # Membership in a large set is computed here, into a boolean column GE then checks: GE copies an
    # expectation's value_set each time it reads its configuration, which made a set of 10,000 migrated
    # paths cost seconds (O(rows x set size)); a column of True/False costs GE nothing extra.
    migrated_set, listed = set(migrated), set(redirects["old_url"])
    to_pages = to_pages.assign(target_path=[target(url) for url in to_pages["new_url"]])
    to_pages = to_pages.assign(lands_on_migrated=to_pages["target_path"].isin(migrated_set))
    copies = copies.assign(lands_on_migrated=copies["new_path"].isin(migrated_set))
    mapped = mapped.assign(in_redirects=mapped["old_url"].isin(listed))
    unresolved = mapped.loc[mapped["mapping"] == UNRESOLVED, "old_url"].tolist()
    share = len(unresolved) / len(mapped) if len(mapped) else 0.0
    migrated_pages = len(content)
    lost = max(0.0, 1 - migrated_pages / previous.pages) if previous and previous.pages else 0.0
    totals = pd.DataFrame({"unresolved_share": [share], "pages": [migrated_pages], "lost_share": [lost]})

    def row_examples(frame: Any, noun: str, describe: Callable[[Any], str]) -> Callable[[Any], str]:
        def details(result: Any) -> str:
            count, _, indexes = quality.unexpected(result)
            return f"{_plural(count, noun)}, e.g. {_some(describe(frame.loc[index]) for index in indexes)}"

        return details

    def row_check(
        name: str, frame: Any, expectation: Any, noun: str, describe: Callable[[Any], str]
    ) -> tuple[str, Any, list[tuple[Any, Callable[[Any], str]]]]:
        """A suite of one expectation on the rows of `frame`, whose failures are described row by row."""
        return name, frame, [(expectation, row_examples(frame, noun, describe))]

    def duplicates(result: Any) -> str:
        _, values, _ = quality.unexpected(result)
        counts = pages["new_path"].value_counts()
        repeated = int((counts > 1).sum())
        return f"{_plural(repeated, 'duplicate')}, e.g. " + _some(
            f"{value} ({counts[value]} old URLs)" for value in values
        )

    def too_many_unresolved(result: Any) -> str:
        return (
            f"{share * 100:.3g}% ({len(unresolved)} of {len(mapped)} old URLs) is over the spec's "
            f"{max_unresolved_share * 100:.3g}%, e.g. {_some(unresolved)}"
        )

    def not_fetched() -> str:
        """What the crawl could not fetch: the likely reason a migration has no or too few pages."""
        failed = inventory.loc[inventory["mapping"] == "error", "old_url"].tolist()
        if not failed:
            return f"the crawl found {_plural(len(inventory), 'URL')} and fetched them all"
        return (
            f"the crawl found {_plural(len(inventory), 'URL')}, {len(failed)} of them could not be fetched, "
            f"e.g. {_some(unfetched or failed)}"
        )

    def no_pages(result: Any) -> str:
        return (
            f"no page was migrated: {not_fetched()}. Is the legacy site up, and does the crawl allow its address "
            "(legacy_site.base_url, legacy_site.crawl.connect_to and allow_private_addresses)?"
        )

    def pages_lost(result: Any) -> str:
        return (
            f"{_plural(migrated_pages, 'page')}, {lost * 100:.3g}% fewer than the {previous.pages} of the previous "
            f"migration ({previous.source}); the spec allows {max_page_loss_share * 100:.3g}% fewer "
            f"(content_mapping.max_page_loss_share); {not_fetched()}"
        )

    suites = [
        (
            "pages",
            pages,
            [
                (
                    gxe.ExpectColumnValuesToBeUnique(column="new_path", description="new paths unique"),
                    duplicates,
                ),
            ],
        ),
        (
            "content",
            content,
            [
                (
                    gxe.ExpectColumnValueLengthsToBeBetween(
                        column="title", min_value=1, description="every migrated page has a title"
                    ),
                    row_examples(content, "page", lambda row: row["page"]),
                ),
                (
                    gxe.ExpectColumnValueLengthsToBeBetween(
                        column="body_text", min_value=1, description="every migrated page has a body"
                    ),
                    row_examples(content, "page", lambda row: row["page"]),
                ),
                (
                    gxe.ExpectColumnValuesToBeInSet(
                        column="unsafe_markup", value_set=[""], description="no unsafe markup in page bodies"
                    ),
                    row_examples(content, "page", lambda row: f"{row['page']} ({row['unsafe_markup']})"),
                ),
                (
                    gxe.ExpectColumnValuesToBeInSet(
                        column="legacy_links", value_set=[""], description="no content link points at the legacy site"
                    ),
                    row_examples(content, "page", lambda row: f"{row['page']} → {row['legacy_links'].split()[0]}"),
                ),
            ],
        ),
        row_check(
            "redirects",
            to_pages,
            gxe.ExpectColumnValuesToBeInSet(
                column="lands_on_migrated", value_set=[True], description="every redirect lands on a migrated page"
            ),
            "redirect",
            lambda row: f"{row['old_url']} → {row['target_path']}",
        ),
        row_check(
            "duplicates",
            copies,
            gxe.ExpectColumnValuesToBeInSet(
                column="lands_on_migrated", value_set=[True], description="every duplicate lands on a migrated page"
            ),
            "duplicate",
            lambda row: f"{row['old_url']} → {row['new_path']}",
        ),
        row_check(
            "inventory",
            inventory,
            gxe.ExpectColumnValuesToBeInSet(
                column="mapping", value_set=list(MAPPINGS), description="every URL found is mapped"
            ),
            "URL",
            lambda row: f"{row['old_url']} (mapping {row['mapping']!r})",
        ),
        row_check(
            "moved",
            moved,
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="new_path", min_value=1, description="every redirected URL has a new path"
            ),
            "URL",
            lambda row: f"{row['old_url']} ({row['mapping']})",
        ),
        row_check(
            "mapped",
            mapped,
            gxe.ExpectColumnValuesToBeInSet(
                column="in_redirects", value_set=[True], description="every old page is in redirects.csv"
            ),
            "old URL",
            lambda row: f"{row['old_url']} ({row['mapping']})",
        ),
        (
            "totals",
            totals,
            [
                (
                    gxe.ExpectColumnValuesToBeBetween(
                        column="unresolved_share",
                        min_value=0,
                        max_value=max_unresolved_share,
                        description="unresolved share within the spec's threshold",
                    ),
                    too_many_unresolved,
                ),
                (
                    gxe.ExpectColumnValuesToBeBetween(
                        column="pages", min_value=1, description="the migration has pages"
                    ),
                    no_pages,
                ),
                (
                    gxe.ExpectColumnValuesToBeBetween(
                        column="lost_share",
                        min_value=0,
                        max_value=max_page_loss_share,
                        description="pages lost since the previous migration within the spec's threshold",
                    ),
                    pages_lost,
                ),
            ],
        ),
    ]

    context = quality.context()
    results = []
    for name, frame, checks in suites:
        explain = {expectation.description: details for expectation, details in checks}
        for result in quality.validate(context, name, frame, [expectation for expectation, _ in checks]):
            description = result.expectation_config.description
            if result.success:
                results.append(CheckResult(description, True, ""))
            else:
                details = quality.could_not_run(result) or explain[description](result)
                results.append(CheckResult(description, False, details))
    return QualityResult(all(result.success for result in results), results)
