"""Shared helpers for the Reverify end-to-end suite.

Everything here talks to a real `reverify` process over HTTP or runs its CLI; nothing is mocked.

* ``ReverifyServer``: a temporary database, the ``reverify serve`` process and a ``cli()`` helper.
* ``Browser``: a ``requests.Session`` (it keeps cookies) that drives the hosted pages the way a
  browser would, without ever requesting the relying party's redirect URI (which does not exist).
* ``RelyingParty``: an OpenID Connect client built on authlib's ``OAuth2Session`` that validates
  every token with joserfc against the server's published JWKS, never by trusting the server.
* ``Receiver``: a Standard Webhooks receiver on 127.0.0.1 that verifies every delivery.

This is the suite's one harness. It imports authlib, joserfc and standardwebhooks only where they are
used, so ``scripts/bench`` (which has requests and standardwebhooks only) can import it too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:  # imported lazily below: scripts/bench runs without authlib and joserfc
    from joserfc.jwk import KeySet

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
OUTPUT_DIR = E2E_DIR / "output"

#: Every password the suite sets (at least 8 characters, as Reverify requires).
PASSWORD = "correct horse battery staple"
#: The User-Agent of the scripted browser; the audit log and sessions must record it.
USER_AGENT = "ReverifyE2E/1.0 (pytest; python-requests)"
#: Where relying-party callbacks "live". Nothing listens there and the suite never requests it.
RP_ORIGIN = "http://127.0.0.1:9"

# authlib refuses plain-http token endpoints unless told this is deliberate (a local test server).
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")


def reverify_bin() -> Path:
    return Path(os.environ.get("REVERIFY_BIN") or REPO_ROOT / ".build" / "debug" / "reverify")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def generate_token(length: int = 64) -> str:
    """A random token of ``length`` URL-safe characters (a PKCE verifier is 43 to 128 of them)."""
    return secrets.token_urlsafe(length)[:length]


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------


@dataclass
class User:
    email: str
    password: str
    id: str


@dataclass
class Client:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str | None
    auth_method: str  # client_secret_basic | client_secret_post | none
    name: str
    id_token_alg: str = "ES256"  # id_token_signed_response_alg

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"


class ReverifyServer:
    """One ``reverify serve`` process on a free 127.0.0.1 port with its own SQLite database, or on a shared
    PostgreSQL ``database`` URL with an ``issuer`` shared by every instance behind one public name."""

    def __init__(self, workdir: Path, *, demo: bool = False, port: int | None = None,
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 database: str | None = None, issuer: str | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db = database or str(self.workdir / "reverify.sqlite")
        self.log_path = self.workdir / "server.log"
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.issuer = issuer or self.base_url
        self.demo = demo
        self.extra_args = tuple(extra_args)
        #: The environment of every `reverify` this object runs (e.g. REVERIFY_MASTER_KEY_FILE).
        self.env = {**os.environ, **(env or {})}
        self.binary = reverify_bin()
        self.process: subprocess.Popen | None = None
        self._log_file = None
        self._discovery: dict | None = None

    # -- CLI ----------------------------------------------------------------------------------

    def cli(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Runs `reverify ARGS --database DB`; with check, a non-zero exit fails the test with stderr."""
        command = [str(self.binary), *map(str, args), "--database", self.db]
        # The binary may be relinked while the suite runs; wait briefly for it to reappear.
        deadline = time.monotonic() + 120
        while True:
            try:
                result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=60,
                                        env=self.env)
                break
            except OSError:  # missing or busy (ETXTBSY) while being rebuilt
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        if check and result.returncode != 0:
            raise AssertionError(
                f"`reverify {' '.join(map(str, args))}` exited {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def cli_json(self, *args: str, input: str | None = None) -> Any:
        return json.loads(self.cli(*args, "--json", input=input).stdout)

    # -- process ------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        if not self.binary.exists():
            raise RuntimeError(f"reverify binary not found at {self.binary} (set REVERIFY_BIN)")
        self.cli("migrate")
        command = [str(self.binary), "serve", "--database", self.db, "--host", "127.0.0.1",
                   "--port", str(self.port), "--issuer", self.issuer]
        if self.demo:
            command.append("--demo")
        if "--rate-limit-per-minute" not in self.extra_args:
            # The suite is one client address acting for hundreds of users; test_rate_limits.py sets its own limit.
            command.extend(["--rate-limit-per-minute", "0"])
        if "--policy" not in self.extra_args:
            # Likewise for the risk policy's per-address failure velocity: the built-in policy, with that
            # threshold out of reach (test_risk.py checks the policy itself).
            policy = json.loads(subprocess.run([str(self.binary), "policy", "default"], capture_output=True,
                                               text=True, check=True).stdout)
            policy["address_velocity_threshold"] = 1_000_000
            policy_path = self.workdir / "suite-policy.json"
            policy_path.write_text(json.dumps(policy))
            command.extend(["--policy", str(policy_path)])
        command.extend(self.extra_args)
        self._log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=self.workdir, env=self.env)
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"reverify serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                r = requests.get(self.base_url + "/healthz", timeout=2)
                if r.status_code == 200 and r.json().get("status") == "ok":
                    return
            except (requests.RequestException, ValueError) as error:
                last_error = error
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"reverify serve did not become healthy in {timeout}s ({last_error}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_log()

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no chance to release leases or finish writes."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    # -- metadata -----------------------------------------------------------------------------

    @property
    def discovery(self) -> dict:
        if self._discovery is None:
            r = requests.get(self.base_url + "/.well-known/openid-configuration", timeout=10)
            r.raise_for_status()
            self._discovery = r.json()
        return self._discovery

    def endpoint(self, name: str) -> str:
        return self.discovery[f"{name}_endpoint"]

    def jwks(self) -> KeySet:
        """The published keys, fetched anew every time (they change on rotation)."""
        from joserfc.jwk import KeySet

        r = requests.get(self.discovery["jwks_uri"], timeout=10)
        r.raise_for_status()
        return KeySet.import_key_set(r.json())

    # -- accounts -----------------------------------------------------------------------------

    def create_user(self, prefix: str = "user", password: str = PASSWORD, name: str | None = None) -> User:
        email = f"{unique(prefix)}@example.com".lower()
        args = ["users", "create", "--email", email, "--password-stdin"]
        if name:
            args += ["--name", name]
        view = self.cli_json(*args, input=password)
        assert view["email"] == email and view["has_password"] is True
        return User(email=email, password=password, id=view["id"])

    def create_client(self, *, public: bool = False, auth_method: str = "client_secret_basic",
                      redirect_uri: str | None = None, post_logout_redirect_uri: str | None = "default",
                      name: str | None = None, actions: tuple[str, ...] = (),
                      id_token_alg: str | None = None, resource_server: bool = False) -> Client:
        tag = secrets.token_hex(4)
        name = name or unique("e2e-public" if public else "e2e-app")
        redirect_uri = redirect_uri or f"{RP_ORIGIN}/callback/{tag}"
        if post_logout_redirect_uri == "default":
            post_logout_redirect_uri = f"{RP_ORIGIN}/signed-out/{tag}"
        args = ["clients", "create", "--name", name, "--redirect-uri", redirect_uri]
        if post_logout_redirect_uri:
            args += ["--post-logout-redirect-uri", post_logout_redirect_uri]
        if public:
            args.append("--public")
        else:
            args += ["--auth-method", auth_method]
        for action in actions:
            args += ["--action", action]
        if id_token_alg:
            args += ["--id-token-alg", id_token_alg]
        if resource_server:
            args.append("--resource-server")
        view = self.cli_json(*args)
        assert view["resource_server"] is resource_server, view
        if public:
            assert view["token_endpoint_auth_method"] == "none" and not view.get("client_secret")
        else:
            assert view["client_secret"], view
        return Client(client_id=view["client_id"], client_secret=view.get("client_secret"),
                      redirect_uri=redirect_uri, post_logout_redirect_uri=post_logout_redirect_uri,
                      auth_method="none" if public else auth_method, name=name,
                      id_token_alg=view["id_token_signed_response_alg"])

    # -- webhooks -----------------------------------------------------------------------------

    def add_webhook_endpoint(self, receiver: "Receiver", *extra: str) -> dict:
        """Registers ``receiver`` (a loopback URL, hence ``--allow-private``) and gives it the secret."""
        view = self.cli_json("webhooks", "add", "--url", receiver.url, "--allow-private", *extra)
        receiver.secret = view["secret"]
        return view

    def deliveries(self, *args: str) -> list[dict]:
        return self.cli_json("webhooks", "deliveries", *args)

    def sessions(self, email: str) -> list[dict]:
        return self.cli_json("sessions", "list", "--user", email)

    def audit(self, email: str | None = None) -> list[dict]:
        return self.cli_json("audit", *(["--user", email] if email else []))

    def password_hash(self, email: str) -> str:
        with sqlite3.connect(self.db, timeout=10) as db:
            row = db.execute("SELECT password_hash FROM users WHERE email = ?", (email,)).fetchone()
        assert row is not None, f"no users row for {email}"
        return row[0]

    def query(self, sql: str, *params: Any) -> list[tuple]:
        """Rows from the live database, opened read-only (WAL included): what the server recorded."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def signing_key_pem(self, kid: str) -> str:
        """The private key behind a kid, straight from the database (to mint an old-looking token)."""
        with sqlite3.connect(self.db, timeout=10) as db:
            row = db.execute("SELECT private_key_pem FROM signing_keys WHERE kid = ?", (kid,)).fetchone()
        assert row is not None, f"no signing key {kid}"
        return row[0]

    def set_password_hash(self, email: str, phc: str) -> None:
        db = sqlite3.connect(self.db, timeout=10)
        try:
            with db:
                changed = db.execute("UPDATE users SET password_hash = ? WHERE email = ?", (phc, email)).rowcount
            assert changed == 1
        finally:
            db.close()


# --------------------------------------------------------------------------------------------
# HTML pages
# --------------------------------------------------------------------------------------------


class _PageParser(HTMLParser):
    """Collects forms (action, method, inputs), the text of elements with an id, and the title."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.ids: dict[str, dict] = {}  # id -> {"tag", "attrs", "text"}
        self.title = ""
        self._open: list[tuple[str, str | None]] = []
        self._form: dict | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        element_id = a.get("id")
        if element_id:
            self.ids[element_id] = {"tag": tag, "attrs": a, "text": ""}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "inputs": {}}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and "name" in a:
            self._form["inputs"][a["name"]] = a.get("value", "")
        elif tag == "title":
            self._in_title = True
        if tag not in self.VOID:
            self._open.append((tag, element_id))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "title":
            self._in_title = False
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        for _, element_id in self._open:
            if element_id:
                self.ids[element_id]["text"] += data


@dataclass
class HostedPage:
    """An HTML page Reverify answered with (sign-in, "Confirm it's you", error, logout…)."""

    url: str
    status: int
    headers: Any
    html: str
    forms: list[dict] = field(default_factory=list)
    ids: dict[str, dict] = field(default_factory=dict)
    title: str = ""

    @classmethod
    def from_response(cls, response: requests.Response) -> "HostedPage":
        parser = _PageParser()
        parser.feed(response.text)
        parser.close()
        return cls(url=response.url, status=response.status_code, headers=response.headers, html=response.text,
                   forms=parser.forms, ids=parser.ids, title=parser.title.strip())

    def has(self, element_id: str) -> bool:
        return element_id in self.ids

    def text(self, element_id: str) -> str:
        assert element_id in self.ids, f"no element #{element_id} on {self.url}:\n{self.html}"
        return " ".join(self.ids[element_id]["text"].split())

    def form(self, action_suffix: str) -> dict:
        for form in self.forms:
            if form["action"].endswith(action_suffix):
                return form
        raise AssertionError(f"no form posting to …{action_suffix} on {self.url}: {self.forms}")

    @property
    def is_sign_in(self) -> bool:
        return self.title.startswith("Sign in") and self.has("email") and self.ids["email"]["tag"] == "input"

    @property
    def is_reauth(self) -> bool:
        return "Confirm it" in self.title and self.has("signed-in-email")


@dataclass
class Redirect:
    """A 302 that leaves Reverify, e.g. to the relying party's redirect URI. Never followed."""

    status: int
    location: str
    headers: Any

    @property
    def params(self) -> dict[str, str]:
        query = urllib.parse.urlsplit(self.location).query
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        names = [k for k, _ in pairs]
        assert len(names) == len(set(names)), f"repeated parameter in {self.location}"
        return dict(pairs)

    def goes_to(self, uri: str) -> bool:
        return self.location.split("?", 1)[0] == uri


class Browser:
    """A cookie-keeping user agent that follows Reverify's own redirects but never leaves it."""

    def __init__(self, server: ReverifyServer):
        self.server = server
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT

    def _internal(self, location: str) -> str | None:
        absolute = urllib.parse.urljoin(self.server.base_url + "/", location)
        return absolute if absolute.startswith(self.server.base_url + "/") else None

    def _settle(self, response: requests.Response) -> HostedPage | Redirect:
        """Follows redirects that stay on Reverify (e.g. to /reauth/…); stops at the first one leaving it."""
        for _ in range(10):
            if response.status_code not in (301, 302, 303, 307, 308):
                return HostedPage.from_response(response)
            location = response.headers["Location"]
            internal = self._internal(location)
            if internal is None or not urllib.parse.urlsplit(internal).path.startswith("/reauth/"):
                return Redirect(response.status_code, location, response.headers)
            response = self.http.get(internal, allow_redirects=False, timeout=30)
        raise AssertionError("redirect loop")

    def open(self, url: str) -> HostedPage | Redirect:
        return self._settle(self.http.get(url, allow_redirects=False, timeout=30))

    def post_form(self, page: HostedPage, action_suffix: str, **fields: str) -> HostedPage | Redirect:
        form = page.form(action_suffix)
        assert form["method"] == "post"
        data = dict(form["inputs"])
        data.update(fields)
        target = urllib.parse.urljoin(page.url, form["action"])
        return self._settle(self.http.post(target, data=data, allow_redirects=False, timeout=30))

    def submit_password(self, page: HostedPage, password: str, email: str | None = None) -> HostedPage | Redirect:
        fields = {"password": password}
        if email is not None:
            fields["email"] = email
        return self.post_form(page, "/password", **fields)

    def cancel(self, page: HostedPage) -> HostedPage | Redirect:
        return self.post_form(page, "/cancel")

    # -- journeys that leave Reverify (upstream SSO) ----------------------------------------

    def follow(self, response: requests.Response, stop_at: str,
               visited: list[str] | None = None) -> HostedPage | Redirect:
        """Follows redirects on any origin (Reverify, an upstream provider) until one goes to ``stop_at``
        (the relying party, never requested) or a page answers. Every URL followed goes to ``visited``."""
        for _ in range(15):
            if response.status_code not in (301, 302, 303, 307, 308):
                return HostedPage.from_response(response)
            location = urllib.parse.urljoin(response.url, response.headers["Location"])
            if location.startswith(stop_at):
                return Redirect(response.status_code, location, response.headers)
            if visited is not None:
                visited.append(location)
            response = self.http.get(location, allow_redirects=False, timeout=30)
        raise AssertionError("redirect loop")

    def submit(self, page: HostedPage, form: dict, stop_at: str, visited: list[str] | None = None,
               **fields: str) -> HostedPage | Redirect:
        """Posts ``form`` of ``page`` (on any origin) with its hidden inputs plus ``fields``, then ``follow``s."""
        data = dict(form["inputs"])
        data.update(fields)
        target = urllib.parse.urljoin(page.url, form["action"])
        return self.follow(self.http.post(target, data=data, allow_redirects=False, timeout=30), stop_at, visited)

    def sign_in(self, url: str, user: User) -> Redirect:
        """Opens an authorization URL with no session, signs in on the hosted page, returns the redirect."""
        page = self.open(url)
        assert isinstance(page, HostedPage) and page.is_sign_in, f"expected the sign-in page, got {page}"
        assert page.form("/password")["inputs"].get("csrf_token"), "sign-in form lacks a csrf_token"
        result = self.submit_password(page, user.password, email=user.email)
        assert isinstance(result, Redirect), f"sign-in did not redirect: {getattr(result, 'status', '')} {result}"
        return result

    def reauthenticate(self, url: str, user: User) -> Redirect:
        """Opens an authorization URL that needs re-authentication and confirms it on the page."""
        page = self.open(url)
        assert isinstance(page, HostedPage) and page.is_reauth, f"expected 'Confirm it's you', got {page}"
        assert page.text("signed-in-email") == user.email
        result = self.submit_password(page, user.password)
        assert isinstance(result, Redirect), f"re-authentication did not redirect: {result}"
        return result

    @property
    def session_cookie(self) -> str | None:
        return self.http.cookies.get("reverify_session")


# --------------------------------------------------------------------------------------------
# The relying party
# --------------------------------------------------------------------------------------------


@dataclass
class AuthRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def b64url_sha256_half(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


class RelyingParty:
    """An OIDC client (authlib) that validates what it receives against the server's JWKS."""

    def __init__(self, server: ReverifyServer, client: Client, scope: str = "openid email profile offline_access"):
        self.server = server
        self.client = client
        self.scope = scope
        from authlib.integrations.requests_client import OAuth2Session

        self.oauth = OAuth2Session(
            client_id=client.client_id,
            client_secret=client.client_secret,
            scope=scope,
            redirect_uri=client.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=client.auth_method,
        )
        self.oauth.headers["User-Agent"] = USER_AGENT

    def authorization_request(self, **extra: Any) -> AuthRequest:
        nonce = secrets.token_urlsafe(16)
        verifier = generate_token(64)
        url, state = self.oauth.create_authorization_url(
            self.server.endpoint("authorization"), nonce=nonce, code_verifier=verifier, **extra)
        return AuthRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def check_callback(self, request: AuthRequest, redirect: Redirect) -> dict[str, str]:
        """What a careful RP checks before using a response: target, state, and RFC 9207 iss."""
        assert redirect.status == 302
        assert redirect.goes_to(self.client.redirect_uri), redirect.location
        params = redirect.params
        assert params.get("state") == request.state, params
        assert params.get("iss") == self.server.issuer, params
        return params

    def exchange(self, request: AuthRequest, redirect: Redirect, code_verifier: str | None = None) -> dict:
        params = self.check_callback(request, redirect)
        assert "code" in params, f"no code in {redirect.location}"
        token = self.oauth.fetch_token(
            self.server.endpoint("token"), authorization_response=redirect.location, state=request.state,
            code_verifier=code_verifier or request.code_verifier)
        return dict(token)

    def redeem_code(self, code: str, code_verifier: str | None) -> requests.Response:
        """A raw token request (for replays and deliberately wrong verifiers)."""
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.client.redirect_uri}
        if code_verifier is not None:
            data["code_verifier"] = code_verifier
        return self.token_request(data)

    def refresh(self, refresh_token: str) -> dict:
        return dict(self.oauth.refresh_token(self.server.endpoint("token"), refresh_token=refresh_token))

    def refresh_raw(self, refresh_token: str) -> requests.Response:
        return self.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def token_request(self, data: dict) -> requests.Response:
        return self.client_post(self.server.endpoint("token"), data)

    def client_post(self, url: str, data: dict) -> requests.Response:
        data = dict(data)
        auth = None
        if self.client.auth_method == "client_secret_basic":
            auth = (self.client.client_id, self.client.client_secret)
        elif self.client.auth_method == "client_secret_post":
            data.update(client_id=self.client.client_id, client_secret=self.client.client_secret)
        else:
            data["client_id"] = self.client.client_id
        return requests.post(url, data=data, auth=auth, headers={"User-Agent": USER_AGENT}, timeout=30)

    def introspect(self, token: str) -> dict:
        r = self.client_post(self.server.discovery["introspection_endpoint"], {"token": token})
        assert r.status_code == 200, r.text
        return r.json()

    def revoke(self, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        return self.client_post(self.server.discovery["revocation_endpoint"], data)

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(self.server.endpoint("userinfo"), timeout=30,
                            headers={"Authorization": f"Bearer {access_token}", "User-Agent": USER_AGENT})

    # -- validation ---------------------------------------------------------------------------

    def validate_id_token(self, id_token: str, nonce: str | None, access_token: str | None = None) -> dict:
        """OIDC Core 3.1.3.7 with joserfc, against the JWKS: signature, iss, aud, exp, iat, nonce, auth_time.

        ``nonce=None`` is for refreshed ID tokens (OIDC Core 12.2), whose nonce the caller checks itself.
        """
        from joserfc import jwt

        alg = self.client.id_token_alg
        token = jwt.decode(id_token, self.server.jwks(), algorithms=[alg])
        assert token.header["alg"] == alg and token.header.get("kid"), token.header
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.server.issuer},
            "aud": {"essential": True, "value": self.client.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            # Reverify promises auth_time in every ID token (OIDC Core 2, required when max_age is used).
            "auth_time": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        jwt.JWTClaimsRegistry(leeway=5, **options).validate(token.claims)
        claims = dict(token.claims)
        assert isinstance(claims["auth_time"], int)
        assert claims["auth_time"] <= claims["iat"] <= time.time() + 5
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1:
            assert claims.get("azp") == self.client.client_id
        if claims.get("azp") is not None:
            assert claims["azp"] == self.client.client_id
        if access_token is not None:
            assert claims.get("at_hash") == b64url_sha256_half(access_token), "at_hash does not match the access token"
        return claims

    def validate_access_token(self, access_token: str) -> tuple[dict, dict]:
        """RFC 9068: typ at+jwt, ES256 against the JWKS, iss/aud/exp/client_id."""
        from joserfc import jwt

        token = jwt.decode(access_token, self.server.jwks(), algorithms=["ES256"])
        assert token.header.get("typ", "").lower() in ("at+jwt", "application/at+jwt"), token.header
        jwt.JWTClaimsRegistry(
            leeway=5,
            iss={"essential": True, "value": self.server.issuer},
            exp={"essential": True},
            aud={"essential": True},
            sub={"essential": True},
            client_id={"essential": True, "value": self.client.client_id},
            iat={"essential": True},
            jti={"essential": True},
        ).validate(token.claims)
        return dict(token.header), dict(token.claims)

    def validate_tokens(self, tokens: dict, nonce: str | None) -> dict:
        """Checks a whole token response and returns the ID token's claims."""
        assert tokens.get("token_type", "").lower() == "bearer", tokens
        assert isinstance(tokens.get("expires_in"), int) and tokens["expires_in"] > 0
        claims = self.validate_id_token(tokens["id_token"], nonce, access_token=tokens["access_token"])
        _, access = self.validate_access_token(tokens["access_token"])
        assert access["sub"] == claims["sub"]
        assert access["auth_time"] == claims["auth_time"]
        return claims


def authorize_url(server: ReverifyServer, **params: Any) -> str:
    """A hand-built authorization URL (for requests authlib would not make)."""
    query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    return f"{server.endpoint('authorization')}?{query}"


def code_request_url(server: ReverifyServer, client: Client, **extra: Any) -> str:
    """A minimal code request for a confidential client (no authlib): for flows whose tokens the test does
    not redeem, e.g. sign-ins that only have to produce events."""
    return authorize_url(server, response_type="code", client_id=client.client_id,
                         redirect_uri=client.redirect_uri, scope="openid", state=secrets.token_hex(8),
                         nonce=secrets.token_hex(8), **extra)


class CallbackReceiver:
    """A browser-driven relying party's redirect URI: a real HTTP server that records each callback's query.

    `host` names the origin the browser sees (`localhost` or `127.0.0.1`), so a test can put the relying party on
    another origin than Reverify's; the socket binds 127.0.0.1 either way."""

    def __init__(self, host: str = "127.0.0.1"):
        self.port = free_port()
        self.url = f"http://{host}:{self.port}/cb"
        self.callbacks: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == "/cb":
                    receiver.callbacks.append(dict(urllib.parse.parse_qsl(parts.query)))
                body = b"<!doctype html><title>Relying party</title><h1 id='rp-landed'>back at the app</h1>"
                self.send_response(200 if parts.path == "/cb" else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class JWKSServer:
    """A JWK Set published over HTTP on a free 127.0.0.1 port (a client's or transmitter's `jwks_uri`),
    stopped by the test: `with JWKSServer(key_set_dict) as uri: …`."""

    def __init__(self, jwks: dict):
        body = json.dumps(jwks).encode()

        class Keys(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Keys)
        self.origin = f"http://127.0.0.1:{self._httpd.server_port}"
        self.uri = f"{self.origin}/jwks.json"

    def __enter__(self) -> "JWKSServer":
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def pkce_pair() -> tuple[str, str]:
    verifier = generate_token(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def header_of(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# --------------------------------------------------------------------------------------------
# A webhook receiver
# --------------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One POST the receiver got, verified with the `standardwebhooks` library."""

    webhook_id: str
    timestamp: str
    signature: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None
    received_ms: int
    status: int = 0

    @property
    def event(self) -> dict:
        return json.loads(self.body)


#: Decides the HTTP answer for a delivery: (status, extra headers). Sees the delivery and how many times
#: this webhook-id arrived before (0 for the first).
Responder = Callable[[Delivery, int], tuple[int, dict[str, str]]]


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 that verifies every request with `standardwebhooks`."""

    def __init__(self, responder: Responder | None = None, delay: float = 0.0):
        self.secret: str | None = None
        self.responder: Responder = responder or (lambda delivery, seen: (204, {}))
        self.delay = delay
        self.deliveries: list[Delivery] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server naming)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                receiver.handle(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/{secrets.token_hex(4)}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        received_ms = int(time.time() * 1000)
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified, error = False, None
        try:
            assert self.secret, "the test did not give the receiver its secret"
            Webhook(self.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, AssertionError, ValueError) as e:
            error = repr(e)
        delivery = Delivery(
            webhook_id=headers.get("webhook-id", ""), timestamp=headers.get("webhook-timestamp", ""),
            signature=headers.get("webhook-signature", ""), headers=headers, body=body, verified=verified,
            error=error, received_ms=received_ms)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            seen = self.counts.get(delivery.webhook_id, 0)
            self.counts[delivery.webhook_id] = seen + 1
        status, extra = self.responder(delivery, seen) if verified else (401, {})
        delivery.status = status
        with self.lock:
            self.deliveries.append(delivery)
            self.lock.notify_all()
        payload = b"" if status == 204 else json.dumps({"status": status}).encode()
        request.send_response(status)
        for name, value in extra.items():
            request.send_header(name, value)
        request.send_header("content-length", str(len(payload)))
        request.end_headers()
        if payload:
            request.wfile.write(payload)

    # -- queries ------------------------------------------------------------------------------

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def accepted(self) -> list[Delivery]:
        """Deliveries answered with a 2xx."""
        return [d for d in self.snapshot() if 200 <= d.status < 300]

    def accepted_ids(self) -> set[str]:
        return {d.webhook_id for d in self.accepted()}

    def of_type(self, event_type: str) -> list[Delivery]:
        return [d for d in self.accepted() if d.event.get("type") == event_type]

    def wait_for(self, predicate: Callable[[list[Delivery]], bool], timeout: float, what: str) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(list(self.deliveries)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; got {len(self.deliveries)} deliveries")
                self.lock.wait(min(remaining, 0.2))
            return list(self.deliveries)
