"""The CMS's error answers: RFC 7807 ProblemDetails, as ASP.NET Core (on which Optimizely CMS runs) writes
them, with `errors` by field for validation (ValidationProblemDetails), as application/problem+json."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    413: "https://tools.ietf.org/html/rfc7231#section-6.5.11",
    415: "https://tools.ietf.org/html/rfc7231#section-6.5.13",
    422: "https://tools.ietf.org/html/rfc4918#section-11.2",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
}


class Problem(Exception):
    """A refusal: raised by the model, answered by the web layer as ProblemDetails."""

    def __init__(self, status: int, title: str, detail: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors

    def body(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "type": TYPES.get(self.status, "about:blank"),
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            answer["detail"] = self.detail
        if self.errors:
            answer["errors"] = self.errors
        return answer

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, media_type="application/problem+json")


def problem_body(status: int, message: str) -> dict[str, Any]:
    """The fault mode's 500s and 429s in the CMS's shape (FaultMiddleware's `error_body`)."""
    return Problem(status, message).body()
