"""The long-running parts of OpenFab, by name: what ``openfab serve`` runs together and
``openfab worker NAME`` runs alone (for scale-out, one process per worker and machine).

| worker       | what it does                                                          |
|--------------|-----------------------------------------------------------------------|
| `events`     | business events out to the bus (MQTT / NATS), per tenant              |
| `replanning` | re-plans on triggers and on a cadence, then releases due work         |
| `purchasing` | the purchasing autopilot (MRP, release within limits, late flags)     |
| `dispatch`   | each machine's dispatch list out to its `$dispatch` topic             |
| `commands`   | setpoints and stops the autopilots ask, out to each machine's `$command` |
| `gateway`    | shop-floor messages in from MQTT / NATS into the MES and the stores   |
| `quality`    | scores scans (defects to rework or scrap), SPC alarms, closes the loop |
| `maintenance`| machine health and RUL from telemetry; orders booked into the plan    |

Relay workers (events, replanning, purchasing, dispatch, commands, quality) follow the event log
with a durable cursor each; two copies of one never handle the same events (the second is a
standby). Two gateway copies share the message load (MQTT shared subscription, NATS durable
consumer).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from openfab.autopilot.maintenance import MaintenanceAutopilot
from openfab.autopilot.purchasing import PurchasingAutopilot
from openfab.autopilot.quality import QualityAutopilot
from openfab.autopilot.replanning import ReplanningAutopilot
from openfab.connect.mqtt import MqttSettings
from openfab.connect.nats import NatsSettings
from openfab.gateway.equipment import EquipmentDirectory
from openfab.lifecycle.worker import PassportWorker
from openfab.maintenance.worker import MaintenanceWorker
from openfab.platform import Platform
from openfab.quality.worker import InspectionWorker
from openfab.runtime.commands import CommandPublisher, MqttCommandSink, NatsCommandSink
from openfab.runtime.dispatch import DispatchPublisher, MqttDispatchSink, NatsDispatchSink
from openfab.runtime.publisher import EventPublisher, InProcessSink, MqttSink, NatsSink
from openfab.settings import BusKind
from openfab.store.relay import Relay, RelayThread

log = logging.getLogger(__name__)
WORKERS = (
    "events",
    "replanning",
    "purchasing",
    "dispatch",
    "commands",
    "gateway",
    "quality",
    "maintenance",
    "passports",
)


ASSESS_EVERY = 600.0
"""Seconds between health assessments when no machine stopped (telemetry is no event)."""


class Worker(Protocol):
    name: str

    def start(self) -> None: ...
    def stop(self) -> None: ...


@dataclass
class RelayWorker:
    """A consumer of the event log in a thread of this process."""

    name: str
    relay: Relay
    on_stop: Callable[[], None] = lambda: None
    _thread: RelayThread | None = None

    def start(self) -> None:
        self._thread = RelayThread(self.relay).start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
        self.on_stop()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return self._thread.wait_idle(timeout) if self._thread else False


@dataclass
class CadenceWorker:
    """Re-plans every ``every`` seconds even when no event asked for it (the plan in force
    is repaired against the floor's progress), beside its relay worker."""

    name: str
    action: Callable[[], object]
    every: float
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._run, name=self.name, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.action()
            except Exception:  # the loop outlives any single failure
                log.exception("%s failed", self.name)

    def stop(self) -> None:
        self._stop.set()


@dataclass
class SourceWorker:
    """A broker subscription feeding the gateway."""

    name: str
    begin: Callable[[], object]
    end: Callable[[], object]

    def start(self) -> None:
        self.begin()

    def stop(self) -> None:
        self.end()


def build(platform: Platform, names: Sequence[str], *, bus: BusKind) -> list[Worker]:
    """The workers ``names`` (a subset of ``WORKERS``) for ``bus``, not started."""
    unknown = sorted(set(names) - set(WORKERS))
    if unknown:
        raise ValueError(f"unknown workers {unknown}; choose from {', '.join(WORKERS)}")
    makers: dict[str, Callable[[], list[Worker]]] = {
        "events": lambda: [_events(platform, bus)],
        "replanning": lambda: _replanning(platform),
        "purchasing": lambda: [_purchasing(platform)],
        "dispatch": lambda: [_dispatch(platform, bus)] if bus != "inprocess" else [],
        "commands": lambda: [_commands(platform, bus)] if bus != "inprocess" else [],
        "gateway": lambda: [_gateway_source(platform, bus)] if bus != "inprocess" else [],
        "quality": lambda: _quality(platform),
        "maintenance": lambda: _maintenance(platform),
        "passports": lambda: [
            RelayWorker("passports", Relay(platform.db, PassportWorker(platform.lifecycle)))
        ],
    }
    return [worker for name in names for worker in makers[name]()]


def _events(platform: Platform, bus: BusKind) -> Worker:
    settings = platform.settings
    if bus == "mqtt":
        sink: MqttSink | NatsSink | InProcessSink = MqttSink(
            MqttSettings.from_settings(settings), client_id=f"{settings.client_name}-events"
        )
    elif bus == "nats":
        sink = NatsSink(NatsSettings.from_settings(settings))
    else:
        sink = InProcessSink()
    publisher = EventPublisher(sink, name=f"events.{bus}")
    return RelayWorker("events", Relay(platform.db, publisher), on_stop=sink.close)


def _replanning(platform: Platform) -> list[Worker]:
    pilot = ReplanningAutopilot(platform.planning, platform.execution)
    cadence = platform.settings.autopilot_interval_seconds
    relay = Relay(platform.db, pilot, start="end", batch_size=10_000, cadence=cadence)
    every = platform.settings.replan_every_seconds
    return [
        RelayWorker("replanning", relay),
        CadenceWorker("replanning.cadence", pilot.replan, every),
    ]


def _purchasing(platform: Platform) -> Worker:
    pilot = PurchasingAutopilot(platform.materials, demand=platform.demand)
    cadence = platform.settings.autopilot_interval_seconds
    relay = Relay(platform.db, pilot, start="end", batch_size=10_000, cadence=cadence)
    return RelayWorker("purchasing", relay)


def _quality(platform: Platform) -> list[Worker]:
    worker = InspectionWorker(platform.quality, platform.spc)
    pilot = QualityAutopilot(platform.quality, platform.spc, platform.planning, platform.materials)
    return [
        RelayWorker("quality", Relay(platform.db, worker, start="end")),
        RelayWorker("quality.autopilot", Relay(platform.db, pilot, start="end")),
    ]


def _maintenance(platform: Platform) -> list[Worker]:
    worker = MaintenanceWorker(platform.maintenance)
    pilot = MaintenanceAutopilot(
        platform.maintenance, platform.planning, platform.catalog, platform.materials
    )
    return [
        RelayWorker("maintenance", Relay(platform.db, worker, start="end")),
        CadenceWorker("maintenance.cadence", platform.maintenance.assess, ASSESS_EVERY),
        RelayWorker("maintenance.autopilot", Relay(platform.db, pilot, start="end")),
    ]


def _dispatch(platform: Platform, bus: BusKind) -> Worker:
    settings = platform.settings
    sink: MqttDispatchSink | NatsDispatchSink = (
        MqttDispatchSink(
            MqttSettings.from_settings(settings), client_id=f"{settings.client_name}-dispatch"
        )
        if bus == "mqtt"
        else NatsDispatchSink(NatsSettings.from_settings(settings))
    )
    directory = EquipmentDirectory.load(settings.plant_layout)
    publisher = DispatchPublisher(platform.execution, directory, sink)
    return RelayWorker("dispatch", Relay(platform.db, publisher, start="end"), on_stop=sink.close)


def _commands(platform: Platform, bus: BusKind) -> Worker:
    settings = platform.settings
    sink: MqttCommandSink | NatsCommandSink = (
        MqttCommandSink(
            MqttSettings.from_settings(settings), client_id=f"{settings.client_name}-commands"
        )
        if bus == "mqtt"
        else NatsCommandSink(NatsSettings.from_settings(settings))
    )
    directory = EquipmentDirectory.load(settings.plant_layout)
    publisher = CommandPublisher(directory, sink)
    return RelayWorker("commands", Relay(platform.db, publisher, start="end"), on_stop=sink.close)


def _gateway_source(platform: Platform, bus: BusKind) -> Worker:
    from openfab.gateway.transports import MqttFloorSource, NatsFloorSource

    settings = platform.settings
    door = platform.gateway
    if bus == "mqtt":
        mqtt = MqttFloorSource(
            door,
            MqttSettings.from_settings(settings),
            client_id=f"{settings.client_name}-gateway-{settings.instance}"[:128],
            group=f"{settings.client_name}-gateway",
        )
        return SourceWorker("gateway", lambda: mqtt.start(), mqtt.stop)
    nats = NatsFloorSource(
        door, NatsSettings.from_settings(settings), durable=f"{settings.client_name}-gateway"
    )
    return SourceWorker("gateway", nats.start, nats.stop)


class Runtime:
    """Workers started together and stopped in reverse order (SIGTERM, SIGINT, shutdown)."""

    def __init__(self, platform: Platform, *, bus: BusKind, workers: Sequence[str] = WORKERS):
        self.platform = platform
        self.bus = bus
        self.workers = build(platform, workers, bus=bus)

    def start(self) -> Runtime:
        for worker in self.workers:
            worker.start()
            log.info("worker %s started (bus %s)", worker.name, self.bus)
        return self

    def stop(self) -> None:
        for worker in reversed(self.workers):
            try:
                worker.stop()
            except Exception:
                log.exception("worker %s did not stop cleanly", worker.name)
