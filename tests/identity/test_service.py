"""Users, passwords (argon2), tokens and API keys."""

from __future__ import annotations

import pytest

from openfab.errors import Conflict, Forbidden, Unauthorized
from openfab.identity.actor import Actor, Role
from openfab.identity.orm import UserRow
from openfab.identity.schemas import TenantCreate, UserCreate
from openfab.platform import Platform
from openfab.store.tenancy import Scope
from tests.conftest import PASSWORD, TenantPeople


def test_login_returns_a_token_that_names_the_user_and_tenant(
    platform: Platform, tenant: TenantPeople
) -> None:
    token = platform.identity.login(f"ALICE@{tenant.tenant_id}.example.com", PASSWORD)
    actor = platform.identity.actor_from_token(token.access_token)
    assert actor.user_id == tenant.alice.user_id
    assert actor.tenant_id == tenant.tenant_id
    assert actor.roles == {Role.CUSTOMER}


def test_passwords_are_stored_as_argon2_hashes(platform: Platform, tenant: TenantPeople) -> None:
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        row = uow.session.get(UserRow, tenant.alice.user_id)
        assert row is not None
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@{t}.example.com", "wrong-password"),  # wrong password
        ("nobody@{t}.example.com", PASSWORD),  # unknown user
    ],
)
def test_bad_logins_are_refused_alike(
    platform: Platform, tenant: TenantPeople, email: str, password: str
) -> None:
    with pytest.raises(Unauthorized, match="wrong e-mail or password"):
        platform.identity.login(email.format(t=tenant.tenant_id), password)


def test_a_forged_token_is_refused(platform: Platform) -> None:
    with pytest.raises(Unauthorized):
        platform.identity.actor_from_token("eyJhbGciOiJIUzI1NiJ9.e30.bad-signature")


def test_api_keys_authenticate_and_are_stored_hashed(
    platform: Platform, tenant: TenantPeople
) -> None:
    issued = platform.identity.issue_api_key(tenant.planner, "line-3 integration")
    actor = platform.identity.actor_from_api_key(issued.key)
    assert (actor.user_id, actor.tenant_id) == (tenant.planner.user_id, tenant.tenant_id)
    with pytest.raises(Unauthorized):
        platform.identity.actor_from_api_key(issued.key[:-2] + "xx")
    with pytest.raises(Unauthorized):
        platform.identity.actor_from_api_key("not-a-key")


def test_only_admins_add_users_and_only_to_their_own_tenant(
    platform: Platform, tenant: TenantPeople
) -> None:
    new = UserCreate(email=f"op@{tenant.tenant_id}.example.com", full_name="Op", password=PASSWORD)
    with pytest.raises(Forbidden):
        platform.identity.create_user(tenant.planner, new)
    created = platform.identity.create_user(tenant.admin, new, tenant_id="someone-else")
    assert created.tenant_id == tenant.tenant_id  # the tenant comes from the credentials


def test_duplicate_emails_and_tenants_conflict(platform: Platform, tenant: TenantPeople) -> None:
    again = UserCreate(
        email=f"alice@{tenant.tenant_id}.example.com", full_name="A", password=PASSWORD
    )
    with pytest.raises(Conflict):
        platform.identity.create_user(tenant.admin, again)
    with pytest.raises(Conflict):
        platform.identity.create_tenant(
            Actor.system("t"), TenantCreate(id=tenant.tenant_id, name="again")
        )


def test_a_tenant_user_cannot_create_tenants(platform: Platform, tenant: TenantPeople) -> None:
    with pytest.raises(Forbidden):
        platform.identity.create_tenant(tenant.admin, TenantCreate(id="evil-corp", name="Evil"))
