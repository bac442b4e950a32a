"""Reading verification codes from a server's file outbox (``serve --mail-outbox DIR``), as a user reads
their inbox: each message is one ``.eml`` file whose name starts with the time it was written."""

from __future__ import annotations

import email
import email.policy
import re
import time
from pathlib import Path


def messages_to(outbox: Path, recipient: str) -> list[email.message.EmailMessage]:
    """Every message in `outbox` addressed to `recipient`, oldest first."""
    if not outbox.exists():
        return []
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if recipient in message["To"]:
            found.append(message)
    return found


def wait_for_code(outbox: Path, recipient: str, already: int, timeout: float = 15.0) -> str:
    """The 6-digit code of message number `already + 1` to `recipient`, waiting for it to arrive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = messages_to(outbox, recipient)
        if len(mine) > already:
            text = mine[already].get_body(preferencelist=("plain",)).get_content()
            return re.search(r"\b(\d{6})\b", text).group(1)
        time.sleep(0.05)
    raise AssertionError(f"no message #{already + 1} for {recipient} within {timeout}s")
