"""All configuration in one place, read from ``OPENFAB_*`` environment variables."""

from __future__ import annotations

import socket
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BusKind = Literal["inprocess", "mqtt", "nats"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFAB_", extra="ignore")

    database_url: str = "sqlite:///openfab.db"
    # Signs access tokens. When unset, a random secret is generated once and kept in the
    # database, so the embedded default needs no set-up and no secret lives in the repo.
    jwt_secret: SecretStr | None = None
    access_token_minutes: int = 60
    max_body_bytes: int = 1_000_000
    # `openfab serve` re-plans the plant this often when plan-affecting events arrived.
    autopilot_interval_seconds: float = 10.0

    plant_layout: str | None = None
    """The plant's equipment hierarchy (a layout YAML file); default: the sample plant."""
    replan_every_seconds: float = 3600.0
    """`openfab serve` also re-plans on this cadence when nothing triggered it."""
    maintenance_ceiling_hours: float | None = Field(default=None, gt=0)
    """The longest a machine runs between services, in running hours (its makers' interval):
    due then whatever its predicted condition. None: predictions alone decide."""

    # -- credentials and quotas (429 with Retry-After; 0 turns a limit off) --------------------
    login_failures_per_account: int = Field(default=5, ge=0)
    """Failed sign-ins of one e-mail address in a window before it is refused until the window
    passes (counted in the database, so across every process; a success resets it)."""
    login_failures_per_address: int = Field(default=20, ge=0)
    """Failed sign-ins from one client address in a window (behind a proxy, let the server
    put the client's address in the request, e.g. uvicorn's ``--forwarded-allow-ips``)."""
    login_window_seconds: int = Field(default=900, ge=1)
    orders_per_minute: int = Field(default=6_000, ge=0)
    """Orders one tenant may place in any minute (counted in the database: exact across
    processes)."""
    requests_per_minute: int = Field(default=60_000, ge=0)
    """Authenticated API requests of one tenant in any minute, counted per server process."""
    floor_messages_per_second: int = Field(default=5_000, ge=0)
    """Shop-floor messages (telemetry, operation and machine-state reports) one tenant may
    send over REST in any second, counted per server process."""

    # -- the buses (`openfab serve --bus`, `openfab worker`, `openfab ingest`) -----------------
    bus: BusKind = "inprocess"
    instance: str = Field(default_factory=socket.gethostname)
    """This process's name among copies of a worker (default: the host name): part of its
    broker client id, so copies on several hosts share the work instead of evicting each
    other, and a restarted one resumes its own session."""
    client_name: str = "openfab"
    """Prefix of the runtime's broker client ids, MQTT shared-subscription group and NATS
    durable consumers: stable, so a restarted process resumes its session; give each
    installation sharing one broker its own."""
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls: bool = False
    """TLS to the broker; with ``mqtt_ca_file`` unset, the system's trusted CAs verify it."""
    mqtt_ca_file: str | None = None
    mqtt_cert_file: str | None = None  # client certificate (mutual TLS)
    mqtt_key_file: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    """One or more servers, comma-separated; ``tls://`` for TLS."""
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_token: SecretStr | None = None
    nats_creds_file: str | None = None  # a NATS .creds file (JWT + NKey)
    nats_ca_file: str | None = None
    nats_cert_file: str | None = None
    nats_key_file: str | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``postgres://``) and pick our driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
