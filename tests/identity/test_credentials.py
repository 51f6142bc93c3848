"""Credentials: API keys listed and revoked, keys that may (or may not) issue keys, sign-in
throttling per account and per client address, and signups that reveal nothing."""

from __future__ import annotations

import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from openfab import clock
from openfab.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from openfab.identity import security
from openfab.identity.actor import PLANT
from openfab.identity.orm import LoginThrottleRow, UserRow
from openfab.identity.schemas import CustomerSignup, SignupAccepted
from openfab.identity.service import IdentityService
from openfab.identity.throttle import LoginThrottle
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store import Database
from openfab.store.events import EventRecord
from openfab.store.tenancy import Scope
from tests.conftest import PASSWORD, TenantPeople

WINDOW = 600


def email(tenant: TenantPeople, who: str) -> str:
    return f"{who}@{tenant.tenant_id}.example.com"


def throttled(platform: Platform, *, per_account: int = 3, per_address: int = 0) -> LoginThrottle:
    return LoginThrottle(
        platform.db, per_account=per_account, per_address=per_address, window_seconds=WINDOW
    )


@pytest.fixture
def identity(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> IdentityService:
    """The platform's identity service with a tight throttle: 3 failures an account."""
    monkeypatch.setattr(platform.identity, "throttle", throttled(platform))
    return platform.identity


# -- API keys: list, revoke, who may issue them -------------------------------------------------
def test_a_user_lists_own_keys_and_an_admin_all_of_the_tenant(
    platform: Platform, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    identity = platform.identity
    mine = identity.issue_api_key(tenant.planner, "mes bridge")
    alices = identity.issue_api_key(tenant.alice, "shop plugin")
    identity.issue_api_key(other_tenant.admin, "elsewhere")

    listed = identity.list_api_keys(tenant.planner)
    assert [k.id for k in listed.data] == [mine.id]
    key = listed.data[0]
    assert (key.name, key.owner, key.revoked_at) == ("mes bridge", email(tenant, "planner"), None)
    assert key.last_four == mine.key[-4:]
    assert mine.key not in listed.model_dump_json()  # never the key itself

    everyone = identity.list_api_keys(tenant.admin)
    assert {k.id for k in everyone.data} == {mine.id, alices.id}  # not the other tenant's
    assert everyone.count == 2


def test_a_revoked_key_stops_working_at_once_and_is_recorded_once(
    platform: Platform, tenant: TenantPeople
) -> None:
    identity = platform.identity
    issued = identity.issue_api_key(tenant.planner, "line 3")
    assert identity.actor_from_api_key(issued.key).user_id == tenant.planner.user_id

    revoked = identity.revoke_api_key(tenant.planner, issued.id)
    assert revoked.revoked_at is not None
    with pytest.raises(Unauthorized):
        identity.actor_from_api_key(issued.key)
    again = identity.revoke_api_key(tenant.planner, issued.id)  # changes nothing
    assert again.revoked_at == revoked.revoked_at
    assert identity.list_api_keys(tenant.planner).data[0].revoked_at == revoked.revoked_at

    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        events = uow.session.scalars(
            select(EventRecord).where(
                EventRecord.type == "api_key.revoked", EventRecord.entity_id == issued.id
            )
        ).all()
    assert len(events) == 1
    assert events[0].actor == tenant.planner.name


def test_only_the_owner_or_the_tenant_admin_revokes_a_key(
    platform: Platform, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    identity = platform.identity
    planners = identity.issue_api_key(tenant.planner, "planner's")
    with pytest.raises(NotFound):
        identity.revoke_api_key(tenant.alice, planners.id)  # a colleague's key: not yours
    with pytest.raises(NotFound):
        identity.revoke_api_key(other_tenant.admin, planners.id)  # another tenant's admin
    with pytest.raises(NotFound):
        identity.revoke_api_key(tenant.admin, "0000000000000000")  # no such key
    assert identity.actor_from_api_key(planners.key).user_id == tenant.planner.user_id
    identity.revoke_api_key(tenant.admin, planners.id)  # the tenant's admin may
    with pytest.raises(Unauthorized):
        identity.actor_from_api_key(planners.key)


def test_a_key_issues_keys_only_when_granted_and_never_grants(
    platform: Platform, tenant: TenantPeople
) -> None:
    identity = platform.identity
    plain = identity.issue_api_key(tenant.planner, "plain")
    with pytest.raises(Forbidden):
        identity.issue_api_key(tenant.planner, "minted", via_key=plain.id)

    granted = identity.issue_api_key(tenant.planner, "provisioner", can_issue_keys=True)
    minted = identity.issue_api_key(tenant.planner, "minted", via_key=granted.id)
    assert identity.actor_from_api_key(minted.key).user_id == tenant.planner.user_id
    keys = {k.id: k for k in identity.list_api_keys(tenant.planner).data}
    assert keys[granted.id].can_issue_keys and not keys[minted.id].can_issue_keys
    with pytest.raises(Forbidden):  # a key never passes the grant on
        identity.issue_api_key(tenant.planner, "next", can_issue_keys=True, via_key=granted.id)
    with pytest.raises(Forbidden):  # someone else's granted key does not sign for you
        identity.issue_api_key(tenant.admin, "borrowed", via_key=granted.id)
    identity.revoke_api_key(tenant.planner, granted.id)
    with pytest.raises(Forbidden):  # revoked: it lost the grant with everything else
        identity.issue_api_key(tenant.planner, "late", via_key=granted.id)


def test_a_plain_key_revokes_itself_but_no_other_key(
    platform: Platform, tenant: TenantPeople
) -> None:
    identity = platform.identity
    plain = identity.issue_api_key(tenant.planner, "plain")
    other = identity.issue_api_key(tenant.planner, "other")
    with pytest.raises(Forbidden):
        identity.revoke_api_key(tenant.planner, other.id, via_key=plain.id)
    identity.revoke_api_key(tenant.planner, plain.id, via_key=plain.id)
    with pytest.raises(Unauthorized):
        identity.actor_from_api_key(plain.key)
    assert identity.actor_from_api_key(other.key).user_id == tenant.planner.user_id


# -- sign-in throttling -------------------------------------------------------------------------
def test_an_account_is_throttled_after_its_failures_even_with_the_right_password(
    identity: IdentityService, tenant: TenantPeople
) -> None:
    alice = email(tenant, "alice")
    for _ in range(3):
        with pytest.raises(Unauthorized):
            identity.login(alice, "wrong-password")
    with pytest.raises(TooManyRequests) as refused:
        identity.login(alice, PASSWORD)
    assert 0 < refused.value.retry_after <= WINDOW
    identity.login(email(tenant, "bob"), PASSWORD)  # other accounts are not affected


def test_unknown_and_known_accounts_are_throttled_alike(
    identity: IdentityService, tenant: TenantPeople
) -> None:
    answers = []
    for who in (email(tenant, "alice"), email(tenant, "nobody")):
        for _ in range(3):
            with pytest.raises(Unauthorized) as failed:
                identity.login(who, "wrong-password")
        with pytest.raises(TooManyRequests) as refused:
            identity.login(who, "wrong-password")
        answers.append((str(failed.value), str(refused.value)))
    assert answers[0] == answers[1]


def test_an_unknown_e_mail_costs_a_password_check_like_a_known_one(
    identity: IdentityService, tenant: TenantPeople, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    verify = security.verify_password

    def counting(stored: str, password: str) -> bool:
        checked.append(stored)
        return verify(stored, password)

    monkeypatch.setattr(security, "verify_password", counting)
    for who in (email(tenant, "alice"), email(tenant, "nobody")):
        with pytest.raises(Unauthorized):
            identity.login(who, "wrong-password")
    assert len(checked) == 2
    assert checked[1] == security.DUMMY_HASH


def test_a_success_resets_the_account_and_the_window_passes(
    identity: IdentityService, tenant: TenantPeople
) -> None:
    alice = email(tenant, "alice")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            identity.login(alice, "wrong-password")
    identity.login(alice, PASSWORD)  # forgets the two failures
    start = datetime.now(UTC)
    with clock.running_on(clock.SimulatedClock(start)) as simulated:
        for _ in range(3):
            with pytest.raises(Unauthorized):
                identity.login(alice, "wrong-password")
        with pytest.raises(TooManyRequests):
            identity.login(alice, PASSWORD)
        simulated.advance(timedelta(seconds=WINDOW - 1))
        with pytest.raises(TooManyRequests) as refused:
            identity.login(alice, PASSWORD)
        assert refused.value.retry_after == 1
        simulated.advance(timedelta(seconds=1))
        identity.login(alice, PASSWORD)


def test_an_address_is_throttled_across_accounts(
    platform: Platform, tenant: TenantPeople, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.identity, "throttle", throttled(platform, per_address=4))
    identity, address = platform.identity, f"198.51.100.{uuid.uuid4().int % 250}"
    for who in ("a", "b", "c", "d"):  # one failure each: no account reaches its limit
        with pytest.raises(Unauthorized):
            identity.login(email(tenant, who), "wrong-password", client=address)
    with pytest.raises(TooManyRequests):
        identity.login(email(tenant, "alice"), PASSWORD, client=address)
    identity.login(email(tenant, "alice"), PASSWORD, client="203.0.113.9")  # elsewhere


def test_a_success_gives_the_address_its_place_back(
    platform: Platform, tenant: TenantPeople, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.identity, "throttle", throttled(platform, per_address=2))
    identity, address = platform.identity, f"192.0.2.{uuid.uuid4().int % 250}"
    for _ in range(5):  # an office behind one address signs in all day
        identity.login(email(tenant, "alice"), PASSWORD, client=address)
        identity.login(email(tenant, "bob"), PASSWORD, client=address)
    with pytest.raises(Unauthorized):
        identity.login(email(tenant, "bob"), "typo", client=address)


def test_throttle_counters_name_no_one(identity: IdentityService, tenant: TenantPeople) -> None:
    alice = email(tenant, "alice")
    with pytest.raises(Unauthorized):
        identity.login(alice, "wrong-password", client="192.0.2.77")
    with identity.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        keys = set(uow.session.scalars(select(LoginThrottleRow.key)).all())
    assert security.throttle_key("account", alice) in keys
    assert not any(tenant.tenant_id in key or "192.0.2" in key for key in keys)


def _fail_logins(url: str, address: str, times: int, start: Any) -> list[str]:
    """In another process: ``times`` wrong sign-ins, together with the others once all are
    ready (``start``, a barrier); what each was answered."""
    settings = Settings(
        database_url=url,
        jwt_secret="test-secret-not-for-production-0123456789",
        login_failures_per_account=5,
        login_window_seconds=WINDOW,
    )
    db = Database(url)
    identity = IdentityService(db, settings)
    answers = []
    start.wait(timeout=60)
    for _ in range(times):
        try:
            identity.login(address, "wrong-password")
        except (Unauthorized, TooManyRequests) as exc:
            answers.append(type(exc).__name__)
    db.dispose()
    return answers


def test_the_limit_holds_across_processes_signing_in_at_once(
    platform: Platform, tenant: TenantPeople
) -> None:
    """Three server processes take wrong guesses at one account together: five are checked,
    all the others refused, however the attempts interleave."""
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, ProcessPoolExecutor(3, mp_context=spawn) as pool:
        start = manager.Barrier(3)
        alice = email(tenant, "alice")
        runs = [pool.submit(_fail_logins, platform.db.url, alice, 4, start) for _ in "abc"]
        answers = [a for run in runs for a in run.result(timeout=120)]
    assert sorted(answers) == ["TooManyRequests"] * 7 + ["Unauthorized"] * 5


# -- signup reveals nothing ---------------------------------------------------------------------
def test_signup_answers_alike_for_new_and_taken_e_mails_and_unknown_shops(
    platform: Platform, tenant: TenantPeople, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    hash_password = security.hash_password
    monkeypatch.setattr(security, "hash_password", lambda p: hashed.append(p) or hash_password(p))
    identity = platform.identity
    new = CustomerSignup(email=email(tenant, "carol"), full_name="Carol", password="carol-pw-1")
    taken = CustomerSignup(email=email(tenant, "alice"), full_name="Eve", password="eve-pw-123")
    answers = [
        identity.signup_customer(tenant.tenant_id, new),
        identity.signup_customer(tenant.tenant_id, taken),
        identity.signup_customer(f"no-such-{uuid.uuid4().hex[:8]}", new),
        identity.signup_customer(PLANT, new),  # the plant's staff are not signed up
    ]
    assert all(a == SignupAccepted() for a in answers)
    assert len(hashed) == 4  # the same work every time
    identity.login(email(tenant, "carol"), "carol-pw-1")
    identity.login(email(tenant, "alice"), PASSWORD)  # unchanged by the second signup
    with pytest.raises(Unauthorized):
        identity.login(email(tenant, "alice"), "eve-pw-123")
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        carols = uow.session.scalars(select(UserRow).where(UserRow.email == new.email)).all()
    assert [u.tenant_id for u in carols] == [tenant.tenant_id]
