"""Workload clients and private_key_jwt (issue 12 item 1, RFC 7523 2.2, OIDC Core 9): a Python agent signs
client assertions with joserfc, a web client uses authlib's PrivateKeyJWT for the code flow, and every
refusal is `invalid_client` with its precise reason in the audit log. Keys published at a jwks_uri are
served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey

from reverify_e2e import USER_AGENT, Client, RelyingParty, free_port

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# -- helpers -------------------------------------------------------------------------------------------


def ec_key(kid: str = "agent-1") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


def jwks_file(tmp_path, *keys) -> str:
    path = tmp_path / f"jwks-{secrets.token_hex(4)}.json"
    path.write_text(json.dumps(KeySet(list(keys)).as_dict(private=False)))
    return str(path)


def create_workload(server, *args: str) -> dict:
    view = server.cli_json("clients", "create", "--name", "agent", "--kind", "workload", *args)
    assert view["kind"] == "workload" and view["token_endpoint_auth_method"] == "private_key_jwt", view
    assert not view.get("client_secret"), "a private_key_jwt client must not be given a secret"
    return view


def assertion(server, client_id: str, key, *, alg: str = "ES256", header: dict | None = None, **overrides) -> str:
    """A client assertion as RFC 7523 3 describes it; an override of None leaves the claim out."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": server.endpoint("token"), "iat": now, "exp": now + 120,
              "jti": secrets.token_hex(12)}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": key.kid, **(header or {})}, claims, key, algorithms=[alg])


def revoke_with(server, client_assertion: str, **extra) -> requests.Response:
    """RFC 7009 answers 200 to any authenticated client, so the revocation endpoint shows whether the
    assertion authenticated the client without needing a grant."""
    data = {"token": "not-a-token", "client_assertion_type": ASSERTION_TYPE, "client_assertion": client_assertion,
            **extra}
    return requests.post(server.endpoint("revocation"), data=data, headers={"User-Agent": USER_AGENT}, timeout=30)


def assert_refused(response: requests.Response, server, client_id: str | None, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client", response.text
    rows = [r for r in server.audit() if r["event"] == "client.authentication" and r["reason"] == reason]
    assert rows, f"no audit row with reason {reason}"
    assert rows[0]["outcome"] == "failure" and rows[0].get("client_id") == client_id, rows[0]
    assert rows[0]["user_agent"] == USER_AGENT and rows[0]["detail"]["endpoint"] == "/oauth2/revoke", rows[0]


@pytest.fixture
def agent(server, tmp_path):
    key = ec_key()
    view = create_workload(server, "--jwks-file", jwks_file(tmp_path, key))
    return view["client_id"], key


# -- success ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg,make_key", [
    ("ES256", lambda: ECKey.generate_key("P-256", parameters={"kid": "es"})),
    ("EdDSA", lambda: OKPKey.generate_key("Ed25519", parameters={"kid": "ed"})),
    ("RS256", lambda: RSAKey.generate_key(2048, parameters={"kid": "rs"})),
])
def test_a_workload_authenticates_with_an_assertion_in_each_allowed_algorithm(server, tmp_path, alg, make_key):
    key = make_key()
    client_id = create_workload(server, "--jwks-file", jwks_file(tmp_path, key))["client_id"]
    r = revoke_with(server, assertion(server, client_id, key, alg=alg))
    assert r.status_code == 200, r.text


def test_the_issuer_is_accepted_as_audience_and_client_id_may_accompany_the_assertion(server, agent):
    client_id, key = agent
    r = revoke_with(server, assertion(server, client_id, key, aud=server.issuer), client_id=client_id)
    assert r.status_code == 200, r.text


def test_discovery_offers_private_key_jwt_with_asymmetric_algorithms_only(server):
    d = requests.get(server.base_url + "/.well-known/openid-configuration", timeout=10).json()
    assert "private_key_jwt" in d["token_endpoint_auth_methods_supported"]
    assert sorted(d["token_endpoint_auth_signing_alg_values_supported"]) == ["ES256", "EdDSA", "RS256"]
    assert "private_key_jwt" in d["introspection_endpoint_auth_methods_supported"]
    assert "private_key_jwt" in d["revocation_endpoint_auth_methods_supported"]


def test_a_web_client_redeems_its_code_with_authlibs_private_key_jwt(server, browser, user, tmp_path):
    from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign

    class ShortLived(PrivateKeyJWT):
        # authlib's default assertion lives an hour; Reverify accepts at most five minutes.
        def sign(self, auth, token_endpoint):
            return private_key_jwt_sign(auth.client_secret, client_id=auth.client_id, token_endpoint=token_endpoint,
                                        alg="ES256", expires_in=120)

    key = ec_key("web-1")
    redirect_uri = "http://127.0.0.1:9/cb/pkjwt"
    view = server.cli_json("clients", "create", "--name", "pkjwt-web", "--redirect-uri", redirect_uri,
                           "--auth-method", "private_key_jwt", "--jwks-file", jwks_file(tmp_path, key))
    assert view["kind"] == "web" and not view.get("client_secret"), view
    client = Client(client_id=view["client_id"], client_secret=None, redirect_uri=redirect_uri,
                    post_logout_redirect_uri=None, auth_method="private_key_jwt", name="pkjwt-web")
    rp = RelyingParty(server, client, scope="openid email")
    rp.oauth.client_secret = key
    rp.oauth.register_client_auth_method(ShortLived(server.endpoint("token")))
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    assert tokens["access_token"] and tokens["id_token"], tokens


# -- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides,reason", [
    (lambda now: {"exp": now - 10}, "assertion_expired"),
    (lambda now: {"exp": now + 3600}, "assertion_exp_too_far"),
    (lambda now: {"exp": None}, "assertion_exp_missing"),
    (lambda now: {"iat": None}, "assertion_iat_missing"),
    (lambda now: {"iat": now + 600}, "assertion_iat_in_future"),
    (lambda now: {"aud": "https://elsewhere.example/token"}, "assertion_wrong_aud"),
    (lambda now: {"sub": "cli_someone_else"}, "assertion_sub_mismatch"),
    (lambda now: {"jti": None}, "assertion_jti_missing"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_an_assertion_with_a_bad_claim_is_refused_with_its_reason(server, agent, overrides, reason):
    client_id, key = agent
    r = revoke_with(server, assertion(server, client_id, key, **overrides(int(time.time()))))
    assert_refused(r, server, client_id, reason)


def test_an_assertion_whose_iss_names_another_client_is_refused(server, agent, tmp_path):
    client_id, key = agent
    other = create_workload(server, "--jwks-file", jwks_file(tmp_path, ec_key("other")))["client_id"]
    # Signed with the agent's key but claiming to be the other client: its keys do not verify it.
    r = revoke_with(server, assertion(server, client_id, key, iss=other, sub=other))
    assert_refused(r, server, other, "assertion_bad_signature")
    # Claiming the other client only in sub is named as such.
    r = revoke_with(server, assertion(server, client_id, key, sub=other))
    assert_refused(r, server, client_id, "assertion_sub_mismatch")
    # A client_id parameter that disagrees with iss.
    r = revoke_with(server, assertion(server, client_id, key), client_id=other)
    assert_refused(r, server, None, "assertion_client_id_mismatch")


def test_a_replayed_jti_is_refused(server, agent):
    client_id, key = agent
    signed = assertion(server, client_id, key)
    assert revoke_with(server, signed).status_code == 200
    assert_refused(revoke_with(server, signed), server, client_id, "assertion_jti_replayed")


def test_unsigned_and_mac_assertions_are_refused(server, agent):
    client_id, key = agent
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": server.endpoint("token"), "iat": now, "exp": now + 60,
              "jti": secrets.token_hex(8)}
    unsigned = jwt.encode({"alg": "none"}, claims, None, algorithms=["none"])
    assert_refused(revoke_with(server, unsigned), server, client_id, "assertion_alg_not_allowed")
    claims["jti"] = secrets.token_hex(8)
    mac = jwt.encode({"alg": "HS256"}, claims, OctKey.generate_key(256), algorithms=["HS256"])
    assert_refused(revoke_with(server, mac), server, client_id, "assertion_alg_not_allowed")


def test_an_assertion_signed_by_an_unregistered_key_is_refused(server, agent):
    client_id, _ = agent
    stranger = ec_key("agent-1")  # same kid, different key
    assert_refused(revoke_with(server, assertion(server, client_id, stranger)), server, client_id,
                   "assertion_bad_signature")
    unknown_kid = ec_key("agent-2")
    assert_refused(revoke_with(server, assertion(server, client_id, unknown_kid)), server, client_id,
                   "assertion_bad_signature")


def test_an_unknown_client_and_garbage_are_refused(server, agent):
    client_id, key = agent
    assert_refused(revoke_with(server, assertion(server, "cli_nobody", key, sub="cli_nobody")), server, None,
                   "assertion_unknown_client")
    assert_refused(revoke_with(server, "not.a.jwt"), server, None, "assertion_malformed")


def test_the_registered_method_is_enforced_both_ways(server, agent, tmp_path):
    client_id, key = agent
    # A secret client cannot switch to an assertion, even one signed by keys it registered.
    view = server.cli_json("clients", "create", "--name", "secret-rp", "--redirect-uri", "http://127.0.0.1:9/cb/s",
                           "--jwks-file", jwks_file(tmp_path, key))
    r = revoke_with(server, assertion(server, view["client_id"], key))
    assert_refused(r, server, view["client_id"], "assertion_method_not_registered")
    # A private_key_jwt client has no secret to present.
    r = requests.post(server.endpoint("revocation"), data={"token": "x"}, auth=(client_id, "guess"), timeout=30)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text


def test_two_authentication_methods_or_a_wrong_assertion_type_are_refused(server, agent):
    client_id, key = agent
    r = requests.post(server.endpoint("revocation"), auth=(client_id, "x"), timeout=30, data={
        "token": "x", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion(server, client_id, key)})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text
    r = requests.post(server.endpoint("revocation"), timeout=30, headers={"User-Agent": USER_AGENT}, data={
        "token": "x", "client_assertion_type": "urn:example:saml", "client_assertion": assertion(server, client_id, key)})
    assert_refused(r, server, None, "assertion_type_unsupported")


def test_a_workload_cannot_use_the_authorization_endpoint(server, browser, agent):
    client_id, _ = agent
    r = requests.get(server.endpoint("authorization"), allow_redirects=False, timeout=10, params={
        "client_id": client_id, "redirect_uri": "http://127.0.0.1:9/cb", "response_type": "code", "scope": "openid"})
    assert r.status_code == 400 and "workload" in r.text, r.text


def test_the_cli_refuses_inconsistent_workload_registrations(server, tmp_path):
    jwks = jwks_file(tmp_path, ec_key())
    cases = [
        (["--kind", "workload", "--jwks-file", jwks, "--redirect-uri", "http://127.0.0.1:9/cb"], "redirect-uri"),
        (["--kind", "workload", "--jwks-file", jwks, "--auth-method", "client_secret_basic"], "private_key_jwt"),
        (["--kind", "workload"], "--jwks-file or --jwks-uri"),
        (["--redirect-uri", "http://127.0.0.1:9/cb", "--auth-method", "private_key_jwt"], "--jwks-file or --jwks-uri"),
        (["--kind", "workload", "--jwks-uri", "http://keys.example/jwks"], "loopback"),
        (["--kind", "robot", "--jwks-file", jwks], "--kind"),
    ]
    for args, message in cases:
        r = server.cli("clients", "create", "--name", "bad", *args, check=False)
        assert r.returncode != 0 and message in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# -- jwks_uri ---------------------------------------------------------------------------------------------


class KeyServer:
    """Publishes a JWK Set on 127.0.0.1 and counts how often it is fetched."""

    def __init__(self, keys, cache_control: str = "max-age=300"):
        self.body = json.dumps(KeySet(list(keys)).as_dict(private=False)).encode()
        self.cache_control = cache_control
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", outer.cache_control)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def key_server():
    servers = []

    def start(keys, **kwargs):
        s = KeyServer(keys, **kwargs)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def test_keys_published_at_a_jwks_uri_are_fetched_once_and_cached(server, key_server):
    key = ec_key("published")
    published = key_server([key])
    client_id = create_workload(server, "--jwks-uri", published.url)["client_id"]
    for _ in range(2):
        assert revoke_with(server, assertion(server, client_id, key)).status_code == 200
    assert published.fetches == 1


def test_a_jwks_uri_that_cannot_be_fetched_refuses_the_client(server, key_server):
    gone = key_server([ec_key("gone")])
    client_id = create_workload(server, "--jwks-uri", gone.url)["client_id"]
    gone.stop()
    r = revoke_with(server, assertion(server, client_id, ec_key("gone")))
    assert_refused(r, server, client_id, "assertion_keys_unavailable")


def test_a_rotated_key_at_the_jwks_uri_is_picked_up_but_unknown_kids_refetch_at_most_every_ten_seconds(
        server, key_server):
    old, new = ec_key("old"), ec_key("new")
    published = key_server([old])
    client_id = create_workload(server, "--jwks-uri", published.url)["client_id"]
    assert revoke_with(server, assertion(server, client_id, old)).status_code == 200
    published.body = json.dumps(KeySet([old, new]).as_dict(private=False)).encode()
    # Within 10 s of the fetch an unknown kid does not refetch: the cached keys answer.
    assert_refused(revoke_with(server, assertion(server, client_id, new)), server, client_id, "assertion_bad_signature")
    assert published.fetches == 1
    time.sleep(10.5)
    assert revoke_with(server, assertion(server, client_id, new)).status_code == 200
    assert published.fetches == 2
