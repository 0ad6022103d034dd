"""What the MFA endpoints of both systems take and answer, and how their errors are
documented (the API document lists each code under its status)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from runtime.security.signin_models import TokenPair
from runtime.web.errors import (
    MfaChallengeError,
    MfaCodeError,
    MfaCodeReusedError,
    MfaRequiredByPolicyError,
    MfaStateError,
    UnauthorizedError,
)
from runtime.web.schemas import Input, absent

OWN_ACCOUNT_ONLY = {
    "ko": "본인 계정으로 로그인한 사용자만 다중 인증을 설정할 수 있습니다.",
    "en": "Only a user signed in to their own account can set up MFA.",
}
STATE_MESSAGES = {
    "enabled": {"ko": "다중 인증이 이미 켜져 있습니다.", "en": "MFA is already on."},
    "not_enabled": {"ko": "다중 인증이 켜져 있지 않습니다.", "en": "MFA is not on."},
    "not_enrolled": {
        "ko": "확인할 다중 인증 등록이 없습니다. 먼저 등록하세요.",
        "en": "There is no enrolment to confirm; enrol first.",
    },
}


CODE = Field(
    default_factory=absent,
    min_length=6,
    max_length=6,
    pattern=r"^\d{6}$",
    description="The six digits the authenticator app shows now.",
)
BACKUP_CODE = Field(
    default_factory=absent,
    min_length=10,
    max_length=20,
    description="One of the backup codes (XXXXX-XXXXX; case and dashes do not matter).",
)


class SecondFactor(Input):
    """A code from the authenticator app, or one of the backup codes: exactly one (the
    document says so with ``oneOf``; neither may be null)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["code"]}, {"required": ["backup_code"]}]}
    )
    non_nullable: ClassVar[frozenset[str]] = frozenset({"code", "backup_code"})

    code: str = CODE
    backup_code: str = BACKUP_CODE

    @model_validator(mode="after")
    def _one(self) -> SecondFactor:
        if len({"code", "backup_code"} & self.model_fields_set) != 1:
            raise ValueError("send either code or backup_code")
        return self


class MfaVerifyRequest(SecondFactor):
    mfa_token: str = Field(
        min_length=1, max_length=2000, description="The challenge the password step answered."
    )


class EnrolRequest(Input):
    password: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The account's password (required unless the account has none: SSO only).",
    )


class ConfirmRequest(Input):
    code: str = Field(
        min_length=6,
        max_length=6,
        pattern=r"^\d{6}$",
        description="The six digits the authenticator app shows for the new secret.",
    )


class ReauthRequest(SecondFactor):
    """The password (unless the account has none) and a current code, for disabling MFA or
    replacing the backup codes."""

    password: str | None = Field(None, min_length=1, max_length=200)


class MfaChallenge(BaseModel):
    """The password was right and the account uses MFA: no token yet. Send ``mfa_token`` with
    a code to POST .../auth/mfa/verify within ``expires_in`` seconds."""

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int
    methods: list[str] = Field(default_factory=lambda: ["totp", "backup_code"])


class MfaEnrolmentRequired(BaseModel):
    """The password was right, and a policy requires MFA of this account, which has none yet:
    ``access_token`` reaches only the enrolment endpoints (GET .../auth/mfa, mfa/enrol,
    mfa/confirm, logout; anything else is 403 MFA_ENROLMENT_REQUIRED). Confirming answers a
    full token pair for the same session. There is no refresh token."""

    mfa_enrolment_required: Literal[True] = True
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Enrolment(BaseModel):
    """A new secret, shown this once: add it to an authenticator app (the URI as a QR code),
    then confirm with the first code it shows."""

    secret: str = Field(description="Base32, for typing into the app by hand.")
    otpauth_uri: str
    digits: int = 6
    period: int = 30


class BackupCodes(BaseModel):
    backup_codes: list[str] = Field(description="Shown this once; each works once.")


class Enabled(BackupCodes):
    """MFA is on. ``tokens`` is a full token pair when the request came with a token that
    could only enrol (a policy required MFA): it replaces that token."""

    tokens: TokenPair | None = None


class MfaStatus(BaseModel):
    enabled: bool
    pending: bool = Field(description="A secret was issued and is waiting for its first code.")
    required: bool = Field(description="A policy requires MFA of this account.")
    backup_codes_left: int


# what each MFA endpoint does, for the API document (the same in both systems)
ABOUT = {
    "verify": "The second step of a sign-in: the `mfa_token` the password step answered and a"
    " current code (or a backup code) give the token pair. Each code works once; a wrong one"
    " counts towards the account's lockout like a wrong password.",
    "status": "Whether MFA is on for the signed-in account, whether an enrolment waits for its"
    " first code, whether a policy requires it, and how many backup codes are left.",
    "enrol": "Starts an enrolment: a new secret and its otpauth:// URI, shown this once. MFA"
    " is on only after POST .../mfa/confirm with the first code.",
    "confirm": "Confirms the enrolment with the first code the app shows: MFA is on, and the"
    " answer carries ten backup codes, shown this once.",
    "disable": "Turns MFA off, with the password (unless the account has none) and a current"
    " code or backup code. Refused while a policy requires MFA of the account.",
    "backup_codes": "Replaces the backup codes with ten new ones (shown this once), with the"
    " password and a current code; the old ones stop working.",
}

# the errors each MFA endpoint raises itself (runtime.web.contract.answers documents them)
VERIFY_RAISES = (MfaCodeError, MfaCodeReusedError, MfaChallengeError, UnauthorizedError)
ENROL_RAISES = (UnauthorizedError, MfaStateError)
CONFIRM_RAISES = (MfaCodeError, MfaCodeReusedError, UnauthorizedError, MfaStateError)
REAUTH_RAISES = (
    MfaCodeError,
    MfaCodeReusedError,
    UnauthorizedError,
    MfaRequiredByPolicyError,
    MfaStateError,
)
