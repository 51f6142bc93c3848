"""A promise-date estimate for a configuration not yet ordered (the configurator's preview).

It uses the order service's own pure pieces (routing load, lead time, ``estimate_promise``)
against the plant's open load, so the preview agrees with the date an order would get.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from openfab.catalog.results import ConfiguredProduct
from openfab.orders.orm import OrderLoadRow
from openfab.orders.promise import CapacityView, estimate_promise
from openfab.orders.service import routing_load, wait_days
from openfab.platform import Platform
from openfab.store.types import utcnow


def estimate(platform: Platform, configured: ConfiguredProduct, quantity: int) -> datetime:
    with platform.db.unit(tenant_id=None, actor="system:web", readonly=True) as uow:
        open_load = {
            str(wc): float(m)
            for wc, m in uow.session.execute(
                select(OrderLoadRow.work_center, func.sum(OrderLoadRow.minutes)).group_by(
                    OrderLoadRow.work_center
                )
            ).all()
        }
    per_day = {
        wc.code: wc.machines * wc.hours_per_day * 60
        for wc in platform.orders.reference().work_centers.values()
    }
    promise = estimate_promise(
        now=utcnow(),
        load=routing_load(configured, quantity),
        capacity=CapacityView(minutes_per_day=per_day, open_load=open_load),
        material_days=wait_days(configured),
    )
    return promise.promise_date
