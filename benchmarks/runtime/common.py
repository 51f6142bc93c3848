"""What the runtime benchmarks share: a private Mosquitto, the load line, saving results."""

from __future__ import annotations

import getpass
import os
import platform as host
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

RESULTS = Path(__file__).parent / "results"


@contextmanager
def private_mosquitto(*, inflight: int = 20, queued: int = 10_000_000) -> Iterator[int]:
    """A Mosquitto of the benchmark's own (nobody else's subscribers see the flood),
    configured as a plant's broker would be: ``queued`` QoS 1 messages kept per lagging
    client (Mosquitto's default, 1,000, drops the rest) and ``inflight`` announced as its
    MQTT 5 Receive Maximum (default 20)."""
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        probe.close()
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\n"
            f"max_queued_messages {queued}\nmax_inflight_messages {inflight}\n"
        )
        binary = shutil.which("mosquitto", path="/usr/sbin:/usr/bin:/usr/local/sbin") or "mosquitto"
        process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.05)
            yield port
        finally:
            process.terminate()
            process.wait(10)


def load_text(load: tuple[float, float, float]) -> str:
    return f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def finish(console: Console, name: str, before: tuple[float, float, float], save: bool) -> None:
    """Print the machine and its load before and after; save what the console showed."""
    console.print(
        f"{host.node()}: {os.cpu_count()} cores; load average before {load_text(before)}, "
        f"after {load_text(os.getloadavg())}"
    )
    if save:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"{name}-{stamp}.txt"
        path.write_text(console.export_text())
        console.print(f"results → {path}")
