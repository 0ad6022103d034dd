"""Verified tokens are remembered per process, and that changes nothing a client can see:
a remembered token still expires on time, and a token that differs in any byte is verified
afresh (and refused when its signature does not match)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from runtime.security import credentials as security
from runtime.security.credentials import ACCESS, TokenError, create_token, decode_token
from tests.api.test_auth import USERS, assert_401, bearer
from tests.conftest import login


def test_a_remembered_token_still_expires(database_urls, monkeypatch):
    token = create_token(
        subject=uuid.uuid4(),
        token_type=ACCESS,
        session_id=uuid.uuid4(),
        system="manager",
        now=datetime.now(UTC) - timedelta(minutes=29),
    )
    assert decode_token(token, expected_type=ACCESS)["typ"] == ACCESS
    assert token in security._VERIFIED
    later = time.time() + 61
    monkeypatch.setattr(security.time, "time", lambda: later)
    with pytest.raises(TokenError, match="expired"):
        decode_token(token, expected_type=ACCESS)


def test_a_remembered_token_keeps_its_type(database_urls):
    token = create_token(
        subject=uuid.uuid4(), token_type="refresh", session_id=uuid.uuid4(), system="manager"
    )
    for _ in range(2):
        with pytest.raises(TokenError, match="wrong token type"):
            decode_token(token, expected_type=ACCESS)


async def test_one_changed_byte_is_verified_again(client, admin):
    tokens = await login(client, admin["username"], admin["password"])
    genuine = tokens["access_token"]
    assert (await client.get(USERS, headers=bearer(genuine))).status_code == 200
    head, payload, signature = genuine.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert_401(await client.get(USERS, headers=bearer(f"{head}.{payload}.{flipped}")))
    assert (await client.get(USERS, headers=bearer(genuine))).status_code == 200
