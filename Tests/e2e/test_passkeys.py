"""Passkeys (issue 18, W3C WebAuthn L3): enrolment on /account/security and step-up to `urn:reverify:acr:phr`.

Reverify runs with the issuer ``http://localhost:<port>`` (a WebAuthn RP ID cannot be an IP address); the
relying party's redirect URI is on ``http://127.0.0.1:<other port>``, another origin.

Two independent authenticators drive it:
- headless Chromium with a virtual authenticator (CTAP2, internal transport, resident keys, user verification);
- ``soft_authenticator.SoftAuthenticator`` (cbor2 + cryptography), which can tamper with what it sends. Every
  response Reverify accepts is verified again by the ``webauthn`` package, and every tampered one it refuses is
  refused by ``webauthn`` too.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator

import pytest
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse

from reverify_e2e import CallbackReceiver, Browser, Client, HostedPage, Redirect, RelyingParty, ReverifyServer, User
from soft_authenticator import SoftAuthenticator, b64url, b64url_decode

PHR = "urn:reverify:acr:phr"
WAIT = 20


# --------------------------------------------------------------------------------------------
# Fixtures: Reverify on localhost, the relying party on 127.0.0.1
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pk_server(tmp_path_factory) -> Iterator[ReverifyServer]:
    server = ReverifyServer(tmp_path_factory.mktemp("reverify-passkeys"))
    # WebAuthn L3 5.1.3: the RP ID must be a domain; browsers treat localhost as a secure context.
    server.base_url = server.issuer = f"http://localhost:{server.port}"
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[CallbackReceiver]:
    running = CallbackReceiver()
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def pk_user(pk_server, request) -> User:
    return pk_server.create_user(prefix=request.node.name[5:25].replace("_", "-").strip("-[]"))


@pytest.fixture
def pk_rp(pk_server, receiver) -> RelyingParty:
    client = pk_server.create_client(redirect_uri=receiver.url, post_logout_redirect_uri=None)
    assert urllib.parse.urlsplit(client.redirect_uri).hostname == "127.0.0.1"
    return RelyingParty(pk_server, client)


# --------------------------------------------------------------------------------------------
# Helpers for the software authenticator over HTTP
# --------------------------------------------------------------------------------------------


def passkey_options(page: HostedPage) -> dict:
    """The WebAuthn options a page carries for its script (`data-passkey-options`)."""
    match = re.search(r'data-passkey-options="([^"]*)"', page.html)
    assert match, f"no passkey options on {page.url}:\n{page.html}"
    return json.loads(html.unescape(match.group(1)))


def signed_in_browser(server: ReverifyServer, rp: RelyingParty, user: User) -> tuple[Browser, int]:
    browser = Browser(server)
    request = rp.authorization_request()
    claims = rp.validate_tokens(rp.exchange(request, browser.sign_in(request.url, user)), nonce=request.nonce)
    return browser, claims["auth_time"]


def enrol(server: ReverifyServer, browser: Browser, authenticator: SoftAuthenticator, **tamper) -> tuple[HostedPage, dict, dict]:
    """Opens the enrolment page, answers it with the soft authenticator, posts the response."""
    page = browser.open(server.base_url + "/account/security/passkeys/new")
    assert isinstance(page, HostedPage) and page.status == 200, page
    options = passkey_options(page)
    credential = authenticator.create(options, **tamper)
    result = browser.post_form(page, "/account/security/passkeys", credential=json.dumps(credential), name="Soft key")
    assert isinstance(result, HostedPage)
    return result, options, credential


def step_up_page(browser: Browser, rp: RelyingParty, **extra) -> tuple[HostedPage, object]:
    request = rp.authorization_request(acr_values=PHR, prompt="login", **extra)
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.has("passkey-form"), page
    return page, request


def assert_refused(server: ReverifyServer, user: User, result, reason: str) -> None:
    """A refused passkey: the page again with an error, no code, and the audit row naming why."""
    assert isinstance(result, HostedPage), f"expected a refusal page, got {result}"
    assert result.status in (400, 401, 409), result.status
    assert result.has("error"), result.html
    reasons = [row["reason"] for row in server.audit(user.email) if row.get("method") == "passkey" and row["outcome"] == "failure"]
    assert reason in reasons, reasons


def stored_public_key(server: ReverifyServer, credential_id: str) -> bytes:
    rows = server.query("SELECT public_key FROM passkey_credentials WHERE credential_id = ?", credential_id)
    assert len(rows) == 1, rows
    return bytes(rows[0][0])


# --------------------------------------------------------------------------------------------
# Software authenticator over HTTP: enrolment, step-up, tampering
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", [-7, -8, -257], ids=["ES256", "EdDSA", "RS256"])
def test_a_passkey_enrols_and_steps_up_to_phr(pk_server, pk_rp, pk_user, alg):
    browser, first_auth_time = signed_in_browser(pk_server, pk_rp, pk_user)
    authenticator = SoftAuthenticator(pk_server.issuer, alg=alg)
    page, options, credential = enrol(pk_server, browser, authenticator)
    assert page.has("notice") and "Soft key" in page.text("notice"), page.html
    # Issue 18 fixes the options; L3 5.4 names them.
    assert options["rp"]["id"] == "localhost" and options["attestation"] == "none"
    assert options["authenticatorSelection"] == {"residentKey": "preferred", "requireResidentKey": False, "userVerification": "required"}
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8, -257]
    assert pk_user.email not in b64url_decode(options["user"]["id"]).decode(errors="replace")
    # An independent verifier accepts what Reverify accepted, and extracts the very key Reverify stored.
    verified = verify_registration_response(
        credential=json.dumps(credential), expected_challenge=b64url_decode(options["challenge"]),
        expected_origin=pk_server.issuer, expected_rp_id="localhost", require_user_verification=True)
    assert stored_public_key(pk_server, credential["id"]) == verified.credential_public_key
    events = [json.loads(payload) for (payload,) in pk_server.query(
        "SELECT payload FROM outbox_events WHERE type = 'authentication.factor_added'")]
    mine = [e["data"] for e in events if e["data"].get("user_id") == pk_user.id]
    assert len(mine) == 1 and mine[0]["factor"]["kind"] == "passkey" and mine[0]["factor"]["name"] == "Soft key", mine

    time.sleep(1.1)  # so the step-up's auth_time is visibly later
    page, request = step_up_page(browser, pk_rp)
    request_options = passkey_options(page)
    assert request_options["userVerification"] == "required"
    assert [c["id"] for c in request_options["allowCredentials"]] == [credential["id"]]
    assertion = authenticator.get(request_options)
    redirect = browser.post_form(page, "/passkey", credential=json.dumps(assertion))
    assert isinstance(redirect, Redirect), redirect
    claims = pk_rp.validate_tokens(pk_rp.exchange(request, redirect), nonce=request.nonce)
    assert claims["acr"] == PHR
    assert claims["amr"] == ["hwk", "user", "mfa"]
    assert claims["auth_time"] > first_auth_time
    verify_authentication_response(
        credential=json.dumps(assertion), expected_challenge=b64url_decode(request_options["challenge"]),
        expected_origin=pk_server.issuer, expected_rp_id="localhost",
        credential_public_key=stored_public_key(pk_server, credential["id"]), credential_current_sign_count=0,
        require_user_verification=True)
    assert pk_server.query("SELECT sign_count FROM passkey_credentials WHERE credential_id = ?", credential["id"]) == [(1,)]
    reauthenticated = [json.loads(payload)["data"] for (payload,) in pk_server.query(
        "SELECT payload FROM outbox_events WHERE type = 'authentication.reauthenticated'")]
    step_up = [d for d in reauthenticated if d.get("user_id") == pk_user.id and d.get("method") == "passkey"]
    assert len(step_up) == 1 and step_up[0]["acr"] == PHR and step_up[0]["trigger"]["acr"] == PHR, step_up


def test_a_synced_passkey_is_swk(pk_server, pk_rp, pk_user):
    browser, _ = signed_in_browser(pk_server, pk_rp, pk_user)
    authenticator = SoftAuthenticator(pk_server.issuer, backup_eligible=True)
    enrol(pk_server, browser, authenticator)
    page, request = step_up_page(browser, pk_rp)
    redirect = browser.post_form(page, "/passkey", credential=json.dumps(authenticator.get(passkey_options(page))))
    claims = pk_rp.validate_tokens(pk_rp.exchange(request, redirect), nonce=request.nonce)
    assert claims["amr"] == ["swk", "user", "mfa"] and claims["acr"] == PHR


@pytest.fixture
def enrolled(pk_server, pk_rp, pk_user):
    browser, _ = signed_in_browser(pk_server, pk_rp, pk_user)
    authenticator = SoftAuthenticator(pk_server.issuer)
    _, _, credential = enrol(pk_server, browser, authenticator)
    return browser, authenticator, credential


def independent_verdict(server: ReverifyServer, assertion: dict, options: dict, credential: dict, sign_count: int) -> bool:
    try:
        verify_authentication_response(
            credential=json.dumps(assertion), expected_challenge=b64url_decode(options["challenge"]),
            expected_origin=server.issuer, expected_rp_id="localhost",
            credential_public_key=stored_public_key(server, credential["id"]), credential_current_sign_count=sign_count,
            require_user_verification=True)
        return True
    except InvalidAuthenticationResponse:
        return False


@pytest.mark.parametrize(
    "tamper, reason",
    [
        ({"origin": "http://127.0.0.1:1"}, "passkey_origin_mismatch"),
        ({"rp_id_hash": hashlib.sha256(b"evil.example").digest()}, "passkey_rp_id_mismatch"),
        ({"tamper_signature": True}, "passkey_bad_signature"),
    ],
    ids=["wrong-origin", "wrong-rp-id-hash", "bad-signature"])
def test_a_tampered_assertion_is_refused(pk_server, pk_rp, pk_user, enrolled, tamper, reason):
    browser, authenticator, credential = enrolled
    page, _ = step_up_page(browser, pk_rp)
    options = passkey_options(page)
    assertion = authenticator.get(options, **tamper)
    assert not independent_verdict(pk_server, assertion, options, credential, 0)
    assert_refused(pk_server, pk_user, browser.post_form(page, "/passkey", credential=json.dumps(assertion)), reason)
    assert pk_server.query("SELECT sign_count FROM passkey_credentials WHERE credential_id = ?", credential["id"]) == [(0,)]


def test_a_replayed_assertion_is_refused(pk_server, pk_rp, pk_user, enrolled):
    browser, authenticator, _ = enrolled
    page, request = step_up_page(browser, pk_rp)
    assertion = json.dumps(authenticator.get(passkey_options(page)))
    first = browser.post_form(page, "/passkey", credential=assertion)
    assert isinstance(first, Redirect) and "code" in first.params
    # The same response on a new flow: its challenge was single use.
    again, _ = step_up_page(browser, pk_rp)
    assert_refused(pk_server, pk_user, browser.post_form(again, "/passkey", credential=assertion), "passkey_challenge_mismatch")


def test_a_counter_that_goes_backwards_is_refused_and_audited_as_a_possible_clone(pk_server, pk_rp, pk_user, enrolled):
    browser, authenticator, credential = enrolled
    for _ in range(2):  # the counter reaches 2
        page, _ = step_up_page(browser, pk_rp)
        assert isinstance(browser.post_form(page, "/passkey", credential=json.dumps(authenticator.get(passkey_options(page)))), Redirect)
    page, _ = step_up_page(browser, pk_rp)
    options = passkey_options(page)
    assertion = authenticator.get(options, sign_count=1)  # a clone that lags behind
    assert independent_verdict(pk_server, assertion, options, credential, 0)  # well signed...
    assert not independent_verdict(pk_server, assertion, options, credential, 2)  # ...but behind the stored counter
    assert_refused(pk_server, pk_user, browser.post_form(page, "/passkey", credential=json.dumps(assertion)), "passkey_possible_clone")
    clone = [row for row in pk_server.audit(pk_user.email) if row.get("reason") == "passkey_possible_clone"]
    assert clone[-1]["detail"]["stored_sign_count"] == "2" and clone[-1]["detail"]["received_sign_count"] == "1"
    assert pk_server.query("SELECT sign_count FROM passkey_credentials WHERE credential_id = ?", credential["id"]) == [(2,)]


def test_an_assertion_without_user_verification_does_not_reach_phr(pk_server, pk_rp, pk_user, enrolled):
    browser, authenticator, _ = enrolled
    authenticator.user_verified = False
    page, _ = step_up_page(browser, pk_rp)
    result = browser.post_form(page, "/passkey", credential=json.dumps(authenticator.get(passkey_options(page))))
    assert_refused(pk_server, pk_user, result, "passkey_user_not_verified")


def test_an_operator_lists_and_removes_a_passkey_and_it_no_longer_verifies(pk_server, pk_rp, pk_user, enrolled):
    browser, authenticator, credential = enrolled
    used, _ = step_up_page(browser, pk_rp)
    assert isinstance(browser.post_form(used, "/passkey", credential=json.dumps(authenticator.get(passkey_options(used)))), Redirect)
    factors = pk_server.cli_json("users", "factors", "list", pk_user.email)
    passkeys = [f for f in factors if f["kind"] == "passkey"]
    assert len(passkeys) == 1 and passkeys[0]["name"] == "Soft key", factors
    assert passkeys[0]["passkey"] == {
        "algorithm": "ES256", "backup_eligible": authenticator.backup_eligible, "backed_up": authenticator.backup_eligible,
        "transports": credential["response"]["transports"], "sign_count": authenticator.sign_count,
    }, passkeys[0]
    public_key = pk_server.query("SELECT public_key FROM passkey_credentials WHERE credential_id = ?", credential["id"])[0][0]
    listing = pk_server.cli("users", "factors", "list", pk_user.email).stdout
    assert f"ES256  device-bound  transports internal  sign count {authenticator.sign_count}" in listing, listing
    for shown in (json.dumps(factors), listing):  # never the key material, in any encoding
        assert public_key.hex() not in shown and b64url(public_key) not in shown
    page, _ = step_up_page(browser, pk_rp)  # offered while it exists
    pk_server.cli("users", "factors", "remove", pk_user.email, passkeys[0]["id"])
    assert pk_server.query("SELECT count(*) FROM passkey_credentials WHERE credential_id = ?", credential["id"]) == [(0,)]
    result = browser.post_form(page, "/passkey", credential=json.dumps(authenticator.get(passkey_options(page))))
    assert isinstance(result, HostedPage) and result.status in (401, 403), result


def phr_client(server: ReverifyServer, redirect_uri: str) -> RelyingParty:
    view = server.cli_json(
        "clients", "create", "--name", "phr-app", "--redirect-uri", redirect_uri, "--min-acr", "phr",
        "--action", "keys.delete=60:phr")
    assert view["min_acr"] == PHR, view
    return RelyingParty(server, Client(
        client_id=view["client_id"], client_secret=view["client_secret"], redirect_uri=redirect_uri,
        post_logout_redirect_uri=None, auth_method="client_secret_basic", name="phr-app"))


def test_a_client_floor_of_phr_is_unmet_without_a_passkey(pk_server, receiver, pk_user):
    rp = phr_client(pk_server, receiver.url)
    request = rp.authorization_request()
    result = Browser(pk_server).sign_in(request.url, pk_user)
    assert result.params.get("error") == "unmet_authentication_requirements", result.location


def test_a_client_floor_of_phr_offers_only_the_passkey_and_is_met_by_it(pk_server, receiver, pk_user, enrolled):
    browser, authenticator, _ = enrolled
    rp = phr_client(pk_server, receiver.url)
    request = rp.authorization_request(action="keys.delete")
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.has("step-up-reason") and page.has("passkey-form"), page
    assert not page.has("password") and not page.has("email-me"), "only a passkey reaches phr"
    redirect = browser.post_form(page, "/passkey", credential=json.dumps(authenticator.get(passkey_options(page))))
    claims = rp.validate_tokens(rp.exchange(request, redirect), nonce=request.nonce)
    assert claims["acr"] == PHR


def test_a_challenge_issued_for_another_flow_is_refused(pk_server, pk_rp, pk_user, enrolled):
    browser, authenticator, _ = enrolled
    other, _ = step_up_page(browser, pk_rp)
    page, _ = step_up_page(browser, pk_rp)
    # Signed over the other page's challenge, posted to this flow.
    assertion = authenticator.get(passkey_options(other))
    assert_refused(pk_server, pk_user, browser.post_form(page, "/passkey", credential=json.dumps(assertion)), "passkey_challenge_mismatch")


def test_another_users_passkey_never_verifies_this_user(pk_server, pk_rp, pk_user, enrolled):
    _, mallory_key, _ = enrolled  # pk_user's passkey, in the hands of…
    victim = pk_server.create_user(prefix="victim")
    browser, _ = signed_in_browser(pk_server, pk_rp, victim)
    enrol(pk_server, browser, SoftAuthenticator(pk_server.issuer))  # the victim has a passkey of their own
    page, _ = step_up_page(browser, pk_rp)
    options = passkey_options(page)
    forged = mallory_key.get(options)
    result = browser.post_form(page, "/passkey", credential=json.dumps(forged))
    assert_refused(pk_server, victim, result, "passkey_unknown_credential")


def test_a_user_handle_that_is_not_the_owners_is_refused(pk_server, pk_rp, pk_user, enrolled):
    browser, authenticator, _ = enrolled
    page, _ = step_up_page(browser, pk_rp)
    assertion = authenticator.get(passkey_options(page))
    assertion["response"]["userHandle"] = "dXNyX3NvbWVvbmVfZWxzZQ"  # L3 7.2 step 6: not this credential's user
    assert_refused(pk_server, pk_user, browser.post_form(page, "/passkey", credential=json.dumps(assertion)), "passkey_unknown_credential")


def test_a_response_naming_another_credential_id_is_refused_at_enrolment(pk_server, pk_rp, pk_user):
    browser, _ = signed_in_browser(pk_server, pk_rp, pk_user)
    page = browser.open(pk_server.base_url + "/account/security/passkeys/new")
    credential = SoftAuthenticator(pk_server.issuer).create(passkey_options(page))
    credential["id"] = credential["rawId"] = "AAAAAAAAAAAAAAAAAAAAAA"
    result = browser.post_form(page, "/account/security/passkeys", credential=json.dumps(credential))
    assert result.status == 400 and result.has("error")
    assert pk_server.query("SELECT count(*) FROM passkey_credentials WHERE user_id = ?", pk_user.id) == [(0,)]


def test_registration_options_work_only_for_the_session_that_asked(pk_server, pk_rp, pk_user):
    first, _ = signed_in_browser(pk_server, pk_rp, pk_user)
    second, _ = signed_in_browser(pk_server, pk_rp, pk_user)  # the same user in another browser
    options = passkey_options(first.open(pk_server.base_url + "/account/security/passkeys/new"))
    page = second.open(pk_server.base_url + "/account/security/passkeys/new")
    credential = SoftAuthenticator(pk_server.issuer).create(options)
    result = second.post_form(page, "/account/security/passkeys", credential=json.dumps(credential))
    assert result.status == 401 and result.has("error")
    assert pk_server.query("SELECT count(*) FROM passkey_credentials WHERE user_id = ?", pk_user.id) == [(0,)]


def test_adding_a_passkey_needs_a_verification_within_five_minutes(pk_server, pk_rp, pk_user):
    browser, _ = signed_in_browser(pk_server, pk_rp, pk_user)
    page = browser.open(pk_server.base_url + "/account/security/passkeys/new")
    credential = SoftAuthenticator(pk_server.issuer).create(passkey_options(page))
    db = sqlite3.connect(pk_server.db, timeout=10)
    try:
        with db:
            db.execute("UPDATE sessions SET auth_time = auth_time - 301 WHERE user_id = ?", (pk_user.id,))
    finally:
        db.close()
    result = browser.post_form(page, "/account/security/passkeys", credential=json.dumps(credential))
    assert isinstance(result, HostedPage) and result.is_reauth, result
    assert pk_server.query("SELECT count(*) FROM passkey_credentials WHERE user_id = ?", pk_user.id) == [(0,)]


@pytest.mark.parametrize(
    "tamper, reason",
    [({"origin": "http://127.0.0.1:1"}, "passkey_origin_mismatch"), ({"rp_id": "evil.example"}, "passkey_rp_id_mismatch"),
     ({"fmt": "packed"}, "passkey_unsupported_attestation")],
    ids=["wrong-origin", "wrong-rp-id", "packed-attestation"])
def test_a_tampered_registration_is_refused_and_adds_nothing(pk_server, pk_rp, pk_user, tamper, reason):
    browser, _ = signed_in_browser(pk_server, pk_rp, pk_user)
    page, options, credential = enrol(pk_server, browser, SoftAuthenticator(pk_server.issuer), **tamper)
    assert page.status in (400, 401) and page.has("error"), page.html
    with pytest.raises(InvalidRegistrationResponse):
        verify_registration_response(
            credential=json.dumps(credential), expected_challenge=b64url_decode(options["challenge"]),
            expected_origin=pk_server.issuer, expected_rp_id="localhost", require_user_verification=True)
    assert pk_server.query("SELECT count(*) FROM passkey_credentials WHERE user_id = ?", pk_user.id) == [(0,)]
    reasons = [row["reason"] for row in pk_server.audit(pk_user.email) if row["outcome"] == "failure"]
    assert reason in reasons, reasons


def test_a_discoverable_passkey_signs_in_without_an_email(pk_server, pk_rp, pk_user, enrolled):
    _, authenticator, _ = enrolled
    fresh = Browser(pk_server)  # no session
    request = pk_rp.authorization_request(acr_values=PHR)
    page = fresh.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in and page.has("passkey-form"), page
    options = passkey_options(page)
    assert options["allowCredentials"] == []
    redirect = fresh.post_form(page, "/passkey", credential=json.dumps(authenticator.get(options)))
    claims = pk_rp.validate_tokens(pk_rp.exchange(request, redirect), nonce=request.nonce)
    assert claims["sub"] == pk_user.id and claims["acr"] == PHR


def test_pages_keep_their_other_methods_for_browsers_without_javascript(pk_server, pk_rp, pk_user, enrolled):
    browser, _, _ = enrolled
    request = pk_rp.authorization_request(prompt="login")
    page = browser.open(request.url)
    assert page.has("passkey-form") and page.has("password")
    # The passkey part is hidden until the script shows it, and the page loads only that one script.
    assert re.search(r"<div data-passkey-section hidden>", page.html)
    assert re.findall(r"<script[^>]*>", page.html) == ['<script src="/reauth/static/passkey.js" defer>']
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert isinstance(browser.submit_password(page, pk_user.password), Redirect)


# --------------------------------------------------------------------------------------------
# Headless Chromium with a virtual authenticator
# --------------------------------------------------------------------------------------------


def by(kind: str, value: str):
    from selenium.webdriver.common.by import By

    return getattr(By, kind), value


def wait_for(driver, kind: str, value: str):
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(EC.element_to_be_clickable(by(kind, value)))


def virtual_authenticator(driver, user_verified: bool = True):
    from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions

    driver.add_virtual_authenticator(VirtualAuthenticatorOptions(
        protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True, has_user_verification=True,
        is_user_verified=user_verified))


def chromium_signs_in_and_enrols(driver, receiver, rp: RelyingParty, user: User) -> int:
    request = rp.authorization_request()
    driver.get(request.url)
    wait_for(driver, "ID", "email").send_keys(user.email)
    driver.find_element(*by("ID", "password")).send_keys(user.password)
    driver.find_element(*by("ID", "submit")).click()
    first = landed(driver, receiver, rp, request)
    driver.get(rp.server.issuer + "/account/security")
    wait_for(driver, "ID", "add-passkey").click()
    wait_for(driver, "ID", "create-passkey").click()
    wait_for(driver, "ID", "notice")
    assert "is added" in driver.find_element(*by("ID", "notice")).text
    return first["auth_time"]


def landed(driver, receiver, rp: RelyingParty, request) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, WAIT).until(lambda d: d.current_url.startswith(receiver.url + "?"))
    except Exception as error:
        raise AssertionError(f"the browser is at {driver.current_url}: {driver.find_element(*by('TAG_NAME', 'body')).text[:400]!r}") from error
    mine = [c for c in receiver.callbacks if c.get("state") == request.state]
    assert len(mine) == 1 and mine[0].get("code"), receiver.callbacks
    tokens = rp.exchange(request, Redirect(302, driver.current_url, {}))
    return rp.validate_tokens(tokens, nonce=request.nonce)


def test_chromium_enrols_a_passkey_and_steps_up_to_phr_on_another_origin(driver, pk_server, receiver, pk_rp, pk_user):
    virtual_authenticator(driver)
    first_auth_time = chromium_signs_in_and_enrols(driver, receiver, pk_rp, pk_user)
    time.sleep(1.1)
    request = pk_rp.authorization_request(acr_values=PHR, prompt="login")
    driver.get(request.url)
    wait_for(driver, "ID", "use-passkey").click()
    claims = landed(driver, receiver, pk_rp, request)
    assert claims["acr"] == PHR
    assert claims["amr"][0] in ("hwk", "swk") and "user" in claims["amr"]
    assert claims["auth_time"] > first_auth_time
    # Cross-check with the authenticator itself: Reverify stored the public half of the very key Chromium's
    # virtual authenticator holds (decoded by the webauthn package), for this RP ID and user, and its counter.
    from cryptography.hazmat.primitives import serialization
    from webauthn.helpers import decode_credential_public_key

    [held] = driver.get_credentials()
    assert held.rp_id == "localhost" and held.is_resident_credential
    assert b64url_decode(held.user_handle) == pk_user.id.encode()
    credential_id = held.id.rstrip("=")
    stored = decode_credential_public_key(stored_public_key(pk_server, credential_id))
    numbers = serialization.load_der_private_key(b64url_decode(held.private_key), None).public_key().public_numbers()
    assert (int.from_bytes(stored.x, "big"), int.from_bytes(stored.y, "big")) == (numbers.x, numbers.y)
    assert pk_server.query("SELECT sign_count FROM passkey_credentials WHERE credential_id = ?", credential_id) == [(held.sign_count,)]


def test_chromium_without_user_verification_does_not_reach_phr(driver, pk_server, receiver, pk_rp, pk_user):
    virtual_authenticator(driver)
    chromium_signs_in_and_enrols(driver, receiver, pk_rp, pk_user)
    driver.set_user_verified(False)
    request = pk_rp.authorization_request(acr_values=PHR, prompt="login")
    driver.get(request.url)
    wait_for(driver, "ID", "use-passkey").click()
    from selenium.webdriver.support.ui import WebDriverWait

    # Chromium itself refuses a ceremony that requires UV it cannot give (NotAllowedError, shown by the script);
    # a client that sent an assertion without UV anyway is refused by Reverify
    # (test_an_assertion_without_user_verification_does_not_reach_phr). Either way: never a code.
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_elements(*by("ID", "error")) or d.find_element(*by("ID", "passkey-status")).text.startswith("The passkey was not used"))
    time.sleep(0.5)
    assert not [c for c in receiver.callbacks if c.get("state") == request.state]
    assert "Confirm it" in driver.title or "One more step" in driver.page_source


# --------------------------------------------------------------------------------------------
# An issuer on an IP address
# --------------------------------------------------------------------------------------------


def test_an_issuer_on_an_ip_address_offers_no_passkeys(server, rp, user):
    """WebAuthn L3 5.1.3: an RP ID is a domain, never an IP address; such pages show no passkey and no script."""
    assert urllib.parse.urlsplit(server.issuer).hostname == "127.0.0.1"
    browser = Browser(server)
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in and not page.has("passkey-form")
    assert "<script" not in page.html and "script-src" not in page.headers["Content-Security-Policy"]
    rp.exchange(request, browser.submit_password(page, user.password, email=user.email))
    security = browser.open(server.base_url + "/account/security")
    assert isinstance(security, HostedPage) and security.status == 200 and not security.has("add-passkey")
    refused = browser.open(server.base_url + "/account/security/passkeys/new")
    assert refused.status == 404 and "domain name" in refused.text("error")


# --------------------------------------------------------------------------------------------
# phr decays after its own lifetime
# --------------------------------------------------------------------------------------------


def test_phr_decays_after_acr_lifetime_to_the_mfa_it_also_achieved(tmp_path, receiver):
    server = ReverifyServer(tmp_path / "decay", extra_args=("--acr-lifetime", "phr=2"))
    server.base_url = server.issuer = f"http://localhost:{server.port}"
    server.start()
    try:
        user = server.create_user(prefix="decay")
        rp = RelyingParty(server, server.create_client(redirect_uri=receiver.url, post_logout_redirect_uri=None))
        browser, _ = signed_in_browser(server, rp, user)
        authenticator = SoftAuthenticator(server.issuer)
        enrol(server, browser, authenticator)
        page, request = step_up_page(browser, rp)
        redirect = browser.post_form(page, "/passkey", credential=json.dumps(authenticator.get(passkey_options(page))))
        tokens = rp.exchange(request, redirect)
        assert rp.validate_tokens(tokens, nonce=request.nonce)["acr"] == PHR
        time.sleep(3)
        refreshed = rp.refresh(tokens["refresh_token"])
        claims = rp.validate_id_token(refreshed["id_token"], nonce=None)
        assert claims["acr"] == "urn:reverify:acr:mfa" and "mfa" in claims["amr"], claims
    finally:
        server.stop()
