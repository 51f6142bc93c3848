"""A plausible request for every operation of the OpenAPI schema: path ids filled with real
objects of one brand (or of the plant), a valid body, the required query parameters.

A forbidden caller must be refused with such a request: a sloppy body would be refused with a
422 before any role check and hide a missing one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from openfab.api.app import create_app
from openfab.store.types import utcnow
from tests.conftest import PASSWORD
from tests.security.conftest import BRANIN, MATERIAL, Brand, Caller, World

SCHEMA: dict[str, Any] = create_app().openapi()
JSON = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    spec: JSON

    @property
    def path_parameters(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    @property
    def query_parameters(self) -> list[JSON]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == "query"]


def operations() -> Iterator[Operation]:
    for path, methods in SCHEMA["paths"].items():
        for method, spec in methods.items():
            yield Operation(method.upper(), path, spec["operationId"], spec)


OPERATIONS = {op.operation_id: op for op in operations()}


@dataclass
class Probe:
    """One request, ready to send as any caller."""

    method: str
    url: str
    json: Any = None
    content: str | None = None
    data: dict[str, str] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None

    def send(self, client: TestClient, caller: Caller) -> Response:
        headers = dict(caller.headers)
        if self.content_type:
            headers["content-type"] = self.content_type
        response: Response = client.request(
            self.method,
            self.url,
            json=self.json,
            content=self.content,
            data=self.data,
            params=self.params or None,
            headers=headers,
        )
        return response

    def echoed(self) -> list[str]:
        """What the caller itself put in the request (an answer may repeat it)."""
        values = [str(v) for v in self.params.values()]
        values += [p for p in self.url.split("/") if p]
        return values


def _hex() -> str:
    return uuid.uuid4().hex[:12]


def path_values(
    world: World, brand: Brand, op: Operation, order: JSON | None = None
) -> dict[str, str]:
    """Real ids of ``brand``'s objects (or the plant's) for the operation's path; ``order``
    replaces the brand's open order."""
    operations = brand.work_order.get("operations") or [{"sequence": 10}]
    values = {
        "tenant_id": brand.tenant_id,
        "key_id": brand.api_key_id,
        "code": MATERIAL if op.operation_id == "set_material_policy" else brand.product_code,
        "order_id": (order or brand.open_order)["id"],
        "order": brand.order["number"],
        "downtime_id": world.downtime_id,
        "pin_id": world.pin_id,
        "idea_id": brand.idea_id,
        "study_id": brand.study_id,
        "letter_id": world.dead_letter_id,
        "machine": world.machine,
        "work_order": brand.work_order["number"],
        "sequence": str(operations[-1]["sequence"]),
        "serial": brand.serial,
        "scan_id": brand.scan_id,
        "characteristic": "probe.film_thickness_um",
        "po_id": world.purchase_order_id,
        "passport_id": brand.passport_id,
    }
    missing = set(op.path_parameters) - set(values)
    assert not missing, f"no object for {op.operation_id} path parameters {missing}"
    return {name: values[name] for name in op.path_parameters}


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", value)
    return path


def floor_message(work_order: str, sequence: int) -> JSON:
    """A contract message from a machine: an operation started."""
    return {
        "message_id": _hex(),
        "type": "operation.started",
        "at": utcnow().isoformat(),
        "work_order": work_order,
        "operation": sequence,
    }


def _window() -> JSON:
    now = utcnow().replace(microsecond=0)
    return {
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(days=1)).isoformat(),
    }


def _downtime(world: World) -> JSON:
    start = utcnow().replace(microsecond=0) + timedelta(days=171)
    return {
        "machine": world.machine,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(minutes=30)).isoformat(),
        "reason": "probe",
    }


Body = Callable[[World, Brand], Any]
BODIES: dict[str, Body] = {
    "signup_customer": lambda w, b: {
        "email": f"probe-{_hex()}@example.com",
        "full_name": "Probe",
        "password": PASSWORD,
    },
    "issue_api_key": lambda w, b: {"name": "probe"},
    "create_tenant": lambda w, b: {"id": f"probe-{_hex()}", "name": "Probe"},
    "create_user": lambda w, b: {
        "email": f"probe-{_hex()}@example.com",
        "full_name": "Probe",
        "password": PASSWORD,
        "roles": ["customer"],
    },
    "create_product": lambda w, b: {
        "definition": {**b.product_definition, "code": f"probe-{_hex()}"},
        "note": "probe",
    },
    "revise_product": lambda w, b: {"definition": b.product_definition, "note": "probe"},
    "validate_configuration": lambda w, b: {"choices": w.choices},
    "configure_product": lambda w, b: {"choices": w.choices},
    "options_left": lambda w, b: {"choices": {}},
    "complete_configuration": lambda w, b: {"choices": {}},
    "place_order": lambda w, b: {"product": "fridge", "choices": w.choices, "quantity": 1},
    "transition_order": lambda w, b: {"status": "Planned", "note": "probe"},
    "report_machine_downtime": lambda w, b: _downtime(w),
    "change_machine_downtime": lambda w, b: {"cancel": True, "reason": "probe"},
    "move_operation": lambda w, b: {
        "order": b.order["number"],
        "sequence": 1,
        "machine": w.machine,
        "start": (utcnow() + timedelta(hours=6)).replace(microsecond=0).isoformat(),
    },
    "propose_idea": lambda w, b: {"title": "Probe idea", "description": "probe"},
    "comment_idea": lambda w, b: {"body": "probe"},
    "promote_idea": lambda w, b: {
        "code": f"probe-{_hex()}",
        "name": "Probe",
        "base_product": "fridge",
    },
    "decline_idea": lambda w, b: {"note": "probe"},
    "create_study": lambda w, b: {"definition": {**BRANIN, "name": f"probe-{_hex()}"}},
    "add_experiments": lambda w, b: {
        "experiments": [{"design": {"x1": 2.0, "x2": 3.0}, "results": {"f": 4.0}}]
    },
    "suggest": lambda w, b: {"n": 1, "seed": 1},
    "release_design": lambda w, b: {
        "experiment_id": b.experiment_id,
        "product_code": "fridge",
        "note": "probe",
    },
    "start_operation": lambda w, b: {
        "message_id": _hex(),
        "machine": w.machine_for(b.work_order["operations"][-1]["work_centers"]),
        "materials": [{"material": MATERIAL, "lot": w.lot, "quantity": 1, "unit": "kg"}],
    },
    "finish_operation": lambda w, b: {"message_id": _hex(), "quantity_good": 1},
    "scrap_unit": lambda w, b: {"message_id": _hex(), "reason": "probe"},
    "rework_unit": lambda w, b: {
        "message_id": _hex(),
        "sequence": b.work_order["operations"][0]["sequence"],
        "reason": "probe",
    },
    "ship_order": lambda w, b: {"message_id": _hex(), "note": "probe"},
    "deliver_order": lambda w, b: {"message_id": _hex(), "note": "probe"},
    "report_machine_state": lambda w, b: {"message_id": _hex(), "state": "Down", "reason": "p"},
    "release_purchase_order": lambda w, b: {"reason": "probe"},
    "cancel_purchase_order": lambda w, b: {"reason": "probe"},
    "receive_purchase_order": lambda w, b: {"quantity": "1", "lot": f"L-PROBE-{_hex()}"},
    "create_inventory_move": lambda w, b: {
        "kind": "Scrap",
        "material": MATERIAL,
        "lot": w.lot,
        "quantity": "1",
        "unit": "kg",
        "reason": "probe",
    },
    "allocate_material": lambda w, b: {
        "material": MATERIAL,
        "order_id": b.order["id"],
        "quantity": "1",
        "unit": "kg",
    },
    "set_material_policy": lambda w, b: {"safety_stock": "1"},
    "run_purchasing_autopilot": lambda w, b: {"max_value_per_order": "100", "horizon_days": 1},
    "set_expected_use": lambda w, b: {"per_day": {MATERIAL: "1"}},
    "set_passport_public_sections": lambda w, b: {"sections": ["identity", "carbon_footprint"]},
    "post_field_report": lambda w, b: {
        "report_id": _hex(),
        "serial": b.serial,
        "at": utcnow().isoformat(),
        "cycles": 3,
        "temperature_c": 24.0,
        "soh_percent": 99.0,
    },
    "post_claim": lambda w, b: {
        "claim_id": _hex(),
        "serial": b.serial,
        "kind": "warranty",
        "symptom": "probe",
    },
    "return_unit": lambda w, b: {"reason": "probe"},
    "recover_unit": lambda w, b: {"route": "hydrometallurgical"},
}
"""JSON bodies, by operation id."""

PARAMS: dict[str, Callable[[World], JSON]] = {
    "plan_schedule": lambda w: {"time_limit": 1},
    "post_floor_messages": lambda w: {"sender": w.machine_path},
    "list_machine_states": lambda w: _window(),
    "machine_oee": lambda w: _window(),
}
"""Query parameters a request needs, by operation id."""


def probe(world: World, brand: Brand, operation_id: str, order: JSON | None = None) -> Probe:
    """A plausible request of ``operation_id`` on ``brand``'s objects (``order``: an order of
    the brand's to name instead of its open order)."""
    op = OPERATIONS[operation_id]
    url = fill(op.path, path_values(world, brand, op, order))
    params = PARAMS[operation_id](world) if operation_id in PARAMS else {}
    if "serial" in op.path_parameters and any(q["name"] == "tenant" for q in op.query_parameters):
        params["tenant"] = brand.tenant_id  # serials are per brand: the plant names whose
    request = Probe(op.method, url, params=params)
    content = op.spec.get("requestBody", {}).get("content", {})
    if operation_id == "login":
        email = brand[next(iter(brand.people))].email or ""
        request.data = {"username": email, "password": PASSWORD}
    elif operation_id == "import_experiments_csv":
        request.content, request.content_type = "x1,x2,f\n2,3,4\n", "text/csv"
    elif operation_id == "post_floor_messages":
        sequence = brand.work_order["operations"][-1]["sequence"]
        request.content = json.dumps(floor_message(brand.work_order["number"], sequence))
        request.content_type = "application/json"
    elif operation_id in BODIES:
        request.json = BODIES[operation_id](world, brand)
    else:
        assert not content, f"{operation_id} takes a body: add one to BODIES"
    return request
