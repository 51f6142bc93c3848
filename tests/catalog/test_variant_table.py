"""The ranked variant table answers cheapest completion exactly as the CP-SAT path does."""

from __future__ import annotations

import random

import pytest

from openfab.catalog.configurator import Configurator
from openfab.catalog.definition import parse_product
from openfab.catalog.guided import cheapest_completion
from openfab.catalog.sample import load_sample_catalog
from openfab.demo.brands import random_choices
from openfab.errors import Infeasible


@pytest.mark.parametrize("code", ["fridge", "washer", "ebike-battery"])
def test_table_and_solver_agree_on_random_wishes(code: str) -> None:
    sample = load_sample_catalog()
    definition = parse_product(
        sample.product_documents[code],
        materials=sample.materials,
        work_centers=sample.work_centers,
    )
    fast = Configurator(definition, materials=sample.materials)
    slow = Configurator(definition, materials=sample.materials)
    rng = random.Random(3)
    for _ in range(150):
        wish = random_choices(definition, rng)
        try:
            got: object = fast.complete(wish)
        except Infeasible as exc:
            got = (exc.detail, exc.problems)
        selection = slow._partial(wish)
        try:
            with slow.model.locked():
                witness = cheapest_completion(slow.model, selection, slow._table)
            want: object = slow._explode_now(slow._selection(witness))
        except Infeasible as exc:
            want = (exc.detail, exc.problems)
        assert got == want, wish
    assert fast._variants is not None  # the sample products are small enough for a table
