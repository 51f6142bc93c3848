"""The visual inspector: learns what normal looks like, then scores and locates defects.

Two complementary scorers read the same pretrained multi-scale features:

* ``bank`` — a PatchCore memory bank: how far each patch is from every normal patch seen.
  Strong on anything unlike the training texture; blind to a patch that is normal in
  itself but wrong in its place.
* ``head`` — a small segmentation head trained on the normal images with synthetic
  anomalies pasted in (DRAEM/SimpleNet-style self-supervision); it also reads the bank's
  distance map and learns from context (blur, faint stains, warps).

Each scorer's map is smoothed and put on a common scale (in spreads of held-out normal
image scores), the maps are averaged, and the image score is the map's maximum. The
threshold is calibrated to a target false-reject rate on half the normal images, held out of
the head's training and scored as new ones: their bank maps leave out the image and every
near-duplicate of it (overlapping crops would otherwise vouch for each other).
A height map (3D camera) is a second input read by the same backbone; its features are
stacked with the image's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as fn

from openfab.errors import InvalidInput, Problem
from openfab.quality.vision import backbone
from openfab.quality.vision.calibration import Calibration, calibrate
from openfab.quality.vision.head import SegmentationHead, focal_loss
from openfab.quality.vision.memory import MemoryBank, near_duplicates
from openfab.quality.vision.synthetic import anomaly
from openfab.quality.vision.types import Inspection, Scan, Verdict

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SCORERS = ("bank", "head")
MIN_IMAGES = 2
MIN_FOR_HEAD = 10  # fewer normal images: the bank alone, calibrated leave-one-out
MIN_HELD = 5  # normal images held out of the head's training to calibrate on


@dataclass(frozen=True)
class Settings:
    """How an inspector is trained. ``size``: the side images are resized to (None: 256 for
    images of 192 px and more, else twice the image side rounded to 32 px)."""

    false_reject_rate: float = 0.01
    size: int | None = None
    scorers: tuple[str, ...] = SCORERS
    blocks: tuple[int, ...] = backbone.BLOCKS
    margin: int = backbone.PAD  # mirrored border in pixels (0: the network's zero padding)
    head_steps: int = 300
    head_width: int = 64
    batch: int = 8
    calibration_share: float = 0.5  # of the images, held out of the head to calibrate on
    coreset: float = 0.1
    max_bank: int = 1024
    smoothing: float = 4.0  # Gaussian σ of the score map, in working pixels
    seed: int = 0

    def problems(self) -> list[Problem]:
        found = []
        if not 0 < self.false_reject_rate < 0.5:
            found.append(Problem("false_reject_rate", "must be in (0, 0.5)"))
        if self.size is not None and (self.size % 32 or not 64 <= self.size <= 1024):
            found.append(Problem("size", f"must be a multiple of 32 in 64..1024, got {self.size}"))
        unknown = set(self.scorers) - set(SCORERS)
        if unknown or not self.scorers:
            found.append(Problem("scorers", f"choose from {SCORERS}, got {self.scorers}"))
        if self.margin % backbone.STRIDE or not 0 <= self.margin <= 64:
            found.append(Problem("margin", f"must be a multiple of {backbone.STRIDE} in 0..64"))
        if not set(self.blocks) <= set(backbone.CHANNELS) or not self.blocks:
            found.append(Problem("blocks", f"choose from {sorted(backbone.CHANNELS)}"))
        if not 16 <= self.head_width <= 512 or self.head_width % 8:
            found.append(Problem("head_width", "must be a multiple of 8 in 16..512"))
        if not 0.2 <= self.calibration_share <= 0.5:
            found.append(Problem("calibration_share", "must be in 0.2..0.5"))
        return found


@dataclass
class Normaliser:
    """Puts one scorer's map on the common scale: (map − mean) / std of normal image scores."""

    mean: float = 0.0
    std: float = 1.0


@dataclass
class VisionInspector:
    settings: Settings
    size: int
    three_d: bool
    grey: bool
    bank: MemoryBank
    head: SegmentationHead | None
    height_scale: float
    normalisers: dict[str, Normaliser]
    calibration: Calibration
    bank_scale: float = 1.0
    centre: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    spread: torch.Tensor = field(default_factory=lambda: torch.ones(0))
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(
        cls,
        scans: Sequence[Scan],
        settings: Settings | None = None,
        *,
        progress: Progress | None = None,
    ) -> VisionInspector:
        """Learn normal from ``scans`` (normal units only) and calibrate the threshold."""
        settings = settings or Settings()
        _check_training(scans, settings)
        tell = progress or (lambda stage, done, total: None)
        size = settings.size or _default_size(scans)
        three_d = scans[0].height is not None
        grey = all(not s.colour for s in scans)
        height_scale = _height_scale(scans) if three_d else 1.0
        pixels = torch.stack([_pixels(s.image, size) for s in scans])
        heights = torch.stack([_height(s, size, height_scale) for s in scans]) if three_d else None
        feats = _features(pixels, heights, settings, tell)
        centre = feats.mean(dim=(0, 2, 3))
        spread = feats.std(dim=(0, 2, 3))
        spread = spread.clamp(min=0.1 * float(spread.median()) + 1e-6)  # no near-dead channel
        # (one that barely varies on normal images) may dominate distances by its noise
        feats = _standardise(feats, centre, spread)
        tell("memory bank", 0, 1)
        patches = feats.permute(0, 2, 3, 1).reshape(-1, feats.shape[1])
        owners = torch.arange(len(scans)).repeat_interleave(feats.shape[2] * feats.shape[3])
        bank = MemoryBank.build(
            patches, owners, keep=settings.coreset, max_size=settings.max_bank, seed=settings.seed
        )
        tell("memory bank", 1, 1)
        rng = np.random.default_rng(settings.seed)
        use_head = "head" in settings.scorers and len(scans) >= MIN_FOR_HEAD
        # each training image scored as if new: without its own patches nor those of any
        # other training image showing the same content
        twins = near_duplicates(feats, seed=settings.seed)
        apart = [[i, *twins[i]] for i in range(len(scans))]
        loo = [_bank_map(bank, feats[i : i + 1], exclude=apart[i])[0] for i in range(len(scans))]
        bank_scale = float(torch.stack(loo).mean()) + 1e-6
        inspector = cls(
            settings,
            size,
            three_d,
            grey,
            bank,
            None,
            height_scale,
            {},
            _placeholder(),
            bank_scale,
            centre,
            spread,
        )
        held, learn = _split(twins, settings.calibration_share, rng) if use_head else ([], [])
        if use_head:
            inspector.head = _train_head(
                inspector, pixels, heights, feats, loo, apart, learn, rng, tell
            )
        else:  # the bank alone: every image is held out of its own (leave-one-out) bank map
            held = list(range(len(scans)))
        scores = inspector._calibrate(feats, held, loo)
        inspector.info = {
            "images": len(scans),
            "held_out": len(held),
            "learned": len(learn),
            "calibration_scores": [round(float(v), 4) for v in scores],
            "with_near_duplicates": sum(bool(t) for t in twins),
        }
        return inspector

    def _calibrate(
        self, feats: torch.Tensor, held: list[int], loo: list[torch.Tensor]
    ) -> np.ndarray:
        """Normalisers and threshold from the held-out images scored as unseen ones: bank
        maps without the image and its near-duplicates, a head that learned from neither."""
        raw: dict[str, list[torch.Tensor]] = {name: [] for name in self.scorers}
        for i in held:
            maps = self._raw_maps(feats[i : i + 1], bank_maps=loo[i][None])
            for name in self.scorers:
                raw[name].append(maps[name][0])
        for name, taken in raw.items():
            tops = np.array([float(m.max()) for m in taken])
            self.normalisers[name] = Normaliser(float(tops.mean()), float(tops.std()) + 1e-6)
        scores = np.array(
            [
                float(self._combine({n: raw[n][j][None] for n in raw})[0].max())
                for j in range(len(held))
            ]
        )
        self.calibration = calibrate(scores, self.settings.false_reject_rate)
        return scores

    # ------------------------------------------------------------------- scoring
    @property
    def scorers(self) -> tuple[str, ...]:
        return tuple(n for n in self.settings.scorers if n != "head" or self.head is not None)

    @property
    def threshold(self) -> float:
        return self.calibration.threshold

    def score(self, scan: Scan) -> Inspection:
        """Score one scan: image score, heat map (the image's size) and verdict."""
        return self.score_many([scan])[0]

    def score_many(self, scans: Sequence[Scan], *, batch: int = 16) -> list[Inspection]:
        """Score several scans, ``batch`` at a time through the backbone."""
        out: list[Inspection] = []
        for start in range(0, len(scans), batch):
            chunk = scans[start : start + batch]
            for scan in chunk:
                self._check_scan(scan)
            pixels = torch.stack([_pixels(s.image, self.size) for s in chunk])
            heights = None
            if self.three_d:
                heights = torch.stack([_height(s, self.size, self.height_scale) for s in chunk])
            with torch.inference_mode():
                feats = self.features(pixels, heights)
                maps = self._combine(self._raw_maps(feats))
            for scan, heat in zip(chunk, maps, strict=True):
                out.append(self._inspection(scan, heat))
        return out

    def features(self, pixels: torch.Tensor, heights: torch.Tensor | None) -> torch.Tensor:
        """Standardised patch features of prepared pixels (and height pictures)."""
        raw = _features(pixels, heights, self.settings, None)
        return _standardise(raw, self.centre, self.spread)

    def _inspection(self, scan: Scan, heat: torch.Tensor) -> Inspection:
        score = float(heat.max())
        full = fn.interpolate(
            heat[None, None], size=scan.size, mode="bilinear", align_corners=False
        )
        verdict: Verdict = "defect" if score > self.threshold else "ok"
        return Inspection(score, full[0, 0].numpy().astype(np.float32), verdict, self.threshold)

    def _check_scan(self, scan: Scan) -> None:
        if self.three_d and scan.height is None:
            raise InvalidInput("this model inspects 3D scans", [Problem("height", "missing")])

    def _raw_maps(
        self, feats: torch.Tensor, bank_maps: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        bank_map = bank_maps if bank_maps is not None else _bank_map(self.bank, feats)
        maps = {"bank": bank_map}
        if self.head is not None:
            self.head.eval()
            with torch.no_grad():
                maps["head"] = self.head(_head_input(feats, bank_map / self.bank_scale))
        return {n: self._smooth(maps[n]) for n in self.scorers}

    def _smooth(self, maps: torch.Tensor) -> torch.Tensor:
        """Smoothed at the feature maps' own resolution (σ in feature cells): the one
        bilinear upsampling to the image's size comes last, in :meth:`_inspection`, instead
        of blurring a map 64 times larger per scorer."""
        sigma = self.settings.smoothing * maps.shape[-1] / self.size
        return _gaussian(maps[:, None], sigma)[:, 0]

    def _combine(self, maps: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = []
        for name, m in maps.items():
            norm = self.normalisers.get(name, Normaliser())
            parts.append((m - norm.mean) / norm.std)
        return torch.stack(parts).mean(dim=0)

    def describe(self) -> dict[str, Any]:
        """Settings, calibration and sizes, as stored in the model file."""
        return {
            "settings": asdict(self.settings),
            "size": self.size,
            "three_d": self.three_d,
            "grey": self.grey,
            "scorers": list(self.scorers),
            "height_scale": self.height_scale,
            "bank_scale": self.bank_scale,
            "normalisers": {n: asdict(v) for n, v in self.normalisers.items()},
            "calibration": self.calibration.to_dict(),
            "bank_patches": len(self.bank.features),
            "trained_on": int(self.info.get("images", 0)),
            "info": self.info,
        }

    def with_threshold(self, threshold: float) -> VisionInspector:
        """The same detector with another threshold (e.g. set by a quality engineer)."""
        return replace(self, calibration=replace(self.calibration, threshold=threshold))


def _placeholder() -> Calibration:
    return Calibration(float("inf"), 0.01, 0, "none", 0.0, 1.0, 0.0)


def _check_training(scans: Sequence[Scan], settings: Settings) -> None:
    problems = settings.problems()
    if len(scans) < MIN_IMAGES:
        problems.append(Problem("images", f"need at least {MIN_IMAGES} normal images"))
    with_height = sum(s.height is not None for s in scans)
    if 0 < with_height < len(scans):
        problems.append(Problem("height", f"{with_height} of {len(scans)} scans have one"))
    if problems:
        raise InvalidInput("cannot train the inspector", problems)


def _default_size(scans: Sequence[Scan]) -> int:
    side = int(np.median([min(s.size) for s in scans]))
    return 256 if side >= 192 else int(min(256, max(64, round(2 * side / 32) * 32)))


def _pixels(image: np.ndarray, size: int) -> torch.Tensor:
    """3×S×S floats in [0, 1] (grey repeated to three channels)."""
    t = torch.from_numpy(np.array(image, dtype=np.float32)) / 255.0
    t = t[None].expand(3, -1, -1) if t.ndim == 2 else t.permute(2, 0, 1)
    return _resize(t, size)


def _height(scan: Scan, size: int, scale: float) -> torch.Tensor:
    """The height map as a grey picture: its own median at mid-grey, ± 4 spreads to 0..1."""
    assert scan.height is not None
    h = scan.height.astype(np.float32)
    t = torch.from_numpy(np.clip((h - np.median(h)) / (8 * scale) + 0.5, 0, 1))
    return _resize(t[None].expand(3, -1, -1), size)


def _resize(t: torch.Tensor, size: int) -> torch.Tensor:
    if t.shape[-2:] == (size, size):
        return t.contiguous()
    out = fn.interpolate(t[None], size=(size, size), mode="bilinear", antialias=True)
    return out[0]


def _height_scale(scans: Sequence[Scan]) -> float:
    spreads = [float(np.std(s.height - np.median(s.height))) for s in scans if s.height is not None]
    return float(np.median(spreads)) + 1e-6


def _features(
    pixels: torch.Tensor,
    heights: torch.Tensor | None,
    settings: Settings,
    tell: Progress | None,
    *,
    batch: int = 16,
) -> torch.Tensor:
    out = []
    blocks, margin = settings.blocks, settings.margin
    with torch.no_grad():
        for start in range(0, len(pixels), batch):
            f = backbone.extract(pixels[start : start + batch], blocks, margin=margin)
            if heights is not None:
                h = heights[start : start + batch]
                f = torch.cat([f, backbone.extract(h, blocks, margin=margin)], 1)
            out.append(f)
            if tell:
                tell("features", min(start + batch, len(pixels)), len(pixels))
    return torch.cat(out)


def _standardise(feats: torch.Tensor, centre: torch.Tensor, spread: torch.Tensor) -> torch.Tensor:
    return (feats - centre[None, :, None, None]) / spread[None, :, None, None]


def _bank_map(
    bank: MemoryBank, feats: torch.Tensor, exclude: int | Sequence[int] | None = None
) -> torch.Tensor:
    b, c, h, w = feats.shape
    flat = feats.permute(0, 2, 3, 1).reshape(-1, c)
    return bank.distances(flat, exclude=exclude).reshape(b, h, w)


def _head_input(feats: torch.Tensor, bank_map: torch.Tensor) -> torch.Tensor:
    return torch.cat([feats, bank_map[:, None]], dim=1)


def _gaussian(maps: torch.Tensor, sigma: float) -> torch.Tensor:
    if sigma <= 0:
        return maps
    radius = max(1, int(np.ceil(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(x**2) / (2 * sigma**2))
    k = k / k.sum()
    padded = fn.pad(maps, (radius, radius, radius, radius), mode="replicate")
    out = fn.conv2d(padded, k.view(1, 1, 1, -1))
    return fn.conv2d(out, k.view(1, 1, -1, 1))


def _train_head(
    inspector: VisionInspector,
    pixels: torch.Tensor,
    heights: torch.Tensor | None,
    feats: torch.Tensor,
    loo: list[torch.Tensor],
    apart: list[list[int]],
    learn: list[int],
    rng: np.random.Generator,
    tell: Progress,
) -> SegmentationHead:
    """Train the head; ``loo`` holds each normal image's bank map without its own patches
    (what the head reads at scoring time for a new normal image)."""
    settings = inspector.settings
    torch.manual_seed(settings.seed)
    head = SegmentationHead(feats.shape[1] + 1, settings.head_width)
    optimiser = torch.optim.AdamW(head.parameters(), lr=5e-3, weight_decay=1e-4)
    side = feats.shape[-1]
    for step in range(settings.head_steps):
        picks = [int(v) for v in rng.choice(learn, settings.batch)]
        normal = picks[: settings.batch // 2]
        faulty = picks[settings.batch // 2 :]
        made = [_synthetic(inspector, pixels, heights, i, learn, rng) for i in faulty]
        with torch.no_grad():
            f_bad = inspector.features(
                torch.stack([m[0] for m in made]),
                torch.stack([m[1] for m in made]) if heights is not None else None,
            )
            f_all = torch.cat([feats[normal], f_bad])
            made_maps = [
                _bank_map(inspector.bank, f_bad[j : j + 1], exclude=apart[o])[0]
                for j, o in enumerate(faulty)
            ]
            bank = torch.stack([loo[i] for i in normal] + made_maps)
        masks = torch.stack([m[2] for m in made])
        target = torch.cat(
            [
                torch.zeros(len(normal), side, side),
                _cell_target(masks, side),
            ]
        )
        head.train()
        loss = focal_loss(head(_head_input(f_all, bank / inspector.bank_scale)), target)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        tell("head", step + 1, settings.head_steps)
    head.eval()
    return head


def _cell_target(masks: torch.Tensor, side: int) -> torch.Tensor:
    """A feature cell counts as anomalous in proportion to its anomalous area, fully from a
    quarter of it (a thin scratch through a cell is a defect there)."""
    share = fn.adaptive_avg_pool2d(masks[:, None], side)[:, 0]
    return (share / 0.25).clamp(max=1.0)


def _synthetic(
    inspector: VisionInspector,
    pixels: torch.Tensor,
    heights: torch.Tensor | None,
    index: int,
    learn: list[int],
    rng: np.random.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    donor = int(rng.choice(learn))
    image = pixels[index].permute(1, 2, 0).numpy()
    height = heights[index, 0].numpy() if heights is not None else None
    out, new_height, mask = anomaly(
        rng, image, pixels[donor].permute(1, 2, 0).numpy(), height, grey=inspector.grey
    )
    h = (
        torch.from_numpy(np.clip(new_height, 0, 1))[None].expand(3, -1, -1)
        if new_height is not None
        else torch.zeros(0)
    )
    return (
        torch.from_numpy(out).permute(2, 0, 1).contiguous(),
        h.contiguous(),
        torch.from_numpy(mask),
    )


def _split(
    twins: list[list[int]], share: float, rng: np.random.Generator
) -> tuple[list[int], list[int]]:
    """``(held, learn)`` image indices, about ``share`` of them held out of the head's
    training to calibrate on; near-duplicates stay on one side (a head that learned an
    image's twin scores it too well), unless one group holds more than half the images."""
    n = len(twins)
    group = list(range(n))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, found in enumerate(twins):
        for j in found:
            group[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    members = list(groups.values())
    if max(len(g) for g in members) > n / 2:
        members = [[i] for i in range(n)]
    want = max(MIN_HELD, round(share * n))
    held: list[int] = []
    for k in rng.permutation(len(members)):
        if len(held) >= want:
            break
        if len(held) + len(members[int(k)]) <= max(want, n - MIN_HELD):
            held.extend(members[int(k)])
    return sorted(held), sorted(set(range(n)) - set(held))
