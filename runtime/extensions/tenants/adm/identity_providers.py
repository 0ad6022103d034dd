"""SSO 제공자 (Identity provider): business logic of adm.identity_providers (tenants),
hand-owned.

The client secret is stored encrypted (runtime.security.secretbox), never as sent, and never
shown (a secret field is write-only). The issuer and the redirect URI must be https (http only
on the machine itself, for a provider under test): the spec's pattern says so to clients, and
the check here holds it for any URL the pattern's text admits. The allowed domains are e-mail
domains in lower case (the spec's items: email_domain), kept sorted and once each.
"""

from __future__ import annotations

from typing import Any

from runtime.logic.extend import Context
from runtime.security import secretbox
from runtime.security.oidc import is_allowed_url
from runtime.web.errors import ValidationError


def _problem(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "source": "body", "type": "value_error", "message": message}


def _checked(values: dict[str, Any]) -> None:
    problems = [
        _problem(field, "must be an https URL (http only on 127.0.0.1 or localhost)")
        for field in ("issuer", "redirect_uri")
        if field in values and not is_allowed_url(str(values[field]))
    ]
    if values.get("allowed_domains") is not None:
        values["allowed_domains"] = sorted(set(values["allowed_domains"]))
    if problems:
        raise ValidationError(detail=problems)
    if values.get("client_secret") is not None:
        values["client_secret"] = secretbox.encrypt(values["client_secret"])


async def before_create(ctx: Context, values: dict[str, Any]) -> None:
    _checked(values)


async def before_update(ctx: Context, row: Any, values: dict[str, Any]) -> None:
    _checked(values)
