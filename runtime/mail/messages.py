"""The mails of the account flows, in Korean and English: which language an account reads
(its ``locale``, else the request's Accept-Language, else Korean) and the message itself."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

LANGUAGES = ("ko", "en")

# (subject, body) per kind and language; the body names the account, the link and how long
# the link works
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "EMAIL_VERIFICATION": {
        "ko": (
            "[CXG] 이메일 주소를 확인해 주세요",
            "{name}님, 안녕하세요.\n\n"
            "아래 링크를 열어 이메일 주소({email})를 확인해 주세요.\n"
            "링크는 {valid} 동안 한 번만 사용할 수 있습니다.\n\n{link}\n\n"
            "요청하지 않으셨다면 이 메일을 무시하세요.\n",
        ),
        "en": (
            "[CXG] Confirm your e-mail address",
            "Hello {name},\n\n"
            "Open the link below to confirm your e-mail address ({email}).\n"
            "It works once, for {valid}.\n\n{link}\n\n"
            "If you did not ask for this, ignore this mail.\n",
        ),
    },
    "PASSWORD_RESET": {
        "ko": (
            "[CXG] 비밀번호 재설정",
            "{name}님, 안녕하세요.\n\n"
            "아래 링크에서 새 비밀번호를 정하세요. 링크는 {valid} 동안 한 번만 사용할 수 있으며,\n"
            "비밀번호를 바꾸면 모든 기기에서 로그아웃됩니다.\n\n{link}\n\n"
            "요청하지 않으셨다면 이 메일을 무시하세요. 비밀번호는 바뀌지 않습니다.\n",
        ),
        "en": (
            "[CXG] Reset your password",
            "Hello {name},\n\n"
            "Choose a new password at the link below. It works once, for {valid}, and\n"
            "changing the password signs you out everywhere.\n\n{link}\n\n"
            "If you did not ask for this, ignore this mail: your password stays as it is.\n",
        ),
    },
}


def language(locale: str | None, accept_language: str | None = None) -> str:
    """``ko`` or ``en``: the account's locale (ko-KR, en-US, ...) when it names one of them,
    else the first of them the request accepts, else Korean."""
    for candidate in [locale or "", *(accept_language or "").split(",")]:
        code = candidate.strip().split(";")[0].split("-")[0].split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return "ko"


def duration(minutes: int, lang: str) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours}시간" if lang == "ko" else f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes}분" if lang == "ko" else f"{minutes} minutes"


def compose(
    kind: str,
    lang: str,
    *,
    sender: str,
    to: str,
    name: str,
    link: str,
    valid_minutes: int,
) -> EmailMessage:
    subject, body = TEXTS[kind][lang]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="cxg")
    message.set_content(
        body.format(name=name, email=to, link=link, valid=duration(valid_minutes, lang))
    )
    message["Content-Language"] = lang  # after the content, which sets the Content-* headers
    return message
