"""The API load benchmark (benchmarks/api_load/run.py) works end to end in quick mode at tiny
rates: ``openfab serve --web-workers 2`` on a PostgreSQL database of its own, customers
signing up and ordering over HTTP, every acknowledged order counted in the database."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "api_load" / "run.py"


def test_quick_mode_runs_end_to_end(postgres_url: str) -> None:
    # postgres_url only skips (or fails on CI) without the server: the script makes its own
    # database and role and drops them
    command = [sys.executable, str(SCRIPT), "--quick", "--rates", "2,4", "--seconds", "2"]
    command += ["--customers", "1", "--warmup", "0", "--rls-rate", "2", "--rls-seconds", "2"]
    command += ["--rls-service-rounds", "1", "--no-save"]
    # a smoke run of a few seconds; minutes only on a heavily loaded machine
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    counted = re.search(
        r"counted: acknowledged (\d+), stored (\d+), lost (\d+), duplicated (\d+)", out
    )
    assert counted is not None, out[-4000:]
    acknowledged, stored, lost, duplicated = map(int, counted.groups())
    assert acknowledged >= 10, out[-4000:]  # 2/s and 4/s for 2 s each: 12 arrivals
    assert (stored, lost, duplicated) == (acknowledged, 0, 0), out[-4000:]
    assert "server log: no tracebacks" in out, out[-4000:]
