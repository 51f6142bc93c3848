"""A small segmentation head on frozen backbone features, taught by synthetic anomalies.

It reads the patch features (and the memory bank's distance map, so it can learn when to
trust it) and answers, per patch, the log-odds that the patch is anomalous. Being a few
convolutions on top of frozen features, it trains in a minute on a CPU; the 3×3 layers let
it compare a patch with its neighbours, which a nearest-neighbour bank cannot do.
"""

from __future__ import annotations

import torch
import torch.nn.functional as fn
from torch import nn


class SegmentationHead(nn.Module):
    def __init__(self, channels: int, width: int = 96) -> None:
        super().__init__()
        self.channels = channels
        self.width = width
        self.adapt = nn.Conv2d(channels, width, 1)  # feature adaptation to this surface
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, padding_mode="replicate"),
            nn.GroupNorm(8, width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width // 2, 3, padding=1, padding_mode="replicate"),
            nn.ReLU(inplace=True),
            nn.Conv2d(width // 2, 1, 1),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``B×C×h×w`` features → ``B×h×w`` anomaly log-odds."""
        out: torch.Tensor = self.body(fn.relu(self.adapt(features)))
        return out[:, 0]


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    """Focal loss: most patches are easy normals; this keeps them from drowning the defects."""
    bce = fn.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p = torch.sigmoid(logits)
    p_t = p * target + (1 - p) * (1 - target)
    weight = (1 - p_t) ** gamma
    return (weight * bce).sum() / target.sum().clamp(min=1.0)
