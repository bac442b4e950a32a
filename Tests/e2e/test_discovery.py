"""Discovery, JWKS and key rotation, checked with authlib/joserfc rather than by trusting the server."""

from __future__ import annotations

import time

import requests
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc.jwk import ECKey, KeySet

from reverify_e2e import RelyingParty, header_of


def test_healthz_reports_ok(server):
    r = requests.get(server.base_url + "/healthz", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_discovery_document_is_valid_openid_provider_metadata(server):
    r = requests.get(server.base_url + "/.well-known/openid-configuration", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    document = r.json()

    # authlib's validators check every required field and its shape (OIDC Discovery 1.0 section 3,
    # RFC 8414), including "RS256 MUST be included in id_token_signing_alg_values_supported".
    OpenIDProviderMetadata(document).validate()
    assert document["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]

    assert document["issuer"] == server.base_url == server.issuer
    for name, path in [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userinfo"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("introspection_endpoint", "/oauth2/introspect"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("end_session_endpoint", "/oauth2/logout"),
    ]:
        assert document[name] == server.base_url + path, name
    assert {"auth_time", "amr", "acr", "sid"} <= set(document["claims_supported"])
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert "ES256" in document["id_token_signing_alg_values_supported"]
    assert "openid" in document["scopes_supported"]
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(
        document["token_endpoint_auth_methods_supported"])
    assert document.get("authorization_response_iss_parameter_supported") is True


def test_jwks_holds_an_es256_and_an_rs256_key_with_kids(server):
    r = requests.get(server.discovery["jwks_uri"], timeout=10)
    assert r.status_code == 200
    data = r.json()
    assert data["keys"], "JWKS is empty"
    key_set = KeySet.import_key_set(data)
    assert len(key_set.keys) == len(data["keys"])
    kids = set()
    assert {key.key_type for key in key_set.keys} == {"EC", "RSA"}
    for key in key_set.keys:
        if key.key_type == "EC":
            assert isinstance(key, ECKey)
            assert key.curve_name == "P-256"
        assert key.kid, "key without kid"
        assert not key.is_private, "JWKS leaks a private key"
        kids.add(key.kid)
    assert len(kids) == len(key_set.keys), "kids are not unique"
    for raw in data["keys"]:
        assert "d" not in raw
        assert raw["alg"] == {"EC": "ES256", "RSA": "RS256"}[raw["kty"]]
        assert raw.get("use", "sig") == "sig"


def _kids(server) -> set[str]:
    return {key.kid for key in server.jwks().keys}


def test_keys_rotate_publishes_new_kid_signs_with_it_and_old_tokens_still_verify(
        server, user, confidential_client, browser):
    rp = RelyingParty(server, confidential_client)

    # A token signed with the key that is active before the rotation.
    old_request = rp.authorization_request()
    old_tokens = rp.exchange(old_request, browser.sign_in(old_request.url, user))
    old_kid = header_of(old_tokens["id_token"])["kid"]
    assert old_kid in _kids(server)

    keys_before = {k["kid"] for k in server.cli_json("keys", "list")}
    rotated = server.cli_json("keys", "rotate")
    new_kid = rotated["kid"]
    assert new_kid and new_kid not in keys_before
    listed = {k["kid"]: k for k in server.cli_json("keys", "list")}
    assert set(listed) == keys_before | {new_kid}
    assert listed[new_kid]["status"] == "active"

    # The server caches its key ring for 10 s; within ~12 s the JWKS lists both keys.
    deadline = time.monotonic() + 15
    kids = _kids(server)
    while new_kid not in kids and time.monotonic() < deadline:
        time.sleep(0.5)
        kids = _kids(server)
    assert new_kid in kids, f"new kid {new_kid} not published after rotation: {kids}"
    assert old_kid in kids, "the previous key must stay published so its tokens still verify"

    # Tokens issued now carry the new kid (a refresh and a brand-new code alike) and verify.
    refreshed = rp.refresh(old_tokens["refresh_token"])
    assert header_of(refreshed["id_token"])["kid"] == new_kid
    assert header_of(refreshed["access_token"])["kid"] == new_kid
    rp.validate_tokens(refreshed, nonce=None)

    request = rp.authorization_request()
    redirect = browser.open(request.url)
    new_tokens = rp.exchange(request, redirect)
    assert header_of(new_tokens["id_token"])["kid"] == new_kid
    rp.validate_tokens(new_tokens, nonce=request.nonce)

    # The token signed before the rotation still verifies against the published JWKS.
    claims = rp.validate_id_token(old_tokens["id_token"], nonce=old_request.nonce)
    assert header_of(old_tokens["id_token"])["kid"] == old_kid
    assert claims["sub"] == user.id
    _, access = rp.validate_access_token(old_tokens["access_token"])
    assert access["sub"] == user.id
