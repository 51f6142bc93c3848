"""What the identity service returns (and the API shows)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from openfab.identity.actor import Role
from openfab.schemas_base import LAX, RequestModel

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not a valid e-mail address")
    return value.lower()


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("use 2-63 lowercase letters, digits and dashes")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Slug = Annotated[str, AfterValidator(_slug), Field(json_schema_extra={"pattern": _SLUG.pattern})]
Password = Annotated[str, Field(min_length=8, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
KeyName = Annotated[str, Field(min_length=1, max_length=100)]  # api_key.name is String(100)


class TenantCreate(RequestModel):
    id: Slug
    name: Name


class TenantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    created_at: datetime


class UserCreate(RequestModel):
    email: Email
    full_name: Name
    password: Password
    roles: list[Annotated[Role, LAX]] = Field(
        default_factory=lambda: [Role.CUSTOMER], min_length=1, max_length=20
    )


class CustomerSignup(RequestModel):
    email: Email
    full_name: Name
    password: Password


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    tenant_id: str
    email: str
    full_name: str
    roles: list[Role]
    active: bool
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


class ApiKeyCreate(RequestModel):
    name: KeyName


class ApiKeyIssued(BaseModel):
    id: str
    name: str
    key: str = Field(description="Shown once; store it safely.")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


# -- credentials (list and revoke API keys, the right to issue them, signup) ---------------------
class ApiKeySpec(ApiKeyCreate):
    """An API key to issue: its name and whether requests signed with it may issue keys."""

    can_issue_keys: bool = Field(
        default=False,
        description="Requests signed with this key may issue API keys. Only a signed-in "
        "session (bearer token) grants it, never a key.",
    )


class ApiKeyPublic(BaseModel):
    """An issued key as lists show it: never the key, only its last four characters."""

    id: str
    name: str
    owner: str = Field(description="The e-mail address of the user the key acts as.")
    last_four: str | None = Field(description="The key's last four characters.")
    can_issue_keys: bool
    created_at: datetime
    revoked_at: datetime | None


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int


class SignupAccepted(BaseModel):
    """The one answer to every well-formed signup: it tells no one which shops and e-mail
    addresses exist."""

    detail: str = (
        "If the shop exists and the e-mail address is new, the account was created: sign in."
    )
