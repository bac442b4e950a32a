"""Helpers for the webhook end-to-end tests: a real Standard Webhooks receiver and a `reverify serve`
process that can be killed with SIGKILL and restarted on the same database.

Self-contained on purpose (it does not depend on conftest.py or reverify_e2e.py), so it can be used by
`scripts/bench` as well as by pytest.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
USER_AGENT = "ReverifyWebhookE2E/1.0 (pytest; python-requests)"


def reverify_bin() -> Path:
    return Path(os.environ.get("REVERIFY_BIN") or REPO_ROOT / ".build" / "debug" / "reverify")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --------------------------------------------------------------------------------------------
# The receiver
# --------------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One POST the receiver got, verified with the `standardwebhooks` library."""

    webhook_id: str
    timestamp: str
    signature: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None
    received_ms: int
    status: int = 0

    @property
    def event(self) -> dict:
        return json.loads(self.body)


#: Decides the HTTP answer for a delivery: (status, extra headers). Sees the delivery and how many times
#: this webhook-id arrived before (0 for the first).
Responder = Callable[[Delivery, int], tuple[int, dict[str, str]]]


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 that verifies every request with `standardwebhooks`."""

    def __init__(self, responder: Responder | None = None, delay: float = 0.0):
        self.secret: str | None = None
        self.responder: Responder = responder or (lambda delivery, seen: (204, {}))
        self.delay = delay
        self.deliveries: list[Delivery] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server naming)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                receiver.handle(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/{secrets.token_hex(4)}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        received_ms = int(time.time() * 1000)
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified, error = False, None
        try:
            assert self.secret, "the test did not give the receiver its secret"
            Webhook(self.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, AssertionError, ValueError) as e:
            error = repr(e)
        delivery = Delivery(
            webhook_id=headers.get("webhook-id", ""), timestamp=headers.get("webhook-timestamp", ""),
            signature=headers.get("webhook-signature", ""), headers=headers, body=body, verified=verified,
            error=error, received_ms=received_ms)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            seen = self.counts.get(delivery.webhook_id, 0)
            self.counts[delivery.webhook_id] = seen + 1
        status, extra = self.responder(delivery, seen) if verified else (401, {})
        delivery.status = status
        with self.lock:
            self.deliveries.append(delivery)
            self.lock.notify_all()
        payload = b"" if status == 204 else json.dumps({"status": status}).encode()
        request.send_response(status)
        for name, value in extra.items():
            request.send_header(name, value)
        request.send_header("content-length", str(len(payload)))
        request.end_headers()
        if payload:
            request.wfile.write(payload)

    # -- queries ------------------------------------------------------------------------------

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def accepted(self) -> list[Delivery]:
        """Deliveries answered with a 2xx."""
        return [d for d in self.snapshot() if 200 <= d.status < 300]

    def accepted_ids(self) -> set[str]:
        return {d.webhook_id for d in self.accepted()}

    def of_type(self, event_type: str) -> list[Delivery]:
        return [d for d in self.accepted() if d.event.get("type") == event_type]

    def wait_for(self, predicate: Callable[[list[Delivery]], bool], timeout: float, what: str) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(list(self.deliveries)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; got {len(self.deliveries)} deliveries")
                self.lock.wait(min(remaining, 0.2))
            return list(self.deliveries)


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class WebhookServer:
    """`reverify serve` on a free port with its own database; can be SIGKILLed and restarted."""

    def __init__(self, workdir: Path, *serve_args: str):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db = str(self.workdir / "reverify.sqlite")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.serve_args = list(serve_args)
        self.binary = reverify_bin()
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "server.log"
        self.cli("migrate")

    def cli(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.binary), *map(str, args), "--database", self.db], input=input,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"`reverify {' '.join(map(str, args))}` exited {result.returncode}: {result.stderr}")
        return result

    def cli_json(self, *args: str, input: str | None = None):
        return json.loads(self.cli(*args, "--json", input=input).stdout)

    def start(self, timeout: float = 30.0) -> None:
        if not self.binary.exists():
            raise RuntimeError(f"reverify binary not found at {self.binary} (set REVERIFY_BIN)")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "--database", self.db, "--host", "127.0.0.1", "--port", str(self.port),
             *self.serve_args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"reverify serve exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"reverify serve did not become healthy:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no chance to release leases or finish writes."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- administration -----------------------------------------------------------------------

    def add_endpoint(self, receiver: Receiver, *extra: str) -> dict:
        view = self.cli_json("webhooks", "add", "--url", receiver.url, "--allow-private", *extra)
        receiver.secret = view["secret"]
        return view

    def create_user(self) -> tuple[str, str]:
        email = f"wh-{secrets.token_hex(5)}@example.com"
        view = self.cli_json("users", "create", "--email", email, "--password-stdin", input=PASSWORD)
        return email, view["id"]

    def create_client(self) -> tuple[str, str]:
        redirect = f"http://127.0.0.1:9/callback/{secrets.token_hex(4)}"
        view = self.cli_json("clients", "create", "--name", "Webhook RP", "--redirect-uri", redirect,
                             "--action", "billing.change=300")
        return view["client_id"], redirect

    def deliveries(self, *args: str) -> list[dict]:
        return self.cli_json("webhooks", "deliveries", *args)


# --------------------------------------------------------------------------------------------
# A browser on the hosted pages
# --------------------------------------------------------------------------------------------


class Browser:
    """One `requests.Session`: the pending page is bound to it by the `reverify_browser` cookie."""

    CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
    ACTION = re.compile(r'<form method="post" action="([^"]*/password)"')

    def __init__(self, server: WebhookServer, client_id: str, redirect_uri: str):
        self.server = server
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT

    def authorize(self, **extra: str) -> requests.Response:
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "scope": "openid", "state": secrets.token_hex(4), "nonce": secrets.token_hex(4), **extra}
        url = self.server.base_url + "/oauth2/authorize?" + urllib.parse.urlencode(params)
        return self.http.get(url, allow_redirects=False, timeout=30)

    def verify_password(self, response: requests.Response, email: str, password: str = PASSWORD) -> str:
        """Follows the 302 to /reauth/req_…, submits the password form, returns the final redirect."""
        assert response.status_code == 302, f"authorize answered {response.status_code}: {response.text[:300]}"
        page_url = urllib.parse.urljoin(self.server.base_url, response.headers["Location"])
        assert "/reauth/req_" in page_url, page_url
        page = self.http.get(page_url, allow_redirects=False, timeout=30)
        assert page.status_code == 200, page.text[:300]
        csrf = html.unescape(self.CSRF.search(page.text).group(1))
        action = urllib.parse.urljoin(page_url, html.unescape(self.ACTION.search(page.text).group(1)))
        result = self.http.post(action, data={"csrf_token": csrf, "email": email, "password": password},
                                allow_redirects=False, timeout=30)
        assert result.status_code == 302, f"verification answered {result.status_code}: {result.text[:300]}"
        location = result.headers["Location"]
        assert location.startswith(self.redirect_uri), location
        return location

    def sign_in(self, email: str) -> str:
        return self.verify_password(self.authorize(), email)

    def reauthenticate(self, email: str, **extra: str) -> str:
        return self.verify_password(self.authorize(prompt="login", **extra), email)
