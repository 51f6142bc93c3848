"""Every route × every role of two brands and the plant, and nobody signed in.

``POLICY`` is the one table of who may call what. A route missing from it fails the suite, so
a new route is classified the day it is added. Every caller the table refuses calls the route
with a plausible request naming real objects of the other brand (and, for brand A's users, of
their own brand, so a tenant filter answering 404 cannot hide a missing role check), and must
get 401, 403 or 404: never a 2xx, a 409, a 422 or a 5xx. Callers the table allows are
probed on the other brand's objects too (guessed ids): 403 or 404.
"""

from __future__ import annotations

from typing import Literal

import pytest

from openfab.identity.actor import (
    BRAND_ROLES,
    DOWNTIME_REPORTERS,
    FLOOR,
    PLANT_ROLES,
    SCHEDULERS,
    STOCK_KEEPERS,
    Role,
)
from tests.security.conftest import ANONYMOUS, Caller, World
from tests.security.probes import OPERATIONS, probe

pytestmark = pytest.mark.xdist_group("security")

Public = Literal["public"]
PUBLIC: Public = "public"
EVERYONE = frozenset(Role)
"""Any signed-in user: a brand's (what they read is their brand's) or the plant's staff."""
BRAND = frozenset(BRAND_ROLES)
"""A brand's users, customers included (a customer reads only their own)."""
BRAND_STAFF = BRAND - {Role.CUSTOMER}
CUSTOMERS_AND_DESK = frozenset({Role.CUSTOMER, Role.PLANNER, Role.ADMIN})
PRODUCT_EDITORS = frozenset({Role.ENGINEER, Role.ADMIN})
DESK = frozenset({Role.PLANNER, Role.ADMIN})
LAB_READERS = frozenset({Role.ENGINEER, Role.PLANNER, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN, Role.PLANT_ADMIN})
PLANT = frozenset(PLANT_ROLES)
STAFF = BRAND_STAFF | PLANT

PLANT_SCHEDULERS = frozenset(SCHEDULERS)
PLANT_DOWNTIME = frozenset(DOWNTIME_REPORTERS)
PLANT_STOCK = frozenset(STOCK_KEEPERS)
PLANT_FLOOR = frozenset(FLOOR)

POLICY: dict[str, Public | frozenset[Role]] = {
    # credentials and people
    "login": PUBLIC,
    "signup_customer": PUBLIC,
    "health": PUBLIC,
    "list_api_keys": EVERYONE,
    "issue_api_key": EVERYONE,
    "revoke_api_key": EVERYONE,  # one's own key (an admin: the brand's or the plant's)
    "create_tenant": frozenset({Role.PLANT_ADMIN}),  # the plant's admin onboards brands
    "my_tenant": EVERYONE,
    "list_users": ADMINS,
    "create_user": ADMINS,
    # a brand's catalog
    "list_products": BRAND,
    "get_product": BRAND,
    "create_product": PRODUCT_EDITORS,
    "revise_product": PRODUCT_EDITORS,
    "validate_configuration": BRAND,
    "configure_product": BRAND,
    "options_left": BRAND,
    "complete_configuration": BRAND,
    # orders: the brand places and cancels, the plant moves them through production
    "place_order": CUSTOMERS_AND_DESK,
    "list_orders": EVERYONE,
    "get_order": EVERYONE,
    "track_order": EVERYONE,
    "transition_order": PLANT_SCHEDULERS,  # probed with Received → Planned
    "cancel_order": BRAND | PLANT_SCHEDULERS,
    # the schedule
    "schedule_gantt": EVERYONE,
    "plan_schedule": PLANT_SCHEDULERS,
    "list_machines": EVERYONE,
    "report_machine_downtime": PLANT_DOWNTIME,
    "change_machine_downtime": PLANT_DOWNTIME,
    "move_operation": PLANT_SCHEDULERS,
    "list_operation_pins": PLANT,
    "release_operation_pin": PLANT_SCHEDULERS,
    # the event log
    "list_events": STAFF,
    "verify_audit_chain": ADMINS,
    # a brand's co-creation board
    "propose_idea": BRAND,
    "list_ideas": BRAND,
    "get_idea": BRAND,
    "vote_idea": BRAND,
    "withdraw_idea_vote": BRAND,
    "comment_idea": BRAND,
    "promote_idea": DESK,
    "decline_idea": DESK,
    # a brand's lab
    "list_studies": LAB_READERS,
    "get_study": LAB_READERS,
    "list_experiments": LAB_READERS,
    "export_experiments_csv": LAB_READERS,
    "study_models": LAB_READERS,
    "study_pareto": LAB_READERS,
    "create_study": PRODUCT_EDITORS,
    "add_experiments": PRODUCT_EDITORS,
    "import_experiments_csv": PRODUCT_EDITORS,
    "suggest": PRODUCT_EDITORS,
    "release_design": PRODUCT_EDITORS,
    # the shop floor
    "post_floor_messages": PLANT_FLOOR,
    "list_floor_dead_letters": PLANT,
    "replay_floor_dead_letter": PLANT,
    "machine_dispatch_list": PLANT_FLOOR,
    "release_work_orders": PLANT_SCHEDULERS,
    "release_order": PLANT_SCHEDULERS,
    "list_work_orders": EVERYONE,
    "get_work_order": EVERYONE,
    "list_units": EVERYONE,
    "get_unit": EVERYONE,
    "unit_genealogy": EVERYONE,
    "start_operation": PLANT_FLOOR,
    "finish_operation": PLANT_FLOOR,
    "scrap_unit": PLANT_FLOOR,
    "rework_unit": PLANT_FLOOR,
    "ship_order": PLANT_FLOOR,
    "deliver_order": PLANT_FLOOR,
    "report_machine_state": PLANT_FLOOR,
    "list_machine_states": STAFF,  # the plant's public status
    "list_inspection_models": PLANT_FLOOR,
    "list_unit_scans": STAFF,  # a brand's staff: their own units' scans
    "unit_scan_image": STAFF,
    "unit_scan_heat_map": STAFF,
    "list_process_characteristics": PLANT,
    "control_chart": PLANT,
    "list_spc_alarms": PLANT,
    "quality_root_causes": PLANT,
    "list_quality_decisions": PLANT,
    "list_machine_health": PLANT,
    "list_maintenance_orders": PLANT,
    "machine_maintenance_history": PLANT,
    "machine_oee": STAFF,
    # the product lifecycle: passports of a brand's units, field reports, claims, recycling
    "get_passport": EVERYONE,  # a customer: their own units'
    "get_passport_aas": EVERYONE,
    "list_field_reports": EVERYONE,
    "get_public_passport": PUBLIC,  # the QR code: only the sections the brand publishes
    "get_passport_qr": PUBLIC,
    "set_passport_public_sections": DESK,
    "post_field_report": BRAND_STAFF | PLANT,
    "post_claim": BRAND_STAFF | PLANT,
    "claims_by_revision": BRAND_STAFF
    | frozenset({Role.QUALITY, Role.PLANT_ADMIN, Role.PLANT_PLANNER}),
    "return_unit": frozenset({Role.STORES, Role.PLANT_ADMIN, Role.PLANT_PLANNER, Role.QUALITY}),
    "recover_unit": frozenset({Role.STORES, Role.PLANT_ADMIN, Role.PLANT_PLANNER, Role.QUALITY}),
    # stock and purchasing: the plant's
    "material_plan": PLANT_STOCK,
    "run_material_plan": PLANT_SCHEDULERS,
    "list_material_shortages": BRAND_STAFF | PLANT_STOCK,  # a brand: its own orders'
    "list_purchase_orders": PLANT_STOCK,
    "get_purchase_order": PLANT_STOCK,
    "release_purchase_order": PLANT_SCHEDULERS,
    "cancel_purchase_order": PLANT_SCHEDULERS,
    "receive_purchase_order": PLANT_STOCK,
    "list_inventory": PLANT_STOCK,
    "list_inventory_moves": PLANT_STOCK,
    "create_inventory_move": PLANT_STOCK,
    "allocate_material": PLANT_STOCK,
    "list_suppliers": PLANT_STOCK,
    "set_material_policy": PLANT_SCHEDULERS,
    "run_purchasing_autopilot": PLANT_SCHEDULERS,
    # demand sensing: the plant planner's expected material use (the prior)
    "get_expected_use": PLANT_STOCK,
    "set_expected_use": PLANT_SCHEDULERS,
}

BRAND_CALLERS = [f"A.{role}" for role in sorted(BRAND_ROLES)]
PLANT_CALLERS = [f"plant.{role}" for role in sorted(PLANT_ROLES)]
CALLERS = [*BRAND_CALLERS, *PLANT_CALLERS, "anonymous"]
Target = Literal["own", "other", "cross"]

ORDER_CHANGES = {"cancel_order", "transition_order"}
"""Probed on an order of their own, placed for the probe: a hole answers 200, not 409."""

HOLES: dict[tuple[str, str, Target], str] = {}
"""Known holes, each (operation, caller, target) → what the service does wrong (xfail)."""


def may_call(operation_id: str, role: Role | None) -> bool:
    allowed = POLICY[operation_id]
    if allowed == PUBLIC:
        return True
    return role is not None and role in allowed


def caller_of(world: World, key: str) -> Caller:
    if key == "anonymous":
        return ANONYMOUS
    side, role = key.split(".")
    people = world.a.people if side == "A" else world.plant
    return people[Role(role)]


def _role(key: str) -> Role | None:
    return None if key == "anonymous" else Role(key.split(".")[1])


def _cases() -> list[object]:
    cases: list[object] = []
    for operation_id, op in sorted(OPERATIONS.items()):
        if operation_id not in POLICY:
            continue  # test_every_route_is_classified fails
        for key in CALLERS:
            if may_call(operation_id, _role(key)):
                continue
            targets: list[Target] = ["other"]
            if key in BRAND_CALLERS and op.path_parameters:
                targets.append("own")
            for target in targets:
                hole = HOLES.get((operation_id, key, target))
                marks = [pytest.mark.xfail(strict=True, reason=hole)] if hole else []
                case_id = f"{operation_id}-{key}-{target}"
                cases.append(pytest.param(operation_id, key, target, marks=marks, id=case_id))
    return cases


CASES = _cases()

BRAND_OBJECTS = frozenset(
    {"key_id", "code", "order_id", "order", "idea_id", "study_id", "work_order", "serial"}
)
"""Path parameters naming an object of one brand (the rest name the plant's)."""


def _cross_cases() -> list[object]:
    """Callers allowed on a route, naming another brand's object: brand A's users on B's
    objects, and the plant's staff on a brand's API key."""
    cases: list[object] = []
    for operation_id, op in sorted(OPERATIONS.items()):
        names_brand = bool(BRAND_OBJECTS & set(op.path_parameters))
        if operation_id not in POLICY or not names_brand or operation_id == "set_material_policy":
            continue
        callers = [*BRAND_CALLERS, *(PLANT_CALLERS if operation_id == "revoke_api_key" else [])]
        for key in callers:
            if not may_call(operation_id, _role(key)) or POLICY[operation_id] == PUBLIC:
                continue
            hole = HOLES.get((operation_id, key, "cross"))
            marks = [pytest.mark.xfail(strict=True, reason=hole)] if hole else []
            case_id = f"{operation_id}-{key}"
            cases.append(pytest.param(operation_id, key, marks=marks, id=case_id))
    return cases


CROSS_CASES = _cross_cases()


def test_every_route_is_classified() -> None:
    """A route of the schema without a line in POLICY (or a line without a route) fails."""
    assert set(OPERATIONS) - set(POLICY) == set(), "classify the new routes in POLICY"
    assert set(POLICY) - set(OPERATIONS) == set(), "POLICY names routes that are gone"


def test_the_matrix_probes_every_guarded_route() -> None:
    probed = {case.values[0] for case in CASES}  # type: ignore[attr-defined]
    public = {op for op, allowed in POLICY.items() if allowed == PUBLIC}
    assert probed == set(OPERATIONS) - public
    assert len(CASES) >= 500
    crossed = {case.values[0] for case in CROSS_CASES}  # type: ignore[attr-defined]
    assert {"get_order", "cancel_order", "get_unit", "vote_idea", "revoke_api_key"} <= crossed


@pytest.mark.parametrize(("operation_id", "caller_key", "target"), CASES)
def test_a_forbidden_caller_is_refused(
    world: World, operation_id: str, caller_key: str, target: Target
) -> None:
    caller = caller_of(world, caller_key)
    brand = world.a if target == "own" else world.b
    order = world.place_order(brand) if operation_id in ORDER_CHANGES else None
    request = probe(world, brand, operation_id, order)
    response = request.send(world.client, caller)
    if order is not None:
        world.withdraw(brand, order)
    expected = {401} if caller.anonymous else {403, 404}
    assert response.status_code in expected, (
        f"{caller.label} {request.method} {request.url} params={request.params} "
        f"body={request.json or request.content} → {response.status_code} {response.text[:500]}"
    )


@pytest.mark.parametrize(("operation_id", "caller_key"), CROSS_CASES)
def test_another_brands_objects_are_out_of_reach(
    world: World, operation_id: str, caller_key: str
) -> None:
    """A caller the route allows, naming brand B's object (a guessed or leaked id): 404 or
    403, and B's object unchanged."""
    caller = caller_of(world, caller_key)
    order = world.place_order(world.b) if operation_id in ORDER_CHANGES else None
    request = probe(world, world.b, operation_id, order)
    response = request.send(world.client, caller)
    if order is not None:
        world.withdraw(world.b, order)
    assert response.status_code in {403, 404}, (
        f"{caller.label} {request.method} {request.url} "
        f"body={request.json or request.content} → {response.status_code} {response.text[:500]}"
    )
