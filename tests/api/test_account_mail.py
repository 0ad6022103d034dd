"""E-mail verification and password reset, for both systems, with a real SMTP server
(aiosmtpd) on loopback: the mails arrive, in the account's language, their links work once,
a reset ends every session, and the reset request answers the same for any address."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import create_async_engine

from tests.api.identity import PASSWORD, Account, System, address, assert_error, bearer
from tests.conftest import _no_secrets_in_responses

LINK = re.compile(r"https://app\.example/(verify-email|reset-password)\?token=(\S+)")
NEW_PASSWORD = "N3w-Passw0rd-Now"


class Inbox:
    """What the SMTP server received: (recipients, message), in order."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.mails if address in rcpt]

    async def wait(self, address: str, count: int = 1, seconds: float = 10) -> EmailMessage:
        for _ in range(int(seconds * 20)):
            found = self.to(address)
            if len(found) >= count:
                return found[count - 1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no mail number {count} to {address}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def web(database_urls, smtp):
    """An app that sends its mail to the test's SMTP server."""
    from runtime.app import create_app
    from runtime.settings import get_settings

    inbox, port = smtp
    settings = get_settings().model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": "none",
            "mail_from": "CXG <no-reply@cxg.example>",
            "mail_link_base": "https://app.example/",
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=address()),
            base_url="http://mail.test",
            event_hooks={"response": [_no_secrets_in_responses]},
        ) as client:
            yield client


@pytest.fixture(params=["manager", "tenants"])
def system(request, auth, tenant_a) -> System:
    if request.param == "manager":
        return System("manager", auth)
    return System("tenants", tenant_a["headers"], tenant_a)


def link_in(mail: EmailMessage, page: str) -> str:
    found = LINK.search(mail.get_content())
    assert found and found.group(1) == page, mail.get_content()
    return found.group(2)


def email_of(account: Account) -> str:
    return f"{account.username}@cxg.example"


async def reset_body(system: System, email: str) -> dict[str, str]:
    body = {"email": email}
    if system.tenant is not None:
        body["tenant_code"] = system.tenant["code"]
    return body


async def test_verification_mail_arrives_in_korean_and_its_link_works_once(
    web, smtp, system, database_urls
):
    inbox, _ = smtp
    account = await system.account(web)
    headers = bearer((await system.tokens(web, account))["access_token"])
    asked = await web.post(f"{system.auth}/verify-email", headers=headers)
    assert asked.status_code == 202, asked.text

    mail = await inbox.wait(email_of(account))
    assert mail["Subject"] == "[CXG] 이메일 주소를 확인해 주세요"
    assert mail["From"] == "CXG <no-reply@cxg.example>" and mail["Content-Language"] == "ko"
    assert "48시간" in mail.get_content() and email_of(account) in mail.get_content()
    token = link_in(mail, "verify-email")
    if system.tenant is not None:
        assert token.startswith(uuid.UUID(system.tenant["id"]).hex + ".")
    stored = await system.rows(database_urls, "account_tokens", account)
    assert len(stored) == 1 and token not in str(stored)

    done = await web.post(f"{system.auth}/verify-email/confirm", json={"token": token})
    assert done.status_code == 200, done.text
    me = (await web.get(f"{system.auth}/me", headers=headers)).json()["data"]
    assert me["email_verified"] is True
    again = await web.post(f"{system.auth}/verify-email/confirm", json={"token": token})
    assert assert_error(again, 400, "TOKEN_INVALID")["detail"] == {"reason": "used"}
    assert_error(await web.post(f"{system.auth}/verify-email", headers=headers), 409, "CONFLICT")

    logged = await system.rows(database_urls, "login_logs", account)
    assert "EMAIL_VERIFICATION" in {r["attempt_type"] for r in logged}
    audited = await system.rows(database_urls, "audt.audit_logs", account)
    assert "EMAIL_VERIFICATION" in {r["action"] for r in audited}


async def test_a_reset_in_english_ends_every_session_and_works_once(
    web, smtp, system, database_urls
):
    inbox, _ = smtp
    account = await system.account(web, locale="en-US")
    first = await system.tokens(web, account)
    second = await system.tokens(web, account)

    known = await web.post(
        f"{system.auth}/password-reset", json=await reset_body(system, email_of(account))
    )
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@cxg.example"
    unknown = await web.post(f"{system.auth}/password-reset", json=await reset_body(system, nobody))
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    twice = await web.post(
        f"{system.auth}/password-reset", json=await reset_body(system, email_of(account))
    )
    assert twice.json()["data"] == known.json()["data"]

    mail = await inbox.wait(email_of(account))
    assert mail["Subject"] == "[CXG] Reset your password" and "30 minutes" in mail.get_content()
    token = link_in(mail, "reset-password")
    await asyncio.sleep(0.5)
    assert len(inbox.to(email_of(account))) == 1  # one mail a minute at most
    assert inbox.to(nobody) == []

    weak = await web.post(
        f"{system.auth}/password-reset/confirm", json={"token": token, "new_password": "weak"}
    )
    assert_error(weak, 422, "VALIDATION_ERROR")
    done = await web.post(
        f"{system.auth}/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.text
    for tokens in (first, second):
        gone = await web.get(f"{system.auth}/me", headers=bearer(tokens["access_token"]))
        assert_error(gone, 401, "AUTHENTICATION_REQUIRED")
        stale = await web.post(
            f"{system.auth}/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert_error(stale, 401, "AUTHENTICATION_REQUIRED")
    assert_error(await system.login(web, account), 401, "AUTHENTICATION_REQUIRED")
    assert (await system.login(web, account, password=NEW_PASSWORD)).status_code == 200
    again = await web.post(
        f"{system.auth}/password-reset/confirm", json={"token": token, "new_password": PASSWORD}
    )
    assert assert_error(again, 400, "TOKEN_INVALID")["detail"] == {"reason": "used"}

    steps = {r["attempt_type"] for r in await system.rows(database_urls, "login_logs", account)}
    assert {"PASSWORD_RESET_REQUEST", "PASSWORD_RESET"} <= steps
    audited = await system.rows(database_urls, "audt.audit_logs", account)
    assert "PASSWORD_RESET" in {r["action"] for r in audited}


async def test_expired_unknown_and_stale_tokens_are_refused(web, smtp, system, database_urls):
    inbox, _ = smtp
    account = await system.account(web)
    await web.post(
        f"{system.auth}/password-reset", json=await reset_body(system, email_of(account))
    )
    token = link_in(await inbox.wait(email_of(account)), "reset-password")
    await expire_tokens(database_urls, system, account)
    expired = await web.post(
        f"{system.auth}/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert assert_error(expired, 400, "TOKEN_INVALID")["detail"] == {"reason": "expired"}
    prefix = token.rpartition(".")[0] + "." if "." in token else ""
    forged = await web.post(
        f"{system.auth}/verify-email/confirm", json={"token": prefix + "x" * 43}
    )
    assert assert_error(forged, 400, "TOKEN_INVALID")["detail"] == {"reason": "unknown"}
    # a verification sent to an address the account no longer has verifies nothing
    headers = bearer((await system.tokens(web, account))["access_token"])
    assert (await web.post(f"{system.auth}/verify-email", headers=headers)).status_code == 202
    verify = link_in(await inbox.wait(email_of(account), count=2), "verify-email")
    moved = await web.patch(
        f"{system.users}/{account.id}",
        json={"email": f"moved-{account.username}@cxg.example"},
        headers=system.admin_headers,
    )
    assert moved.status_code == 200, moved.text
    stale = await web.post(f"{system.auth}/verify-email/confirm", json={"token": verify})
    assert assert_error(stale, 400, "TOKEN_INVALID")["detail"] == {"reason": "address changed"}


async def test_a_changed_address_is_no_longer_verified(web, smtp, system):
    inbox, _ = smtp
    account = await system.account(web)
    headers = bearer((await system.tokens(web, account))["access_token"])
    await web.post(f"{system.auth}/verify-email", headers=headers)
    token = link_in(await inbox.wait(email_of(account)), "verify-email")
    assert (
        await web.post(f"{system.auth}/verify-email/confirm", json={"token": token})
    ).status_code == 200
    url = f"{system.users}/{account.id}"
    assert (await web.get(url, headers=system.admin_headers)).json()["data"][
        "email_verified"
    ] is True
    same = await web.patch(url, json={"email": email_of(account)}, headers=system.admin_headers)
    assert same.json()["data"]["email_verified"] is True  # the same address stays verified
    moved = await web.patch(
        url, json={"email": f"new-{account.username}@cxg.example"}, headers=system.admin_headers
    )
    assert moved.status_code == 200 and moved.json()["data"]["email_verified"] is False


async def test_a_tenant_reset_for_an_unknown_company_answers_the_same(web, smtp, tenant_a):
    inbox, _ = smtp
    system = System("tenants", tenant_a["headers"], tenant_a)
    account = await system.account(web)
    real = await web.post(
        f"{system.auth}/password-reset",
        json={"tenant_code": tenant_a["code"], "email": email_of(account)},
    )
    elsewhere = await web.post(
        f"{system.auth}/password-reset",
        json={"tenant_code": "NO-SUCH-CO", "email": email_of(account)},
    )
    assert real.status_code == elsewhere.status_code == 202
    assert real.json()["data"] == elsewhere.json()["data"]
    await inbox.wait(email_of(account))
    await asyncio.sleep(0.5)
    assert len(inbox.to(email_of(account))) == 1


async def expire_tokens(database_urls, system: System, account: Account) -> None:
    from runtime.data.db import async_url

    if system.name == "manager":
        from generated.manager.models import metadata
    else:
        from generated.tenants.models import metadata
    tokens = metadata.tables[f"{system.table_prefix}.account_tokens"]
    engine = create_async_engine(async_url(database_urls[system.database]))
    try:
        async with engine.begin() as conn:
            if account.tenant_id:
                await conn.execute(
                    text("SELECT set_config('cxg.tenant_id', :t, true)"), {"t": account.tenant_id}
                )
            await conn.execute(
                update(tokens)
                .where(tokens.c.user_id == uuid.UUID(account.id))
                .values(expires_at=text("now() - interval '1 second'"))
            )
    finally:
        await engine.dispose()
