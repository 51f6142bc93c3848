"""Model files: one ``torch.save`` archive of tensors, state dicts and a JSON string.

No pickled objects: loading uses ``weights_only=True``, so a crafted file cannot run code,
and every field is checked before it is used. ``FORMAT`` and ``VERSION`` tell a model file
of this version from anything else; another version is refused by name, never misread.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from openfab.errors import InvalidInput, Problem
from openfab.quality.vision.calibration import Calibration
from openfab.quality.vision.head import SegmentationHead
from openfab.quality.vision.inspector import Normaliser, Settings, VisionInspector
from openfab.quality.vision.memory import MemoryBank

FORMAT = "openfab.quality.vision"
VERSION = 2  # 2: ReLU6 backbone features (1 ran swish), smaller bank and head


def save(inspector: VisionInspector, path: Path) -> None:
    """Write ``inspector`` to ``path`` (replaced atomically)."""
    head = inspector.head
    payload: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "meta": json.dumps(inspector.describe()),
        "bank": inspector.bank.features,
        "owners": inspector.bank.owners,
        "centre": inspector.centre,
        "spread": inspector.spread,
        "head": head.state_dict() if head is not None else {},
        "head_shape": [head.channels, head.width] if head is not None else [],
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load(path: Path) -> VisionInspector:
    """Read a model file written by :func:`save` of this version."""
    payload = _read(path)
    try:
        meta = json.loads(payload["meta"])
        settings = Settings(**_tuples(meta["settings"]))
        head = None
        if payload["head_shape"]:
            channels, width = payload["head_shape"]
            head = SegmentationHead(channels, width)
            head.load_state_dict(payload["head"])
            head.eval()
        return VisionInspector(
            settings=settings,
            size=int(meta["size"]),
            three_d=bool(meta["three_d"]),
            grey=bool(meta["grey"]),
            bank=MemoryBank(payload["bank"], payload["owners"]),
            head=head,
            height_scale=float(meta["height_scale"]),
            normalisers={n: Normaliser(**v) for n, v in meta["normalisers"].items()},
            calibration=Calibration(**meta["calibration"]),
            bank_scale=float(meta["bank_scale"]),
            centre=payload["centre"],
            spread=payload["spread"],
            info=dict(meta.get("info", {})),
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise _bad(path, f"damaged model file ({type(exc).__name__}: {exc})") from None


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise _bad(path, "no such file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, OSError):
        raise _bad(path, "not an OpenFab vision model file") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise _bad(path, "not an OpenFab vision model file")
    if payload.get("version") != VERSION:
        found = payload.get("version")
        raise _bad(path, f"model file version {found}; this OpenFab reads version {VERSION}")
    return payload


def _tuples(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}


def _bad(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(f"cannot load model {path}", [Problem(str(path), reason)])
