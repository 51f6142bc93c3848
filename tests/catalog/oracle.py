"""An independent judge of the sample catalog, for checking the engine against.

It reads the raw YAML (never the engine's parsed definition), turns each rule into plain
Python source and evaluates it with ``eval`` over a namespace built from a configuration.
Decimal literals are read as exact fractions, as a catalog author means them. Enumeration
is a depth-first search over the groups that checks each rule as soon as the groups it names
are all chosen, so the fridge's 138,240 raw combinations take about a second.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any

Config = dict[str, Any]
"""Group code → option code (or None), tuple of option codes, or int."""

_DECIMAL_LITERAL = re.compile(r"(?<![\w.'])(\d+\.\d+)(?![\w.'])")


class Chosen(str):
    """A single-choice answer: equals its option code, and carries the option's attributes."""


def exact(source: str) -> str:
    """``0.04`` → ``F('0.04')`` so that the oracle's arithmetic is exact."""
    return _DECIMAL_LITERAL.sub(lambda m: f"F('{m.group(1)}')", source)


def rule_source(rule: Mapping[str, Any]) -> str:
    """A rule as one Python condition, straight from its YAML fields."""
    kind = rule["kind"]
    if kind == "requires":
        return f"(not ({rule['if']})) or ({rule['then']})"
    if kind == "excludes":
        return "not (" + " and ".join(f"({item})" for item in rule["items"]) + ")"
    body = rule["require"] if kind == "constraint" else _range(rule)
    when = rule.get("when")
    return f"(not ({when})) or ({body})" if when is not None else f"({body})"


def _range(rule: Mapping[str, Any]) -> str:
    tests = []
    if "low" in rule:
        tests.append(f"{rule['low']} <= ({rule['value']})")
    if "high" in rule:
        tests.append(f"({rule['value']}) <= {rule['high']}")
    return " and ".join(tests)


@dataclass
class Oracle:
    """Rules, structure and prices of one product document."""

    doc: Mapping[str, Any]

    @cached_property
    def groups(self) -> list[Mapping[str, Any]]:
        return list(self.doc["option_groups"])

    @cached_property
    def attributes(self) -> dict[str, set[str]]:
        """Attribute name → groups having it."""
        found: dict[str, set[str]] = {}
        for group in self.groups:
            names = set(group.get("attributes", {}))
            for option in group.get("options", []):
                names |= set(option.get("attributes", {}))
            for name in names:
                found.setdefault(name, set()).add(group["code"])
        return found

    @cached_property
    def owner(self) -> dict[str, str]:
        """Name usable in a rule → the group it reads."""
        owner = {}
        for group in self.groups:
            owner[group["code"]] = group["code"]
            for option in group.get("options", []):
                owner[option["code"]] = group["code"]
        return owner

    @cached_property
    def rules(self) -> list[tuple[str, Any, set[str]]]:
        """(code, compiled condition, groups it needs), for every rule."""
        compiled = []
        for rule in self.doc.get("rules", []):
            code = compile(exact(rule_source(rule)), rule["code"], "eval")
            needs: set[str] = set()
            for name in code.co_names:
                if name in self.owner:
                    needs.add(self.owner[name])
                needs |= self.attributes.get(name, set())
            compiled.append((rule["code"], code, needs))
        return compiled

    # --- judging one configuration -----------------------------------------------------------

    def namespace(self, config: Config) -> dict[str, Any]:
        namespace: dict[str, Any] = {"F": Fraction}
        totals: dict[str, Fraction] = {name: Fraction(0) for name in self.attributes}
        for group in self.groups:
            code = group["code"]
            if code not in config:
                continue
            if group["kind"] == "numeric":
                namespace[code] = config[code]
                for name, value in group.get("attributes", {}).items():
                    totals[name] += config[code] * Fraction(str(value))
                continue
            chosen = _as_set(config[code])
            answer = Chosen(config[code] if isinstance(config[code], str) else "")
            for name in self.attributes:
                setattr(answer, name, Fraction(0))
            for option in group["options"]:
                namespace[option["code"]] = option["code"] in chosen
                if option["code"] in chosen:
                    for name, value in option.get("attributes", {}).items():
                        setattr(answer, name, getattr(answer, name) + Fraction(str(value)))
                        totals[name] += Fraction(str(value))
            namespace[code] = answer
        return {**totals, **namespace}

    def failing_rules(self, config: Config) -> list[str]:
        namespace = self.namespace(config)
        return [code for code, rule, _ in self.rules if not eval(rule, namespace)]

    def well_formed(self, config: Config) -> bool:
        for group in self.groups:
            value = config.get(group["code"])
            if group["kind"] == "multi":
                count = len(value or ())
                low = group.get("min_selected", 1 if group.get("required", True) else 0)
                high = group.get("max_selected", len(group["options"]))
                if not low <= count <= high:
                    return False
            elif group["kind"] == "single" and value is None and group.get("required", True):
                return False
        return True

    def valid(self, config: Config) -> bool:
        return self.well_formed(config) and not self.failing_rules(config)

    def price(self, config: Config) -> Decimal:
        total = Decimal(str(self.doc["base_price"]))
        for group in self.groups:
            value = config[group["code"]]
            if group["kind"] == "numeric":
                total += value * Decimal(str(group.get("price_per_unit", 0)))
                continue
            for option in group["options"]:
                if option["code"] in _as_set(value):
                    total += Decimal(str(option.get("price", 0)))
        return total.quantize(Decimal("0.01"))

    # --- enumerating ----------------------------------------------------------------------------

    def answers(self, group: Mapping[str, Any]) -> list[Any]:
        """Every answer a group could get in a full configuration (the raw cartesian factor)."""
        if group["kind"] == "numeric":
            low, high, step = group["low"], group["high"], group.get("step", 1)
            return list(range(low, high + 1, step))
        codes = [o["code"] for o in group["options"]]
        if group["kind"] == "single":
            return codes if group.get("required", True) else [None, *codes]
        sizes = range(len(codes) + 1)
        return [combo for n in sizes for combo in itertools.combinations(codes, n)]

    def raw_count(self) -> int:
        count = 1
        for group in self.groups:
            count *= len(self.answers(group))
        return count

    def valid_configs(self) -> list[Config]:
        """Every valid configuration, by depth-first search with early rule checks."""
        order = [g["code"] for g in self.groups]
        level_of = {code: i for i, code in enumerate(order)}
        checks: list[list[Any]] = [[] for _ in order]
        for _, rule, needs in self.rules:
            checks[max((level_of[g] for g in needs), default=0)].append(rule)
        return list(self._search({}, 0, checks))

    def _search(self, config: Config, level: int, checks: Sequence[list[Any]]) -> Iterator[Config]:
        if level == len(self.groups):
            if self.well_formed(config):
                yield dict(config)
            return
        group = self.groups[level]
        for answer in self.answers(group):
            config[group["code"]] = answer
            namespace = self.namespace(config) if checks[level] else {}
            if all(eval(rule, namespace) for rule in checks[level]):
                yield from self._search(config, level + 1, checks)
            del config[group["code"]]


def _as_set(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    return set(value)


def matches(config: Config, partial: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
    """Whether a full configuration extends a partial one (multi-choice: "at least these")."""
    for code, answer in partial.items():
        if kinds[code] == "multi":
            if not set(answer) <= set(config[code]):
                return False
        elif config[code] != answer:
            return False
    return True


def as_choices(config: Config) -> dict[str, Any]:
    """A configuration in the engine's input shape (lists for multi-choice groups)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}


SAMPLE_FILES = {
    "fridge": "fridge.yaml",
    "washer": "washer.yaml",
    "ebike-battery": "ebike_battery.yaml",
}


@functools.cache
def oracle_of(code: str) -> Oracle:
    """The oracle of a sample product, read from its YAML file (once per test run)."""
    from openfab.catalog.sample import read_data_file

    return Oracle(read_data_file(SAMPLE_FILES[code]))


@functools.cache
def variants_of(code: str) -> list[Config]:
    """Every valid variant of a sample product (computed once per test run)."""
    return oracle_of(code).valid_configs()
