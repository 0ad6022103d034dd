"""What the sign-in endpoints of both systems take and answer, and the messages they refuse
with (Korean first, English when asked)."""

from __future__ import annotations

from pydantic import EmailStr, Field

from runtime.security.credentials import NewPassword
from runtime.web.envelope import Output
from runtime.web.schemas import Input

BAD_LOGIN = {
    "ko": "사용자명 또는 비밀번호가 올바르지 않습니다.",
    "en": "Incorrect username or password.",
}


INACTIVE = {"ko": "사용할 수 없는 계정입니다.", "en": "This account cannot sign in."}


BAD_REFRESH = {
    "ko": "갱신 토큰이 유효하지 않거나 만료되었습니다.",
    "en": "The refresh token is invalid or expired.",
}


LOCKED = {
    "ko": "로그인 실패가 반복되어 계정이 잠겼습니다. 잠시 후 다시 시도하세요.",
    "en": "Too many failed logins: the account is locked for a while.",
}


REUSED = {
    "ko": "이미 사용된 갱신 토큰입니다. 다시 로그인하세요.",
    "en": "This refresh token was already used; sign in again.",
}


WRONG_PASSWORD = {
    "ko": "현재 비밀번호가 올바르지 않습니다.",
    "en": "The current password is incorrect.",
}


LOGIN_ANSWERS = (
    "A token pair; or, for an account with multi-factor authentication, a challenge"
    " (`mfa_required: true`) to answer with a code at POST .../auth/mfa/verify."
)


class LoginRequest(Input):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class NewAccount(Input):
    """A user account someone asks for: the user type, status and roles are set by the server."""

    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=100)
    password: NewPassword


class RefreshRequest(Input):
    refresh_token: str = Field(min_length=1)


class ChangePasswordRequest(Input):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: NewPassword


class TokenPair(Output):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class Message(Output):
    message: str


class TokenRequest(Input):
    token: str = Field(
        min_length=1, max_length=200, description="The token the mail's link carries."
    )


class PasswordResetRequest(Input):
    email: EmailStr


class TenantPasswordResetRequest(Input):
    tenant_code: str = Field(min_length=1, max_length=30, description="The company's tenant code.")
    email: EmailStr


class PasswordResetConfirm(Input):
    token: str = Field(
        min_length=1, max_length=200, description="The token the mail's link carries."
    )
    new_password: NewPassword
