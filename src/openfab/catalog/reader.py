"""Reads untrusted YAML-shaped data field by field, noting every problem instead of stopping.

Catalog files are written by people; reporting the first typo only would make them fix one
error per reload. Each getter returns a usable placeholder after noting a problem, so parsing
goes on and the caller raises once with everything wrong.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from openfab.catalog.expressions import Expr, ExpressionError, Kind, Scope, parse_expression
from openfab.errors import ProblemCollector

MAX_NUMBER = Decimal(10) ** 9
"""The largest magnitude any number in a definition may have (prices, bounds, quantities):
beyond it a price or a lead time overflows the solver and the database columns."""
MAX_CODE = 64
MAX_TEXT = 2000
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _type_name(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


class Reader:
    """A :class:`ProblemCollector` with typed getters for mapping fields."""

    def __init__(self) -> None:
        self.collector = ProblemCollector()

    def add(self, loc: str, msg: str, code: str = "invalid") -> None:
        self.collector.add(loc, msg, code)

    def mapping(self, value: object, loc: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.add(loc, f"expected a mapping, got {_type_name(value)}", "wrong_type")
        return None

    def items(self, data: Mapping[str, Any], key: str, loc: str) -> list[Any]:
        value = data.get(key, [])
        if isinstance(value, list):
            return value
        self.add(f"{loc}{key}", f"expected a list, got {_type_name(value)}", "wrong_type")
        return []

    def fields(
        self, data: Mapping[str, Any], loc: str, required: Iterable[str], optional: Iterable[str]
    ) -> None:
        """Note missing required fields and unknown ones (usually typos)."""
        known = {*required, *optional}
        for key in data:
            if key not in known:
                self.add(f"{loc}{key}", "unknown field", "unknown_field")
        for key in required:
            if key not in data:
                self.add(f"{loc}{key}", "missing", "missing")

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        loc: str,
        default: str = "",
        *,
        max_length: int = MAX_TEXT,
    ) -> str:
        value = data.get(key, default)
        if isinstance(value, str) and len(value) > max_length:
            self.add(f"{loc}{key}", f"at most {max_length} characters", "too_long")
            return default
        if isinstance(value, str) and (value.strip() or key not in data):
            return value
        self.add(f"{loc}{key}", f"expected text, got {_type_name(value)}", "wrong_type")
        return default

    def code(self, data: Mapping[str, Any], key: str, loc: str) -> str:
        """A group, option or attribute code: a lowercase identifier, so expressions can use it."""
        value = data.get(key)
        if value is None:
            return ""
        if (
            isinstance(value, str)
            and len(value) <= MAX_CODE
            and _CODE.match(value)
            and not keyword.iskeyword(value)
        ):
            return value
        message = (
            f"{value!r:.80} is not a valid code (≤ {MAX_CODE} lowercase letters, digits, _; "
            "letter first)"
        )
        self.add(f"{loc}{key}", message, "bad_code")
        return ""

    def slug(self, data: Mapping[str, Any], key: str, loc: str) -> str:
        """A product, material or work-center code: lowercase, may contain - and ."""
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, str) and len(value) <= MAX_CODE and _SLUG.match(value):
            return value
        message = (
            f"{value!r:.80} is not a valid code (≤ {MAX_CODE} lowercase letters, digits, _ . -)"
        )
        self.add(f"{loc}{key}", message, "bad_code")
        return ""

    def decimal(
        self, data: Mapping[str, Any], key: str, loc: str, default: Decimal | None = None
    ) -> Decimal | None:
        value = data.get(key)
        if value is None:
            return default
        number = to_decimal(value)
        if number is None:
            self.add(f"{loc}{key}", f"expected a number, got {value!r:.80}", "wrong_type")
        elif abs(number) > MAX_NUMBER:
            self.add(f"{loc}{key}", f"at most {MAX_NUMBER:,} in size", "out_of_range")
            return default
        return number if number is not None else default

    def integer(self, data: Mapping[str, Any], key: str, loc: str, default: int = 0) -> int:
        value = data.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) <= MAX_NUMBER:
                return value
            self.add(f"{loc}{key}", f"at most {MAX_NUMBER:,} in size", "out_of_range")
            return default
        self.add(f"{loc}{key}", f"expected a whole number, got {value!r:.80}", "wrong_type")
        return default

    def number(self, value: object, loc: str) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            if abs(value) <= MAX_NUMBER:
                return float(value)
            self.add(loc, f"at most {MAX_NUMBER:,} in size", "out_of_range")
            return 0.0
        self.add(loc, f"expected a number, got {value!r:.80}", "wrong_type")
        return 0.0

    def flag(self, data: Mapping[str, Any], key: str, loc: str, default: bool) -> bool:
        value = data.get(key, default)
        if isinstance(value, bool):
            return value
        self.add(f"{loc}{key}", f"expected true or false, got {value!r}", "wrong_type")
        return default

    def at_least(self, value: Decimal | int | None, low: int, loc: str) -> None:
        if value is not None and value < low:
            self.add(loc, f"must be at least {low}, got {value}", "out_of_range")

    def expr(
        self, data: Mapping[str, Any], key: str, loc: str, scope: Scope, kind: Kind
    ) -> Expr | None:
        """Parse an expression field; numbers and booleans in YAML count as expressions."""
        value = data.get(key)
        if value is None:
            return None
        return self.parse(value, f"{loc}{key}", scope, kind)

    def parse(self, value: object, loc: str, scope: Scope, kind: Kind) -> Expr | None:
        if not isinstance(value, str | int | float) or (isinstance(value, str) and not value):
            self.add(loc, f"expected an expression, got {_type_name(value)}", "wrong_type")
            return None
        try:
            return parse_expression(str(value), scope, kind)
        except ExpressionError as exc:
            for message in exc.messages:
                self.add(loc, message, "bad_expression")
            return None


def to_decimal(value: object) -> Decimal | None:
    """A finite Decimal from an int, a float (by its shortest repr) or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, int | str | Decimal):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
