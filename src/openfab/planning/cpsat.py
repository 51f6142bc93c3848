"""The CP-SAT model: one builder for the full problem, LNS sub-problems and repairs.

Modelling choices (and why):

- One start variable per operation shared by its optional per-machine intervals (one per
  eligible machine, exactly one present): fewer variables than one start per mode.
- Calendars are fixed *blocking* intervals in each machine's no-overlap, so an operation can
  only sit in an availability gap and is never split across a break.
- Sequence-dependent setups use a circuit per machine with changeovers (an arc ``i -> j``
  means ``j`` directly follows ``i`` and forces ``end(i) + setup(i, j) <= start(j)``); the
  no-overlap stays too, for its stronger propagation and the calendar.
- In an LNS sub-problem the operations that are not *free* keep their machine and their
  order on it (not their times): the order is a chain of precedences, and the circuit only
  gets the arcs that such an order still allows, so it stays small.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from openfab.planning.compiled import Compiled
from openfab.planning.dispatch import Pin
from openfab.planning.model import Objective
from openfab.planning.solution import Solution, order_release

Lit = Any  # a CP-SAT literal (BoolVar, its negation, or the constant True)


@dataclass
class Spec:
    """What to build: the objective and, for LNS or repair, what is held in place.

    ``free=None`` lets every operation move; otherwise the others keep the machine and the
    order they have in ``incumbent``. ``pins`` are fixed in time and machine. ``previous``
    (op -> (start, machine)) with ``stability`` > 0 penalises each operation that moves.
    ``bound`` caps the objective, ``horizon`` caps every end. ``tiebreak`` adds the sum of
    the ends of the last operations as a secondary objective: among schedules of equal
    makespan LNS then prefers compact ones, which gives later neighbourhoods room to improve.
    """

    objective: Objective
    free: frozenset[int] | None = None
    incumbent: Solution | None = None
    pins: dict[int, Pin] = field(default_factory=dict)
    floor: int = 0
    previous: dict[int, tuple[int, int]] = field(default_factory=dict)
    stability: int = 0
    bound: int | None = None
    horizon: int | None = None
    tiebreak: bool = False


@dataclass
class Built:
    """A built model with handles to read a solution back."""

    model: cp_model.CpModel
    starts: list[cp_model.IntVar]
    presence: list[list[tuple[int, Lit]]]
    objective: cp_model.LinearExprT

    def extract(self, solver: cp_model.CpSolver) -> Solution:
        start = tuple(int(solver.value(s)) for s in self.starts)
        mode = tuple(
            next(k for k, lit in options if lit is True or solver.boolean_value(lit))
            for options in self.presence
        )
        return Solution(start, mode)


class _Builder:
    def __init__(self, c: Compiled, spec: Spec) -> None:
        self.c, self.spec = c, spec
        self.model = cp_model.CpModel()
        self.horizon = spec.horizon or c.horizon
        self.starts: list[cp_model.IntVar] = []
        self.ends: list[cp_model.LinearExprT] = []
        self.presence: list[list[tuple[int, Lit]]] = []
        self.on_machine: list[list[tuple[int, Any, Lit]]] = [[] for _ in range(c.num_machines)]
        self.hints: list[tuple[Any, int]] = []
        self.fixed_sequences: list[list[int]] = [[] for _ in range(c.num_machines)]

    def build(self) -> Built:
        c = self.c
        for i in range(c.num_ops):
            self._operation(i)
        for i in range(c.num_ops):
            for p in c.preds[i]:
                self.model.add(self.starts[i] >= self.ends[p])
        self._held_orders()
        for m in range(c.num_machines):
            self._machine(m)
        objective = self._objective()
        self.model.minimize(objective)
        for var, value in self.hints:
            self.model.add_hint(var, value)
        return Built(self.model, self.starts, self.presence, objective)

    def _allowed(self, i: int) -> list[int]:
        spec = self.spec
        if i in spec.pins:
            return [spec.pins[i].mode]
        if spec.free is None or i in spec.free or spec.incumbent is None:
            return list(range(len(self.c.modes[i])))
        return [spec.incumbent.mode[i]]

    def _operation(self, i: int) -> None:
        c, spec = self.c, self.spec
        allowed = self._allowed(i)
        shortest = min(c.modes[i][k][1] for k in allowed)
        pin = spec.pins.get(i)
        low = pin.start if pin else max(c.release[i], spec.floor)
        high = pin.start if pin else max(low, self.horizon - c.tails[i])
        start = self.model.new_int_var(low, high, f"s{i}")
        self.starts.append(start)
        if len(allowed) == 1:
            k = allowed[0]
            m, d = c.modes[i][k]
            interval = self.model.new_fixed_size_interval_var(start, d, f"x{i}")
            self.ends.append(start + d)
            self.presence.append([(k, True)])
            self.on_machine[m].append((i, interval, True))
        else:
            longest = max(c.modes[i][k][1] for k in allowed)
            end = self.model.new_int_var(low + shortest, high + longest, f"e{i}")
            self.ends.append(end)
            options: list[tuple[int, Lit]] = []
            for k in allowed:
                m, d = c.modes[i][k]
                lit = self.model.new_bool_var(f"p{i}_{k}")
                interval = self.model.new_optional_fixed_size_interval_var(
                    start, d, lit, f"x{i}_{k}"
                )
                self.model.add(end == start + d).only_enforce_if(lit)
                options.append((k, lit))
                self.on_machine[m].append((i, interval, lit))
            self.model.add_exactly_one(lit for _, lit in options)
            self.presence.append(options)
        self._hint_operation(i)

    def _hint_operation(self, i: int) -> None:
        sol = self.spec.incumbent
        if sol is None:
            return
        self.hints.append((self.starts[i], sol.start[i]))
        end = self.ends[i]
        if isinstance(end, cp_model.IntVar):
            self.hints.append((end, sol.end(self.c, i)))
        for k, lit in self.presence[i]:
            if lit is not True:
                self.hints.append((lit, int(k == sol.mode[i])))

    def _held_orders(self) -> None:
        """Operations that are not free keep their order on their machine."""
        spec, c = self.spec, self.c
        if spec.incumbent is None or spec.free is None:
            return
        held = [i for i in range(c.num_ops) if i not in spec.free or i in spec.pins]
        held.sort(key=lambda i: (spec.incumbent.start[i], i) if spec.incumbent else (0, i))
        for i in held:
            m = c.modes[i][self._allowed(i)[0]][0]
            self.fixed_sequences[m].append(i)
        for seq in self.fixed_sequences:
            for a, b in itertools.pairwise(seq):
                self.model.add(self.starts[b] >= self.ends[a])

    def _machine(self, m: int) -> None:
        rows = self.on_machine[m]
        if not rows:
            return
        intervals = [interval for _, interval, _ in rows]
        lowest = min(self.spec.floor, min(self.c.release[i] for i, _, _ in rows))
        for start, end in self.c.blocked[m]:
            end = min(end, self.horizon)
            if end > lowest and start < end:
                intervals.append(self.model.new_fixed_size_interval_var(start, end - start, ""))
        self.model.add_no_overlap(intervals)
        if self.c.has_setups(m) and len(rows) > 0:
            self._circuit(m, rows)

    def _circuit(self, m: int, rows: list[tuple[int, Any, Lit]]) -> None:
        """Changeovers as a circuit over the machine's operations (node 0 is the depot)."""
        c, model = self.c, self.model
        node = {i: k + 1 for k, (i, _, _) in enumerate(rows)}
        present = {i: lit for i, _, lit in rows}
        arcs: list[tuple[int, int, Lit]] = []
        sequence = self._incumbent_sequence(m, rows)
        for i, j in self._arc_pairs(m, [i for i, _, _ in rows]):
            lit = model.new_bool_var("")
            if i < 0:
                arcs.append((0, node[j], lit))
                gap = c.setup_time(m, -1, j)
                if gap:
                    model.add(self.starts[j] >= gap).only_enforce_if(lit)
            elif j < 0:
                arcs.append((node[i], 0, lit))
            else:
                arcs.append((node[i], node[j], lit))
                model.add(self.starts[j] >= self.ends[i] + c.setup_time(m, i, j)).only_enforce_if(
                    lit
                )
            if sequence is not None:
                self.hints.append((lit, int((i, j) in sequence)))
        optional = [i for i in present if present[i] is not True]
        for i in optional:
            arcs.append((node[i], node[i], ~present[i]))
        if len(optional) == len(rows):
            arcs.append((0, 0, model.new_bool_var("")))
        model.add_circuit(arcs)

    def _arc_pairs(self, m: int, ops: list[int]) -> list[tuple[int, int]]:
        """Arcs (``-1`` is the depot) that the held order on machine ``m`` still allows."""
        held = self.fixed_sequences[m]
        held_set = set(held)
        loose = [i for i in ops if i not in held_set]
        pairs = [(i, j) for i in loose for j in ops if i != j]
        pairs += [(i, j) for i in held for j in loose]
        pairs += list(itertools.pairwise(held))
        firsts = loose + held[:1]
        lasts = loose + held[-1:]
        return [(-1, j) for j in firsts] + [(i, -1) for i in lasts] + pairs

    def _incumbent_sequence(
        self, m: int, rows: Sequence[tuple[int, Any, Lit]]
    ) -> set[tuple[int, int]] | None:
        sol = self.spec.incumbent
        if sol is None:
            return None
        on = [i for i, _, _ in rows if sol.machine(self.c, i) == m]
        on.sort(key=lambda i: (sol.start[i], i))
        chain = [-1, *on, -1] if on else []
        return set(itertools.pairwise(chain))

    def _objective(self) -> cp_model.LinearExprT:
        c, spec, model = self.c, self.spec, self.model
        terms: list[cp_model.LinearExprT] = []
        hint = spec.incumbent
        if spec.objective.makespan:
            makespan = model.new_int_var(0, self.horizon, "makespan")
            model.add_max_equality(
                makespan, [self.ends[i] for i in range(c.num_ops) if not c.succs[i]]
            )
            terms.append(spec.objective.makespan * makespan)
            if hint:
                self.hints.append((makespan, max(hint.end(c, i) for i in range(c.num_ops))))
        if spec.objective.tardiness:
            terms.append(spec.objective.tardiness * self._tardiness())
        if spec.objective.flow:
            terms.append(spec.objective.flow * self._flow())
        if spec.stability and spec.previous:
            terms.append(spec.stability * self._moves())
        objective = sum(terms[1:], terms[0])
        if spec.bound is not None:
            model.add(objective <= spec.bound)
        if spec.tiebreak:
            sinks = [self.ends[i] for i in range(c.num_ops) if not c.succs[i]]
            weight = len(sinks) * self.horizon + 1
            return cp_model.LinearExpr.weighted_sum(
                [objective, *sinks], [weight] + [1] * len(sinks)
            )
        return objective

    def _tardiness(self) -> cp_model.LinearExprT:
        c, model, hint = self.c, self.model, self.spec.incumbent
        total: list[cp_model.LinearExprT] = []
        for j, ops in enumerate(c.order_ops):
            due = c.due[j]
            if due is None or not ops or not c.weight[j]:
                continue
            late = model.new_int_var(0, max(0, self.horizon - due), f"t{j}")
            for i in ops:
                if not any(c.op_order[s] == j for s in c.succs[i]):
                    model.add(late >= self.ends[i] - due)
            total.append(c.weight[j] * late)
            if hint:
                self.hints.append((late, max(0, max(hint.end(c, i) for i in ops) - due)))
        return sum(total[1:], total[0]) if total else 0

    def _flow(self) -> cp_model.LinearExprT:
        """Σ weight × (completion − release) over orders: how long customers wait."""
        c, model, hint = self.c, self.model, self.spec.incumbent
        total: list[cp_model.LinearExprT] = []
        for j, ops in enumerate(c.order_ops):
            if not ops or not c.weight[j]:
                continue
            release = order_release(c, j)
            done = model.new_int_var(release, self.horizon, f"f{j}")
            for i in ops:
                if not any(c.op_order[s] == j for s in c.succs[i]):
                    model.add(done >= self.ends[i])
            total.append(c.weight[j] * (done - release))
            if hint:
                self.hints.append((done, max(hint.end(c, i) for i in ops)))
        return sum(total[1:], total[0]) if total else 0

    def _moves(self) -> cp_model.LinearExprT:
        c, model, spec = self.c, self.model, self.spec
        moved: list[cp_model.LinearExprT] = []
        for i, (start, machine) in spec.previous.items():
            if i in spec.pins:
                continue
            stay = model.new_bool_var(f"stay{i}")
            model.add(self.starts[i] == start).only_enforce_if(stay)
            lits = [lit for k, lit in self.presence[i] if c.modes[i][k][0] == machine]
            if not lits:
                model.add(stay == 0)
            elif lits[0] is not True:
                model.add_implication(stay, lits[0])
            moved.append(1 - stay)
            if spec.incumbent:
                same = spec.incumbent.start[i] == start and spec.incumbent.machine(c, i) == machine
                self.hints.append((stay, int(same)))
        return sum(moved[1:], moved[0]) if moved else 0


def build(c: Compiled, spec: Spec) -> Built:
    """Build the CP-SAT model described by ``spec``."""
    return _Builder(c, spec).build()


@dataclass(frozen=True)
class Outcome:
    status: str
    solution: Solution | None
    bound: int


def run(
    built: Built,
    *,
    seed: int,
    workers: int,
    time_limit: float,
    work_limit: float | None = None,
    light: bool = False,
    repeatable: bool = False,
    lns_only: bool = False,
) -> Outcome:
    """Solve with a wall-clock cap and, for repeatable runs, a deterministic work limit.

    Parallel CP-SAT is not repeatable; ``repeatable`` interleaves its workers
    deterministically instead, which is slower (on a 20 × 20 job shop it ended about 2 %
    worse at 20 s), so it is only used when the caller asked for a work limit.
    ``lns_only`` runs only CP-SAT's own neighbourhood workers from the hint (no complete
    search): on 20 × 20 job shops that halved the gap of the default portfolio at 20 s.
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = seed
    params.num_workers = workers
    params.max_time_in_seconds = max(0.01, time_limit)
    if work_limit is not None:
        params.max_deterministic_time = work_limit
    if workers > 1 and repeatable:
        params.interleave_search = True
    if light:
        params.linearization_level = 0
    if lns_only:
        params.use_lns_only = True
    status = solver.solve(built.model)
    name = solver.status_name(status)
    solution = built.extract(solver) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    bound = int(solver.best_objective_bound) if solution is not None else 0
    return Outcome(name, solution, bound)
