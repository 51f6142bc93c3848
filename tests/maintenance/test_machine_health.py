"""The engine's decision pieces: the failure level as a distribution, the conditional chance
of failure, the cost-based threshold to act, the service ceiling and its first round, and a
healthy level kept across repairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.maintenance.machine_health import (
    HealthOptions,
    MaintenanceCall,
    act_threshold,
    assess,
    conditional_failure,
    first_service_hours,
    fit_failure_level,
    maintenance_call,
)


def _wearing(hours: int, start_wear: float, rate: float, seed: int) -> np.ndarray:
    """Hourly vibration, temperature and current of a machine wearing from ``start_wear``;
    the current also swings with the load, the vibration does not."""
    rng = np.random.default_rng(seed)
    wear = start_wear + rate * np.arange(hours)
    load = rng.choice([0.8, 1.0, 1.2], hours)
    vib = 2.0 * (1 + 2.5 * wear**2) * (1 + 0.01 * rng.standard_normal(hours))
    temp = 24 + 18 * load * (1 + 0.8 * wear)
    amps = 30 * load * (1 + 0.35 * wear)
    return np.column_stack([vib, temp, amps])


def test_the_failure_level_is_recovered_from_censored_and_truncated_lives() -> None:
    rng = np.random.default_rng(3)
    median, shape = 0.6, 2.0
    eta = median / math.log(2) ** (1 / shape)
    starts = rng.uniform(0.0, 0.2, 600)
    # a life watched from `start` fails at the conditional Weibull level beyond it
    level = eta * ((starts / eta) ** shape + rng.exponential(size=600)) ** (1 / shape)
    stop = rng.uniform(0.3, 1.5, 600)  # maintained (censored) here if it had not failed
    failed = level <= stop
    fit = fit_failure_level(starts, np.minimum(level, stop), failed)
    assert fit.median == pytest.approx(median, rel=0.1)
    assert fit.shape == pytest.approx(shape, rel=0.15)
    assert fit.failures == failed.sum() and fit.lives == 600


def test_too_few_failures_to_learn_a_level_is_refused() -> None:
    with pytest.raises(InvalidInput):
        fit_failure_level(np.zeros(3), np.array([0.5, 0.6, 0.7]), np.array([True, True, False]))


def test_the_chance_of_failure_is_conditional_on_running_now() -> None:
    # the same rise is riskier the higher the machine already is (a wear-out hazard)
    low = conditional_failure(0.1, 0.05, 0.5, 3.0)
    high = conditional_failure(0.5, 0.05, 0.5, 3.0)
    assert 0 < low < high < 0.99
    assert conditional_failure(0.4, 0.0, 0.5, 3.0) == 0.0  # no rise, no wear failure


def test_the_threshold_to_act_weighs_a_stop_against_a_breakdown() -> None:
    # 12 h to the next chance at 120 h of age: waiting costs 10 % of a stop's worth of use
    due = act_threshold(120, 12, stop_cost=90, failure_cost=480)
    assert due == pytest.approx(12 / 120 * 90 / 390)
    assert act_threshold(240, 12, stop_cost=90, failure_cost=480) < due  # older: act sooner
    assert act_threshold(240, 12, stop_cost=90, failure_cost=2000) < due  # dearer breakdowns
    assert act_threshold(240, 12, stop_cost=90, failure_cost=60) == 1.0  # never worth it


def test_a_kept_healthy_level_sees_the_wear_a_repair_left() -> None:
    """After a repair the machine is still worn: measured from its own first windows it
    looks new, measured from the level kept since its last maintenance it does not."""
    options = HealthOptions(window_minutes=60.0, fail_drift=0.6, fail_shape=2.0)
    new = _wearing(48, 0.0, 0.004, 1)
    fresh = assess(np.arange(48) * 60.0, new, options=options)
    repaired = _wearing(48, 0.5, 0.004, 2)
    alone = assess(np.arange(48) * 60.0, repaired, options=options)
    kept = assess(
        np.arange(48) * 60.0, repaired, options=options, reference=np.array(fresh.reference)
    )
    assert kept.level > alone.level + 0.3
    assert kept.failure_probability(13) > alone.failure_probability(13)


def test_the_drift_follows_the_quiet_signal_not_the_load() -> None:
    # 48 h of a machine that does not wear: the load swings the current by 20 %
    readings = _wearing(48, 0.0, 0.0, 4)
    a = assess(np.arange(48) * 60.0, readings, options=HealthOptions(window_minutes=60.0))
    assert a.drift < 0.03


@pytest.mark.parametrize(
    "bad",
    [
        {"fail_drift": 0.0},  # no failure level
        {"fail_shape": 0.0},  # a Weibull needs a positive shape
    ],
)
def test_bad_failure_level_options_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        HealthOptions(**bad)


def test_a_machine_is_due_when_its_chance_reaches_the_break_even() -> None:
    """Same wear, steeper trend: only the machine heading for failure within the next chance
    is due; the call says why in one sentence."""
    options = HealthOptions(fail_drift=0.8, fail_shape=3.0)
    minutes = np.arange(48) * 60.0
    calls = []
    for rate in (0.0, 0.02):
        values = _wearing(48, 0.5, rate, seed=3)
        a = assess(minutes, values, options=options)
        calls.append(maintenance_call(a, 200, next_chance_hours=8, stop_cost=90,
                                      failure_cost=480))  # fmt: skip
    steady, wearing = calls
    assert steady.threshold == wearing.threshold == act_threshold(200, 8, stop_cost=90,
                                                                   failure_cost=480)  # fmt: skip
    assert not steady.due and wearing.due and wearing.chance > 5 * steady.chance
    assert "break-even" in wearing.sentence() and "200 running hours" in wearing.sentence()


def test_the_service_ceiling_calls_a_machine_whatever_its_prediction() -> None:
    """A healthy machine is not due by its prediction; at the ceiling it is, and says so."""
    options = HealthOptions(fail_drift=0.8, fail_shape=3.0)
    a = assess(np.arange(48) * 60.0, _wearing(48, 0.1, 0.0, seed=3), options=options)

    def call(age: float, ceiling: float | None, first: bool = False) -> MaintenanceCall:
        return maintenance_call(a, age, next_chance_hours=8, stop_cost=90, failure_cost=480,
                                ceiling_hours=ceiling, first_service=first)  # fmt: skip

    assert not call(200, None).due and not call(89, 90).due
    at_ceiling = call(90, 90)
    assert at_ceiling.due and at_ceiling.by_ceiling and not at_ceiling.by_risk
    assert "service ceiling of 90 h" in at_ceiling.sentence()
    assert "never seen serviced" in call(50, 40, first=True).sentence()


def test_machines_never_seen_serviced_take_turns_spread_over_one_ceiling() -> None:
    """The first round of services: every machine's turn lies within one ceiling, the same
    on every call, and a plant's machines spread over it instead of falling due together."""
    machines = [f"press-{i}" for i in range(400)]
    turns = np.array([first_service_hours(m, 90.0) for m in machines])
    assert ((turns > 0) & (turns <= 90.0)).all()
    assert [first_service_hours(m, 90.0) for m in machines] == list(turns)
    counts, _ = np.histogram(turns, bins=9, range=(0, 90))
    assert counts.min() > 400 / 9 / 2  # about 44 a bin: none left empty or crowded
    assert first_service_hours("press-1", 45.0) == pytest.approx(turns[1] / 2)


@given(st.text(min_size=1, max_size=40), st.floats(1.0, 10_000.0))
def test_a_first_service_turn_is_never_beyond_the_ceiling(machine: str, ceiling: float) -> None:
    assert 0.0 < first_service_hours(machine, ceiling) <= ceiling
