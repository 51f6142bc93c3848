"""The engine reads the standard instance formats; a malformed file names where it breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from openfab.errors import InvalidInput
from openfab.planning import read_instance, solve

STANDARD = """# a 2 x 2 instance
2 2
0 3 1 2
1 4 0 1
"""
TAILLARD = """Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound :
 2 2 123 456 7 7
Times
 3 2
 4 1
Machines
 1 2
 2 1
"""
FJS = """2 2 1.5
2 1 1 3 2 1 2 2 4
1 1 2 5
"""
FJSP_DIR = Path(__file__).resolve().parents[3] / "shared/data/fjsp"


@pytest.mark.parametrize(("text", "fmt"), [(STANDARD, "standard"), (TAILLARD, "taillard")])
def test_job_shop_formats_agree(tmp_path: Path, text: str, fmt: str) -> None:
    path = tmp_path / "inst.txt"
    path.write_text(text)
    problem = read_instance(path, fmt)  # type: ignore[arg-type]
    first = problem.orders[0].operations
    assert [(op.modes[0].machine, op.modes[0].duration) for op in first] == [("M1", 3), ("M2", 2)]
    assert solve(problem, time_limit=2).makespan == 6


def test_fjs_reads_alternative_machines(tmp_path: Path) -> None:
    path = tmp_path / "inst.fjs"
    path.write_text(FJS)
    problem = read_instance(path, "fjs")
    assert [m.machine for m in problem.orders[0].operations[1].modes] == ["M1", "M2"]
    assert problem.num_operations == 3


@pytest.mark.skipif(not (FJSP_DIR / "mk01.fjs").exists(), reason="shared FJSP data not present")
def test_brandimarte_mk01() -> None:
    problem = read_instance(FJSP_DIR / "mk01.fjs", "fjs")
    assert (len(problem.orders), len(problem.machines), problem.num_operations) == (10, 6, 55)


BAD = [
    # a job line with a missing number
    ("2 2\n0 3 1\n1 4 0 1\n", "standard"),
    # a machine number beyond the header's machine count
    ("2 2\n0 3 5 2\n1 4 0 1\n", "standard"),
    # too few processing times for 2 x 2
    ("2 2\n3 2\n1 2\n2 1\n", "taillard"),
    # an operation that promises two machines but lists one
    ("1 2\n1 2 1 3\n", "fjs"),
    # no header at all
    ("", "fjs"),
]


@pytest.mark.parametrize(("text", "fmt"), BAD)
def test_malformed_files_are_invalid_input(tmp_path: Path, text: str, fmt: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=r"bad\.txt"):
        read_instance(path, fmt)  # type: ignore[arg-type]


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        read_instance(tmp_path, "xml")  # type: ignore[arg-type]
