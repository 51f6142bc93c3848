"""The lifecycle service on a small demo run: passports of shipped units, the public view,
field reports, claims per design revision, and recovery back into stock that MRP uses."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from openfab.errors import Conflict, Forbidden, InvalidInput, NotFound
from openfab.execution.schemas import OrderShipment
from openfab.lifecycle.passport import to_aas
from openfab.lifecycle.schemas import ClaimIn, FieldReportIn, RecoveryIn, Section
from openfab.planning.mrp.schemas import MoveCreate, MoveKind, PurchaseStatus
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.events import EventRecord
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople, make_tenant
from tests.lifecycle.conftest import BatteryRun, battery_run


@pytest.fixture(scope="module")
def shipped(platform: Platform, brand: TenantPeople) -> BatteryRun:
    return battery_run(platform, brand, quantity=3)


def test_every_shipped_unit_of_the_run_has_a_complete_passport(
    platform: Platform, brand: TenantPeople, shipped: BatteryRun
) -> None:
    platform.lifecycle.issue_all(PLANT)
    for serial in shipped.serials:
        passport = platform.lifecycle.passport(brand.planner, serial)
        assert passport.complete, passport.missing
        assert passport.identity and passport.identity.manufacturing_date is not None
        assert passport.carbon_footprint and passport.carbon_footprint.total_kg_co2e > 0
        assert passport.carbon_footprint.electricity_kwh > 0
        assert passport.performance and passport.performance.internal_resistance_source == (
            "measured"
        )
        assert passport.materials and {m.lot for m in passport.materials.lots} == set(
            shipped.lots.values()
        )
        assert all(m.supplier for m in passport.materials.lots)
    ids = {platform.lifecycle.passport(brand.planner, s).id for s in shipped.serials}
    assert len(ids) == len(shipped.serials)  # one stable public id each
    again = platform.lifecycle.passport(PLANT, shipped.serials[0], tenant=brand.tenant_id).id
    assert again in ids


def test_energy_the_machines_measured_replaces_the_estimate(
    platform: Platform, brand: TenantPeople
) -> None:
    run = battery_run(platform, brand, quantity=2, kwh_per_step=0.5)
    carbon = platform.lifecycle.passport(brand.planner, run.serials[0]).carbon_footprint
    assert carbon and carbon.energy_source == "measured"
    steps = len(platform.execution.trace(run.serials[0], tenant_id=brand.tenant_id).steps)
    assert carbon.electricity_kwh == pytest.approx(0.5 * steps)


def test_the_public_view_leaks_no_restricted_field(
    platform: Platform, brand: TenantPeople, shipped: BatteryRun
) -> None:
    full = platform.lifecycle.passport(brand.planner, shipped.serials[0])
    public = platform.lifecycle.public_passport(full.id)
    assert public.identity and public.carbon_footprint and public.performance
    assert public.recycled_content is not None
    assert public.materials is None and public.due_diligence is None and public.health is None
    text = json.dumps(public.model_dump(mode="json")) + json.dumps(to_aas(public))
    restricted = [*shipped.lots.values(), shipped.order_id, brand.alice.user_id or "-"]
    restricted += [m.supplier or "-" for m in full.materials.lots] if full.materials else []
    for value in restricted:
        assert value not in text, value
    assert "MaterialComposition" not in text and "SupplyChainDueDiligence" not in text


def test_the_brand_chooses_what_is_public(platform: Platform) -> None:
    other = make_tenant(platform)
    run = battery_run(platform, other, quantity=1)
    passport = platform.lifecycle.passport(other.planner, run.serials[0])
    platform.lifecycle.set_public_sections(other.admin, [Section.IDENTITY])
    public = platform.lifecycle.public_passport(passport.id)
    assert public.identity is not None
    assert public.carbon_footprint is None and public.performance is None
    with pytest.raises(Forbidden):
        platform.lifecycle.set_public_sections(other.alice, [Section.MATERIALS])


def test_an_unknown_public_id_is_not_found(platform: Platform) -> None:
    for bad in (str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(NotFound):
            platform.lifecycle.public_passport(bad)


def report(serial: str, **values: object) -> FieldReportIn:
    body = {
        "report_id": uuid.uuid4().hex,
        "serial": serial,
        "at": utcnow() + timedelta(days=30),
        "cycles": 20,
        "temperature_c": 25.0,
        "capacity_ah": 10.3,
    } | values
    return FieldReportIn.model_validate(body)


def test_impossible_reports_are_refused_naming_every_problem(
    platform: Platform, brand: TenantPeople, shipped: BatteryRun
) -> None:
    serial = shipped.serials[1]
    bad = report(serial, cycles=-3, soh_percent=104.0, capacity_ah=None, temperature_c=180.0)
    with pytest.raises(InvalidInput) as refused:
        platform.lifecycle.report(brand.planner, bad)
    assert {p.loc for p in refused.value.problems} == {"cycles", "soh_percent", "temperature_c"}
    with pytest.raises(NotFound):
        platform.lifecycle.report(brand.planner, report("XX-EB-999999"))
    assert platform.lifecycle.reports(brand.planner, serial) == []


def test_duplicates_and_doubtful_reports_never_become_truth(
    platform: Platform, brand: TenantPeople, shipped: BatteryRun
) -> None:
    serial = shipped.serials[2]
    first = report(serial, cycles=50)
    assert platform.lifecycle.report(brand.planner, first).status == "accepted"
    again = platform.lifecycle.report(brand.planner, first.model_copy(update={"cycles": 9}))
    assert again.duplicate and again.cycles == 50
    back = report(serial, cycles=10, at=first.at + timedelta(days=30))
    flagged = platform.lifecycle.report(brand.planner, back)
    assert flagged.status == "flagged" and "cycles went back" in flagged.reason
    high = platform.lifecycle.report(brand.planner, report(serial, cycles=60, capacity_ah=13.0))
    assert high.status == "flagged" and "beyond measuring error" in high.reason
    health = platform.lifecycle.passport(brand.planner, serial).health
    assert health and health.reports == 3 and health.flagged_reports == 2
    assert health.cycles == 50


def test_state_of_health_follows_the_reported_fade(platform: Platform, brand: TenantPeople) -> None:
    run = battery_run(platform, brand, quantity=1)
    serial = run.serials[0]
    rated = 10.5  # 3 x 3.5 Ah cells in parallel (the cheapest pack)
    start = utcnow()
    for month in range(1, 13):
        soh = 1 - 0.012 * month
        platform.lifecycle.report(
            brand.planner,
            report(
                serial,
                at=start + timedelta(days=30 * month),
                cycles=30 * month,
                capacity_ah=rated * soh,
            ),
        )
    health = platform.lifecycle.passport(brand.planner, serial).health
    assert health and health.state_of_health is not None
    assert health.state_of_health == pytest.approx(1 - 0.012 * 12, abs=0.015)
    assert health.lower is not None and health.upper is not None
    assert health.lower <= health.state_of_health <= health.upper
    assert health.cycles_to_threshold and health.cycles_to_threshold > 360


def test_claims_reach_quality_per_design_revision(
    platform: Platform, brand: TenantPeople, shipped: BatteryRun
) -> None:
    for serial, kind in zip(shipped.serials[:2], ("warranty", "field_failure"), strict=True):
        claim = ClaimIn(claim_id=f"C-{serial}", serial=serial, kind=kind, symptom="BMS cut-off")
        platform.lifecycle.file_claim(brand.planner, claim)
        platform.lifecycle.file_claim(brand.planner, claim)  # repeated: counted once
    rows = platform.lifecycle.claims_by_revision(brand.planner, "ebike-battery")
    row = next(r for r in rows if r.design_revision == 1)
    assert row.claims == 2 and row.field_failures == 1
    assert row.symptoms == {"BMS cut-off": 2}
    assert 0 < row.claim_rate <= 1
    plant_view = platform.lifecycle.claims_by_revision(PLANT, "ebike-battery")
    assert sum(r.claims for r in plant_view) >= 2


def test_only_a_returned_unit_is_recovered(
    platform: Platform, brand: TenantPeople, shipped: BatteryRun
) -> None:
    with pytest.raises(Conflict):
        platform.lifecycle.recover(PLANT, shipped.serials[0], RecoveryIn(), tenant=brand.tenant_id)
    with pytest.raises(Forbidden):
        platform.lifecycle.return_unit(brand.planner, shipped.serials[0], "end of life")


def test_recovered_material_is_stocked_used_by_mrp_before_buying_and_recycled_in_passports(
    fresh_database_url: str,
) -> None:
    settings = Settings(
        database_url=fresh_database_url, jwt_secret="test-secret-not-for-production-0123456789"
    )
    platform = Platform.open(fresh_database_url, settings=settings)
    try:
        brand = make_tenant(platform)
        old = battery_run(platform, brand, quantity=2)
        for serial in old.serials:
            platform.lifecycle.return_unit(PLANT, serial, "end of life")
            recovery = platform.lifecycle.recover(PLANT, serial, RecoveryIn())
            rates = {e.element: e.rate for e in recovery.elements}
            assert rates["Ni"] >= 0.95 and rates["Co"] >= 0.95 and rates["Li"] < 0.95
            assert len(recovery.lots) == 1
        with platform.db.unit(Scope.plant(), actor="test", readonly=True) as uow:
            logged = set(uow.session.scalars(select(EventRecord.type)))
        expected = {"passport.issued", "unit.returned", "unit.recovered", "lot.recovered"}
        assert expected <= logged  # every state change is in the event log
        assert platform.lifecycle.passport(PLANT, old.serials[0]).identity.status == "Recycled"  # type: ignore[union-attr]
        recovered = platform.lifecycle.recovered_lots()
        # the purchased aluminium left over is counted away: only recovered aluminium is on hand
        for lot in platform.materials.stock(PLANT, "alu_extrusion")[0].lots:
            if ("alu_extrusion", lot.lot) not in recovered:
                platform.materials.move(
                    PLANT,
                    MoveCreate(
                        kind=MoveKind.COUNT,
                        material="alu_extrusion",
                        lot=lot.lot,
                        location=lot.location,
                        quantity=Decimal(0),
                        unit="kg",
                    ),
                )
        on_hand = platform.materials.stock(PLANT, "alu_extrusion")[0].on_hand
        assert on_hand > Decimal("1.9")  # two casings' aluminium, 99 % recovered
        new = battery_run(platform, brand, quantity=1, ship=False)
        planned = platform.materials.purchase_orders(PLANT, status=PurchaseStatus.PLANNED).data
        assert "alu_extrusion" not in {po.material for po in planned}
        assert new.lots["alu_extrusion"] in {lot for _, lot in recovered}
        platform.execution.ship(PLANT, new.order_id, OrderShipment())
        passport = platform.lifecycle.passport(PLANT, new.serials[0])
        content = passport.recycled_content
        assert content and content.recycled_mass_kg == pytest.approx(0.972)
        assert 0.9 < content.shares["Al"] < 1.0  # the cells' foil aluminium is new
        plain = platform.lifecycle.passport(PLANT, old.serials[1])
        assert passport.carbon_footprint and plain.carbon_footprint
        assert (
            passport.carbon_footprint.raw_material_kg_co2e
            < plain.carbon_footprint.raw_material_kg_co2e
        )
    finally:
        platform.close()
