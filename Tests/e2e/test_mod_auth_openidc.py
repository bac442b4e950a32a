"""Issue 10: a real third-party relying party, Apache httpd with mod_auth_openidc, steps up by ``acr``.

Apache runs from a temporary directory with its own minimal configuration, on a free 127.0.0.1 port,
addressed as ``http://localhost:<port>`` so its cookies live on another origin than Reverify's
(``http://127.0.0.1:<port>``). ``/app/`` needs any sign-in; ``/app/secure/`` is protected the way
mod_auth_openidc documents acr step-up::

    OIDCPathAuthRequestParams acr_values=urn:reverify:acr:mfa
    OIDCUnAutzAction auth
    Require claim acr:urn:reverify:acr:mfa

Before issue 10 this looped: every authorize silently returned a 1fa token. Now a user signed in at
1fa gets Reverify's step-up page, verifies a second factor, and reaches the location.

Needs Debian's ``apache2-bin`` and ``libapache2-mod-auth-openidc`` (``scripts/test`` installs them).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from mail_outbox import messages_to, wait_for_code
from reverify_e2e import OUTPUT_DIR, USER_AGENT, HostedPage, ReverifyServer, free_port

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")
MFA = "urn:reverify:acr:mfa"
ONE = "urn:reverify:acr:1fa"



def require_apache() -> None:
    """Skips locally without Apache, but fails under CI=true, like the browser tests: a CI run must never go
    green without running the third-party relying party."""
    if Path(APACHE).exists() and (MODULES / "mod_auth_openidc.so").exists():
        return
    message = "needs apache2-bin and libapache2-mod-auth-openidc (scripts/test installs them)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: this test must run)", pytrace=False)
    pytest.skip(message)

CONFIG = """\
ServerRoot "{root}"
ServerName localhost
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
Mutex file:{root} default
ErrorLog "{root}/error.log"
LogLevel warn auth_openidc:info
# Only if started as root: the worker drops to an unprivileged account.
User nobody
Group nogroup

LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authn_core_module {modules}/mod_authn_core.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule authz_user_module {modules}/mod_authz_user.so
LoadModule auth_openidc_module {modules}/mod_auth_openidc.so

DocumentRoot "{root}/htdocs"

OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret {client_secret}
OIDCRedirectURI http://localhost:{port}/app/redirect_uri
OIDCCryptoPassphrase {passphrase}
OIDCScope "openid email"
OIDCPKCEMethod S256
OIDCInfoHook iat id_token

<Location /app/>
    AuthType openid-connect
    Require valid-user
</Location>

<Location /app/secure/>
    AuthType openid-connect
    OIDCPathAuthRequestParams acr_values=urn:reverify:acr:mfa
    OIDCUnAutzAction auth
    Require claim acr:urn:reverify:acr:mfa
</Location>
"""


class Apache:
    """`apache2 -X -f <our config>` in a temporary directory; stopped by its PID."""

    def __init__(self, reverify: ReverifyServer, port: int, client_id: str, client_secret: str):
        # Not under pytest's private tmp dir: the worker may run as `nobody` and must read the files.
        self.root = Path(tempfile.mkdtemp(prefix="reverify-httpd-"))
        self.root.chmod(0o755)
        self.port = port
        self.base_url = f"http://localhost:{self.port}"
        self.redirect_uri = f"{self.base_url}/app/redirect_uri"
        htdocs = self.root / "htdocs"
        (htdocs / "app" / "secure").mkdir(parents=True)
        (htdocs / "app" / "index.html").write_text("<p id='app'>signed in</p>\n")
        (htdocs / "app" / "secure" / "index.html").write_text("<p id='secure'>billing</p>\n")
        for path in [htdocs, htdocs / "app", htdocs / "app" / "secure"]:
            path.chmod(0o755)
        config = self.root / "httpd.conf"
        config.write_text(CONFIG.format(
            root=self.root, port=self.port, modules=MODULES, issuer=reverify.issuer, client_id=client_id,
            client_secret=client_secret, passphrase=secrets.token_hex(16)))
        self.command = [APACHE, "-X", "-f", str(config)]
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> None:
        check = subprocess.run([APACHE, "-t", "-f", str(self.root / "httpd.conf")], capture_output=True, text=True)
        assert check.returncode == 0, f"httpd refused the configuration: {check.stderr}"
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        stdin=subprocess.DEVNULL, cwd=self.root)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"httpd exited with {self.process.returncode}:\n{self.log()}")
            try:
                requests.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"httpd did not answer within {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.root / "error.log").read_text(errors="replace")[-4000:]
        except OSError:
            return "(no error log)"


@pytest.fixture(scope="module")
def reverify(tmp_path_factory):
    require_apache()
    workdir = tmp_path_factory.mktemp("reverify-httpd-op")
    server = ReverifyServer(workdir, extra_args=("--mail-outbox", str(workdir / "mail")))
    server.outbox = workdir / "mail"
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def apache(reverify):
    port = free_port()
    # Reverify matches redirect URIs exactly: Apache's callback is registered as the client's.
    view = reverify.cli_json("clients", "create", "--name", "Apache mod_auth_openidc",
                             "--redirect-uri", f"http://localhost:{port}/app/redirect_uri")
    server = Apache(reverify, port, view["client_id"], view["client_secret"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def page(response: requests.Response) -> HostedPage:
    assert response.status_code == 200, f"{response.status_code} at {response.url}: {response.text[:500]}"
    return HostedPage.from_response(response)


def submit(http: requests.Session, current: HostedPage, action_suffix: str, **fields: str) -> requests.Response:
    """Posts a form of a Reverify page and follows every redirect, across origins, as a browser does."""
    form = current.form(action_suffix)
    data = dict(form["inputs"], **fields)
    return http.post(urllib.parse.urljoin(current.url, form["action"]), data=data, timeout=30)


class _MetaRefresh(HTMLParser):
    def __init__(self):
        super().__init__()
        self.content: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            self.content = a.get("content")


def meta_refresh_target(response: requests.Response) -> str:
    """Where an HTML `<meta http-equiv="refresh" content="0; url=…">` page sends a browser."""
    parser = _MetaRefresh()
    parser.feed(response.text)
    assert parser.content, f"{response.status_code} at {response.url} is not a refresh page: {response.text[:500]}"
    _, _, url = parser.content.partition("url=")
    return urllib.parse.urljoin(response.url, url.strip())


def apache_claims(http: requests.Session, apache: Apache) -> dict:
    """What mod_auth_openidc itself holds about the session (its info hook), not what Reverify says."""
    response = http.get(apache.redirect_uri, params={"info": "json"}, timeout=30)
    assert response.status_code == 200, response.text
    return json.loads(response.text)["id_token"]


def test_mod_auth_openidc_acr_step_up_shows_reverify_step_up_page_and_reaches_the_location(reverify, apache):
    user = reverify.create_user(prefix="httpd")
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT

    # 1. Any sign-in is enough for /app/: a password, so acr 1fa.
    sign_in = page(http.get(apache.base_url + "/app/index.html", timeout=30))
    assert sign_in.is_sign_in and sign_in.url.startswith(reverify.base_url + "/reauth/"), sign_in.url
    landed = submit(http, sign_in, "/password", email=user.email, password=user.password)
    assert landed.status_code == 200 and "signed in" in landed.text, landed.text
    assert apache_claims(http, apache)["acr"] == ONE

    # 2. /app/secure/ requires acr mfa: Apache re-authenticates with acr_values, Reverify asks for one more step.
    #    mod_auth_openidc answers with a "Stepup Authentication" page that refreshes to the provider.
    stepup_notice = http.get(apache.base_url + "/app/secure/index.html", timeout=30)
    target = meta_refresh_target(stepup_notice)
    authorize = urllib.parse.urlsplit(target)
    assert authorize.path == "/oauth2/authorize", target
    assert urllib.parse.parse_qs(authorize.query)["acr_values"] == [MFA], target
    step_up = page(http.get(target, timeout=30))
    assert step_up.url.startswith(reverify.base_url + "/reauth/") and step_up.has("step-up-reason"), step_up.html
    forms = {f["action"].rsplit("/", 1)[-1] for f in step_up.forms}
    assert "password" not in forms and "email" in forms, forms

    # 3. The emailed code completes mfa; mod_auth_openidc accepts the new ID token and serves the location.
    already = len(messages_to(reverify.outbox, user.email))
    check = page(submit(http, step_up, "/email"))
    reached = submit(http, check, "/code", code=wait_for_code(reverify.outbox, user.email, already))

    assert reached.status_code == 200 and "billing" in reached.text, (reached.status_code, reached.url, apache.log())
    assert urllib.parse.urlsplit(reached.url).netloc == f"localhost:{apache.port}"
    claims = apache_claims(http, apache)
    assert claims["acr"] == MFA and "mfa" in claims["amr"], claims


def test_mod_auth_openidc_acr_step_up_in_chromium(driver, reverify, apache):
    """The same journey in a real browser: cookies on two origins, the meta refresh, the hosted pages."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    def wait_for(element_id: str):
        return WebDriverWait(driver, 20).until(EC.element_to_be_clickable((By.ID, element_id)))

    user = reverify.create_user(prefix="httpd-chromium")
    driver.get(apache.base_url + "/app/index.html")
    wait_for("email").send_keys(user.email)
    driver.find_element(By.ID, "password").send_keys(user.password)
    driver.find_element(By.ID, "submit").click()
    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "app")))

    driver.get(apache.base_url + "/app/secure/index.html")
    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "step-up-reason")))
    assert driver.current_url.startswith(reverify.base_url + "/reauth/"), driver.current_url
    assert not driver.find_elements(By.ID, "password"), "after a password only a second factor is offered"
    driver.save_screenshot(str(OUTPUT_DIR / "mod_auth_openidc_step_up.png"))
    already = len(messages_to(reverify.outbox, user.email))
    wait_for("email-me").click()
    wait_for("code").send_keys(wait_for_code(reverify.outbox, user.email, already))
    driver.find_element(By.ID, "submit-code").click()

    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "secure")))
    assert urllib.parse.urlsplit(driver.current_url).netloc == f"localhost:{apache.port}"
    driver.get(apache.redirect_uri + "?info=json")
    claims = json.loads(driver.find_element(By.TAG_NAME, "body").text)["id_token"]
    assert claims["acr"] == MFA and "mfa" in claims["amr"], claims
