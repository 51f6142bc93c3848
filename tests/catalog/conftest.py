"""Fixtures: a tiny desk product for unit tests, and the sample fridge with its oracle."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openfab.catalog import (
    Configurator,
    ProductDefinition,
    SampleCatalog,
    load_sample_catalog,
    parse_product,
)
from tests.catalog.oracle import Config, Oracle, oracle_of, variants_of

_DESK: dict[str, Any] = {
    "code": "desk",
    "name": "Standing desk",
    "currency": "EUR",
    "base_price": 100,
    "base_lead_time_days": 3,
    "option_groups": [
        {
            "code": "top",
            "label": "Desk top",
            "kind": "single",
            "options": [
                {"code": "oak", "price": 50, "lead_time_days": 2, "attributes": {"weight_kg": 20}},
                {"code": "laminate", "attributes": {"weight_kg": 12}},
            ],
        },
        {
            "code": "extras",
            "kind": "multi",
            "required": False,
            "max_selected": 2,
            "options": [
                {"code": "drawer", "price": 30, "attributes": {"weight_kg": 5}},
                {"code": "cable_tray", "price": 12.5, "attributes": {"weight_kg": 1.5}},
                {"code": "lamp", "price": 40, "lead_time_days": 1},
            ],
        },
        {
            "code": "width",
            "kind": "numeric",
            "required": False,
            "low": 100,
            "high": 180,
            "step": 20,
            "default": 140,
            "unit": "cm",
            "price_per_unit": 0.5,
            "lead_time_days_per_unit": 0.01,
            "attributes": {"weight_kg": 0.1},
        },
    ],
    "rules": [
        {
            "code": "lamp_needs_tray",
            "kind": "requires",
            "if": "lamp",
            "then": "cable_tray",
            "message": "The lamp's cable runs in the tray.",
        },
        {
            "code": "oak_not_narrow",
            "kind": "range",
            "when": "top == 'oak'",
            "value": "width",
            "low": 120,
            "message": "Oak tops start at 120 cm.",
        },
        {
            "code": "max_weight",
            "kind": "constraint",
            "require": "weight_kg <= 45",
            "message": "At most 45 kg.",
        },
    ],
    "bom": [
        {"material": "oak_board", "unit": "m2", "quantity": "width / 100 * 0.8", "when": "oak"},
        {
            "material": "chipboard",
            "unit": "m2",
            "quantity": "width / 100 * 0.8",
            "when": "laminate",
        },
        {"material": "screw", "unit": "pcs", "quantity": "8 + 4 * drawer", "scrap_factor": 0.05},
        {"material": "edge_band", "unit": "m", "quantity": "2 * (width / 100 + 0.8)"},
        {"material": "edge_band", "unit": "m", "quantity": "1.2", "when": "drawer"},
    ],
    "routing": [
        {
            "code": "cut",
            "name": "Cut top",
            "work_centers": ["saw"],
            "setup_minutes": "10 if oak else 5",
            "run_minutes": "width * 0.05",
        },
        {
            "code": "fit",
            "name": "Fit drawer",
            "work_centers": ["bench_1", "bench_2"],
            "run_minutes": 12,
            "when": "drawer",
        },
    ],
}


def desk_document() -> dict[str, Any]:
    """A fresh copy of the desk's document, free to change in a test."""
    return copy.deepcopy(_DESK)


@pytest.fixture
def desk() -> ProductDefinition:
    return parse_product(desk_document())


@pytest.fixture
def desk_configurator(desk: ProductDefinition) -> Configurator:
    return Configurator(desk)


@pytest.fixture(scope="session")
def sample_catalog() -> SampleCatalog:
    return load_sample_catalog()


@pytest.fixture(scope="session")
def fridge(sample_catalog: SampleCatalog) -> Configurator:
    return sample_catalog.configurator("fridge")


@pytest.fixture(scope="session")
def fridge_oracle() -> Oracle:
    return oracle_of("fridge")


@pytest.fixture(scope="session")
def fridge_variants() -> list[Config]:
    """Every valid fridge, found by the oracle's brute force."""
    return variants_of("fridge")
