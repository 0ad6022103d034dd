"""SSO 제공자 (Identity provider): business logic of adm.identity_providers (tenants),
hand-owned.

The client secret is stored encrypted (runtime.security.secretbox), never as sent, and never
shown (a secret field is write-only). The issuer and the redirect URI must be https (http only
on the machine itself, for a provider under test), and the allowed domains a list of e-mail
domains, kept in lower case (runtime.security.sso compares them so).
"""

from __future__ import annotations

import re
from typing import Any

from runtime.logic.extend import Context
from runtime.security import secretbox
from runtime.security.oidc import is_allowed_url
from runtime.web.errors import ValidationError

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _problem(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "source": "body", "type": "value_error", "message": message}


def _checked(values: dict[str, Any]) -> None:
    problems = [
        _problem(field, "must be an https URL (http only on 127.0.0.1 or localhost)")
        for field in ("issuer", "redirect_uri")
        if field in values and not is_allowed_url(str(values[field]))
    ]
    if "allowed_domains" in values:
        domains = values["allowed_domains"]
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            problems.append(_problem("allowed_domains", "must be a list of e-mail domains"))
        else:
            normal = sorted({d.strip().lower().removeprefix("@") for d in domains})
            bad = [d for d in normal if not DOMAIN.match(d)]
            if bad:
                problems.append(_problem("allowed_domains", f"not a domain: {', '.join(bad)}"))
            values["allowed_domains"] = normal
    if problems:
        raise ValidationError(detail=problems)
    if values.get("client_secret") is not None:
        values["client_secret"] = secretbox.encrypt(values["client_secret"])


async def before_create(ctx: Context, values: dict[str, Any]) -> None:
    _checked(values)


async def before_update(ctx: Context, row: Any, values: dict[str, Any]) -> None:
    _checked(values)
