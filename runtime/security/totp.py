"""TOTP (RFC 6238, through `pyotp`) and backup codes: the arithmetic, no database.

A code is accepted for the current 30-second time step and one step either side (clocks
drift; RFC 6238 section 5.2 recommends at most one step), and only for a step later than the
last one accepted for the account: :func:`matching_step` returns the step so the caller can
record it, which makes every code single-use (and every earlier code with it).
"""

from __future__ import annotations

import hmac
import re
import secrets
import time

import pyotp

DIGITS = 6
INTERVAL = 30
WINDOW = 1  # steps accepted either side of now
BACKUP_CODES = 10
# Crockford's base32 without the letters people confuse (I, L, O, U): 10 characters = 50 bits
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE = re.compile(r"^\d{6}$")
_LOOKALIKES = str.maketrans("ILO", "110")


def new_secret() -> str:
    """A random 160-bit secret in base32, the size RFC 4226 recommends for HMAC-SHA1."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read (as a QR code or typed in)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def now_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // INTERVAL)


def looks_like_code(value: str) -> bool:
    return bool(_CODE.match(value))


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step within the window whose code is ``code``, or None. Every candidate is
    compared in constant time, and all of them are computed whatever matches."""
    if not looks_like_code(code):
        return None
    otp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = now_step(at)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(otp.generate_otp(step), code) and found is None:
            found = step
    return found


def new_backup_codes() -> list[str]:
    """Ten codes of ten characters, shown as XXXXX-XXXXX."""
    codes = []
    for _ in range(BACKUP_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normal_backup_code(value: str) -> str:
    """A backup code as typed, in the form it was digested in: case and separators do not
    matter, and the letters people confuse read as the digits they look like."""
    plain = re.sub(r"[\s-]", "", value.upper())
    return plain.translate(_LOOKALIKES)
