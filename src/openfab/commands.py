"""What every ``openfab`` command shares: the ``--db`` option, exit codes, and one way to
turn an error into a message (every problem named, never a traceback)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from openfab.errors import (
    Conflict,
    Forbidden,
    Infeasible,
    InvalidInput,
    NotFound,
    OpenFabError,
    Unauthorized,
)

errors = Console(stderr=True)
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $OPENFAB_DATABASE_URL or openfab.db)."),
]
EXIT_CODES: dict[type[OpenFabError], int] = {
    InvalidInput: 1,
    Infeasible: 1,
    NotFound: 3,
    Conflict: 4,
    Unauthorized: 5,
    Forbidden: 5,
}
F = TypeVar("F", bound=Callable[..., Any])


def handled(func: F) -> F:
    """Map OpenFab errors (and malformed values) to a message and an exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OpenFabError as exc:
            errors.print(f"[bold red]{exc.title}:[/] {exc.detail}")
            for problem in exc.problems:
                errors.print(f"  [red]•[/] {problem}")
            raise typer.Exit(EXIT_CODES.get(type(exc), 2)) from None
        except (ValueError, ArithmeticError) as exc:  # a malformed number, status or field
            errors.print(f"[bold red]Invalid input:[/] {str(exc).splitlines()[0]}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
