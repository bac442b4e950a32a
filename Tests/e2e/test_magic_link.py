"""Issue 4: re-verification by an emailed magic link or 6-digit code, delivered over real SMTP.

A real SMTP server (aiosmtpd) listens on a loopback port; Reverify is configured to relay to it;
the tests read the delivered message from that server, as a user would read their inbox.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.parse

import pytest

from mail_inbox import code_and_link, parts, smtp_inbox
from reverify_e2e import Browser, HostedPage, Redirect, RelyingParty, ReverifyServer, free_port


@pytest.fixture(scope="module")
def inbox():
    with smtp_inbox() as running:
        yield running


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory, inbox):
    _, smtp_port = inbox
    server = ReverifyServer(
        tmp_path_factory.mktemp("reverify-mail"),
        extra_args=("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--smtp-security", "none",
                    "--mail-from", "login@reverify.test", "--magic-link-minutes", "10"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_user(mail_server, request):
    return mail_server.create_user(prefix=request.node.name[:20].replace("_", "-"))


@pytest.fixture
def mail_rp(mail_server):
    return RelyingParty(mail_server, mail_server.create_client())


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    """Polls for something the server does off the request path (it never proves that something did NOT happen)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def request_email(browser: Browser, page: HostedPage, email_address: str | None = None) -> HostedPage:
    fields = {"email": email_address} if email_address is not None else {}
    result = browser.post_form(page, "/email", **fields)
    assert isinstance(result, HostedPage), result
    return result


def type_code(browser: Browser, page: HostedPage, code: str):
    return browser.post_form(page, "/code", code=code)


def open_link(browser: Browser, link: str) -> HostedPage:
    response = browser.http.get(link, allow_redirects=False, timeout=30)
    return HostedPage.from_response(response)


def confirm_link(browser: Browser, page: HostedPage):
    form = page.form("")  # the confirmation form posts to the link itself
    target = urllib.parse.urljoin(page.url, form["action"])
    return browser._settle(browser.http.post(target, data=dict(form["inputs"]), allow_redirects=False, timeout=30))


def signed_in_with_password(mail_rp, browser, user, **extra):
    request = mail_rp.authorization_request(**extra)
    redirect = browser.sign_in(request.url, user)
    return mail_rp.validate_tokens(mail_rp.exchange(request, redirect), request.nonce)


def reauth_page(mail_rp, browser, **extra):
    request = mail_rp.authorization_request(prompt="login", **extra)
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_reauth, page
    return request, page


# -- delivery --------------------------------------------------------------------------------


def test_one_message_carries_link_code_expiry_and_requesting_ip(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    signed_in_with_password(mail_rp, browser, mail_user)
    _, page = reauth_page(mail_rp, browser)

    check = request_email(browser, page)

    assert check.status == 200 and check.has("code")
    message = handler.wait_for(mail_user.email)
    assert message["From"].addresses[0].addr_spec == "login@reverify.test"
    text, html = parts(message)
    code, link = code_and_link(message)
    assert code in message["Subject"]
    assert link.startswith(mail_server.base_url + "/reauth/magic/rvm_")
    assert "10 minutes" in text and "127.0.0.1" in text and "If this wasn't you" in text
    assert code in html and link in html
    # One request, one message: the server recorded exactly one link, and (once its delivery is recorded,
    # off the request path) exactly one send.
    def sends():
        return [(r["outcome"], r["reason"]) for r in mail_server.audit(mail_user.email) if r["event"] == "magic_auth.created"]
    wait_until(lambda: sends(), "the delivery to be audited")
    assert sends() == [("success", "sent")]
    delivered = "SELECT count(*), count(sent_at) FROM magic_links WHERE user_id = ?"
    assert mail_server.query(delivered, mail_user.id) == [(1, 1)]
    assert handler.count(mail_user.email) == 1


# -- the code path --------------------------------------------------------------------------------


def test_emailed_code_reauthenticates_with_otp_and_mfa_after_password(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    first = signed_in_with_password(mail_rp, browser, mail_user)
    time.sleep(1.1)
    request, page = reauth_page(mail_rp, browser)
    check = request_email(browser, page)
    code, _ = code_and_link(handler.wait_for(mail_user.email))

    redirect = type_code(browser, check, code)

    assert isinstance(redirect, Redirect), redirect
    claims = mail_rp.validate_tokens(mail_rp.exchange(request, redirect), request.nonce)
    assert claims["auth_time"] > first["auth_time"]
    # Password then emailed code within the freshness window: two factors (RFC 8176 mfa).
    assert claims["amr"] == ["otp", "mfa"]
    assert claims["sid"] == first["sid"]


def test_code_signs_in_without_a_session(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    request = mail_rp.authorization_request(max_age=300)
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    check = request_email(browser, page, mail_user.email)
    code, _ = code_and_link(handler.wait_for(mail_user.email))

    redirect = type_code(browser, check, code)

    claims = mail_rp.validate_tokens(mail_rp.exchange(request, redirect), request.nonce)
    assert claims["amr"] == ["otp"]
    assert abs(claims["auth_time"] - time.time()) < 5


def test_five_wrong_codes_burn_the_code(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    signed_in_with_password(mail_rp, browser, mail_user)
    _, page = reauth_page(mail_rp, browser)
    check = request_email(browser, page)
    code, _ = code_and_link(handler.wait_for(mail_user.email))
    wrong = "000000" if code != "000000" else "111111"

    for attempt in range(5):
        check = type_code(browser, check, wrong)
        assert isinstance(check, HostedPage) and check.status == 401, attempt
    assert "no longer works" in check.text("error")
    after = type_code(browser, check, code)

    # A burned code is gone, even when right: 410, never a sign-in.
    assert isinstance(after, HostedPage) and after.status == 410, after
    assert "can no longer be used" in after.text("error")
    failures = [r for r in mail_server.audit(mail_user.email) if r.get("reason") == "wrong_code"]
    assert len(failures) == 5


# -- the link path --------------------------------------------------------------------------------


def test_magic_link_get_only_confirms_and_post_completes(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    first = signed_in_with_password(mail_rp, browser, mail_user)
    time.sleep(1.1)
    request, page = reauth_page(mail_rp, browser)
    request_email(browser, page)
    _, link = code_and_link(handler.wait_for(mail_user.email))

    confirmation = open_link(browser, link)
    again = open_link(browser, link)  # an email scanner's GET changes nothing

    assert confirmation.status == 200 and again.status == 200 and confirmation.has("confirm-link")
    redirect = confirm_link(browser, again)
    assert isinstance(redirect, Redirect), redirect
    claims = mail_rp.validate_tokens(mail_rp.exchange(request, redirect), request.nonce)
    assert claims["auth_time"] > first["auth_time"]
    assert "otp" in claims["amr"]


def test_reused_link_is_refused(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    signed_in_with_password(mail_rp, browser, mail_user)
    _, page = reauth_page(mail_rp, browser)
    request_email(browser, page)
    _, link = code_and_link(handler.wait_for(mail_user.email))
    confirmation = open_link(browser, link)
    assert isinstance(confirm_link(browser, confirmation), Redirect)

    reused = open_link(browser, link)

    assert reused.status == 410
    assert "expired or was already used" in reused.html


def test_link_opened_in_another_browser_does_not_sign_it_in(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    request = mail_rp.authorization_request()
    page = browser.open(request.url)
    check = request_email(browser, page, mail_user.email)
    code, link = code_and_link(handler.wait_for(mail_user.email))
    # Another browser that has been to Reverify before: it carries a browser cookie of its own.
    stranger = Browser(mail_server)
    stranger.open(mail_rp.authorization_request().url)
    assert stranger.http.cookies.get("reverify_browser") not in (None, browser.http.cookies.get("reverify_browser"))

    opened = open_link(stranger, link)
    posted = stranger.http.post(link, data={"csrf_token": check.form("/code")["inputs"]["csrf_token"]},
                                allow_redirects=False, timeout=30)

    assert opened.status == 403 and "type the 6-digit code" in opened.html
    assert posted.status_code == 403
    assert stranger.session_cookie is None
    # The stranger used up nothing: the original browser finishes, here with the code.
    redirect = type_code(browser, check, code)
    assert isinstance(redirect, Redirect), redirect
    claims = mail_rp.validate_tokens(mail_rp.exchange(request, redirect), request.nonce)
    assert claims["sub"] == mail_user.id and claims["amr"] == ["otp"]


# The link's expiry is tested with an injected clock in
# Tests/ReverifyServerTests/EmailVerificationRoutesTests.swift (no 61 s wait here).


# -- abuse and failure ----------------------------------------------------------------------


def test_unknown_email_gets_the_same_page_and_no_message(mail_server, mail_rp, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    page = browser.open(mail_rp.authorization_request().url)
    nobody = "nobody-%d@example.com" % time.time_ns()

    check = request_email(browser, page, nobody)

    assert check.status == 200 and check.has("code")
    # What the server recorded: an unknown_user refusal, and no link to send.
    flow = re.search(r"/reauth/(req_[A-Za-z0-9]+)", check.url).group(1)
    assert mail_server.query("SELECT count(*) FROM magic_links WHERE request_id = ?", flow) == [(0,)]
    refusals = [r for r in mail_server.cli_json("audit", "--limit", "1000")
                if r.get("client_id") == mail_rp.client.client_id and r["event"] == "magic_auth.created"]
    assert [(r["outcome"], r["reason"], r.get("user_id")) for r in refusals] == [("failure", "unknown_user", None)]
    assert handler.count(nobody) == 0


def test_requests_per_user_are_rate_limited(mail_server, mail_rp, mail_user, inbox):
    handler, _ = inbox
    browser = Browser(mail_server)
    page = browser.open(mail_rp.authorization_request().url)
    statuses = []
    for _ in range(6):
        result = request_email(browser, page, mail_user.email)
        statuses.append(result.status)
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    assert "Too many emails" in result.text("error")
    # Mail leaves off the request path: wait for the five that were allowed, then check nothing more was made.
    handler.wait_for(mail_user.email, count=5)
    assert mail_server.query("SELECT count(*) FROM magic_links WHERE user_id = ?", mail_user.id) == [(5,)]
    assert handler.count(mail_user.email) == 5


def test_unreachable_mail_server_is_audited_and_the_page_reveals_nothing(tmp_path_factory):
    """Mail leaves off the request path (issue 9, item 9): the page is the same as for any address,
    and the failed delivery is recorded on the audit log for operators."""
    broken = ReverifyServer(
        tmp_path_factory.mktemp("reverify-no-smtp"),
        extra_args=("--smtp-host", "127.0.0.1", "--smtp-port", str(free_port()), "--smtp-security", "none",
                    "--mail-timeout", "3"))
    broken.start()
    try:
        user = broken.create_user(prefix="unreachable")
        rp = RelyingParty(broken, broken.create_client())
        browser = Browser(broken)
        page = browser.open(rp.authorization_request().url)

        result = request_email(browser, page, user.email)

        assert result.status == 200
        assert result.title.startswith("Check your email")
        deadline = time.monotonic() + 20
        sent = []
        while not sent and time.monotonic() < deadline:
            sent = [r for r in broken.audit(user.email) if r["event"] == "magic_auth.created"]
            if not sent:
                time.sleep(0.2)
        assert sent and sent[0]["outcome"] == "failure" and sent[0]["reason"] == "mail_send_failed"
    finally:
        broken.stop()


def test_mail_test_command_delivers_through_smtp(mail_server, inbox):
    handler, smtp_port = inbox
    recipient = "ops-%d@example.com" % time.time_ns()

    # `mail test` needs no database, so it is run directly rather than through server.cli.
    result = subprocess.run(
        [str(mail_server.binary), "mail", "test", "--to", recipient, "--smtp-host", "127.0.0.1",
         "--smtp-port", str(smtp_port), "--smtp-security", "none"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "accepted" in result.stdout
    assert handler.wait_for(recipient)["Subject"] == "Reverify test message"
