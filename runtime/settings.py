"""Settings from the environment (prefix ``CXG_``) and an optional ``.env`` file."""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXG_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development | test | production")
    host: str = "127.0.0.1"
    port: int = 8100

    # Databases: both unset → an embedded PostgreSQL under data_dir (zero set-up default).
    manager_database_url: str | None = None
    tenant_database_url: str | None = None
    # "transaction" when the URLs above go through a transaction-mode pooler (PgBouncer):
    # nothing is kept in a database session (docs/deployment.md)
    db_pooler: Literal["none", "transaction"] = "none"
    # direct connections for LISTEN (cache invalidation); default: the URLs above
    manager_listen_url: str | None = None
    tenant_listen_url: str | None = None
    data_dir: Path = PROJECT_ROOT / ".cxg"
    # Connections per worker process and database: the ORM's pool (writes and whatever the
    # hot path passes on) and the hot path's own. Small by default, so that several workers
    # and the rest of the machine fit in PostgreSQL's max_connections (100 by default).
    db_pool_size: int = 5
    # Lists and gets answered from the generated SQL on driver connections (runtime.hot.path);
    # false sends every request through the generated routers (same answers, slower).
    hot_path: bool = True
    hot_pool_size: int = 8
    # worker processes of `serve`: unset means one per core in production, one otherwise
    workers: int | None = Field(None, ge=1)
    # peers whose X-Forwarded-For is believed (comma-separated addresses); none by default
    trusted_proxies: str = ""
    # request bodies larger than this are refused with 413 (runtime.web.bodylimit)
    max_request_bytes: int = Field(1024 * 1024, ge=1024)
    # one log line per request costs about a tenth of a small read; mutations are audited anyway
    access_log: bool = False
    db_max_overflow: int = 10
    db_echo: bool = False
    # Tenant transactions run as this role: not the tables' owner, so row-level security
    # applies to it (see runtime.tenancy.rls). Empty: the connection's own role is used as it is.
    tenant_app_role: str = Field("cxg_app", pattern=r"^[a-z_][a-z0-9_]*$|^$")

    # Tokens. Without CXG_JWT_SECRET a random secret is kept in data_dir (development only).
    jwt_secret: str | None = None
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "cxg"
    access_token_minutes: int = 30
    refresh_token_days: int = 7
    bcrypt_rounds: int = Field(12, ge=4, le=16)
    # Account lockout: this many failed logins in a row lock the account for a while.
    login_max_failures: int = Field(5, ge=1)
    login_lock_minutes: int = Field(15, ge=1)
    # failed sign-ins per address (and per address and account) per window: runtime.security.throttle
    login_failures_per_address: int = Field(50, ge=1)
    login_failures_per_account: int = Field(10, ge=1)
    login_throttle_window_seconds: int = Field(900, ge=1)

    # Secrets kept at rest (MFA secrets, identity providers' client secrets) are encrypted with
    # Fernet keys (runtime.security.secretbox): one or more, comma-separated; the first
    # encrypts, every one decrypts (rotation). Unset: a key kept in data_dir (development only).
    encryption_key: str | None = None
    # TOTP (runtime.security.mfa): the issuer authenticator apps show, how long the challenge
    # of a sign-in's second step lives, and whether every MASTER account must use it
    mfa_issuer: str = Field("CXG", min_length=1, max_length=50, pattern=r"^[^:]+$")
    mfa_challenge_minutes: int = Field(5, ge=1, le=30)
    mfa_required_for_masters: bool = False

    # Mail (runtime.mail): without a host, mails are written to the log instead of sent
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    # starttls: upgrade a plain connection (port 587); tls: TLS from the start (465); none
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(10, gt=0)
    mail_from: str = "CXG <no-reply@cxg.invalid>"
    # where the links in mails lead: the front end's /verify-email and /reset-password pages,
    # which send the token on to the API (runtime.security.links)
    mail_link_base: str = "http://127.0.0.1:8100"
    email_verification_hours: int = Field(48, ge=1)
    password_reset_minutes: int = Field(30, ge=5)

    # Requests per window (default: per hour) for a signed-in principal / a client address.
    rate_limit_authenticated: int = Field(1000, ge=1)
    rate_limit_anonymous: int = Field(100, ge=1)
    rate_limit_window_seconds: int = Field(3600, ge=1)

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """CXG_CORS_ORIGINS is a comma-separated list."""
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @property
    def embedded(self) -> bool:
        return not (self.manager_database_url and self.tenant_database_url)

    def worker_count(self) -> int:
        if self.workers:
            return self.workers
        return (os.cpu_count() or 1) if self.environment == "production" else 1

    def secret_key(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        if self.environment == "production":
            raise RuntimeError("CXG_JWT_SECRET must be set in production")
        path = self.data_dir / "jwt-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.jwt_secret = path.read_text().strip()
        return self.jwt_secret

    def encryption_keys(self) -> list[str]:
        """The Fernet keys, the encrypting one first (see ``encryption_key``)."""
        if not self.encryption_key:
            if self.environment == "production":
                raise RuntimeError("CXG_ENCRYPTION_KEY must be set in production")
            path = self.data_dir / "encryption-key"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                # Fernet's key format: 32 random bytes, URL-safe base64
                path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
                path.chmod(0o600)
            self.encryption_key = path.read_text().strip()
        return [k.strip() for k in self.encryption_key.split(",") if k.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
