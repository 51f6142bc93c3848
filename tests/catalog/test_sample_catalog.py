"""The sample catalog: it loads, its fridge is a real mass-customization family."""

from __future__ import annotations

import json

import pytest

from openfab.catalog import SampleCatalog
from tests.catalog.oracle import Config, Oracle


def test_the_catalog_holds_three_products_on_shared_reference_data(
    sample_catalog: SampleCatalog,
) -> None:
    assert set(sample_catalog.products) == {"fridge", "washer", "ebike-battery"}
    units = {m.unit for m in sample_catalog.materials.values()}
    assert {"pcs", "kg", "m", "l"} <= units
    used = {c for p in sample_catalog.products.values() for s in p.routing for c in s.work_centers}
    assert used <= set(sample_catalog.work_centers)


def test_the_fridge_family_is_large_but_enumerable(
    fridge_oracle: Oracle, fridge_variants: list[Config]
) -> None:
    assert fridge_oracle.raw_count() < 200_000
    assert 500 <= len(fridge_variants) <= 5_000


def test_product_documents_are_fresh_copies(sample_catalog: SampleCatalog) -> None:
    documents = sample_catalog.product_documents
    documents["fridge"]["name"] = "changed"
    assert sample_catalog.product_documents["fridge"]["name"] == "CoolLine refrigerator"


@pytest.mark.parametrize("code", ["fridge", "washer", "ebike-battery"])
def test_every_product_has_a_cheapest_variant_with_bom_and_routing(
    sample_catalog: SampleCatalog, code: str
) -> None:
    configurator = sample_catalog.configurator(code)
    configured = configurator.complete({})
    assert configured.bom
    assert configured.routing
    assert configured.material_cost
    assert configured.price > configured.material_cost
    assert configurator.validate(configured.choices).valid
    json.dumps(configured.to_dict())
