"""Shared Signals (issue 11, item 3): a Python transmitter signs Security Event Tokens with joserfc and
pushes them (RFC 8935) to a live Reverify; CAEP events end or flag sessions, and bad SETs change nothing."""

from __future__ import annotations

import json
import secrets
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from reverify_e2e import Browser, HostedPage, Redirect, RelyingParty

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"


class Transmitter:
    def __init__(self, server, tmp_path, issuer=None):
        self.server = server
        self.issuer = issuer or f"https://transmitter-{secrets.token_hex(4)}.example"
        self.key = ECKey.generate_key("P-256", parameters={"kid": "t1"})
        path = tmp_path / f"{secrets.token_hex(4)}.json"
        path.write_text(json.dumps(KeySet([self.key]).as_dict(private=False)))
        server.cli("signals", "add", "--issuer", self.issuer, "--jwks-file", str(path))

    def set_token(self, event: str, subject: dict, key=None, **extra) -> str:
        body = {"subject": subject, "event_timestamp": int(time.time()), **extra.pop("body", {})}
        claims = {"iss": self.issuer, "aud": self.server.issuer, "iat": int(time.time()), "jti": secrets.token_hex(8),
                  "events": {CAEP + event: body}, **extra}
        return jwt.encode({"alg": "ES256", "kid": "t1", "typ": "secevent+jwt"}, claims, key or self.key)

    def push(self, token: str) -> requests.Response:
        return requests.post(self.server.issuer + "/ssf/events", data=token,
                             headers={"Content-Type": "application/secevent+jwt", "Accept": "application/json"})


@pytest.fixture
def transmitter(server, tmp_path):
    return Transmitter(server, tmp_path)


def signed_in(server, user):
    rp = RelyingParty(server, server.create_client(), scope="openid")
    browser = Browser(server)
    request = rp.authorization_request()
    rp.exchange(request, browser.sign_in(request.url, user))
    return rp, browser


def test_session_revoked_by_email_ends_the_users_sessions(server, transmitter, user):
    rp, browser = signed_in(server, user)
    response = transmitter.push(transmitter.set_token("session-revoked", {"format": "email", "email": user.email}))
    assert response.status_code == 202, response.text
    assert not any(s["active"] for s in server.sessions(user.email))
    result = browser.open(rp.authorization_request(prompt="none").url)
    assert isinstance(result, Redirect) and result.params["error"] == "login_required"
    received = [r for r in server.audit(user.email) if r["event"] == "signals.received"]
    assert received and received[0]["outcome"] == "success"


def test_credential_change_makes_the_next_use_reverify(server, transmitter, user):
    rp, browser = signed_in(server, user)
    assert transmitter.push(transmitter.set_token(
        "credential-change", {"format": "iss_sub", "iss": server.issuer, "sub": user.id},
        body={"credential_type": "password", "change_type": "update"})).status_code == 202
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, HostedPage) and page.is_reauth, page


def test_a_non_compliant_device_needs_mfa_until_compliant_again(server, transmitter, user):
    rp, browser = signed_in(server, user)
    session_id = server.sessions(user.email)[0]["id"]
    subject = {"format": "opaque", "id": session_id}
    assert transmitter.push(transmitter.set_token(
        "device-compliance-change", subject, body={"current_status": "not-compliant", "previous_status": "compliant"})).status_code == 202
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, HostedPage) and page.has("step-up-reason"), page
    assert transmitter.push(transmitter.set_token(
        "device-compliance-change", subject, body={"current_status": "compliant", "previous_status": "not-compliant"})).status_code == 202
    result = browser.open(rp.authorization_request().url)
    assert isinstance(result, Redirect) and "code" in result.params


def test_bad_sets_are_refused_with_their_rfc8935_code_and_change_nothing(server, transmitter, user, tmp_path):
    rp, browser = signed_in(server, user)
    subject = {"format": "email", "email": user.email}
    other_key = ECKey.generate_key("P-256", parameters={"kid": "t1"})
    stranger = Transmitter.__new__(Transmitter)
    stranger.server, stranger.issuer, stranger.key = server, "https://unregistered.example", other_key
    replayed = transmitter.set_token("credential-change", {"format": "email", "email": "nobody@example.com"})
    assert transmitter.push(replayed).status_code == 202
    cases = [
        (transmitter.set_token("session-revoked", subject, key=other_key), "invalid_key"),
        (transmitter.set_token("session-revoked", subject, aud="https://someone-else.example"), "invalid_audience"),
        (stranger.set_token("session-revoked", subject), "invalid_issuer"),
        (transmitter.set_token("session-established", subject), "invalid_request"),
        (replayed, "invalid_request"),
        ("not a jwt", "invalid_request"),
    ]
    for token, err in cases:
        response = transmitter.push(token)
        assert response.status_code == 400, response.text
        assert response.json()["err"] == err, (err, response.text)
    assert all(s["active"] for s in server.sessions(user.email)), "a refused SET changes nothing"
    refused = [r for r in server.audit() if r["event"] == "signals.received" and r["outcome"] == "failure"]
    assert len(refused) >= len(cases)
    result = browser.open(rp.authorization_request().url)
    assert isinstance(result, Redirect) and "code" in result.params


def test_transmitters_are_managed_from_the_cli(server, tmp_path):
    t = Transmitter(server, tmp_path)
    listed = server.cli_json("signals", "list")
    assert any(v["issuer"] == t.issuer and v["has_jwks"] for v in listed)
    duplicate = server.cli("signals", "add", "--issuer", t.issuer, "--jwks-uri", "https://x.example/jwks", check=False)
    assert duplicate.returncode != 0 and "already registered" in duplicate.stderr
    both = server.cli("signals", "add", "--issuer", "https://y.example", check=False)
    assert both.returncode != 0 and "exactly one" in both.stderr
    server.cli("signals", "remove", t.issuer)
    assert not any(v["issuer"] == t.issuer for v in server.cli_json("signals", "list"))


def test_a_transmitter_registered_by_jwks_uri_is_verified_with_its_published_keys(server, user, tmp_path):
    from reverify_e2e import JWKSServer

    key = ECKey.generate_key("P-256", parameters={"kid": "published"})
    with JWKSServer(KeySet([key]).as_dict(private=False)) as published:
        issuer = published.origin
        server.cli("signals", "add", "--issuer", issuer, "--jwks-uri", published.uri)
        t = Transmitter.__new__(Transmitter)
        t.server, t.issuer, t.key = server, issuer, key
        rp, browser = signed_in(server, user)
        token = jwt.encode({"alg": "ES256", "kid": "published"},
                           {"iss": issuer, "aud": server.issuer, "iat": int(time.time()), "jti": secrets.token_hex(8),
                            "events": {CAEP + "session-revoked": {"subject": {"format": "email", "email": user.email}}}}, key)
        assert t.push(token).status_code == 202
        assert not any(s["active"] for s in server.sessions(user.email))
        forged = t.set_token("session-revoked", {"format": "email", "email": user.email},
                             key=ECKey.generate_key("P-256", parameters={"kid": "published"}))
        refused = t.push(forged)
        assert refused.status_code == 400 and refused.json()["err"] == "invalid_key"
