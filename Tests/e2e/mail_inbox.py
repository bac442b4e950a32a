"""A real SMTP server for the end-to-end suite: aiosmtpd on a loopback port keeps every delivered message,
and the tests read them as a user reads their inbox."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from reverify_e2e import free_port


class Inbox:
    """An aiosmtpd handler that keeps every delivered message."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def wait_for(self, recipient: str, count: int = 1, timeout: float = 10.0) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                mine = [m for m in self.messages if recipient in m["To"]]
            if len(mine) >= count:
                return mine[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no message #{count} for {recipient} within {timeout}s")

    def count(self, recipient: str) -> int:
        with self.lock:
            return sum(recipient in m["To"] for m in self.messages)


@contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """A running SMTP server on 127.0.0.1 and a free port: yields the inbox and the port, stops it after."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def code_and_link(message) -> tuple[str, str]:
    """The 6-digit code and the magic link of a verification email."""
    text, _ = parts(message)
    code = re.search(r"\b(\d{6})\b", text).group(1)
    link = re.search(r"(http://\S+/reauth/magic/\S+)", text).group(1)
    return code, link
