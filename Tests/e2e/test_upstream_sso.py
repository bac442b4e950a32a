"""Delegated SSO re-verification (issue 6) against real upstream OpenID Connect providers on loopback:
a provider built on Authlib's server components (``upstream_provider.py``) and a second Reverify instance.

What must hold: re-verification through the provider moves the session's ``auth_time`` forward and sets
``amr`` to ``fed`` plus the provider's own values; an upstream that skips the fresh login (old
``auth_time``), or returns a token with the wrong nonce, audience, key or subject, is refused with a page
and an audit row, the session untouched; a callback's ``state`` works once.
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from collections.abc import Iterator

import pytest
import requests

from reverify_e2e import Browser, HostedPage, Redirect, RelyingParty, ReverifyServer, User, free_port, unique
from upstream_provider import UpstreamProvider

REDIRECTS = (301, 302, 303, 307, 308)


@pytest.fixture(scope="module")
def provider(server) -> Iterator[UpstreamProvider]:
    upstream = UpstreamProvider()
    upstream.start()
    try:
        yield upstream
    finally:
        upstream.stop()


@pytest.fixture(scope="module")
def registered(server, provider):
    """The provider registered on Reverify with a client whose redirect URI is Reverify's callback."""
    client = provider.add_client(server.issuer + "/reauth/upstream/callback")
    name = unique("Corp")
    view = server.cli_json("upstreams", "add", "--name", name, "--issuer", provider.issuer,
                           "--client-id", client.client_id, "--client-secret-stdin", "--scope", "openid email",
                           input=client.client_secret)
    assert view["name"] == name and "client_secret" not in view
    return view


@pytest.fixture(autouse=True)
def normal_mode(provider):
    provider.mode = "normal"
    yield
    provider.mode = "normal"


@pytest.fixture
def linked(server, provider, registered, user):
    """A Reverify user linked to an account at the provider."""
    account = provider.add_account(user.email)
    server.cli("users", "link", user.email, "--upstream", registered["name"], "--subject", account.sub)
    return account


def follow(browser: Browser, response: requests.Response, stop_at: str, visited: list[str] | None = None):
    """Follows redirects across Reverify and the upstream until one goes to ``stop_at`` (the RP) or a page."""
    for _ in range(15):
        if response.status_code not in REDIRECTS:
            return HostedPage.from_response(response)
        location = urllib.parse.urljoin(response.url, response.headers["Location"])
        if location.startswith(stop_at):
            return Redirect(response.status_code, location, response.headers)
        if visited is not None:
            visited.append(location)
        response = browser.http.get(location, allow_redirects=False, timeout=30)
    raise AssertionError("redirect loop")


def post(browser: Browser, page: HostedPage, form: dict, stop_at: str, visited=None, **fields):
    data = dict(form["inputs"])
    data.update(fields)
    target = urllib.parse.urljoin(page.url, form["action"])
    return follow(browser, browser.http.post(target, data=data, allow_redirects=False, timeout=30), stop_at, visited)


def signed_in(browser: Browser, rp: RelyingParty, user: User) -> dict:
    """Password sign-in; returns the first ID token's claims."""
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    return rp.validate_tokens(tokens, request.nonce)


def continue_with(browser: Browser, rp: RelyingParty, upstream_name: str, **extra):
    """Opens a re-auth request and presses "Continue with <upstream>"; returns the request and what followed."""
    request = rp.authorization_request(prompt="login", **extra)
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_reauth, page
    buttons = {b["text"].strip(): b for b in page.ids.values() if b["tag"] == "button"}
    assert f"Continue with {upstream_name}" in buttons, buttons.keys()
    form = next(f for f in page.forms if "/upstream/" in f["action"])
    visited: list[str] = []
    result = post(browser, page, form, rp.client.redirect_uri, visited)
    return request, result, visited


def session_auth_time(server: ReverifyServer, user: User) -> int:
    sessions = [s for s in server.sessions(user.email) if not s.get("revoked_at")]
    assert len(sessions) == 1, sessions
    return sessions[0]["auth_time"]


def last_audit(server: ReverifyServer, user: User) -> dict:
    """The newest verification attempt (sign-in or re-authentication) in the user's audit log."""
    return next(row for row in server.audit(user.email)
                if row["event"] in ("authentication.reauthentication", "authentication.sign_in"))


# --------------------------------------------------------------------------------------------


def test_fresh_upstream_login_reverifies_and_moves_auth_time(server, provider, registered, linked, user, browser, rp):
    first = signed_in(browser, rp, user)
    time.sleep(1.1)  # so a new auth_time is visibly later
    request, login, visited = continue_with(browser, rp, registered["name"])
    # Reverify demanded a fresh authentication upstream: code flow, PKCE S256, state, nonce, prompt=login, max_age=0.
    sent = provider.authorize_requests[-1]
    assert sent["response_type"] == "code" and sent["code_challenge_method"] == "S256"
    assert sent["prompt"] == "login" and sent["max_age"] == "0"
    assert sent["state"] and sent["nonce"] and sent["redirect_uri"] == server.issuer + "/reauth/upstream/callback"
    assert isinstance(login, HostedPage) and login.has("login"), login
    result = post(browser, login, login.forms[0], rp.client.redirect_uri, visited,
                  username=linked.username, password=linked.password)
    assert isinstance(result, Redirect), getattr(result, "html", result)
    claims = rp.validate_tokens(rp.exchange(request, result), request.nonce)
    assert claims["sub"] == first["sub"]
    assert claims["auth_time"] > first["auth_time"]
    assert "fed" in claims["amr"] and claims["amr"][0] == "fed"
    assert "pwd" in claims["amr"]  # the upstream's own amr values are passed through
    assert session_auth_time(server, user) == claims["auth_time"]
    audit = last_audit(server, user)
    assert audit["event"] == "authentication.reauthentication" and audit["outcome"] == "success", audit
    assert audit["method"] == "federated"

    # The callback URL (state + code) works once: a replay is refused and audited, nothing changes.
    callback = next(u for u in visited if u.startswith(server.issuer + "/reauth/upstream/callback?"))
    replay = browser.http.get(callback, allow_redirects=False, timeout=30)
    assert replay.status_code == 400 and "already used" in replay.text
    assert session_auth_time(server, user) == claims["auth_time"]
    reasons = [row.get("reason") for row in server.audit()[:5]]
    assert "upstream_state_replay" in reasons, reasons


def test_upstream_that_ignores_max_age_is_refused(server, provider, registered, linked, user, browser, rp):
    signed_in(browser, rp, user)
    before = session_auth_time(server, user)
    provider.mode = "ignore_max_age"
    # The browser still has an hour-old login at the provider, which it reuses despite max_age=0.
    browser.http.post(provider.issuer + "/test/login", data={"username": linked.username, "age": "3600"}, timeout=10)
    _, result, _ = continue_with(browser, rp, registered["name"])
    assert isinstance(result, HostedPage) and result.status == 401, result
    assert result.is_reauth, "the refusal is shown on the re-auth page, which stays usable"
    assert "reused a sign-in" in result.text("error")
    assert session_auth_time(server, user) == before
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["reason"]) == ("failure", "upstream_stale_auth_time"), audit


@pytest.mark.parametrize("mode, reason", [
    ("wrong_nonce", "upstream_wrong_nonce"),
    ("wrong_aud", "upstream_wrong_audience"),
    ("wrong_key", "upstream_bad_signature"),
    ("other_sub", "upstream_subject_mismatch"),
    ("no_auth_time", "upstream_missing_auth_time"),
])
def test_misbehaving_upstream_is_refused(server, provider, registered, linked, user, browser, rp, mode, reason):
    signed_in(browser, rp, user)
    before = session_auth_time(server, user)
    provider.mode = mode
    _, login, _ = continue_with(browser, rp, registered["name"])
    result = post(browser, login, login.forms[0], rp.client.redirect_uri,
                  username=linked.username, password=linked.password)
    assert isinstance(result, HostedPage) and result.status == 401, result
    assert result.has("error"), result.html
    assert session_auth_time(server, user) == before, "a refused upstream answer leaves the session untouched"
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["reason"], audit["method"]) == ("failure", reason, "federated"), audit


# Refetching the JWKS on an unknown kid (and its 10 s throttle) is tested with an injected clock in
# Tests/ReverifyServerTests/UpstreamKeyRotationTests.swift, so no test here waits out the throttle.


def test_unlinked_user_is_not_offered_the_provider(server, registered, user, browser, rp):
    signed_in(browser, rp, user)
    page = browser.open(rp.authorization_request(prompt="login").url)
    assert isinstance(page, HostedPage) and page.is_reauth
    assert not any("/upstream/" in f["action"] for f in page.forms)


def test_forged_start_without_csrf_is_refused(server, registered, linked, user, browser, rp):
    signed_in(browser, rp, user)
    page = browser.open(rp.authorization_request(prompt="login").url)
    form = next(f for f in page.forms if "/upstream/" in f["action"])
    r = browser.http.post(urllib.parse.urljoin(page.url, form["action"]), data={"csrf_token": "forged"},
                          allow_redirects=False, timeout=30)
    assert r.status_code == 403


def test_first_sso_sign_in_links_by_verified_email(server, provider, registered, user, browser, rp):
    account = provider.add_account(user.email)
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    form = next(f for f in page.forms if f["action"].endswith("/upstream/" + registered["id"]))
    login = post(browser, page, form, rp.client.redirect_uri)
    result = post(browser, login, login.forms[0], rp.client.redirect_uri,
                  username=account.username, password=account.password)
    assert isinstance(result, Redirect), getattr(result, "html", result)
    claims = rp.validate_tokens(rp.exchange(request, result), request.nonce)
    assert claims["sub"] == user.id and claims["amr"][0] == "fed"
    # Now linked: a later re-auth is offered the provider.
    page = browser.open(rp.authorization_request(prompt="login").url)
    assert any(f["action"].endswith("/upstream/" + registered["id"]) for f in page.forms)


# --------------------------------------------------------------------------------------------
# A second Reverify instance as the upstream
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream_reverify(tmp_path_factory) -> Iterator[ReverifyServer]:
    instance = ReverifyServer(tmp_path_factory.mktemp("upstream-reverify"))
    # "localhost", not 127.0.0.1: cookies ignore ports, and both instances use the same cookie names.
    instance.base_url = instance.issuer = f"http://localhost:{instance.port}"
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def test_second_reverify_instance_as_upstream(server, upstream_reverify, user, browser, rp):
    client = upstream_reverify.create_client(redirect_uri=server.issuer + "/reauth/upstream/callback")
    name = unique("Reverify2")
    server.cli("upstreams", "add", "--name", name, "--issuer", upstream_reverify.issuer,
               "--client-id", client.client_id, "--client-secret-stdin", "--scope", "openid email",
               input=client.client_secret)
    # The same person, with an account at the upstream instance.
    twin = upstream_reverify.cli_json("users", "create", "--email", user.email, "--password-stdin",
                                      input=user.password)
    server.cli("users", "link", user.email, "--upstream", name, "--subject", twin["id"])

    first = signed_in(browser, rp, user)
    time.sleep(1.1)
    request, page, _ = continue_with(browser, rp, name)
    # The upstream Reverify has no session: it shows its own sign-in page.
    assert isinstance(page, HostedPage) and page.is_sign_in, page
    result = post(browser, page, page.form("/password"), rp.client.redirect_uri,
                  email=user.email, password=user.password)
    assert isinstance(result, Redirect), getattr(result, "html", result)
    claims = rp.validate_tokens(rp.exchange(request, result), request.nonce)
    assert claims["sub"] == first["sub"] and claims["auth_time"] > first["auth_time"]
    assert claims["amr"][:2] == ["fed", "pwd"], claims["amr"]


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_manages_upstreams_and_refuses_bad_input(server, user):
    name = unique("Acme")
    added = server.cli_json("upstreams", "add", "--name", name, "--issuer", "https://idp.example.com",
                            "--client-id", "abc", "--client-secret-stdin", "--domain", "Example.COM",
                            input="s3cret")
    assert added["id"].startswith("ups_") and added["email_domains"] == ["example.com"]
    listed = server.cli_json("upstreams", "list")
    assert any(p["id"] == added["id"] for p in listed)
    assert "s3cret" not in server.cli("upstreams", "list").stdout
    for bad in (
        ["--name", name, "--issuer", "https://other.example.com", "--client-id", "x"],   # duplicate name
        ["--name", unique("x"), "--issuer", "http://idp.example.com", "--client-id", "x"],  # http off loopback
        ["--name", unique("x"), "--issuer", "https://idp.example.com", "--client-id", "x", "--scope", "email"],
    ):
        r = server.cli("upstreams", "add", *bad, "--client-secret-stdin", input="s", check=False)
        assert r.returncode != 0 and r.stderr.strip(), r
    r = server.cli("upstreams", "add", "--name", unique("x"), "--issuer", "https://idp.example.com",
                   "--client-id", "x", check=False)
    assert r.returncode != 0 and "client-secret-stdin" in r.stderr
    assert len(server.cli_json("upstreams", "list")) == len(listed)

    server.cli("users", "link", user.email, "--upstream", name, "--subject", "s-1")
    r = server.cli("users", "link", user.email, "--upstream", "no-such-provider", "--subject", "s", check=False)
    assert r.returncode != 0 and "no upstream provider" in r.stderr
    r = server.cli("users", "link", "nobody@example.com", "--upstream", name, "--subject", "s", check=False)
    assert r.returncode != 0 and "no user" in r.stderr
    other = server.create_user("other")
    r = server.cli("users", "link", other.email, "--upstream", name, "--subject", "s-1", check=False)
    assert r.returncode != 0 and "already linked" in r.stderr

    server.cli("upstreams", "remove", added["id"])
    assert not any(p["id"] == added["id"] for p in server.cli_json("upstreams", "list"))
    r = server.cli("upstreams", "remove", name, check=False)
    assert r.returncode != 0
