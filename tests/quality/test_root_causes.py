"""Root causes from the store: units built through the gateway, one paint machine of two
makes the defects, and the report names it with its evidence; on both databases."""

from __future__ import annotations

import json

import pytest

from openfab.errors import Forbidden
from openfab.platform import Platform
from tests.conftest import PLANT, TenantPeople
from tests.execution.conftest import released
from tests.gateway.conftest import path_of, run_all

pytestmark = pytest.mark.xdist_group("quality")


def test_the_machine_behind_the_defects_ranks_first(
    platform: Platform, tenant: TenantPeople
) -> None:
    machines = platform.execution.machines()
    for n in range(24):
        work_order = released(platform, tenant)
        steps = run_all(platform, work_order)
        step = next(o for o in work_order.operations if o.code == "paint")
        index = work_order.operations.index(step)
        siblings = sorted(m for m, c in machines.items() if c in step.work_centers)
        machine = siblings[n % 2]
        bad = machine == siblings[1]
        for k in (2 * index, 2 * index + 1):  # the paint step's start and finish
            steps[k] = (path_of(machine), steps[k][1])
        path, last = steps[-1]
        for p, message in steps[:-1]:
            platform.gateway.receive(p, json.dumps(message), transport="test")
        units = platform.execution.work_order_serials(PLANT, [work_order.number])[work_order.number]
        if bad and n % 8 != 1:  # most units through the bad machine fail the last check
            last["good"], last["scrap"] = 0, 1
            last["units"] = [{"serial": units[0], "outcome": "scrap", "reason": "orange peel"}]
        result = platform.gateway.receive(path, json.dumps(last), transport="test")
        assert result.dead_lettered == 0, result.problems
    report = platform.quality.causes(PLANT, days=1)
    assert report.causes, report.summary
    top = report.causes[0]
    assert top.factor == "paint machine" and top.level == siblings[1]
    assert str(top.exposed_defects) in top.sentence and top.q_value < 0.05
    assert top.effect == "risk ratio" and top.ci_low > 1


def test_causes_are_the_plants(platform: Platform, tenant: TenantPeople) -> None:
    with pytest.raises(Forbidden):
        platform.quality.causes(tenant.planner)
