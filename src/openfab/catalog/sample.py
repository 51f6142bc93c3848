"""The sample catalog shipped as package data: a fridge, a washer and an e-bike battery.

It doubles as documentation of the YAML format and as the fixture of the tests and demos.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from openfab.catalog.configurator import Configurator
from openfab.catalog.definition import Material, ProductDefinition, WorkCenter
from openfab.catalog.parsing import parse_materials, parse_product, parse_work_centers

PRODUCT_FILES = ("fridge.yaml", "washer.yaml", "ebike_battery.yaml")


@dataclass(frozen=True)
class SampleCatalog:
    """Shared materials and work centers, and the products built from them."""

    materials: Mapping[str, Material]
    work_centers: Mapping[str, WorkCenter]
    products: Mapping[str, ProductDefinition]
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def product_documents(self) -> dict[str, dict[str, Any]]:
        """The products' YAML documents by code (fresh copies: callers may change them)."""
        return {code: copy.deepcopy(dict(doc)) for code, doc in self.documents.items()}

    def configurator(self, product: str) -> Configurator:
        """A configurator that also costs the BOM with this catalog's materials."""
        return Configurator(self.products[product], materials=self.materials)


def read_data_file(name: str) -> Any:
    """One YAML file of ``openfab.catalog.data``, as plain data."""
    text = resources.files("openfab.catalog.data").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@functools.cache
def load_sample_catalog() -> SampleCatalog:
    """Parse and check the sample catalog (once per process; the result is immutable)."""
    materials = parse_materials(read_data_file("materials.yaml")["materials"])
    centers = parse_work_centers(read_data_file("work_centers.yaml")["work_centers"])
    products, documents = {}, {}
    for name in PRODUCT_FILES:
        document = read_data_file(name)
        product = parse_product(document, materials=materials, work_centers=centers)
        products[product.code] = product
        documents[product.code] = document
    return SampleCatalog(
        MappingProxyType(materials),
        MappingProxyType(centers),
        MappingProxyType(products),
        MappingProxyType(documents),
    )
