"""The operator's command line: validation errors, JSON output, and `serve` lifecycle."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
import requests

from reverify_e2e import ReverifyServer


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("uri", [
    "http://example.com/callback",   # plain http is only allowed on loopback
    "not a uri",
    "https://app.example/cb#fragment",
])
def test_clients_create_refuses_bad_redirect_uris(server, uri):
    result = server.cli("clients", "create", "--name", "bad", "--redirect-uri", uri, "--json", check=False)
    _one_line_error(result)


def test_clients_create_accepts_https_and_loopback_http(server):
    for uri in ("https://app.example/cb", "http://127.0.0.1:8000/cb", "http://localhost:3000/cb"):
        view = server.cli_json("clients", "create", "--name", "ok", "--redirect-uri", uri)
        assert view["redirect_uris"] == [uri]


def test_public_client_has_no_secret_and_confidential_one_does(server, public_client, confidential_client):
    listed = {c["client_id"]: c for c in server.cli_json("clients", "list")}
    assert listed[public_client.client_id]["token_endpoint_auth_method"] == "none"
    assert listed[confidential_client.client_id]["token_endpoint_auth_method"] == "client_secret_basic"
    # The secret is shown once, at creation, never in listings.
    assert not listed[confidential_client.client_id].get("client_secret")


def test_users_create_refuses_short_password_and_duplicate_email(server, user):
    short = server.cli("users", "create", "--email", "short@example.com", "--password-stdin", input="1234567",
                       check=False)
    _one_line_error(short)
    duplicate = server.cli("users", "create", "--email", user.email.upper(), "--password-stdin",
                           input="long enough password", check=False)
    _one_line_error(duplicate)


def test_users_list_never_prints_password_hashes(server, user):
    output = server.cli("users", "list", "--json").stdout
    assert user.email in output
    assert "$argon2" not in output


def test_commands_refuse_a_database_that_does_not_exist(tmp_path):
    missing = ReverifyServer(tmp_path / "nothing-here")
    result = missing.cli("users", "list", check=False)
    _one_line_error(result)


def test_serve_announces_itself_and_stops_on_sigterm(tmp_path):
    server = ReverifyServer(tmp_path / "lifecycle")
    server.start()
    assert requests.get(server.base_url + "/healthz", timeout=5).json() == {"status": "ok"}
    server.process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        code = server.process.wait(timeout=15)
    finally:
        server.stop()
    assert time.monotonic() - started < 15
    assert code == 0, server.log_tail()
    assert f"Reverify listening on http://127.0.0.1:{server.port}" in server.log_path.read_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(server.base_url + "/healthz", timeout=2)
