"""Delivering a message over SMTP (`aiosmtplib`), with the CXG_SMTP_* settings.

Mail is sent after the request's transaction commits (a background task of the response), so
a link never arrives before the token it carries exists, and a request never waits for, or
fails with, the mail server: a refused or unreachable server is logged. Without
``CXG_SMTP_HOST`` nothing is sent: the message is logged instead (in full outside production,
so that development needs no mail server).
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from runtime.settings import Settings

log = logging.getLogger("cxg.mail")


async def send(settings: Settings, message: EmailMessage) -> bool:
    """Deliver ``message``; whether the server took it."""
    if not settings.smtp_host:
        log.warning(
            "mail not sent (CXG_SMTP_HOST is not set): %r to %s", message["Subject"], message["To"]
        )
        if settings.environment != "production":
            log.warning("%s", message.get_content())
        return False
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.error("mail %r to %s not delivered: %s", message["Subject"], message["To"], exc)
        return False
    return True
