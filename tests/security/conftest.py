"""The adversarial suite's world: two brands A and B with one user per brand role, the plant's
staff with one user per plant role, and real objects of each (orders planned, released and in
production, units, ideas, a private product, a lab study, an API key, a purchase order, a
downtime window, a dead letter), built once per backend over HTTP.

Brand B is seeded with canaries (unique e-mail addresses, ids, numbers and free text) that
brand A's users must never read; every probe of the suite is made by A's users, the plant's
staff or an anonymous caller.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from openfab.api.app import create_app
from openfab.connect.topics import EquipmentPath
from openfab.gateway.equipment import EquipmentDirectory
from openfab.identity.actor import BRAND_ROLES, PLANT_ROLES, Actor, Role
from openfab.identity.schemas import TenantCreate, UserCreate
from openfab.planning.orm import OperationPinRow
from openfab.platform import Platform
from openfab.quality.pictures import encode_scan
from openfab.quality.schemas import ScanReceived
from openfab.quality.worker import InspectionWorker
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PASSWORD
from tests.quality.test_inline_inspection import trained_model

MATERIAL = "steel_coil_dc01"
"""A material the sample fridge consumes (kg): the lots of the suite are of it."""
BRANIN = {
    "parameters": [
        {"name": "x1", "type": "continuous", "low": -5.0, "high": 10.0},
        {"name": "x2", "type": "continuous", "low": 0.0, "high": 15.0},
    ],
    "objectives": [{"name": "f", "goal": "minimize"}],
}
JSON = dict[str, Any]


def token() -> str:
    return uuid.uuid4().hex[:12]


def expect(response: Response, *statuses: int) -> Any:
    """The response's JSON after checking its status (the body is in the failure message)."""
    assert response.status_code in statuses, (
        response.request.method,
        str(response.request.url),
        response.status_code,
        response.text,
    )
    return response.json() if response.content else {}


@dataclass(frozen=True)
class Caller:
    """Someone calling the API: a user holding exactly one role, or nobody signed in."""

    label: str
    role: Role | None
    tenant_id: str | None  # None: the plant (or anonymous)
    email: str | None
    headers: dict[str, str]
    user_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.role is None


ANONYMOUS = Caller("anonymous", None, None, None, {})
"""Nobody signed in."""


@dataclass
class Brand:
    """A brand, its users (one per brand role) and its objects."""

    tenant_id: str
    name: str
    people: dict[Role, Caller]
    canary: str
    """A unique string inside every free text the brand writes."""
    order: JSON = field(default_factory=dict)
    """Planned by the plant, released, its first operation started: units exist."""
    cancelled: JSON = field(default_factory=dict)
    """Cancelled by its customer with a note holding the canary."""
    open_order: JSON = field(default_factory=dict)
    """Placed after the plant planned: still Received."""
    work_order: JSON = field(default_factory=dict)
    serial: str = ""
    scan_id: str = ""
    """A camera scan of the brand's unit (recorded through the gateway's door)."""
    passport_id: str = ""
    """The public id of the unit's battery passport (issued on first read)."""
    idea_id: str = ""
    product_code: str = ""
    product_definition: JSON = field(default_factory=dict)
    study_id: str = ""
    experiment_id: str = ""
    api_key_id: str = ""

    def __getitem__(self, role: Role) -> Caller:
        return self.people[role]

    @property
    def emails(self) -> list[str]:
        return [c.email for c in self.people.values() if c.email]

    def ids(self) -> list[str]:
        """Every id, number and code of the brand's that another brand must never read."""
        values = [
            self.tenant_id,
            self.name,
            self.order["id"],
            self.order["number"],
            self.cancelled["id"],
            self.cancelled["number"],
            self.open_order["id"],
            self.open_order["number"],
            self.work_order["id"],
            self.work_order["number"],
            self.serial,
            self.scan_id,
            self.passport_id,
            self.idea_id,
            self.product_code,
            self.study_id,
            self.experiment_id,
            self.api_key_id,
        ]
        return [v for v in values if v]


@dataclass
class World:
    client: TestClient
    platform: Platform
    a: Brand
    b: Brand
    plant: dict[Role, Caller]
    machine: str
    machine_path: str
    lot: str
    purchase_order_id: str
    downtime_id: str
    pin_id: str
    dead_letter_id: str
    plant_canary: str
    choices: JSON
    """The cheapest valid fridge configuration (any brand's sample catalog)."""

    @property
    def callers(self) -> list[Caller]:
        """Everyone who probes: brand A's users, the plant's staff, and nobody signed in."""
        return [*self.a.people.values(), *self.plant.values(), ANONYMOUS]

    @property
    def plant_emails(self) -> list[str]:
        return [c.email for c in self.plant.values() if c.email]

    def place_order(self, brand: Brand) -> JSON:
        """A new order of ``brand``'s customer (Received)."""
        return _order(self.client, brand, self.choices)

    def withdraw(self, brand: Brand, order: JSON) -> None:
        """Cancel an order a probe may have left open, so that it burdens no later plan."""
        self.client.post(f"/orders/{order['id']}/cancel", headers=brand[Role.CUSTOMER].headers)

    def machine_for(self, work_centers: list[str]) -> str:
        machines = self.platform.execution.machines()
        return next(m for m, center in sorted(machines.items()) if center in work_centers)


def _sign_in(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    body = expect(response, 200)
    return {"Authorization": f"Bearer {body['access_token']}"}


def _user(
    platform: Platform, client: TestClient, role: Role, tenant_id: str | None, email: str
) -> Caller:
    user = platform.identity.create_user(
        Actor.system("security-suite"),
        UserCreate(email=email, full_name=f"{role} {email}", password=PASSWORD, roles=[role]),
        tenant_id=tenant_id,
    )
    where = tenant_id or "plant"
    headers = _sign_in(client, email)
    return Caller(f"{where}.{role}", role, tenant_id, email, headers, user.id)


def _brand(platform: Platform, client: TestClient, label: str) -> Brand:
    canary = f"canary{label}{token()}"
    tenant_id = f"t-{label.lower()}-{token()}"
    name = f"Brand {canary}"
    system = Actor.system("security-suite")
    platform.identity.create_tenant(system, TenantCreate(id=tenant_id, name=name))
    people = {
        role: _user(platform, client, role, tenant_id, f"{role}-{canary}@{tenant_id}.example.com")
        for role in sorted(BRAND_ROLES)
    }
    platform.catalog.install_sample_products(Actor.system("security-suite", tenant_id))
    return Brand(tenant_id=tenant_id, name=name, people=people, canary=canary)


def _plant(platform: Platform, client: TestClient) -> dict[Role, Caller]:
    suffix = token()
    return {
        role: _user(platform, client, role, None, f"{role}-{suffix}@plant.example.com")
        for role in sorted(PLANT_ROLES)
    }


def _order(client: TestClient, brand: Brand, choices: JSON) -> JSON:
    body = {"product": "fridge", "choices": choices}
    order: JSON = expect(
        client.post("/orders", json=body, headers=brand[Role.CUSTOMER].headers), 201
    )
    return order


def _seed_brand_text(client: TestClient, brand: Brand, choices: JSON) -> None:
    """What the brand's users write themselves: orders, a cancellation note, an idea with a
    comment, a private product, a lab study with a run, an API key."""
    customer, engineer, admin = brand[Role.CUSTOMER], brand[Role.ENGINEER], brand[Role.ADMIN]
    c = brand.canary
    brand.order = _order(client, brand, choices)
    cancelled = _order(client, brand, choices)
    note = {"status": "Cancelled", "note": f"changed my mind {c}"}
    url = f"/orders/{cancelled['id']}/transitions"
    brand.cancelled = expect(client.post(url, json=note, headers=customer.headers), 200)

    idea = {"title": f"Idea {c}", "description": f"secret plan {c}"}
    brand.idea_id = expect(client.post("/ideas", json=idea, headers=customer.headers), 201)["id"]
    comment = {"body": f"comment {c}"}
    url = f"/ideas/{brand.idea_id}/comments"
    expect(client.post(url, json=comment, headers=customer.headers), 201)

    fridge = expect(client.get("/products/fridge", headers=engineer.headers), 200)
    brand.product_code = f"secret-{c}".lower()
    brand.product_definition = {**fridge["definition"], "code": brand.product_code}
    created = {"definition": brand.product_definition, "note": f"private {c}"}
    expect(client.post("/products", json=created, headers=engineer.headers), 201)

    study = {"definition": {**BRANIN, "name": f"study-{c}"}}
    brand.study_id = expect(client.post("/lab/studies", json=study, headers=engineer.headers), 201)[
        "id"
    ]
    runs = {
        "experiments": [
            {"design": {"x1": x1, "x2": x2}, "results": {"f": f}, "note": f"run {c}"}
            for x1, x2, f in ((1.0, 2.0, 3.0), (4.0, 8.0, 5.0), (-2.0, 12.0, 9.0))
        ]
    }
    url = f"/lab/studies/{brand.study_id}/experiments"
    added = expect(client.post(url, json=runs, headers=engineer.headers), 201)
    brand.experiment_id = added["data"][0]["id"]

    key = {"name": f"key {c}"}
    brand.api_key_id = expect(client.post("/auth/api-keys", json=key, headers=admin.headers), 201)[
        "id"
    ]


def _run_first_operation(
    client: TestClient, world_plant: dict[Role, Caller], brand: Brand, machine_of: Any, lot: str
) -> None:
    """The plant releases the brand's planned order and starts its first operation with a lot
    from the stores: the work order is in progress and its units have serials."""
    planner, operator = world_plant[Role.PLANT_PLANNER], world_plant[Role.OPERATOR]
    order = brand.order
    current = expect(client.get(f"/orders/{order['id']}", headers=planner.headers), 200)
    if current["status"] == "Received":  # the plan could not place it: plan it by hand
        url = f"/orders/{order['id']}/transitions"
        expect(client.post(url, json={"status": "Planned"}, headers=planner.headers), 200)
    url = f"/execution/orders/{order['number']}/release"
    work_order = expect(client.post(url, headers=planner.headers), 201)
    first = work_order["operations"][0]
    start = {
        "message_id": uuid.uuid4().hex,
        "machine": machine_of(first["work_centers"]),
        "started_at": (utcnow() - timedelta(hours=1)).isoformat(),
        "materials": [{"material": MATERIAL, "lot": lot, "quantity": 1, "unit": "kg"}],
    }
    url = f"/execution/work-orders/{work_order['number']}/operations/{first['sequence']}/start"
    expect(client.post(url, json=start, headers=operator.headers), 200)
    brand.work_order = expect(
        client.get(f"/execution/work-orders/{work_order['number']}", headers=planner.headers), 200
    )
    units = expect(
        client.get("/execution/units", params={"order": order["number"]}, headers=planner.headers),
        200,
    )
    brand.serial = units["data"][0]["serial"]


def _scan(platform: Platform, serial: str, work_order: str, machine: str) -> str:
    """A camera scan of ``serial`` the quality worker judged a defect (its heat map kept)."""
    rng = np.random.default_rng(len(serial))
    noise = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    height = rng.normal(0, 5, (64, 64))
    image, relief, scale, offset = encode_scan(noise, height)
    key = f"{machine}/{uuid.uuid4().hex}"
    scan = ScanReceived(
        key, serial, machine, utcnow(), image, relief, scale, offset, work_order=work_order
    )
    system = Actor.system("security-suite")
    before = {s.id for s in platform.quality.scans(system, limit=500)}
    new, refused = platform.quality.record_scans(system, [scan])
    assert new == 1 and not refused, refused
    platform.quality.install_model(system, trained_model(), name="security-suite")
    InspectionWorker(platform.quality).inspect()
    found = [s for s in platform.quality.scans(system, limit=500) if s.id not in before]
    assert len(found) == 1 and found[0].kept, found
    return found[0].id


def _measured(platform: Platform, tenant_id: str, serial: str) -> None:
    """The paint step's film thickness as the floor reported it for 40 units (the plant's
    control chart has values to draw)."""
    from openfab.execution.orm import OperationRow, SerialUnitRow, UnitOperationRow
    from openfab.store.tenancy import Scope

    rng = np.random.default_rng(3)
    with platform.db.unit(Scope.tenant(tenant_id), actor="test", readonly=True) as uow:
        unit = uow.session.scalars(
            select(SerialUnitRow).where(SerialUnitRow.serial == serial)
        ).one()  # serials are per brand: two brands may number alike
        op = uow.session.scalars(
            select(OperationRow).where(OperationRow.work_order_id == unit.work_order_id)
        ).first()
        tenant, unit_id, op_id = unit.tenant_id, unit.id, op.id
    with platform.db.unit(Scope.tenant(tenant), actor="test") as uow:
        for i in range(40):
            uow.session.add(
                UnitOperationRow(
                    unit_id=unit_id,
                    operation_id=op_id,
                    sequence=0,
                    outcome="good",
                    reason="",
                    measurements={"probe.film_thickness_um": float(80 + rng.normal(0, 1))},
                    recorded_at=utcnow() - timedelta(minutes=60 - i),
                )
            )


def build_world(platform: Platform, client: TestClient) -> World:
    a, b = _brand(platform, client, "A"), _brand(platform, client, "B")
    plant = _plant(platform, client)
    planner, stores = plant[Role.PLANT_PLANNER], plant[Role.STORES]
    operator, maintenance = plant[Role.OPERATOR], plant[Role.MAINTENANCE]
    plant_canary = f"plantcanary{token()}"

    url = "/products/fridge/complete"
    choices: JSON = expect(
        client.post(url, json={"choices": {}}, headers=a[Role.CUSTOMER].headers), 200
    )["choices"]
    for brand in (a, b):
        _seed_brand_text(client, brand, choices)

    # the plant: stock in the stores, a plan, the two orders released and started
    lot = f"L-SEC-{token()}"
    receipt = {"kind": "Receive", "material": MATERIAL, "lot": lot, "quantity": "500", "unit": "kg"}
    expect(client.post("/materials/moves", json=receipt, headers=stores.headers), 201)
    plan = client.post("/schedule/plan", params={"time_limit": 2}, headers=planner.headers)
    assert plan.status_code in (200, 409, 422), plan.text  # infeasible: planned by hand below
    machines = platform.execution.machines()

    def machine_of(centers: list[str]) -> str:
        return next(m for m, center in sorted(machines.items()) if center in centers)

    for brand in (a, b):
        _run_first_operation(client, plant, brand, machine_of, lot)
        number = brand.work_order["number"]
        brand.scan_id = _scan(platform, brand.serial, number, sorted(machines)[0])
    _measured(platform, a.tenant_id, a.serial)
    for brand in (a, b):  # the units' passports (a brand's unit in progress: not complete)
        suite = Actor.system("security-suite")
        passport = platform.lifecycle.passport(suite, brand.serial, tenant=brand.tenant_id)
        brand.passport_id = passport.id
    for brand in (a, b):  # placed after the plan: still Received
        brand.open_order = _order(client, brand, choices)

    # purchasing: MRP plans purchase orders for the open orders
    platform.materials.install_sample_suppliers(Actor.system("security-suite"))
    expect(client.post("/materials/plan", headers=planner.headers), 200)
    orders = expect(client.get("/materials/purchase-orders", headers=planner.headers), 200)
    planned = [po for po in orders["data"] if po["status"] == "Planned"]
    assert planned, orders
    purchase_order_id = planned[0]["id"]
    url = f"/materials/purchase-orders/{purchase_order_id}/release"  # a later MRP run keeps it
    expect(client.post(url, json={"reason": "security suite"}, headers=planner.headers), 200)

    # a short downtime window, well inside the bounds, with a reason holding the plant canary
    machine = sorted(machines)[0]
    start = utcnow().replace(microsecond=0) + timedelta(days=170)
    downtime = {
        "machine": machine,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=1)).isoformat(),
        "reason": f"bearing {plant_canary}",
    }
    downtime_id = expect(
        client.post("/schedule/downtime", json=downtime, headers=maintenance.headers), 201
    )["id"]

    # a planner's pin on brand B's open order (stored as a move would store it)
    with platform.db.unit(Scope.plant(), actor="security-suite") as uow:
        pin = OperationPinRow(
            tenant_id=b.tenant_id,
            order_id=b.open_order["id"],
            order_number=b.open_order["number"],
            sequence=1,
            machine=machine,
            not_before=start,
            created_by="security suite",
        )
        uow.session.add(pin)
        uow.session.flush()
        pin_id = pin.id

    # a dead letter naming brand B's work order: an operation that does not exist
    path = EquipmentDirectory.load().path_of(machine)
    assert isinstance(path, EquipmentPath), machine
    machine_path = str(path)
    bad = {
        "message_id": uuid.uuid4().hex[:20],
        "type": "operation.started",
        "at": utcnow().isoformat(),
        "work_order": b.work_order["number"],
        "operation": 99_999,
    }
    posted = client.post(
        "/floor/messages",
        params={"sender": machine_path},
        content=json.dumps(bad),
        headers={**operator.headers, "content-type": "application/json"},
    )
    expect(posted, 422)
    letters = expect(
        client.get("/floor/dead-letters", params={"limit": 1000}, headers=operator.headers), 200
    )
    mine = [d for d in letters["data"] if bad["message_id"] in json.dumps(d)]
    assert mine, letters
    return World(
        client=client,
        platform=platform,
        a=a,
        b=b,
        plant=plant,
        machine=machine,
        machine_path=machine_path,
        lot=lot,
        purchase_order_id=purchase_order_id,
        downtime_id=downtime_id,
        pin_id=pin_id,
        dead_letter_id=mine[0]["id"],
        plant_canary=plant_canary,
        choices=choices,
    )


@pytest.fixture(scope="session")
def security_client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def world(platform: Platform, security_client: TestClient) -> World:
    """One world per backend for the whole suite."""
    return build_world(platform, security_client)
