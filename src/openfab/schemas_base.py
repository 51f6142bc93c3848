"""What every request schema shares: the edge of the platform.

``RequestModel`` is the base of every input (request body) schema; response schemas stay plain
``BaseModel``. It refuses

- fields it does not know (``extra="forbid"``);
- coercion: strict by default, so ``true`` is not ``1``, ``1`` is not ``"1"`` and ``1.0`` is not
  an integer. Values JSON can only carry as text are lax: enums (``Field(strict=False)``, which
  the pydantic mypy plugin also reads), decimals and times (``LAX`` inside ``Quantity`` and
  ``Timestamp``, which still refuses numbers);
- control characters in any string, key or nested value: NUL (which PostgreSQL cannot store)
  and the other C0 controls and DEL; tab, newline and carriage return stay allowed in free text;
- non-finite numbers (``NaN`` and ``Infinity``, which Python's JSON parser accepts) anywhere.

Bounds keep every value inside its column: ``Quantity`` fits ``Numeric(18, 6)``, ``Timestamp``
is timezone-aware and between 2000 and 2100, integers are bounded where they are declared.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
)
from pydantic_core import PydanticCustomError

LAX = Strict(False)
"""For a field whose JSON form is text parsed into a type: enums, ``Decimal``."""

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters refused everywhere (tab, newline and CR are allowed in free text)."""
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_QUANTITY = Decimal(10) ** 9
"""Far above any real quantity, far below ``Numeric(18, 6)``'s 10¹²."""
MAX_MEASURE = 1e12
MAX_INT32 = 2**31 - 1

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


_Trail = tuple[Any, str] | None
"""(parent trail, key): a path into a value, spelled out only when something is wrong."""


def unsafe_value(value: Any) -> tuple[str, str] | None:
    """The first string (value or key) with a control character, or non-finite number, inside
    ``value``, as (dotted path, what is wrong); None when all is well. Iterative, so deep
    nesting cannot exhaust the stack."""
    stack: list[tuple[_Trail, Any]] = [(None, value)]
    while stack:
        trail, item = stack.pop()
        what = None
        if isinstance(item, str):
            what = _control(item)
        elif isinstance(item, float):
            what = None if math.isfinite(item) else "NaN and infinity are not allowed"
        elif isinstance(item, dict):
            for key, nested in item.items():
                if isinstance(key, str) and (what := _control(key)) is not None:
                    trail, item = (trail, repr(key)), None
                    break
                stack.append(((trail, str(key)), nested))
        elif isinstance(item, list | tuple):
            stack.extend(((trail, str(i)), nested) for i, nested in enumerate(item))
        if what is not None:
            parts: list[str] = []
            while trail is not None:
                trail, key = trail
                parts.append(key)
            return ".".join(reversed(parts)), what
    return None


def _control(text: str) -> str | None:
    found = CONTROL.search(text)
    return None if found is None else f"control character U+{ord(found.group()):04X} not allowed"


def refuse_unsafe(value: Any) -> Any:
    """A validator: ``value`` unchanged, or a ``control_character`` / ``non_finite`` error."""
    found = unsafe_value(value)
    if found is not None:
        where, what = found
        code = "non_finite" if what.startswith("NaN") else "control_character"
        message = f"{what} (at {where})" if where else what
        raise PydanticCustomError(code, message)
    return value


class RequestModel(BaseModel):
    """The base of every request body: unknown fields, coercion and control characters
    refused (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _safe(cls, value: Any) -> Any:
        return refuse_unsafe(value)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise PydanticCustomError(
            "datetime_format",
            "give a date and time with its zone (RFC 3339), e.g. 2026-05-01T08:00:00Z",
        )
    return value


def _in_window(value: datetime) -> datetime:
    # text always carries its zone (``_rfc3339``); a Python caller's naive datetime is left to
    # the service, which names it among the other problems
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise PydanticCustomError("datetime_range", "must be between the years 2000 and 2099")
    return value


Timestamp = Annotated[
    datetime,
    LAX,
    BeforeValidator(_rfc3339),
    AfterValidator(_in_window),
]
"""A moment: RFC 3339 text with a zone (never a number), between 2000 and 2100."""

Quantity = Annotated[
    Decimal,
    LAX,
    Field(allow_inf_nan=False, ge=-MAX_QUANTITY, le=MAX_QUANTITY),
]
"""A quantity of material: |x| ≤ 10⁹ (a ``Numeric(18, 6)`` column holds less than 10¹²)."""

Measure = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_MEASURE, le=MAX_MEASURE)]
"""A measured or set value (a float column or JSON): finite, |x| ≤ 10¹²."""
