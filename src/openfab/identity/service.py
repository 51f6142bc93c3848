"""Tenants, users and credentials. Everything here acts through a unit of work."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from openfab.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem, Unauthorized
from openfab.identity import security
from openfab.identity.actor import BRAND_ROLES, PLANT, PLANT_ROLES, Actor, Role
from openfab.identity.orm import ApiKeyRow, PlatformSecret, TenantRow, UserRow
from openfab.identity.schemas import (
    ApiKeyIssued,
    ApiKeyPublic,
    ApiKeysPublic,
    CustomerSignup,
    SignupAccepted,
    TenantCreate,
    TenantPublic,
    Token,
    UserCreate,
    UserPublic,
    UsersPublic,
)
from openfab.identity.throttle import LoginThrottle
from openfab.settings import Settings
from openfab.store import Database
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow


def _check_roles(tenant_id: str, roles: Iterable[Role]) -> None:
    """Plant staff hold plant roles only and a brand's users brand roles only: no brand user
    can be made an operator of the shared plant."""
    allowed = PLANT_ROLES if tenant_id == PLANT else BRAND_ROLES
    wrong = sorted(set(roles) - allowed)
    if wrong:
        who = "the plant's staff" if tenant_id == PLANT else "a brand's users"
        raise InvalidInput(
            "roles not allowed here",
            [Problem("roles", f"{', '.join(wrong)}: not a role of {who}", "role")],
        )


def _manages_keys(actor: Actor) -> bool:
    """A brand's admin manages every key of the brand, the plant admin every key of the plant."""
    return bool(actor.roles & {Role.ADMIN, Role.PLANT_ADMIN})


def _key_public(row: ApiKeyRow, owner: str) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=row.id,
        name=row.name,
        owner=owner,
        last_four=row.last_four,
        can_issue_keys=row.can_issue_keys,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class IdentityService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._secret: str | None = None
        self.throttle = LoginThrottle(
            db,
            per_account=settings.login_failures_per_account,
            per_address=settings.login_failures_per_address,
            window_seconds=settings.login_window_seconds,
        )

    # -- tenants ---------------------------------------------------------------------------
    def create_tenant(self, actor: Actor, data: TenantCreate) -> TenantPublic:
        plant_admin = actor.is_plant and Role.PLANT_ADMIN in actor.roles
        if not (actor.platform_admin or actor.is_system or plant_admin):
            raise Forbidden("only the plant's administrator creates tenants")
        if data.id == PLANT:
            raise Conflict(f"{PLANT!r} is reserved for the plant's own staff")
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            if uow.session.get(TenantRow, data.id) is not None:
                raise Conflict(f"tenant {data.id!r} already exists")
            row = TenantRow(id=data.id, name=data.name)
            uow.session.add(row)
            uow.session.flush()
            uow.record("tenant.created", "tenant", row.id, data.model_dump(), tenant_id=row.id)
            return TenantPublic.model_validate(row)

    def get_tenant(self, actor: Actor) -> TenantPublic:
        tenant_id = actor.tenant_id or PLANT
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            row = uow.session.get(TenantRow, tenant_id)
            if row is None:
                raise NotFound(f"tenant {tenant_id!r} not found")
            return TenantPublic.model_validate(row)

    def tenant_exists(self, tenant_id: str) -> bool:
        with self.db.unit(Scope.plant(), actor="system:identity", readonly=True) as uow:
            return uow.session.get(TenantRow, tenant_id) is not None

    # -- users -----------------------------------------------------------------------------
    def create_user(
        self, actor: Actor, data: UserCreate, *, tenant_id: str | None = None
    ) -> UserPublic:
        """A brand's admin adds a user to the brand, the plant admin plant staff; the platform
        may name any tenant. Brand users hold brand roles only, plant staff plant roles."""
        if actor.platform_admin or actor.is_system:
            tenant = tenant_id or actor.tenant_id or PLANT
        elif actor.is_plant:
            actor.require(Role.PLANT_ADMIN)
            tenant = PLANT
        else:
            actor.require(Role.ADMIN)
            tenant = actor.require_tenant()
        return self._add_user(actor.name, tenant, data)

    def signup_customer(self, tenant_id: str, data: CustomerSignup) -> SignupAccepted:
        """A customer registers at a brand's shop; the role is always ``customer``.

        The answer is the same whether the shop exists and whether the e-mail address is
        taken, and so is the work (one password hash), so neither can be probed."""
        if tenant_id == PLANT or not self.tenant_exists(tenant_id):
            security.hash_password(data.password)  # as long as a signup takes
            return SignupAccepted()
        user = UserCreate(**data.model_dump(), roles=[Role.CUSTOMER])
        try:
            self._add_user(f"signup:{data.email}", tenant_id, user)
        except Conflict:
            pass  # the address is taken (here or at another shop): say nothing of it
        return SignupAccepted()

    def _add_user(self, actor_name: str, tenant_id: str, data: UserCreate) -> UserPublic:
        _check_roles(tenant_id, data.roles)
        row = UserRow(
            tenant_id=tenant_id,
            email=data.email,
            full_name=data.full_name,
            password_hash=security.hash_password(data.password),
            roles=sorted({str(r) for r in data.roles}),
        )
        try:
            with self.db.unit(Scope.tenant(tenant_id), actor=actor_name) as uow:
                uow.session.add(row)
                uow.session.flush()
                payload = {"email": row.email, "roles": row.roles}
                uow.record("user.created", "user", row.id, payload)
                return UserPublic.model_validate(row)
        except IntegrityError as exc:
            raise Conflict(f"a user with e-mail {data.email!r} already exists") from exc

    def list_users(self, actor: Actor) -> UsersPublic:
        """The users of the actor's brand, or the plant's staff (their admins only)."""
        actor.require(Role.PLANT_ADMIN if actor.is_plant else Role.ADMIN)
        scope = Scope.tenant(actor.tenant_id or PLANT)
        with self.db.unit(scope, actor=actor.name, readonly=True) as u:
            rows = u.session.scalars(select(UserRow).order_by(UserRow.email)).all()
            return UsersPublic(data=[UserPublic.model_validate(r) for r in rows], count=len(rows))

    def count_users(self) -> int:
        with self.db.unit(Scope.plant(), actor="system:identity", readonly=True) as uow:
            return int(uow.session.scalar(select(func.count()).select_from(UserRow)) or 0)

    # -- credentials -----------------------------------------------------------------------
    def login(self, email: str, password: str, *, client: str | None = None) -> Token:
        """A bearer token for the right e-mail and password; every wrong pair is refused alike.

        Throttled per account and per client address (``client``), across every process:
        after too many failures in the window, ``TooManyRequests`` until the window passes,
        before any password is checked and alike for known and unknown e-mail addresses."""
        email = email.strip().lower()
        attempt = self.throttle.attempt(email, client)
        with self.db.unit(Scope.plant(), actor="system:login", readonly=True) as uow:
            row = uow.session.scalar(select(UserRow).where(UserRow.email == email))
            stored = row.password_hash if row else security.DUMMY_HASH
            found = None if row is None or not row.active else (row.id, row.tenant_id)
        # an unknown e-mail is checked against DUMMY_HASH: the same time as a wrong password
        if not security.verify_password(stored, password) or found is None:
            raise Unauthorized("wrong e-mail or password")
        self.throttle.succeeded(attempt)
        claims = security.TokenClaims(user_id=found[0], tenant_id=found[1])
        minutes = self.settings.access_token_minutes
        token = security.issue_token(claims, self.secret(), now=utcnow(), minutes=minutes)
        return Token(access_token=token, expires_in=minutes * 60)

    def actor_from_token(self, token: str) -> Actor:
        claims = security.read_token(token, self.secret())
        return self._actor_for_user(claims.user_id, claims.tenant_id)

    def issue_api_key(
        self,
        actor: Actor,
        name: str,
        *,
        can_issue_keys: bool = False,
        via_key: str | None = None,
    ) -> ApiKeyIssued:
        """A new key acting as the actor, shown once. ``via_key``: the id of the API key that
        signed the request (``None``: a signed-in session). A key issues keys only when it was
        granted ``can_issue_keys``, and never grants it."""
        if actor.user_id is None:
            raise Forbidden("API keys belong to users")
        key_id, plaintext, key_hash = security.new_api_key()
        tenant = actor.tenant_id or PLANT
        with self.db.unit(Scope.tenant(tenant), actor=actor.name) as uow:
            if via_key is not None:
                self._require_key_manager(uow.session.get(ApiKeyRow, via_key), actor)
                if can_issue_keys:
                    raise Forbidden("only a signed-in session grants a key the right to issue keys")
            uow.session.add(
                ApiKeyRow(
                    id=key_id,
                    tenant_id=tenant,
                    user_id=actor.user_id,
                    name=name,
                    key_hash=key_hash,
                    last_four=security.last_four(plaintext),
                    can_issue_keys=can_issue_keys,
                )
            )
            payload = {"name": name, "can_issue_keys": can_issue_keys}
            uow.record("api_key.issued", "api_key", key_id, payload)
        return ApiKeyIssued(id=key_id, name=name, key=plaintext)

    def list_api_keys(self, actor: Actor) -> ApiKeysPublic:
        """The actor's own keys, newest first; a brand's admin (the plant admin) sees every key
        of the brand (of the plant). Never a key itself, only its last four characters."""
        tenant = actor.tenant_id or PLANT
        query = (
            select(ApiKeyRow, UserRow.email)
            .join(UserRow, UserRow.id == ApiKeyRow.user_id)
            .where(ApiKeyRow.tenant_id == tenant)
            .order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id)
        )
        if not _manages_keys(actor):
            if actor.user_id is None:
                raise Forbidden("API keys belong to users")
            query = query.where(ApiKeyRow.user_id == actor.user_id)
        with self.db.unit(Scope.tenant(tenant), actor=actor.name, readonly=True) as uow:
            keys = [_key_public(row, owner) for row, owner in uow.session.execute(query).all()]
        return ApiKeysPublic(data=keys, count=len(keys))

    def revoke_api_key(
        self, actor: Actor, key_id: str, *, via_key: str | None = None
    ) -> ApiKeyPublic:
        """Revoke one's own key, or (a brand's or the plant's admin) any key of the brand or
        plant: it stops working at once. A key may always revoke itself; another key needs a
        signed-in session or a key granted ``can_issue_keys``. Revoking twice changes nothing."""
        tenant = actor.tenant_id or PLANT
        with self.db.unit(Scope.tenant(tenant), actor=actor.name) as uow:
            row = uow.session.get(ApiKeyRow, key_id)
            mine = row is not None and actor.user_id is not None and row.user_id == actor.user_id
            if row is None or row.tenant_id != tenant or not (mine or _manages_keys(actor)):
                raise NotFound(f"API key {key_id!r} not found")
            if via_key is not None and via_key != key_id:
                self._require_key_manager(uow.session.get(ApiKeyRow, via_key), actor)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                payload = {"name": row.name, "user_id": row.user_id}
                uow.record("api_key.revoked", "api_key", row.id, payload)
            owner = uow.session.get(UserRow, row.user_id)
            return _key_public(row, owner.email if owner else "")

    @staticmethod
    def _require_key_manager(signer: ApiKeyRow | None, actor: Actor) -> None:
        """The key that signed a request may manage keys only when it was granted that."""
        if (
            signer is None
            or signer.revoked_at is not None
            or signer.user_id != actor.user_id
            or not signer.can_issue_keys
        ):
            raise Forbidden(
                "this API key may not manage API keys: sign in, or use a key granted it"
            )

    def actor_from_api_key(self, plaintext: str) -> Actor:
        key_id = security.split_api_key(plaintext)
        with self.db.unit(Scope.plant(), actor="system:auth", readonly=True) as uow:
            row = uow.session.get(ApiKeyRow, key_id)
            if row is None or row.revoked_at is not None:
                raise Unauthorized("unknown or revoked API key")
            if not security.api_key_matches(row.key_hash, plaintext):
                raise Unauthorized("unknown or revoked API key")
            user_id, tenant_id = row.user_id, row.tenant_id
        return self._actor_for_user(user_id, tenant_id)

    def _actor_for_user(self, user_id: str, tenant_id: str) -> Actor:
        with self.db.unit(Scope.tenant(tenant_id), actor="system:auth", readonly=True) as uow:
            row = uow.session.get(UserRow, user_id)
            if row is None or not row.active:
                raise Unauthorized("user no longer exists or is disabled")
            plant = row.tenant_id == PLANT
            return Actor(
                name=f"{'plant' if plant else 'user'}:{row.email}",
                tenant_id=None if plant else row.tenant_id,
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
        with self.db.unit(Scope.plant(), actor="system:identity") as uow:
            row = uow.session.get(PlatformSecret, "jwt")
            if row is None:
                row = PlatformSecret(name="jwt", value=secrets.token_urlsafe(48))
                uow.session.add(row)
            return row.value
