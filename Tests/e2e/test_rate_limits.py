"""Unauthenticated requests cannot grow the database or fan out webhooks (issue 9 item 5), replaying the issue's
two loops against a live server: 1,000 cookieless authorization requests, and 200 junk upstream callbacks.

* a per-network rate limit answers 429 with Retry-After once the bucket is empty, and writes nothing then;
* a browser with a valid session, and authenticated clients at the token endpoint, are never limited;
* a failure that names no user (a junk callback) is audited but publishes no webhook;
* `reverify prune` and the server's retention job delete what expired, and nothing still usable.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest
import requests

from reverify_e2e import Browser, HostedPage, RelyingParty, ReverifyServer, USER_AGENT, authorize_url

LIMIT = 20  # per minute: a token comes back every 3 s


def count(server: ReverifyServer, sql: str) -> int:
    with sqlite3.connect(server.db, timeout=10) as db:
        return db.execute(sql).fetchone()[0]


def start(tmp_path, *args: str) -> ReverifyServer:
    server = ReverifyServer(tmp_path, extra_args=args)
    server.start()
    return server


@pytest.fixture
def limited(tmp_path) -> Iterator[ReverifyServer]:
    server = start(tmp_path, "--rate-limit-per-minute", str(LIMIT))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unlimited(tmp_path) -> Iterator[ReverifyServer]:
    server = start(tmp_path, "--rate-limit-per-minute", "0", "--retention-interval-seconds", "1")
    try:
        yield server
    finally:
        server.stop()


def cookieless_authorize(server: ReverifyServer, client_id: str, redirect_uri: str) -> requests.Response:
    url = authorize_url(server, response_type="code", client_id=client_id, redirect_uri=redirect_uri,
                        scope="openid", state="s", nonce="n")
    return requests.get(url, allow_redirects=False, timeout=10, headers={"User-Agent": USER_AGENT})


def exhaust(server: ReverifyServer, client) -> None:
    for _ in range(LIMIT + 5):
        cookieless_authorize(server, client.client_id, client.redirect_uri)
    assert cookieless_authorize(server, client.client_id, client.redirect_uri).status_code == 429


def test_a_thousand_cookieless_authorize_requests_leave_a_bounded_number_of_rows(limited):
    client = limited.create_client()
    started = time.monotonic()
    statuses = []
    retry_after = set()
    for _ in range(1000):
        r = cookieless_authorize(limited, client.client_id, client.redirect_uri)
        statuses.append(r.status_code)
        if r.status_code == 429:
            retry_after.add(r.headers.get("Retry-After"))
    elapsed = time.monotonic() - started
    allowed = LIMIT + int(elapsed / (60 / LIMIT)) + 1  # the burst plus what refilled meanwhile
    assert statuses.count(302) <= allowed, (statuses.count(302), elapsed)
    assert statuses.count(302) + statuses.count(429) == 1000
    assert all(v is not None and v.isdigit() and 1 <= int(v) <= 60 for v in retry_after), retry_after
    assert count(limited, "SELECT COUNT(*) FROM authorization_requests") == statuses.count(302)
    assert count(limited, "SELECT COUNT(*) FROM audit_log WHERE event = 'authorize.decision'") == statuses.count(302)


def test_junk_upstream_callbacks_are_rate_limited(limited):
    statuses = [requests.get(limited.base_url + "/reauth/upstream/callback?state=junk", timeout=10).status_code
                for _ in range(200)]
    assert statuses.count(429) >= 200 - LIMIT - 5, statuses
    assert count(limited, "SELECT COUNT(*) FROM audit_log") <= LIMIT + 5


def test_junk_upstream_callbacks_are_audited_but_queue_no_webhooks(unlimited):
    unlimited.cli("webhooks", "add", "--url", "http://127.0.0.1:9/hooks", "--allow-private")
    for _ in range(200):
        r = requests.get(unlimited.base_url + "/reauth/upstream/callback?state=junk", timeout=10)
        assert r.status_code == 400
    assert count(unlimited, "SELECT COUNT(*) FROM audit_log WHERE reason = 'upstream_unknown_state'") == 200
    assert count(unlimited, "SELECT COUNT(*) FROM outbox_events") == 0
    assert count(unlimited, "SELECT COUNT(*) FROM webhook_deliveries") == 0


def test_hosted_page_posts_without_a_session_are_limited(limited):
    user = limited.create_user(prefix="limited-post")
    rp = RelyingParty(limited, limited.create_client())
    browser = Browser(limited)
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, HostedPage) and page.is_sign_in
    exhaust(limited, rp.client)
    result = browser.submit_password(page, user.password, email=user.email)
    assert isinstance(result, HostedPage) and result.status == 429, result
    assert result.headers.get("Retry-After", "").isdigit()
    assert not limited.sessions(user.email)


def test_a_browser_with_a_valid_session_and_the_token_endpoint_are_never_limited(limited):
    user = limited.create_user(prefix="limited-session")
    rp = RelyingParty(limited, limited.create_client())
    browser = Browser(limited)
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))
    exhaust(limited, rp.client)

    again = rp.authorization_request(prompt="none")
    redirect = browser.open(again.url)
    assert "code" in rp.check_callback(again, redirect), redirect
    assert rp.refresh_raw(tokens["refresh_token"]).status_code == 200


def test_prune_keeps_a_live_grant_usable(unlimited):
    user = unlimited.create_user(prefix="prune-live")
    rp = RelyingParty(unlimited, unlimited.create_client())
    browser = Browser(unlimited)
    request = rp.authorization_request()
    tokens = rp.exchange(request, browser.sign_in(request.url, user))

    report = unlimited.cli_json("prune")
    assert set(report) >= {"authorization_requests", "grants", "sessions", "audit_log", "outbox_events"}
    assert rp.refresh_raw(tokens["refresh_token"]).status_code == 200
    assert len(unlimited.sessions(user.email)) == 1


def test_the_server_prunes_an_expired_flow_on_its_own(unlimited):
    client = unlimited.create_client()
    assert cookieless_authorize(unlimited, client.client_id, client.redirect_uri).status_code == 302
    # Two days pass for this row: it expired more than the one-day grace ago.
    with sqlite3.connect(unlimited.db, timeout=10) as db:
        db.execute("UPDATE authorization_requests SET expires_at = expires_at - 2 * 86400")
    deadline = time.monotonic() + 10
    while count(unlimited, "SELECT COUNT(*) FROM authorization_requests") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert count(unlimited, "SELECT COUNT(*) FROM authorization_requests") == 0


def test_out_of_range_retention_is_refused_in_one_line(unlimited):
    result = unlimited.cli("prune", "--audit-retention-days", "0", check=False)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "--audit-retention-days" in result.stderr
