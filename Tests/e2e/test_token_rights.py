"""Who may use which token, and how (issue 9 items 10 and 12): introspection answers only the token's own
client or a registered resource server; an access token is not an ID token, so it can neither pin a user
(`id_token_hint` at the authorization endpoint) nor sign one out (at the logout endpoint); a client
authenticates with the method it registered, no other.
"""

from __future__ import annotations

import requests

from reverify_e2e import Browser, Redirect, RelyingParty, ReverifyServer, User, header_of


def signed_in(rp: RelyingParty, browser: Browser, user: User) -> dict:
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    rp.validate_tokens(tokens, request.nonce)
    return tokens


# --------------------------------------------------------------------------------------------
# Introspection rights (item 10)
# --------------------------------------------------------------------------------------------


def test_introspection_by_another_client_answers_inactive(server, rp, browser, user, make_client):
    tokens = signed_in(rp, browser, user)
    stranger = RelyingParty(server, make_client())

    assert stranger.introspect(tokens["access_token"]) == {"active": False}
    assert stranger.introspect(tokens["refresh_token"]) == {"active": False}
    # The token's own client still gets the full answer: the refusal is about the caller, not the token.
    assert rp.introspect(tokens["access_token"])["active"] is True
    assert rp.introspect(tokens["refresh_token"])["active"] is True


def test_resource_server_introspects_access_tokens_of_other_clients(server, rp, browser, user, make_client):
    tokens = signed_in(rp, browser, user)
    api = RelyingParty(server, make_client(resource_server=True))

    result = api.introspect(tokens["access_token"])
    assert result["active"] is True
    assert result["client_id"] == rp.client.client_id and result["sub"] == user.id


def test_resource_server_cannot_introspect_another_clients_refresh_token(server, rp, browser, user, make_client):
    tokens = signed_in(rp, browser, user)
    api = RelyingParty(server, make_client(resource_server=True))
    assert api.introspect(tokens["refresh_token"]) == {"active": False}


def test_cli_registers_a_resource_server_without_redirect_uri(server: ReverifyServer):
    view = server.cli_json("clients", "create", "--name", "Billing API", "--resource-server")
    assert view["resource_server"] is True and view["redirect_uris"] == [] and view["client_secret"]
    assert server.cli_json("clients", "show", view["client_id"])["resource_server"] is True
    assert server.cli_json("clients", "create", "--name", "App", "--redirect-uri",
                           "http://127.0.0.1:9/cb")["resource_server"] is False


def test_cli_refuses_a_public_resource_server(server: ReverifyServer):
    before = len(server.cli_json("clients", "list"))
    r = server.cli("clients", "create", "--name", "Public API", "--resource-server", "--public", check=False)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1 and "resource-server" in r.stderr
    assert len(server.cli_json("clients", "list")) == before


# --------------------------------------------------------------------------------------------
# An access token is not an ID token (item 12)
# --------------------------------------------------------------------------------------------


def test_access_token_as_id_token_hint_is_invalid_request(server, rp, browser, user):
    tokens = signed_in(rp, browser, user)
    assert header_of(tokens["access_token"])["typ"] == "at+jwt"
    request = rp.authorization_request(prompt="none", id_token_hint=tokens["access_token"])
    result = browser.open(request.url)
    assert isinstance(result, Redirect), result
    params = rp.check_callback(request, result)
    assert params.get("error") == "invalid_request" and "code" not in params, params
    assert "ID token" in params.get("error_description", ""), params


def test_access_token_as_logout_hint_does_not_sign_out(server, rp, browser, user):
    tokens = signed_in(rp, browser, user)
    r = browser.http.get(server.endpoint("end_session"), params={"id_token_hint": tokens["access_token"]},
                         allow_redirects=False, timeout=30)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    [session] = server.sessions(user.email)
    assert session["active"] is True, "an access token must not sign the browser out"


def test_the_id_token_itself_still_works_as_hint(server, rp, browser, user):
    tokens = signed_in(rp, browser, user)
    request = rp.authorization_request(prompt="none", id_token_hint=tokens["id_token"])
    assert "code" in rp.check_callback(request, browser.open(request.url))


# --------------------------------------------------------------------------------------------
# The registered client authentication method (item 12)
# --------------------------------------------------------------------------------------------


def code_for(rp: RelyingParty, browser: Browser, user: User):
    request = rp.authorization_request()
    return request, browser.sign_in(request.url, user).params["code"]


def test_basic_client_authenticating_with_post_is_invalid_client(server, rp, browser, user):
    assert rp.client.auth_method == "client_secret_basic"
    request, code = code_for(rp, browser, user)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.client.redirect_uri,
            "code_verifier": request.code_verifier}
    r = requests.post(server.endpoint("token"), timeout=30, data={
        **data, "client_id": rp.client.client_id, "client_secret": rp.client.client_secret})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"
    assert "client_secret_basic" in r.json()["error_description"], r.json()
    # The refused request changed nothing: the code still works with the registered method.
    ok = requests.post(server.endpoint("token"), timeout=30, data=data,
                       auth=(rp.client.client_id, rp.client.client_secret))
    assert ok.status_code == 200, ok.text


def test_post_client_authenticating_with_basic_is_invalid_client(server, make_client, browser, user):
    rp = RelyingParty(server, make_client(auth_method="client_secret_post"))
    request, code = code_for(rp, browser, user)
    r = requests.post(server.endpoint("token"), timeout=30, auth=(rp.client.client_id, rp.client.client_secret),
                      data={"grant_type": "authorization_code", "code": code, "redirect_uri": rp.client.redirect_uri,
                            "code_verifier": request.code_verifier})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"
    assert "client_secret_post" in r.json()["error_description"], r.json()


def test_basic_client_cannot_introspect_with_post(server, rp, browser, user):
    tokens = signed_in(rp, browser, user)
    r = requests.post(server.discovery["introspection_endpoint"], timeout=30, data={
        "token": tokens["access_token"], "client_id": rp.client.client_id, "client_secret": rp.client.client_secret})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text
