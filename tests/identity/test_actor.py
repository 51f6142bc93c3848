"""Whom an actor acts for: a brand's actor only for its own brand, plant staff for the one
brand they name (or none yet)."""

from __future__ import annotations

import pytest

from openfab.errors import Forbidden
from openfab.identity.actor import Actor


def test_a_brands_actor_acts_for_its_own_brand_only() -> None:
    brand = Actor.system("floor", tenant_id="nordic")
    assert brand.tenant_for(None) == "nordic"
    assert brand.tenant_for("nordic") == "nordic"
    with pytest.raises(Forbidden, match="does not act for other"):
        brand.tenant_for("other")


def test_plant_staff_act_for_the_brand_they_name() -> None:
    plant = Actor.system("floor")
    assert plant.tenant_for("nordic") == "nordic"
    assert plant.tenant_for(None) is None  # the owner of the row decides later
