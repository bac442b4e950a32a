"""Authenticator apps (issue 18): enrolment on /account/security, step-up with a TOTP code, recovery, CLI, events.

Codes come from ``pyotp`` (an independent RFC 6238 implementation) configured only from the otpauth:// URI the
page shows; the QR code on the page is rendered by cairosvg and decoded by zxing-cpp, and must decode to exactly
that URI (a QR code a phone cannot read is a defect). Relying parties are authlib clients; the browser test runs
headless Chromium with the relying party on another origin (``localhost`` while Reverify is ``127.0.0.1``).
"""

from __future__ import annotations

import io
import re
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from reverify_e2e import Browser, HostedPage, Receiver, Redirect, RelyingParty, ReverifyServer, User
from test_browser_cross_origin import CallbackReceiver, by, redeem, wait_for

import pyotp  # noqa: E402 (an independent RFC 6238 implementation)

TIMEOUT = 30


@pytest.fixture(scope="module")
def totp_server(tmp_path_factory) -> Iterator[ReverifyServer]:
    server = ReverifyServer(tmp_path_factory.mktemp("reverify-totp"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hooks(totp_server) -> Iterator[Receiver]:
    receiver = Receiver().start()
    totp_server.add_webhook_endpoint(
        receiver, "--events", "authentication.factor_added,authentication.factor_removed,authentication.failed")
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def person(totp_server, request) -> User:
    return totp_server.create_user(prefix=request.node.name[5:25].replace("_", "-").strip("-"))


@pytest.fixture
def rp(totp_server) -> RelyingParty:
    return RelyingParty(totp_server, totp_server.create_client())


# --------------------------------------------------------------------------------------------
# Helpers: the security page through a cookie-keeping HTTP client
# --------------------------------------------------------------------------------------------


def page(browser: Browser, path: str) -> HostedPage:
    response = browser.http.get(browser.server.base_url + path, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 200, (response.status_code, response.headers.get("Location"), response.text[:300])
    return HostedPage.from_response(response)


def post(browser: Browser, on: HostedPage, action: str, **fields: str):
    form = on.form(action)
    data = {**form["inputs"], **fields}
    return browser.http.post(urllib.parse.urljoin(on.url, form["action"]), data=data, allow_redirects=False,
                             timeout=TIMEOUT)


def signed_in(server: ReverifyServer, rp: RelyingParty, user: User) -> tuple[Browser, dict]:
    browser = Browser(server)
    request = rp.authorization_request()
    claims = rp.validate_tokens(rp.exchange(request, browser.sign_in(request.url, user)), nonce=request.nonce)
    return browser, claims


def otpauth_uri(enrolment: HostedPage) -> str:
    return enrolment.text("otpauth-uri")


def away_from_step_edge() -> None:
    """Waits until the current 30 s step began 2 s ago and has 10 s left, so the codes computed next are judged in
    the same step by the server even on a loaded machine (a drift test on a step edge would test the clock, not
    the rule)."""
    while not 2 <= time.time() % 30 <= 20:
        time.sleep(0.25)


@dataclass
class Enrolled:
    browser: Browser
    totp: object  # pyotp.TOTP
    factor_id: str
    uri: str


def enrol(server: ReverifyServer, rp: RelyingParty, user: User, name: str = "Phone") -> Enrolled:
    browser, _ = signed_in(server, rp, user)
    security = page(browser, "/account/security")
    started = post(browser, security, "/account/security/totp")
    assert started.status_code == 303, started.text[:300]
    factor_id = started.headers["Location"].rsplit("/", 1)[-1]
    assert factor_id.startswith("fac_")
    enrolment = page(browser, started.headers["Location"])
    uri = otpauth_uri(enrolment)
    totp = pyotp.parse_uri(uri)
    away_from_step_edge()
    confirmed = post(browser, enrolment, "/confirm", code=totp.now(), name=name)
    assert confirmed.status_code == 200 and "is set up" in confirmed.text, confirmed.text[:500]
    return Enrolled(browser, totp, factor_id, uri)


def reauth_page(browser: Browser, rp: RelyingParty, **extra) -> tuple[object, HostedPage]:
    request = rp.authorization_request(**extra)
    shown = browser.open(request.url)
    assert isinstance(shown, HostedPage) and shown.is_reauth, shown
    return request, shown


def next_step_code(totp) -> str:
    """The code of the next step: within the one step of drift allowed, and never the step used to confirm."""
    return totp.at(time.time() + 30)


# --------------------------------------------------------------------------------------------
# Enrolment in a real browser, step-up on a relying party of another origin
# --------------------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    running = CallbackReceiver()
    running.start()
    try:
        yield running
    finally:
        running.stop()


def decode_qr(svg: str) -> str:
    import cairosvg
    import zxingcpp
    from PIL import Image

    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=600, output_height=600, background_color="white")
    # Only QR codes are looked for, and one symbol may be reported more than once (zxing tries rotated, inverted
    # and downscaled copies of the image): the page must show exactly one distinct QR code.
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    texts = {result.text for result in results}
    assert len(texts) == 1, f"expected one QR code, decoded {[(str(r.format), r.text) for r in results]}"
    return texts.pop()


def test_enrolment_in_chromium_qr_decodes_to_the_uri_and_the_app_steps_up_a_relying_party(
        driver, totp_server, receiver, person):
    rp = RelyingParty(totp_server, totp_server.create_client(redirect_uri=receiver.url, post_logout_redirect_uri=None))
    # Sign in by password at the relying party (another origin): the browser now has a session.
    request = rp.authorization_request()
    driver.get(request.url)
    wait_for(driver, "ID", "email").send_keys(person.email)
    driver.find_element(*by("ID", "password")).send_keys(person.password)
    driver.find_element(*by("ID", "submit")).click()
    first = redeem(driver, receiver, rp, request, person)

    # The security page, then "Add authenticator app".
    driver.get(totp_server.base_url + "/account/security")
    wait_for(driver, "ID", "add-totp").click()
    wait_for(driver, "ID", "totp-code")
    svg = driver.find_element(*by("CSS_SELECTOR", "#totp-qr svg")).get_attribute("outerHTML")
    uri = driver.find_element(*by("ID", "otpauth-uri")).get_attribute("textContent")
    driver.save_screenshot(str(totp_server.workdir / "totp-enrolment.png"))
    assert re.fullmatch(
        r"otpauth://totp/Reverify:[^?]+\?secret=[A-Z2-7]+&issuer=Reverify&algorithm=SHA1&digits=6&period=30", uri), uri
    assert urllib.parse.unquote(uri.split("?")[0]) == f"otpauth://totp/Reverify:{person.email}"
    assert decode_qr(svg) == uri
    totp = pyotp.parse_uri(uri)
    assert (totp.digits, totp.interval, totp.issuer, totp.name) == (6, 30, "Reverify", person.email)
    assert len(totp.byte_secret()) * 8 >= 160

    away_from_step_edge()
    driver.find_element(*by("ID", "totp-code")).send_keys(totp.now())
    driver.find_element(*by("ID", "confirm-totp")).click()
    assert "is set up" in wait_for(driver, "ID", "notice").text
    assert driver.find_element(*by("CSS_SELECTOR", "li.factor")).get_attribute("data-confirmed") == "true"

    # Step-up at the relying party with the app alone (the password was minutes ago, within the mfa window).
    time.sleep(1.1)
    request = rp.authorization_request(max_age=0)
    driver.get(request.url)
    wait_for(driver, "ID", "totp-code").send_keys(next_step_code(totp))
    driver.find_element(*by("ID", "totp-submit")).click()
    claims = redeem(driver, receiver, rp, request, person)
    assert "otp" in claims["amr"], claims
    assert claims["auth_time"] > first["auth_time"]
    assert claims["acr"] == "urn:reverify:acr:mfa" and "mfa" in claims["amr"], "password + app code is mfa"


# --------------------------------------------------------------------------------------------
# Step-up rules with pyotp codes
# --------------------------------------------------------------------------------------------


def test_valid_code_reverifies_with_otp_and_a_new_auth_time(totp_server, rp, person):
    enrolled = enrol(totp_server, rp, person)
    sessions_before = totp_server.sessions(person.email)
    time.sleep(1.1)
    request, shown = reauth_page(enrolled.browser, rp, max_age=0)
    redirect = enrolled.browser.post_form(shown, "/totp", code=next_step_code(enrolled.totp))
    assert isinstance(redirect, Redirect), getattr(redirect, "html", "")[:500]
    claims = rp.validate_tokens(rp.exchange(request, redirect), nonce=request.nonce)
    assert claims["amr"][0] == "otp"
    assert claims["auth_time"] > max(s["auth_time"] for s in sessions_before)


def test_password_then_code_makes_mfa(totp_server, rp, person):
    enrolled = enrol(totp_server, rp, person)
    request, shown = reauth_page(enrolled.browser, rp, acr_values="urn:reverify:acr:mfa", max_age=0)
    assert shown.has("totp-code"), shown.html[:2000]
    redirect = enrolled.browser.post_form(shown, "/totp", code=next_step_code(enrolled.totp))
    claims = rp.validate_tokens(rp.exchange(request, redirect), nonce=request.nonce)
    assert claims["acr"] == "urn:reverify:acr:mfa"
    assert claims["amr"] == ["otp", "mfa"]


def test_a_code_works_once(totp_server, rp, person):
    enrolled = enrol(totp_server, rp, person)
    code = next_step_code(enrolled.totp)
    _, shown = reauth_page(enrolled.browser, rp, max_age=0)
    assert isinstance(enrolled.browser.post_form(shown, "/totp", code=code), Redirect)
    _, again = reauth_page(enrolled.browser, rp, max_age=0)
    refused = enrolled.browser.post_form(again, "/totp", code=code)
    assert isinstance(refused, HostedPage) and refused.status == 401
    assert "already used" in refused.text("error")
    assert totp_server.audit(person.email)[0]["reason"] == "code_reused"


def test_a_code_two_steps_away_is_refused_one_step_away_accepted(totp_server, rp, person):
    enrolled = enrol(totp_server, rp, person)
    _, shown = reauth_page(enrolled.browser, rp, max_age=0)
    away_from_step_edge()
    for offset in (-60, 60):
        refused = enrolled.browser.post_form(shown, "/totp", code=enrolled.totp.at(time.time() + offset))
        assert isinstance(refused, HostedPage) and refused.status == 401, offset
    accepted = enrolled.browser.post_form(shown, "/totp", code=enrolled.totp.at(time.time() + 30))
    assert isinstance(accepted, Redirect) and "code" in accepted.params


def test_wrong_codes_count_towards_the_account_lockout(totp_server, rp, person, hooks):
    enrolled = enrol(totp_server, rp, person)
    _, shown = reauth_page(enrolled.browser, rp, max_age=0)
    good = next_step_code(enrolled.totp)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(10):
        refused = enrolled.browser.post_form(shown, "/totp", code=wrong)
        assert isinstance(refused, HostedPage) and refused.status == 401
    locked = enrolled.browser.post_form(shown, "/totp", code=good)
    assert isinstance(locked, HostedPage) and locked.status == 429
    # One budget: the password is locked out too.
    password = enrolled.browser.submit_password(shown, person.password)
    assert isinstance(password, HostedPage) and password.status == 429
    failures = hooks.wait_for(
        lambda ds: len([d for d in ds if d.event["type"] == "authentication.failed"
                        and d.event["data"].get("user_id") == person.id]) >= 10, TIMEOUT, "failure events")
    wrong_codes = [d.event for d in failures
                   if d.event["data"].get("user_id") == person.id and d.event["data"].get("reason") == "wrong_code"]
    assert len(wrong_codes) == 10 and {e["data"]["method"] for e in wrong_codes} == {"totp"}


def test_a_code_that_is_not_six_digits_changes_nothing(totp_server, rp, person):
    enrolled = enrol(totp_server, rp, person)
    _, shown = reauth_page(enrolled.browser, rp, max_age=0)
    refused = enrolled.browser.post_form(shown, "/totp", code="12ab56")
    assert isinstance(refused, HostedPage) and refused.status == 400
    assert not [a for a in totp_server.audit(person.email) if a.get("reason") == "wrong_code"]


# --------------------------------------------------------------------------------------------
# The 5-minute rule, recovery, CLI and events
# --------------------------------------------------------------------------------------------


def age_sessions(server: ReverifyServer, user: User, seconds: int) -> None:
    """Moves the user's last verification into the past, as if `seconds` had gone by."""
    db = sqlite3.connect(server.db, timeout=10)
    try:
        with db:
            db.execute("UPDATE sessions SET auth_time = auth_time - ? WHERE user_id = ?", (seconds, user.id))
    finally:
        db.close()


def test_removing_the_last_factor_needs_a_verification_within_five_minutes(totp_server, rp, person, hooks):
    enrolled = enrol(totp_server, rp, person)
    age_sessions(totp_server, person, 301)
    security = page(enrolled.browser, "/account/security")
    assert security.has("reverify-note")
    gated = post(enrolled.browser, security, f"/account/security/factors/{enrolled.factor_id}/remove")
    assert gated.status_code == 303 and gated.headers["Location"].startswith("/reauth/req_")
    assert len(totp_server.cli_json("users", "factors", "list", person.email, "--json")) == 1, "nothing removed yet"

    # The normal hosted re-verification, which returns to the security page; then the removal goes through.
    confirm = enrolled.browser.open(totp_server.base_url + gated.headers["Location"])
    assert isinstance(confirm, HostedPage) and confirm.is_reauth
    back = enrolled.browser.submit_password(confirm, person.password)
    assert isinstance(back, Redirect) and back.location == "/account/security"
    reverified = next(a for a in totp_server.audit(person.email) if a["event"] == "authentication.reauthentication")
    assert (reverified["outcome"], reverified["reason"], reverified["client_id"]) == (
        "success", "account_security", "cli_reverify_account")
    security = page(enrolled.browser, "/account/security")
    assert not security.has("reverify-note")
    removed = post(enrolled.browser, security, f"/account/security/factors/{enrolled.factor_id}/remove")
    assert removed.status_code == 200 and "was removed" in removed.text
    assert totp_server.cli_json("users", "factors", "list", person.email, "--json") == []
    event = hooks.wait_for(
        lambda ds: any(d.event["type"] == "authentication.factor_removed" and d.event["data"]["user_id"] == person.id
                       for d in ds), TIMEOUT, "factor_removed")
    removed_event = next(d.event for d in event if d.event["type"] == "authentication.factor_removed"
                         and d.event["data"]["user_id"] == person.id)
    assert removed_event["data"]["factor"] == {"id": enrolled.factor_id, "kind": "totp", "name": "Phone"}
    assert removed_event["data"]["reason"] == "user"


def test_adding_after_five_minutes_needs_a_verification_first(totp_server, rp, person):
    browser, _ = signed_in(totp_server, rp, person)
    age_sessions(totp_server, person, 301)
    gated = post(browser, page(browser, "/account/security"), "/account/security/totp")
    assert gated.status_code == 303 and gated.headers["Location"].startswith("/reauth/req_")
    assert totp_server.cli_json("users", "factors", "list", person.email, "--json") == []


def test_the_security_page_refuses_a_form_without_its_csrf_token(totp_server, rp, person):
    browser, _ = signed_in(totp_server, rp, person)
    refused = browser.http.post(totp_server.base_url + "/account/security/totp", data={"csrf_token": "x"},
                                allow_redirects=False, timeout=TIMEOUT)
    assert refused.status_code == 403
    csp = page(browser, "/account/security").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self';" in csp and "frame-ancestors 'none'" in csp


def test_factor_added_event_names_the_factor(totp_server, rp, person, hooks):
    enrolled = enrol(totp_server, rp, person, name="Work phone")
    deliveries = hooks.wait_for(
        lambda ds: any(d.event["type"] == "authentication.factor_added" and d.event["data"]["user_id"] == person.id
                       for d in ds), TIMEOUT, "factor_added")
    event = next(d.event for d in deliveries if d.event["type"] == "authentication.factor_added"
                 and d.event["data"]["user_id"] == person.id)
    assert event["data"]["factor"] == {"id": enrolled.factor_id, "kind": "totp", "name": "Work phone"}
    assert event["id"].startswith("evt_") and event["created_at"].endswith("Z")


def test_cli_lists_and_removes_factors(totp_server, rp, person, hooks):
    enrolled = enrol(totp_server, rp, person)
    listed = totp_server.cli_json("users", "factors", "list", person.email, "--json")
    assert [(f["id"], f["kind"], f["name"], f["confirmed"]) for f in listed] == [
        (enrolled.factor_id, "totp", "Phone", True)]
    assert "secret" not in listed[0]
    text = totp_server.cli("users", "factors", "list", person.email).stdout
    assert enrolled.factor_id in text and "confirmed" in text

    for args, message in (
            (("remove", person.email, "fac_doesnotexist"), "has no factor fac_doesnotexist"),
            (("remove", person.email, "not-an-id"), "is not a factor id"),
            (("list", "nobody@example.com"), "no user with email nobody@example.com")):
        failed = totp_server.cli("users", "factors", *args, check=False)
        assert failed.returncode != 0 and message in failed.stderr, (args, failed.stderr)
        assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr

    removed = totp_server.cli("users", "factors", "remove", person.email, enrolled.factor_id)
    assert enrolled.factor_id in removed.stdout
    assert totp_server.cli_json("users", "factors", "list", person.email, "--json") == []
    deliveries = hooks.wait_for(
        lambda ds: any(d.event["type"] == "authentication.factor_removed" and d.event["data"]["user_id"] == person.id
                       for d in ds), TIMEOUT, "factor_removed by the operator")
    event = next(d.event for d in deliveries if d.event["type"] == "authentication.factor_removed"
                 and d.event["data"]["user_id"] == person.id)
    assert event["data"]["reason"] == "operator"

    # Without a factor, the re-authentication page no longer offers the app.
    _, shown = reauth_page(enrolled.browser, rp, max_age=0)
    assert not shown.has("totp-code")


# --------------------------------------------------------------------------------------------
# Secrets at rest
# --------------------------------------------------------------------------------------------


def test_with_a_master_key_the_app_secret_is_sealed_and_still_verifies(tmp_path):
    from test_secrets_at_rest import database_bytes, init_key

    key = init_key(tmp_path / "master.key")
    server = ReverifyServer(tmp_path / "sealed", env={"REVERIFY_MASTER_KEY_FILE": str(key)})
    server.start()
    try:
        user = server.create_user(prefix="sealed-totp")
        rp = RelyingParty(server, server.create_client())
        enrolled = enrol(server, rp, user)
        secret = enrolled.totp.byte_secret()  # the HMAC key the app holds
        stored = server.query("SELECT secret FROM user_factors WHERE id = ?", enrolled.factor_id)[0][0]
        assert stored.startswith("rvenc1:"), stored[:12]
        assert secret not in database_bytes(server) and enrolled.totp.secret.encode() not in database_bytes(server)
        assert server.cli_json("secrets", "status", "--json")["unencrypted"] == 0
        _, shown = reauth_page(enrolled.browser, rp, max_age=0)
        assert isinstance(enrolled.browser.post_form(shown, "/totp", code=next_step_code(enrolled.totp)), Redirect)
    finally:
        server.stop()
