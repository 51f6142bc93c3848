"""Credential primitives: argon2 password hashes, signed access tokens, API keys."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from openfab.errors import Unauthorized

_hasher = PasswordHasher()
ALGORITHM = "HS256"
KEY_PREFIX = "ofk"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A fixed hash to verify against when the user does not exist, so that a login for an
# unknown e-mail takes as long as one with a wrong password (no user enumeration by timing).
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    tenant_id: str


def issue_token(claims: TokenClaims, secret: str, *, now: datetime, minutes: int) -> str:
    body = {
        "sub": claims.user_id,
        "tid": claims.tenant_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(body, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> TokenClaims:
    try:
        body = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("access token expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid access token") from exc
    try:
        return TokenClaims(user_id=str(body["sub"]), tenant_id=str(body["tid"]))
    except KeyError as exc:
        raise Unauthorized("invalid access token") from exc


def new_api_key() -> tuple[str, str, str]:
    """Returns (key id, the plaintext key shown once, the hash to store)."""
    key_id = secrets.token_hex(8)
    plaintext = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return key_id, plaintext, hash_api_key(plaintext)


def hash_api_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def split_api_key(plaintext: str) -> str:
    """The key id of a presented key, or Unauthorized when it has the wrong shape."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 16:
        raise Unauthorized("malformed API key")
    return parts[1]


def api_key_matches(stored_hash: str, plaintext: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_api_key(plaintext))


def last_four(plaintext: str) -> str:
    """What a key list shows to tell keys apart: never the key itself."""
    return plaintext[-4:]


def throttle_key(kind: str, value: str) -> str:
    """The digest a sign-in throttle counter is stored under (``account`` + an e-mail,
    ``address`` + a client address): the counters name no one."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` until ``moment`` (rounded up, at least 1): a Retry-After."""
    return max(1, math.ceil((moment - now).total_seconds()))
