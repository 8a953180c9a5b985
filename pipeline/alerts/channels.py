"""Sending one message through one configured channel: email, webhook, Telegram.

Every sender raises DeliveryError with a message safe to store (never a
secret). Each message carries its alert key as an idempotency key (email
Message-ID, webhook header and body) so a receiver can drop the rare repeat
after a crash between "sent" and "recorded".
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from core.config import secret
from core.errors import PresswatchError

if TYPE_CHECKING:
    from core.config import Channel, Settings

TIMEOUT_SECONDS = 20.0
# Python folds long non-ASCII subjects into encoded words that lose the space at
# each fold ("Cứu trợbị"); not folding below the RFC 5322 line limit avoids it.
_POLICY = policy.SMTP.clone(max_line_length=998)


class DeliveryError(PresswatchError):
    """A channel refused or could not take the message; retried later."""


@dataclass(frozen=True, kw_only=True)
class Message:
    key: str
    subject: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


def message_id(key: str, domain: str = "presswatch.local") -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def send_email(
    settings: Settings,
    to: list[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    key: str | None = None,
) -> None:
    """Send through the configured SMTP server (STARTTLS and login when configured)."""
    if not to:
        raise DeliveryError("no recipients configured")
    message = new_email(settings, to, subject)
    if key:
        message["Message-ID"] = message_id(key)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    smtp_send(settings, message)


def new_email(settings: Settings, to: list[str], subject: str) -> EmailMessage:
    """An empty message with From/To/Subject/Date set, for callers adding their own parts."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = settings.smtp.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject[:200]
    message["Date"] = formatdate(localtime=False)
    return message


def smtp_send(settings: Settings, message: EmailMessage) -> None:
    smtp = settings.smtp
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, secret(smtp.password_env) or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {exc}") from None


def _post(url: str, shown_url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    import httpx

    try:
        response = httpx.post(url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"POST {shown_url}: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"POST {shown_url}: HTTP {response.status_code} {response.text[:200]}")
    try:
        return response.json()
    except ValueError:
        return None


def send_webhook(channel: Channel, message: Message) -> None:
    if not channel.url:
        raise DeliveryError(f"channel {channel.id}: no url configured")
    body = {"key": message.key, "subject": message.subject, "text": message.text, **message.payload}
    _post(channel.url, channel.url, body, {"Idempotency-Key": message.key})


def send_telegram(channel: Channel, message: Message) -> None:
    token = secret(channel.token_env)
    if not token:
        raise DeliveryError(
            f"channel {channel.id}: set the bot token in ${channel.token_env or '(token_env)'}"
        )
    if not channel.chat_id:
        raise DeliveryError(f"channel {channel.id}: no chat_id configured")
    base = channel.api_url.rstrip("/")
    # The token is part of the URL: show the URL without it in errors.
    shown = f"{base}/bot***/sendMessage"
    text = f"{message.subject}\n\n{message.text}"[:4096]  # Telegram's message limit
    reply = _post(
        f"{base}/bot{token}/sendMessage",
        shown,
        {"chat_id": channel.chat_id, "text": text, "disable_web_page_preview": True},
        {},
    )
    if not isinstance(reply, dict) or not reply.get("ok"):
        raise DeliveryError(f"POST {shown}: Telegram answered {reply!r}"[:300])


def send(settings: Settings, channel: Channel, message: Message) -> None:
    if channel.kind == "email":
        send_email(settings, channel.to, message.subject, message.text, key=message.key)
    elif channel.kind == "webhook":
        send_webhook(channel, message)
    else:
        send_telegram(channel, message)
