"""Sign-in throttling per account and per client address, shared by every server process.

Each attempt first takes a place in its counters (one atomic upsert per counter, in its own
transaction), then the password is checked. Parallel guesses therefore cannot slip past the
limit while the slow argon2 check runs. A success forgets the account's failures and gives back
the address's place; a counter whose window has passed starts again at one. A refused attempt
is answered with ``TooManyRequests`` before any password is checked, alike for every e-mail
address, known or not.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from openfab.errors import TooManyRequests
from openfab.identity import security
from openfab.identity.orm import LoginThrottleRow
from openfab.store import Database
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
ACTOR = "system:login"
PRUNE_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Attempt:
    """The counters one sign-in attempt took a place in."""

    account: str | None
    address: str | None


class LoginThrottle:
    def __init__(
        self,
        db: Database,
        *,
        per_account: int,
        per_address: int,
        window_seconds: int,
    ) -> None:
        self.db = db
        self.per_account = per_account
        self.per_address = per_address
        self.window = timedelta(seconds=window_seconds)
        self._next_prune = 0.0

    def attempt(self, email: str, client: str | None) -> Attempt:
        """Count one attempt for ``email`` (normalized) and ``client``; ``TooManyRequests``
        when either has failed too often in its window."""
        now = utcnow()
        taken = Attempt(
            account=security.throttle_key("account", email) if self.per_account else None,
            address=security.throttle_key("address", client)
            if client and self.per_address
            else None,
        )
        waits = []
        for key, limit in ((taken.account, self.per_account), (taken.address, self.per_address)):
            if key is None:
                continue
            failures, window_start = self._count(key, now)
            if failures > limit:
                waits.append(security.seconds_until(window_start + self.window, now))
        self._prune_now_and_then(now)
        if waits:
            raise TooManyRequests(
                "too many failed sign-ins; try again later", retry_after=max(waits)
            )
        return taken

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the account starts afresh, the address gets its place back."""
        with self.db.unit(Scope.plant(), actor=ACTOR) as uow:
            if attempt.account is not None:
                uow.session.execute(
                    delete(LoginThrottleRow).where(LoginThrottleRow.key == attempt.account)
                )
            if attempt.address is not None:
                uow.session.execute(
                    update(LoginThrottleRow)
                    .where(LoginThrottleRow.key == attempt.address, LoginThrottleRow.failures > 0)
                    .values(failures=LoginThrottleRow.failures - 1)
                )

    def _count(self, key: str, now: datetime) -> tuple[int, datetime]:
        """Add one to ``key``'s counter (a new window when the last has passed), atomically
        across processes; returns the count and the window's start."""
        table = LoginThrottleRow.__table__
        dialect = postgresql if self.db.url.startswith("postgresql") else sqlite
        insert = dialect.insert(table).values(key=key, failures=1, window_start=now)
        stale = table.c.window_start <= now - self.window
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((stale, 1), else_=table.c.failures + 1),
                "window_start": case(
                    (stale, insert.excluded.window_start), else_=table.c.window_start
                ),
            },
        ).returning(table.c.failures, table.c.window_start)
        with self.db.unit(Scope.plant(), actor=ACTOR) as uow:
            failures, window_start = uow.session.execute(statement).one()
        return int(failures), window_start

    def _prune_now_and_then(self, now: datetime) -> None:
        """Drop counters of past windows (at most once a minute per process)."""
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        with self.db.unit(Scope.plant(), actor=ACTOR) as uow:
            result = uow.session.execute(
                delete(LoginThrottleRow).where(LoginThrottleRow.window_start <= now - self.window)
            )
        log.debug("pruned %s sign-in throttle counters", getattr(result, "rowcount", "?"))
