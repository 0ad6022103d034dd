"""What the identity tests share: each system (manager, tenant) seen the same way, accounts
made through the API, TOTP codes computed as an authenticator app does, and rows read
straight from the databases."""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

PASSWORD = "Str0ng-Passw0rd"
_addresses = itertools.count(1)


@dataclass
class Account:
    username: str
    password: str
    id: str
    login_body: dict[str, str]
    tenant_id: str | None = None
    secret: str | None = None
    backup_codes: list[str] | None = None


@dataclass
class System:
    """One of the two systems, as a client sees it."""

    name: str  # manager | tenants
    admin_headers: dict[str, str]
    tenant: dict[str, Any] | None = None

    @property
    def auth(self) -> str:
        return f"/api/v1/{self.name}/auth"

    @property
    def users(self) -> str:
        return (
            "/api/v1/manager/idam/users" if self.name == "manager" else "/api/v1/tenants/adm/users"
        )

    @property
    def database(self) -> str:
        return "manager" if self.name == "manager" else "tenant"

    @property
    def table_prefix(self) -> str:
        return "idam" if self.name == "manager" else "adm"

    async def account(self, client: httpx.AsyncClient, **overrides: Any) -> Account:
        tag = uuid.uuid4().hex[:8]
        body = {
            "username": f"user_{tag}",
            "email": f"user_{tag}@cxg.example",
            "full_name": f"Kim {tag}",
            "password": PASSWORD,
            "user_type": "TENANT" if self.name == "manager" else "USER",
            **overrides,
        }
        made = await client.post(self.users, json=body, headers=self.admin_headers)
        assert made.status_code == 201, made.text
        login = {"username": body["username"], "password": body["password"]}
        if self.tenant is not None:
            login["tenant_code"] = self.tenant["code"]
        return Account(
            username=body["username"],
            password=body["password"],
            id=made.json()["data"]["id"],
            login_body=login,
            tenant_id=self.tenant["id"] if self.tenant else None,
        )

    async def login(
        self, client: httpx.AsyncClient, account: Account, **body: str
    ) -> httpx.Response:
        return await client.post(f"{self.auth}/login", json={**account.login_body, **body})

    async def tokens(self, client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
        """A token pair for an account without MFA."""
        answer = await self.login(client, account)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()["data"]
        assert "access_token" in data, data
        return data

    async def enrolled(self, client: httpx.AsyncClient, **overrides: Any) -> Account:
        """An account with MFA on: enrolled and confirmed (one code of now is spent)."""
        account = await self.account(client, **overrides)
        headers = bearer((await self.tokens(client, account))["access_token"])
        enrol = await client.post(
            f"{self.auth}/mfa/enrol", json={"password": account.password}, headers=headers
        )
        assert enrol.status_code == 200, enrol.text
        account.secret = enrol.json()["data"]["secret"]
        confirmed = await client.post(
            f"{self.auth}/mfa/confirm", json={"code": code(account.secret)}, headers=headers
        )
        assert confirmed.status_code == 200, confirmed.text
        account.backup_codes = confirmed.json()["data"]["backup_codes"]
        return account

    async def challenge(self, client: httpx.AsyncClient, account: Account) -> str:
        answer = await self.login(client, account)
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        assert data["mfa_required"] is True and "access_token" not in data, data
        return str(data["mfa_token"])

    def verify(self, client: httpx.AsyncClient, token: str, **factor: str) -> Any:
        return client.post(f"{self.auth}/mfa/verify", json={"mfa_token": token, **factor})

    async def rows(self, database_urls: dict[str, str], table: str, account: Account) -> list[dict]:
        """Rows of ``<prefix>.<table>`` about the account (straight from the database)."""
        from runtime.data.db import async_url

        if self.name == "manager":
            from generated.manager.models import metadata
        else:
            from generated.tenants.models import metadata
        t = metadata.tables[f"{self.table_prefix}.{table}" if "." not in table else table]
        column = t.c.user_id if "user_id" in t.c else t.c.id
        engine = create_async_engine(async_url(database_urls[self.database]))
        try:
            async with engine.begin() as conn:
                if account.tenant_id:
                    await conn.execute(
                        text("SELECT set_config('cxg.tenant_id', :t, true)"),
                        {"t": account.tenant_id},
                    )
                found = await conn.execute(select(t).where(column == uuid.UUID(account.id)))
                return [dict(r._mapping) for r in found]
        finally:
            await engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code(secret: str, offset: int = 0) -> str:
    """The code an authenticator shows ``offset`` time steps from now."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + offset * totp.interval)


def steady(margin: float = 3.0) -> None:
    """Wait while the current 30-second step is about to end, so that the codes a test
    computes next are still in the server's window when they arrive."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.05)


def address() -> tuple[str, int]:
    """A client address of its own, so that a test's failed attempts throttle nobody else."""
    n = next(_addresses)
    return (f"198.18.{n // 250}.{n % 250 + 1}", 1)


def assert_error(response: httpx.Response, status: int, code_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None, body
    assert body["error"]["code"] == code_, body
    error: dict[str, Any] = body["error"]
    return error
