"""Single sign-on with OpenID Connect against a real provider: `oidc-provider` (OpenID
Certified) on Node.js, started here on loopback (tests/oidc/provider.mjs). A test plays the
browser: it follows the authorization URL to the provider, signs in there by login_hint, and
takes the code and state the provider sends to the redirect URI."""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api.identity import System, address, assert_error, bearer, code
from tests.conftest import _no_secrets_in_responses, new_tenant

OIDC = Path(__file__).resolve().parents[1] / "oidc"
REDIRECT = "https://app.example/sso/callback"
PROVIDERS = "/api/v1/tenants/adm/identity-providers"
AUTH = "/api/v1/tenants/auth"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def provider():
    """The OpenID provider, running for this module (its packages installed if missing)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js and npm are needed (apt-get install nodejs npm)"
    if not (OIDC / "node_modules" / "oidc-provider").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC, capture_output=True, text=True
        )
        assert installed.returncode == 0, installed.stderr
    port, client_id, secret = _free_port(), "cxg-" + uuid.uuid4().hex[:6], uuid.uuid4().hex
    process = subprocess.Popen(
        [node, str(OIDC / "provider.mjs"), str(port), client_id, secret, REDIRECT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("listening "):
                break
        else:
            raise AssertionError(f"the provider did not start (exit {process.wait()})")
        yield {"issuer": line.split()[1], "client_id": client_id, "client_secret": secret}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
async def company(client, auth, provider):
    """A tenant whose identity provider is the test's, creating READER accounts."""
    tenant = await new_tenant(client, auth)
    headers = tenant["headers"]
    role = await client.post(
        "/api/v1/tenants/adm/roles",
        json={"code": "READER", "name": "Reader", "permissions": ["crm.customers:read"]},
        headers=headers,
    )
    assert role.status_code == 201, role.text
    made = await client.post(
        PROVIDERS,
        json={
            "code": "corp",
            "name": "Corporate sign-in",
            "issuer": provider["issuer"],
            "client_id": provider["client_id"],
            "client_secret": provider["client_secret"],
            "redirect_uri": REDIRECT,
            "allowed_domains": ["acme.example", "acme.example"],
            "create_users": True,
            "default_role_id": role.json()["data"]["id"],
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return {**tenant, "provider": made.json()["data"]}


@pytest.fixture
async def web(app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=address()),
        base_url="http://sso.test",
        event_hooks={"response": [_no_secrets_in_responses]},
    ) as c:
        yield c


async def person(provider, sub: str, email: str, verified: bool = True, name: str = "") -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{provider['issuer']}/__test__/accounts",
            json={"sub": sub, "claims": {"email": email, "email_verified": verified, "name": name}},
        )
        assert answer.status_code == 204, answer.text


async def tamper(provider, mode: str) -> None:
    async with httpx.AsyncClient() as http:
        assert (
            await http.post(f"{provider['issuer']}/__test__/tamper", json={"mode": mode})
        ).status_code == 204


async def at_provider(authorization_url: str, sub: str) -> tuple[str, str]:
    """The browser's part: to the provider, signed in there as ``sub``, back with the code."""
    url = f"{authorization_url}&login_hint={sub}"
    async with httpx.AsyncClient() as browser:  # keeps the provider's cookies
        for _ in range(10):
            answer = await browser.get(url)
            assert answer.status_code in (302, 303), answer.text
            url = (
                str(answer.next_request.url) if answer.next_request else answer.headers["location"]
            )
            if url.startswith(REDIRECT):
                query = parse_qs(urlsplit(url).query)
                assert "error" not in query, query
                return query["code"][0], query["state"][0]
    raise AssertionError("the provider never sent the browser back")


async def begin(web, company) -> tuple[str, str]:
    """An attempt: its authorization URL and state."""
    started = await web.post(f"{AUTH}/sso/authorize", json={"tenant_code": company["code"]})
    assert started.status_code == 200, started.text
    data = started.json()["data"]
    return data["authorization_url"], data["state"]


async def sign_in(web, company, sub: str) -> httpx.Response:
    url, _ = await begin(web, company)
    code_, state = await at_provider(url, sub)
    return await web.post(f"{AUTH}/sso/callback", json={"state": state, "code": code_})


async def test_the_first_sign_in_makes_the_account_the_next_finds_it(
    web, company, provider, database_urls
):
    sub = "alice-" + uuid.uuid4().hex[:6]
    await person(provider, sub, f"{sub}@acme.example", name="Alice Kim")
    url, state = await begin(web, company)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(provider["issuer"] + "/auth?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == [provider["client_id"]] and query["redirect_uri"] == [REDIRECT]
    assert query["state"] == [state] and query["nonce"][0]
    assert state.startswith(uuid.UUID(company["id"]).hex + ".")

    code_, back = await at_provider(url, sub)
    assert back == state
    signed = await web.post(f"{AUTH}/sso/callback", json={"state": state, "code": code_})
    assert signed.status_code == 200, signed.text
    headers = bearer(signed.json()["data"]["access_token"])
    me = (await web.get(f"{AUTH}/me", headers=headers)).json()["data"]
    assert me["username"] == sub and me["full_name"] == "Alice Kim"
    assert me["sso_provider"] == "corp" and me["sso_subject"] == sub
    assert me["email_verified"] is True and me["user_type"] == "USER"
    assert (await web.get("/api/v1/tenants/crm/customers", headers=headers)).status_code == 200

    replayed = await web.post(f"{AUTH}/sso/callback", json={"state": state, "code": code_})
    assert assert_error(replayed, 400, "SSO_STATE_INVALID")["detail"] == {"reason": "used"}
    again = await sign_in(web, company, sub)
    assert again.status_code == 200, again.text
    system = System("tenants", company["headers"], company)
    account = await system_account(system, me)
    (row,) = await system.rows(database_urls, "users", account)
    assert row["password"] is None  # SSO only: there is no password to sign in with
    refused = await web.post(
        f"{AUTH}/login",
        json={"tenant_code": company["code"], "username": sub, "password": "Any-Passw0rd"},
    )
    assert_error(refused, 401, "AUTHENTICATION_REQUIRED")
    reset = await web.post(
        f"{AUTH}/password-reset",
        json={"tenant_code": company["code"], "email": f"{sub}@acme.example"},
    )
    assert reset.status_code == 202
    assert await system.rows(database_urls, "account_tokens", account) == []  # no reset mail
    logged = await system.rows(database_urls, "login_logs", account)
    assert [r["attempt_type"] for r in logged if r["success"]].count("SSO_LOGIN") == 2
    audited = await system.rows(database_urls, "audt.audit_logs", account)
    assert "SSO_SIGNUP" in {r["action"] for r in audited}


async def system_account(system: System, me: dict):
    from tests.api.identity import Account

    return Account(me["username"], "", me["id"], {}, tenant_id=system.tenant["id"])


async def test_an_account_with_the_vouched_address_is_linked(web, company, provider, database_urls):
    system = System("tenants", company["headers"], company)
    account = await system.account(web, email=f"bob-{uuid.uuid4().hex[:6]}@acme.example")
    email = (await web.get(f"{system.users}/{account.id}", headers=company["headers"])).json()[
        "data"
    ]["email"]
    await person(provider, "bob-" + account.id, email.upper())  # addresses match in any case
    signed = await sign_in(web, company, "bob-" + account.id)
    assert signed.status_code == 200, signed.text
    me = (await web.get(f"{AUTH}/me", headers=bearer(signed.json()["data"]["access_token"]))).json()
    assert me["data"]["id"] == account.id and me["data"]["sso_subject"] == "bob-" + account.id
    assert "access_token" in await system.tokens(web, account)  # the password still works
    audited = await system.rows(database_urls, "audt.audit_logs", account)
    assert "SSO_LINK" in {r["action"] for r in audited}

    other = await system.account(web, email=f"carol-{uuid.uuid4().hex[:6]}@acme.example")
    carol = (await web.get(f"{system.users}/{other.id}", headers=company["headers"])).json()["data"]
    await person(provider, "carol-" + other.id, carol["email"], verified=False)
    unvouched = await sign_in(web, company, "carol-" + other.id)
    assert_error(unvouched, 403, "SSO_ACCOUNT_NOT_FOUND")


@pytest.mark.parametrize(
    "mode, refused",
    [
        ("audience", "SSO_AUDIENCE_MISMATCH"),
        ("signature", "SSO_SIGNATURE_INVALID"),
        ("issuer", "SSO_ISSUER_MISMATCH"),
        ("expired", "SSO_TOKEN_INVALID"),
    ],
)
async def test_a_spoiled_id_token_is_refused(web, company, provider, database_urls, mode, refused):
    sub = "dave-" + uuid.uuid4().hex[:6]
    await person(provider, sub, f"{sub}@acme.example")
    url, _ = await begin(web, company)
    code_, state = await at_provider(url, sub)
    await tamper(provider, mode)
    answer = await web.post(f"{AUTH}/sso/callback", json={"state": state, "code": code_})
    assert_error(answer, 401, refused)
    # nobody was made, and the failure is in the login log under its code
    listed = await web.get(
        "/api/v1/tenants/adm/users", params={"search": sub}, headers=company["headers"]
    )
    assert listed.json()["data"]["items"] == []
    logs = await web.get(
        "/api/v1/tenants/adm/login-logs",
        params={"failure_reason": refused, "page_size": 100},
        headers=company["headers"],
    )
    assert [r["username"] for r in logs.json()["data"]["items"]] != []


async def test_a_replayed_nonce_is_refused(web, company, provider):
    """The nonce of a finished sign-in, put into a new attempt's authorization request by
    whoever controls the browser: the provider's ID token then carries the old nonce."""
    sub = "erin-" + uuid.uuid4().hex[:6]
    await person(provider, sub, f"{sub}@acme.example")
    first_url, _ = await begin(web, company)
    first_code, first_state = await at_provider(first_url, sub)
    assert (
        await web.post(f"{AUTH}/sso/callback", json={"state": first_state, "code": first_code})
    ).status_code == 200
    old_nonce = parse_qs(urlsplit(first_url).query)["nonce"][0]

    url, _ = await begin(web, company)
    new_nonce = parse_qs(urlsplit(url).query)["nonce"][0]
    code_, state = await at_provider(url.replace(new_nonce, old_nonce), sub)
    answer = await web.post(f"{AUTH}/sso/callback", json={"state": state, "code": code_})
    assert_error(answer, 401, "SSO_NONCE_MISMATCH")


async def test_an_address_outside_the_allowed_domains_is_refused(web, company, provider):
    sub = "frank-" + uuid.uuid4().hex[:6]
    await person(provider, sub, f"{sub}@elsewhere.example")
    answer = await sign_in(web, company, sub)
    assert assert_error(answer, 403, "SSO_EMAIL_DOMAIN_REFUSED")["detail"] == {
        "domain": "elsewhere.example"
    }


async def test_unknown_people_are_refused_when_the_provider_makes_no_accounts(
    web, company, provider
):
    url = f"{PROVIDERS}/{company['provider']['id']}"
    assert (
        await web.patch(url, json={"create_users": False}, headers=company["headers"])
    ).status_code == 200
    try:
        sub = "gina-" + uuid.uuid4().hex[:6]
        await person(provider, sub, f"{sub}@acme.example")
        answer = await sign_in(web, company, sub)
        error = assert_error(answer, 403, "SSO_ACCOUNT_NOT_FOUND")
        assert error["detail"] == {"reason": "no account has this address"}
    finally:
        await web.patch(url, json={"create_users": True}, headers=company["headers"])


async def test_an_account_with_mfa_is_asked_for_its_code_after_sso(web, company, provider):
    system = System("tenants", company["headers"], company)
    account = await system.enrolled(web, email=f"hana-{uuid.uuid4().hex[:6]}@acme.example")
    assert account.secret
    email = (await web.get(f"{system.users}/{account.id}", headers=company["headers"])).json()[
        "data"
    ]["email"]
    await person(provider, "hana-" + account.id, email)
    answer = await sign_in(web, company, "hana-" + account.id)
    assert answer.status_code == 200, answer.text
    challenge = answer.json()["data"]
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    tokens = await system.verify(web, challenge["mfa_token"], code=code(account.secret, +1))
    assert tokens.status_code == 200, tokens.text


async def test_the_provider_is_configured_with_checks_and_a_hidden_secret(
    web, company, provider, database_urls
):
    headers = company["headers"]
    shown = (await web.get(f"{PROVIDERS}/{company['provider']['id']}", headers=headers)).json()[
        "data"
    ]
    assert "client_secret" not in shown and shown["allowed_domains"] == ["acme.example"]  # once
    from runtime.security import secretbox
    from tests.api.identity import Account

    system = System("tenants", headers, company)
    rows = await system.rows(
        database_urls,
        "identity_providers",
        Account("", "", shown["id"], {}, tenant_id=company["id"]),
    )
    assert rows[0]["client_secret"] != provider["client_secret"]
    assert secretbox.decrypt(rows[0]["client_secret"]) == provider["client_secret"]
    bad = await web.post(
        PROVIDERS,
        json={
            "code": "plain",
            "name": "Plain",
            "issuer": "http://idp.example",
            "client_id": "x",
            "client_secret": "y",
            "redirect_uri": REDIRECT,
            "allowed_domains": ["acme.example", "@ACME.example"],
        },
        headers=headers,
    )
    fields = {d["field"] for d in assert_error(bad, 422, "VALIDATION_ERROR")["detail"]}
    assert fields == {"issuer", "allowed_domains.1"}  # the second domain, not in lower case
