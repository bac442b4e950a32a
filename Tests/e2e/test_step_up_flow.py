"""The step-up flow end to end: an authlib relying party, a scripted browser, a live Reverify.

Every ID token is validated with joserfc against the published JWKS (signature, iss, aud, exp, iat,
nonce, and the presence of auth_time); the server's word is never taken for it.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from reverify_e2e import (
    USER_AGENT,
    AuthRequest,
    Browser,
    HostedPage,
    Redirect,
    RelyingParty,
    ReverifyServer,
    User,
    authorize_url,
    header_of,
    pkce_pair,
)


@dataclass
class SignedIn:
    request: AuthRequest
    tokens: dict
    claims: dict


def sign_in(rp: RelyingParty, browser: Browser, user: User, **extra) -> SignedIn:
    """No session yet: the sign-in page, then code, then validated tokens."""
    request = rp.authorization_request(**extra)
    redirect = browser.sign_in(request.url, user)
    tokens = rp.exchange(request, redirect)
    claims = rp.validate_tokens(tokens, nonce=request.nonce)
    assert claims["sub"] == user.id
    return SignedIn(request, tokens, claims)


def reauthenticate(rp: RelyingParty, browser: Browser, user: User, **extra) -> SignedIn:
    """A session exists but is not fresh enough: "Confirm it's you", then code, then tokens."""
    request = rp.authorization_request(**extra)
    redirect = browser.reauthenticate(request.url, user)
    tokens = rp.exchange(request, redirect)
    claims = rp.validate_tokens(tokens, nonce=request.nonce)
    assert claims["sub"] == user.id
    return SignedIn(request, tokens, claims)


def silent(rp: RelyingParty, browser: Browser, **extra) -> SignedIn:
    """The session is fresh enough: the authorization endpoint answers with a code, no page at all."""
    request = rp.authorization_request(**extra)
    result = browser.open(request.url)
    assert isinstance(result, Redirect), f"expected a redirect without a page, got a {result.status} page: {result.title}"
    tokens = rp.exchange(request, result)
    return SignedIn(request, tokens, rp.validate_tokens(tokens, nonce=request.nonce))


def expect_error_redirect(result, rp_or_uri, error: str, state: str | None, server: ReverifyServer) -> dict:
    redirect_uri = rp_or_uri.client.redirect_uri if isinstance(rp_or_uri, RelyingParty) else rp_or_uri
    assert isinstance(result, Redirect), f"expected an error redirect, got a {result.status} page: {result.html}"
    assert result.status == 302
    assert result.goes_to(redirect_uri), result.location
    params = result.params
    assert params.get("error") == error, params
    assert "code" not in params
    assert params.get("iss") == server.issuer, params
    if state is not None:
        assert params.get("state") == state, params
    return params


def expect_error_page(result, status: int = 400) -> HostedPage:
    assert isinstance(result, HostedPage), f"expected an error page, got a redirect to {result.location}"
    assert result.status == status, (result.status, result.html)
    assert "Location" not in result.headers
    assert result.headers["Content-Type"].startswith("text/html")
    return result


def token_error(response: requests.Response, error: str, status: int = 400) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["error"] == error, body
    assert response.headers.get("Cache-Control") == "no-store"
    return body


def now() -> int:
    return int(time.time())


# ----------------------------------------------------------------------------------------------
# Sign-in and freshness
# ----------------------------------------------------------------------------------------------


def test_sign_in_without_session_yields_tokens_with_auth_time_amr_and_sid(server, rp, browser, user):
    before = now()
    signed = sign_in(rp, browser, user)
    after = now()
    claims, tokens = signed.claims, signed.tokens

    assert before - 1 <= claims["auth_time"] <= after + 1
    assert claims["amr"] == ["pwd"]
    assert isinstance(claims["acr"], str) and claims["acr"]
    assert claims["sid"]
    assert claims["nonce"] == signed.request.nonce
    assert claims["email"] == user.email
    assert tokens["refresh_token"]
    assert "openid" in tokens["scope"].split()

    header, access = rp.validate_access_token(tokens["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256" and header["kid"]
    assert access["auth_time"] == claims["auth_time"]
    assert access["amr"] == ["pwd"]
    assert access["acr"] == claims["acr"]
    assert access["sid"] == claims["sid"]
    assert access["client_id"] == rp.client.client_id
    assert "openid" in access["scope"].split()

    info = rp.userinfo(tokens["access_token"])
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["sub"] == user.id
    assert body["email"] == user.email
    assert body["auth_time"] == claims["auth_time"]


def test_sign_in_sets_an_httponly_session_cookie(server, rp, browser, user):
    sign_in(rp, browser, user)
    cookie = next(c for c in browser.http.cookies if c.name == "reverify_session")
    assert cookie.value
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.path == "/"
    sessions = server.sessions(user.email)
    assert len(sessions) == 1 and sessions[0]["active"] is True


def test_fresh_session_gets_code_without_a_page(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    second = silent(rp, browser, max_age=60)
    assert second.claims["auth_time"] == first.claims["auth_time"]
    assert second.claims["sid"] == first.claims["sid"]
    assert second.claims["nonce"] == second.request.nonce


def test_stale_session_past_max_age_shows_confirm_its_you_and_moves_auth_time(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    time.sleep(3)  # older than max_age=2

    request = rp.authorization_request(max_age=2)
    page = browser.open(request.url)
    assert isinstance(page, HostedPage), f"expected 'Confirm it's you', got a redirect to {page.location}"
    assert page.status == 200
    assert page.is_reauth, page.html
    assert "Confirm it's you" in page.html
    assert page.text("signed-in-email") == user.email
    # Only a password is asked for: the email is fixed (hidden), not an input the user can change.
    assert page.has("password") and page.ids["password"]["attrs"].get("type") == "password"
    assert not page.has("email")
    form = page.form("/password")
    assert form["inputs"].get("email") == user.email
    assert form["inputs"].get("csrf_token")
    assert set(form["inputs"]) == {"csrf_token", "email", "password"}

    before = now()
    redirect = browser.submit_password(page, user.password)
    assert isinstance(redirect, Redirect), redirect
    tokens = rp.exchange(request, redirect)
    claims = rp.validate_tokens(tokens, nonce=request.nonce)

    assert claims["auth_time"] > first.claims["auth_time"]
    assert claims["auth_time"] >= before - 1
    assert claims["sid"] == first.claims["sid"], "re-authentication must keep the same session"
    assert claims["amr"] == ["pwd"]
    _, access = rp.validate_access_token(tokens["access_token"])
    assert access["auth_time"] == claims["auth_time"]
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["auth_time"] == claims["auth_time"]
    assert server.sessions(user.email)[0]["auth_time"] == claims["auth_time"]


def test_prompt_login_shows_reauth_page_even_when_fresh(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    time.sleep(1.1)  # so a re-authentication gets a later auth_time
    page = browser.open(rp.authorization_request(prompt="login", max_age=3600).url)
    assert isinstance(page, HostedPage) and page.is_reauth, f"prompt=login did not show a page: {page}"
    assert page.text("signed-in-email") == user.email

    again = reauthenticate(rp, browser, user, prompt="login")
    assert again.claims["auth_time"] > first.claims["auth_time"]


def test_max_age_zero_behaves_like_prompt_login(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    time.sleep(1.1)
    again = reauthenticate(rp, browser, user, max_age=0)
    assert again.claims["auth_time"] > first.claims["auth_time"]
    assert again.claims["sid"] == first.claims["sid"]


def test_prompt_none_without_session_returns_login_required(server, rp, browser):
    request = rp.authorization_request(prompt="none")
    result = browser.open(request.url)
    expect_error_redirect(result, rp, "login_required", request.state, server)


def test_prompt_none_with_stale_session_returns_login_required(server, rp, browser, user):
    sign_in(rp, browser, user)
    time.sleep(2.2)  # older than max_age=1
    request = rp.authorization_request(prompt="none", max_age=1)
    expect_error_redirect(browser.open(request.url), rp, "login_required", request.state, server)

    # With a lenient max_age the same session is still good for prompt=none.
    silent(rp, browser, prompt="none", max_age=3600)


def test_prompt_none_with_login_is_invalid_request(server, rp, browser):
    request = rp.authorization_request(prompt="none login")
    expect_error_redirect(browser.open(request.url), rp, "invalid_request", request.state, server)


# ----------------------------------------------------------------------------------------------
# Refresh
# ----------------------------------------------------------------------------------------------


def test_refresh_keeps_auth_time_and_moves_iat(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    time.sleep(1.5)
    refreshed = rp.refresh(first.tokens["refresh_token"])
    claims = rp.validate_tokens(refreshed, nonce=None)

    assert claims["auth_time"] == first.claims["auth_time"], "a refresh must never move auth_time"
    assert claims["iat"] > first.claims["iat"]
    for name in ("iss", "sub", "aud", "sid", "amr", "acr"):
        assert claims[name] == first.claims[name], name
    assert claims.get("nonce") in (None, first.request.nonce)  # OIDC Core 12.2
    _, access = rp.validate_access_token(refreshed["access_token"])
    assert access["auth_time"] == first.claims["auth_time"]
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != first.tokens["refresh_token"]
    assert refreshed["access_token"] != first.tokens["access_token"]


def test_refresh_after_reauthentication_carries_the_new_auth_time(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    time.sleep(1.1)
    again = reauthenticate(rp, browser, user, prompt="login")
    assert again.claims["auth_time"] > first.claims["auth_time"]

    # The refresh token from *before* the re-authentication now yields tokens with the new auth_time.
    refreshed = rp.refresh(first.tokens["refresh_token"])
    claims = rp.validate_tokens(refreshed, nonce=None)
    assert claims["auth_time"] == again.claims["auth_time"]
    _, access = rp.validate_access_token(refreshed["access_token"])
    assert access["auth_time"] == again.claims["auth_time"]


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """A server with no refresh reuse grace: every reuse of a rotated token is theft."""
    strict = ReverifyServer(tmp_path_factory.mktemp("reverify-no-grace"), extra_args=("--refresh-reuse-grace-seconds", "0"))
    strict.start()
    try:
        yield strict
    finally:
        strict.stop()


def test_refresh_token_reuse_is_refused_and_revokes_the_family(strict_server):
    server = strict_server
    rp, browser, user = RelyingParty(server, server.create_client()), Browser(server), server.create_user(prefix="reuse")
    first = sign_in(rp, browser, user)
    second = rp.refresh(first.tokens["refresh_token"])
    newest = second["refresh_token"]
    assert rp.introspect(newest)["active"] is True

    token_error(rp.refresh_raw(first.tokens["refresh_token"]), "invalid_grant")

    # The whole family is gone: the newest refresh token, which was never reused, fails too.
    token_error(rp.refresh_raw(newest), "invalid_grant")
    assert rp.introspect(newest)["active"] is False
    events = [r for r in server.audit() if r["event"] == "token.refresh_reuse"]
    assert any(r.get("client_id") == rp.client.client_id and r["outcome"] == "failure" for r in events), events


def test_parallel_refreshes_within_the_grace_keep_the_grant(server, rp, browser, user):
    """Issue 9, item 17: mod_auth_openidc < 2.4.14 refreshes in parallel with one token."""
    first = sign_in(rp, browser, user)
    rotated = rp.refresh(first.tokens["refresh_token"])
    repeated = rp.refresh(first.tokens["refresh_token"])
    assert repeated["refresh_token"] != rotated["refresh_token"]
    rp.validate_tokens(repeated, nonce=None)
    assert rp.introspect(rotated["refresh_token"])["active"] is True
    assert rp.introspect(repeated["refresh_token"])["active"] is True


def test_revoked_refresh_token_is_inactive_and_cannot_refresh(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    refresh_token = signed.tokens["refresh_token"]
    introspected = rp.introspect(refresh_token)
    assert introspected["active"] is True
    assert introspected["client_id"] == rp.client.client_id

    r = rp.revoke(refresh_token, hint="refresh_token")
    assert r.status_code == 200, r.text

    assert rp.introspect(refresh_token) == {"active": False}
    token_error(rp.refresh_raw(refresh_token), "invalid_grant")
    # RFC 7009 2.2: revoking an unknown or already revoked token is still a 200.
    assert rp.revoke(refresh_token).status_code == 200


# ----------------------------------------------------------------------------------------------
# Codes and PKCE
# ----------------------------------------------------------------------------------------------


def test_code_replay_is_refused_and_revokes_tokens_from_the_first_redemption(server, rp, browser, user):
    request = rp.authorization_request()
    redirect = browser.sign_in(request.url, user)
    code = redirect.params["code"]
    tokens = rp.exchange(request, redirect)
    rp.validate_tokens(tokens, nonce=request.nonce)
    assert rp.introspect(tokens["access_token"])["active"] is True

    token_error(rp.redeem_code(code, request.code_verifier), "invalid_grant")

    # RFC 6749 4.1.2: tokens issued from the replayed code are revoked.
    assert rp.introspect(tokens["access_token"])["active"] is False
    info = rp.userinfo(tokens["access_token"])
    assert info.status_code == 401
    assert "invalid_token" in info.headers.get("WWW-Authenticate", "")
    token_error(rp.refresh_raw(tokens["refresh_token"]), "invalid_grant")
    events = [r for r in server.audit() if r["event"] == "token.code_replay"]
    assert any(r.get("client_id") == rp.client.client_id for r in events), events


def test_code_is_bound_to_the_redirect_uri(server, rp, browser, user):
    request = rp.authorization_request()
    code = browser.sign_in(request.url, user).params["code"]
    response = rp.token_request({
        "grant_type": "authorization_code", "code": code, "code_verifier": request.code_verifier,
        "redirect_uri": rp.client.redirect_uri + "/other",
    })
    token_error(response, "invalid_grant")


def test_wrong_code_verifier_is_invalid_grant(server, public_rp, browser, user):
    request = public_rp.authorization_request()
    redirect = browser.sign_in(request.url, user)
    public_rp.check_callback(request, redirect)
    wrong_verifier, _ = pkce_pair()
    token_error(public_rp.redeem_code(redirect.params["code"], wrong_verifier), "invalid_grant")


def test_missing_code_verifier_is_invalid_grant(server, public_rp, browser, user):
    request = public_rp.authorization_request()
    redirect = browser.sign_in(request.url, user)
    token_error(public_rp.redeem_code(redirect.params["code"], None), "invalid_grant")


def test_public_client_with_pkce_gets_tokens_without_a_secret(server, public_rp, browser, user):
    signed = sign_in(public_rp, browser, user)
    assert signed.claims["aud"] == public_rp.client.client_id


def test_public_client_without_pkce_gets_invalid_request_redirect(server, public_client, browser):
    url = authorize_url(server, response_type="code", client_id=public_client.client_id,
                        redirect_uri=public_client.redirect_uri, scope="openid", state="st-no-pkce")
    expect_error_redirect(browser.open(url), public_client.redirect_uri, "invalid_request", "st-no-pkce", server)


def test_plain_code_challenge_method_is_invalid_request(server, public_client, browser):
    verifier, _ = pkce_pair()
    url = authorize_url(server, response_type="code", client_id=public_client.client_id,
                        redirect_uri=public_client.redirect_uri, scope="openid", state="st-plain",
                        code_challenge=verifier, code_challenge_method="plain")
    expect_error_redirect(browser.open(url), public_client.redirect_uri, "invalid_request", "st-plain", server)


# ----------------------------------------------------------------------------------------------
# Request validation
# ----------------------------------------------------------------------------------------------


def test_unknown_client_gets_an_error_page_and_no_redirect(server, confidential_client, browser):
    url = authorize_url(server, response_type="code", client_id="cli_00000000000000000000000000000000",
                        redirect_uri=confidential_client.redirect_uri, scope="openid", state="st")
    page = expect_error_page(browser.open(url))
    assert confidential_client.redirect_uri not in page.html


def test_unregistered_redirect_uri_gets_an_error_page_and_no_redirect(server, confidential_client, browser):
    evil = "https://attacker.example/callback"
    url = authorize_url(server, response_type="code", client_id=confidential_client.client_id,
                        redirect_uri=evil, scope="openid", state="st")
    page = expect_error_page(browser.open(url))
    assert evil not in page.html


def test_redirect_uri_must_match_exactly(server, confidential_client, browser):
    url = authorize_url(server, response_type="code", client_id=confidential_client.client_id,
                        redirect_uri=confidential_client.redirect_uri + "?x=1", scope="openid", state="st")
    expect_error_page(browser.open(url))


@pytest.mark.parametrize("max_age", ["-1", "abc", "1.5", "1e3", " 5"])
def test_malformed_max_age_is_invalid_request_redirect(server, rp, browser, max_age):
    request = rp.authorization_request(max_age=max_age)
    expect_error_redirect(browser.open(request.url), rp, "invalid_request", request.state, server)


def test_duplicate_parameter_is_invalid_request(server, confidential_client, browser):
    url = authorize_url(server, response_type="code", client_id=confidential_client.client_id,
                        redirect_uri=confidential_client.redirect_uri, scope=["openid", "openid email"],
                        state="st-dup")
    expect_error_redirect(browser.open(url), confidential_client.redirect_uri, "invalid_request", "st-dup", server)


def test_scope_without_openid_is_refused(server, rp, browser):
    request = rp.authorization_request(scope="email")
    expect_error_redirect(browser.open(request.url), rp, "invalid_scope", request.state, server)


def test_response_type_other_than_code_is_unsupported(server, rp, browser):
    request = rp.authorization_request(response_type="token")
    expect_error_redirect(browser.open(request.url), rp, "unsupported_response_type", request.state, server)


# ----------------------------------------------------------------------------------------------
# The hosted page
# ----------------------------------------------------------------------------------------------


def test_cancel_on_the_sign_in_page_returns_access_denied(server, rp, browser):
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    assert page.has("cancel")
    expect_error_redirect(browser.cancel(page), rp, "access_denied", request.state, server)


def test_cancel_on_the_reauth_page_returns_access_denied_and_keeps_the_session(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    request = rp.authorization_request(prompt="login")
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_reauth
    expect_error_redirect(browser.cancel(page), rp, "access_denied", request.state, server)
    sessions = server.sessions(user.email)
    assert sessions[0]["active"] is True and sessions[0]["auth_time"] == first.claims["auth_time"]
    assert any(r["event"] == "authorize.cancelled" for r in server.audit(user.email))


def test_wrong_password_on_sign_in_page_returns_401_without_code(server, rp, browser, user):
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    result = browser.submit_password(page, "not the password", email=user.email)
    assert isinstance(result, HostedPage), f"wrong password redirected to {result.location}"
    assert result.status == 401
    assert result.has("error")
    assert "Location" not in result.headers
    assert browser.session_cookie is None
    assert server.sessions(user.email) == []
    failures = [r for r in server.audit(user.email)
                if r["event"] == "authentication.sign_in" and r["outcome"] == "failure"]
    assert failures and failures[0]["method"] == "password" and failures[0]["client_id"] == rp.client.client_id


def test_wrong_password_on_reauth_page_returns_401_and_keeps_auth_time(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    auth_time = server.sessions(user.email)[0]["auth_time"]
    assert auth_time == first.claims["auth_time"]
    time.sleep(1.1)

    request = rp.authorization_request(prompt="login")
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_reauth
    result = browser.submit_password(page, "definitely wrong")
    assert isinstance(result, HostedPage), f"wrong password redirected to {result.location}"
    assert result.status == 401
    assert result.has("error") and result.text("error")
    assert result.is_reauth and result.text("signed-in-email") == user.email
    assert "Location" not in result.headers
    assert "code=" not in result.html

    sessions = server.sessions(user.email)
    assert len(sessions) == 1
    assert sessions[0]["auth_time"] == auth_time, "a failed re-authentication must not move auth_time"
    failures = [r for r in server.audit(user.email)
                if r["event"] == "authentication.reauthentication" and r["outcome"] == "failure"]
    assert failures, server.audit(user.email)
    assert failures[0]["user_id"] == user.id
    assert failures[0]["session_id"] == first.claims["sid"]
    assert failures[0]["method"] == "password"
    assert failures[0]["client_id"] == rp.client.client_id


def test_hosted_pages_and_token_responses_carry_security_headers(server, rp, browser, user):
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in page.headers["Cache-Control"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"

    redirect = browser.submit_password(page, user.password, email=user.email)
    assert isinstance(redirect, Redirect)
    r = rp.token_request({"grant_type": "authorization_code", "code": redirect.params["code"],
                          "redirect_uri": rp.client.redirect_uri, "code_verifier": request.code_verifier})
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"

    reauth = browser.open(rp.authorization_request(prompt="login").url)
    assert isinstance(reauth, HostedPage) and reauth.is_reauth
    assert "frame-ancestors 'none'" in reauth.headers["Content-Security-Policy"]
    assert reauth.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in reauth.headers["Cache-Control"]


def test_hosted_page_is_bound_to_the_browser_that_started_it(server, rp, browser, make_browser, user):
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    other = make_browser()
    stolen = other.open(page.url)
    assert isinstance(stolen, HostedPage) and stolen.status == 403
    assert not stolen.has("password")


# ----------------------------------------------------------------------------------------------
# id_token_hint, introspection, client authentication, logout
# ----------------------------------------------------------------------------------------------


def test_id_token_hint_for_another_user_returns_login_required(server, rp, make_browser, make_user):
    alice, bob = make_user(prefix="alice"), make_user(prefix="bob")
    alice_browser, bob_browser = make_browser(), make_browser()
    sign_in(rp, alice_browser, alice)
    bob_tokens = sign_in(rp, bob_browser, bob).tokens

    request = rp.authorization_request(id_token_hint=bob_tokens["id_token"])
    expect_error_redirect(alice_browser.open(request.url), rp, "login_required", request.state, server)
    # The session was not switched or ended by the attempt.
    assert server.sessions(alice.email)[0]["active"] is True


def test_id_token_hint_for_the_session_user_is_accepted(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    again = silent(rp, browser, id_token_hint=first.tokens["id_token"], prompt="none")
    assert again.claims["sub"] == user.id


def test_introspection_reports_auth_time_amr_acr_sid(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    _, access = rp.validate_access_token(signed.tokens["access_token"])
    result = rp.introspect(signed.tokens["access_token"])
    assert result["active"] is True
    assert result["sub"] == user.id
    assert result["client_id"] == rp.client.client_id
    assert result["exp"] == access["exp"]
    assert result["auth_time"] == signed.claims["auth_time"]
    assert result["amr"] == ["pwd"]
    assert result["acr"] == signed.claims["acr"]
    assert result["sid"] == signed.claims["sid"]
    assert "openid" in result["scope"].split()


def test_introspection_requires_client_authentication(server, rp, browser, user, public_client):
    signed = sign_in(rp, browser, user)
    endpoint = server.discovery["introspection_endpoint"]
    anonymous = requests.post(endpoint, data={"token": signed.tokens["access_token"]}, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    wrong = requests.post(endpoint, data={"token": signed.tokens["access_token"]},
                          auth=(rp.client.client_id, "wrong-secret"), timeout=30)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    public = requests.post(endpoint, data={"token": signed.tokens["access_token"],
                                           "client_id": public_client.client_id}, timeout=30)
    assert public.status_code == 401


def test_client_secret_post_client_gets_tokens(server, make_client, browser, user):
    client = make_client(auth_method="client_secret_post")
    signed = sign_in(RelyingParty(server, client), browser, user)
    assert signed.claims["aud"] == client.client_id


def test_wrong_client_secret_is_invalid_client(server, rp, browser, user):
    request = rp.authorization_request()
    code = browser.sign_in(request.url, user).params["code"]
    r = requests.post(server.endpoint("token"), auth=(rp.client.client_id, "rvs_wrong"), timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": rp.client.redirect_uri,
        "code_verifier": request.code_verifier})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"
    assert "Basic" in r.headers.get("WWW-Authenticate", "")


def test_logout_with_id_token_hint_signs_out_and_redirects_with_state(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    r = browser.http.get(server.endpoint("end_session"), allow_redirects=False, timeout=30, params={
        "id_token_hint": signed.tokens["id_token"],
        "post_logout_redirect_uri": rp.client.post_logout_redirect_uri,
        "state": "bye-123",
    })
    assert r.status_code in (302, 303), (r.status_code, r.text)
    location = r.headers["Location"]
    redirect = Redirect(r.status_code, location, r.headers)
    assert redirect.goes_to(rp.client.post_logout_redirect_uri), location
    assert redirect.params.get("state") == "bye-123"

    sessions = server.sessions(user.email)
    assert sessions[0]["active"] is False and sessions[0].get("revoked_at") is not None
    assert any(r["event"] == "session.signed_out" for r in server.audit(user.email))

    # Even a browser that kept the old cookie is no longer signed in.
    request = rp.authorization_request(prompt="none")
    expect_error_redirect(browser.open(request.url), rp, "login_required", request.state, server)


def test_logout_without_id_token_hint_asks_for_confirmation(server, rp, browser, user):
    sign_in(rp, browser, user)
    r = browser.http.get(server.endpoint("end_session"), allow_redirects=False, timeout=30,
                         params={"client_id": rp.client.client_id,
                                 "post_logout_redirect_uri": rp.client.post_logout_redirect_uri})
    assert r.status_code == 200, r.status_code
    assert "Location" not in r.headers
    page = HostedPage.from_response(r)
    assert page.has("confirm-logout")
    assert server.sessions(user.email)[0]["active"] is True


def test_logout_to_unregistered_post_logout_redirect_uri_is_refused(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    r = browser.http.get(server.endpoint("end_session"), allow_redirects=False, timeout=30, params={
        "id_token_hint": signed.tokens["id_token"], "post_logout_redirect_uri": "https://attacker.example/"})
    assert r.status_code == 400
    assert "Location" not in r.headers


# ----------------------------------------------------------------------------------------------
# The operator's view
# ----------------------------------------------------------------------------------------------


def test_cli_sessions_and_audit_show_sign_in_and_reauth(server, rp, browser, user):
    first = sign_in(rp, browser, user)
    time.sleep(1.1)
    again = reauthenticate(rp, browser, user, prompt="login")

    sessions = server.sessions(user.email)
    assert len(sessions) == 1
    session = sessions[0]
    assert session["id"] == first.claims["sid"] == again.claims["sid"]
    assert session["user_id"] == user.id
    assert session["active"] is True and session.get("revoked_at") is None
    assert session["auth_time"] == again.claims["auth_time"]
    assert session["amr"] == ["pwd"]
    assert session["ip_address"] == "127.0.0.1"
    assert session["user_agent"] == USER_AGENT

    audit = server.audit(user.email)
    assert all(record["user_id"] == user.id for record in audit if record.get("user_id"))

    def one(event):
        matches = [r for r in audit if r["event"] == event and r["outcome"] == "success"]
        assert len(matches) == 1, (event, audit)
        return matches[0]

    for record in (one("authentication.sign_in"), one("authentication.reauthentication")):
        assert record["method"] == "password"
        assert record["client_id"] == rp.client.client_id
        assert record["session_id"] == session["id"]
        assert record["ip_address"] == "127.0.0.1"
        assert record["user_agent"] == USER_AGENT
    reauth = one("authentication.reauthentication")
    sign = one("authentication.sign_in")
    assert reauth["at"] >= sign["at"]
    decisions = [r for r in audit if r["event"] == "authorize.decision"]
    assert any(r["outcome"] == "info" and "reauthenticate" in (r.get("reason") or "") for r in decisions), decisions


def test_introspection_auth_time_is_the_tokens_own_after_a_later_reauthentication(server, rp, browser, user):
    """RFC 9470 6.2: auth_time is the authentication the access token was obtained with.

    An access token minted before a re-authentication must not be described as fresher than it is,
    and introspection must agree with the token's own signed auth_time claim.
    """
    first = sign_in(rp, browser, user)
    _, old_access = rp.validate_access_token(first.tokens["access_token"])
    time.sleep(1.1)
    again = reauthenticate(rp, browser, user, prompt="login")
    assert again.claims["auth_time"] > old_access["auth_time"]

    result = rp.introspect(first.tokens["access_token"])
    assert result["active"] is True
    assert result["auth_time"] == old_access["auth_time"], (
        f"introspection of a token minted at auth_time {old_access['auth_time']} reports {result['auth_time']}")
    new_result = rp.introspect(again.tokens["access_token"])
    assert new_result["auth_time"] == again.claims["auth_time"]


# ----------------------------------------------------------------------------------------------
# Abuse resistance
# ----------------------------------------------------------------------------------------------


def test_completed_hosted_form_cannot_be_submitted_again(server, rp, browser, user):
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    first = browser.submit_password(page, user.password, email=user.email)
    assert isinstance(first, Redirect) and "code" in first.params

    again = browser.submit_password(page, user.password, email=user.email)
    assert isinstance(again, HostedPage), f"a used form produced another redirect: {again.location}"
    assert again.status in (404, 409, 410)
    assert "code=" not in again.html


def test_password_post_with_wrong_csrf_token_is_refused(server, rp, browser, user):
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    result = browser.post_form(page, "/password", email=user.email, password=user.password,
                               csrf_token="A" * 43)
    assert isinstance(result, HostedPage), f"forged form redirected to {result.location}"
    assert result.status == 403
    assert browser.session_cookie is None
    assert server.sessions(user.email) == []


def test_lockout_after_ten_failures_refuses_even_the_right_password(server, rp, browser, user):
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    for attempt in range(10):
        page = browser.submit_password(page, f"wrong password {attempt}", email=user.email)
        assert isinstance(page, HostedPage) and page.status == 401, attempt

    locked = browser.submit_password(page, user.password, email=user.email)
    assert isinstance(locked, HostedPage), f"a locked-out account signed in: {locked.location}"
    assert locked.status == 429
    assert locked.has("error")
    assert server.sessions(user.email) == []
    reasons = [r.get("reason") for r in server.audit(user.email) if r["event"] == "authentication.sign_in"]
    assert reasons.count("wrong_password") == 10 and "locked_out" in reasons, reasons


def test_code_issued_to_another_client_is_invalid_grant(server, rp, make_client, browser, user):
    request = rp.authorization_request()
    code = browser.sign_in(request.url, user).params["code"]
    other = RelyingParty(server, make_client(redirect_uri=rp.client.redirect_uri))
    token_error(other.redeem_code(code, request.code_verifier), "invalid_grant")


def test_revocation_by_another_client_leaves_the_token_active(server, rp, make_client, browser, user):
    signed = sign_in(rp, browser, user)
    other = RelyingParty(server, make_client())
    assert other.revoke(signed.tokens["refresh_token"]).status_code == 200
    assert other.revoke(signed.tokens["access_token"]).status_code == 200
    assert rp.introspect(signed.tokens["refresh_token"])["active"] is True
    assert rp.introspect(signed.tokens["access_token"])["active"] is True


def test_revoked_access_token_is_inactive(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    assert rp.revoke(signed.tokens["access_token"], hint="access_token").status_code == 200
    assert rp.introspect(signed.tokens["access_token"]) == {"active": False}
    assert rp.userinfo(signed.tokens["access_token"]).status_code == 401


def test_cli_session_revoke_ends_the_session_and_its_tokens(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    result = server.cli("sessions", "revoke", signed.claims["sid"])
    assert signed.claims["sid"] in result.stdout

    assert server.sessions(user.email)[0]["active"] is False
    assert rp.introspect(signed.tokens["access_token"])["active"] is False
    token_error(rp.refresh_raw(signed.tokens["refresh_token"]), "invalid_grant")
    request = rp.authorization_request(prompt="none")
    expect_error_redirect(browser.open(request.url), rp, "login_required", request.state, server)
    assert any(r["event"] == "session.revoked" for r in server.audit(user.email))

    again = server.cli("sessions", "revoke", signed.claims["sid"], check=False)
    assert again.returncode != 0 and again.stderr.strip()


def test_disabled_user_loses_session_and_tokens(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    server.cli("users", "disable", user.email)
    assert rp.introspect(signed.tokens["access_token"])["active"] is False
    assert rp.userinfo(signed.tokens["access_token"]).status_code == 401
    token_error(rp.refresh_raw(signed.tokens["refresh_token"]), "invalid_grant")
    request = rp.authorization_request(prompt="none")
    expect_error_redirect(browser.open(request.url), rp, "login_required", request.state, server)

    refused = Browser(server)
    page = refused.open(rp.authorization_request().url)
    result = refused.submit_password(page, user.password, email=user.email)
    assert isinstance(result, HostedPage) and result.status == 401


def test_id_token_hint_signed_by_a_foreign_key_is_invalid_request(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    forged = jwt.encode({"alg": "ES256", "kid": header_of(signed.tokens["id_token"])["kid"], "typ": "JWT"},
                        signed.claims, ECKey.generate_key("P-256"))
    request = rp.authorization_request(prompt="none", id_token_hint=forged)
    expect_error_redirect(browser.open(request.url), rp, "invalid_request", request.state, server)


def test_expired_id_token_hint_is_still_accepted_for_logout(server, rp, browser, user):
    """RP-Initiated Logout 1.0 section 4: the OP SHOULD accept an id_token_hint whose exp has passed."""
    signed = sign_in(rp, browser, user)
    kid = header_of(signed.tokens["id_token"])["kid"]
    key = ECKey.import_key(server.signing_key_pem(kid))
    stale = int(time.time()) - 3600
    expired = jwt.encode({"alg": "ES256", "kid": kid, "typ": "JWT"},
                         dict(signed.claims, iat=stale - 600, exp=stale), key)
    r = browser.http.get(server.endpoint("end_session"), allow_redirects=False, timeout=30, params={
        "id_token_hint": expired, "post_logout_redirect_uri": rp.client.post_logout_redirect_uri, "state": "late"})
    assert r.status_code in (302, 303), (r.status_code, r.text)
    redirect = Redirect(r.status_code, r.headers["Location"], r.headers)
    assert redirect.goes_to(rp.client.post_logout_redirect_uri)
    assert redirect.params.get("state") == "late"
    assert server.sessions(user.email)[0]["active"] is False


def test_logout_confirmation_page_signs_out_when_confirmed(server, rp, browser, user):
    sign_in(rp, browser, user)
    r = browser.http.get(server.endpoint("end_session"), allow_redirects=False, timeout=30, params={
        "client_id": rp.client.client_id, "post_logout_redirect_uri": rp.client.post_logout_redirect_uri,
        "state": "confirm-1"})
    page = HostedPage.from_response(r)
    assert page.has("confirm-logout")
    result = browser.post_form(page, "/oauth2/logout")
    assert isinstance(result, Redirect), result
    assert result.goes_to(rp.client.post_logout_redirect_uri)
    assert result.params.get("state") == "confirm-1"
    assert server.sessions(user.email)[0]["active"] is False


def test_authorization_endpoint_accepts_post(server, rp, browser, user):
    sign_in(rp, browser, user)
    request = rp.authorization_request(max_age=60)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))
    r = browser.http.post(server.endpoint("authorization"), data=query, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    redirect = Redirect(r.status_code, r.headers["Location"], r.headers)
    tokens = rp.exchange(request, redirect)
    assert rp.validate_tokens(tokens, nonce=request.nonce)["sub"] == user.id


def test_userinfo_without_a_token_gets_a_bearer_challenge(server):
    r = requests.get(server.endpoint("userinfo"), timeout=30)
    assert r.status_code == 401
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_code_from_a_session_that_signed_out_cannot_be_redeemed(server, rp, browser, user):
    signed = sign_in(rp, browser, user)
    request = rp.authorization_request()
    redirect = browser.open(request.url)
    assert isinstance(redirect, Redirect) and "code" in redirect.params
    r = browser.http.get(server.endpoint("end_session"), allow_redirects=False, timeout=30,
                         params={"id_token_hint": signed.tokens["id_token"]})
    assert r.status_code in (200, 302, 303)
    assert server.sessions(user.email)[0]["active"] is False
    token_error(rp.redeem_code(redirect.params["code"], request.code_verifier), "invalid_grant")


# ----------------------------------------------------------------------------------------------
# Registered sensitive actions (`clients create --action name=seconds`)
# ----------------------------------------------------------------------------------------------


def test_registered_action_demands_its_own_max_age(server, make_client, browser, user):
    rp = RelyingParty(server, make_client(actions=("billing.change=1",)))
    first = sign_in(rp, browser, user)
    silent(rp, browser, action="billing.change")  # verified just now: fresh enough
    time.sleep(2.2)  # older than the action's 1 s

    request = rp.authorization_request(action="billing.change")
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_reauth, f"stale action did not ask to confirm: {page}"
    assert "billing.change" in page.html
    redirect = browser.submit_password(page, user.password)
    tokens = rp.exchange(request, redirect)
    claims = rp.validate_tokens(tokens, nonce=request.nonce)
    assert claims["auth_time"] > first.claims["auth_time"]
    decisions = [r for r in server.audit(user.email) if r["event"] == "authorize.decision"]
    assert any(r.get("detail", {}).get("action") == "billing.change" for r in decisions), decisions


def test_unregistered_action_is_invalid_request(server, rp, browser):
    request = rp.authorization_request(action="account.delete")
    expect_error_redirect(browser.open(request.url), rp, "invalid_request", request.state, server)


def test_client_registered_for_rs256_gets_rs256_id_tokens_that_verify_against_jwks(server, browser, user):
    client = server.create_client(id_token_alg="RS256")
    rp = RelyingParty(server, client)

    signed = sign_in(rp, browser, user)

    assert jwt.decode(signed.tokens["id_token"], server.jwks(), algorithms=["RS256"]).header["alg"] == "RS256"
    assert signed.claims["auth_time"] and signed.claims["amr"] == ["pwd"]
    # The access token stays ES256 whatever the client's ID token algorithm.
    header, _ = rp.validate_access_token(signed.tokens["access_token"])
    assert header["alg"] == "ES256"
