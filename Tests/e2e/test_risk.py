"""Risk-triggered step-up (issue 11) against a live server: the policy file, device-bound step-ups, flags
from operators, the audit trail and the event, with authlib as the relying party."""

from __future__ import annotations

import json
import subprocess

import pytest

from reverify_e2e import Browser, HostedPage, Redirect, RelyingParty, ReverifyServer


@pytest.fixture(scope="module")
def risky_server(tmp_path_factory):
    """A server whose policy steps up for an unknown device alone (the default needs device and network)."""
    workdir = tmp_path_factory.mktemp("reverify-risk")
    probe = ReverifyServer(workdir)
    policy = json.loads(subprocess.run([str(probe.binary), "policy", "default"], capture_output=True, text=True,
                                       check=True).stdout)
    policy["rules"]["weights"]["new_device"] = 70
    policy["address_velocity_threshold"] = 1_000_000
    path = workdir / "policy.json"
    path.write_text(json.dumps(policy))
    server = ReverifyServer(workdir, extra_args=("--policy", str(path)))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def policy_cli(server, *args: str) -> subprocess.CompletedProcess:
    """`reverify policy …` needs no database."""
    return subprocess.run([str(server.binary), "policy", *args], capture_output=True, text=True, timeout=60)


def signed_in(server):
    user = server.create_user(prefix="risk")
    rp = RelyingParty(server, server.create_client(), scope="openid")
    browser = Browser(server)
    request = rp.authorization_request()
    rp.exchange(request, browser.sign_in(request.url, user))
    return user, rp, browser


def copy_session(server, browser) -> Browser:
    other = Browser(server)
    other.http.cookies.set("reverify_session", browser.session_cookie, domain="127.0.0.1", path="/")
    return other


def test_a_known_device_goes_through_silently(risky_server):
    user, rp, browser = signed_in(risky_server)
    result = browser.open(rp.authorization_request().url)
    assert isinstance(result, Redirect) and "code" in result.params


def test_a_new_device_steps_up_and_the_step_up_binds_to_it(risky_server):
    server = risky_server
    user, rp, browser = signed_in(server)
    other = copy_session(server, browser)
    request = rp.authorization_request()
    page = other.open(request.url)
    assert isinstance(page, HostedPage) and page.is_reauth, page
    tokens = rp.exchange(request, other.submit_password(page, user.password))
    assert rp.validate_tokens(tokens, nonce=request.nonce)["sub"] == user.id
    again = other.open(rp.authorization_request().url)
    assert isinstance(again, Redirect) and "code" in again.params, "the device that stepped up is known now"

    decisions = [r for r in server.audit(user.email) if r["event"] == "session.risk_step_up_required"]
    assert decisions, "the risk decision is audited"
    detail = decisions[0]["detail"]
    assert detail["risk_triggers"] == "new_device" and detail["risk_outcome"] == "step_up"
    assert detail["device_known"] == "false" and detail["network_known"] == "true"
    filtered = server.cli_json("audit", "--user", user.email, "--trigger", "new_device")
    assert filtered and all("new_device" in r["detail"].get("risk_triggers", "") for r in filtered)


def test_prompt_none_on_a_new_device_is_login_required(risky_server):
    user, rp, browser = signed_in(risky_server)
    result = copy_session(risky_server, browser).open(rp.authorization_request(prompt="none").url)
    assert isinstance(result, Redirect) and result.params["error"] == "login_required", result


def test_an_operator_flag_denies_with_an_audit_row(risky_server):
    server = risky_server
    user, rp, browser = signed_in(server)
    session = server.sessions(user.email)[0]
    assert server.cli("sessions", "flag", session["id"], "--reason", "compromised").returncode == 0
    result = browser.open(rp.authorization_request().url)
    assert isinstance(result, Redirect) and result.params["error"] == "access_denied", result
    denied = [r for r in server.audit(user.email) if r["event"] == "session.risk_step_up_required" and r["outcome"] == "failure"]
    assert denied and denied[0]["reason"] == "deny"


def test_a_device_flagged_non_compliant_needs_a_second_factor(risky_server):
    server = risky_server
    user, rp, browser = signed_in(server)
    session = server.sessions(user.email)[0]
    server.cli("sessions", "flag", session["id"], "--reason", "device_not_compliant")
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, HostedPage) and page.has("step-up-reason"), page
    assert "looks different from usual" in page.text("step-up-reason")


def test_policy_check_accepts_the_default_and_refuses_a_bad_file(risky_server, tmp_path):
    server = risky_server
    good = tmp_path / "good.json"
    good.write_text(policy_cli(server, "default").stdout)
    assert "valid" in policy_cli(server, "check", str(good)).stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "rules": {"weights": {}, "thresholds": {"step_up": 90, "step_up_mfa": 50},
                                                       "flag_outcomes": {}}}))
    result = policy_cli(server, "check", str(bad))
    assert result.returncode != 0 and "thresholds must rise" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_with_an_invalid_policy_refuses_to_start_and_changes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    server = ReverifyServer(tmp_path / "srv")
    result = subprocess.run([str(server.binary), "serve", "--database", str(tmp_path / "new.sqlite"), "--policy", str(bad)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "bad.json" in result.stderr
    assert not (tmp_path / "new.sqlite").exists()


# -- the decision API (issue 11, item 4) -------------------------------------------------------------


def decide(rp: RelyingParty, **fields) -> dict:
    response = rp.client_post(rp.server.issuer + "/v1/decisions", fields)
    assert response.status_code == 200, response.text
    assert response.headers.get("Cache-Control") == "no-store"
    return response.json()


def test_decision_api_allows_steps_up_and_denies(risky_server):
    from reverify_e2e import Client
    server = risky_server
    user = server.create_user(prefix="decide")
    view = server.cli_json("clients", "create", "--name", "api-rp", "--redirect-uri", "http://127.0.0.1:9/cb/api",
                           "--action", "billing.change=300:mfa", "--action", "notes.read=86400")
    client = Client(client_id=view["client_id"], client_secret=view["client_secret"], redirect_uri="http://127.0.0.1:9/cb/api",
                    post_logout_redirect_uri=None, auth_method="client_secret_basic", name="api-rp")
    rp = RelyingParty(server, client, scope="openid")
    browser = Browser(server)
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    access = tokens["access_token"]

    assert decide(rp, token=access, action="notes.read")["decision"] == "allow"

    step_up = decide(rp, token=access, action="billing.change")
    assert step_up["decision"] == "step_up" and step_up["reasons"] == ["acr"]
    assert step_up["required"] == {"acr": "urn:reverify:acr:mfa", "max_age": 300}
    assert step_up["expires_in"] == 60
    # A client parses the challenge exactly as RFC 9470 3 writes it.
    challenge = step_up["challenge"]
    assert challenge.startswith("Bearer ")
    params = dict(part.strip().split("=", 1) for part in challenge[len("Bearer "):].split(", "))
    assert params["error"] == '"insufficient_user_authentication"'
    assert params["acr_values"] == '"urn:reverify:acr:mfa"' and params["max_age"] == "300"

    session = server.sessions(user.email)[0]
    server.cli("sessions", "flag", session["id"], "--reason", "compromised")
    assert decide(rp, token=access, action="notes.read")["decision"] == "deny"
    audited = [r for r in server.audit(user.email) if r["event"] == "decision.action"]
    assert {r["reason"] for r in audited} == {"allow", "step_up", "deny"}
    assert all("risk_outcome" in r["detail"] and "auth_time_age" in r["detail"] for r in audited)


def test_decision_api_needs_client_authentication(risky_server):
    import requests
    r = requests.post(risky_server.issuer + "/v1/decisions", data={"token": "x", "action": "a"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_decision_api_refuses_another_clients_token(risky_server):
    server = risky_server
    user, rp, browser = signed_in(server)
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.open(request.url))
    stranger = RelyingParty(server, server.create_client(), scope="openid")
    response = stranger.client_post(server.issuer + "/v1/decisions", {"token": tokens["access_token"]})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path):
    for trusted, expected in ((True, "198.51.100.7"), (False, "127.0.0.1")):
        extra = ("--trusted-proxy", "127.0.0.1") if trusted else ()
        server = ReverifyServer(tmp_path / f"proxy-{trusted}", extra_args=extra)
        server.start()
        try:
            user = server.create_user(prefix="proxied")
            rp = RelyingParty(server, server.create_client(), scope="openid")
            browser = Browser(server)
            browser.http.headers["X-Forwarded-For"] = "203.0.113.50, 198.51.100.7"
            request = rp.authorization_request()
            rp.exchange(request, browser.sign_in(request.url, user))
            assert server.sessions(user.email)[0]["ip_address"] == expected
        finally:
            server.stop()


def test_serve_refuses_a_malformed_trusted_proxy(tmp_path):
    binary = ReverifyServer(tmp_path / "x").binary
    result = subprocess.run([str(binary), "serve", "--database", str(tmp_path / "n.sqlite"), "--trusted-proxy", "proxy.example"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "--trusted-proxy" in result.stderr
    assert not (tmp_path / "n.sqlite").exists()


def test_tokens_for_an_action_with_a_ttl_are_short_lived(risky_server):
    from reverify_e2e import Client
    server = risky_server
    user = server.create_user(prefix="ttl")
    view = server.cli_json("clients", "create", "--name", "ttl-rp", "--redirect-uri", "http://127.0.0.1:9/cb/ttl",
                           "--action", "billing.change=300:ttl=60")
    client = Client(client_id=view["client_id"], client_secret=view["client_secret"], redirect_uri="http://127.0.0.1:9/cb/ttl",
                    post_logout_redirect_uri=None, auth_method="client_secret_basic", name="ttl-rp")
    rp = RelyingParty(server, client, scope="openid")
    browser = Browser(server)
    plain = rp.authorization_request()
    tokens = rp.exchange(plain, browser.sign_in(plain.url, user))
    assert tokens["expires_in"] == 600

    bound = rp.authorization_request(action="billing.change")
    redirect = browser.open(bound.url)
    assert isinstance(redirect, Redirect) and "code" in redirect.params, "fresh enough: no page"
    short = rp.exchange(bound, redirect)
    assert short["expires_in"] == 60
    _, access = rp.validate_access_token(short["access_token"])
    assert access["exp"] - access["iat"] == 60
    claims = rp.validate_tokens(short, nonce=bound.nonce)
    assert claims["exp"] - claims["iat"] == 60
    refused = server.cli("clients", "create", "--name", "bad", "--redirect-uri", "http://127.0.0.1:9/cb/bad",
                         "--action", "x=300:ttl=0", check=False)
    assert refused.returncode != 0


def test_sighup_reloads_the_policy_and_a_bad_file_keeps_the_previous_one(tmp_path):
    import signal
    import time as clock
    binary = ReverifyServer(tmp_path / "probe").binary
    policy = json.loads(subprocess.run([str(binary), "policy", "default"], capture_output=True, text=True, check=True).stdout)
    policy["address_velocity_threshold"] = 1_000_000
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    server = ReverifyServer(tmp_path / "srv", extra_args=("--policy", str(path)))
    server.start()
    try:
        user, rp, browser = signed_in(server)

        def risky() -> bool:
            result = copy_session(server, browser).open(rp.authorization_request().url)
            return isinstance(result, HostedPage)

        assert not risky(), "the built-in weights allow a new device alone"
        policy["rules"]["weights"]["new_device"] = 70
        path.write_text(json.dumps(policy))
        server.process.send_signal(signal.SIGHUP)
        deadline = clock.monotonic() + 10
        while not risky():
            assert clock.monotonic() < deadline, "SIGHUP did not reload the policy"
            clock.sleep(0.1)

        path.write_text("{ not json")
        server.process.send_signal(signal.SIGHUP)
        deadline = clock.monotonic() + 10
        while "not reloaded" not in server.log_tail(200):
            assert clock.monotonic() < deadline, "a bad policy file must be reported"
            clock.sleep(0.1)
        assert risky(), "the previous policy stays in force"
        assert server.process.poll() is None
    finally:
        server.stop()


def test_the_demo_network_switch_shows_a_risk_step_up_only_in_dev_mode(tmp_path):
    from reverify_e2e import HostedPage as Page
    server = ReverifyServer(tmp_path / "demo", demo=True, extra_args=("--dev",))
    server.start()
    try:
        user = server.create_user(prefix="demo-risk")
        browser = Browser(server)
        start = browser.http.post(server.issuer + "/demo/delete", allow_redirects=False)
        page = browser.open(start.headers["Location"])
        assert isinstance(page, Page) and page.is_sign_in
        assert isinstance(browser.submit_password(page, user.password, email=user.email), Redirect)
        again = browser.open(browser.http.post(server.issuer + "/demo/delete", allow_redirects=False).headers["Location"])
        assert isinstance(again, Redirect) and "code" in again.params, "fresh and known: no page"

        switched = browser.http.post(server.issuer + "/demo/network", allow_redirects=False)
        assert switched.status_code == 303
        risky = browser.open(browser.http.post(server.issuer + "/demo/delete", allow_redirects=False).headers["Location"])
        assert isinstance(risky, Page) and risky.is_reauth, "new device + new network steps up within the minute"
        decisions = [r for r in server.audit(user.email) if r["event"] == "session.risk_step_up_required"]
        assert decisions and decisions[0]["ip_address"] == "198.51.100.23"
    finally:
        server.stop()

    plain = ReverifyServer(tmp_path / "nodev", demo=True)
    plain.start()
    try:
        assert requests_post(plain.issuer + "/demo/network").status_code == 404
    finally:
        plain.stop()


def requests_post(url: str):
    import requests
    return requests.post(url, allow_redirects=False)
