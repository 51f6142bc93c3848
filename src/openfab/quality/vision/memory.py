"""A memory bank of normal patch features (PatchCore): a patch is as anomalous as it is far
from its nearest normal patch.

The bank keeps a greedy k-centre coreset (every normal patch stays close to a kept one) so
scoring costs one small matrix product. Each kept patch remembers its source image, so a
training image can be scored against the bank *without its own patches* (leave-one-out):
held-out normal scores for calibration without building the bank again.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class MemoryBank:
    features: torch.Tensor  # N×C
    owners: torch.Tensor  # N image indices (int64)

    @classmethod
    def build(
        cls,
        patches: torch.Tensor,
        owners: torch.Tensor,
        *,
        keep: float = 0.1,
        max_size: int = 16_000,
        seed: int = 0,
    ) -> MemoryBank:
        """A coreset of ``patches`` (N×C) holding ``keep`` of them (at most ``max_size``)."""
        size = max(1, min(max_size, round(keep * len(patches)), len(patches)))
        chosen = greedy_coreset(patches, size, seed=seed)
        return cls(patches[chosen].contiguous(), owners[chosen].contiguous())

    def distances(self, patches: torch.Tensor, exclude: int | None = None) -> torch.Tensor:
        """Distance of each of ``patches`` (M×C) to its nearest bank patch, ignoring bank
        patches from image ``exclude``."""
        best = torch.full((len(patches),), float("inf"))
        for start in range(0, len(self.features), 4096):
            chunk = self.features[start : start + 4096]
            d = torch.cdist(patches, chunk)
            if exclude is not None:
                d[:, self.owners[start : start + 4096] == exclude] = float("inf")
            best = torch.minimum(best, d.min(dim=1).values)
        return best


def greedy_coreset(patches: torch.Tensor, size: int, *, seed: int = 0) -> torch.Tensor:
    """Indices of ``size`` patches chosen farthest-first (on a 64-dim random projection, which
    keeps distances roughly and makes the selection several times faster)."""
    gen = torch.Generator().manual_seed(seed)
    dims = min(64, patches.shape[1])
    proj = patches @ (torch.randn(patches.shape[1], dims, generator=gen) / dims**0.5)
    chosen = torch.empty(size, dtype=torch.long)
    chosen[0] = int(torch.randint(len(patches), (1,), generator=gen))
    nearest = torch.linalg.vector_norm(proj - proj[chosen[0]], dim=1)
    for i in range(1, size):
        chosen[i] = int(torch.argmax(nearest))
        nearest = torch.minimum(nearest, torch.linalg.vector_norm(proj - proj[chosen[i]], dim=1))
    return chosen
