"""OpenID conformance (issue 17): the claims parameter for standard claims, profile claims, userinfo with
the token in a form body, signed request objects and pushed authorization requests, with authlib as the
relying party and joserfc signing request objects."""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from reverify_e2e import Browser, HostedPage, Redirect, RelyingParty, authorize_url


@pytest.fixture
def profiled_user(server, user):
    server.cli("users", "update", user.email, "--name", "Ada Lovelace", "--given-name", "Ada",
               "--family-name", "Lovelace", "--preferred-username", "ada")
    return user


def sign_in(rp: RelyingParty, browser: Browser, user, **extra) -> tuple[dict, dict]:
    request = rp.authorization_request(**extra)
    redirect = browser.sign_in(request.url, user)
    tokens = rp.exchange(request, redirect)
    return tokens, rp.validate_tokens(tokens, nonce=request.nonce)


# -- 1, 2: standard claims ---------------------------------------------------------------------------


def test_profile_scope_releases_the_profile_claims_reverify_holds(server, browser, profiled_user):
    rp = RelyingParty(server, server.create_client(), scope="openid profile")
    tokens, claims = sign_in(rp, browser, profiled_user)
    assert (claims["name"], claims["given_name"], claims["family_name"], claims["preferred_username"]) == \
        ("Ada Lovelace", "Ada", "Lovelace", "ada")
    assert isinstance(claims["updated_at"], int)
    assert "email" not in claims
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["given_name"] == "Ada" and "email" not in info


def test_claims_parameter_asks_for_individual_claims_per_target(server, browser, profiled_user):
    rp = RelyingParty(server, server.create_client(), scope="openid")
    asked = {"id_token": {"email": {"essential": True}, "given_name": None, "phone_number": None},
             "userinfo": {"family_name": None, "address": {"essential": True}}}
    tokens, claims = sign_in(rp, browser, profiled_user, claims=json.dumps(asked))
    assert claims["email"] == profiled_user.email and claims["given_name"] == "Ada"
    assert "family_name" not in claims, "asked for userinfo only"
    assert "phone_number" not in claims, "claims Reverify does not hold are omitted, never invented"
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["family_name"] == "Lovelace"
    assert "address" not in info and "email" not in info


@pytest.mark.parametrize("bad", ["[1, 2]", "not json", '"acr"'])
def test_malformed_claims_is_invalid_request(server, rp, browser, bad):
    result = browser.open(rp.authorization_request(claims=bad).url)
    assert isinstance(result, Redirect) and result.params["error"] == "invalid_request", result


def test_discovery_lists_exactly_what_is_supported(server):
    d = server.discovery
    assert d["scopes_supported"] == ["openid", "profile", "email", "offline_access"]
    assert {"given_name", "family_name", "preferred_username", "updated_at"} <= set(d["claims_supported"])
    assert not {"address", "phone_number"} & set(d["claims_supported"])
    assert d["claims_parameter_supported"] is True
    assert d["request_parameter_supported"] is True
    assert set(d["request_object_signing_alg_values_supported"]) == {"ES256", "EdDSA", "RS256"}
    assert d["pushed_authorization_request_endpoint"] == server.issuer + "/oauth2/par"
    assert d["require_pushed_authorization_requests"] is False
    # client_secret_jwt is declined (secrets are stored hashed, see README), and discovery says so.
    assert "client_secret_jwt" not in d["token_endpoint_auth_methods_supported"]


# -- 3: userinfo with the token in the body ----------------------------------------------------------


def test_userinfo_accepts_the_token_in_a_form_body(server, rp, browser, user):
    tokens, claims = sign_in(rp, browser, user)
    r = requests.post(server.endpoint("userinfo"), data={"access_token": tokens["access_token"]})
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == claims["sub"]


def test_userinfo_with_the_token_in_header_and_body_is_invalid_request(server, rp, browser, user):
    tokens, _ = sign_in(rp, browser, user)
    r = requests.post(server.endpoint("userinfo"), data={"access_token": tokens["access_token"]},
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text


def test_client_secret_jwt_is_refused_as_invalid_client(server, rp):
    from joserfc.jwk import OctKey
    claims = {"iss": rp.client.client_id, "sub": rp.client.client_id, "aud": server.endpoint("token"),
              "exp": int(time.time()) + 60, "jti": secrets.token_hex(8)}
    assertion = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(rp.client.client_secret.encode()))
    r = requests.post(server.endpoint("token"), data={
        "grant_type": "refresh_token", "refresh_token": "x", "client_id": rp.client.client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text


# -- 5: request objects ------------------------------------------------------------------------------


@pytest.fixture
def signer(tmp_path):
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-1"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(KeySet([key]).as_dict(private=False)))
    return key, path


def keyed_client(server, jwks_path, *extra):
    args = ["clients", "create", "--name", "signed-rp", "--redirect-uri", "http://127.0.0.1:9/cb/signed",
            "--jwks-file", str(jwks_path), *extra]
    view = server.cli_json(*args)
    assert view["has_jwks"] is True
    from reverify_e2e import Client
    return Client(client_id=view["client_id"], client_secret=view["client_secret"],
                  redirect_uri="http://127.0.0.1:9/cb/signed", post_logout_redirect_uri=None,
                  auth_method="client_secret_basic", name="signed-rp")


def request_object(server, client, key, params: dict, *, alg="ES256", **overrides) -> str:
    now = int(time.time())
    claims = {"iss": client.client_id, "aud": server.issuer, "exp": now + 120, "iat": now,
              "jti": secrets.token_hex(8), "client_id": client.client_id, **params}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def url_params(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_a_signed_request_object_is_honoured_and_its_parameters_win(server, browser, user, signer):
    key, path = signer
    client = keyed_client(server, path)
    rp = RelyingParty(server, client, scope="openid")
    sign_in(rp, browser, user)
    request = rp.authorization_request()
    inner = {**url_params(request.url), "max_age": 0}
    url = authorize_url(server, client_id=client.client_id, redirect_uri=client.redirect_uri, response_type="code",
                        scope="openid", max_age=86_400, request=request_object(server, client, key, inner))
    page = browser.open(url)
    assert isinstance(page, HostedPage) and page.is_reauth, "the object's max_age=0 must win over the URL's"
    redirect = browser.submit_password(page, user.password)
    tokens = rp.exchange(request, redirect)
    assert rp.validate_tokens(tokens, nonce=request.nonce)["sub"] == user.id


def _refused(server, browser, client, obj, error="invalid_request_object"):
    url = authorize_url(server, client_id=client.client_id, redirect_uri=client.redirect_uri, response_type="code",
                        scope="openid", state="s1", request=obj)
    result = browser.open(url)
    assert isinstance(result, Redirect), result
    assert result.params["error"] == error, result.params
    assert result.params["state"] == "s1"


def test_request_objects_that_fail_a_check_are_refused(server, browser, signer):
    key, path = signer
    client = keyed_client(server, path)
    base = {"response_type": "code", "scope": "openid", "redirect_uri": client.redirect_uri}
    other = ECKey.generate_key("P-256", parameters={"kid": "rp-1"})
    now = int(time.time())
    cases = {
        "wrong aud": request_object(server, client, key, base, aud="https://elsewhere.example"),
        "expired": request_object(server, client, key, base, exp=now - 5),
        "exp too far": request_object(server, client, key, base, exp=now + 3600),
        "no jti": request_object(server, client, key, base, jti=None),
        "bad signature": request_object(server, client, other, base),
        "wrong iss": request_object(server, client, key, base, iss="cli_someone_else"),
    }
    for obj in cases.values():
        _refused(server, browser, client, obj)
    header = {"alg": "none", "typ": "JWT"}
    payload = {"iss": client.client_id, "aud": server.issuer, "exp": now + 60, "jti": "x", **base}
    enc = lambda o: __import__("base64").urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
    _refused(server, browser, client, f"{enc(header)}.{enc(payload)}.")


def test_a_replayed_request_object_is_refused(server, browser, user, signer):
    key, path = signer
    client = keyed_client(server, path)
    obj = request_object(server, client, key, {"response_type": "code", "scope": "openid",
                                              "redirect_uri": client.redirect_uri, "state": "s1"})
    first = browser.open(authorize_url(server, client_id=client.client_id, request=obj))
    assert isinstance(first, HostedPage)
    _refused(server, browser, client, obj)


def test_a_client_that_must_sign_gets_nothing_from_the_url(server, browser, signer):
    key, path = signer
    client = keyed_client(server, path, "--require-signed-request-object")
    plain = authorize_url(server, client_id=client.client_id, redirect_uri=client.redirect_uri, response_type="code",
                          scope="openid", state="s1")
    result = browser.open(plain)
    assert isinstance(result, Redirect) and result.params["error"] == "invalid_request", result
    # With the object, URL parameters are ignored: a URL-only prompt=none cannot change the flow.
    obj = request_object(server, client, key, {"response_type": "code", "scope": "openid",
                                              "redirect_uri": client.redirect_uri, "state": "s2"})
    page = browser.open(authorize_url(server, client_id=client.client_id, prompt="none", request=obj))
    assert isinstance(page, HostedPage) and page.is_sign_in


def test_a_request_object_with_an_untrusted_redirect_is_shown_on_a_page(server, browser, signer):
    key, path = signer
    client = keyed_client(server, path)
    obj = request_object(server, client, key, {"response_type": "code"}, aud="https://elsewhere.example")
    result = browser.open(authorize_url(server, client_id=client.client_id, request=obj))
    assert isinstance(result, HostedPage) and result.status == 400, result


def test_jwks_file_with_private_keys_is_refused_by_the_cli(server, tmp_path):
    key = ECKey.generate_key("P-256")
    path = tmp_path / "private.json"
    path.write_text(json.dumps(KeySet([key]).as_dict(private=True)))
    result = server.cli("clients", "create", "--name", "x", "--redirect-uri", "http://127.0.0.1:9/cb",
                        "--jwks-file", str(path), check=False)
    assert result.returncode != 0 and "private key" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- 6: pushed authorization requests ----------------------------------------------------------------


def push(rp: RelyingParty, request) -> requests.Response:
    params = url_params(request.url)
    return rp.client_post(rp.server.endpoint("pushed_authorization_request"), params)


def test_a_pushed_request_is_used_once_by_its_request_uri(server, browser, user):
    client = server.create_client()
    rp = RelyingParty(server, client, scope="openid")
    request = rp.authorization_request(max_age=300)
    pushed = push(rp, request)
    assert pushed.status_code == 201, pushed.text
    body = pushed.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:") and body["expires_in"] == 60
    url = authorize_url(server, client_id=client.client_id, request_uri=body["request_uri"])
    redirect = browser.sign_in(url, user)
    tokens = rp.exchange(request, redirect)
    assert rp.validate_tokens(tokens, nonce=request.nonce)["sub"] == user.id

    again = browser.open(url)
    assert isinstance(again, HostedPage) and again.status == 400, "a request_uri works once"


def test_pushing_needs_client_authentication_and_valid_parameters(server):
    client = server.create_client()
    rp = RelyingParty(server, client, scope="openid")
    params = url_params(rp.authorization_request().url)
    r = requests.post(server.endpoint("pushed_authorization_request"), data=params)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    bad = rp.client_post(server.endpoint("pushed_authorization_request"), {**params, "max_age": "-1"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    foreign = rp.client_post(server.endpoint("pushed_authorization_request"), {**params, "redirect_uri": "http://127.0.0.1:9/x"})
    assert foreign.status_code == 400 and foreign.json()["error"] == "invalid_request"


def test_an_unknown_request_uri_is_refused(server, browser):
    client = server.create_client()
    url = authorize_url(server, client_id=client.client_id, redirect_uri=client.redirect_uri,
                        request_uri="urn:ietf:params:oauth:request_uri:nope", state="s1")
    result = browser.open(url)
    assert isinstance(result, Redirect) and result.params["error"] == "invalid_request_uri", result


def test_a_client_that_must_push_is_refused_any_other_way(server, browser, tmp_path):
    view = server.cli_json("clients", "create", "--name", "par-only", "--redirect-uri", "http://127.0.0.1:9/cb/par",
                           "--require-par")
    assert view["require_par"] is True
    url = authorize_url(server, client_id=view["client_id"], redirect_uri="http://127.0.0.1:9/cb/par",
                        response_type="code", scope="openid", state="s1")
    result = browser.open(url)
    assert isinstance(result, Redirect) and result.params["error"] == "invalid_request", result


def test_request_objects_verify_with_keys_published_at_the_clients_jwks_uri(server, browser, user):
    from reverify_e2e import Client, JWKSServer

    key = ECKey.generate_key("P-256", parameters={"kid": "rp-published"})
    with JWKSServer(KeySet([key]).as_dict(private=False)) as published:
        view = server.cli_json("clients", "create", "--name", "uri-rp", "--redirect-uri", "http://127.0.0.1:9/cb/uri",
                               "--jwks-uri", published.uri, "--require-signed-request-object")
        client = Client(client_id=view["client_id"], client_secret=view["client_secret"], redirect_uri="http://127.0.0.1:9/cb/uri",
                        post_logout_redirect_uri=None, auth_method="client_secret_basic", name="uri-rp")
        rp = RelyingParty(server, client, scope="openid")
        request = rp.authorization_request()
        obj = request_object(server, client, key, url_params(request.url))
        redirect = browser.sign_in(authorize_url(server, client_id=client.client_id, request=obj), user)
        tokens = rp.exchange(request, redirect)
        assert rp.validate_tokens(tokens, nonce=request.nonce)["sub"] == user.id

        stranger = ECKey.generate_key("P-256", parameters={"kid": "not-published"})
        forged = request_object(server, client, stranger, url_params(rp.authorization_request().url))
        result = browser.open(authorize_url(server, client_id=client.client_id, redirect_uri=client.redirect_uri,
                                            state="s1", request=forged))
        assert isinstance(result, Redirect) and result.params["error"] == "invalid_request_object", result


@pytest.mark.parametrize("path", ["/oauth2/token", "/oauth2/bc-authorize"])
@pytest.mark.parametrize("body, headers, problem", [
    ("grant_type=refresh_token&grant_type=refresh_token", {"Content-Type": "application/x-www-form-urlencoded"}, "is repeated"),
    ("grant_type=%zz", {"Content-Type": "application/x-www-form-urlencoded"}, "badly encoded"),
    ('{"grant_type": "refresh_token"}', {"Content-Type": "application/json"}, "application/x-www-form-urlencoded"),
])
def test_back_channel_posts_refuse_repeated_malformed_and_non_form_bodies(server, path, body, headers, problem):
    # RFC 6749 3.2 (token endpoint) and CIBA Core 7.1 (bc-authorize): one form-encoded parameter of each name.
    response = requests.post(server.base_url + path, data=body, headers=headers, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert problem in response.json()["error_description"]
