"""A promise-date estimate for a configuration not yet ordered (the configurator's preview).

The order service computes it with the same pieces as a placed order (routing load, lead
time, ``estimate_promise``) against the plant's open load, so the preview agrees with the
date an order would get.
"""

from __future__ import annotations

from datetime import datetime

from openfab.catalog.results import ConfiguredProduct
from openfab.platform import Platform


def estimate(platform: Platform, configured: ConfiguredProduct, quantity: int) -> datetime:
    return platform.orders.preview_promise(configured, quantity)
