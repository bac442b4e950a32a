"""Token exchange with re-attestation (issue 12 items 2 and 3, RFC 8693, RFC 9396, RFC 9470): a person signs
in through authlib (the relying party), and a Python agent — a workload client signing private_key_jwt
assertions with joserfc — exchanges the person's access token for a short-lived token bound to one action.
Every token is verified with joserfc against the published JWKS; a resource server introspects the result."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from reverify_e2e import USER_AGENT, RelyingParty

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
API = "https://api.example/billing"


class Agent:
    """A workload client: its key, its registration, and the assertions it signs."""

    def __init__(self, server, tmp_path, *args: str):
        self.server = server
        self.key = ECKey.generate_key("P-256", parameters={"kid": secrets.token_hex(4)})
        path = tmp_path / f"agent-{secrets.token_hex(4)}.json"
        path.write_text(json.dumps(KeySet([self.key]).as_dict(private=False)))
        view = server.cli_json("clients", "create", "--name", "agent", "--kind", "workload", "--jwks-file", str(path),
                               *args)
        self.client_id = view["client_id"]

    def assertion(self, age: int = 0, **claims) -> str:
        now = int(time.time())
        body = {"iss": self.client_id, "sub": self.client_id, "aud": self.server.endpoint("token"), "iat": now - age,
                "exp": now + 120, "jti": secrets.token_hex(12), **claims}
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, body, self.key)

    def exchange(self, token: str, /, *, action: str = "billing.change", age: int = 0, attest: dict | None = None,
                 **params) -> requests.Response:
        data = {"grant_type": EXCHANGE, "subject_token": token, "subject_token_type": ACCESS_TOKEN,
                "audience": API,
                "authorization_details": json.dumps([{"type": "reverify_action", "action": action,
                                                      "amount": "50.00", "currency": "EUR"}]),
                "client_assertion_type": ASSERTION_TYPE, "client_assertion": self.assertion(age, **(attest or {})),
                **params}
        data = {k: v for k, v in data.items() if v is not None}
        return requests.post(self.server.endpoint("token"), data=data, headers={"User-Agent": USER_AGENT}, timeout=30)


def signed_in(rp: RelyingParty, browser, user) -> dict:
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    rp.validate_tokens(tokens, request.nonce)
    return tokens


def claims_of(server, token: str) -> tuple[dict, dict]:
    decoded = jwt.decode(token, server.jwks())
    return decoded.header, decoded.claims


def access_token_rows(server) -> int:
    with sqlite3.connect(server.db, timeout=10) as db:
        return db.execute("SELECT COUNT(*) FROM access_tokens").fetchone()[0]


def last_exchange_audit(server, email: str | None = None) -> dict:
    rows = [r for r in server.audit(email) if r["event"] == "token.exchanged"]
    assert rows, "no token.exchanged audit row"
    return rows[0]


@pytest.fixture
def person(rp, browser, user):
    return signed_in(rp, browser, user)


# -- success ----------------------------------------------------------------------------------------------


def test_an_agent_exchanges_a_persons_token_for_a_short_lived_action_bound_token(server, user, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
    r = agent.exchange(person["access_token"], scope="email")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["issued_token_type"] == ACCESS_TOKEN and body["token_type"] == "Bearer", body
    assert "refresh_token" not in body and "id_token" not in body, body
    assert 0 < body["expires_in"] <= 300 and body["scope"] == "email", body

    header, exchanged = claims_of(server, body["access_token"])
    _, original = claims_of(server, person["access_token"])
    assert header["typ"] == "at+jwt"
    assert exchanged["sub"] == user.id and exchanged["aud"] == API and exchanged["client_id"] == agent.client_id
    assert exchanged["act"] == {"sub": agent.client_id}
    for claim in ("auth_time", "acr", "amr", "sid"):
        assert exchanged[claim] == original[claim], claim
    assert exchanged["authorization_details"] == [
        {"type": "reverify_action", "action": "billing.change", "amount": "50.00", "currency": "EUR"}]
    assert exchanged["exp"] - exchanged["iat"] <= 300

    # A resource server registered for the audience introspects it, actor and action included.
    view = server.cli_json("clients", "create", "--name", "billing-api", "--resource-server", "--audience", API)
    from reverify_e2e import Client
    api = RelyingParty(server, Client(client_id=view["client_id"], client_secret=view["client_secret"],
                                      redirect_uri="", post_logout_redirect_uri=None,
                                      auth_method="client_secret_basic", name="billing-api"))
    result = api.introspect(body["access_token"])
    assert result["active"] is True and result["act"] == {"sub": agent.client_id}, result
    assert result["authorization_details"][0]["action"] == "billing.change" and result["aud"] == API, result

    audit = last_exchange_audit(server, user.email)
    assert audit["outcome"] == "success" and audit["client_id"] == agent.client_id, audit
    assert audit["detail"]["trigger_action"] == "billing.change" and audit["detail"]["trigger_max_age"] == "300"
    assert int(audit["detail"]["auth_time_age"]) >= 0 and "attestation_age" in audit["detail"], audit


def test_an_exchanged_token_lives_as_long_as_its_actions_ttl(server, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300:ttl=60")
    body = agent.exchange(person["access_token"]).json()
    assert body["expires_in"] == 60, body
    _, exchanged = claims_of(server, body["access_token"])
    assert exchanged["exp"] - exchanged["iat"] == 60


def test_an_exchanged_token_is_not_accepted_by_userinfo(server, rp, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
    exchanged = agent.exchange(person["access_token"]).json()["access_token"]
    assert "openid" in claims_of(server, exchanged)[1]["scope"].split()
    assert rp.userinfo(person["access_token"]).status_code == 200
    r = rp.userinfo(exchanged)
    assert r.status_code == 401 and "invalid_token" in r.headers.get("WWW-Authenticate", ""), r.text


def test_a_second_delegation_nests_the_first_actor(server, person, tmp_path):
    first = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
    second = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
    once = first.exchange(person["access_token"])
    assert once.status_code == 200, once.text
    twice = second.exchange(once.json()["access_token"])
    assert twice.status_code == 200, twice.text
    _, claims = claims_of(server, twice.json()["access_token"])
    assert claims["act"] == {"sub": second.client_id, "act": {"sub": first.client_id}}


def test_revoking_the_persons_token_family_revokes_the_exchanged_token(server, rp, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
    exchanged = agent.exchange(person["access_token"]).json()["access_token"]
    assert rp.introspect(person["refresh_token"])["active"] is True
    rp.revoke(person["refresh_token"])
    r = agent.exchange(person["access_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    # The exchanged token rests on the person's grant, so it is no longer active either.
    r = requests.post(server.endpoint("introspection"), timeout=30, data={
        "token": exchanged, "client_assertion_type": ASSERTION_TYPE, "client_assertion": agent.assertion()})
    assert r.status_code == 200 and r.json() == {"active": False}, r.text


def test_a_backend_exchanges_with_the_agents_own_assertion_as_actor_token(server, person, tmp_path):
    view = server.cli_json("clients", "create", "--name", "agent-backend", "--redirect-uri",
                           "http://127.0.0.1:9/cb/backend", "--audience", API, "--action", "billing.change=300:attest")
    agent = Agent(server, tmp_path, "--attest", "sw_version=1.4.2")
    base = {"grant_type": EXCHANGE, "subject_token": person["access_token"], "subject_token_type": ACCESS_TOKEN,
            "audience": API, "actor_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "authorization_details": json.dumps([{"type": "reverify_action", "action": "billing.change"}])}
    auth = (view["client_id"], view["client_secret"])

    def post(**extra):
        return requests.post(server.endpoint("token"), data={**base, **extra}, auth=auth, timeout=30,
                             headers={"User-Agent": USER_AGENT})

    actor_token = agent.assertion(sw_version="1.4.2")
    r = post(actor_token=actor_token)
    assert r.status_code == 200, r.text
    _, claims = claims_of(server, r.json()["access_token"])
    assert claims["client_id"] == view["client_id"] and claims["act"] == {"sub": agent.client_id}, claims
    # The actor's assertion is single use, and the actor re-attests with it.
    replay = post(actor_token=actor_token)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_request", replay.text
    assert last_exchange_audit(server)["reason"] == "actor_assertion_jti_replayed"
    unattested = post(actor_token=agent.assertion())
    assert unattested.status_code == 401 and unattested.json()["error"] == "invalid_client", unattested.text
    stale = post(actor_token=agent.assertion(age=90, sw_version="1.4.2"))
    assert stale.status_code == 401 and last_exchange_audit(server)["reason"] == "attestation_stale", stale.text
    # Without an actor token the backend itself is the actor, and it cannot attest (no assertion).
    r = requests.post(server.endpoint("token"), auth=auth, timeout=30,
                      data={k: v for k, v in base.items() if k != "actor_token_type"})
    assert r.status_code == 401 and last_exchange_audit(server)["reason"] == "attestation_missing", r.text


# -- the person's freshness and level ---------------------------------------------------------------------


def test_an_action_above_the_persons_level_is_refused_with_what_it_needs(server, user, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "payout.send=120:mfa")
    before = access_token_rows(server)
    r = agent.exchange(person["access_token"], action="payout.send")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == "insufficient_user_authentication", body
    assert body["acr_values"] == "urn:reverify:acr:mfa" and body["max_age"] == 120, body
    assert access_token_rows(server) == before
    audit = last_exchange_audit(server, user.email)
    assert audit["outcome"] == "failure" and audit["reason"] == "insufficient_user_authentication", audit
    assert audit["detail"]["trigger_acr"] == "urn:reverify:acr:mfa"


def test_an_action_whose_max_age_has_passed_is_refused(server, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=1")
    time.sleep(2.1)
    r = agent.exchange(person["access_token"])
    assert r.status_code == 400 and r.json()["error"] == "insufficient_user_authentication", r.text
    assert r.json()["max_age"] == 1 and r.json()["acr_values"] == "urn:reverify:acr:1fa"


# -- re-attestation ---------------------------------------------------------------------------------------


def test_an_attest_action_needs_an_assertion_issued_within_sixty_seconds(server, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300:attest")
    stale = agent.exchange(person["access_token"], age=90)
    assert stale.status_code == 401 and stale.json()["error"] == "invalid_client", stale.text
    assert last_exchange_audit(server)["reason"] == "attestation_stale"
    fresh = agent.exchange(person["access_token"], age=5)
    assert fresh.status_code == 200, fresh.text


def test_registered_attestation_claims_are_checked_on_every_exchange(server, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300", "--attest", "sw_version=1.4.2")
    r = agent.exchange(person["access_token"], attest={"sw_version": "1.4.1"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text
    assert last_exchange_audit(server)["reason"] == "attestation_claim_mismatch"
    r = agent.exchange(person["access_token"])
    assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text
    r = agent.exchange(person["access_token"], attest={"sw_version": "1.4.2"})
    assert r.status_code == 200, r.text


# -- bad input changes nothing ----------------------------------------------------------------------------


def test_bad_exchanges_are_refused_and_change_nothing(server, rp, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
    foreign_key = ECKey.generate_key("P-256", parameters={"kid": "foreign"})
    _, original = claims_of(server, person["access_token"])
    foreign = jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": "foreign"}, original, foreign_key)
    cases = [
        ({"grant_type": "urn:example:unknown"}, "unsupported_grant_type"),
        ({"subject_token": person["id_token"]}, "invalid_grant"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:id_token"}, "invalid_grant"),
        ({"subject_token": foreign}, "invalid_grant"),
        ({"subject_token": "garbage"}, "invalid_grant"),
        ({"subject_token_type": None}, "invalid_request"),
        ({"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"}, "invalid_request"),
        ({"scope": "email admin"}, "invalid_scope"),
        ({"scope": "offline_access"}, "invalid_scope"),
        ({"audience": "https://evil.example"}, "invalid_target"),
        ({"audience": None}, "invalid_target"),
        ({"resource": "https://other.example"}, "invalid_target"),
        ({"authorization_details": "not json"}, "invalid_authorization_details"),
        ({"authorization_details": json.dumps([{"type": "reverify_action", "action": "account.delete"}])},
         "invalid_authorization_details"),
        ({"authorization_details": json.dumps([{"type": "reverify_action", "action": "billing.change"}] * 2)},
         "invalid_authorization_details"),
        ({"authorization_details": None}, "invalid_authorization_details"),
        ({"actor_token": "x", "actor_token_type": ACCESS_TOKEN}, "invalid_request"),
        ({"actor_token": "x", "actor_token_type": "urn:ietf:params:oauth:token-type:jwt"}, "invalid_request"),
        ({"actor_token_type": "urn:ietf:params:oauth:token-type:jwt"}, "invalid_request"),
    ]
    before = access_token_rows(server)
    for params, error in cases:
        r = agent.exchange(person["access_token"], **params)
        assert r.status_code == 400 and r.json()["error"] == error, (params, r.text)
    assert access_token_rows(server) == before
    # A replayed assertion is invalid_client (RFC 7523 3), and changes nothing either.
    signed = agent.assertion()
    data = {"grant_type": EXCHANGE, "subject_token": person["access_token"], "subject_token_type": ACCESS_TOKEN,
            "audience": API, "client_assertion_type": ASSERTION_TYPE, "client_assertion": signed,
            "authorization_details": json.dumps([{"type": "reverify_action", "action": "billing.change"}])}
    assert requests.post(server.endpoint("token"), data=data, timeout=30).status_code == 200
    replay = requests.post(server.endpoint("token"), data=data, timeout=30)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client", replay.text
    assert access_token_rows(server) == before + 1


def test_discovery_lists_the_token_exchange_grant(server):
    d = requests.get(server.base_url + "/.well-known/openid-configuration", timeout=10).json()
    assert EXCHANGE in d["grant_types_supported"]


# -- one-shot tokens and events (items 5 and 6) -----------------------------------------------------------


def billing_api(server):
    from reverify_e2e import Client
    view = server.cli_json("clients", "create", "--name", "billing-api", "--resource-server", "--audience", API)
    return RelyingParty(server, Client(client_id=view["client_id"], client_secret=view["client_secret"],
                                       redirect_uri="", post_logout_redirect_uri=None,
                                       auth_method="client_secret_basic", name="billing-api"))


def test_a_once_action_token_is_active_for_the_first_check_only(server, person, tmp_path):
    agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300:once")
    token = agent.exchange(person["access_token"]).json()["access_token"]
    api = billing_api(server)
    assert api.introspect(token)["active"] is True
    assert api.introspect(token) == {"active": False}
    # A token for an ordinary action stays active for as many checks as it lives.
    plain = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
    reusable = plain.exchange(person["access_token"]).json()["access_token"]
    assert api.introspect(reusable)["active"] is True and api.introspect(reusable)["active"] is True


def test_an_exchange_publishes_a_token_exchanged_event_with_its_trigger(tmp_path):
    from reverify_e2e import Browser, Receiver, ReverifyServer, wait_until
    server = ReverifyServer(tmp_path / "events")
    server.start()
    receiver = Receiver().start()
    try:
        server.add_webhook_endpoint(receiver, "--events", "token.exchanged")
        user = server.create_user(prefix="exchange-event")
        rp = RelyingParty(server, server.create_client())
        person = signed_in(rp, Browser(server), user)
        agent = Agent(server, tmp_path, "--audience", API, "--action", "billing.change=300")
        assert agent.exchange(person["access_token"]).status_code == 200
        wait_until(lambda: receiver.snapshot(), timeout=20, what="the token.exchanged delivery")
        event = json.loads(receiver.snapshot()[0].body)
        assert event["type"] == "token.exchanged", event
        data = event["data"]
        assert data["user_id"] == user.id and data["client_id"] == agent.client_id, data
        assert data["trigger"]["action"] == "billing.change" and data["trigger"]["max_age"] == 300, data
    finally:
        receiver.stop()
        server.stop()
