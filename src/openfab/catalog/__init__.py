"""Product configuration: options, rules, and the configurator engine.

A :class:`ProductDefinition` (parsed from YAML by :func:`parse_product`) says what a customer
may choose; a :class:`Configurator` validates choices, explodes a valid configuration into
price, BOM and routing, and answers guided-selling questions with CP-SAT.
"""

from openfab.catalog.choices import Choices, ChoiceValue
from openfab.catalog.configurator import Configurator
from openfab.catalog.definition import (
    BomLineTemplate,
    Material,
    Option,
    OptionGroup,
    ProductDefinition,
    RoutingStepTemplate,
    Rule,
    WorkCenter,
)
from openfab.catalog.expressions import Expr, ExpressionError, Scope, parse_expression
from openfab.catalog.parsing import parse_materials, parse_product, parse_work_centers
from openfab.catalog.results import (
    BomLine,
    ConfiguredProduct,
    GroupStatus,
    Operation,
    OptionsLeft,
    OptionStatus,
    PriceLine,
    Reason,
    Validation,
    Violation,
)
from openfab.catalog.sample import SampleCatalog, load_sample_catalog

__all__ = [
    "BomLine",
    "BomLineTemplate",
    "ChoiceValue",
    "Choices",
    "Configurator",
    "ConfiguredProduct",
    "Expr",
    "ExpressionError",
    "GroupStatus",
    "Material",
    "Operation",
    "Option",
    "OptionGroup",
    "OptionStatus",
    "OptionsLeft",
    "PriceLine",
    "ProductDefinition",
    "Reason",
    "RoutingStepTemplate",
    "Rule",
    "SampleCatalog",
    "Scope",
    "Validation",
    "Violation",
    "WorkCenter",
    "load_sample_catalog",
    "parse_expression",
    "parse_materials",
    "parse_product",
    "parse_work_centers",
]
