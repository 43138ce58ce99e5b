"""The part of Cloudflare's Rules language the sandbox edge understands, parsed as Cloudflare parses a rule's
expression when the rule is written (a malformed one is refused) and evaluated against each request the
ingress serves.

Understood: `true`, `false`; the fields http.host, http.request.uri, http.request.uri.path,
http.request.uri.query and http.request.full_uri; `eq`/`==`, `ne`/`!=`, `in {"a" "b"}` and `in $list`
(a list's name: only Bulk Redirect Rules use one, and they are served by their list, not here); `and`/`&&`,
`or`/`||`, `not`/`!` and parentheses. Strings are double-quoted with backslash escapes. An expression
outside this part is refused with the error Cloudflare gives for one it cannot parse, so the adapter cannot
come to rely on something the sandbox would not check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

FIELDS = (
    "http.host",
    "http.request.uri",
    "http.request.uri.path",
    "http.request.uri.query",
    "http.request.full_uri",
)

Request = dict[str, str]
Test = Callable[[Request], bool]

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<list>\$[a-z0-9_]+)|(?P<op>==|!=|&&|\|\||[{}()!])|(?P<word>[a-z_.]+))'
)


class ExpressionError(ValueError):
    """An expression the sandbox cannot parse (Cloudflare: a filter parsing error)."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        found = _TOKEN.match(text, at)
        if found is None:
            raise ExpressionError(f"unexpected text at character {at}: {text[at : at + 20]!r}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        at = found.end()
    return tokens


def _unquoted(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens, self.at = _tokens(text), 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, kind: str | None = None) -> str:
        if self.at >= len(self.tokens):
            raise ExpressionError("the expression ends too soon")
        found_kind, value = self.tokens[self.at]
        if kind is not None and found_kind != kind:
            raise ExpressionError(f"expected a {kind}, found {value!r}")
        self.at += 1
        return value

    def whole(self) -> Test:
        test = self.either()
        if self.at != len(self.tokens):
            raise ExpressionError(f"unexpected {self.peek()!r}")
        return test

    def either(self) -> Test:
        tests = [self.both()]
        while self.peek() in ("or", "||"):
            self.take()
            tests.append(self.both())
        return tests[0] if len(tests) == 1 else lambda request: any(test(request) for test in tests)

    def both(self) -> Test:
        tests = [self.unary()]
        while self.peek() in ("and", "&&"):
            self.take()
            tests.append(self.unary())
        return tests[0] if len(tests) == 1 else lambda request: all(test(request) for test in tests)

    def unary(self) -> Test:
        token = self.peek()
        if token in ("not", "!"):
            self.take()
            inner = self.unary()
            return lambda request: not inner(request)
        if token == "(":
            self.take()
            inner = self.either()
            if self.take() != ")":
                raise ExpressionError("a parenthesis is not closed")
            return inner
        if token in ("true", "false"):
            self.take()
            value = token == "true"
            return lambda request: value
        return self.comparison()

    def comparison(self) -> Test:
        field = self.take("word")
        if field not in FIELDS:
            raise ExpressionError(f"unknown field {field!r}")
        operator = self.take()
        if operator in ("eq", "=="):
            value = _unquoted(self.take("string"))
            return lambda request: request.get(field) == value
        if operator in ("ne", "!="):
            value = _unquoted(self.take("string"))
            return lambda request: request.get(field) != value
        if operator != "in":
            raise ExpressionError(f"unknown operator {operator!r}")
        if self.peek() is not None and self.peek().startswith("$"):
            self.take("list")
            return lambda request: False  # a Bulk Redirect Rule's list: served from the list itself
        if self.take() != "{":
            raise ExpressionError("`in` needs a set {...} or a list $name")
        values = set()
        while self.peek() != "}":
            values.add(_unquoted(self.take("string")))
        self.take()
        return lambda request: request.get(field) in values


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Test:
    """The expression as a test of a request (its fields by name); ExpressionError when it cannot be parsed."""
    return _Parser(text).whole()


def request_fields(scheme: str, host: str, path: str, query: str) -> Request:
    """A request's fields as the Rules language names them."""
    uri = path + (f"?{query}" if query else "")
    return {
        "http.host": host,
        "http.request.uri": uri,
        "http.request.uri.path": path,
        "http.request.uri.query": query,
        "http.request.full_uri": f"{scheme}://{host}{uri}",
    }
