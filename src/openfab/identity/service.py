"""Tenants, users and credentials. Everything here acts through a unit of work."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from openfab.errors import Conflict, Forbidden, NotFound, Unauthorized
from openfab.identity import security
from openfab.identity.actor import Actor, Role
from openfab.identity.orm import ApiKeyRow, PlatformSecret, TenantRow, UserRow
from openfab.identity.schemas import (
    ApiKeyIssued,
    CustomerSignup,
    TenantCreate,
    TenantPublic,
    Token,
    UserCreate,
    UserPublic,
    UsersPublic,
)
from openfab.settings import Settings
from openfab.store import Database
from openfab.store.types import utcnow


class IdentityService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._secret: str | None = None

    # -- tenants ---------------------------------------------------------------------------
    def create_tenant(self, actor: Actor, data: TenantCreate) -> TenantPublic:
        if not (actor.platform_admin or actor.is_system):
            raise Forbidden("only a platform administrator creates tenants")
        with self.db.unit(tenant_id=None, actor=actor.name) as uow:
            if uow.session.get(TenantRow, data.id) is not None:
                raise Conflict(f"tenant {data.id!r} already exists")
            row = TenantRow(id=data.id, name=data.name)
            uow.session.add(row)
            uow.session.flush()
            uow.record("tenant.created", "tenant", row.id, data.model_dump(), tenant_id=row.id)
            return TenantPublic.model_validate(row)

    def get_tenant(self, actor: Actor) -> TenantPublic:
        tenant_id = actor.require_tenant()
        with self.db.unit(tenant_id=None, actor=actor.name, readonly=True) as uow:
            row = uow.session.get(TenantRow, tenant_id)
            if row is None:
                raise NotFound(f"tenant {tenant_id!r} not found")
            return TenantPublic.model_validate(row)

    def tenant_exists(self, tenant_id: str) -> bool:
        with self.db.unit(tenant_id=None, actor="system:identity", readonly=True) as uow:
            return uow.session.get(TenantRow, tenant_id) is not None

    # -- users -----------------------------------------------------------------------------
    def create_user(
        self, actor: Actor, data: UserCreate, *, tenant_id: str | None = None
    ) -> UserPublic:
        """An admin adds a user to their own tenant; the platform may name any tenant."""
        if actor.platform_admin or actor.is_system:
            tenant = tenant_id or actor.require_tenant()
        else:
            actor.require(Role.ADMIN)
            tenant = actor.require_tenant()
        return self._add_user(actor.name, tenant, data)

    def signup_customer(self, tenant_id: str, data: CustomerSignup) -> UserPublic:
        """A customer registers at a brand's shop; the role is always ``customer``."""
        if not self.tenant_exists(tenant_id):
            raise NotFound(f"tenant {tenant_id!r} not found")
        user = UserCreate(**data.model_dump(), roles=[Role.CUSTOMER])
        return self._add_user(f"signup:{data.email}", tenant_id, user)

    def _add_user(self, actor_name: str, tenant_id: str, data: UserCreate) -> UserPublic:
        row = UserRow(
            tenant_id=tenant_id,
            email=data.email,
            full_name=data.full_name,
            password_hash=security.hash_password(data.password),
            roles=sorted({str(r) for r in data.roles}),
        )
        try:
            with self.db.unit(tenant_id=tenant_id, actor=actor_name) as uow:
                uow.session.add(row)
                uow.session.flush()
                payload = {"email": row.email, "roles": row.roles}
                uow.record("user.created", "user", row.id, payload)
                return UserPublic.model_validate(row)
        except IntegrityError as exc:
            raise Conflict(f"a user with e-mail {data.email!r} already exists") from exc

    def list_users(self, actor: Actor) -> UsersPublic:
        actor.require(Role.ADMIN)
        with self.db.unit(tenant_id=actor.require_tenant(), actor=actor.name, readonly=True) as u:
            rows = u.session.scalars(select(UserRow).order_by(UserRow.email)).all()
            return UsersPublic(data=[UserPublic.model_validate(r) for r in rows], count=len(rows))

    def count_users(self) -> int:
        with self.db.unit(tenant_id=None, actor="system:identity", readonly=True) as uow:
            return int(uow.session.scalar(select(func.count()).select_from(UserRow)) or 0)

    # -- credentials -----------------------------------------------------------------------
    def login(self, email: str, password: str) -> Token:
        with self.db.unit(tenant_id=None, actor="system:login", readonly=True) as uow:
            row = uow.session.scalar(select(UserRow).where(UserRow.email == email.lower()))
            stored = row.password_hash if row else security.DUMMY_HASH
            valid = security.verify_password(stored, password)
            if row is None or not valid or not row.active:
                raise Unauthorized("wrong e-mail or password")
            claims = security.TokenClaims(user_id=row.id, tenant_id=row.tenant_id)
        minutes = self.settings.access_token_minutes
        token = security.issue_token(claims, self.secret(), now=utcnow(), minutes=minutes)
        return Token(access_token=token, expires_in=minutes * 60)

    def actor_from_token(self, token: str) -> Actor:
        claims = security.read_token(token, self.secret())
        return self._actor_for_user(claims.user_id, claims.tenant_id)

    def issue_api_key(self, actor: Actor, name: str) -> ApiKeyIssued:
        if actor.user_id is None:
            raise Forbidden("API keys belong to users")
        key_id, plaintext, key_hash = security.new_api_key()
        with self.db.unit(tenant_id=actor.require_tenant(), actor=actor.name) as uow:
            uow.session.add(
                ApiKeyRow(id=key_id, user_id=actor.user_id, name=name, key_hash=key_hash)
            )
            uow.record("api_key.issued", "api_key", key_id, {"name": name})
        return ApiKeyIssued(id=key_id, name=name, key=plaintext)

    def actor_from_api_key(self, plaintext: str) -> Actor:
        key_id = security.split_api_key(plaintext)
        with self.db.unit(tenant_id=None, actor="system:auth", readonly=True) as uow:
            row = uow.session.get(ApiKeyRow, key_id)
            if row is None or row.revoked_at is not None:
                raise Unauthorized("unknown or revoked API key")
            if not security.api_key_matches(row.key_hash, plaintext):
                raise Unauthorized("unknown or revoked API key")
            user_id, tenant_id = row.user_id, row.tenant_id
        return self._actor_for_user(user_id, tenant_id)

    def _actor_for_user(self, user_id: str, tenant_id: str) -> Actor:
        with self.db.unit(tenant_id=tenant_id, actor="system:auth", readonly=True) as uow:
            row = uow.session.get(UserRow, user_id)
            if row is None or not row.active:
                raise Unauthorized("user no longer exists or is disabled")
            return Actor(
                name=f"user:{row.email}",
                tenant_id=row.tenant_id,
                user_id=row.id,
                roles=frozenset(Role(r) for r in row.roles),
                platform_admin=row.platform_admin,
            )

    def secret(self) -> str:
        """The token-signing secret: from the environment, else generated once per database."""
        if self.settings.jwt_secret is not None:
            return self.settings.jwt_secret.get_secret_value()
        if self._secret is None:
            self._secret = self._stored_secret()
        return self._secret

    def _stored_secret(self) -> str:
        with self.db.unit(tenant_id=None, actor="system:identity") as uow:
            row = uow.session.get(PlatformSecret, "jwt")
            if row is None:
                row = PlatformSecret(name="jwt", value=secrets.token_urlsafe(48))
                uow.session.add(row)
            return row.value
