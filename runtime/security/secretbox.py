"""Secrets at rest: what the server must read back (an MFA secret, an identity provider's
client secret) is encrypted; what it only needs to recognise (backup codes) is a keyed digest.

Encryption is Fernet (`cryptography`: AES-128-CBC with HMAC-SHA256, a timestamp and a version
byte; the format is specified and stable) with the keys of ``CXG_ENCRYPTION_KEY``:
the first encrypts, every one decrypts, so a key is rotated by putting a new one first and
dropping the old one once ``rotate`` has rewritten what it protects. The digests are
HMAC-SHA256 under a key derived from each encryption key, so a copy of the database alone
does not let anyone test guesses offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from runtime.settings import get_settings


class SecretError(RuntimeError):
    """A stored secret none of the configured keys can open (a key was dropped too soon)."""


@lru_cache(maxsize=4)
def _box(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:  # not 32 URL-safe base64 bytes
        raise RuntimeError(
            "CXG_ENCRYPTION_KEY: each key must be 32 URL-safe base64-encoded bytes"
            " (python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')"
        ) from exc


def _keys() -> tuple[str, ...]:
    return tuple(get_settings().encryption_keys())


def encrypt(plain: str) -> str:
    return _box(_keys()).encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _box(_keys()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SecretError("a stored secret cannot be decrypted with CXG_ENCRYPTION_KEY") from exc


def rotate(token: str) -> str:
    """The same secret encrypted with the first key (for a key rotation)."""
    return _box(_keys()).rotate(token.encode("ascii")).decode("ascii")


@lru_cache(maxsize=4)
def _digest_keys(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    # a key of its own per encryption key: the digest never uses the cipher's key directly
    return tuple(
        hashlib.sha256(b"cxg digest\0" + base64.urlsafe_b64decode(k)).digest() for k in keys
    )


def digests(value: str) -> list[str]:
    """The keyed digests of ``value``, the current key's first: a stored digest made under
    any configured key is one of them."""
    return [
        hmac.new(key, value.encode(), hashlib.sha256).hexdigest() for key in _digest_keys(_keys())
    ]


def digest(value: str) -> str:
    """The keyed digest to store for ``value`` (under the current key)."""
    return digests(value)[0]
