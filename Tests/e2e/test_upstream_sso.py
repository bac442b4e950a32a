"""Delegated SSO re-verification (issue 6) against real upstream OpenID Connect providers on loopback:
a provider built on Authlib's server components (``upstream_provider.py``) and a second Reverify instance.

What must hold: re-verification through the provider moves the session's ``auth_time`` forward and sets
``amr`` to ``fed`` plus the provider's own values; an upstream that skips the fresh login (old
``auth_time``), or returns a token with the wrong nonce, audience, key or subject, is refused with a page
and an audit row, the session untouched; a callback's ``state`` works once.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from collections.abc import Iterator

import pytest
import requests

from reverify_e2e import Browser, HostedPage, Redirect, RelyingParty, ReverifyServer, User, unique
from upstream_provider import UpstreamProvider

UPSTREAM_CALLBACK = "/reauth/upstream/callback"


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
    result = browser.submit(page, form, rp.client.redirect_uri, visited)
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
    result = browser.submit(login, login.forms[0], rp.client.redirect_uri, visited,
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
    # Issue 9 item 13: signed times no real token carries are refused; they used to crash the server.
    ("huge_exp", "upstream_time_out_of_range"),
    ("huge_iat", "upstream_time_out_of_range"),
    ("huge_auth_time", "upstream_time_out_of_range"),
    ("min_auth_time", "upstream_missing_auth_time"),
    ("zero_auth_time", "upstream_missing_auth_time"),
])
def test_misbehaving_upstream_is_refused(server, provider, registered, linked, user, browser, rp, mode, reason):
    signed_in(browser, rp, user)
    before = session_auth_time(server, user)
    provider.mode = mode
    _, login, _ = continue_with(browser, rp, registered["name"])
    result = browser.submit(login, login.forms[0], rp.client.redirect_uri,
                  username=linked.username, password=linked.password)
    assert isinstance(result, HostedPage) and result.status == 401, result
    assert result.has("error"), result.html
    assert session_auth_time(server, user) == before, "a refused upstream answer leaves the session untouched"
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["reason"], audit["method"]) == ("failure", reason, "federated"), audit


def test_auth_time_zero_is_reported_as_missing_not_as_an_old_sign_in(
        server, provider, registered, linked, user, browser, rp):
    signed_in(browser, rp, user)
    provider.mode = "zero_auth_time"
    _, login, _ = continue_with(browser, rp, registered["name"])
    result = browser.submit(login, login.forms[0], rp.client.redirect_uri,
                            username=linked.username, password=linked.password)
    assert isinstance(result, HostedPage) and result.status == 401, result
    message = result.text("error")
    assert "did not say when you signed in" in message and "reused a sign-in" not in message, message
    assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200


def test_upstream_callback_in_another_browser_is_refused(
        server, provider, registered, linked, user, browser, make_browser, rp):
    signed_in(browser, rp, user)
    before = session_auth_time(server, user)
    _, login, _ = continue_with(browser, rp, registered["name"])
    # The provider sends the browser back with state and code; a second browser opens that URL instead.
    callback = browser.submit(login, login.forms[0], server.issuer + UPSTREAM_CALLBACK,
                              username=linked.username, password=linked.password)
    assert isinstance(callback, Redirect) and "code=" in callback.location, callback
    other = make_browser()
    other.open(rp.authorization_request().url)  # the other browser has a browser cookie of its own
    assert other.http.cookies.get("reverify_browser")

    token_requests = provider.token_requests
    r = other.http.get(callback.location, allow_redirects=False, timeout=30)
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert "finished in a different browser" in HostedPage.from_response(r).html
    assert other.session_cookie is None, "the other browser got no session"
    assert session_auth_time(server, user) == before, "the original session was not re-verified either"
    assert provider.token_requests == token_requests, "the code was never redeemed"
    row = next(r for r in server.audit() if r.get("reason") == "upstream_wrong_browser")
    assert row["outcome"] == "failure" and row["detail"]["request_id"] in callback_request_ids(server), row


@pytest.mark.parametrize("mode", ["wrong_iss", "error_wrong_iss"])
def test_answer_naming_another_issuer_is_refused_as_mix_up(server, provider, registered, linked, user, browser, rp,
                                                          mode):
    """RFC 9207 2.4 at the upstream callback: an iss other than the provider's is refused before anything else,
    whether the answer carries a code or an error."""
    signed_in(browser, rp, user)
    before = session_auth_time(server, user)
    provider.mode = mode
    _, page, _ = continue_with(browser, rp, registered["name"])
    if mode == "wrong_iss":
        page = browser.submit(page, page.forms[0], rp.client.redirect_uri,
                              username=linked.username, password=linked.password)
    assert isinstance(page, HostedPage) and page.status == 401, page
    assert "different sign-in provider" in page.text("error")
    assert session_auth_time(server, user) == before
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["reason"]) == ("failure", "upstream_mix_up"), audit


@pytest.fixture(scope="module")
def iss_provider(server) -> Iterator[tuple[UpstreamProvider, dict]]:
    """A second provider that promises RFC 9207 iss in its discovery document, registered on Reverify."""
    upstream = UpstreamProvider(advertise_iss=True)
    upstream.start()
    try:
        client = upstream.add_client(server.issuer + UPSTREAM_CALLBACK)
        view = server.cli_json("upstreams", "add", "--name", unique("IssCorp"), "--issuer", upstream.issuer,
                               "--client-id", client.client_id, "--client-secret-stdin", "--scope", "openid email",
                               input=client.client_secret)
        yield upstream, view
    finally:
        upstream.stop()


def reverify_through_iss_provider(server, iss_provider, user, browser, rp, mode: str):
    """Links the user at the iss-promising provider, signs in, then re-verifies there in ``mode``."""
    upstream, registered_here = iss_provider
    account = upstream.add_account(user.email)
    server.cli("users", "link", user.email, "--upstream", registered_here["name"], "--subject", account.sub)
    signed_in(browser, rp, user)
    upstream.mode = mode
    try:
        request, login, _ = continue_with(browser, rp, registered_here["name"])
        return request, browser.submit(login, login.forms[0], rp.client.redirect_uri,
                                       username=account.username, password=account.password)
    finally:
        upstream.mode = "normal"


def test_provider_that_promises_iss_and_sends_it_is_accepted(server, iss_provider, user, browser, rp):
    request, result = reverify_through_iss_provider(server, iss_provider, user, browser, rp, "normal")
    assert isinstance(result, Redirect), getattr(result, "html", result)
    assert rp.validate_tokens(rp.exchange(request, result), request.nonce)["amr"][0] == "fed"


def test_provider_that_promises_iss_but_omits_it_is_refused_as_mix_up(server, iss_provider, user, browser, rp):
    """RFC 9207 2.4: a provider whose metadata says it sends iss must send it; an answer without it may come
    from another provider the attacker controls."""
    _, result = reverify_through_iss_provider(server, iss_provider, user, browser, rp, "omit_iss")
    assert isinstance(result, HostedPage) and result.status == 401, result
    assert "different sign-in provider" in result.text("error")
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["reason"]) == ("failure", "upstream_mix_up"), audit
    assert audit["event"] == "authentication.reauthentication"


def test_upstream_error_is_audited_with_a_bounded_sanitized_description(
        server, provider, registered, linked, user, browser, rp):
    signed_in(browser, rp, user)
    before = session_auth_time(server, user)
    provider.mode = "error"
    provider.error_text = "max_age invalid\r\nforged: yes " + "x" * 400
    try:
        _, page, _ = continue_with(browser, rp, registered["name"])
    finally:
        provider.error_text = "max_age invalid"
    assert isinstance(page, HostedPage) and page.status == 401, page
    assert "forged" not in page.html, "the provider's text is for the operator, not shown to the user"
    assert session_auth_time(server, user) == before
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["reason"]) == ("failure", "upstream_error"), audit
    assert audit["detail"]["upstream_error"] == "invalid_request"
    description = audit["detail"]["upstream_error_description"]
    assert description.startswith("max_age invalid??forged: yes xxx"), description
    assert len(description) == 256


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


@pytest.fixture
def link_domains(server, registered):
    """Sets the provider's --link-domain list for one test and clears it afterwards."""
    def set_domains(*domains: str) -> dict:
        args = [arg for domain in domains for arg in ("--link-domain", domain)]
        return server.cli_json("upstreams", "set-link-domains", registered["name"], *args)
    yield set_domains
    set_domains()


def first_sso_sign_in(browser: Browser, rp: RelyingParty, registered: dict, account):
    """A browser with no session signs in with the provider; returns the request and what Reverify answered."""
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    form = next(f for f in page.forms if f["action"].endswith("/upstream/" + registered["id"]))
    login = browser.submit(page, form, rp.client.redirect_uri)
    result = browser.submit(login, login.forms[0], rp.client.redirect_uri,
                            username=account.username, password=account.password)
    return request, result


def callback_request_ids(server: ReverifyServer) -> set[str]:
    """The hosted flows that went upstream (one upstream_states row each)."""
    with sqlite3.connect(server.db, timeout=10) as db:
        return {row[0] for row in db.execute("SELECT request_id FROM upstream_states")}


def linked_subjects(server: ReverifyServer, user: User) -> list[str]:
    with sqlite3.connect(server.db, timeout=10) as db:
        return [row[0] for row in db.execute("SELECT subject FROM user_identities WHERE user_id = ?", (user.id,))]


def test_first_sso_sign_in_links_by_verified_email_in_a_link_domain(
        server, provider, registered, user, browser, rp, link_domains):
    assert link_domains("example.com")["link_domains"] == ["example.com"]
    account = provider.add_account(user.email)
    request, result = first_sso_sign_in(browser, rp, registered, account)
    assert isinstance(result, Redirect), getattr(result, "html", result)
    assert linked_subjects(server, user) == [account.sub]
    claims = rp.validate_tokens(rp.exchange(request, result), request.nonce)
    assert claims["sub"] == user.id and claims["amr"][0] == "fed"
    # Now linked: a later re-auth is offered the provider.
    page = browser.open(rp.authorization_request(prompt="login").url)
    assert any(f["action"].endswith("/upstream/" + registered["id"]) for f in page.forms)


@pytest.mark.parametrize("domains", [(), ("other-company.com",)], ids=["no-link-domain", "other-domain"])
def test_first_sso_sign_in_outside_the_link_domains_is_refused(
        server, provider, registered, user, browser, rp, link_domains, domains):
    """Issue 9 item 6: a provider asserting a verified address does not make it the owner of the local account
    with that address, unless the operator allowed that domain on that provider."""
    link_domains(*domains)
    account = provider.add_account(user.email)
    _, result = first_sso_sign_in(browser, rp, registered, account)
    assert isinstance(result, HostedPage) and result.status == 401, result
    assert "not linked" in result.text("error")
    assert browser.session_cookie is None and server.sessions(user.email) == []
    assert linked_subjects(server, user) == [], "no link was made"
    row = next(r for r in server.audit() if r["detail"].get("upstream_sub") == account.sub)
    assert (row["event"], row["outcome"], row["reason"]) == ("authentication.sign_in", "failure",
                                                             "upstream_link_not_allowed"), row
    assert row["detail"]["link_refused"] == "domain_not_allowed"


def test_operator_link_lets_the_refused_account_sign_in(server, provider, registered, user, browser, rp):
    account = provider.add_account(user.email)
    _, refused = first_sso_sign_in(browser, rp, registered, account)
    assert isinstance(refused, HostedPage) and refused.status == 401
    server.cli("users", "link", user.email, "--upstream", registered["name"], "--subject", account.sub)
    request, result = first_sso_sign_in(browser, rp, registered, account)
    assert isinstance(result, Redirect), getattr(result, "html", result)
    assert rp.validate_tokens(rp.exchange(request, result), request.nonce)["sub"] == user.id


@pytest.fixture
def domain_registered(server, provider):
    """The provider registered once more, offered for example.com (`--domain`), for one test."""
    client = provider.add_client(server.issuer + UPSTREAM_CALLBACK)
    view = server.cli_json("upstreams", "add", "--name", unique("DomainCorp"), "--issuer", provider.issuer,
                           "--client-id", client.client_id, "--client-secret-stdin", "--scope", "openid email",
                           "--domain", "example.com", input=client.client_secret)
    yield view
    server.cli("upstreams", "remove", view["id"])


def test_signed_in_user_links_a_provider_for_their_domain_by_reverifying_there(
        server, provider, domain_registered, user, browser, rp):
    """Linking from an existing verified session: the session proves who the user is; the provider proves it
    knows the same verified address."""
    first = signed_in(browser, rp, user)
    account = provider.add_account(user.email)
    time.sleep(1.1)
    request, login, _ = continue_with(browser, rp, domain_registered["name"])
    result = browser.submit(login, login.forms[0], rp.client.redirect_uri,
                            username=account.username, password=account.password)
    assert isinstance(result, Redirect), getattr(result, "html", result)
    claims = rp.validate_tokens(rp.exchange(request, result), request.nonce)
    assert claims["sub"] == user.id and claims["amr"][0] == "fed" and claims["auth_time"] > first["auth_time"]
    assert linked_subjects(server, user) == [account.sub]
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["detail"].get("linked_by")) == ("success", "session"), audit


def test_signed_in_user_is_not_linked_to_an_upstream_account_with_another_address(
        server, provider, domain_registered, user, browser, rp):
    signed_in(browser, rp, user)
    before = session_auth_time(server, user)
    account = provider.add_account(unique("mallory") + "@example.com")
    _, login, _ = continue_with(browser, rp, domain_registered["name"])
    result = browser.submit(login, login.forms[0], rp.client.redirect_uri,
                            username=account.username, password=account.password)
    assert isinstance(result, HostedPage) and result.status == 401, result
    assert "someone other than" in result.text("error")
    assert session_auth_time(server, user) == before
    assert linked_subjects(server, user) == []
    audit = last_audit(server, user)
    assert (audit["outcome"], audit["reason"]) == ("failure", "upstream_subject_mismatch"), audit
    assert audit["detail"]["link_refused"] == "different_address"


def test_pinned_sign_in_is_not_offered_an_unlinked_provider(server, domain_registered, user, browser, make_browser, rp):
    """An id_token_hint without a session pins the user but proves nothing: no linking from there."""
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    page = make_browser().open(rp.authorization_request(id_token_hint=tokens["id_token"]).url)
    assert isinstance(page, HostedPage) and page.is_sign_in, page
    assert not any(f["action"].endswith("/upstream/" + domain_registered["id"]) for f in page.forms)


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
    result = browser.submit(page, page.form("/password"), rp.client.redirect_uri,
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
                            "--link-domain", "Corp.Example.COM", input="s3cret")
    assert added["id"].startswith("ups_") and added["email_domains"] == ["example.com"]
    assert added["link_domains"] == ["corp.example.com"]
    listed = server.cli_json("upstreams", "list")
    assert any(p["id"] == added["id"] for p in listed)
    assert "s3cret" not in server.cli("upstreams", "list").stdout
    for bad in (
        ["--name", name, "--issuer", "https://other.example.com", "--client-id", "x"],   # duplicate name
        ["--name", unique("x"), "--issuer", "http://idp.example.com", "--client-id", "x"],  # http off loopback
        ["--name", unique("x"), "--issuer", "https://idp.example.com", "--client-id", "x", "--scope", "email"],
        ["--name", unique("x"), "--issuer", "https://idp.example.com", "--client-id", "x", "--link-domain", "a@b.com"],
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

    assert server.cli_json("upstreams", "set-link-domains", name)["link_domains"] == []
    r = server.cli("upstreams", "set-link-domains", name, "--link-domain", "not a domain", check=False)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, r
    r = server.cli("upstreams", "set-link-domains", "no-such-provider", "--link-domain", "example.com", check=False)
    assert r.returncode != 0 and "no upstream provider" in r.stderr

    server.cli("upstreams", "remove", added["id"])
    assert not any(p["id"] == added["id"] for p in server.cli_json("upstreams", "list"))
    r = server.cli("upstreams", "remove", name, check=False)
    assert r.returncode != 0
