"""The platform's clock: real by default, simulated for the demo, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openfab import clock
from openfab.errors import InvalidInput
from openfab.store.types import utcnow

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_services_read_simulated_time_while_it_runs() -> None:
    simulated = clock.SimulatedClock(START)
    with clock.running_on(simulated):
        assert utcnow() == START
        simulated.advance(timedelta(hours=5))
        assert utcnow() == START + timedelta(hours=5)
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_simulated_time_never_goes_backwards() -> None:
    simulated = clock.SimulatedClock(START)
    simulated.advance_to(START - timedelta(days=1))
    assert simulated.now() == START


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(InvalidInput):
        clock.SimulatedClock(datetime(2026, 3, 2))
