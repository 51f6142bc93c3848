"""The shop-floor gateway: contract messages from a plant → the MES, the stores and telemetry.

Every transport (MQTT, NATS JetStream, OPC UA, REST) hands a sender and a payload to
``Gateway.receive``; it returns only after every effect — or the dead letter saying why not —
is committed, so the transport acknowledges then and a crash re-delivers instead of losing.
Message ids are scoped by the sending machine and recorded in the inbox with their effect, so
a redelivery changes nothing. A message that cannot be applied (malformed, an unknown machine
or work order, a finish before its start …) goes to the dead-letter store with its reason and
a ``floor.dead_lettered`` event; ``replay`` applies it again after a fix.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import select

from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath, TopicError
from openfab.errors import NotFound, OpenFabError
from openfab.execution.schemas import (
    LotConsumption,
    MachineStateReport,
    OperationFinish,
    OperationStart,
    UnitReport,
)
from openfab.execution.service import ExecutionService, FloorSession
from openfab.execution.states import MachineState
from openfab.gateway.contract import (
    CommandAcknowledged,
    FieldReport,
    FloorMessage,
    GoodsReceived,
    LotUse,
    MachineStateChanged,
    MaterialConsumed,
    Measurement,
    OperationFinished,
    OperationStarted,
    Refusal,
    UnitScanned,
    dump,
    parse,
)
from openfab.gateway.equipment import EquipmentDirectory
from openfab.gateway.orm import FloorDeadLetterRow
from openfab.gateway.schemas import DeadLetterPublic, DeadLettersPublic, GatewayResult
from openfab.identity.actor import PLANT_STAFF, Actor
from openfab.lifecycle.schemas import FieldReportIn
from openfab.lifecycle.service import LifecycleService
from openfab.planning.mrp.schemas import GoodsReceipt, MoveCreate, MoveKind
from openfab.planning.mrp.service import MaterialService
from openfab.planning.schemas import DowntimeCreate
from openfab.planning.service import PlanningService
from openfab.quality.schemas import ScanReceived
from openfab.quality.service import QualityService
from openfab.store import Database
from openfab.store.base import new_id
from openfab.store.inbox import InboxRow, first_delivery
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
ACTOR = Actor.system("gateway")
MAX_AHEAD = timedelta(minutes=15)
"""A message stamped further ahead of the platform's clock comes from a machine whose clock is
wrong: it is refused (it would put OEE intervals and genealogy in the future), not guessed."""
REPAIR = timedelta(minutes=90)
"""Assumed repair time when a machine reports Down without saying when it is expected back."""


Payload = bytes | str | object
"""Raw JSON (bytes or text) or already-decoded data (a dict or a list of them)."""
Sent = tuple[EquipmentPath, FloorMessage]
"""A message with the machine that sent it."""


@dataclass
class _Outcome:
    applied: int = 0
    duplicates: int = 0
    refused: list[tuple[str, FloorMessage | None, Refusal]] = field(default_factory=list)

    def refuse(self, sender: object, message: FloorMessage | None, code: str, why: str) -> None:
        mid = message.message_id if message is not None else None
        raw = json.dumps(dump(message)) if message is not None else ""
        refusal = Refusal(code=code, reason=why, message_id=mid, raw=raw)
        self.refused.append((str(sender), message, refusal))


class Gateway:
    """Applies shop-floor messages; one instance per process, safe to call from any thread."""

    def __init__(
        self,
        db: Database,
        execution: ExecutionService,
        materials: MaterialService,
        planning: PlanningService,
        directory: EquipmentDirectory | None = None,
        quality: QualityService | None = None,
        lifecycle: LifecycleService | None = None,
    ) -> None:
        self.db = db
        self.lifecycle = lifecycle
        self.execution = execution
        self.materials = materials
        self.planning = planning
        self.quality = quality
        self.directory = directory or EquipmentDirectory.load()
        self.telemetry = TelemetryStore(db.engine)

    # -- the way in ----------------------------------------------------------------------------
    def receive(
        self, sender: str | EquipmentPath, payload: Payload, *, transport: str
    ) -> GatewayResult:
        """Parse and apply one payload from ``sender`` (its equipment path); committed when
        this returns (effects and dead letters alike), so the caller may acknowledge."""
        return self.receive_many([(sender, payload)], transport=transport)

    def receive_many(
        self,
        payloads: Sequence[tuple[str | EquipmentPath, bytes | str | object]],
        *,
        transport: str,
    ) -> GatewayResult:
        """Many payloads (of any machines) applied together: a few transactions per batch
        instead of one per message — how the brokers' doors keep up with a busy plant."""
        out = _Outcome()
        sent: list[Sent] = []
        known = self.execution.machines()
        for sender, payload in payloads:
            messages, refusals = parse(payload)
            out.refused += [(str(sender), None, r) for r in refusals]
            path, problem = _sender(sender, known, self.directory)
            if path is None:
                for message in messages:
                    out.refuse(sender, message, "unknown_machine", problem)
                continue
            for message in messages:
                skew = _ahead(message)
                if skew:
                    out.refuse(sender, message, "clock_skew", skew)
                else:
                    sent.append((path, message))
        if sent:
            self._apply(sent, out)
        self._dead_letter(transport, out.refused)
        return GatewayResult(
            applied=out.applied,
            duplicates=out.duplicates,
            dead_lettered=len(out.refused),
            problems=[r for _, _, r in out.refused],
        )

    def _apply(self, sent: Sequence[Sent], out: _Outcome) -> None:
        """Receipts first (an operation may draw the lot that just came), then states,
        operations, line-side consumption, measurements and scans (a unit's scan may follow
        the operation that made its serial, in one batch)."""
        for path, message in sent:
            if isinstance(message, GoodsReceived):
                self._material(path, message, out)
        states = [(p, m) for p, m in sent if isinstance(m, MachineStateChanged)]
        operations = [
            (p, m) for p, m in sent if isinstance(m, OperationStarted | OperationFinished)
        ]
        measurements = [(p, m) for p, m in sent if isinstance(m, Measurement)]
        consumptions = [(p, m) for p, m in sent if isinstance(m, MaterialConsumed)]
        numbers = {m.work_order for _, m in [*operations, *consumptions] if m.work_order}
        owners = self._owners(numbers) if numbers else {}  # one lookup for the batch
        self._machine_states(states, out)
        self._operations(operations, owners, out)
        self._measurements(measurements, out)
        self._consumptions(consumptions, owners, out)
        self._scans([(p, m) for p, m in sent if isinstance(m, UnitScanned)], out)
        self._field_reports([(p, m) for p, m in sent if isinstance(m, FieldReport)], out)
        self._acknowledgements([(p, m) for p, m in sent if isinstance(m, CommandAcknowledged)], out)

    # -- machine states ------------------------------------------------------------------------
    def _machine_states(
        self, states: Sequence[tuple[EquipmentPath, MachineStateChanged]], out: _Outcome
    ) -> None:
        if not states:
            return
        reports = [
            (
                path.machine,
                MachineStateReport(
                    message_id=key(path, m), state=m.state, at=m.at, reason=m.reason
                ),
            )
            for path, m in states
        ]
        new = self.execution.report_machine_states(ACTOR, reports)
        out.applied += new
        out.duplicates += len(states) - new
        if new:
            for path, message in states:
                if message.state in (MachineState.DOWN, MachineState.MAINTENANCE):
                    self._downtime(path, message)

    def _downtime(self, path: EquipmentPath, message: MachineStateChanged) -> None:
        """Book the machine's unavailability for the planner, once per message (its key
        says whether this delivery was the first)."""
        end = message.expected_end or message.at + REPAIR
        if end <= message.at:
            end = message.at + REPAIR
        self.planning.report_downtime_once(
            ACTOR,
            DowntimeCreate(
                machine=path.machine,
                start_at=message.at,
                end_at=end,
                reason=message.reason or message.state.lower(),
            ),
            message_key=key(path, message) + "#downtime",
        )

    # -- operations ----------------------------------------------------------------------------
    def _operations(
        self,
        sent: Sequence[tuple[EquipmentPath, OperationStarted | OperationFinished]],
        owners: dict[str, tuple[str, str]],
        out: _Outcome,
    ) -> None:
        if not sent:
            return
        by_tenant: dict[str, list[tuple[EquipmentPath, OperationStarted | OperationFinished]]]
        by_tenant = defaultdict(list)
        for path, message in sent:
            owner = owners.get(message.work_order)
            if owner is None:
                why = f"work order {message.work_order!r} not found"
                out.refuse(path, message, "unknown_work_order", why)
            else:
                by_tenant[owner[0]].append((path, message))
        for tenant, batch in sorted(by_tenant.items()):
            self._operations_of(tenant, batch, out)

    def _operations_of(
        self,
        tenant: str,
        batch: Sequence[tuple[EquipmentPath, OperationStarted | OperationFinished]],
        out: _Outcome,
    ) -> None:
        with self.execution.floor(ACTOR, tenant_id=tenant) as floor:
            floor.prefetch(
                {m.work_order for _, m in batch},
                [key(p, m) for p, m in batch],
                {(u.material, u.lot) for _, m in batch for u in m.materials},
            )
            for path, message in batch:
                refused_before = len(floor.refused)
                applied = self._operation(floor, path, message)
                if len(floor.refused) > refused_before:
                    _, exc = floor.refused[-1]
                    out.refuse(path, message, _code(exc), exc.detail)
                    continue
                out.applied += applied
                out.duplicates += not applied

    @staticmethod
    def _operation(
        floor: FloorSession, path: EquipmentPath, message: OperationStarted | OperationFinished
    ) -> bool:
        """Apply one operation message; False for a redelivery (or a refusal, see floor)."""
        before = floor.applied_messages
        if isinstance(message, OperationStarted):
            floor.start_operation(message.work_order, message.operation, _start(path, message))
        else:
            floor.finish_operation(message.work_order, message.operation, _finish(path, message))
        return floor.applied_messages > before

    def _owners(self, numbers: Iterable[str]) -> dict[str, tuple[str, str]]:
        return self.execution.work_order_owners(numbers)

    # -- material and measurements -------------------------------------------------------------
    def _material(
        self, path: EquipmentPath, message: MaterialConsumed | GoodsReceived, out: _Outcome
    ) -> None:
        try:
            if isinstance(message, GoodsReceived) and message.purchase_order:
                receipt = GoodsReceipt(quantity=message.lot.quantity, lot=message.lot.lot)
                before = self._received_key_known(path, message)
                self.materials.receive(
                    ACTOR, message.purchase_order, receipt, message_key=key(path, message)
                )
                out.applied += 0 if before else 1
                out.duplicates += 1 if before else 0
                return
            order_id = None
            if isinstance(message, MaterialConsumed) and message.work_order:
                owner = self._owners([message.work_order]).get(message.work_order)
                if owner is None:
                    why = f"work order {message.work_order!r} not found"
                    out.refuse(path, message, "unknown_work_order", why)
                    return
                order_id = owner[1]
            kind = MoveKind.RECEIVE if isinstance(message, GoodsReceived) else MoveKind.ISSUE
            move = _move(kind, message.lot, order_id, f"{path.machine}: {message.type}")
            if isinstance(message, GoodsReceived) and message.supplier:
                move = move.model_copy(update={"supplier": message.supplier})
            moves = [move]
            self._book(path, message, moves, out=out)
        except OpenFabError as exc:
            out.refuse(path, message, _code(exc), exc.detail)

    def _consumptions(
        self,
        sent: Sequence[tuple[EquipmentPath, MaterialConsumed]],
        owners: dict[str, tuple[str, str]],
        out: _Outcome,
    ) -> None:
        """Line-side issues of a batch in one transaction; when any is refused, each again
        on its own so only the bad ones are dead-lettered."""
        if not sent:
            return
        late = {m.work_order for _, m in sent if m.work_order and m.work_order not in owners}
        if late:  # made by this batch's operations (a make-up for scrap), or unknown
            owners = owners | self._owners(late)
        keyed: list[tuple[str, MoveCreate]] = []
        for path, message in sent:
            owner = owners.get(message.work_order) if message.work_order else None
            if message.work_order and owner is None:
                why = f"work order {message.work_order!r} not found"
                out.refuse(path, message, "unknown_work_order", why)
                continue
            why = f"{path.machine}: {message.type}"
            move = _move(MoveKind.ISSUE, message.lot, owner[1] if owner else None, why)
            keyed.append((key(path, message), move))
        try:
            booked = self.materials.book_messages(ACTOR, keyed)
        except OpenFabError:
            for path, message in sent:
                if not message.work_order or message.work_order in owners:
                    self._material(path, message, out)
            return
        out.applied += booked
        out.duplicates += len(keyed) - booked

    def _received_key_known(self, path: EquipmentPath, message: FloorMessage) -> bool:
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            return uow.session.get(InboxRow, key(path, message)) is not None

    def _book(
        self,
        path: EquipmentPath,
        message: FloorMessage,
        moves: list[MoveCreate],
        *,
        out: _Outcome,
    ) -> None:
        try:
            booked = self.materials.book(ACTOR, moves, message_key=key(path, message))
        except OpenFabError as exc:
            out.refuse(path, message, _code(exc), f"stock not booked: {exc.detail}")
            return
        out.applied += 1 if booked else 0
        out.duplicates += 0 if booked else 1

    def _measurements(
        self, sent: Sequence[tuple[EquipmentPath, Measurement]], out: _Outcome
    ) -> None:
        if not sent:
            return
        readings = [
            Reading(
                message_id=key(path, m),
                path=path,
                signal=m.signal,
                value=m.value,
                timestamp=m.at,
            )
            for path, m in sent
        ]
        new = self.telemetry.write(readings)
        out.applied += new
        out.duplicates += len(readings) - new

    def _scans(self, sent: Sequence[tuple[EquipmentPath, UnitScanned]], out: _Outcome) -> None:
        if not sent:
            return
        if self.quality is None:
            for path, message in sent:
                out.refuse(path, message, "unsupported", "this gateway inspects no scans")
            return
        received = {key(path, m): (path, m) for path, m in sent}
        scans = [
            ScanReceived(
                message_key=k,
                serial=m.serial,
                work_order=m.work_order,
                machine=path.machine,
                at=m.at,
                image=m.image,
                height=m.height,
                height_um_per_count=m.height_um_per_count,
                height_offset_um=m.height_offset_um,
            )
            for k, (path, m) in received.items()
        ]
        new, refused = self.quality.record_scans(ACTOR, scans)
        for scan, exc in refused:
            path, message = received[scan.message_key]
            out.refuse(path, message, _code(exc), exc.detail)
        out.applied += new
        out.duplicates += len(scans) - new - len(refused)

    def _field_reports(
        self, sent: Sequence[tuple[EquipmentPath, FieldReport]], out: _Outcome
    ) -> None:
        """Each report on its own (one unit's refusal never blocks another's); the report id
        is the sender-scoped message id, so a redelivery is a duplicate."""
        for path, m in sent:
            if self.lifecycle is None:
                out.refuse(path, m, "unsupported", "this gateway takes no field reports")
                continue
            try:
                report = FieldReportIn(
                    report_id=key(path, m)[:64],
                    serial=m.serial,
                    at=m.at,
                    cycles=m.cycles,
                    temperature_c=m.temperature_c,
                    capacity_ah=m.capacity_ah,
                    soh_percent=m.soh_percent,
                    failure=m.failure,
                )
                stored = self.lifecycle.report(ACTOR, report, tenant=m.brand)
            except ValidationError as exc:
                out.refuse(path, m, "invalid", str(exc.errors()[0]["msg"])[:300])
                continue
            except OpenFabError as exc:
                problems = "; ".join(str(p) for p in exc.problems)
                out.refuse(
                    path, m, _code(exc), f"{exc.detail}: {problems}" if problems else exc.detail
                )
                continue
            if stored.duplicate:
                out.duplicates += 1
            else:
                out.applied += 1

    def _acknowledgements(
        self, sent: Sequence[tuple[EquipmentPath, CommandAcknowledged]], out: _Outcome
    ) -> None:
        """A machine's answer to a command becomes ``machine.command_acknowledged`` on the
        command's id, once per sender and message id (the inbox key)."""
        if not sent:
            return
        with self.db.unit(Scope.plant(), actor=ACTOR.name) as uow:
            for path, m in sent:
                if not first_delivery(uow, key(path, m), "command.acknowledged"):
                    out.duplicates += 1
                    continue
                payload = {
                    "machine": path.machine,
                    "command_id": m.command_id,
                    "status": m.status,
                    "reason": m.reason,
                    "at": m.at.isoformat(),
                }
                uow.record("machine.command_acknowledged", "command", m.command_id, payload)
                out.applied += 1

    # -- dead letters --------------------------------------------------------------------------
    def _dead_letter(
        self, transport: str, refused: Sequence[tuple[str, FloorMessage | None, Refusal]]
    ) -> None:
        if not refused:
            return
        with self.db.unit(Scope.plant(), actor=ACTOR.name) as uow:
            for sender, message, refusal in refused:
                row = FloorDeadLetterRow(
                    id=new_id(),
                    sender=sender[:260],
                    transport=transport[:16],
                    message_id=refusal.message_id,
                    type=message.type if message is not None else None,
                    code=refusal.code[:32],
                    reason=refusal.reason[:1000],
                    payload=refusal.raw,
                )
                uow.session.add(row)
                payload = {"sender": sender, "code": refusal.code, "reason": refusal.reason}
                uow.record("floor.dead_lettered", "floor_message", row.id, payload)
                log.warning("dead letter from %s (%s): %s", sender, refusal.code, refusal.reason)

    def dead_letters(
        self, actor: Actor, *, status: str | None = "Open", limit: int = 100
    ) -> DeadLettersPublic:
        actor.require_plant(*PLANT_STAFF)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            query = select(FloorDeadLetterRow).order_by(FloorDeadLetterRow.received_at.desc())
            if status is not None:
                query = query.where(FloorDeadLetterRow.status == status)
            rows = uow.session.scalars(query.limit(limit)).all()
            data = [DeadLetterPublic.model_validate(r) for r in rows]
        return DeadLettersPublic(data=data, count=len(data))

    def replay(self, actor: Actor, letter_id: str) -> GatewayResult:
        """Apply a dead letter again (after the fix: the work order released, the machine
        added …); it is marked Replayed when it applied, else a new dead letter says why."""
        actor.require_plant(*PLANT_STAFF)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            row = uow.session.get(FloorDeadLetterRow, letter_id)
            if row is None:
                raise NotFound(f"dead letter {letter_id!r} not found")
            sender, transport, payload = row.sender, row.transport, row.payload
        result = self.receive(sender, payload or "null", transport=f"replay:{transport}"[:16])
        if result.dead_lettered == 0:
            with self.db.unit(Scope.plant(), actor=actor.name) as uow:
                letter = uow.session.get(FloorDeadLetterRow, letter_id)
                assert letter is not None
                letter.status, letter.replayed_at = "Replayed", utcnow()
                uow.record("floor.replayed", "floor_message", letter_id, {"sender": sender})
        return result


# -- translation -------------------------------------------------------------------------------
def _sender(
    sender: str | EquipmentPath, known: dict[str, str], directory: EquipmentDirectory
) -> tuple[EquipmentPath | None, str]:
    """The sending machine's path (or the site's, for its dock), or None and why not: a
    machine the plant does not have, or one at another place than the layout says."""
    try:
        path = EquipmentPath.of(sender)
    except TopicError as exc:
        return None, str(exc)
    if len(path.levels) == 1:
        ok = path.site in directory.sites
        return (path, "") if ok else (None, f"site {path.site!r} not found")
    if path.machine not in known:
        return None, f"machine {path.machine!r} not found"
    where = directory.path_of(path.machine)
    if where is not None and where != path:
        return None, f"machine {path.machine!r} is at {where}, not {path}"
    return path, ""


def key(path: EquipmentPath, message: FloorMessage) -> str:
    """The message's id scoped by its sender: two machines that number alike never collide."""
    return f"{path.machine}/{message.message_id}"


def _ahead(message: FloorMessage) -> str:
    """Why a message is stamped too far ahead of the platform's clock ("" when it is not)."""
    now = utcnow()
    if message.at <= now + MAX_AHEAD:
        return ""
    at, clock = message.at.isoformat(), now.isoformat()
    return f"stamped {at}, ahead of the plant's clock ({clock}): check the sender's clock"


def _code(exc: OpenFabError) -> str:
    return type(exc).__name__.lower().replace("notfound", "not_found")[:32]


def _lots(uses: Sequence[LotUse]) -> list[LotConsumption]:
    return [
        LotConsumption(material=u.material, lot=u.lot, quantity=float(u.quantity), unit=u.unit)
        for u in uses
    ]


def _start(path: EquipmentPath, message: OperationStarted) -> OperationStart:
    return OperationStart(
        message_id=key(path, message),
        machine=path.machine,
        started_at=message.at,
        parameters=dict(message.parameters),
        materials=_lots(message.materials),
    )


def _finish(path: EquipmentPath, message: OperationFinished) -> OperationFinish:
    return OperationFinish(
        message_id=key(path, message),
        machine=path.machine,
        finished_at=message.at,
        quantity_good=message.good,
        quantity_scrap=message.scrap,
        scrap_reason=message.scrap_reason,
        parameters=dict(message.parameters),
        materials=_lots(message.materials),
        units=[
            UnitReport(
                serial=u.serial,
                outcome=u.outcome,
                reason=u.reason,
                measurements=dict(u.measurements),
            )
            for u in message.units
        ],
    )


def _move(kind: MoveKind, use: LotUse, order_id: str | None, why: str) -> MoveCreate:
    return MoveCreate(
        kind=kind,
        material=use.material,
        lot=use.lot,
        quantity=Decimal(use.quantity),
        unit=use.unit,
        order_id=order_id,
        reason=why[:200],
    )
