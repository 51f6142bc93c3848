"""Exploding a valid configuration: price, lead time, BOM and routing, computed by hand."""

from __future__ import annotations

import json
from decimal import Decimal

from openfab.catalog import BomLine, Configurator, Operation, PriceLine

OAK_DESK = {"top": "oak", "extras": ["drawer", "cable_tray"], "width": 160}
FRIDGE = {
    "size": "w70_420",
    "door": "double_door",
    "finish": "stainless",
    "compressor": "inverter",
    "energy_class": "class_a",
    "display": "touch_display",
    "handle": "bar_handle",
    "extras": ["ice_maker", "water_connection", "wifi"],
    "shelves": 4,
}


def test_desk_price_is_base_plus_options_plus_units(desk_configurator: Configurator) -> None:
    desk = desk_configurator.configure(OAK_DESK)
    assert desk.price_breakdown == (
        PriceLine("base", "Standing desk", Decimal(100)),
        PriceLine("oak", "Desk top: oak", Decimal(50)),
        PriceLine("drawer", "Extras: drawer", Decimal(30)),
        PriceLine("cable_tray", "Extras: cable tray", Decimal("12.5")),
        PriceLine("width", "Width: 160 cm", Decimal("80.00")),  # 160 cm × 0.50
    )
    assert desk.price == Decimal("272.50")


def test_desk_lead_time_adds_up_and_rounds_up(desk_configurator: Configurator) -> None:
    # 3 base + 2 oak + 160 cm × 0.01 days = 6.6 → 7
    assert desk_configurator.configure(OAK_DESK).lead_time_days == 7


def test_desk_bom_evaluates_merges_and_rounds(desk_configurator: Configurator) -> None:
    assert desk_configurator.configure(OAK_DESK).bom == (
        BomLine("oak_board", Decimal("1.280"), "m2"),  # 160 / 100 × 0.8
        BomLine("screw", Decimal(13), "pcs"),  # (8 + 4 drawer) × 1.05 scrap = 12.6 → 13
        BomLine("edge_band", Decimal("6.000"), "m"),  # 2 × (1.6 + 0.8) + 1.2 for the drawer
    )


def test_desk_routing_keeps_steps_whose_condition_holds(desk_configurator: Configurator) -> None:
    assert desk_configurator.configure(OAK_DESK).routing == (
        Operation(10, "cut", "Cut top", ("saw",), Decimal("10.00"), Decimal("8.00")),
        Operation(
            20, "fit", "Fit drawer", ("bench_1", "bench_2"), Decimal("0.00"), Decimal("12.00")
        ),
    )
    laminate = desk_configurator.configure({"top": "laminate", "width": 100})
    assert [(op.code, op.setup_minutes) for op in laminate.routing] == [("cut", Decimal("5.00"))]


def test_fridge_price_and_lead_time(fridge: Configurator) -> None:
    configured = fridge.configure(FRIDGE)
    # 449 base + 210 size + 60 door + 120 stainless + 85 inverter + 60 class A + 140 touch
    # + 120 ice + 35 water + 39 wifi + 4 shelves × 14.90
    assert configured.price == Decimal("1377.60")
    assert configured.lead_time_days == 7 + 2 + 1 + 2  # stainless, touch display, ice maker
    assert configured.attributes["weight_kg"] == 78.4  # 54 + 5 + 8 + 4 + 1 + 4 × 1.6


def test_fridge_bom_quantities_follow_the_formulas(fridge: Configurator) -> None:
    quantities = {line.material: line.quantity for line in fridge.configure(FRIDGE).bom}
    assert quantities == {
        "steel_coil_dc01": Decimal("29.952"),  # (12 + 420 × 0.04) × 1.04
        "stainless_sheet_304": Decimal("8.692"),  # 2 doors × (2 + 70 × 0.03) × 1.06
        "pu_foam_system": Decimal("13.658"),  # (1.5 + 420 × 0.028) × 1.03 = 13.6578, rounded up
        "abs_liner_sheet": Decimal("6.040"),
        "glass_shelf": Decimal(4),
        "door_gasket": Decimal("8.400"),  # 2 × (1.4 + 70 × 0.04)
        "hinge_set": Decimal(2),
        "compressor_inverter": Decimal(1),
        "refrigerant_r600a": Decimal("0.082"),
        "copper_tube_6mm": Decimal("9.360"),
        "evaporator": Decimal(2),  # two doors, two zones
        "condenser": Decimal(1),
        "control_board": Decimal(1),
        "display_touch_module": Decimal(1),
        "wifi_module": Decimal(1),
        "ice_maker_module": Decimal(1),
        "water_valve_kit": Decimal(1),
        "handle_bar": Decimal(2),
        "carton_box": Decimal(1),
        "pe_foam_packaging": Decimal("1.500"),
    }


def test_fridge_bom_merges_lines_of_one_material(fridge: Configurator) -> None:
    """Painted fridges take their door panels from the same steel coil as the cabinet."""
    white = fridge.configure({**FRIDGE, "finish": "white"})
    steel = [line for line in white.bom if line.material == "steel_coil_dc01"]
    assert [line.quantity for line in steel] == [Decimal("38.480")]  # (28.8 + 8.2) × 1.04


def test_fridge_bom_is_costed_with_the_catalog_materials(fridge: Configurator) -> None:
    configured = fridge.configure(FRIDGE)
    glass = next(line for line in configured.bom if line.material == "glass_shelf")
    assert (glass.unit_cost, glass.cost) == (Decimal("6.40"), Decimal("25.60"))
    assert configured.material_cost == sum(line.cost or 0 for line in configured.bom)


def test_fridge_routing_times(fridge: Configurator) -> None:
    routing = fridge.configure(FRIDGE).routing
    assert [(op.sequence, op.code, op.setup_minutes, op.run_minutes) for op in routing] == [
        (10, "press", Decimal("25.00"), Decimal("8.80")),  # 3 + 70 × 0.04 + 1.5 × 2
        (20, "foam", Decimal("15.00"), Decimal("11.04")),  # no paint step: stainless
        (30, "assemble", Decimal("10.00"), Decimal("36.00")),  # 18 + 6 + 6 ice + 4 touch + 2
        (40, "test", Decimal("0.00"), Decimal("19.00")),  # 12 + 4 inverter + 3 ice
        (50, "pack", Decimal("5.00"), Decimal("5.40")),
    ]
    assert routing[2].work_centers == ("assembly_line_1", "assembly_line_2")


def test_a_configured_product_is_json_and_round_trips(fridge: Configurator) -> None:
    configured = fridge.configure(FRIDGE)
    data = json.loads(json.dumps(configured.to_dict()))
    assert data["price"] == "1377.60"
    assert data["choices"]["extras"] == ["ice_maker", "water_connection", "wifi"]
    assert data["bom"][0] == {
        "material": "steel_coil_dc01",
        "quantity": "29.952",
        "unit": "kg",
        "unit_cost": "0.95",
        "cost": "28.45",
    }
    assert fridge.configure(data["choices"]) == configured
