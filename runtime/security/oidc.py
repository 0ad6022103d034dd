"""OpenID Connect, the relying party's side, no database: the provider's metadata and keys,
the authorization URL (code flow with PKCE S256, state and nonce), the code exchange, and the
ID token's verification.

The protocol's pieces are `authlib`'s (the grant URI and token request, the S256 challenge,
the ID token's claim rules: ``CodeIDToken`` checks issuer, audience, expiry, nonce, azp and
at_hash) and its JOSE library `joserfc`'s (the signature, against the provider's published
JWKS, with the algorithms its metadata names, never ``none`` or a shared secret); `httpx`
carries the requests. The provider's metadata must name the issuer it was fetched for
(OpenID Connect Discovery 4.3); metadata and keys are kept for ``TTL`` seconds, and the keys
are fetched again at once when a token names a key they lack (rotation).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from runtime.web.errors import (
    SsoAudienceError,
    SsoIssuerError,
    SsoNonceError,
    SsoProviderError,
    SsoSignatureError,
    SsoTokenError,
)

TTL = 600  # seconds metadata and keys are kept
TIMEOUT = 10.0
LEEWAY = 60  # seconds of clock difference allowed on exp and iat
# asymmetric signatures only: an ID token signed with the client secret (HS256) could be made
# by anyone who holds the secret, and "none" by anyone at all
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")


@dataclass(frozen=True)
class Client:
    """Our registration at one provider (a tenant's ``adm.identity_providers`` row)."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: str


_metadata: dict[str, tuple[float, dict[str, Any]]] = {}
_keys: dict[str, tuple[float, dict[str, Any]]] = {}


def is_allowed_url(url: str) -> bool:
    """https, or http on the machine itself (a provider under test, a developer's)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


async def _get_json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        answer = await http.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
        answer.raise_for_status()
        data = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoProviderError(detail={"url": url, "problem": str(exc)[:200]}) from None
    if not isinstance(data, dict):
        raise SsoProviderError(detail={"url": url, "problem": "not a JSON object"})
    return data


async def metadata(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    kept = _metadata.get(issuer)
    if kept and kept[0] > time.monotonic():
        return kept[1]
    data = await _get_json(http, issuer.rstrip("/") + "/.well-known/openid-configuration")
    if data.get("issuer") != issuer:
        raise SsoProviderError(detail={"problem": "the metadata names another issuer"})
    missing = [
        k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not data.get(k)
    ]
    if missing:
        raise SsoProviderError(detail={"problem": f"the metadata lacks {', '.join(missing)}"})
    _metadata[issuer] = (time.monotonic() + TTL, data)
    return data


async def _key_set(http: httpx.AsyncClient, meta: dict[str, Any], fresh: bool) -> KeySet:
    uri = meta["jwks_uri"]
    kept = _keys.get(uri)
    if fresh or not kept or kept[0] <= time.monotonic():
        kept = (time.monotonic() + TTL, await _get_json(http, uri))
        _keys[uri] = kept
    try:
        return KeySet.import_key_set(kept[1])  # type: ignore[arg-type]  # a JWKS document
    except (JoseError, ValueError, KeyError, TypeError):
        raise SsoProviderError(detail={"problem": "the provider's keys cannot be read"}) from None


def authorization_url(
    meta: dict[str, Any], client: Client, state: str, nonce: str, verifier: str
) -> str:
    url: str = prepare_grant_uri(
        meta["authorization_endpoint"],
        client.client_id,
        "code",
        redirect_uri=client.redirect_uri,
        scope=client.scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return url


async def exchange(
    http: httpx.AsyncClient, meta: dict[str, Any], client: Client, code: str, verifier: str
) -> dict[str, Any]:
    """The token response for ``code`` (client_secret_basic, RFC 6749 2.3.1: the parts are
    form-encoded before they are joined)."""
    body = prepare_token_request(
        "authorization_code", code=code, redirect_uri=client.redirect_uri, code_verifier=verifier
    )
    pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
    }
    try:
        answer = await http.post(
            meta["token_endpoint"], content=body, headers=headers, timeout=TIMEOUT
        )
        data = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoProviderError(detail={"problem": str(exc)[:200]}) from None
    if answer.status_code != 200 or not isinstance(data, dict) or "error" in data:
        error = data.get("error") if isinstance(data, dict) else None
        raise SsoProviderError(detail={"problem": "the provider refused the code", "error": error})
    if not isinstance(data.get("id_token"), str):
        raise SsoProviderError(detail={"problem": "no ID token in the token response"})
    return data


async def verify(
    http: httpx.AsyncClient,
    meta: dict[str, Any],
    client: Client,
    token: dict[str, Any],
    nonce: str,
) -> dict[str, Any]:
    """The claims of the token response's ID token, or the error that says what is wrong."""
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in offered if a in ALGORITHMS]
    try:
        try:
            decoded = jwt.decode(token["id_token"], await _key_set(http, meta, False), algorithms)
        except InvalidKeyIdError:  # the provider may have rotated its keys
            decoded = jwt.decode(token["id_token"], await _key_set(http, meta, True), algorithms)
    except BadSignatureError:
        raise SsoSignatureError() from None
    except JoseError as exc:
        raise SsoTokenError(detail={"problem": exc.error}) from None
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {
            "iss": {"essential": True, "value": client.issuer},
            "aud": {"essential": True, "value": client.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
        },
        {"nonce": nonce, "client_id": client.client_id, "access_token": token.get("access_token")},
    )
    try:
        claims.validate(leeway=LEEWAY)
    except ExpiredTokenError:
        raise SsoTokenError(detail={"problem": "expired"}) from None
    except (InvalidClaimError, MissingClaimError) as exc:
        error = {"aud": SsoAudienceError, "iss": SsoIssuerError, "nonce": SsoNonceError}.get(
            exc.claim, SsoTokenError
        )
        raise error(detail={"claim": exc.claim}) from None
    return dict(claims)


async def completed(
    http: httpx.AsyncClient, meta: dict[str, Any], claims: dict[str, Any], token: dict[str, Any]
) -> dict[str, Any]:
    """The ID token's claims, with the address and name from the UserInfo endpoint when the
    ID token does not carry them (whose ``sub`` must be the ID token's, OIDC Core 5.3.2)."""
    if claims.get("email") or not meta.get("userinfo_endpoint") or not token.get("access_token"):
        return claims
    try:
        answer = await http.get(
            meta["userinfo_endpoint"],
            headers={
                "Authorization": f"Bearer {token['access_token']}",
                "Accept": "application/json",
            },
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        info = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoProviderError(detail={"problem": str(exc)[:200]}) from None
    if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
        raise SsoTokenError(detail={"claim": "sub", "problem": "UserInfo names another subject"})
    extra = {k: info[k] for k in ("email", "email_verified", "name") if k in info}
    return {**claims, **extra}
