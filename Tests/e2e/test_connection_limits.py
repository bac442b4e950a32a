"""Slowloris (issue 9 item 8): connections that never finish their request are closed on time, a stalled body is
closed by the idle timeout, at most --max-connections are served at once, and the server keeps serving normal
requests throughout. Small limits so the test runs in seconds; raw sockets so nothing finishes a request for us."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from reverify_e2e import ReverifyServer

HEADER_TIMEOUT = 2
IDLE_TIMEOUT = 6  # longer than HEADER_TIMEOUT + SLACK, so each test sees only the limit it names
MAX_CONNECTIONS = 20
SLACK = 2.5  # scheduling on a loaded 2-core machine


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[ReverifyServer]:
    server = ReverifyServer(
        tmp_path_factory.mktemp("reverify-limits"),
        extra_args=("--header-timeout-seconds", str(HEADER_TIMEOUT), "--idle-timeout-seconds", str(IDLE_TIMEOUT),
                    "--max-connections", str(MAX_CONNECTIONS)))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def open_stalled(server: ReverifyServer, payload: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(payload)
    return s


def seconds_until_closed(s: socket.socket, started: float, limit: float) -> float | None:
    """Waits for the server to close the socket (EOF or reset); the elapsed time, or None if still open at limit."""
    s.settimeout(0.2)
    while time.monotonic() - started < limit:
        try:
            if s.recv(4096) == b"":
                return time.monotonic() - started
        except socket.timeout:
            continue
        except ConnectionError:
            return time.monotonic() - started
    return None


PARTIAL_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def test_unfinished_headers_are_closed_after_the_header_timeout(limited):
    started = time.monotonic()
    sockets = [open_stalled(limited, PARTIAL_HEAD) for _ in range(10)]
    try:
        # Keep dribbling: bytes that never complete the head do not extend the deadline.
        time.sleep(1)
        for s in sockets:
            s.sendall(b"a")
        closed = [seconds_until_closed(s, started, HEADER_TIMEOUT + SLACK) for s in sockets]
    finally:
        for s in sockets:
            s.close()
    assert all(c is not None for c in closed), f"still open after {HEADER_TIMEOUT + SLACK}s: {closed}"
    assert min(closed) >= HEADER_TIMEOUT - 0.5, closed
    assert requests.get(limited.base_url + "/healthz", timeout=5).status_code == 200


def test_a_stalled_body_is_closed_after_the_idle_timeout(limited):
    started = time.monotonic()
    s = open_stalled(limited, b"POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant")
    try:
        closed = seconds_until_closed(s, started, IDLE_TIMEOUT + SLACK)
    finally:
        s.close()
    assert closed is not None, f"a stalled body was still open after {IDLE_TIMEOUT + SLACK}s"
    assert closed >= IDLE_TIMEOUT - 0.5, closed  # the head arrived: the header deadline no longer applies


def test_connections_beyond_the_cap_wait_and_are_then_served(limited):
    held = [open_stalled(limited, PARTIAL_HEAD) for _ in range(MAX_CONNECTIONS)]
    started = time.monotonic()
    try:
        time.sleep(0.3)  # let the server accept all of them
        # The next connection waits in the backlog until the header timeout frees a slot, then is served.
        response = requests.get(limited.base_url + "/healthz", timeout=HEADER_TIMEOUT + SLACK + 5)
        waited = time.monotonic() - started
    finally:
        for s in held:
            s.close()
    assert response.status_code == 200
    assert waited >= HEADER_TIMEOUT - 0.5, f"served after {waited:.2f}s although {MAX_CONNECTIONS} were open"


def test_a_normal_keep_alive_request_is_served(limited):
    with requests.Session() as http:
        for _ in range(3):
            assert http.get(limited.base_url + "/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("flag,value", [("--header-timeout-seconds", "0"), ("--idle-timeout-seconds", "0"),
                                        ("--max-connections", "0")])
def test_out_of_range_limits_are_refused_in_one_line_before_touching_the_database(tmp_path, flag, value):
    server = ReverifyServer(tmp_path)
    result = subprocess.run([str(server.binary), "serve", "--database", server.db, "--port", "0", flag, value],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], result.stderr
    assert not os.path.exists(server.db)
