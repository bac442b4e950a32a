"""Issue 15.2: structured logs. A server logging JSON at debug level runs a full flow (password sign-in,
emailed code, token, refresh) against a real SMTP server; every line it wrote is a JSON object, requests are
correlated by X-Request-ID, and not one of the secrets the flow used appears anywhere in the log.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from mail_inbox import code_and_link, smtp_inbox
from reverify_e2e import Browser, Redirect, RelyingParty, ReverifyServer
from test_magic_link import reauth_page, request_email, type_code


@pytest.fixture(scope="module")
def smtp():
    with smtp_inbox() as running:
        yield running


@pytest.fixture(scope="module")
def json_server(tmp_path_factory, smtp):
    _, smtp_port = smtp
    server = ReverifyServer(
        tmp_path_factory.mktemp("reverify-json-logs"),
        extra_args=("--log-format", "json", "--log-level", "debug", "--smtp-host", "127.0.0.1",
                    "--smtp-port", str(smtp_port), "--smtp-security", "none"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def log_lines(server: ReverifyServer) -> list[str]:
    return [line for line in server.log_path.read_text(errors="replace").splitlines() if line.strip()]


def test_full_flow_logs_no_secret(json_server, smtp):
    handler, _ = smtp
    user = json_server.create_user(prefix="logs")
    client = json_server.create_client()
    rp = RelyingParty(json_server, client)
    browser = Browser(json_server)
    secrets_used: dict[str, str] = {"password": user.password, "client_secret": client.client_secret}

    # Sign in by password, then re-verify by emailed code; redeem and refresh.
    request = rp.authorization_request()
    first = browser.sign_in(request.url, user)
    secrets_used["first_code"] = first.params["code"]
    tokens = rp.exchange(request, first)
    secrets_used["first_session_cookie"] = browser.session_cookie
    time.sleep(1.1)
    request, page = reauth_page(rp, browser)
    secrets_used["csrf_token"] = page.form("/email")["inputs"]["csrf_token"]
    check = request_email(browser, page)
    code, link = code_and_link(handler.wait_for(user.email))
    secrets_used["email_code"] = code
    secrets_used["magic_link_token"] = link.rsplit("/", 1)[-1]
    # Opening the link (as a mail scanner would) puts its token in a request path; it must not reach the log.
    assert browser.http.get(link, allow_redirects=False, timeout=30).status_code == 200
    redirect = type_code(browser, check, code)
    assert isinstance(redirect, Redirect), redirect
    secrets_used["second_code"] = redirect.params["code"]
    second = rp.exchange(request, redirect)
    refreshed = rp.refresh(second["refresh_token"])
    for name, value in [("access_token", tokens["access_token"]), ("id_token", tokens["id_token"]),
                        ("refresh_token", tokens["refresh_token"]), ("second_access_token", second["access_token"]),
                        ("second_refresh_token", second["refresh_token"]),
                        ("refreshed_access_token", refreshed["access_token"]),
                        ("refreshed_refresh_token", refreshed["refresh_token"])]:
        secrets_used[name] = value
    secrets_used["session_cookie"] = browser.session_cookie
    secrets_used["browser_cookie"] = browser.http.cookies.get("reverify_browser")
    for name, value in browser.http.cookies.items():
        secrets_used[f"cookie {name}"] = value
    # JWTs are also checked by their signature segment, which no legitimate line would contain.
    for name in ("access_token", "id_token", "refreshed_access_token"):
        secrets_used[f"{name} signature"] = secrets_used[name].rsplit(".", 1)[-1]

    text = json_server.log_path.read_text(errors="replace")
    assert len(log_lines(json_server)) > 10, "the flow should have produced access lines"
    leaked = [name for name, value in secrets_used.items() if value and len(value) >= 6 and value in text]
    assert leaked == [], f"secrets in the server log: {leaked}"


def test_every_line_is_a_json_object_with_the_fixed_fields(json_server):
    requests.get(json_server.base_url + "/healthz", timeout=10)
    for line in log_lines(json_server):
        record = json.loads(line)
        assert {"time", "level", "message"} <= record.keys(), line


def test_access_line_carries_the_callers_request_id(json_server):
    response = requests.get(json_server.base_url + "/.well-known/jwks.json", headers={"X-Request-ID": "e2e-jwks-1"},
                            timeout=10)
    assert response.headers["X-Request-ID"] == "e2e-jwks-1"
    records = [json.loads(line) for line in log_lines(json_server)]
    access = [r for r in records if r.get("request_id") == "e2e-jwks-1" and r["message"] == "request"]
    assert len(access) == 1
    assert access[0]["route"] == "/.well-known/jwks.json"
    assert access[0]["status"] == 200
    assert isinstance(access[0]["latency_ms"], (int, float))


def test_malformed_request_id_is_replaced(json_server):
    response = requests.get(json_server.base_url + "/healthz", headers={"X-Request-ID": "bad id with spaces"},
                            timeout=10)
    assert response.headers["X-Request-ID"] != "bad id with spaces"
    assert "bad id with spaces" not in json_server.log_path.read_text(errors="replace")


def test_audit_rows_carry_the_request_id(json_server):
    user = json_server.create_user(prefix="logs-audit")
    client = json_server.create_client()
    rp = RelyingParty(json_server, client)
    browser = Browser(json_server)
    browser.http.headers["X-Request-ID"] = "e2e-signin-7"
    request = rp.authorization_request()
    browser.sign_in(request.url, user)
    rows = json_server.audit(user.email)
    assert rows and all(row["request_id"] == "e2e-signin-7" for row in rows), rows
