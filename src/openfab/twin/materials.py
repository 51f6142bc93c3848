"""Material lots on hand, consumed first in, first out."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from openfab.twin.events import LotUse

EPS = 1e-9


@dataclass
class Lot:
    id: str
    left: float


@dataclass
class Inventory:
    """Lots per material in arrival order, and what was received and consumed."""

    lots: dict[str, deque[Lot]] = field(default_factory=lambda: defaultdict(deque))
    received: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    consumed: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    on_hand: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    lots_ordered: set[str] = field(default_factory=set)
    """Materials with a purchase order (never received on demand)."""

    def receive(self, material: str, lot: str, quantity: float) -> None:
        self.lots[material].append(Lot(lot, quantity))
        self.received[material] += quantity
        self.on_hand[material] += quantity

    def available(self, material: str) -> float:
        return self.on_hand.get(material, 0.0)

    def take(self, material: str, quantity: float) -> list[LotUse]:
        """Draw ``quantity`` from the oldest lots (the caller checked it is on hand)."""
        uses = []
        queue = self.lots[material]
        left = quantity
        while left > EPS and queue:
            lot = queue[0]
            used = min(lot.left, left)
            uses.append(LotUse(material, lot.id, used))
            left -= used
            lot.left -= used
            if lot.left <= EPS:
                queue.popleft()
        taken = quantity - max(left, 0.0)
        self.consumed[material] += taken
        self.on_hand[material] -= taken
        return uses
