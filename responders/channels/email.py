"""Email over SMTP (smtplib), STARTTLS and login optional.

SMTP has its own failure vocabulary: a refused recipient, a refused message or refused
credentials are permanent; a server that cannot be reached, hangs or answers 4xx
("try again later") is transient.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from responders.channels.base import ChannelError, Delivery, Message


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int = 587, sender: str = "crisiswatch@localhost",
                 to: str = "", username: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 10.0):
        self.host, self.port, self.sender, self.to = host, port, sender, to
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, message: Message, now: datetime) -> Delivery:
        recipients = [a.strip() for a in (message.to or self.to).split(",") if a.strip()]
        if not recipients:
            raise ChannelError("email: no recipient address", permanent=True)
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, ", ".join(recipients)
        mail["Subject"] = message.subject or message.body.splitlines()[0][:120]
        mail["Date"] = format_datetime(now.replace(microsecond=0), usegmt=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or "localhost")
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(mail, self.sender, recipients)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"email: login refused ({exc.smtp_code})", permanent=True)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"email: recipients refused: {sorted(exc.recipients)}",
                               permanent=True)
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"email: server said {exc.smtp_code}",
                               permanent=500 <= exc.smtp_code < 600)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"email: {type(exc).__name__}: {exc}", permanent=False)
        if refused:
            raise ChannelError(f"email: some recipients refused: {sorted(refused)}",
                               permanent=True)
        return Delivery(external_id=mail["Message-ID"])
