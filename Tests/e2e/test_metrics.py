"""Issue 15.1: Prometheus metrics on a separate listener, scraped by a real `prometheus` (Debian package)
run from a temporary folder on a free loopback port and queried through its HTTP API."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import requests

from reverify_e2e import Browser, RelyingParty, ReverifyServer, free_port, reverify_bin

PROMETHEUS = shutil.which("prometheus")


@pytest.fixture(scope="module")
def metrics_server(tmp_path_factory):
    port = free_port()
    server = ReverifyServer(tmp_path_factory.mktemp("reverify-metrics"), extra_args=("--metrics-port", str(port), "--refresh-reuse-grace-seconds", "0"))
    server.metrics_url = f"http://127.0.0.1:{port}/metrics"
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def prometheus(tmp_path, metrics_server):
    if PROMETHEUS is None:
        pytest.skip("the prometheus package is not installed (scripts/lib/deps.sh installs it)")
    target = metrics_server.metrics_url.removeprefix("http://").removesuffix("/metrics")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n  - job_name: reverify\n    static_configs:\n"
        f"      - targets: ['{target}']\n")
    port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp_path)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def query(prometheus: str, expression: str) -> list[dict]:
    r = requests.get(prometheus + "/api/v1/query", params={"query": expression}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]["result"]


def value(prometheus: str, expression: str) -> float:
    result = query(prometheus, expression)
    assert len(result) == 1, (expression, result)
    return float(result[0]["value"][1])


def wait_for_scrape(prometheus: str, after: float, timeout: float = 60) -> None:
    """Until prometheus has scraped the target once after `after` (unix time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            targets = requests.get(prometheus + "/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
            if targets and targets[0]["health"] == "up" and targets[0]["lastScrape"] and \
                    _timestamp(targets[0]["lastScrape"]) > after:
                return
        except (requests.RequestException, ValueError, KeyError):
            pass
        time.sleep(0.25)
    raise AssertionError("prometheus did not scrape the metrics listener in time")


def _timestamp(rfc3339: str) -> float:
    from datetime import datetime
    text = rfc3339.rstrip("Z")
    main, _, fraction = text.partition(".")
    moment = datetime.fromisoformat(main + "+00:00").timestamp()
    digits = "".join(ch for ch in fraction if ch.isdigit())
    return moment + (float("0." + digits) if digits else 0.0)


def test_metrics_are_not_on_the_public_listener(metrics_server):
    assert requests.get(metrics_server.base_url + "/metrics", timeout=10).status_code == 404
    assert requests.get(metrics_server.metrics_url, timeout=10).status_code == 200


def test_server_without_metrics_port_has_no_metrics_listener(server):
    assert requests.get(server.base_url + "/metrics", timeout=10).status_code == 404


def test_prometheus_scrapes_requests_verifications_tokens_replays_and_webhook_queue(metrics_server, prometheus):
    server = metrics_server
    user = server.create_user(prefix="metrics")
    rp = RelyingParty(server, server.create_client())
    dead_port = free_port()
    endpoint = server.cli_json("webhooks", "add", "--url", f"http://127.0.0.1:{dead_port}/hook", "--allow-private")

    # One failed password, one sign-in, a code redeemed, a refresh then its reuse, then the code replayed.
    request = rp.authorization_request()
    browser = Browser(server)
    page = browser.open(request.url)
    browser.submit_password(page, "wrong password entirely", email=user.email)
    redirect = browser.sign_in(request.url, user)
    tokens = rp.exchange(request, redirect)
    rp.refresh(tokens["refresh_token"])
    assert rp.refresh_raw(tokens["refresh_token"]).status_code == 400
    assert rp.redeem_code(redirect.params["code"], request.code_verifier).status_code == 400

    wait_for_scrape(prometheus, after=time.time())

    assert value(prometheus, 'reverify_verifications_total{method="password",outcome="success"}') == 1
    assert value(prometheus, 'reverify_verifications_total{method="password",outcome="failure"}') == 1
    assert value(prometheus, 'reverify_tokens_issued_total{grant_type="authorization_code"}') == 1
    assert value(prometheus, 'reverify_tokens_issued_total{grant_type="refresh_token"}') == 1
    assert value(prometheus, "reverify_code_replay_total") == 1
    assert value(prometheus, "reverify_refresh_token_reuse_total") == 1
    assert value(prometheus, 'sum(reverify_step_up_decisions_total{reason="sign_in"})') >= 1
    assert value(prometheus, 'sum(hb_requests{http_route="/oauth2/token",http_response_status_code="200"})') == 2
    assert value(prometheus, 'sum(hb_requests{http_route="/oauth2/token",http_response_status_code="400"})') == 2
    # Latency histograms per route, and the Argon2 wait.
    assert value(prometheus, 'sum(http_server_request_duration_count{http_route="/oauth2/token"})') == 4
    assert query(prometheus, 'http_server_request_duration_bucket{http_route="/oauth2/token",le="+Inf"}')
    assert value(prometheus, 'sum(reverify_argon2_duration_seconds_count{operation="verify"})') >= 2
    assert value(prometheus, "reverify_argon2_in_flight") == 0  # every hash that started has finished
    assert value(prometheus, 'sum(reverify_db_transaction_duration_seconds_count{kind="write",outcome="commit"})') >= 5
    assert value(prometheus, 'sum(reverify_db_transaction_duration_seconds_count{kind="read",outcome="commit"})') >= 5
    # The sign-in's events wait for an endpoint nobody listens on.
    assert value(prometheus, f'reverify_webhook_queue_depth{{endpoint="{endpoint["id"]}"}}') >= 1
    assert value(prometheus, f'reverify_webhook_dead_letters{{endpoint="{endpoint["id"]}"}}') == 0


@pytest.mark.parametrize("args, message", [
    (("--metrics-port", "70000"), "--metrics-port must be between 0 and 65535"),
    (("--log-format", "xml"), "--log-format"),
])
def test_bad_operations_options_are_refused_before_the_database_exists(tmp_path, args, message):
    database = tmp_path / "never.sqlite"
    result = subprocess.run([str(reverify_bin()), "serve", "--database", str(database), "--port", str(free_port()), *args],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert message in result.stderr
    assert not database.exists() and not (tmp_path / "never.sqlite.lock").exists()
