"""The catalog service: products per tenant, plant reference data, configuration.

Definitions are checked by the pure engine before they are stored; configurators are built
once per product revision and cached (revisions never change), shared by every revision with
the same definition and material costs (each brand's copy of a sample product). The current
revision of each tenant's product is remembered too: forgotten when this service adds a
revision, and trusted for at most ``HANDLE_SECONDS`` so another process's revision is seen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select

from openfab.catalog.configurator import Configurator, ConfiguredProduct, OptionsLeft, Validation
from openfab.catalog.definition import Material, ProductDefinition, WorkCenter, parse_product
from openfab.catalog.orm import MaterialRow, ProductRevisionRow, ProductRow, WorkCenterRow
from openfab.catalog.sample import load_sample_catalog
from openfab.catalog.schemas import ProductCreate, ProductDetail, ProductPublic, ProductsPublic
from openfab.errors import Conflict, NotFound, ProblemCollector
from openfab.identity.actor import Actor, Role
from openfab.store import Database, UnitOfWork
from openfab.store.tenancy import Scope

PRODUCT_EDITORS = (Role.ADMIN, Role.ENGINEER)


REFERENCE_SECONDS = 2.0
"""How long a read of the plant's reference data serves (another process's capacity change
shows within this)."""


@dataclass(frozen=True)
class PlantReference:
    """The shared plant's work centers and materials, keyed by code."""

    work_centers: Mapping[str, WorkCenter]
    materials: Mapping[str, Material]


@dataclass(frozen=True)
class ProductHandle:
    """A product revision and its configurator, as the order service needs them."""

    code: str
    revision: int
    configurator: Configurator
    status: str = "Active"  # a Draft product (a promoted idea) cannot be ordered yet


MAX_MACHINES = 500
"""More machines in one work center than any plant has: a typo, not a purchase."""
HANDLE_SECONDS = 2.0
"""How long a product's current revision is reused without reading it again."""
MAX_CACHED = 256


class CatalogService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._configurators: dict[str, Configurator] = {}
        self._by_content: dict[Hashable, Configurator] = {}
        self._handles: dict[tuple[str, str], tuple[float, ProductHandle]] = {}
        self._reference: tuple[float, PlantReference] | None = None

    # -- plant reference data ----------------------------------------------------------------
    def install_reference_data(self, actor: Actor) -> PlantReference:
        """Load the sample plant's work centers and materials where missing (idempotent: a
        plant's own capacity and costs, once set, are never reset by a later install)."""
        sample = load_sample_catalog()
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            centers = set(uow.session.scalars(select(WorkCenterRow.code)))
            materials = set(uow.session.scalars(select(MaterialRow.code)))
            uow.session.add_all(
                WorkCenterRow(
                    code=wc.code, name=wc.name, machines=wc.machines, hours_per_day=wc.hours_per_day
                )
                for wc in sample.work_centers.values()
                if wc.code not in centers
            )
            uow.session.add_all(
                MaterialRow(
                    code=m.code,
                    name=m.name,
                    unit=m.unit,
                    unit_cost=m.unit_cost,
                    lead_time_days=m.lead_time_days,
                )
                for m in sample.materials.values()
                if m.code not in materials
            )
        self._reference = None
        return self.reference()

    def set_capacity(
        self, actor: Actor, capacity: Mapping[str, tuple[int, float]]
    ) -> PlantReference:
        """Change work centers' machine counts and planned hours a day (machines bought or
        retired, a third shift added): ``{code: (machines, hours_per_day)}``; all or nothing,
        every problem named."""
        actor.require_plant(Role.PLANT_ADMIN)
        errors = ProblemCollector()
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            rows = {r.code: r for r in uow.session.scalars(select(WorkCenterRow))}
            for code, (machines, hours) in sorted(capacity.items()):
                if code not in rows:
                    errors.add(code, "unknown work center", "unknown")
                if not 1 <= machines <= MAX_MACHINES:
                    errors.add(f"{code}.machines", f"must be 1..{MAX_MACHINES}, got {machines}")
                if not 0 < hours <= 24:
                    errors.add(f"{code}.hours_per_day", f"must be in (0, 24], got {hours}")
            errors.raise_if_any("invalid work center capacity")
            for code, (machines, hours) in capacity.items():
                rows[code].machines, rows[code].hours_per_day = machines, hours
            uow.record(
                "plant.capacity_changed",
                "plant",
                "work_centers",
                {
                    code: {"machines": m, "hours_per_day": h}
                    for code, (m, h) in sorted(capacity.items())
                },
            )
        self._reference = None
        return self.reference()

    def reference(self) -> PlantReference:
        """The plant's work centers and materials, kept ``REFERENCE_SECONDS`` (a page asks
        several times; this process's own changes drop it at once)."""
        kept = self._reference
        if kept is not None and time.monotonic() - kept[0] < REFERENCE_SECONDS:
            return kept[1]
        read = self._read_reference()
        self._reference = (time.monotonic(), read) if read.work_centers else None
        return read

    def _read_reference(self) -> PlantReference:
        with self.db.unit(Scope.plant(), actor="system:catalog", readonly=True) as uow:
            centers = uow.session.scalars(select(WorkCenterRow)).all()
            materials = uow.session.scalars(select(MaterialRow)).all()
            return PlantReference(
                work_centers={
                    r.code: WorkCenter(r.code, r.name, r.machines, r.hours_per_day) for r in centers
                },
                materials={
                    r.code: Material(r.code, r.name, r.unit, r.unit_cost, r.lead_time_days)
                    for r in materials
                },
            )

    def install_sample_products(
        self, actor: Actor, codes: Collection[str] | None = None
    ) -> list[ProductPublic]:
        """Publish the sample fridge, washer and battery pack (or only ``codes``) for the
        actor's tenant: a brand sells its own products, not every sample."""
        self.install_reference_data(Actor.system("catalog"))
        existing = {p.code for p in self.list_products(actor).data}
        installed: list[ProductPublic] = []
        for code, raw in load_sample_catalog().product_documents.items():
            if code not in existing and (codes is None or code in codes):
                installed.append(self.create_product(actor, ProductCreate(definition=raw)))
        return installed

    # -- products --------------------------------------------------------------------------
    def _parse(self, raw: dict[str, Any], ref: PlantReference | None = None) -> ProductDefinition:
        ref = ref or self.reference()
        return parse_product(raw, materials=ref.materials, work_centers=ref.work_centers)

    def create_product(self, actor: Actor, data: ProductCreate) -> ProductDetail:
        actor.require(*PRODUCT_EDITORS)
        definition = self._parse(data.definition)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            if self._find(uow, definition.code) is not None:
                raise Conflict(f"product {definition.code!r} already exists")
            row = ProductRow(
                code=definition.code,
                name=definition.name,
                family=definition.family,
                revision=1,
            )
            uow.session.add(row)
            uow.session.flush()
            return self._add_revision(uow, row, data)

    def revise_product(self, actor: Actor, code: str, data: ProductCreate) -> ProductDetail:
        """Add a new revision; orders already placed keep the revision they were made from."""
        actor.require(*PRODUCT_EDITORS)
        definition = self._parse(data.definition)
        if definition.code != code:
            raise Conflict(f"definition is for {definition.code!r}, not {code!r}")
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            row = self._get(uow, code)
            row.revision += 1
            row.name, row.family = definition.name, definition.family
            return self._add_revision(uow, row, data)

    def revise_in(self, uow: UnitOfWork, actor: Actor, code: str, note: str) -> ProductDetail:
        """A new revision of the current definition with ``note`` on its record, inside the
        caller's transaction (the lab releases a design and records its origin atomically)."""
        actor.require(*PRODUCT_EDITORS)
        row = self._get(uow, code)
        definition = self._revision(uow, row).definition
        row.revision += 1
        return self._add_revision(uow, row, ProductCreate(definition=definition, note=note[:500]))

    def _add_revision(self, uow: UnitOfWork, row: ProductRow, data: ProductCreate) -> ProductDetail:
        self.forget(uow, row.code)
        revision = ProductRevisionRow(
            product_id=row.id, revision=row.revision, definition=data.definition, note=data.note
        )
        uow.session.add(revision)
        uow.session.flush()
        kind = "product.created" if row.revision == 1 else "product.revised"
        uow.record(kind, "product", row.id, {"code": row.code, "revision": row.revision})
        return ProductDetail(
            **ProductPublic.model_validate(row).model_dump(), definition=data.definition
        )

    def list_products(self, actor: Actor) -> ProductsPublic:
        with self.db.unit(
            Scope.tenant(actor.require_tenant()), actor=actor.name, readonly=True
        ) as u:
            rows = u.session.scalars(select(ProductRow).order_by(ProductRow.code)).all()
            data = [ProductPublic.model_validate(r) for r in rows]
        return ProductsPublic(data=data, count=len(data))

    def get_product(self, actor: Actor, code: str) -> ProductDetail:
        with self.db.unit(
            Scope.tenant(actor.require_tenant()), actor=actor.name, readonly=True
        ) as u:
            row = self._get(u, code)
            revision = self._revision(u, row)
            return ProductDetail(
                **ProductPublic.model_validate(row).model_dump(), definition=revision.definition
            )

    def handle(self, actor: Actor, code: str) -> ProductHandle:
        """The current revision's configurator (built once per revision)."""
        tenant = actor.require_tenant()
        found = self._remembered(tenant, code)
        if found is not None:
            return found
        with self.db.unit(Scope.tenant(tenant), actor=actor.name, readonly=True) as u:
            return self.handle_in(u, code)

    def handle_in(self, uow: UnitOfWork, code: str) -> ProductHandle:
        """As ``handle``, inside the caller's transaction (one round trip fewer per order)."""
        tenant = uow.tenant_id
        found = self._remembered(tenant, code) if tenant is not None else None
        if found is not None:
            return found
        row = self._get(uow, code)
        revision_id = uow.session.scalars(
            select(ProductRevisionRow.id).where(
                ProductRevisionRow.product_id == row.id,
                ProductRevisionRow.revision == row.revision,
            )
        ).one()
        configurator = self._configurators.get(revision_id) or self._configurator(
            revision_id, self._revision(uow, row).definition
        )
        handle = ProductHandle(
            code=code, revision=row.revision, configurator=configurator, status=row.status
        )
        if tenant is not None:
            if len(self._handles) >= MAX_CACHED:
                self._handles.clear()
            self._handles[(tenant, code)] = (time.monotonic() + HANDLE_SECONDS, handle)
        return handle

    def _remembered(self, tenant: str, code: str) -> ProductHandle | None:
        found = self._handles.get((tenant, code))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def forget(self, uow: UnitOfWork, code: str) -> None:
        """Drop the remembered current revision of ``code`` now and when ``uow`` commits
        (a read between the two must not keep the old revision)."""
        key = (uow.tenant_id or "", code)
        self._handles.pop(key, None)
        event.listen(uow.session, "after_commit", lambda _s: self._handles.pop(key, None))

    # -- configuration ---------------------------------------------------------------------
    def validate(self, actor: Actor, code: str, choices: Mapping[str, Any]) -> Validation:
        return self.handle(actor, code).configurator.validate(choices)

    def configure(self, actor: Actor, code: str, choices: Mapping[str, Any]) -> ConfiguredProduct:
        return self.handle(actor, code).configurator.configure(choices)

    def options_left(self, actor: Actor, code: str, choices: Mapping[str, Any]) -> OptionsLeft:
        return self.handle(actor, code).configurator.options_left(choices)

    def complete(self, actor: Actor, code: str, choices: Mapping[str, Any]) -> ConfiguredProduct:
        return self.handle(actor, code).configurator.complete(choices)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _find(uow: UnitOfWork, code: str) -> ProductRow | None:
        return uow.session.scalar(select(ProductRow).where(ProductRow.code == code))

    def _get(self, uow: UnitOfWork, code: str) -> ProductRow:
        row = self._find(uow, code)
        if row is None:
            raise NotFound(f"product {code!r} not found")
        return row

    @staticmethod
    def _revision(uow: UnitOfWork, row: ProductRow) -> ProductRevisionRow:
        return uow.session.scalars(
            select(ProductRevisionRow).where(
                ProductRevisionRow.product_id == row.id,
                ProductRevisionRow.revision == row.revision,
            )
        ).one()

    def _configurator(self, revision_id: str, raw: dict[str, Any]) -> Configurator:
        found = self._configurators.get(revision_id)
        if found is None:
            if len(self._configurators) >= MAX_CACHED:
                self._configurators.clear()
            ref = self.reference()  # one read serves parsing and costing
            content = (
                json.dumps(raw, sort_keys=True, default=str),
                tuple(sorted(ref.materials.items())),
            )
            found = self._by_content.get(content)
            if found is None:
                if len(self._by_content) >= MAX_CACHED:
                    self._by_content.clear()
                found = self._by_content[content] = Configurator(
                    self._parse(raw, ref), materials=ref.materials
                )
            self._configurators[revision_id] = found
        return found
