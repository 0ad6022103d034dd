"""The error hierarchy: one base with a status, a stable English code and localised messages.

Messages are Korean by default and English when the client sends ``Accept-Language: en``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

# What an operation is or does (runtime.web.contract works them out), and so which errors it
# can answer: each class below names the facts under which it can happen (``when``, any one of
# them; empty: always; None: only where an endpoint declares raising it). The API document
# lists exactly those errors per operation, so a new class is documented where it applies.
AUTHENTICATED = "authenticated"  # a credential is required
FULL_CREDENTIAL = "full_credential"  # refuses a token that may only enrol in MFA
PERMISSION = "permission"  # a permission code is checked
TENANT_WRITE = "tenant_write"  # writes rows of the tenant database (row-level security)
ROW = "row"  # the path names a row that may not exist
UNIQUE = "unique"  # writes a value that must be unique
RESTRICTED = "restricted"  # a delete that live references may refuse
HAND_RULES = "hand_rules"  # a write that hand-written rules (hooks, guards) may refuse
TRANSITIONS = "transitions"  # a move of a state machine
EDITABLE = "editable"  # a write to a document (or its line) that its state may lock
APPROVAL = "approval"  # a move into states only an approval may take
IF_MATCH = "if_match"  # honours If-Match
INPUT = "input"  # takes any input (path, query, header, body) that may be invalid
RATE_LIMITED = "rate_limited"  # counted by the rate limits or sign-in throttles
DATABASE = "database"  # needs a database


class CXGError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"
    messages: ClassVar[dict[str, str]] = {
        "ko": "서버 내부 오류가 발생했습니다.",
        "en": "An internal error occurred.",
    }
    when: ClassVar[frozenset[str] | None] = frozenset()  # any fact of these; empty: always
    example_detail: ClassVar[Any] = None  # what ``detail`` looks like, for the document
    # headers the answer carries, for the document: name -> (description, always sent)
    documented_headers: ClassVar[dict[str, tuple[str, bool]]] = {}

    def __init__(
        self,
        message: dict[str, str] | None = None,
        *,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ):
        self.custom = message
        self.detail = detail
        self.headers: Mapping[str, str] | None = headers
        super().__init__((message or self.messages)["en"])

    def message(self, lang: str) -> str:
        source = self.custom or self.messages
        return source.get(lang) or source["ko"]


class ValidationError(CXGError):
    status_code = 422
    code = "VALIDATION_ERROR"
    messages = {"ko": "입력값이 올바르지 않습니다.", "en": "The request is not valid."}
    when = frozenset({INPUT})
    example_detail = [
        {"field": "name", "source": "body", "message": "Field required", "type": "missing"}
    ]


class NotFoundError(CXGError):
    status_code = 404
    code = "RESOURCE_NOT_FOUND"
    messages = {"ko": "요청한 리소스를 찾을 수 없습니다.", "en": "The resource was not found."}
    when = frozenset({ROW})
    example_detail = {"id": "0b7e6a3c-5d1f-4c8e-9a2b-3f4d5e6a7b8c"}


class AlreadyExistsError(CXGError):
    status_code = 409
    code = "RESOURCE_ALREADY_EXISTS"
    messages = {"ko": "이미 존재하는 리소스입니다.", "en": "The resource already exists."}
    when = frozenset({UNIQUE})
    example_detail = [
        {"field": "code", "source": "body", "message": "already exists", "type": "unique"}
    ]


class ConflictError(CXGError):
    status_code = 409
    code = "CONFLICT"
    messages = {"ko": "다른 데이터와 충돌합니다.", "en": "The request conflicts with other data."}
    when = frozenset({RESTRICTED, HAND_RULES})
    example_detail = {"referenced_by": "crm.contacts", "field": "customer_id", "rows": 2}


class TransitionError(CXGError):
    """A status move the entity's state machine does not allow (``detail.allowed`` lists
    the moves that are)."""

    status_code = 409
    code = "INVALID_TRANSITION"
    messages = {
        "ko": "현재 상태에서 허용되지 않는 상태 변경입니다.",
        "en": "This status change is not allowed from the current status.",
    }
    when = frozenset({TRANSITIONS})
    example_detail = {"field": "status", "from": "SHIPPED", "to": "DRAFT", "allowed": ["DELIVERED"]}


class LockedError(CXGError):
    """A write to a document (or a line of one) that has left its editable states."""

    status_code = 409
    code = "DOCUMENT_LOCKED"
    messages = {
        "ko": "현재 상태에서는 문서를 수정할 수 없습니다.",
        "en": "The document cannot be changed in its current status.",
    }
    when = frozenset({EDITABLE})
    example_detail = {
        "entity": "srm.sales_orders",
        "field": "status",
        "state": "CONFIRMED",
        "editable": ["DRAFT"],
    }


class ApprovalRequiredError(CXGError):
    """A status move that only the end of an approval request may take."""

    status_code = 409
    code = "APPROVAL_REQUIRED"
    messages = {
        "ko": "이 상태 변경은 결재를 거쳐야 합니다.",
        "en": "This status change is taken by an approval, not directly.",
    }
    when = frozenset({APPROVAL})
    example_detail = {"field": "status", "to": "APPROVED", "via": "apm.approval_requests"}


class LinkTokenError(CXGError):
    """A token from a mail (e-mail verification, password reset) that is unknown, used,
    expired, or for an address the account no longer has (``detail.reason``)."""

    status_code = 400
    code = "TOKEN_INVALID"
    messages = {
        "ko": "링크가 유효하지 않거나, 이미 사용되었거나, 만료되었습니다. 다시 요청하세요.",
        "en": "The link is invalid, used or expired; ask for a new one.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class UnauthorizedError(CXGError):
    status_code = 401
    code = "AUTHENTICATION_REQUIRED"
    messages = {"ko": "인증이 필요합니다.", "en": "Authentication is required."}
    when: ClassVar[frozenset[str] | None] = frozenset({AUTHENTICATED})
    documented_headers = {"WWW-Authenticate": ("The scheme to authenticate with: Bearer.", True)}

    def __init__(self, message: dict[str, str] | None = None, *, detail: Any = None):
        super().__init__(message, detail=detail, headers={"WWW-Authenticate": "Bearer"})


class MfaCodeError(UnauthorizedError):
    """A TOTP or backup code that is wrong, or a backup code already used. Counted like a
    wrong password (lockout and throttling)."""

    code = "MFA_CODE_INVALID"
    messages = {
        "ko": "인증 코드가 올바르지 않습니다.",
        "en": "The authentication code is not valid.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class MfaCodeReusedError(UnauthorizedError):
    """A TOTP code of a time step already used (or earlier): each code works once."""

    code = "MFA_CODE_REUSED"
    messages = {
        "ko": "이미 사용한 인증 코드입니다. 다음 코드를 입력하세요.",
        "en": "This code was already used; enter the next one.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class MfaChallengeError(UnauthorizedError):
    """The second step of a sign-in named a challenge that is not one, is over or was used."""

    code = "MFA_CHALLENGE_INVALID"
    messages = {
        "ko": "다중 인증 요청이 유효하지 않거나 만료되었습니다. 다시 로그인하세요.",
        "en": "The MFA challenge is invalid, used or expired; sign in again.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class SsoTokenError(UnauthorizedError):
    """Single sign-on: the identity provider's ID token is not one to trust (malformed,
    expired, a claim missing or wrong: ``detail``)."""

    code = "SSO_TOKEN_INVALID"
    messages = {
        "ko": "SSO 인증 정보가 유효하지 않습니다.",
        "en": "The identity provider's token is not valid.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class SsoSignatureError(SsoTokenError):
    """The ID token's signature is not one of the provider's published keys."""

    code = "SSO_SIGNATURE_INVALID"
    messages = {
        "ko": "SSO 토큰의 서명을 확인할 수 없습니다.",
        "en": "The identity provider's token is not signed by the provider.",
    }


class SsoAudienceError(SsoTokenError):
    """The ID token was issued to another client than the tenant's."""

    code = "SSO_AUDIENCE_MISMATCH"
    messages = {
        "ko": "SSO 토큰이 이 서비스에 발급된 것이 아닙니다.",
        "en": "The identity provider's token was issued to another client.",
    }


class SsoIssuerError(SsoTokenError):
    """The ID token names another issuer than the configured provider."""

    code = "SSO_ISSUER_MISMATCH"
    messages = {
        "ko": "SSO 토큰의 발급자가 설정된 제공자가 아닙니다.",
        "en": "The identity provider's token names another issuer.",
    }


class SsoNonceError(SsoTokenError):
    """The ID token's nonce is not the one of this sign-in (a replayed or injected token)."""

    code = "SSO_NONCE_MISMATCH"
    messages = {
        "ko": "SSO 토큰이 이 로그인 요청의 것이 아닙니다.",
        "en": "The identity provider's token belongs to another sign-in.",
    }


class ForbiddenError(CXGError):
    status_code = 403
    code = "PERMISSION_DENIED"
    messages = {"ko": "권한이 없습니다.", "en": "You do not have permission for this."}
    when: ClassVar[frozenset[str] | None] = frozenset({PERMISSION})
    example_detail = {"permission": "crm.customers:create"}


class MfaEnrolmentRequiredError(ForbiddenError):
    """A token of an account that must enrol in MFA first (a policy requires it): it reaches
    the enrolment endpoints only."""

    code = "MFA_ENROLMENT_REQUIRED"
    messages = {
        "ko": "다중 인증을 먼저 등록해야 합니다.",
        "en": "Multi-factor authentication must be set up first.",
    }
    when = frozenset({FULL_CREDENTIAL})


class MfaRequiredByPolicyError(ForbiddenError):
    """Turning MFA off for an account a policy requires it of."""

    code = "MFA_REQUIRED_BY_POLICY"
    messages = {
        "ko": "정책상 이 계정은 다중 인증을 해제할 수 없습니다.",
        "en": "A policy requires multi-factor authentication for this account.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class SsoDomainError(ForbiddenError):
    """The provider vouched for an address outside the domains the tenant allows."""

    code = "SSO_EMAIL_DOMAIN_REFUSED"
    messages = {
        "ko": "허용되지 않은 이메일 도메인입니다.",
        "en": "The e-mail address is outside the domains this company allows.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class SsoAccountError(ForbiddenError):
    """No account matches, and the provider does not create accounts (or could not vouch
    for the address it would be matched by: ``detail.reason``)."""

    code = "SSO_ACCOUNT_NOT_FOUND"
    messages = {
        "ko": "SSO로 로그인할 수 있는 계정이 없습니다. 관리자에게 문의하세요.",
        "en": "No account may sign in with this identity; ask an administrator.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class SsoStateError(CXGError):
    """The callback named a sign-in that is unknown, used or over (``detail.reason``)."""

    status_code = 400
    code = "SSO_STATE_INVALID"
    messages = {
        "ko": "SSO 로그인 요청이 유효하지 않거나 만료되었습니다. 다시 시도하세요.",
        "en": "The single sign-on attempt is unknown, used or expired; start again.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class SsoProviderError(CXGError):
    """The identity provider could not be reached, answered what OpenID Connect does not
    allow, or refused the code (``detail``)."""

    status_code = 502
    code = "SSO_PROVIDER_ERROR"
    messages = {
        "ko": "SSO 제공자와의 통신에 실패했습니다.",
        "en": "The identity provider could not complete the sign-in.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class MfaStateError(CXGError):
    """An MFA step that does not fit the account's state (``detail.mfa`` says which)."""

    status_code = 409
    code = "MFA_STATE_CONFLICT"
    messages = {
        "ko": "현재 다중 인증 상태에서는 할 수 없는 요청입니다.",
        "en": "This request does not fit the account's MFA state.",
    }
    when = None  # raised by the endpoints that declare it (runtime.web.contract.answers)


class RowSecurityError(CXGError):
    """The tenant database's row-level security refused a row (SQLSTATE 42501, "violates
    row-level security policy"): the row is not the transaction's tenant's. The application's
    own filter stops such writes first, so reaching this wall means a query went past it; the
    caller is refused, never shown a server fault (runtime.web.handlers.classify)."""

    status_code = 403
    code = "ROW_SECURITY_VIOLATION"
    messages = {
        "ko": "다른 테넌트의 데이터에는 접근할 수 없습니다.",
        "en": "The row does not belong to your tenant.",
    }
    when = frozenset({TENANT_WRITE})


class RateLimitedError(CXGError):
    status_code = 429
    code = "RATE_LIMITED"
    messages = {
        "ko": "요청이 너무 많습니다. 잠시 후 다시 시도하세요.",
        "en": "Too many requests. Try again later.",
    }
    when = frozenset({RATE_LIMITED})
    documented_headers = {
        "Retry-After": ("Seconds until the window ends and requests are counted anew.", True),
        "X-RateLimit-Limit": ("Requests allowed per window (the rate limits, not sign-in).", False),
        "X-RateLimit-Remaining": ("Requests left in the window: 0 (the rate limits).", False),
    }
    example_detail = {"limit": 1000, "window_seconds": 3600}


class DatabaseUnavailableError(CXGError):
    """PostgreSQL cannot be reached or is not accepting work: an outage, try again later."""

    status_code = 503
    code = "DATABASE_UNAVAILABLE"
    messages = {
        "ko": "데이터베이스를 일시적으로 사용할 수 없습니다. 잠시 후 다시 시도하세요.",
        "en": "The database is temporarily unavailable. Try again shortly.",
    }
    when = frozenset({DATABASE})
    documented_headers = {"Retry-After": ("Seconds to wait before trying again.", True)}
    RETRY_AFTER_SECONDS = 5

    def __init__(self, message: dict[str, str] | None = None, *, detail: Any = None):
        super().__init__(
            message, detail=detail, headers={"Retry-After": str(self.RETRY_AFTER_SECONDS)}
        )


class MethodNotAllowedError(CXGError):
    status_code = 405
    code = "METHOD_NOT_ALLOWED"
    messages = {"ko": "허용되지 않는 메서드입니다.", "en": "Method not allowed."}
    when = None


class StaleVersionError(CXGError):
    """If-Match named a version the row no longer has: someone changed it meanwhile."""

    status_code = 412
    code = "STALE_VERSION"
    messages = {
        "ko": "다른 사용자가 먼저 변경했습니다. 다시 조회한 후 시도하세요.",
        "en": "The row was changed meanwhile. Fetch it again and retry.",
    }
    when = frozenset({IF_MATCH})
    example_detail = {"current": '"4"', "if_match": ['"3"']}


class PayloadTooLargeError(CXGError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    messages = {
        "ko": "요청 본문이 허용된 크기를 넘었습니다.",
        "en": "The request body is larger than allowed.",
    }
    # the limit stands in front of every path, so any request can carry too large a body
    when = frozenset()


class InternalError(CXGError):
    when = None  # the base class documents INTERNAL_ERROR
