"""Every way of verifying, in a real headless Chromium, with the relying party on ANOTHER origin.

Reverify runs on ``http://127.0.0.1:<port>``; the relying party's callback is a tiny real HTTP server on
``http://localhost:<other port>/cb`` that records what arrives. Each hosted page that POSTs and then
redirects to the relying party must allow that origin in CSP ``form-action`` (which also governs the
redirects after a form submission), or Chromium stops the browser before the callback. The browser must
arrive at ``/cb`` with ``code``, ``state`` and ``iss``, and authlib redeems the code.

Covered: password sign-in, password re-authentication, emailed link (the confirmation page), emailed
code, upstream SSO (Reverify's "Continue with" form, then the provider's own form), and cancel.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator

import pytest

from mail_inbox import Inbox, code_and_link, smtp_inbox
from reverify_e2e import CallbackReceiver, Redirect, RelyingParty, ReverifyServer, User, unique
from upstream_provider import UpstreamProvider

WAIT = 20  # seconds a page may take on a loaded machine


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as running:
        yield running


@pytest.fixture(scope="module")
def xo_server(tmp_path_factory, inbox) -> Iterator[ReverifyServer]:
    """A server that mails through the real SMTP inbox."""
    _, smtp_port = inbox
    server = ReverifyServer(
        tmp_path_factory.mktemp("reverify-cross-origin"),
        extra_args=("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--smtp-security", "none"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    running = CallbackReceiver(host="localhost")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def xo_user(xo_server, request) -> User:
    return xo_server.create_user(prefix=request.node.name[:20].replace("_", "-"))


@pytest.fixture
def xo_rp(xo_server, receiver) -> RelyingParty:
    client = xo_server.create_client(redirect_uri=receiver.url, post_logout_redirect_uri=None)
    assert urllib.parse.urlsplit(client.redirect_uri).netloc != urllib.parse.urlsplit(xo_server.issuer).netloc
    return RelyingParty(xo_server, client)


def by(kind: str, value: str):
    from selenium.webdriver.common.by import By

    return getattr(By, kind), value


def wait_for(driver, kind: str, value: str):
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(EC.element_to_be_clickable(by(kind, value)))


def arrived(driver, receiver: CallbackReceiver, rp: RelyingParty, request) -> dict[str, str]:
    """Waits until the browser itself is at the RP's /cb for this request; returns what the RP received."""
    from selenium.webdriver.support.ui import WebDriverWait

    def landed(d):
        return d.current_url.startswith(receiver.url + "?") and d.find_elements(*by("ID", "rp-landed"))

    try:
        WebDriverWait(driver, WAIT).until(landed)
    except Exception as error:  # selenium's TimeoutException: say where the browser got stuck instead
        raise AssertionError(
            f"the browser never reached {receiver.url}; it is at {driver.current_url}: "
            f"{driver.find_element(*by('TAG_NAME', 'body')).text[:300]!r}") from error
    mine = [c for c in receiver.callbacks if c.get("state") == request.state]
    assert len(mine) == 1, receiver.callbacks
    params = mine[0]
    assert params.get("iss") == rp.server.issuer, params
    return params


def redeem(driver, receiver, rp: RelyingParty, request, user: User) -> dict:
    """The browser arrived with a code; authlib redeems it and the tokens are for this user."""
    params = arrived(driver, receiver, rp, request)
    assert params.get("code"), params
    tokens = rp.exchange(request, Redirect(302, driver.current_url, {}))
    claims = rp.validate_tokens(tokens, nonce=request.nonce)
    assert claims["sub"] == user.id
    return claims


def start_sign_in(driver, rp: RelyingParty, **extra):
    request = rp.authorization_request(**extra)
    driver.get(request.url)
    wait_for(driver, "ID", "email")
    assert driver.title.startswith("Sign in"), driver.title
    return request


def sign_in_with_password(driver, receiver, rp: RelyingParty, user: User) -> dict:
    request = start_sign_in(driver, rp)
    driver.find_element(*by("ID", "email")).send_keys(user.email)
    driver.find_element(*by("ID", "password")).send_keys(user.password)
    driver.find_element(*by("ID", "submit")).click()
    return redeem(driver, receiver, rp, request, user)


def ask_for_email(driver, rp: RelyingParty, user: User):
    request = start_sign_in(driver, rp)
    field = driver.find_element(*by("ID", "email-link"))
    field.clear()
    field.send_keys(user.email)
    driver.find_element(*by("ID", "email-me")).click()
    wait_for(driver, "ID", "code")
    assert driver.title.startswith("Check your email"), driver.title
    return request


# --------------------------------------------------------------------------------------------


def test_password_sign_in_reaches_a_relying_party_on_another_origin(driver, xo_server, receiver, xo_rp, xo_user):
    claims = sign_in_with_password(driver, receiver, xo_rp, xo_user)
    assert claims["amr"] == ["pwd"]


def test_password_reauthentication_reaches_a_relying_party_on_another_origin(driver, xo_server, receiver, xo_rp,
                                                                             xo_user):
    first = sign_in_with_password(driver, receiver, xo_rp, xo_user)
    time.sleep(1.1)  # so the re-verification's auth_time is visibly later
    request = xo_rp.authorization_request(prompt="login")
    driver.get(request.url)
    wait_for(driver, "ID", "password").send_keys(xo_user.password)
    assert "Confirm it" in driver.title
    driver.find_element(*by("ID", "submit")).click()
    claims = redeem(driver, receiver, xo_rp, request, xo_user)
    assert claims["auth_time"] > first["auth_time"]


def test_emailed_link_confirmation_reaches_a_relying_party_on_another_origin(driver, xo_server, receiver, xo_rp,
                                                                             xo_user, inbox):
    request = ask_for_email(driver, xo_rp, xo_user)
    _, link = code_and_link(inbox[0].wait_for(xo_user.email))
    driver.get(link)
    wait_for(driver, "ID", "confirm-link").click()
    claims = redeem(driver, receiver, xo_rp, request, xo_user)
    assert claims["amr"] == ["otp"]


def test_emailed_code_reaches_a_relying_party_on_another_origin(driver, xo_server, receiver, xo_rp, xo_user, inbox):
    request = ask_for_email(driver, xo_rp, xo_user)
    code, _ = code_and_link(inbox[0].wait_for(xo_user.email))
    driver.find_element(*by("ID", "code")).send_keys(code)
    driver.find_element(*by("ID", "submit-code")).click()
    claims = redeem(driver, receiver, xo_rp, request, xo_user)
    assert claims["amr"] == ["otp"]


def test_upstream_sso_reaches_a_relying_party_on_another_origin(driver, xo_server, receiver, xo_rp, xo_user):
    provider = UpstreamProvider()
    provider.start()
    try:
        client = provider.add_client(xo_server.issuer + "/reauth/upstream/callback")
        name = unique("Corp")
        xo_server.cli("upstreams", "add", "--name", name, "--issuer", provider.issuer, "--client-id",
                      client.client_id, "--client-secret-stdin", input=client.client_secret)
        account = provider.add_account(xo_user.email)
        xo_server.cli("users", "link", xo_user.email, "--upstream", name, "--subject", account.sub)

        request = start_sign_in(driver, xo_rp, login_hint=xo_user.email)
        driver.find_element(*by("XPATH", f"//button[normalize-space()='Continue with {name}']")).click()
        wait_for(driver, "NAME", "username").send_keys(account.username)
        driver.find_element(*by("NAME", "password")).send_keys(account.password)
        driver.find_element(*by("CSS_SELECTOR", "#login button")).click()
        claims = redeem(driver, receiver, xo_rp, request, xo_user)
        assert claims["amr"][0] == "fed"
    finally:
        provider.stop()


def test_cancel_reaches_a_relying_party_on_another_origin(driver, xo_server, receiver, xo_rp, xo_user):
    request = start_sign_in(driver, xo_rp)
    driver.find_element(*by("ID", "cancel")).click()
    params = arrived(driver, receiver, xo_rp, request)
    assert params.get("error") == "access_denied" and "code" not in params, params
