"""Issue 14: several `reverify serve` instances on one PostgreSQL keep every guarantee one instance makes.

Three instances share one database and one issuer, as they would behind a load balancer with no sticky
sessions; each step of a flow goes to whichever instance the test picks.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
import requests

from reverify_e2e import (
    PASSWORD,
    USER_AGENT,
    Client,
    HostedPage,
    Receiver,
    RelyingParty,
    ReverifyServer,
    User,
    pkce_pair,
    unique,
    wait_until,
)

ADMIN_URL = os.environ.get("REVERIFY_TEST_POSTGRES")


def postgres_missing() -> None:
    """Skips locally, but fails under CI=true: scripts/test starts PostgreSQL, so CI must run these."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("REVERIFY_TEST_POSTGRES is not set (CI=true: scripts/test must start PostgreSQL)", pytrace=False)
    pytest.skip("no throwaway PostgreSQL (run scripts/test, or set REVERIFY_TEST_POSTGRES)")


def fresh_database() -> str:
    """A new database on the throwaway server; its URL."""
    if not ADMIN_URL:
        postgres_missing()
    name = "e2e_" + secrets.token_hex(6)
    subprocess.run(["psql", ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True, text=True)
    parts = urllib.parse.urlsplit(ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture
def cluster(tmp_path):
    """Three instances on one fresh database, sharing the first one's URL as their issuer."""
    database = fresh_database()
    first = ReverifyServer(tmp_path / "a", database=database, extra_args=("--refresh-reuse-grace-seconds", "0"))
    others = [ReverifyServer(tmp_path / name, database=database, issuer=first.issuer,
                             extra_args=("--refresh-reuse-grace-seconds", "0")) for name in ("b", "c")]
    instances = [first, *others]
    try:
        for instance in instances:
            instance.start()
        yield instances
    finally:
        for instance in instances:
            instance.stop()


def on(instance: ReverifyServer, url: str) -> str:
    """The same path and query, sent to `instance` (what a load balancer would pick)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(scheme="http", netloc=f"127.0.0.1:{instance.port}"))


class Pinned:
    """One instance as a relying party sees it through a load balancer that picked it: the shared issuer's
    metadata, every endpoint on this instance."""

    def __init__(self, instance: ReverifyServer):
        self.instance = instance
        self.issuer = instance.issuer
        self.discovery = {name: on(instance, value) if name.endswith(("_endpoint", "_uri")) else value
                          for name, value in instance.discovery.items()}

    def endpoint(self, name: str) -> str:
        return self.discovery[f"{name}_endpoint"]

    def jwks(self):
        from joserfc.jwk import KeySet

        return KeySet.import_key_set(requests.get(self.discovery["jwks_uri"], timeout=10).json())


def rp_for(instance: ReverifyServer, client: Client) -> RelyingParty:
    """A relying party (authlib) whose token, introspection, userinfo and JWKS calls go to `instance`."""
    return RelyingParty(Pinned(instance), client)


def sign_in_code(a: ReverifyServer, b: ReverifyServer, client: Client, user: User) -> tuple[str, str]:
    """Authorize on `a`, the hosted sign-in page and password on `b`; returns (code, PKCE verifier)."""
    verifier, challenge = pkce_pair()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
        "scope": "openid email profile offline_access", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    response = http.get(on(a, a.endpoint("authorization")) + "?" + query, allow_redirects=False, timeout=30)
    assert response.status_code in (302, 303), response.text[:300]
    page_response = http.get(on(b, urllib.parse.urljoin(a.base_url + "/", response.headers["Location"])),
                             allow_redirects=False, timeout=30)
    page = HostedPage.from_response(page_response)
    assert page.is_sign_in, page_response.text[:300]
    form = page.form("/password")
    data = dict(form["inputs"], email=user.email, password=user.password)
    posted = http.post(on(b, urllib.parse.urljoin(page.url, form["action"])), data=data, allow_redirects=False,
                       timeout=30)
    assert posted.status_code in (302, 303), posted.text[:300]
    location = posted.headers["Location"]
    assert location.startswith(client.redirect_uri), location
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert "code" in params, location
    return params["code"], verifier


def parallel(calls):
    """Runs every call at once (released together); returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_browser_flow_hops_instances(cluster):
    a, b, c = cluster
    user = a.create_user("hop")
    client = a.create_client()

    code, verifier = sign_in_code(a, b, client, user)
    tokens = rp_for(c, client).redeem_code(code, verifier)
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    claims = rp_for(c, client).validate_id_token(tokens["id_token"], nonce=None)
    assert claims["iss"] == a.issuer and claims["sub"] == user.id

    refreshed = rp_for(a, client).refresh(tokens["refresh_token"])
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert rp_for(b, client).introspect(refreshed["access_token"])["active"] is True
    assert rp_for(c, client).userinfo(refreshed["access_token"]).json()["sub"] == user.id


def test_one_code_redeemed_in_parallel_on_three_instances_is_honoured_once(cluster):
    a, b, c = cluster
    user = a.create_user("race-code")
    client = a.create_client()
    code, verifier = sign_in_code(a, b, client, user)

    calls = [lambda i=i: rp_for(cluster[i % 3], client).redeem_code(code, verifier) for i in range(9)]
    responses = parallel(calls)

    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert all(r.status_code == 400 and r.json()["error"] == "invalid_grant" for r in responses if r not in winners)
    # The replays revoked what the code issued (RFC 9700 4.5), on every instance.
    tokens = winners[0].json()
    for instance in cluster:
        assert rp_for(instance, client).introspect(tokens["access_token"])["active"] is False
    assert rp_for(c, client).refresh_raw(tokens["refresh_token"]).status_code == 400


def test_one_refresh_token_reused_in_parallel_on_three_instances_rotates_once_and_revokes_the_family(cluster):
    a, b, c = cluster
    user = a.create_user("race-refresh")
    client = a.create_client()
    code, verifier = sign_in_code(a, b, client, user)
    tokens = rp_for(c, client).redeem_code(code, verifier).json()

    responses = parallel([lambda i=i: rp_for(cluster[i % 3], client).refresh_raw(tokens["refresh_token"])
                          for i in range(9)])

    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r not in winners)
    # The reuse revoked the whole family, the winner's new tokens included (RFC 9700 4.14.2).
    successor = winners[0].json()
    assert rp_for(b, client).refresh_raw(successor["refresh_token"]).status_code == 400
    assert rp_for(a, client).introspect(successor["access_token"])["active"] is False


@pytest.fixture
def receivers():
    started: list[Receiver] = []
    yield lambda: started.append(Receiver(delay=0.002).start()) or started[-1]
    for receiver in started:
        receiver.stop()


def test_every_event_is_delivered_exactly_once_across_instances(cluster, receivers):
    a, b, c = cluster
    targets = [receivers() for _ in range(3)]
    endpoints = [a.add_webhook_endpoint(receiver)["id"] for receiver in targets]

    expected: dict[str, set[str]] = {}
    for endpoint in endpoints:
        expected[endpoint] = set(b.cli_json("webhooks", "test", endpoint, "--count", "100"))

    for receiver, endpoint in zip(targets, endpoints):
        receiver.wait_for(lambda ds, e=expected[endpoint]: e <= {d.webhook_id for d in ds}, 60, "every event")
    wait_until(lambda: {r["status"] for r in a.deliveries("--limit", "1000")} == {"delivered"}, 30,
               what="every delivery recorded as delivered")
    for receiver, endpoint in zip(targets, endpoints):
        deliveries = receiver.snapshot()
        assert all(d.verified for d in deliveries)
        assert Counter(d.webhook_id for d in deliveries) == Counter(expected[endpoint]), "each event exactly once"
    workers = Counter(attempt["worker"] for row in a.deliveries("--limit", "1000") for attempt in row["attempt_log"])
    assert sum(workers.values()) == 300
    assert len(workers) >= 2, f"more than one instance took part: {workers}"


def test_kill_9_of_one_instance_during_a_burst_loses_nothing(cluster, receivers):
    a, b, c = cluster
    receiver = receivers()
    endpoint = a.add_webhook_endpoint(receiver)["id"]

    burst = subprocess.Popen(
        [str(a.binary), "webhooks", "test", endpoint, "--count", "300", "--database", a.db],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    receiver.wait_for(lambda ds: len(ds) >= 40, 30, "the burst to be under way")
    victim = next(i for i in cluster if i is not a)
    victim.kill()
    out, err = burst.communicate(timeout=120)
    assert burst.returncode == 0, err
    expected = set(out.split())
    assert len(expected) == 300

    # The survivors take over what the dead instance had leased once its leases expire.
    receiver.wait_for(lambda ds: expected <= {d.webhook_id for d in ds if 200 <= d.status < 300}, 120,
                      "every event, from the surviving instances")
    deliveries = receiver.snapshot()
    assert receiver.accepted_ids() == expected, "nothing lost, nothing invented"
    duplicates = {i: n for i, n in Counter(d.webhook_id for d in deliveries).items() if n > 1}
    assert len(duplicates) <= 50, f"only what was in flight may arrive twice: {len(duplicates)}"
    wait_until(lambda: {r["status"] for r in a.deliveries("--endpoint", endpoint, "--limit", "1000")} == {"delivered"},
               60, what="every delivery recorded as delivered")


def test_key_rotation_on_one_instance_is_served_by_every_instance_within_ten_seconds(cluster):
    a, b, c = cluster
    before = {k["kid"] for k in requests.get(c.base_url + "/.well-known/jwks.json", timeout=10).json()["keys"]}

    rotated = a.cli_json("keys", "rotate")

    kid = rotated["kid"]
    assert kid not in before
    for instance in cluster:
        wait_until(lambda i=instance: kid in {k["kid"] for k in requests.get(i.base_url + "/.well-known/jwks.json",
                                                                                 timeout=10).json()["keys"]},
                   11, what=f"the new key on {instance.base_url}")


def test_an_unreachable_database_is_one_line_and_a_non_zero_exit(tmp_path):
    server = ReverifyServer(tmp_path, database="postgres://reverify:nope@127.0.0.1:1/none?sslmode=disable")
    for args in (["migrate"], ["users", "list"], ["serve", "--port", "0"]):
        result = server.cli(*args, check=False)
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot connect to postgres://reverify@127.0.0.1:1/none" in lines[0], result.stderr
        assert "nope" not in result.stderr, "the password never appears"


class TcpProxy:
    """A loopback TCP relay in front of PostgreSQL that the test can cut: drop every live connection, or
    refuse new ones (the database "goes away"), as a network or a failover would."""

    def __init__(self, target: tuple[str, int]):
        import socket

        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing = False
        self.sockets: list = []
        self.lock = threading.Lock()
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def drop_connections(self):
        import socket

        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.sockets.clear()

    def close(self):
        self.running = False
        self.drop_connections()
        self.listener.close()


def test_a_dropped_connection_is_retried_and_an_unreachable_database_is_503_with_nothing_half_done(tmp_path):
    url = urllib.parse.urlsplit(fresh_database())
    proxy = TcpProxy((url.hostname, url.port))
    through_proxy = urllib.parse.urlunsplit(url._replace(netloc=f"{url.username}:{url.password}@127.0.0.1:{proxy.port}"))
    server = ReverifyServer(tmp_path, database=through_proxy)
    try:
        server.start()
        user = server.create_user("outage")
        client = server.create_client()
        code, verifier = sign_in_code(server, server, client, user)
        rp = rp_for(server, client)
        tokens = rp.redeem_code(code, verifier).json()

        proxy.drop_connections()  # every pooled connection dies under the server's feet
        refreshed = rp.refresh_raw(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text  # retried on a new connection

        proxy.refusing = True
        proxy.drop_connections()
        started = time.monotonic()
        unavailable = rp.refresh_raw(refreshed.json()["refresh_token"])
        assert unavailable.status_code == 503, unavailable.text
        assert unavailable.headers.get("Retry-After") and unavailable.json()["error"] == "temporarily_unavailable"
        assert time.monotonic() - started < 30, "a clear answer, never a hang"

        proxy.refusing = False
        # Nothing was half done: the refresh token refused with 503 was not consumed, and still rotates once.
        again = rp.refresh_raw(refreshed.json()["refresh_token"])
        assert again.status_code == 200, again.text
    finally:
        server.stop()
        proxy.close()


def test_copy_data_moves_a_sqlite_deployment_and_its_tokens_keep_working(tmp_path):
    old = ReverifyServer(tmp_path / "sqlite")
    old.start()
    try:
        user = old.create_user("moved")
        client = old.create_client()
        code, verifier = sign_in_code(old, old, client, user)
        tokens = rp_for(old, client).redeem_code(code, verifier).json()
    finally:
        old.stop()
    database = fresh_database()

    copied = subprocess.run([str(old.binary), "copy-data", "--from", old.db, "--to", database],
                            capture_output=True, text=True, timeout=120)

    assert copied.returncode == 0, copied.stderr
    assert "copied" in copied.stdout and "users: 1" in copied.stdout, copied.stdout
    new = ReverifyServer(tmp_path / "postgres", database=database, port=old.port)  # the same issuer
    new.start()
    try:
        # Keys, clients, sessions and grants came along: the old refresh token rotates on PostgreSQL.
        refreshed = rp_for(new, client).refresh_raw(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        assert rp_for(new, client).validate_id_token(refreshed.json()["id_token"], nonce=None)["sub"] == user.id
        again = subprocess.run([str(old.binary), "copy-data", "--from", old.db, "--to", database],
                               capture_output=True, text=True, timeout=120)
        assert again.returncode != 0 and "not empty" in again.stderr, again.stderr
        assert len(again.stderr.strip().splitlines()) == 1
    finally:
        new.stop()
