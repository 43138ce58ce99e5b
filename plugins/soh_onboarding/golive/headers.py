"""Security headers scored as the MDN HTTP Observatory scores them (table: config/observatory-scoring.yaml).

Each test looks at the site's answers and gets exactly one named result (`hsts-not-implemented`,
`csp-implemented-with-unsafe-inline`, ...); the score is the baseline plus the results' modifiers, with
bonuses only once the score without them reaches `bonus_from`. The names are the Observatory's, so a
result here reads the same as on the Observatory's own report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SIX_MONTHS = 15768000
SAFE_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
UNSAFE_REFERRER = {"origin", "origin-when-cross-origin", "unsafe-url"}
SESSION_WORDS = ("sess", "login", "token", "auth", "sid")


@dataclass(frozen=True)
class ScoringTable:
    baseline: int
    bonus_from: int
    grades: dict[str, int]
    thresholds: dict[str, int]
    modifiers: dict[str, int]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ScoringTable:
        return cls(
            int(data["baseline"]),
            int(data["bonus_from"]),
            {str(k): int(v) for k, v in data["grades"].items()},
            {str(k): int(v) for k, v in data["thresholds"].items()},
            {str(k): int(v) for k, v in data["modifiers"].items()},
        )

    def grade(self, score: int) -> str:
        for grade, lowest in sorted(self.grades.items(), key=lambda item: -item[1]):
            if score >= lowest:
                return grade
        return "F"


@dataclass
class Score:
    score: int
    grade: str
    results: dict[str, str]  # test -> result name
    modifiers: dict[str, int] = field(default_factory=dict)  # result name -> modifier

    def penalties(self) -> list[str]:
        return [name for name, value in self.modifiers.items() if value < 0]


def _one(headers: Any, name: str) -> str | None:
    value = {str(k).lower(): v for k, v in headers.items()}.get(name.lower())
    return None if value is None else str(value).strip()


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.strip().split()
        if words:
            directives.setdefault(words[0].lower(), [w for w in words[1:]])
    return directives


def test_csp(headers: Any) -> tuple[str, dict[str, list[str]]]:
    policy = _one(headers, "Content-Security-Policy")
    if policy is None:
        return "csp-not-implemented", {}
    directives = csp_directives(policy)
    if not directives or any(not re.fullmatch(r"[a-z-]+", name) for name in directives):
        return "csp-header-invalid", directives
    default = directives.get("default-src", [])
    script = directives.get("script-src", default)
    style = directives.get("style-src", default)
    fetch_lists = [v for k, v in directives.items() if k.endswith("-src")]
    if "'unsafe-inline'" in script and not any(w.startswith(("'nonce-", "'sha", "'strict-dynamic'")) for w in script):
        return "csp-implemented-with-unsafe-inline", directives
    if any(w == "http:" or w.startswith("http://") for sources in fetch_lists for w in sources):
        return "csp-implemented-with-insecure-scheme", directives
    if "'unsafe-eval'" in script:
        return "csp-implemented-with-unsafe-eval", directives
    if "'unsafe-inline'" in style:
        return "csp-implemented-with-unsafe-inline-in-style-src-only", directives
    if default == ["'none'"]:
        return "csp-implemented-with-no-unsafe-default-src-none", directives
    return "csp-implemented-with-no-unsafe", directives


def test_hsts(headers: Any, https: bool) -> str:
    if not https:
        return "hsts-not-implemented-no-https"
    value = _one(headers, "Strict-Transport-Security")
    if value is None:
        return "hsts-not-implemented"
    match = re.search(r"(?i)(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", value)
    if not match:
        return "hsts-header-invalid"
    return (
        "hsts-implemented-max-age-at-least-six-months"
        if int(match.group(1)) >= SIX_MONTHS
        else "hsts-implemented-max-age-less-than-six-months"
    )


def test_xfo(headers: Any, csp: dict[str, list[str]]) -> str:
    if "frame-ancestors" in csp:
        return "x-frame-options-implemented-via-csp"
    value = _one(headers, "X-Frame-Options")
    if value is None:
        return "x-frame-options-not-implemented"
    return (
        "x-frame-options-sameorigin-or-deny"
        if value.upper() in ("DENY", "SAMEORIGIN")
        else "x-frame-options-header-invalid"
    )


def test_xcto(headers: Any) -> str:
    value = _one(headers, "X-Content-Type-Options")
    if value is None:
        return "x-content-type-options-not-implemented"
    return "x-content-type-options-nosniff" if value.lower() == "nosniff" else "x-content-type-options-header-invalid"


def test_referrer(headers: Any) -> str:
    value = _one(headers, "Referrer-Policy")
    if value is None:
        return "referrer-policy-not-implemented"
    policies = [p.strip().lower() for p in value.split(",") if p.strip()]
    known = SAFE_REFERRER | UNSAFE_REFERRER | {"no-referrer-when-downgrade"}
    valid = [p for p in policies if p in known]
    if not valid:
        return "referrer-policy-header-invalid"
    last = valid[-1]  # browsers apply the last one they understand
    if last in SAFE_REFERRER:
        return "referrer-policy-private"
    return (
        "referrer-policy-no-referrer-when-downgrade"
        if last == "no-referrer-when-downgrade"
        else "referrer-policy-unsafe"
    )


def test_cookies(set_cookies: list[str], hsts: bool) -> tuple[str, list[str]]:
    """The Observatory's cookie test over every Set-Cookie of the answer; returns the result and why."""
    if not set_cookies:
        return "cookies-not-found", []
    problems: list[tuple[int, str, str]] = []
    all_samesite = True
    for header in set_cookies:
        lower = header.lower()
        name = header.split("=", 1)[0].strip()
        secure = "secure" in [p.strip() for p in lower.split(";")]
        httponly = "httponly" in [p.strip() for p in lower.split(";")]
        all_samesite &= "samesite=" in lower
        session = any(word in name.lower() for word in SESSION_WORDS)
        if session and not secure:
            result = (
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts
                else "cookies-session-without-secure-flag"
            )
            problems.append((-40 if not hsts else -10, result, name))
        elif session and not httponly:
            problems.append((-30, "cookies-session-without-httponly-flag", name))
        elif not secure:
            result = "cookies-without-secure-flag-but-protected-by-hsts" if hsts else "cookies-without-secure-flag"
            problems.append((-20 if not hsts else -5, result, name))
    if problems:
        worst = min(problems)
        return worst[1], [f"{name}: {result}" for _, result, name in problems]
    return (
        "cookies-secure-with-httponly-sessions-and-samesite"
        if all_samesite
        else "cookies-secure-with-httponly-sessions"
    ), []


def score(headers: Any, set_cookies: list[str], redirection: str, table: ScoringTable, https: bool = True) -> Score:
    """Score one site from its HTTPS home page's headers and cookies and how http:// redirected."""
    csp, directives = test_csp(headers)
    hsts = test_hsts(headers, https)
    cookies, _ = test_cookies(set_cookies, hsts.startswith("hsts-implemented"))
    results = {
        "content-security-policy": csp,
        "cookies": cookies,
        "strict-transport-security": hsts,
        "redirection": redirection,
        "referrer-policy": test_referrer(headers),
        "x-content-type-options": test_xcto(headers),
        "x-frame-options": test_xfo(headers, directives),
    }
    modifiers = {name: table.modifiers[name] for name in results.values()}
    total = table.baseline + sum(v for v in modifiers.values() if v < 0)
    if total >= table.bonus_from:
        total += sum(v for v in modifiers.values() if v > 0)
    total = max(total, 0)
    return Score(total, table.grade(total), results, modifiers)
