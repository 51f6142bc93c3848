"""Tenants, users, roles and credentials (passwords, access tokens, API keys)."""

from openfab.identity.actor import Actor, Role

__all__ = ["Actor", "Role"]
