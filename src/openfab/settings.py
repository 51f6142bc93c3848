"""All configuration in one place, read from ``OPENFAB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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


@lru_cache
def get_settings() -> Settings:
    return Settings()


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``postgres://``) and pick our driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
