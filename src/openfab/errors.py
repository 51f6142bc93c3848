"""One error hierarchy for the whole platform.

Services raise these; the API maps them to HTTP problems and the CLI to exit codes,
each in exactly one place. ``InvalidInput`` and ``Infeasible`` carry every problem found,
never just the first, so a user can fix all of them in one go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, a stable code."""

    loc: str
    msg: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.loc}: {self.msg}" if self.loc else self.msg


class OpenFabError(Exception):
    """Root of every error OpenFab raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems: list[Problem] = list(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.detail
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"{self.detail}\n{lines}"


class InvalidInput(OpenFabError):
    status = 422
    title = "Invalid input"


class NotFound(OpenFabError):
    status = 404
    title = "Not found"


class Conflict(OpenFabError):
    """The request is well-formed but clashes with the current state (e.g. illegal transition)."""

    status = 409
    title = "Conflict"


class Infeasible(OpenFabError):
    """No solution satisfies the constraints; ``problems`` names the binding ones."""

    status = 422
    title = "Infeasible"


class Unauthorized(OpenFabError):
    status = 401
    title = "Not authenticated"


class Forbidden(OpenFabError):
    status = 403
    title = "Forbidden"


class TooManyRequests(OpenFabError):
    """A rate limit or quota is spent; ``retry_after`` is how many seconds until it is not."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


@dataclass
class ProblemCollector:
    """Collects problems while checking an input, then raises them all at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, loc: str, msg: str, code: str = "invalid") -> None:
        self.problems.append(Problem(loc, msg, code))

    def raise_if_any(self, detail: str, error: type[OpenFabError] = InvalidInput) -> None:
        if self.problems:
            raise error(detail, self.problems)
