"""Human approval of an agent's action (issue 12 item 4): OpenID CIBA poll mode with RFC 9396 details.

A Python agent — a workload client signing private_key_jwt assertions with joserfc — asks Reverify to have a
person approve one action. Reverify mails the person through a real SMTP server (aiosmtpd); the person opens
the link in headless Chromium (or a scripted browser), verifies again on the hosted pages, and approves or
denies. The agent polls the token endpoint; tokens are verified with joserfc against the published JWKS, and
events arrive at a real webhook receiver checked with `standardwebhooks`."""

from __future__ import annotations

import html
import json
import re
import secrets
import sqlite3
import threading
import time
import urllib.parse

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from mail_inbox import parts, smtp_inbox
from reverify_e2e import OUTPUT_DIR, USER_AGENT, Browser, Client, HostedPage, Receiver, RelyingParty, ReverifyServer

CIBA = "urn:openid:params:grant-type:ciba"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PAYMENT = {"type": "reverify_action", "action": "billing.pay", "amount": "50.00", "currency": "EUR",
           "creditor": "Example Corp"}
EVENTS = "agent.approval_requested,agent.approval_granted,agent.approval_denied,agent.approval_revoked"


# -- the servers ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smtp():
    with smtp_inbox() as running:
        yield running


@pytest.fixture(scope="module")
def inbox(smtp):
    return smtp[0]


@pytest.fixture(scope="module")
def receiver():
    running = Receiver().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def ciba(tmp_path_factory, smtp, receiver):
    _, smtp_port = smtp
    server = ReverifyServer(
        tmp_path_factory.mktemp("reverify-ciba"),
        extra_args=("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--smtp-security", "none",
                    "--mail-from", "approvals@reverify.test"))
    server.start()
    server.add_webhook_endpoint(receiver, "--events", EVENTS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def person(ciba, request):
    return ciba.create_user(prefix=request.node.name[5:25].replace("_", "-").strip("-"))


class Agent:
    """A workload client that asks for approvals and polls for the result."""

    def __init__(self, server: ReverifyServer, tmp_path, *actions: str, name: str = "Billing agent"):
        self.server = server
        self.key = ECKey.generate_key("P-256", parameters={"kid": secrets.token_hex(4)})
        path = tmp_path / f"agent-{secrets.token_hex(4)}.json"
        path.write_text(json.dumps(KeySet([self.key]).as_dict(private=False)))
        args = [a for action in (actions or ("billing.pay=300",)) for a in ("--action", action)]
        view = server.cli_json("clients", "create", "--name", name, "--kind", "workload", "--jwks-file", str(path), *args)
        self.client_id = view["client_id"]

    def assertion(self) -> str:
        now = int(time.time())
        body = {"iss": self.client_id, "sub": self.client_id, "aud": self.server.endpoint("token"), "iat": now,
                "exp": now + 120, "jti": secrets.token_hex(12)}
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, body, self.key)

    def post(self, url: str, data: dict) -> requests.Response:
        data = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": self.assertion(), **data}
        data = {k: v for k, v in data.items() if v is not None}
        return requests.post(url, data=data, headers={"User-Agent": USER_AGENT}, timeout=30)

    def bc_authorize(self, email: str | None, /, *, details=None, **params) -> requests.Response:
        data = {"login_hint": email, "scope": "openid email", "binding_message": "K7-42",
                "authorization_details": json.dumps([details or PAYMENT]), **params}
        return self.post(self.server.discovery["backchannel_authentication_endpoint"], data)

    def request_approval(self, email: str, **params) -> str:
        r = self.bc_authorize(email, **params)
        assert r.status_code == 200, r.text
        return r.json()["auth_req_id"]

    def poll(self, auth_req_id: str) -> requests.Response:
        return self.post(self.server.endpoint("token"), {"grant_type": CIBA, "auth_req_id": auth_req_id})


def error_of(response: requests.Response) -> str:
    return response.json().get("error", f"<{response.status_code}>")


def approval_link(inbox, email: str, count: int = 1) -> tuple[str, str, str]:
    """The link, text and HTML of the person's `count`th approval email."""
    text, body = parts(inbox.wait_for(email, count=count))
    link = re.search(r"(http://\S+/reauth/approve/\S+)", text).group(1)
    return link, text, body


def rows(server, table: str) -> list[tuple]:
    with sqlite3.connect(server.db, timeout=10) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def approval_row(server, auth_req_id: str | None = None, approval_id: str | None = None) -> dict:
    with sqlite3.connect(server.db, timeout=10) as db:
        db.row_factory = sqlite3.Row
        if approval_id:
            row = db.execute("SELECT * FROM agent_approvals WHERE id = ?", (approval_id,)).fetchone()
        else:
            import hashlib
            row = db.execute("SELECT * FROM agent_approvals WHERE request_hash = ?",
                             (hashlib.sha256(auth_req_id.encode()).hexdigest(),)).fetchone()
        return dict(row)


def verify_and_decide(browser: Browser, link: str, user, decision: str) -> HostedPage:
    """The person's part by HTTP: open the link, verify with the password, press Approve or Deny."""
    landing = browser.open(link)
    assert isinstance(landing, HostedPage) and landing.has("verify-to-review"), landing
    verify = browser.post_form(landing, urllib.parse.urlsplit(link).path)
    assert isinstance(verify, HostedPage) and (verify.is_sign_in or verify.is_reauth), verify
    review = browser.submit_password(verify, user.password, email=user.email if verify.is_sign_in else None)
    assert isinstance(review, HostedPage) and review.has(decision), review.html
    done = browser.post_form(review, review.form("")["action"], decision=decision)
    assert isinstance(done, HostedPage) and done.has("outcome"), done
    return done


def wait_interval():
    time.sleep(5.1)


# -- discovery ----------------------------------------------------------------------------------------------


def test_discovery_advertises_backchannel_poll_mode(server):
    document = server.discovery
    assert document["backchannel_authentication_endpoint"] == server.base_url + "/oauth2/bc-authorize"
    assert document["backchannel_token_delivery_modes_supported"] == ["poll"]
    assert document["backchannel_user_code_parameter_supported"] is False
    assert CIBA in document["grant_types_supported"]
    assert "reverify_action" in document["authorization_details_types_supported"]


# -- the whole loop in Chromium -----------------------------------------------------------------------------


def test_a_person_approves_an_agents_payment_in_chromium_after_verifying_again(
        ciba, inbox, receiver, person, tmp_path, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    agent = Agent(ciba, tmp_path, name="Billing <agent>")
    binding = "Order <b>#4711</b> & \"co\""
    asked_at = int(time.time())
    r = agent.bc_authorize(person.email, binding_message=binding)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"auth_req_id", "expires_in", "interval"} and body["interval"] == 5, body
    assert 0 < body["expires_in"] <= 600
    auth_req_id = body["auth_req_id"]
    # Stored hashed: the value the agent holds is nowhere in the database.
    assert auth_req_id not in json.dumps(rows(ciba, "agent_approvals"))

    link, text, body_html = approval_link(inbox, person.email)
    assert "Billing <agent> asks for your approval" in text and "Pay 50.00 EUR to Example Corp" in text
    assert binding in text
    assert html.escape(binding) in body_html and binding not in body_html
    assert "<agent>" not in body_html
    assert error_of(agent.poll(auth_req_id)) == "authorization_pending"

    wait = WebDriverWait(driver, 20)
    driver.get(link)
    page = wait.until(EC.visibility_of_element_located((By.ID, "verify-to-review")))
    main = driver.find_element(By.TAG_NAME, "main")
    assert driver.find_element(By.ID, "binding-message").text == binding
    assert driver.find_element(By.ID, "headline").text == "Pay 50.00 EUR to Example Corp"
    assert driver.find_element(By.ID, "agent-name").text == "Billing <agent>"
    assert person.email in main.text
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(OUTPUT_DIR / "approval.png"))
    page.click()
    # The hosted sign-in, pinned to the person the agent named.
    password = wait.until(EC.visibility_of_element_located((By.ID, "password")))
    assert driver.title.startswith("Sign in"), driver.title
    assert driver.find_element(By.ID, "email").get_attribute("value") == person.email
    password.send_keys(person.password)
    driver.find_element(By.ID, "submit").click()
    approve = wait.until(EC.element_to_be_clickable((By.ID, "approve")))
    assert driver.save_screenshot(str(OUTPUT_DIR / "approval-review.png"))
    approve.click()
    assert wait.until(EC.visibility_of_element_located((By.ID, "outcome"))).text == "Approved"

    wait_interval()
    tokens = agent.poll(auth_req_id)
    assert tokens.status_code == 200, tokens.text
    minted = tokens.json()
    assert "refresh_token" not in minted and minted["token_type"] == "Bearer" and minted["scope"] == "openid email"
    assert 0 < minted["expires_in"] <= 300
    decoded = jwt.decode(minted["access_token"], ciba.jwks())
    claims = decoded.claims
    assert decoded.header["typ"] == "at+jwt"
    assert claims["sub"] == person.id and claims["client_id"] == agent.client_id
    assert claims["act"] == {"sub": agent.client_id}
    assert claims["authorization_details"] == [PAYMENT]
    assert claims["auth_time"] >= asked_at and claims["amr"] == ["pwd"], claims
    assert claims["acr"] == "urn:reverify:acr:1fa" and claims["exp"] - claims["iat"] <= 300
    id_token = jwt.decode(minted["id_token"], ciba.jwks()).claims
    assert id_token["aud"] == agent.client_id and id_token["auth_time"] == claims["auth_time"], id_token
    assert id_token["email"] == person.email

    # An approval yields tokens once.
    assert error_of(agent.poll(auth_req_id)) == "invalid_grant"

    # Events: requested and granted, with the action as trigger.
    receiver.wait_for(lambda ds: any(d.event["type"] == "agent.approval_granted" and d.event["data"]["user_id"] == person.id
                                     for d in ds if d.verified), timeout=20, what="agent.approval_granted")
    mine = sorted((d.event for d in receiver.accepted() if d.event["data"].get("user_id") == person.id),
                  key=lambda e: e["type"])
    assert [e["type"] for e in mine] == ["agent.approval_granted", "agent.approval_requested"], mine
    for event in mine:
        assert event["data"]["client_id"] == agent.client_id
        assert event["data"]["trigger"]["action"] == "billing.pay" and event["data"]["approval_id"].startswith("apr_")
    assert mine[0]["data"]["auth_time"] == claims["auth_time"] and mine[0]["data"]["amr"] == ["pwd"]

    audit = [r for r in ciba.audit(person.email) if r["event"] == "agent.approval_granted"][0]
    assert audit["detail"]["trigger_action"] == "billing.pay" and audit["detail"]["decision"] == "approve"
    assert int(audit["detail"]["auth_time_age"]) >= 0 and audit["detail"]["acr"] == "urn:reverify:acr:1fa", audit


def test_a_person_denies_in_chromium_and_the_agent_gets_access_denied(
        ciba, inbox, receiver, person, tmp_path, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    agent = Agent(ciba, tmp_path)
    auth_req_id = agent.request_approval(person.email)
    link, _, _ = approval_link(inbox, person.email)
    wait = WebDriverWait(driver, 20)
    driver.get(link)
    wait.until(EC.element_to_be_clickable((By.ID, "verify-to-review"))).click()
    wait.until(EC.visibility_of_element_located((By.ID, "password"))).send_keys(person.password)
    driver.find_element(By.ID, "submit").click()
    wait.until(EC.element_to_be_clickable((By.ID, "deny"))).click()
    assert wait.until(EC.visibility_of_element_located((By.ID, "outcome"))).text == "Denied"

    r = agent.poll(auth_req_id)
    assert r.status_code == 400 and error_of(r) == "access_denied", r.text
    assert approval_row(ciba, auth_req_id)["status"] == "denied"
    receiver.wait_for(lambda ds: any(d.event["type"] == "agent.approval_denied" and d.event["data"]["user_id"] == person.id
                                     for d in ds if d.verified), timeout=20, what="agent.approval_denied")
    # The link now only says what became of the request.
    driver.get(link)
    assert "already denied" in wait.until(EC.visibility_of_element_located((By.TAG_NAME, "main"))).text


# -- the person's side, by HTTP -----------------------------------------------------------------------------


def test_a_live_session_is_not_enough_the_person_verifies_again(ciba, inbox, person, tmp_path):
    browser = Browser(ciba)
    rp = RelyingParty(ciba, ciba.create_client())
    request = rp.authorization_request()
    rp.exchange(request, browser.sign_in(request.url, person))
    signed_in_at = ciba.sessions(person.email)[0]["auth_time"]

    agent = Agent(ciba, tmp_path)
    auth_req_id = agent.request_approval(person.email)
    link, _, _ = approval_link(inbox, person.email)
    approval_id = approval_row(ciba, auth_req_id)["id"]
    # Going straight to the review page without verifying shows no buttons.
    shortcut = browser.open(f"{ciba.base_url}/reauth/approval/{approval_id}")
    assert shortcut.status == 403 and not shortcut.has("approve"), shortcut.html
    landing = browser.open(link)
    verify = browser.post_form(landing, urllib.parse.urlsplit(link).path)
    # The browser's session is the person's: "Confirm it's you", never a free pass.
    assert verify.is_reauth and verify.text("signed-in-email") == person.email, verify.html
    # Skipping the verification once it began does not help either.
    skipped = browser.open(f"{ciba.base_url}/reauth/approval/{approval_id}")
    assert skipped.status == 403 and not skipped.has("approve"), skipped.html
    time.sleep(1.1)
    review = browser.submit_password(verify, person.password)
    done = browser.post_form(review, review.form("")["action"], decision="approve")
    assert done.text("outcome") == "Approved"
    wait_interval()
    claims = jwt.decode(agent.poll(auth_req_id).json()["access_token"], ciba.jwks()).claims
    assert claims["auth_time"] > signed_in_at


def test_an_mfa_action_needs_a_second_method_before_approve_appears(ciba, inbox, person, tmp_path):
    agent = Agent(ciba, tmp_path, "billing.pay=300:mfa")
    auth_req_id = agent.request_approval(person.email)
    link, _, _ = approval_link(inbox, person.email)
    browser = Browser(ciba)
    verify = browser.post_form(browser.open(link), urllib.parse.urlsplit(link).path)
    step = browser.submit_password(verify, person.password, email=person.email)
    assert isinstance(step, HostedPage) and step.has("step-up-reason") and not step.has("approve"), step.html
    check = browser.post_form(step, "/email")
    code = re.search(r"\b(\d{6})\b", parts(inbox.wait_for(person.email, count=2))[0]).group(1)
    review = browser.post_form(check, "/code", code=code)
    assert isinstance(review, HostedPage) and review.has("approve"), review.html
    browser.post_form(review, review.form("")["action"], decision="approve")
    wait_interval()
    claims = jwt.decode(agent.poll(auth_req_id).json()["access_token"], ciba.jwks()).claims
    assert claims["acr"] == "urn:reverify:acr:mfa" and "mfa" in claims["amr"], claims


def test_an_id_token_hint_names_the_person_like_an_email(ciba, inbox, person, tmp_path):
    browser = Browser(ciba)
    rp = RelyingParty(ciba, ciba.create_client())
    request = rp.authorization_request()
    id_token = rp.exchange(request, browser.sign_in(request.url, person))["id_token"]
    agent = Agent(ciba, tmp_path)
    r = agent.bc_authorize(None, id_token_hint=id_token)
    assert r.status_code == 200, r.text
    assert approval_row(ciba, r.json()["auth_req_id"])["user_id"] == person.id
    assert "asks for your approval" in str(inbox.wait_for(person.email)["Subject"])


# -- polling ------------------------------------------------------------------------------------------------


def test_polling_sooner_than_the_interval_is_slow_down_and_raises_it_by_five_seconds(ciba, person, tmp_path):
    agent = Agent(ciba, tmp_path)
    auth_req_id = agent.request_approval(person.email)
    assert error_of(agent.poll(auth_req_id)) == "authorization_pending"
    assert error_of(agent.poll(auth_req_id)) == "slow_down"
    assert approval_row(ciba, auth_req_id)["poll_interval"] == 10
    assert error_of(agent.poll(auth_req_id)) == "slow_down"
    assert approval_row(ciba, auth_req_id)["poll_interval"] == 15


def test_an_unanswered_request_expires_and_polls_as_expired_token(ciba, inbox, person, tmp_path):
    agent = Agent(ciba, tmp_path)
    r = agent.bc_authorize(person.email, requested_expiry="2")
    assert r.status_code == 200 and r.json()["expires_in"] == 2, r.text
    link, _, _ = approval_link(inbox, person.email)
    time.sleep(2.5)
    assert error_of(agent.poll(r.json()["auth_req_id"])) == "expired_token"
    page = Browser(ciba).open(link)
    assert page.status == 410 and "expired" in page.html


def test_parallel_polls_after_approval_yield_tokens_once(ciba, inbox, person, tmp_path):
    agent = Agent(ciba, tmp_path)
    auth_req_id = agent.request_approval(person.email)
    link, _, _ = approval_link(inbox, person.email)
    verify_and_decide(Browser(ciba), link, person, "approve")
    tokens_before = len(rows(ciba, "access_tokens"))
    results: list[requests.Response] = []
    start = threading.Barrier(8)

    def poll():
        start.wait()
        results.append(agent.poll(auth_req_id))

    threads = [threading.Thread(target=poll) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in results) == [200] + [400] * 7, [r.text for r in results]
    assert {error_of(r) for r in results if r.status_code == 400} == {"invalid_grant"}
    assert len(rows(ciba, "access_tokens")) == tokens_before + 1


def test_a_once_action_yields_a_token_that_introspects_active_once(ciba, inbox, person, tmp_path):
    agent = Agent(ciba, tmp_path, "billing.pay=300:once:ttl=60")
    auth_req_id = agent.request_approval(person.email)
    link, _, _ = approval_link(inbox, person.email)
    verify_and_decide(Browser(ciba), link, person, "approve")
    minted = agent.poll(auth_req_id).json()
    assert minted["expires_in"] == 60, minted
    view = ciba.cli_json("clients", "create", "--name", "billing-api", "--resource-server")
    api = RelyingParty(ciba, Client(client_id=view["client_id"], client_secret=view["client_secret"], redirect_uri="",
                                    post_logout_redirect_uri=None, auth_method="client_secret_basic", name="api"))
    first = api.introspect(minted["access_token"])
    assert first["active"] is True and first["act"] == {"sub": agent.client_id}, first
    assert api.introspect(minted["access_token"]) == {"active": False}


def test_an_unknown_person_gets_the_same_answer_no_mail_and_an_audit_row(ciba, inbox, person, tmp_path):
    agent = Agent(ciba, tmp_path)
    nobody = f"nobody-{secrets.token_hex(4)}@example.com"
    known, unknown = agent.bc_authorize(person.email), agent.bc_authorize(nobody)
    assert known.status_code == unknown.status_code == 200
    assert set(known.json()) == set(unknown.json())
    assert known.json()["expires_in"] == unknown.json()["expires_in"]
    assert error_of(agent.poll(unknown.json()["auth_req_id"])) == "authorization_pending"
    inbox.wait_for(person.email)
    time.sleep(0.5)
    assert inbox.count(nobody) == 0
    refused = [r for r in ciba.audit() if r["event"] == "agent.approval_requested" and r["reason"] == "unknown_user"]
    assert any(r["client_id"] == agent.client_id for r in refused), refused


# -- refusals: none changes state ---------------------------------------------------------------------------


REFUSALS = [
    ("a binding message over 64 characters", {"binding_message": "x" * 65}, "invalid_binding_message"),
    ("a binding message with a newline", {"binding_message": "pay\nnow"}, "invalid_binding_message"),
    ("a binding message with a bidi override", {"binding_message": "abc\u202Edef"}, "invalid_binding_message"),
    ("no hint", {"login_hint": None}, "invalid_request"),
    ("two hints", {"id_token_hint": "a.b.c"}, "invalid_request"),
    ("an id_token_hint that is not our ID token", {"login_hint": None, "id_token_hint": "a.b.c"}, "invalid_request"),
    ("a login_hint_token", {"login_hint": None, "login_hint_token": "t"}, "invalid_request"),
    ("an action this client did not register", {"details": {"type": "reverify_action", "action": "admin.all"}},
     "invalid_authorization_details"),
    ("details of another type", {"details": {"type": "payment_initiation", "action": "billing.pay"}},
     "invalid_authorization_details"),
    ("malformed details", {"authorization_details": "{not json"}, "invalid_authorization_details"),
    ("offline_access", {"scope": "openid offline_access"}, "invalid_scope"),
    ("a bad requested_expiry", {"requested_expiry": "-1"}, "invalid_request"),
    ("a notification token (ping mode)", {"client_notification_token": "abc"}, "invalid_request"),
    ("a user code", {"user_code": "1234"}, "invalid_request"),
]


@pytest.mark.parametrize("what, params, error", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_bad_backchannel_request_is_refused_and_changes_nothing(ciba, inbox, person, tmp_path, what, params, error):
    agent = Agent(ciba, tmp_path)
    params = dict(params)
    details = params.pop("details", None)
    approvals_before = rows(ciba, "agent_approvals")
    mail_before = inbox.count(person.email)
    r = agent.bc_authorize(person.email, details=details, **params)
    assert r.status_code == 400 and error_of(r) == error, r.text
    assert rows(ciba, "agent_approvals") == approvals_before
    time.sleep(0.2)
    assert inbox.count(person.email) == mail_before


def test_a_replayed_client_assertion_is_invalid_client_and_changes_nothing(ciba, person, tmp_path):
    agent = Agent(ciba, tmp_path)
    assertion = agent.assertion()
    data = {"login_hint": person.email, "authorization_details": json.dumps([PAYMENT]),
            "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    endpoint = ciba.discovery["backchannel_authentication_endpoint"]
    assert requests.post(endpoint, data=data, timeout=30).status_code == 200
    before = rows(ciba, "agent_approvals")
    r = requests.post(endpoint, data=data, timeout=30)
    assert r.status_code == 401 and error_of(r) == "invalid_client", r.text
    assert rows(ciba, "agent_approvals") == before


def test_bad_polls_are_invalid_grant_or_unsupported_and_change_nothing(ciba, person, tmp_path):
    agent, other = Agent(ciba, tmp_path), Agent(ciba, tmp_path)
    auth_req_id = agent.request_approval(person.email)
    before = rows(ciba, "agent_approvals")
    for r, expected in [
        (agent.poll("rvb_" + secrets.token_urlsafe(32)), "invalid_grant"),
        (other.poll(auth_req_id), "invalid_grant"),
        (agent.post(ciba.endpoint("token"), {"grant_type": CIBA}), "invalid_request"),
        (agent.post(ciba.endpoint("token"), {"grant_type": "urn:openid:params:grant-type:cibaX", "auth_req_id": auth_req_id}),
         "unsupported_grant_type"),
    ]:
        assert r.status_code == 400 and error_of(r) == expected, r.text
    assert rows(ciba, "agent_approvals") == before


# -- the CLI ------------------------------------------------------------------------------------------------


def test_the_cli_lists_and_revokes_approvals(ciba, inbox, receiver, person, tmp_path):
    agent = Agent(ciba, tmp_path)
    pending_id = agent.request_approval(person.email, binding_message="cli-1")
    granted_id = agent.request_approval(person.email, binding_message="cli-2")
    # The two emails leave in parallel: take the one with this request's binding message.
    inbox.wait_for(person.email, count=2)
    link = next(approval_link(inbox, person.email, count=n)[0] for n in (1, 2)
                if "cli-2" in approval_link(inbox, person.email, count=n)[1])
    verify_and_decide(Browser(ciba), link, person, "approve")
    token = agent.poll(granted_id).json()["access_token"]

    listed = ciba.cli_json("approvals", "list", "--user", person.email)
    assert [a["binding_message"] for a in listed] == ["cli-2", "cli-1"], listed
    assert [a["status"] for a in listed] == ["redeemed", "pending"]
    assert listed[1]["action"] == "billing.pay" and listed[1]["authorization_details"] == PAYMENT
    pending = ciba.cli_json("approvals", "list", "--user", person.email, "--pending")
    assert [a["id"] for a in pending] == [listed[1]["id"]]
    assert "cli-1" in ciba.cli("approvals", "list", "--pending").stdout

    # A revoked pending request polls as access_denied; a revoked redeemed one takes its tokens with it.
    assert "revoked approval request" in ciba.cli("approvals", "revoke", listed[1]["id"]).stdout
    assert error_of(agent.poll(pending_id)) == "access_denied"
    out = ciba.cli("approvals", "revoke", listed[0]["id"]).stdout
    assert "tokens it issued" in out, out
    view = ciba.cli_json("clients", "create", "--name", "api", "--resource-server")
    api = RelyingParty(ciba, Client(client_id=view["client_id"], client_secret=view["client_secret"], redirect_uri="",
                                    post_logout_redirect_uri=None, auth_method="client_secret_basic", name="api"))
    assert api.introspect(token) == {"active": False}

    # Each revocation is published, signed, naming the request, its person and agent.
    def revoked(ds):
        return [d.event["data"] for d in ds
                if d.verified and d.event["type"] == "agent.approval_revoked" and d.event["data"].get("user_id") == person.id]
    both = {listed[0]["id"], listed[1]["id"]}
    receiver.wait_for(lambda ds: {e["approval_id"] for e in revoked(ds)} == both, timeout=20, what="agent.approval_revoked")
    events = revoked(receiver.accepted())
    assert {e["approval_id"] for e in events} == both, events
    assert all(e["client_id"] == agent.client_id and e["reason"] == "cli" for e in events), events

    for args, message in [(("approvals", "revoke", "apr_nope"), "no approval request with id apr_nope"),
                          (("approvals", "revoke", "garbage"), "no approval request with id garbage"),
                          (("approvals", "revoke", listed[1]["id"]), "is already revoked"),
                          (("approvals", "list", "--user", "ghost@example.com"), "no user with email")]:
        result = ciba.cli(*args, check=False)
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
