"""scripts/agent-demo end to end (issue 12 item 7): the script plays the agent against a live `reverify serve
--demo --dev` (as scripts/serve starts it), and this test plays the person by HTTP: it opens the approval link the
script prints, verifies with the password and the code from the dev outbox (/dev/mail), and approves."""

from __future__ import annotations

import html
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from reverify_e2e import Browser, HostedPage, ReverifyServer, reverify_bin

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "agent-demo"


@pytest.fixture
def dev_server(tmp_path):
    server = ReverifyServer(tmp_path / "serve", demo=True,
                            extra_args=("--dev", "--mail-outbox", str(tmp_path / "serve" / "mail")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def newest_code(server: ReverifyServer, email: str) -> str:
    # Mail leaves off the request path (issue 9), so the code may land a moment after the page answered.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        page = Browser(server).http.get(server.base_url + "/dev/mail", timeout=10).text
        for text in re.findall(r"<pre>(.*?)</pre>", page, flags=re.S):  # newest first
            text = html.unescape(text)
            if "verification code" in text:
                return re.search(r"\b(\d{6})\b", text).group(1)
        time.sleep(0.1)
    raise AssertionError("no verification code in the dev outbox")


def approve_as_the_person(server: ReverifyServer, link: str, user) -> None:
    browser = Browser(server)
    landing = browser.open(link)
    assert isinstance(landing, HostedPage) and landing.text("headline") == "Pay 50.00 EUR to Acme Notes Inc.", landing
    assert landing.text("binding-message").startswith("Agent demo ")
    sign_in = browser.post_form(landing, urllib.parse.urlsplit(link).path)
    step = browser.submit_password(sign_in, user.password, email=user.email)
    # The action needs a second factor: the emailed code.
    assert isinstance(step, HostedPage) and step.has("step-up-reason"), step.html
    check = browser.post_form(step, "/email")
    review = browser.post_form(check, "/code", code=newest_code(server, user.email))
    assert isinstance(review, HostedPage) and review.has("approve"), review.html
    done = browser.post_form(review, review.form("")["action"], decision="approve")
    assert done.text("outcome") == "Approved"


def test_the_agent_demo_is_refused_asks_for_approval_and_calls_the_demo_api(dev_server):
    user = dev_server.create_user(prefix="agent-demo")
    env = {**os.environ, "REVERIFY_BIN": str(reverify_bin())}
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--issuer", dev_server.base_url, "--database", dev_server.db, "--email", user.email,
         "--password", user.password, "--timeout", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    output: list[str] = []
    try:
        while (line := lines.get(timeout=120)) is not None:
            output.append(line)
            if line.startswith("APPROVAL LINK: "):
                approve_as_the_person(dev_server, line.split(": ", 1)[1].strip(), user)
        assert process.wait(timeout=60) == 0, "".join(output)
    finally:
        if process.poll() is None:
            process.kill()
    transcript = "".join(output)
    assert "refused: insufficient_user_authentication" in transcript, transcript
    assert "authorization_pending" in transcript, transcript
    assert '"plan":"Acme Notes Pro"' in transcript and "GET /demo/api/billing -> 200" in transcript, transcript
    assert "acr urn:reverify:acr:mfa" in transcript, transcript
    # The first run registers the agent and its app with the CLI.
    assert "registered the agent" in transcript
