"""Issue 10: step-up by assurance level, end to end, with authlib as the relying party.

Levels are ``urn:reverify:acr:1fa`` < ``urn:reverify:acr:mfa``. A relying party asks for a level with
``acr_values`` (voluntary) or an essential ``acr`` claim in ``claims`` (OIDC Core 5.5); clients and
their actions can set floors (``--min-acr``, ``--action name=secs:mfa``); ``mfa`` decays after
``--acr-lifetime``. The second factor is an emailed code, read from the server's mail outbox as a user
reads their inbox. Every token is validated with joserfc against the published JWKS.

The RFC 9470 loop runs against the demo's API (``serve --demo``): a resource server that answers
``401`` with ``WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values=…, max_age=…``.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse

import pytest
import requests
from requests.utils import parse_dict_header

from mail_outbox import messages_to, wait_for_code
from reverify_e2e import (
    RP_ORIGIN,
    Browser,
    Client,
    Receiver,
    HostedPage,
    Redirect,
    RelyingParty,
    ReverifyServer,
    User,
    reverify_bin,
    unique,
)

ONE = "urn:reverify:acr:1fa"
MFA = "urn:reverify:acr:mfa"
#: The --acr-lifetime of the decay server: long enough to redeem a code, short enough to wait out.
SHORT_MFA_LIFETIME = 3


# --------------------------------------------------------------------------------------------
# Servers, users, mail
# --------------------------------------------------------------------------------------------


def _start(tmp_path_factory, name: str, *extra: str, demo: bool = False):
    workdir = tmp_path_factory.mktemp(name)
    server = ReverifyServer(workdir, demo=demo, extra_args=("--mail-outbox", str(workdir / "mail"), *extra))
    server.outbox = workdir / "mail"
    server.start()
    return server


@pytest.fixture(scope="module")
def acr_server(tmp_path_factory):
    """Default level lifetimes (mfa lasts 15 minutes); mail goes to a file outbox."""
    server = _start(tmp_path_factory, "reverify-acr")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def decay_server(tmp_path_factory):
    server = _start(tmp_path_factory, "reverify-acr-decay", "--acr-lifetime", f"mfa={SHORT_MFA_LIFETIME}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """The demo relying party and its RFC 9470 API."""
    server = _start(tmp_path_factory, "reverify-acr-demo", demo=True)
    try:
        yield server
    finally:
        server.stop()


def verify_by_emailed_code(server: ReverifyServer, browser: Browser, page: HostedPage, recipient: str,
                           **fields: str) -> HostedPage | Redirect:
    """Presses "Email me a link and code" on `page` and types the code that arrives."""
    already = len(messages_to(server.outbox, recipient))
    check = browser.post_form(page, "/email", **fields)
    assert isinstance(check, HostedPage) and check.has("code"), check
    return browser.post_form(check, "/code", code=wait_for_code(server.outbox, recipient, already))


def passwordless_user(server: ReverifyServer, prefix: str) -> User:
    """An account without a password: its only method is the emailed code (one factor kind)."""
    address = f"{unique(prefix)}@example.com"
    view = server.cli_json("users", "create", "--email", address)
    assert view["has_password"] is False
    return User(email=address, password="", id=view["id"])


def sign_in_with_password(rp: RelyingParty, browser: Browser, user: User, **extra) -> dict:
    request = rp.authorization_request(**extra)
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    return rp.validate_tokens(tokens, request.nonce) | {"_tokens": tokens}


def sign_in_with_emailed_code(server: ReverifyServer, rp: RelyingParty, browser: Browser, user: User) -> dict:
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in, page
    redirect = verify_by_emailed_code(server, browser, page, user.email, email=user.email)
    assert isinstance(redirect, Redirect), redirect
    return rp.validate_tokens(rp.exchange(request, redirect), request.nonce)


def is_step_up_page(page) -> bool:
    return isinstance(page, HostedPage) and page.has("step-up-reason")


def offered(page: HostedPage) -> set[str]:
    """Which verification forms a hosted page shows: password, email, upstream."""
    methods = set()
    for form in page.forms:
        action = form["action"]
        if action.endswith("/password"):
            methods.add("password")
        elif action.endswith("/email"):
            methods.add("email")
        elif "/upstream/" in action:
            methods.add("upstream")
    return methods


def claims_param(*values: str, essential: bool = True) -> str:
    return json.dumps({"id_token": {"acr": {"essential": essential, "values": list(values)}}})


@pytest.fixture
def acr_user(acr_server, request) -> User:
    return acr_server.create_user(prefix=request.node.name[5:25].replace("_", "-"))


@pytest.fixture
def acr_rp(acr_server) -> RelyingParty:
    return RelyingParty(acr_server, acr_server.create_client())


# --------------------------------------------------------------------------------------------
# Discovery and bad input
# --------------------------------------------------------------------------------------------


def test_discovery_lists_exactly_the_three_levels_and_the_claims_parameter(acr_server):
    metadata = requests.get(acr_server.base_url + "/.well-known/openid-configuration", timeout=10).json()
    assert metadata["acr_values_supported"] == [ONE, MFA, "urn:reverify:acr:phr"]
    assert metadata["claims_parameter_supported"] is True


@pytest.mark.parametrize("claims", ["{not json", "[1, 2]", '"acr"', json.dumps({"id_token": {"acr": None}, "pad": "x" * 4200})],
                         ids=["not-json", "array", "string", "over-4kb"])
def test_malformed_claims_is_invalid_request_at_the_redirect_uri(acr_server, acr_rp, acr_user, claims):
    browser = Browser(acr_server)
    sign_in_with_password(acr_rp, browser, acr_user)
    request = acr_rp.authorization_request(claims=claims)
    answer = browser.open(request.url)
    assert isinstance(answer, Redirect), answer
    params = acr_rp.check_callback(request, answer)
    assert params["error"] == "invalid_request" and "code" not in params, params


# --------------------------------------------------------------------------------------------
# Voluntary acr_values
# --------------------------------------------------------------------------------------------


def test_acr_values_mfa_after_a_password_offers_only_email_and_ends_with_mfa(acr_server, acr_rp, acr_user):
    browser = Browser(acr_server)
    first = sign_in_with_password(acr_rp, browser, acr_user)
    assert first["acr"] == ONE and first["amr"] == ["pwd"]

    request = acr_rp.authorization_request(acr_values=MFA)
    page = browser.open(request.url)
    assert is_step_up_page(page), page
    assert offered(page) == {"email"}, "after a password only a possession factor can raise the level"
    redirect = verify_by_emailed_code(acr_server, browser, page, acr_user.email)
    tokens = acr_rp.exchange(request, redirect)
    claims = acr_rp.validate_tokens(tokens, request.nonce)

    assert claims["acr"] == MFA and "mfa" in claims["amr"] and "otp" in claims["amr"], claims
    _, access = acr_rp.validate_access_token(tokens["access_token"])
    assert access["acr"] == MFA and "mfa" in access["amr"]


def test_step_up_is_audited_with_the_level_before_and_the_rule_that_asked(acr_server, acr_rp, acr_user):
    browser = Browser(acr_server)
    sign_in_with_password(acr_rp, browser, acr_user)
    request = acr_rp.authorization_request(acr_values=MFA)
    verify_by_emailed_code(acr_server, browser, browser.open(request.url), acr_user.email)

    rows = [r for r in acr_server.audit(acr_user.email) if r["event"] == "authentication.reauthentication" and r["outcome"] == "success"]
    assert rows, acr_server.audit(acr_user.email)
    detail = rows[0]["detail"]
    assert detail["acr_before"] == ONE and detail["acr"] == MFA
    assert detail["trigger_acr"] == MFA and detail["trigger_acr_source"] == "request"


def test_step_up_webhook_carries_the_levels_before_after_and_requested(acr_server, acr_user):
    receiver = Receiver().start()
    try:
        acr_server.add_webhook_endpoint(receiver, "--events", "authentication.reauthenticated")
        rp = RelyingParty(acr_server, acr_server.create_client(actions=("billing.change=300:mfa",)))
        browser = Browser(acr_server)
        sign_in_with_password(rp, browser, acr_user)
        request = rp.authorization_request(action="billing.change")
        verify_by_emailed_code(acr_server, browser, browser.open(request.url), acr_user.email)

        mine = lambda ds: [d for d in ds if d.verified and d.event["data"]["user_id"] == acr_user.id]
        [delivery] = mine(receiver.wait_for(lambda ds: mine(ds), 15, "the reauthenticated event"))
    finally:
        receiver.stop()
    data = delivery.event["data"]
    assert data["previous_acr"] == ONE and data["acr"] == MFA
    assert data["trigger"]["acr"] == MFA and data["trigger"]["acr_sources"] == ["action"]
    assert data["trigger"]["max_age"] == 300 and data["trigger"]["action"] == "billing.change"


def test_a_level_the_user_cannot_reach_voluntarily_continues_with_1fa(acr_server, acr_rp):
    user = passwordless_user(acr_server, "no-password")
    browser = Browser(acr_server)
    sign_in_with_emailed_code(acr_server, acr_rp, browser, user)

    request = acr_rp.authorization_request(acr_values=MFA)
    answer = browser.open(request.url)

    assert isinstance(answer, Redirect), f"no page can help this user, yet one was shown: {answer}"
    claims = acr_rp.validate_tokens(acr_rp.exchange(request, answer), request.nonce)
    assert claims["acr"] == ONE and "mfa" not in claims["amr"], "the ID token must say honestly what was reached"


def test_unknown_acr_values_are_ignored(acr_server, acr_rp, acr_user):
    browser = Browser(acr_server)
    sign_in_with_password(acr_rp, browser, acr_user)
    request = acr_rp.authorization_request(acr_values="urn:example:gold")
    answer = browser.open(request.url)
    assert isinstance(answer, Redirect), answer
    assert acr_rp.validate_tokens(acr_rp.exchange(request, answer), request.nonce)["acr"] == ONE


# --------------------------------------------------------------------------------------------
# Essential acr in the claims parameter
# --------------------------------------------------------------------------------------------


def test_essential_acr_claim_is_met_by_stepping_up(acr_server, acr_rp, acr_user):
    browser = Browser(acr_server)
    sign_in_with_password(acr_rp, browser, acr_user)
    request = acr_rp.authorization_request(claims=claims_param(MFA))
    page = browser.open(request.url)
    assert is_step_up_page(page), page
    redirect = verify_by_emailed_code(acr_server, browser, page, acr_user.email)
    assert acr_rp.validate_tokens(acr_rp.exchange(request, redirect), request.nonce)["acr"] == MFA


def test_essential_acr_the_user_cannot_reach_is_unmet_authentication_requirements(acr_server, acr_rp):
    user = passwordless_user(acr_server, "no-password")
    browser = Browser(acr_server)
    sign_in_with_emailed_code(acr_server, acr_rp, browser, user)
    request = acr_rp.authorization_request(claims=claims_param(MFA))
    answer = browser.open(request.url)
    assert isinstance(answer, Redirect), answer
    params = acr_rp.check_callback(request, answer)
    assert params["error"] == "unmet_authentication_requirements" and "code" not in params, params


def test_essential_acr_unmet_after_signing_in_ends_at_the_redirect_uri(acr_server, acr_rp):
    user = passwordless_user(acr_server, "no-password")
    browser = Browser(acr_server)
    request = acr_rp.authorization_request(claims=claims_param(MFA))
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in, page
    answer = verify_by_emailed_code(acr_server, browser, page, user.email, email=user.email)
    assert isinstance(answer, Redirect), answer
    assert acr_rp.check_callback(request, answer)["error"] == "unmet_authentication_requirements"


def test_essential_acr_naming_only_unknown_levels_is_unmet(acr_server, acr_rp, acr_user):
    browser = Browser(acr_server)
    sign_in_with_password(acr_rp, browser, acr_user)
    request = acr_rp.authorization_request(claims=claims_param("urn:example:gold"))
    answer = browser.open(request.url)
    assert isinstance(answer, Redirect), answer
    assert acr_rp.check_callback(request, answer)["error"] == "unmet_authentication_requirements"


# --------------------------------------------------------------------------------------------
# Floors: --min-acr and --action name=secs:level
# --------------------------------------------------------------------------------------------


def min_acr_client(server: ReverifyServer) -> Client:
    name, redirect_uri = unique("floor"), f"{RP_ORIGIN}/callback/{unique('floor')}"
    view = server.cli_json("clients", "create", "--name", name, "--redirect-uri", redirect_uri, "--min-acr", "mfa")
    assert view["min_acr"] == MFA, view
    return Client(client_id=view["client_id"], client_secret=view["client_secret"], redirect_uri=redirect_uri,
                  post_logout_redirect_uri=None, auth_method="client_secret_basic", name=name)


@pytest.mark.parametrize("acr_values", [None, ONE], ids=["no-acr_values", "acr_values-1fa"])
def test_client_min_acr_floor_cannot_be_lowered_by_the_url(acr_server, acr_user, acr_values):
    rp = RelyingParty(acr_server, min_acr_client(acr_server))
    browser = Browser(acr_server)
    request = rp.authorization_request(**({"acr_values": acr_values} if acr_values else {}))
    page = browser.open(request.url)
    assert isinstance(page, HostedPage) and page.is_sign_in, page

    after_password = browser.submit_password(page, acr_user.password, email=acr_user.email)

    assert is_step_up_page(after_password), f"the floor must ask for a second step: {after_password}"
    assert "always needs" in after_password.text("step-up-reason")
    redirect = verify_by_emailed_code(acr_server, browser, after_password, acr_user.email)
    assert rp.validate_tokens(rp.exchange(request, redirect), request.nonce)["acr"] == MFA


def test_action_floor_demands_mfa_for_that_action(acr_server, acr_user):
    client = acr_server.create_client(actions=("billing.change=300:mfa",))
    rp = RelyingParty(acr_server, client)
    browser = Browser(acr_server)
    assert sign_in_with_password(rp, browser, acr_user)["acr"] == ONE, "without the action there is no floor"

    request = rp.authorization_request(action="billing.change")
    page = browser.open(request.url)

    assert is_step_up_page(page), page
    assert "billing.change" in page.text("step-up-reason") and "5 minutes" in page.text("step-up-reason")
    redirect = verify_by_emailed_code(acr_server, browser, page, acr_user.email)
    assert rp.validate_tokens(rp.exchange(request, redirect), request.nonce)["acr"] == MFA


# --------------------------------------------------------------------------------------------
# prompt=none
# --------------------------------------------------------------------------------------------


def test_prompt_none_below_the_level_is_interaction_required(acr_server, acr_rp, acr_user):
    browser = Browser(acr_server)
    sign_in_with_password(acr_rp, browser, acr_user)
    request = acr_rp.authorization_request(prompt="none", acr_values=MFA)
    answer = browser.open(request.url)
    assert isinstance(answer, Redirect), answer
    assert acr_rp.check_callback(request, answer)["error"] == "interaction_required"


def test_prompt_none_with_a_level_and_no_session_is_login_required(acr_server, acr_rp):
    request = acr_rp.authorization_request(prompt="none", acr_values=MFA)
    answer = Browser(acr_server).open(request.url)
    assert isinstance(answer, Redirect), answer
    assert acr_rp.check_callback(request, answer)["error"] == "login_required"


# --------------------------------------------------------------------------------------------
# Decay
# --------------------------------------------------------------------------------------------


def test_mfa_decays_for_new_tokens_but_not_for_introspection_of_old_ones(decay_server):
    user = decay_server.create_user(prefix="decay")
    rp = RelyingParty(decay_server, decay_server.create_client(), scope="openid email")
    browser = Browser(decay_server)
    sign_in_with_password(rp, browser, user)
    request = rp.authorization_request(acr_values=MFA)
    redirect = verify_by_emailed_code(decay_server, browser, browser.open(request.url), user.email)
    elevated = rp.exchange(request, redirect)
    assert rp.validate_tokens(elevated, request.nonce)["acr"] == MFA

    time.sleep(SHORT_MFA_LIFETIME + 1.5)

    silent_request = rp.authorization_request(prompt="none")
    silent = rp.validate_tokens(rp.exchange(silent_request, browser.open(silent_request.url)), silent_request.nonce)
    assert silent["acr"] == ONE and "mfa" not in silent["amr"], silent
    refreshed = rp.refresh(elevated["refresh_token"])
    _, refreshed_access = rp.validate_access_token(refreshed["access_token"])
    assert refreshed_access["acr"] == ONE and "mfa" not in refreshed_access["amr"], refreshed_access
    # RFC 9470 6.2: a token already issued keeps what it was minted with.
    introspected = rp.introspect(elevated["access_token"])
    assert introspected["active"] is True and introspected["acr"] == MFA and "mfa" in introspected["amr"]


def test_after_decay_acr_values_mfa_steps_up_again(decay_server):
    user = decay_server.create_user(prefix="decay-again")
    rp = RelyingParty(decay_server, decay_server.create_client(), scope="openid email")
    browser = Browser(decay_server)
    sign_in_with_password(rp, browser, user)
    first = rp.authorization_request(acr_values=MFA)
    verify_by_emailed_code(decay_server, browser, browser.open(first.url), user.email)

    time.sleep(SHORT_MFA_LIFETIME + 1.5)
    request = rp.authorization_request(acr_values=MFA)
    page = browser.open(request.url)

    assert is_step_up_page(page), f"a decayed mfa must be earned again: {page}"
    redirect = verify_by_emailed_code(decay_server, browser, page, user.email)
    assert rp.validate_tokens(rp.exchange(request, redirect), request.nonce)["acr"] == MFA


# --------------------------------------------------------------------------------------------
# CLI refusals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["mfa=0", "1fa=60", "mfa", "gold=60", "mfa=soon", "mfa=99999999"])
def test_serve_refuses_a_bad_acr_lifetime_in_one_line_before_touching_the_database(tmp_path, value):
    database = tmp_path / "never.sqlite"
    result = subprocess.run(
        [str(reverify_bin()), "serve", "--database", str(database), "--port", "0", "--acr-lifetime", value],
        capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "--acr-lifetime" in result.stderr, result.stderr
    assert not database.exists(), "a refused option must change nothing"


@pytest.mark.parametrize("option", [("--min-acr", "gold"), ("--min-acr", ""), ("--action", "billing.change=300:gold"),
                                    ("--action", "billing.change=soon:mfa"), ("--action", "billing.change=300:mfa:x")],
                         ids=["min-acr-gold", "min-acr-empty", "action-level", "action-seconds", "action-extra"])
def test_clients_create_refuses_bad_levels_in_one_line_and_creates_nothing(acr_server, option):
    before = acr_server.cli_json("clients", "list")
    name = unique("refused")
    result = acr_server.cli("clients", "create", "--name", name, "--redirect-uri", "http://127.0.0.1:9/cb", *option,
                            check=False)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert acr_server.cli_json("clients", "list") == before


# --------------------------------------------------------------------------------------------
# RFC 9470: the demo API and the demo relying party that follows its challenge
# --------------------------------------------------------------------------------------------


def challenge_of(response: requests.Response) -> dict[str, str]:
    """The auth-params of a `WWW-Authenticate: Bearer …` challenge, read with requests' own parser."""
    header = response.headers["WWW-Authenticate"]
    scheme, _, params = header.partition(" ")
    assert scheme == "Bearer", header
    return parse_dict_header(params)


def test_demo_api_without_a_token_answers_a_bare_bearer_challenge(api_server):
    response = requests.get(api_server.base_url + "/demo/api/billing", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_demo_api_refuses_a_forged_token_as_invalid_token(api_server):
    response = requests.get(api_server.base_url + "/demo/api/billing", timeout=10,
                            headers={"Authorization": "Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA"})
    assert response.status_code == 401
    assert challenge_of(response)["error"] == "invalid_token"


def test_authlib_client_follows_the_demo_api_challenge_and_retries(api_server):
    user = api_server.create_user(prefix="rfc9470")
    rp = RelyingParty(api_server, api_server.create_client(), scope="openid email")
    browser = Browser(api_server)
    first = sign_in_with_password(rp, browser, user)
    api = api_server.base_url + "/demo/api/billing"

    refused = requests.get(api, headers={"Authorization": f"Bearer {first['_tokens']['access_token']}"}, timeout=10)
    assert refused.status_code == 401
    challenge = challenge_of(refused)
    assert challenge["error"] == "insufficient_user_authentication" and challenge["error_description"]
    assert challenge["acr_values"] == MFA and challenge["max_age"] == "300"

    # RFC 9470 4: the client asks for exactly what the challenge names.
    request = rp.authorization_request(acr_values=challenge["acr_values"], max_age=challenge["max_age"])
    page = browser.open(request.url)
    assert is_step_up_page(page), page
    tokens = rp.exchange(request, verify_by_emailed_code(api_server, browser, page, user.email))
    rp.validate_tokens(tokens, request.nonce)
    retried = requests.get(api, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)

    assert retried.status_code == 200, retried.text
    assert retried.json()["acr"] == MFA and retried.json()["sub"] == user.id


def follow_demo(browser: Browser, response: requests.Response):
    """Follows redirects between the demo and Reverify as a browser without JavaScript would; returns the
    first HTML page (a Reverify hosted page or a demo page) and every Location visited."""
    visited = []
    for _ in range(20):
        if response.status_code not in (302, 303):
            return HostedPage.from_response(response), visited
        location = urllib.parse.urljoin(response.url, response.headers["Location"])
        visited.append(location)
        assert location.startswith(browser.server.base_url + "/"), f"left the server: {location}"
        response = browser.http.get(location, allow_redirects=False, timeout=30)
    raise AssertionError(f"redirect loop: {visited}")


def test_demo_relying_party_follows_the_rfc9470_challenge_and_shows_billing(api_server):
    user = api_server.create_user(prefix="demo-billing")
    browser = Browser(api_server)
    demo = HostedPage.from_response(browser.http.get(api_server.base_url + "/demo", timeout=10))
    start = browser.http.post(api_server.base_url + demo.form("/demo/billing")["action"], allow_redirects=False, timeout=30)

    # No token yet: the demo signs the user in first (one factor).
    sign_in, visited = follow_demo(browser, start)
    assert sign_in.is_sign_in, sign_in
    first_authorize = urllib.parse.parse_qs(urllib.parse.urlsplit(visited[0]).query)
    assert "acr_values" not in first_authorize
    after_password = browser.http.post(
        urllib.parse.urljoin(sign_in.url, sign_in.form("/password")["action"]),
        data=dict(sign_in.form("/password")["inputs"], email=user.email, password=user.password),
        allow_redirects=False, timeout=30)

    # The API refuses the 1fa token with a challenge; the demo follows it to /oauth2/authorize.
    step_up, visited = follow_demo(browser, after_password)
    challenge_followed = [urllib.parse.parse_qs(urllib.parse.urlsplit(u).query) for u in visited
                          if urllib.parse.urlsplit(u).path == "/oauth2/authorize"]
    assert challenge_followed and challenge_followed[0]["acr_values"] == [MFA] and challenge_followed[0]["max_age"] == ["300"]
    assert is_step_up_page(step_up), step_up

    # One emailed code later the demo retries the API with the new token and shows the billing page.
    already = len(messages_to(api_server.outbox, user.email))
    check = browser.post_form(step_up, "/email")
    code = wait_for_code(api_server.outbox, user.email, already)
    form = check.form("/code")
    after_code = browser.http.post(urllib.parse.urljoin(check.url, form["action"]), data=dict(form["inputs"], code=code),
                                   allow_redirects=False, timeout=30)
    billing, _ = follow_demo(browser, after_code)

    assert billing.status == 200 and billing.has("plan"), billing.html
    assert billing.text("acr") == MFA
    assert abs(int(billing.text("auth-time")) - time.time()) < 60, "the retry rests on the fresh step-up"

    # The token is kept: a second press shows billing at once, without visiting Reverify.
    again = browser.http.post(api_server.base_url + "/demo/billing", allow_redirects=False, timeout=30)
    assert again.status_code == 200 and MFA in again.text


def test_demo_shows_a_second_challenge_instead_of_following_it_again(api_server):
    user = passwordless_user(api_server, "demo-no-mfa")  # an emailed code is all this user has: never mfa
    browser = Browser(api_server)
    start = browser.http.post(api_server.base_url + "/demo/billing", allow_redirects=False, timeout=30)
    sign_in, _ = follow_demo(browser, start)
    assert sign_in.is_sign_in, sign_in
    already = len(messages_to(api_server.outbox, user.email))
    check = browser.post_form(sign_in, "/email", email=user.email)
    form = check.form("/code")
    after_code = browser.http.post(
        urllib.parse.urljoin(check.url, form["action"]),
        data=dict(form["inputs"], code=wait_for_code(api_server.outbox, user.email, already)),
        allow_redirects=False, timeout=30)

    # The demo follows the first challenge; Reverify cannot raise this user (voluntary: 1fa again);
    # the API refuses again and the demo says so rather than redirecting for ever.
    result, visited = follow_demo(browser, after_code)

    authorizations = [u for u in visited if urllib.parse.urlsplit(u).path == "/oauth2/authorize"]
    assert len(authorizations) == 1 and "acr_values=" in authorizations[0], visited
    assert result.status == 400 and "still refused" in result.text("error"), result.html


def test_demo_billing_loop_in_chromium(driver, api_server):
    """The demo's RFC 9470 loop in a real browser: sign in, the API's challenge, one more step, billing."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    def wait_for(element_id: str):
        return WebDriverWait(driver, 20).until(EC.element_to_be_clickable((By.ID, element_id)))

    user = api_server.create_user(prefix="demo-chromium")
    driver.get(api_server.base_url + "/demo")
    wait_for("view-billing").click()
    wait_for("email").send_keys(user.email)
    driver.find_element(By.ID, "password").send_keys(user.password)
    driver.find_element(By.ID, "submit").click()

    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "step-up-reason")))
    already = len(messages_to(api_server.outbox, user.email))
    wait_for("email-me").click()
    wait_for("code").send_keys(wait_for_code(api_server.outbox, user.email, already))
    driver.find_element(By.ID, "submit-code").click()

    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "plan")))
    assert driver.find_element(By.ID, "acr").text == MFA
    assert urllib.parse.urlsplit(driver.current_url).path == "/demo/callback"
