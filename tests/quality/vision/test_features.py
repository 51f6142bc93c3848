"""The fast backbone computes what the library's network computes; near-duplicate training
images are recognised so that calibration scores them as new images."""

from __future__ import annotations

import numpy as np
import torch

from openfab.quality.vision import backbone
from openfab.quality.vision.memory import MemoryBank, near_duplicates


def test_the_folded_trunk_matches_the_pretrained_network() -> None:
    """Batch norms folded, padding rewritten, 1×1 convolutions as products: same maps as the
    library's EfficientNet-Lite0 (with its own ReLU6) up to float rounding."""
    net = backbone.backbone()
    x = torch.rand(2, 3, 96, 96)
    with torch.no_grad():
        y = net._swish(net._bn0(net._conv_stem(x)))
        expected = []
        for index, block in enumerate(net._blocks[:8]):
            y = block(y)
            if index in backbone.BLOCKS:
                expected.append(y)
        got = backbone.trunk()(x.contiguous(memory_format=torch.channels_last))
    for want, have in zip(expected, got, strict=True):
        assert torch.allclose(want, have, atol=1e-4 * float(want.abs().max()))


def test_overlapping_crops_are_near_duplicates_and_distinct_images_are_not() -> None:
    rng = np.random.default_rng(0)
    photo = torch.from_numpy(rng.random((3, 64, 400), dtype=np.float32))
    crops = [photo[:, :, c : c + 64] for c in (0, 8, 200, 300)]  # 0 and 8 overlap
    distinct = [torch.from_numpy(rng.random((3, 64, 64), dtype=np.float32)) for _ in range(4)]
    feats = backbone.extract(torch.stack(crops + distinct))
    found = near_duplicates(feats)
    assert found[0] == [1] and found[1] == [0]
    assert not any(found[2:])


def test_the_bank_leaves_out_every_image_asked() -> None:
    patches = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    bank = MemoryBank(patches, torch.tensor([0, 1, 2]))
    query = torch.tensor([[0.0, 0.0]])
    assert float(bank.distances(query)[0]) == 0.0
    assert float(bank.distances(query, exclude=0)[0]) == 1.0
    assert float(bank.distances(query, exclude=[0, 1])[0]) == 3.0
