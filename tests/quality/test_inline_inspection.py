"""Inline inspection as a plant runs it: the camera's scan comes through the gateway, the
quality worker scores it with the installed model, the verdict lands on the unit's genealogy
and a defect goes to rework or scrap through the MES; on both databases."""

from __future__ import annotations

import base64
import functools
import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from openfab.errors import Forbidden, InvalidInput
from openfab.execution.states import UnitStatus
from openfab.identity.actor import Actor
from openfab.platform import Platform
from openfab.quality.model_bytes import model_bytes
from openfab.quality.orm import InspectionModelRow
from openfab.quality.pictures import decode_scan, encode_scan
from openfab.quality.service import CHARACTERISTIC
from openfab.quality.vision.inspector import Settings, VisionInspector
from openfab.quality.vision.modelfile import FORMAT, VERSION
from openfab.quality.vision.types import Scan
from openfab.quality.worker import InspectionWorker
from openfab.store.relay import Relay
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from openfab.twin.scan import place_defect, surface_scan
from tests.conftest import PLANT, TenantPeople
from tests.execution.conftest import released
from tests.gateway.conftest import path_of, run_all

pytestmark = pytest.mark.xdist_group("quality")
QUALITY = Actor.system("quality-engineer")
SIZE = 64


@functools.cache
def trained_model() -> bytes:
    """A model trained on golden twin scans (no defects), as ``openfab inspect train``."""
    rng = np.random.default_rng(5)
    golden = [Scan(*surface_scan(rng, [], SIZE)) for _ in range(24)]
    inspector = VisionInspector.fit(golden, Settings(scorers=("bank",), seed=1))
    return bytes(model_bytes(inspector))


@pytest.fixture(scope="module")
def model() -> bytes:
    return trained_model()


def scan_message(
    serial: str, *, defective: bool, seed: int, work_order: str | None = None
) -> dict[str, Any]:
    """A camera's ``unit.scanned`` message; ``work_order`` names the unit where brands share
    its serial."""
    rng = np.random.default_rng(seed)
    defects = [place_defect(rng, SIZE, "paint", "paint-1")] if defective else []
    image, height, scale, offset = encode_scan(*surface_scan(rng, defects, SIZE))
    assert height is not None
    message = {
        "message_id": uuid.uuid4().hex[:20],
        "type": "unit.scanned",
        "at": utcnow().isoformat(),
        "serial": serial,
        "image": base64.b64encode(image).decode(),
        "height": base64.b64encode(height).decode(),
        "height_um_per_count": scale,
        "height_offset_um": offset,
    }
    return message if work_order is None else {**message, "work_order": work_order}


def built(platform: Platform, tenant: TenantPeople, quantity: int = 2) -> tuple[str, list[str]]:
    """A work order run through every operation over the gateway: its number and its units'
    serials."""
    work_order = released(platform, tenant, quantity=quantity)
    for path, message in run_all(platform, work_order):
        result = platform.gateway.receive(path, json.dumps(message), transport="test")
        assert result.dead_lettered == 0, result.problems
    number = work_order.number
    return number, platform.execution.work_order_serials(PLANT, [number])[number]


def test_a_scan_round_trips_through_its_encoding() -> None:
    image, height = surface_scan(np.random.default_rng(3), [], SIZE)
    scan = decode_scan(*encode_scan(image, height))
    assert np.array_equal(scan.image, image)
    assert scan.height is not None
    assert np.abs(scan.height - height).max() < 1e-3  # 16-bit counts over the unit's range


def test_an_unreadable_scan_names_what_is_wrong() -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_scan(b"not a picture", b"", 0.01, 0.0)
    where = {p.loc for p in caught.value.problems}
    assert where == {"image", "height"}


def test_scans_flow_from_the_camera_to_verdicts_and_dispositions(
    platform: Platform, tenant: TenantPeople, model: bytes
) -> None:
    platform.quality.install_model(QUALITY, model, name="surface-test")
    number, (good, bad) = built(platform, tenant)
    path = path_of(sorted(platform.execution.machines())[0])
    sent = [  # serials are per brand: the camera names the work order too
        scan_message(good, defective=False, seed=11, work_order=number),
        scan_message(bad, defective=True, seed=12, work_order=number),
    ]
    result = platform.gateway.receive(path, json.dumps(sent), transport="test")
    assert (result.applied, result.dead_lettered) == (2, 0), result.problems
    again = platform.gateway.receive(path, json.dumps(sent), transport="test")
    assert (again.applied, again.duplicates) == (0, 2)  # a broker's redelivery changes nothing

    relay = Relay(platform.db, InspectionWorker(platform.quality))
    try:
        relay.drain()
    finally:
        relay.close()
    verdicts = {s.serial: s.verdict for s in platform.quality.scans(tenant.planner)}
    assert (verdicts[good], verdicts[bad]) == ("ok", "defect")
    unit = platform.execution.get_unit(tenant.planner, bad)
    assert unit.status == UnitStatus.SCRAPPED or unit.reworked
    tests = [
        t
        for step in platform.execution.genealogy(tenant.planner, bad).steps
        for t in step.inspections
    ]
    surface = [t for t in tests if t.characteristic == CHARACTERISTIC]
    assert len(surface) == 1 and not surface[0].passed
    rejected = platform.quality.scans(tenant.planner, verdict="defect")
    assert bad in {s.serial for s in rejected}
    scan_id = next(s.id for s in rejected if s.serial == bad)
    assert platform.quality.picture(tenant.planner, scan_id, "heat_map")[:4] == b"\x89PNG"


def test_a_scan_of_an_unknown_unit_is_dead_lettered(platform: Platform) -> None:
    path = path_of(sorted(platform.execution.machines())[0])
    message = scan_message("NO-SUCH-UNIT", defective=False, seed=1)
    result = platform.gateway.receive(path, json.dumps(message), transport="test")
    assert result.dead_lettered == 1
    assert "NO-SUCH-UNIT" in result.problems[0].reason


def test_customers_see_no_scans_and_brands_install_no_models(
    platform: Platform, tenant: TenantPeople, model: bytes
) -> None:
    with pytest.raises(Forbidden):
        platform.quality.scans(tenant.alice)
    with pytest.raises(Forbidden):
        platform.quality.install_model(tenant.admin, model, name="brand-model")


def test_a_file_that_is_no_model_is_refused(platform: Platform) -> None:
    with pytest.raises(InvalidInput):
        platform.quality.install_model(QUALITY, b"PK\x03\x04 not a model", name="junk")


def test_an_installed_model_this_version_cannot_read_leaves_its_scans_waiting(
    platform: Platform, model: bytes, tmp_path: Path
) -> None:
    """After an upgrade that changed the model format, the worker must not fail on every
    event: the product's scans wait, as for a missing model, until a retrained one is
    installed, and the reason is logged once."""
    product = f"stale-{uuid.uuid4().hex[:8]}"
    installed = platform.quality.install_model(QUALITY, model, name="old", product=product)
    old = tmp_path / "old.model"
    torch.save({"format": FORMAT, "version": VERSION - 1}, old)
    with platform.db.unit(Scope.plant(), actor="test") as uow:
        row = uow.session.get(InspectionModelRow, installed.id)
        assert row is not None
        row.payload = old.read_bytes()
    platform.quality._loaded.pop(installed.id, None)  # as a restarted worker finds it
    assert platform.quality._model_for(product) is None
    assert platform.quality._model_for(product) is None  # and again, quietly
