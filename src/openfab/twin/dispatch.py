"""Pooled dispatch: ready operations wait in pools their eligible machines share.

Under ``fifo`` and ``plan`` dispatch (``TwinConfig.dispatch``) an operation is no longer
pinned to the machine the plan named: a machine that frees takes the best ready operation
of its pools, so the work queued behind a slow or broken machine flows to an idle sibling
instead of waiting. Heaps with lazy deletion (an entry is live while its version is the
operation's and the operation is still queued) keep a choice logarithmic, so a week of the
sample plant stays a matter of seconds.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import simpy

from openfab.execution.oee import NO_WORK
from openfab.twin.state import MachineSim, Op, OpStatus

if TYPE_CHECKING:
    from openfab.twin.simulator import Twin

Entry = tuple[float, str, int, Op]
"""A heap entry: sort key, op id (ties), the op's version when pushed, the op."""
Choice = tuple[int, float, str, Op]
"""A machine's candidate: rank (setup class, then planned here), key, op id, op."""


def family_group(family: str | None) -> str | None:
    """The group of a ``group/variant`` family; None when the family has no group."""
    if family is None or "/" not in family:
        return None
    return family.split("/", 1)[0]


def live_head(heap: list[Entry]) -> Entry | None:
    """The heap's first live entry, dropping stale ones on the way."""
    while heap:
        entry = heap[0]
        op = entry[3]
        if entry[2] == op.version and op.status is OpStatus.QUEUED:
            return entry
        heapq.heappop(heap)
    return None


class Pool:
    """The ready operations a set of machines shares, plus its blocked and deferred ones."""

    def __init__(self, machines: tuple[MachineSim, ...]) -> None:
        self.machines = machines
        self.ready = 0
        """Live queued operations (for waking just enough idle machines)."""
        self.blocked: dict[str, list[Op]] = {}
        """Operations short of material, by the material they wait for."""
        self.deferred: set[Op] = set()

    def push(self, op: Op) -> None:
        raise NotImplementedError

    def head(self) -> Entry | None:
        """The entry every rank falls back on (the earliest by the pool's order)."""
        raise NotImplementedError

    def choose(self, m: MachineSim, limit: float) -> Choice | None:
        raise NotImplementedError


class FifoPool(Pool):
    """First come, first served: by the work order's arrival, then op id."""

    def __init__(self, machines: tuple[MachineSim, ...]) -> None:
        super().__init__(machines)
        self.heap: list[Entry] = []

    def push(self, op: Op) -> None:
        heapq.heappush(self.heap, (op.order.plan.arrival, op.plan.id, op.version, op))

    def head(self) -> Entry | None:
        return live_head(self.heap)

    def choose(self, m: MachineSim, limit: float) -> Choice | None:
        entry = live_head(self.heap)
        return None if entry is None else (0, entry[0], entry[1], entry[3])


class PlanPool(Pool):
    """By planned start; within the family window, the machine's setup family first.

    One heap per preference (family and planned machine, family, group and machine,
    group, machine, all), each by planned start: the first heap, in rank order, whose
    head starts within the window holds the machine's best choice.
    """

    def __init__(self, machines: tuple[MachineSim, ...]) -> None:
        super().__init__(machines)
        self.by_start: list[Entry] = []
        self.here: dict[str, list[Entry]] = {}
        self.family: dict[str, list[Entry]] = {}
        self.family_here: dict[tuple[str, str], list[Entry]] = {}
        self.group: dict[str, list[Entry]] = {}
        self.group_here: dict[tuple[str, str], list[Entry]] = {}

    def push(self, op: Op) -> None:
        p = op.plan
        entry = (p.start, p.id, op.version, op)
        heapq.heappush(self.by_start, entry)
        heapq.heappush(self.here.setdefault(p.machine, []), entry)
        if p.family is not None:
            heapq.heappush(self.family.setdefault(p.family, []), entry)
            heapq.heappush(self.family_here.setdefault((p.family, p.machine), []), entry)
            group = family_group(p.family)
            if group is not None:
                heapq.heappush(self.group.setdefault(group, []), entry)
                heapq.heappush(self.group_here.setdefault((group, p.machine), []), entry)

    def head(self) -> Entry | None:
        return live_head(self.by_start)

    def choose(self, m: MachineSim, limit: float) -> Choice | None:
        for rank, heap in self._ranked(m):
            if heap is None:
                continue
            entry = live_head(heap)
            if entry is not None and entry[0] <= limit:
                return rank, entry[0], entry[1], entry[3]
        return None

    def _ranked(self, m: MachineSim) -> Iterable[tuple[int, list[Entry] | None]]:
        family, here = m.family, m.id
        if family is not None:
            yield 0, self.family_here.get((family, here))
            yield 1, self.family.get(family)
            group = family_group(family)
            if group is not None:
                yield 2, self.group_here.get((group, here))
                yield 3, self.group.get(group)
        yield 4, self.here.get(here)
        yield 5, self.by_start


class PooledDispatch:
    """Pools by eligible machine set; takes, blocks, defers and wakes for the twin."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.plan_mode = twin.cfg.dispatch == "plan"
        self.window = twin.cfg.family_window if self.plan_mode else 0.0
        self.pools: dict[tuple[str, ...], Pool] = {}
        self._known: dict[tuple[str, tuple[str, ...]], Pool] = {}
        """Pools by (machine, alternatives) as plans write them (the lookup is hot)."""
        self.centers = {
            mid: info.work_center.machines for mid, info in twin.layout.machines.items()
        }

    def pool_of(self, op: Op) -> Pool:
        """The pool of ``op``'s eligible machines (created on first use)."""
        p = op.plan
        known = self._known.get((p.machine, p.alternatives))
        if known is not None:
            return known
        eligible = (p.machine, *p.alternatives) if p.alternatives else self.centers[p.machine]
        machines = self.twin.machines
        key = tuple(sorted(set(eligible), key=lambda mid: machines[mid].info.index))
        pool = self.pools.get(key)
        if pool is None:
            members = tuple(machines[mid] for mid in key)
            pool = PlanPool(members) if self.plan_mode else FifoPool(members)
            self.pools[key] = pool
            for m in members:
                m.pools.append(pool)
        self._known[p.machine, p.alternatives] = pool
        return pool

    def release(self, op: Op) -> None:
        """``op`` may run (predecessor done, or re-planned): into its pool, or deferred."""
        if op.status in (OpStatus.QUEUED, OpStatus.BLOCKED, OpStatus.DEFERRED):
            self.withdraw(op)
        op.version += 1
        pool = op.pool = self.pool_of(op)
        not_before = op.plan.not_before
        if not_before is not None and not_before > self.twin.now:
            op.status = OpStatus.DEFERRED
            pool.deferred.add(op)
            self._defer(op, not_before)
            self.refresh(pool)
            return
        self.enqueue(op)

    def enqueue(self, op: Op) -> None:
        pool = op.pool
        assert pool is not None
        op.status = OpStatus.QUEUED
        pool.ready += 1
        pool.push(op)
        self.rouse(pool)

    def withdraw(self, op: Op) -> None:
        """Take ``op`` out of its pool (taken, blocked, or re-planned); entries go stale."""
        pool = op.pool
        if pool is not None:
            if op.status is OpStatus.QUEUED:
                pool.ready -= 1
            elif op.status is OpStatus.BLOCKED:
                self._unpark(pool, op)
            elif op.status is OpStatus.DEFERRED:
                pool.deferred.discard(op)
        op.version += 1

    def take(self, m: MachineSim) -> Op | None:
        """The operation ``m`` runs next (material reserved), None when none is ready."""
        while (op := self.choose(m)) is not None:
            pool = op.pool
            assert pool is not None
            self.withdraw(op)
            if self.twin.claim(op):
                op.status = OpStatus.RUNNING
                for other in m.pools:
                    self.rouse(other)
                return op
            pool.blocked.setdefault(op.short_of or "", []).append(op)
            self.refresh(pool)
        return None

    def choose(self, m: MachineSim) -> Op | None:
        """The rule's pick for ``m`` among the ready operations of all its pools."""
        pools = m.pools
        if len(pools) == 1:
            head = pools[0].head()
            if head is None:
                return None
            choice = pools[0].choose(m, head[0] + self.window)
            return None if choice is None else choice[3]
        heads = [e[0] for pool in pools if (e := pool.head()) is not None]
        if not heads:
            return None
        limit = min(heads) + self.window
        choices = [c for pool in pools if (c := pool.choose(m, limit)) is not None]
        return min(choices, key=lambda c: c[:3])[3] if choices else None

    def unblock(self, material: str) -> None:
        """``material`` arrived: the operations waiting for it are ready again (those
        short of another material too block again under that one)."""
        for pool in self.pools.values():
            waiting = pool.blocked.pop(material, None)
            if waiting:
                for op in waiting:
                    op.version += 1
                    self.enqueue(op)
                self.refresh(pool)

    @staticmethod
    def _unpark(pool: Pool, op: Op) -> None:
        key = op.short_of or ""
        waiting = pool.blocked.get(key, [])
        if op in waiting:
            waiting.remove(op)
            if not waiting:
                del pool.blocked[key]

    def hand_over(self, m: MachineSim) -> None:
        """``m`` goes off (maintenance): wake others for the ready work it may leave."""
        for pool in m.pools:
            self.rouse(pool)

    def rouse(self, pool: Pool) -> None:
        """Wake as many parked machines as the pool has ready operations not yet served."""
        parked = [m for m in pool.machines if m.parked]
        need = pool.ready - sum(1 for m in parked if m.wakeup.triggered)
        if need <= 0:
            return
        asleep = [m for m in parked if not m.wakeup.triggered]
        if not asleep:
            return
        if len(asleep) > need:
            asleep.sort(key=self._waking_order(pool))
        for m in asleep[:need]:
            self.twin.wake(m)

    def _waking_order(self, pool: Pool) -> Callable[[MachineSim], tuple[float, ...]]:
        """Which idle machine serves first: under ``fifo`` the one free longest; under
        ``plan`` the head operation's planned machine, then its setup family's."""
        head = pool.head()
        if not self.plan_mode or head is None:
            return lambda m: (m.parked_since, m.info.index)
        p = head[3].plan
        group = family_group(p.family)

        def key(m: MachineSim) -> tuple[float, ...]:
            same = p.family is not None and m.family == p.family
            near = group is not None and family_group(m.family) == group
            rank = 0 if m.id == p.machine else 1 if same else 2 if near else 3
            return (rank, m.parked_since, m.info.index)

        return key

    def refresh(self, pool: Pool) -> None:
        """Parked machines say why they wait again (work blocked, deferred, or none)."""
        for m in pool.machines:
            if m.parked and not m.wakeup.triggered:
                self.twin.set_idle(m, self.idle_reason(m))

    def idle_reason(self, m: MachineSim) -> str:
        if any(pool.blocked for pool in m.pools):
            return "waiting for material"
        if any(pool.deferred for pool in m.pools):
            return "waiting for planned start"
        return NO_WORK

    def _defer(self, op: Op, minute: float) -> None:
        version = op.version

        def due(_: simpy.Event) -> None:
            pool = op.pool
            if op.version != version or op.status is not OpStatus.DEFERRED or pool is None:
                return
            pool.deferred.discard(op)
            self.enqueue(op)
            self.refresh(pool)

        self.twin.env.timeout(minute - self.twin.now).callbacks.append(due)
