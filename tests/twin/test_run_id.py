"""Message ids carry a run id, so two runs into one database or bus never collide, while the
same run replayed keeps its ids (determinism)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openfab.errors import InvalidInput
from openfab.twin import ListSink, PlantLayout, Twin, TwinConfig, default_run_id
from tests.twin.conftest import chain_plan, quiet

ORIGIN = datetime(2026, 1, 5, tzinfo=UTC)


def message_ids(layout: PlantLayout, *, seed: int = 1, **config: object) -> list[str]:
    sink = ListSink()
    Twin(layout, seed=seed, config=quiet(**config), sink=sink).run(chain_plan(3), 400)
    return [e.message_id for e in sink.events]


def test_the_default_run_id_is_derived_from_seed_and_origin() -> None:
    assert default_run_id(7, ORIGIN) == "s7-20260105T000000Z"
    assert default_run_id(7, ORIGIN) != default_run_id(8, ORIGIN)
    later = ORIGIN.replace(hour=6)
    assert default_run_id(7, ORIGIN) != default_run_id(7, later)


def test_the_same_run_has_the_same_ids(small_layout: PlantLayout) -> None:
    first = message_ids(small_layout, origin=ORIGIN)
    assert first == message_ids(small_layout, origin=ORIGIN)
    assert all(i.startswith("s1-20260105T000000Z-") for i in first)


def test_runs_of_another_start_or_name_never_collide(small_layout: PlantLayout) -> None:
    base = set(message_ids(small_layout, origin=ORIGIN))
    moved = set(message_ids(small_layout, origin=ORIGIN.replace(day=6)))
    named = set(message_ids(small_layout, origin=ORIGIN, run_id="fifo-s1"))
    assert base and not base & moved and not base & named
    assert all(i.startswith("fifo-s1-") for i in named)


@pytest.mark.parametrize(
    "run_id",
    [
        "two words",  # whitespace would break topics and logs
        "x" * 65,  # the MES keeps 128 characters of a message id: the prefix must leave room
    ],
)
def test_a_bad_run_id_is_refused_by_name(run_id: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        TwinConfig(run_id=run_id)
    assert [p.loc for p in caught.value.problems] == ["run_id"]
