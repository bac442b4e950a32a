"""Webhooks end to end: a live `reverify serve`, real hosted-page sign-ins, and a real receiver that
verifies every delivery with the `standardwebhooks` library (issue 5, DESIGN 3).

    REVERIFY_BIN=$PWD/.build/debug/reverify python3 -m pytest Tests/e2e/test_webhooks.py -q -p no:cacheprovider
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections import Counter

import pytest

from reverify_e2e import (
    USER_AGENT,
    Browser,
    Client,
    HostedPage,
    Receiver,
    Redirect,
    ReverifyServer,
    User,
    code_request_url,
    wait_until,
)

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
def launch(tmp_path):
    """Starts servers and receivers for one test and stops them all afterwards."""
    servers: list[ReverifyServer] = []
    receivers: list[Receiver] = []

    class Launcher:
        def server(self, *serve_args: str, start: bool = True) -> ReverifyServer:
            server = ReverifyServer(tmp_path / f"server{len(servers)}", extra_args=serve_args)
            servers.append(server)
            server.cli("migrate")  # the CLI is used before (or without) `serve`
            if start:
                server.start()
            return server

        def receiver(self, responder=None, delay: float = 0.0) -> Receiver:
            receiver = Receiver(responder, delay=delay).start()
            receivers.append(receiver)
            return receiver

    yield Launcher()
    for server in servers:
        server.stop()
    for receiver in receivers:
        receiver.stop()


def delivery_of(server: ReverifyServer, event_id: str) -> dict:
    rows = server.deliveries("--event", event_id)
    assert len(rows) == 1, rows
    return rows[0]


def webhook_client(server: ReverifyServer) -> Client:
    return server.create_client(name="Webhook RP", actions=("billing.change=300",))


def sign_in(browser: Browser, client: Client, user: User) -> Redirect:
    return browser.sign_in(code_request_url(browser.server, client), user)


def reauthenticate(browser: Browser, client: Client, user: User, **extra: str) -> Redirect:
    redirect = browser.reauthenticate(code_request_url(browser.server, client, prompt="login", **extra), user)
    assert redirect.goes_to(client.redirect_uri), redirect.location
    return redirect


# --------------------------------------------------------------------------------------------
# Events from real flows
# --------------------------------------------------------------------------------------------


def test_reauthentication_produces_exactly_one_verified_reauthenticated_event(launch):
    server = launch.server()
    receiver = launch.receiver()
    endpoint = server.add_webhook_endpoint(receiver)
    revocations = launch.receiver()
    server.add_webhook_endpoint(revocations, "--events", "session.revoked")
    user = server.create_user("wh")
    email, user_id = user.email, user.id
    client = webhook_client(server)
    client_id = client.client_id

    browser = Browser(server)
    sign_in(browser, client, user)
    time.sleep(1.1)  # auth_time has one-second resolution: make the re-authentication visibly later
    reauthenticate(browser, client, user, max_age="300", action="billing.change")

    receiver.wait_for(lambda ds: any(d.event["type"] == "authentication.reauthenticated" for d in ds), 15,
                      "authentication.reauthenticated")
    # What the server recorded: one delivery per event (fanned out with the audit row), each finished.
    wait_until(lambda: all(r["status"] == "delivered" for r in server.deliveries("--endpoint", endpoint["id"])), 15,
               what="every delivery to finish")
    assert Counter(r["event_type"] for r in server.deliveries("--endpoint", endpoint["id"])) == {
        "authentication.succeeded": 1, "session.created": 1, "authentication.reauthenticated": 1}
    deliveries = receiver.snapshot()
    assert deliveries and all(d.verified for d in deliveries), [d.error for d in deliveries]
    assert Counter(d.event["type"] for d in deliveries) == {
        "authentication.succeeded": 1, "session.created": 1, "authentication.reauthenticated": 1}
    assert len({d.webhook_id for d in deliveries}) == 3

    [signed_in] = receiver.of_type("authentication.succeeded")
    [delivery] = receiver.of_type("authentication.reauthenticated")
    event = delivery.event
    assert delivery.webhook_id == event["id"] and event["id"].startswith("evt_")
    assert delivery.headers["content-type"] == "application/json"
    assert RFC3339_UTC.match(event["created_at"]), event["created_at"]
    assert abs(int(delivery.timestamp) - time.time()) < 60
    data = event["data"]
    [session] = server.cli_json("sessions", "list", "--user", email)
    assert data["user_id"] == user_id
    assert data["session_id"] == session["id"] == signed_in.event["data"]["session_id"]
    assert data["client_id"] == client_id
    assert data["method"] == "password"
    assert data["amr"] == ["pwd"]
    assert data["acr"] == session["acr"]
    assert data["auth_time"] == session["auth_time"]
    assert data["previous_auth_time"] == signed_in.event["data"]["auth_time"]
    assert data["auth_time"] > data["previous_auth_time"]
    assert data["trigger"] == {"reason": "prompt_login", "max_age": 300, "action": "billing.change", "acr": None,
                               "acr_sources": None}
    assert data["ip_address"] == "127.0.0.1"
    assert data["user_agent"] == USER_AGENT

    # The subscription filter kept everything but session.revoked away from the second endpoint.
    assert revocations.snapshot() == []
    server.cli("sessions", "revoke", session["id"])
    [revoked] = revocations.wait_for(lambda ds: len(ds) >= 1, 15, "session.revoked")
    assert revoked.verified and revoked.event["type"] == "session.revoked"
    assert revoked.event["data"]["session_id"] == session["id"] and revoked.event["data"]["reason"] == "cli"

    rows = server.deliveries("--endpoint", endpoint["id"])
    assert {r["status"] for r in rows} == {"delivered"}
    assert all(r["attempts"] == 1 and r["attempt_log"][0]["http_status"] == 204 for r in rows)


def test_failed_password_produces_authentication_failed(launch):
    server = launch.server()
    receiver = launch.receiver()
    server.add_webhook_endpoint(receiver, "--events", "authentication.failed")
    user = server.create_user("wh")
    user_id = user.id
    client = webhook_client(server)
    browser = Browser(server)
    page = browser.open(code_request_url(server, client))
    assert isinstance(page, HostedPage) and page.is_sign_in, page
    failed = browser.submit_password(page, "not the password", email=user.email)
    assert isinstance(failed, HostedPage) and failed.status == 401, failed
    [delivery] = receiver.wait_for(lambda ds: len(ds) >= 1, 15, "authentication.failed")
    assert delivery.verified
    data = delivery.event["data"]
    assert delivery.event["type"] == "authentication.failed"
    assert data["user_id"] == user_id and data["reason"] == "wrong_password" and data["flow"] == "sign_in"
    assert data["method"] == "password" and data["user_agent"] == USER_AGENT
    assert "session_id" not in data and "auth_time" not in data


def test_email_code_reauthentication_publishes_the_same_events(launch, tmp_path):
    """Events derive from audit rows, so a method added later (emailed code) publishes without webhook code."""
    import email
    import email.policy

    outbox = tmp_path / "mail"
    server = launch.server("--mail-outbox", str(outbox))
    receiver = launch.receiver()
    server.add_webhook_endpoint(receiver, "--events", "authentication.reauthenticated,magic_auth.created")
    user = server.create_user("wh")
    user_id = user.id
    client = webhook_client(server)
    browser = Browser(server)
    sign_in(browser, client, user)
    time.sleep(1.1)

    page = browser.open(code_request_url(server, client, prompt="login"))
    assert isinstance(page, HostedPage) and page.is_reauth, page
    sent = browser.post_form(page, "/email")
    assert isinstance(sent, HostedPage) and sent.status == 200, sent
    wait_until(lambda: list(outbox.glob("*.eml")), 10, what="the verification email")
    message = email.message_from_bytes(next(outbox.glob("*.eml")).read_bytes(), policy=email.policy.default)
    code = re.search(r"is: (\d{6})", message.get_body(("plain",)).get_content()).group(1)
    done = browser.post_form(sent, "/code", code=code)
    assert isinstance(done, Redirect) and done.goes_to(client.redirect_uri), done

    deliveries = receiver.wait_for(lambda ds: len(ds) >= 2, 15, "magic_auth.created and the re-authentication")
    assert all(d.verified for d in deliveries)
    by_type = {d.event["type"]: d.event["data"] for d in deliveries}
    assert set(by_type) == {"magic_auth.created", "authentication.reauthenticated"}
    assert by_type["magic_auth.created"]["method"] == "magic_link" and by_type["magic_auth.created"]["user_id"] == user_id
    data = by_type["authentication.reauthenticated"]
    assert data["method"] == "email_code" and data["user_id"] == user_id
    assert data["amr"] == ["otp", "mfa"], "password then emailed code within the window"
    assert data["auth_time"] > data["previous_auth_time"]
    assert data["trigger"]["reason"] == "prompt_login"


# --------------------------------------------------------------------------------------------
# Retries, dead letters, replay, 410
# --------------------------------------------------------------------------------------------


def test_receiver_failing_three_times_gets_it_on_the_fourth_try_with_the_same_webhook_id(launch):
    server = launch.server("--webhook-retry-schedule", "1s,1s,1s,1s,1s")
    receiver = launch.receiver(lambda delivery, seen: (500, {}) if seen < 3 else (204, {}))
    endpoint = server.add_webhook_endpoint(receiver)
    [event_id] = server.cli_json("webhooks", "test", endpoint["id"])

    deliveries = receiver.wait_for(lambda ds: any(200 <= d.status < 300 for d in ds), 30, "the fourth attempt")
    assert [d.status for d in deliveries] == [500, 500, 500, 204]
    assert {d.webhook_id for d in deliveries} == {event_id}
    assert len({d.body for d in deliveries}) == 1, "every retry carries the same body"
    assert all(d.verified for d in deliveries)
    gaps = [b.received_ms - a.received_ms for a, b in zip(deliveries, deliveries[1:])]
    assert all(450 <= gap <= 3000 for gap in gaps), f"backoff of 1s with jitter expected, got {gaps} ms"
    assert deliveries[0].event["type"] == "webhook.test"
    assert deliveries[0].event["data"] == {"endpoint_id": endpoint["id"]}

    row = delivery_of(server, event_id)
    assert row["status"] == "delivered" and row["attempts"] == 4
    assert [a["http_status"] for a in row["attempt_log"]] == [500, 500, 500, 204]
    assert all(a["latency_ms"] >= 0 for a in row["attempt_log"])
    assert row["attempt_log"][0]["error"].startswith("HTTP 500")


def test_dead_endpoint_reaches_dead_and_replay_delivers_it_later(launch):
    server = launch.server("--webhook-retry-schedule", "500ms,500ms")
    healthy = {"value": False}
    receiver = launch.receiver(lambda delivery, seen: (204, {}) if healthy["value"] else (500, {}))
    endpoint = server.add_webhook_endpoint(receiver)
    [event_id] = server.cli_json("webhooks", "test", endpoint["id"])

    wait_until(lambda: delivery_of(server, event_id)["status"] == "dead", 20, what="the delivery to die")
    row = delivery_of(server, event_id)
    assert row["attempts"] == 3 and [a["http_status"] for a in row["attempt_log"]] == [500, 500, 500]
    # What the server recorded: dead, nothing scheduled (the worker claims only pending rows; that a dead row is
    # never claimed again, even hours later, is WebhookStoreTests.attemptsAreRecordedAndMoveTheDeliveryOn).
    assert row["status"] == "dead" and row.get("next_attempt_at_ms") is None
    assert len(receiver.snapshot()) == 3

    healthy["value"] = True
    replay = server.cli_json("webhooks", "replay", event_id)
    assert replay == {"event_id": event_id, "endpoints": [endpoint["id"]]}
    receiver.wait_for(lambda ds: any(d.status == 204 for d in ds), 15, "the replay")
    deliveries = receiver.snapshot()
    assert {d.webhook_id for d in deliveries} == {event_id}
    assert len({d.body for d in deliveries}) == 1
    assert all(d.verified for d in deliveries)
    wait_until(lambda: delivery_of(server, event_id)["status"] == "delivered", 10, what="the store to record it")
    assert len(delivery_of(server, event_id)["attempt_log"]) == 4, "the history keeps every attempt"

    # A replay of an already-delivered event to one endpoint sends it again, same id.
    server.cli("webhooks", "replay", event_id, "--endpoint", endpoint["id"])
    receiver.wait_for(lambda ds: sum(d.status == 204 for d in ds) >= 2, 15, "the second replay")


def test_410_gone_disables_the_endpoint(launch):
    server = launch.server()
    receiver = launch.receiver(lambda delivery, seen: (410, {}))
    endpoint = server.add_webhook_endpoint(receiver)
    [event_id] = server.cli_json("webhooks", "test", endpoint["id"])
    wait_until(lambda: server.cli_json("webhooks", "list")[0]["status"] == "disabled", 15, what="the endpoint to be disabled")
    [view] = server.cli_json("webhooks", "list")
    assert "410" in view["disabled_reason"]
    assert delivery_of(server, event_id)["status"] == "dead"
    refused = server.cli("webhooks", "test", endpoint["id"], check=False)
    assert refused.returncode != 0 and "disabled" in refused.stderr
    server.cli("webhooks", "enable", endpoint["id"])
    assert server.cli_json("webhooks", "list")[0]["status"] == "enabled"


def test_429_with_retry_after_slows_the_endpoint_down(launch):
    server = launch.server("--webhook-retry-schedule", "200ms,200ms,200ms")
    receiver = launch.receiver(lambda delivery, seen: (429, {"Retry-After": "2"}) if seen == 0 else (204, {}))
    endpoint = server.add_webhook_endpoint(receiver)
    [first] = server.cli_json("webhooks", "test", endpoint["id"])
    receiver.wait_for(lambda ds: len(ds) >= 1, 15, "the first attempt")
    [second] = server.cli_json("webhooks", "test", endpoint["id"])
    deliveries = receiver.wait_for(lambda ds: {first, second} <= {d.webhook_id for d in ds if d.status == 204}, 20,
                                   "both events")
    throttled_at = deliveries[0].received_ms
    later = [d for d in deliveries if d.status == 204]
    assert all(d.received_ms - throttled_at >= 1900 for d in later), "nothing is sent before Retry-After elapses"


# --------------------------------------------------------------------------------------------
# Crash safety: kill -9 during a burst
# --------------------------------------------------------------------------------------------


def test_kill_9_during_a_burst_of_500_events_loses_none(launch):
    server = launch.server("--webhook-timeout", "2s")
    receiver = launch.receiver(delay=0.004)
    endpoint = server.add_webhook_endpoint(receiver)

    burst = subprocess.Popen(
        [str(server.binary), "webhooks", "test", endpoint["id"], "--count", "500", "--database", server.db],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    receiver.wait_for(lambda ds: len(ds) >= 60, 30, "the burst to be under way")
    server.kill()
    crashed_with = len(receiver.accepted_ids())
    out, err = burst.communicate(timeout=120)
    assert burst.returncode == 0, err
    expected = set(out.split())
    assert len(expected) == 500
    assert crashed_with < 500, "the crash must happen in the middle of the burst"

    server.start()  # same database; the dead worker's leases expire and its claims are sent again
    receiver.wait_for(lambda ds: expected <= {d.webhook_id for d in ds if 200 <= d.status < 300}, 90,
                      "every event after the restart")
    deliveries = receiver.snapshot()
    assert all(d.verified for d in deliveries), [d.error for d in deliveries if not d.verified][:3]
    assert receiver.accepted_ids() == expected, "nothing lost, nothing invented"
    duplicates = {i: n for i, n in Counter(d.webhook_id for d in deliveries).items() if n > 1}
    for webhook_id in duplicates:
        assert len({d.body for d in deliveries if d.webhook_id == webhook_id}) == 1, "a duplicate is the same event"
    # Only what was in flight (one claimed batch) can arrive twice.
    assert len(duplicates) <= 50, f"{len(duplicates)} duplicates"
    print(f"kill -9 after {crashed_with}/500 accepted; {len(deliveries)} requests in all, {len(duplicates)} duplicated")
    rows = server.deliveries("--endpoint", endpoint["id"], "--limit", "1000")
    assert len(rows) == 500 and {r["status"] for r in rows} == {"delivered"}


def test_two_servers_on_one_database_never_send_the_same_delivery_twice(launch):
    # One endpoint at a time per process, two endpoints: both processes must work, on different endpoints.
    first = launch.server("--webhook-concurrency", "1")
    second = launch.server("--webhook-concurrency", "1", start=False)
    second.db = first.db  # a second `reverify serve` process on the same SQLite file
    second.start()
    receiver = launch.receiver(delay=0.002)
    endpoints = [first.add_webhook_endpoint(receiver)["id"]]
    other = launch.receiver(delay=0.002)
    endpoints.append(first.add_webhook_endpoint(other)["id"])
    expected: set[str] = set()
    for endpoint_id in endpoints:
        expected |= set(first.cli_json("webhooks", "test", endpoint_id, "--count", "150"))
    receiver.wait_for(lambda ds: len(ds) >= 150, 60, "the first endpoint's events")
    other.wait_for(lambda ds: len(ds) >= 150, 60, "the second endpoint's events")
    wait_until(lambda: {r["status"] for r in first.deliveries("--limit", "1000")} == {"delivered"}, 30,
               what="every delivery to be recorded as delivered")
    deliveries = receiver.snapshot() + other.snapshot()
    assert all(d.verified for d in deliveries)
    assert Counter(d.webhook_id for d in deliveries) == Counter(expected), "each event exactly once"
    workers = Counter(a["worker"] for r in first.deliveries("--limit", "1000") for a in r["attempt_log"])
    assert sum(workers.values()) == 300 and len(workers) == 2, f"both processes took part: {workers}"


# --------------------------------------------------------------------------------------------
# SSRF guard, secrets and operator errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://169.254.169.254/latest",
    "http://10.0.0.8/hook", "http://192.168.1.1/hook", "http://[fd00::1]/hook", "http://0.0.0.0/",
    "http://[::ffff:127.0.0.1]/", "ftp://example.com/hook", "https://user:pw@example.com/", "not a url",
])
def test_add_refuses_private_and_malformed_targets(launch, url):
    server = launch.server(start=False)
    result = server.cli("webhooks", "add", "--url", url, check=False)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert server.cli_json("webhooks", "list") == []


def test_private_target_is_refused_again_at_connect_time(launch):
    server = launch.server("--webhook-retry-schedule", "10s")
    receiver = launch.receiver()
    endpoint = server.add_webhook_endpoint(receiver)
    # As if the name had resolved to a public address at `add` and to a loopback one now (DNS rebinding):
    # the endpoint is not allowed private targets, and the worker checks the address it connects to.
    with sqlite3.connect(server.db, timeout=10) as db:
        db.execute("UPDATE webhook_endpoints SET allow_private = 0 WHERE id = ?", (endpoint["id"],))
    [event_id] = server.cli_json("webhooks", "test", endpoint["id"])
    wait_until(lambda: delivery_of(server, event_id)["attempts"] == 1, 15, what="the refused attempt")
    row = delivery_of(server, event_id)
    assert row["status"] == "pending" and "refused" in row["attempt_log"][0]["error"]
    assert row["attempt_log"][0].get("http_status") is None
    assert receiver.snapshot() == []


def test_operator_errors_are_one_line_and_change_nothing(launch):
    server = launch.server(start=False)
    receiver = launch.receiver()
    endpoint = server.add_webhook_endpoint(receiver)
    before = server.cli_json("webhooks", "list")
    for args in [
        ("webhooks", "add", "--url", receiver.url, "--allow-private", "--events", "session.revoked,nope"),
        ("webhooks", "remove", "whe_missing"),
        ("webhooks", "remove", "not-an-id"),
        ("webhooks", "rotate-secret", endpoint["id"], "--grace-hours=-1"),
        ("webhooks", "rotate-secret", endpoint["id"], "--grace-hours", "721"),
        ("webhooks", "rotate-secret", "whe_missing"),
        ("webhooks", "replay", "evt_missing"),
        ("webhooks", "replay", "garbage"),
        ("webhooks", "test", "whe_missing"),
        ("webhooks", "test", endpoint["id"], "--count", "0"),
        ("webhooks", "deliveries", "--event", "garbage"),
    ]:
        result = server.cli(*args, check=False)
        assert result.returncode != 0, args
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
    assert server.cli_json("webhooks", "list") == before
    assert server.deliveries() == []


def test_secret_is_shown_once_and_rotation_signs_with_both(launch):
    server = launch.server()
    receiver = launch.receiver()
    endpoint = server.add_webhook_endpoint(receiver)
    old = endpoint["secret"]
    assert old.startswith("whsec_")
    listed = server.cli("webhooks", "list", "--json").stdout
    assert old not in listed and old[6:] not in server.log_tail(1000)

    rotated = server.cli_json("webhooks", "rotate-secret", endpoint["id"], "--grace-hours", "1")
    new = rotated["secret"]
    assert new != old and rotated["previous_secret_expires_at"]
    server.cli_json("webhooks", "test", endpoint["id"])
    [during] = receiver.wait_for(lambda ds: len(ds) >= 1, 15, "a delivery during the grace period")
    assert during.verified, "the old secret still verifies"
    assert len(during.signature.split(" ")) == 2
    from standardwebhooks.webhooks import Webhook
    Webhook(new).verify(during.body, during.headers)  # and so does the new one

    newest = server.cli_json("webhooks", "rotate-secret", endpoint["id"], "--grace-hours", "0")["secret"]
    server.cli_json("webhooks", "test", endpoint["id"])
    deliveries = receiver.wait_for(lambda ds: len(ds) >= 2, 15, "a delivery after the grace period")
    assert not deliveries[1].verified, "the superseded secret no longer verifies"
    assert len(deliveries[1].signature.split(" ")) == 1
    # After the grace period only the current secret signs, and it does verify.
    Webhook(newest).verify(deliveries[1].body, deliveries[1].headers)
    from standardwebhooks.webhooks import WebhookVerificationError
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(deliveries[1].body, deliveries[1].headers)
