"""The application's start-up: what it built is kept out of the cyclic collector's full
passes (they paused a request for ~235 ms on a week's plant; see
``keep_out_of_full_collections``)."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform


def test_start_up_freezes_what_it_built(platform: Platform) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(platform)) as client:
        assert gc.get_freeze_count() > 10_000  # modules, the platform, templates
        assert client.get("/health").status_code == 200
