"""A real local SMTP server (aiosmtpd) for the email channel tests: every accepted mail is
kept as a `Mail` (envelope sender, recipients, parsed message); one address can be refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import Message
from typing import NamedTuple

from aiosmtpd.controller import Controller

from tests.support.fake_http import free_port


class Mail(NamedTuple):
    sender: str
    rcpts: list[str]
    message: Message


class Inbox:
    """An aiosmtpd handler. `refuse` is an address answered 550; `policy` parses the mails
    (email.policy.default gives EmailMessage with get_content())."""

    def __init__(self, refuse: str | None = None, policy=policy.compat32):
        self.messages: list[Mail] = []
        self.refuse = refuse
        self.policy = policy

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos),
                                  message_from_bytes(envelope.content, policy=self.policy)))
        return "250 Message accepted"


@contextmanager
def smtp_server(inbox: Inbox) -> Iterator[int]:
    """Serve `inbox` on a free local port; yields the port."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
