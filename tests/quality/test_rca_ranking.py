"""Root causes on generated genealogies: the injected cause ranks first, noise finds nothing,
confounded suspects are reported as inseparable, and the sentences carry the numbers."""

import re

import numpy as np
import pytest

from openfab.quality.rca import InspectedUnit, RootCauseReport, rank_causes, rank_causes_by_type
from openfab.quality.rca.synthetic import genealogies


def _top(report: RootCauseReport) -> str:
    assert report.causes, report.summary
    return report.causes[0].suspect.factor


@pytest.mark.parametrize(
    ("cause", "factor", "level"),
    [
        ("machine", "machine", "M2"),
        ("lot", "material_lot", "L07"),
        ("shift", "shift", "night"),
        ("supplier", "supplier", "S3"),
    ],
)
def test_an_injected_categorical_cause_ranks_first(cause: str, factor: str, level: str) -> None:
    units, truth = genealogies(3000, cause=cause, seed=7)  # type: ignore[arg-type]
    report = rank_causes(units)
    assert (truth.factor, truth.level) == (factor, level)
    top = report.causes[0]
    assert (top.suspect.factor, top.suspect.level) == (factor, level)
    assert top.confidence in ("high", "medium")
    ev = top.evidence
    assert ev.effect_size > 2 and ev.ci_low > 1
    assert ev.q_value < 1e-2


def test_an_injected_parameter_range_ranks_first_with_its_range() -> None:
    units, truth = genealogies(3000, cause="parameter", seed=7)
    top = rank_causes(units).causes[0]
    assert top.suspect.factor == "temperature"
    assert top.suspect.high is not None and top.suspect.low is None
    assert truth.threshold is not None
    assert abs(top.suspect.high - truth.threshold) < 2.0  # the cut nearest 204 (sigma 3)
    assert f"temperature > {top.suspect.high:.4g}" in top.sentence


def test_tool_wear_ranks_first_with_the_hours_in_the_sentence() -> None:
    units, _ = genealogies(3000, cause="tool_wear", seed=7)
    top = rank_causes(units).causes[0]
    assert top.suspect.factor == "hours_since_maintenance"
    assert top.suspect.high is not None and 200 <= top.suspect.high <= 260
    assert top.evidence.rank_biserial is not None and top.evidence.rank_biserial > 0
    assert top.evidence.cuts_tried > 1
    assert "ranges searched" in top.sentence
    assert "failed units ran higher" in top.sentence


def test_random_data_reports_no_cause_most_of_the_time() -> None:
    """No cause injected: Benjamini-Hochberg at 5 % keeps false reports rare across seeds."""
    reports = [rank_causes(genealogies(600, cause="none", seed=s)[0]) for s in range(30)]
    assert sum(r.found for r in reports) <= 4
    quiet = next(r for r in reports if not r.found)
    assert quiet.summary.startswith("No significant cause")


def test_confounded_machine_and_lot_are_inseparable_not_two_causes() -> None:
    units, _ = genealogies(2000, cause="machine", seed=3, confound=True)
    report = rank_causes(units)
    top = report.causes[0]
    names = {top.suspect.factor, *(s.factor for s in top.inseparable)}
    assert names == {"machine", "material_lot"}
    assert "cannot tell them apart" in top.sentence
    assert all(c.suspect.factor not in ("machine", "material_lot") for c in report.causes[1:])
    # the supplier of that lot looks bad alone, but not without the machine
    assert any(d.suspect.factor == "supplier" for d in report.dismissed)


def test_lots_of_a_bad_supplier_are_dismissed_as_explained_by_it() -> None:
    units, _ = genealogies(3000, cause="supplier", seed=5)
    report = rank_causes(units)
    assert _top(report) == "supplier"
    assert len(report.causes) == 1
    for d in report.dismissed:
        assert d.explained_by.level == "S3"
        assert "looks worse only through supplier S3" in d.sentence


def test_the_sentence_reads_like_the_hand_count() -> None:
    """14 of 120 failed on paint-line-2 vs 6 of 880 elsewhere."""
    units = []
    for i in range(1000):
        line = "paint-line-2" if i < 120 else f"paint-line-{1 + (i % 2) * 2}"
        bad = i < 14 or 120 <= i < 126
        units.append(InspectedUnit(f"U{i}", bad, {"line": line}))
    (cause,) = rank_causes(units).causes
    ev = cause.evidence
    assert (ev.exposed_defects, ev.exposed_units, ev.other_defects, ev.other_units) == (
        14,
        120,
        6,
        880,
    )
    assert ev.effect_size == pytest.approx((14 / 120) / (6 / 880))  # 17.1
    se = np.sqrt(1 / 14 - 1 / 120 + 1 / 6 - 1 / 880)  # Katz
    assert ev.ci_low == pytest.approx(ev.effect_size * np.exp(-1.959964 * se))
    assert cause.sentence.startswith(
        "Units with line paint-line-2 failed 14 of 120 (11.7 %) vs 6 of 880 (0.7 %) "
        "elsewhere; risk ratio 17 (95 % CI 6.7-44), Fisher p < 1e-"
    )
    assert re.search(r"q < 1e-\d+\.$", cause.sentence)


def test_a_measurement_shift_is_found_by_machine() -> None:
    rng = np.random.default_rng(4)
    units = []
    for i in range(600):
        m = f"M{i % 4}"
        y = rng.normal(10.0 + (0.5 if m == "M3" else 0.0), 0.3)
        units.append(
            InspectedUnit(
                f"U{i}", False, {"machine": m, "crew": f"C{rng.integers(3)}"}, measurement=float(y)
            )
        )
    report = rank_causes(units, outcome="measurement")
    top = report.causes[0]
    assert top.suspect.level == "M3"
    assert top.evidence.effect == "mean shift"
    assert top.evidence.ci_low < 0.5 < top.evidence.ci_high
    assert "measured" in top.sentence and "Welch t" in top.sentence
    assert report.defects is None


def test_each_defect_type_gets_its_own_causes() -> None:
    rng = np.random.default_rng(9)
    units = []
    for i in range(3000):
        m, s = f"M{i % 5}", ("early", "late", "night")[i % 3]
        kind = None
        if rng.random() < (0.12 if m == "M1" else 0.01):
            kind = "scratch"
        elif rng.random() < (0.12 if s == "night" else 0.01):
            kind = "void"
        units.append(
            InspectedUnit(f"U{i}", kind is not None, {"machine": m, "shift": s}, defect_type=kind)
        )
    reports = rank_causes_by_type(units)
    assert _top(reports["scratch"]) == "machine"
    assert _top(reports["void"]) == "shift"
