"""Passwords (bcrypt) and tokens (PyJWT).

The 72-byte rule: bcrypt only reads the first 72 bytes of a password, and bcrypt 5 raises
on longer input. Silently truncating would let two different long passwords match each
other, so a new password over 72 UTF-8 bytes is refused with a validation error (422), and
a login with one simply fails like any wrong password. Nothing is ever truncated.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio.to_thread
import bcrypt
import jwt
from pydantic import AfterValidator

from runtime.settings import get_settings

BCRYPT_MAX_BYTES = 72
PASSWORD_MIN_LENGTH = 8

ACCESS = "access"
REFRESH = "refresh"
MFA_CHALLENGE = "mfa"  # the second step of a sign-in: names the account, grants nothing


# -- password policy ------------------------------------------------------------------------


def password_problems(password: str) -> list[str]:
    """The original's strength rules (upper, lower, digit, at least 8) plus the 72-byte rule."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"at least {PASSWORD_MIN_LENGTH} characters")
    if not any(c.isupper() for c in password):
        problems.append("an uppercase letter")
    if not any(c.islower() for c in password):
        problems.append("a lowercase letter")
    if not any(c.isdigit() for c in password):
        problems.append("a digit")
    return problems


def check_new_password(password: str) -> str:
    if len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise ValueError(f"password must be at most {BCRYPT_MAX_BYTES} bytes in UTF-8")
    problems = password_problems(password)
    if problems:
        raise ValueError("password must contain " + ", ".join(problems))
    return password


NewPassword = Annotated[str, AfterValidator(check_new_password)]


# -- hashing ---------------------------------------------------------------------------------


def hash_password_sync(password: str) -> str:
    data = password.encode("utf-8")
    if len(data) > BCRYPT_MAX_BYTES:
        raise ValueError(f"password longer than {BCRYPT_MAX_BYTES} bytes")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds=get_settings().bcrypt_rounds)).decode()


def verify_password_sync(password: str, hashed: str | None) -> bool:
    data = password.encode("utf-8")
    if not hashed or len(data) > BCRYPT_MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(data, hashed.encode("utf-8"))
    except ValueError:
        return False


async def hash_password(password: str) -> str:
    """bcrypt is deliberately slow: run it off the event loop."""
    return await anyio.to_thread.run_sync(hash_password_sync, password)


async def verify_password(password: str, hashed: str | None) -> bool:
    return await anyio.to_thread.run_sync(verify_password_sync, password, hashed)


# A real hash to compare against when the user does not exist, so that an unknown username
# costs the same time as a wrong password.
_DUMMY_HASH: str | None = None


async def verify_against_dummy(password: str) -> bool:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = await hash_password("Dummy-password-1")
    await verify_password(password, _DUMMY_HASH)
    return False


# -- API keys --------------------------------------------------------------------------------
# Keys are 256-bit random values, so a fast digest is enough (bcrypt protects guessable
# passwords; nobody can guess these): lookups stay one indexed query.

API_KEY_PREFIX = "cxg"


def new_api_key() -> tuple[str, str]:
    """(the key to show once, its public prefix)."""
    prefix = secrets.token_hex(4)
    return f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# -- tokens ----------------------------------------------------------------------------------


class TokenError(Exception):
    """The token is missing, malformed, expired, tampered with or of the wrong type."""


def create_token(
    *,
    subject: uuid.UUID,
    token_type: str,
    session_id: uuid.UUID,
    system: str,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
    token_id: str | None = None,
    lifetime: timedelta | None = None,
) -> str:
    settings = get_settings()
    now = now or datetime.now(UTC)
    if lifetime is None:
        lifetime = (
            timedelta(minutes=settings.access_token_minutes)
            if token_type == ACCESS
            else timedelta(days=settings.refresh_token_days)
        )
    claims = {
        "iss": settings.jwt_issuer,
        "sub": str(subject),
        "sid": str(session_id),
        "jti": token_id or uuid.uuid4().hex,
        "typ": token_type,
        "sys": system,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        **(extra or {}),
    }
    return jwt.encode(claims, settings.secret_key(), algorithm=settings.jwt_algorithm)


# Claims of tokens whose signature was verified, by the exact token text. Checking an HS256
# signature (and PyJWT's parsing around it) is most of what authenticating a request costs;
# a client sends the same token for its whole lifetime, so each is verified once per process.
# The text includes the signature, so a hit is a token already proven genuine; expiry and
# type are still checked on every use. Bounded: emptied when full. Beside the claims, the ids
# they name, parsed once too (None when the subject or session is not a UUID).
_VERIFIED: dict[str, tuple[str, dict[str, Any], TokenIds | None]] = {}
_VERIFIED_MAX = 10_000


@dataclass(frozen=True, slots=True)
class TokenIds:
    """The user, session and (tenant systems) tenant a verified token names."""

    user: uuid.UUID
    session: uuid.UUID
    tenant: uuid.UUID | None  # None: no tid claim, or one that is not a UUID


def _ids(claims: dict[str, Any]) -> TokenIds | None:
    try:
        user, session = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    except (ValueError, TypeError, AttributeError):
        return None
    try:
        tenant = uuid.UUID(str(claims["tid"])) if "tid" in claims else None
    except ValueError:
        tenant = None
    return TokenIds(user, session, tenant)


def _verified(token: str) -> tuple[dict[str, Any], TokenIds | None]:
    settings = get_settings()
    secret = settings.secret_key()
    hit = _VERIFIED.get(token)
    if hit is not None and hit[0] == secret:
        return hit[1], hit[2]
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[settings.jwt_algorithm],  # never taken from the token header
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "sid", "typ", "sys"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenError("invalid") from exc
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    ids = _ids(claims)
    _VERIFIED[token] = (secret, claims, ids)
    return claims, ids


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of a token whose signature, issuer and required claims check out (expiry
    is the caller's to check). Callers must not change the dict."""
    return _verified(token)[0]


def decode_token(token: str, *, expected_type: str) -> dict[str, Any]:
    return decode_with_ids(token, expected_type=expected_type)[0]


def decode_with_ids(token: str, *, expected_type: str) -> tuple[dict[str, Any], TokenIds]:
    """The claims of a live token of the expected type, and the ids they name."""
    claims, ids = _verified(token)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= time.time():
        raise TokenError("expired")
    if claims.get("typ") != expected_type:
        raise TokenError("wrong token type")
    if ids is None:
        raise TokenError("invalid")
    return claims, ids
