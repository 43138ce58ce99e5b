"""The migrated page nearest an old URL by its words: a suggestion a person can judge at a glance.

Used where an old URL has no redirect of its own: the 410 page of a retired URL offers it (the migration
writes it to redirects.csv's `suggested_url`), and the lost-links list after go-live proposes it for an
old URL the map missed (live/lostlinks.py). The old URL's path and query are matched against each migrated
page's old path, new path and title, words weighted by how rare they are among the pages (a story's number
or a street's name says more than "news"). Its evidence is the words shared and where they were found.
Decision 0016 says how the threshold was chosen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

MIN_SCORE = 0.35
"""The share of the old URL's word weight a page must share to be suggested to a person (lost links)."""
GONE_PAGE_SCORE = 0.7
"""The share a page must reach to be offered on a 410 page: the public sees it unreviewed, so a wrong one
costs more. On the demo site's migration, its archived news stories' nearest pages scored 0.37 to 0.57,
each another story cut from the same headline template (wrong); a retired advice page's own new page, 1.0."""
_NOISE = frozenset(
    {"aspx", "asp", "html", "htm", "php", "jsp", "cfm", "index", "default", "www", "http", "https", "the", "and"}
    | {"of", "for", "to", "a", "an", "in", "on", "at", "by", "id", "page", "pages", "item", "items", "view"}
    | {"show", "display", "cgi", "bin"}
)


def words(text: str) -> list[str]:
    """The words of a URL or a title: lower case, unescaped, without extensions and filler."""
    return [word for word in re.findall(r"[a-z0-9]+", unquote(text).lower()) if word not in _NOISE]


@dataclass(frozen=True)
class Page:
    """A migrated page, as the suggestions see it."""

    old_url: str
    new_path: str
    title: str


@dataclass
class Suggestion:
    new_path: str
    title: str
    score: float
    evidence: str


class Pages:
    """The migrated pages with an index of their words (old path, new path, title) and each word's weight."""

    def __init__(self, pages: Iterable[Page]) -> None:
        self.pages = list(pages)
        self.index: dict[str, set[int]] = {}
        self.fields: list[dict[str, set[str]]] = []
        for number, page in enumerate(self.pages):
            where = {
                "old path": set(words(page.old_url.split("://", 1)[-1].partition("/")[2])),
                "new path": set(words(page.new_path)),
                "title": set(words(page.title)),
            }
            self.fields.append(where)
            for word in set().union(*where.values()):
                self.index.setdefault(word, set()).add(number)
        total = max(len(self.pages), 1)
        self.weight = {word: math.log(1 + total / len(found)) for word, found in self.index.items()}

    def nearest(self, old_target: str, min_score: float = MIN_SCORE) -> Suggestion | None:
        """The page sharing the largest share of `old_target`'s word weight, if it reaches `min_score`."""
        asked = set(words(old_target))
        known = [word for word in asked if word in self.index]
        if not known:
            return None
        rare = max(self.weight.values(), default=1.0)
        whole = sum(self.weight.get(word, rare) for word in asked)  # an unknown word weighs as the rarest
        candidates: dict[int, float] = {}
        for word in known:
            for number in self.index[word]:
                candidates[number] = candidates.get(number, 0.0) + self.weight[word]
        number, shared = max(candidates.items(), key=lambda item: (item[1], -len(self.pages[item[0]].new_path)))
        score = shared / whole
        if score < min_score:
            return None
        page, where = self.pages[number], self.fields[number]
        found = sorted(word for word in known if number in self.index[word])
        places = [name for name, held in where.items() if held & set(found)]
        evidence = f"shares {', '.join(repr(word) for word in found)} with its {' and '.join(places)}"
        return Suggestion(page.new_path, page.title, round(score, 2), evidence)

    def gone_page(self, old_target: str) -> Suggestion | None:
        """The page a retired old URL's 410 page offers (GONE_PAGE_SCORE), if one is near enough."""
        return self.nearest(old_target, GONE_PAGE_SCORE)
