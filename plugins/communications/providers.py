"""Providers: what actually sends a message, one per name, each serving some channels.

- `console`: the built-in outbox. It keeps the message (the row is the record; the last
  few are also kept in memory and logged) and answers DELIVERED at once. The default for
  every channel, so the demo and a development machine work offline.
- `smtp`: email through `aiosmtplib`, configured by settings (`COMMUNICATIONS_SMTP_HOST`,
  `_PORT`, `_USER`, `_PASSWORD`, `_TLS` (`none`, `starttls`, `tls`), `_FROM`, `_TIMEOUT`).
  Without a host, email goes through `console`. An accepted message is SENT (SMTP says
  nothing about the inbox). A 4xx reply or a connection failure is `Temporary` (the job
  tries again with backoff), a 5xx `Permanent` (FAILED at once).

`send(message, files)` gets the row and its attachments (`name`, `content_type`, `data`, the
bytes; None for a file gone from the storage, which fails the message: it cannot be sent as
written). Settings are read at each send, so a process picks up a changed environment on the next
message (the tests point it at their own server)."""

import html
import logging
from collections import deque
from email.message import EmailMessage

import aiosmtplib
import nh3
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class Temporary(Exception):
    """Worth trying again later (4xx, no connection, a timeout)."""


class Permanent(Exception):
    """Never going through (5xx, a malformed address)."""


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMUNICATIONS_SMTP_", extra="ignore")

    host: str | None = Field(default=None, description="Unset: email goes through `console`.")
    port: int = 587
    user: str | None = None
    password: str | None = None
    tls: str = Field(default="starttls", description="`none`, `starttls` or `tls`.")
    sender: str = Field(default="hub@localhost", alias="COMMUNICATIONS_SMTP_FROM")
    timeout: float = 30.0


def plain_text(body: str) -> str:
    """The text of a sanitised HTML body, for the text/plain part."""
    return html.unescape(nh3.clean(body, tags=set()))


def _present(files: list[dict]) -> None:
    gone = [f["name"] for f in files if f["data"] is None]
    if gone:
        raise Permanent(f"Attachment gone from the storage: {', '.join(gone)[:300]}")


class Console:
    name = "console"
    channels = frozenset({"EMAIL", "SMS", "WHATSAPP"})
    sent: deque = deque(maxlen=100)

    async def send(self, message: dict, files: list[dict]) -> tuple[str, str]:
        """(status, provider message id)."""
        _present(files)
        self.sent.append({**message, "attachments": [f["name"] for f in files]})
        log.info("console provider: %s to %s", message["channel"], message["to_address"])
        return "DELIVERED", f"console-{message['tenant_id']}-{message['id']}"


class Smtp:
    name = "smtp"
    channels = frozenset({"EMAIL"})

    async def send(self, message: dict, files: list[dict]) -> tuple[str, str]:
        _present(files)
        settings = SmtpSettings()
        email = EmailMessage()
        message_id = f"<comm-{message['tenant_id']}-{message['id']}@customer-hub>"
        email["From"] = message["from_address"] or settings.sender
        email["To"] = message["to_address"]
        email["Subject"] = message["subject"] or ""
        email["Message-ID"] = message_id  # the same on a retry: receivers may drop a twin
        email.set_content(plain_text(message["body"]))
        email.add_alternative(message["body"], subtype="html")
        for file in files:
            main, _, sub = file["content_type"].partition("/")
            email.add_attachment(
                file["data"], maintype=main, subtype=sub or "octet-stream", filename=file["name"]
            )
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.host,
                port=settings.port,
                username=settings.user,
                password=settings.password,
                use_tls=settings.tls == "tls",
                start_tls=settings.tls == "starttls",
                timeout=settings.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [r.code for r in error.recipients]
            raise (Temporary if all(400 <= c < 500 for c in codes) else Permanent)(
                "; ".join(f"{r.code} {r.message}" for r in error.recipients)
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            kind = Temporary if 400 <= error.code < 500 else Permanent
            raise kind(f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise Temporary(str(error) or type(error).__name__) from error
        return "SENT", message_id


PROVIDERS = {p.name: p for p in (Console(), Smtp())}


def for_channel(channel: str) -> str:
    """The provider a new outbound message on `channel` goes through."""
    if channel == "EMAIL" and SmtpSettings().host:
        return "smtp"
    return "console"
