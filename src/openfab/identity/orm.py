"""Tables of tenants, users and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id


class TenantRow(Timestamped, Base):
    __tablename__ = "tenant"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class UserRow(TenantOwned, Timestamped, Base):
    __tablename__ = "app_user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]]
    platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiKeyRow(TenantOwned, Timestamped, Base):
    """An API key is shown once; only its SHA-256 is stored (keys are long random strings,
    so a slow hash adds nothing but latency to every request)."""

    __tablename__ = "api_key"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64))
    last_four: Mapped[str | None] = mapped_column(String(4))
    """The key's last four characters, to tell keys apart (``None`` for keys issued before)."""
    can_issue_keys: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether a request signed with this key may issue API keys (granted at issue, only by a
    signed-in session)."""
    revoked_at: Mapped[datetime | None]


class LoginThrottleRow(Base):
    """Sign-in attempts that failed in the current window, per account and per client address,
    shared by every server process. A key is the SHA-256 of ``account:<e-mail>`` or
    ``address:<ip>``: the table holds no e-mail or address. Rows of a past window are dead
    weight, pruned now and then."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(index=True)


class PlatformSecret(Base):
    """Generated secrets for the embedded default (used only when no env var sets them)."""

    __tablename__ = "platform_secret"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
