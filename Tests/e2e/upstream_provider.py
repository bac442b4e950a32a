"""A small but real OpenID Connect provider for the delegated-SSO tests, built on Authlib's server
components (authorization code grant, PKCE, client authentication) and Flask.

It honours ``prompt=login`` and ``max_age`` (re-asking for the password), emits ``auth_time`` and ``amr``,
and can be switched into misbehaving modes so the tests can prove Reverify refuses each one:

* ``ignore_max_age``: reuse an existing login whatever ``prompt``/``max_age`` say (its ``auth_time`` is old);
* ``wrong_nonce``, ``wrong_aud``, ``other_sub``, ``no_auth_time``: tamper with that claim;
* ``wrong_key``: sign with a key that is not in the published JWKS (same ``kid``);
* ``huge_exp``, ``huge_iat``, ``huge_auth_time`` (2^63), ``min_auth_time`` (-2^63), ``zero_auth_time``: signed
  time claims no real token carries (issue 9 item 13);
* ``wrong_iss``: the authorization response carries an RFC 9207 ``iss`` naming another provider;
* ``omit_iss``: a provider created with ``advertise_iss=True`` (which promises RFC 9207 ``iss`` in its
  discovery document and normally sends it) leaves it out;
* ``error``: answer the authorization request with ``error`` and ``error_description`` (``error_description``
  holds ``error_text``), with the right ``iss``; ``error_wrong_iss``: the same with another provider's ``iss``.
"""

from __future__ import annotations

import hmac
import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin as OIDCCodeMixin
from authlib.oidc.core.grants import OpenIDCode

from flask import Flask, redirect, request, session
from joserfc import jwt
from joserfc.jwk import ECKey
from werkzeug.serving import make_server

from reverify_e2e import free_port

MODES = {"normal", "ignore_max_age", "wrong_nonce", "wrong_aud", "other_sub", "no_auth_time", "wrong_key",
         "huge_exp", "huge_iat", "huge_auth_time", "min_auth_time", "zero_auth_time", "wrong_iss", "error",
         "error_wrong_iss", "omit_iss"}
#: Another provider's issuer, for the RFC 9207 mix-up modes.
OTHER_ISSUER = "http://127.0.0.1:9/other-idp"


@dataclass
class Account:
    username: str
    password: str
    sub: str
    email: str
    email_verified: bool = True


@dataclass
class LoggedIn:
    account: Account
    auth_time: int

    @property
    def id(self) -> str:  # authlib reads user.id in places
        return self.account.sub


@dataclass
class RegisteredClient(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in {"openid", "email", "profile"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class IssuedCode(OIDCCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: LoggedIn
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    created: float = field(default_factory=time.time)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.user.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return ["pwd", "otp"]


class UpstreamProvider:
    """The provider, served by werkzeug on a thread: ``start()``, ``stop()``, ``mode``, ``add_account()``."""

    def __init__(self, host: str = "127.0.0.1", advertise_iss: bool = False):
        self.port = free_port()
        #: Whether discovery says authorization_response_iss_parameter_supported (RFC 9207 3).
        self.advertise_iss = advertise_iss
        self.issuer = f"http://{host}:{self.port}"
        self.mode = "normal"
        #: The error_description sent in the ``error`` modes.
        self.error_text = "max_age invalid"
        self.accounts: dict[str, Account] = {}
        self.clients: dict[str, RegisteredClient] = {}
        self.codes: dict[str, IssuedCode] = {}
        self.key = ECKey.generate_key("P-256", private=True)
        self.other_key = ECKey.generate_key("P-256", private=True)
        self.kid = "upstream-" + secrets.token_hex(4)
        self.authorize_requests: list[dict] = []
        self.token_requests = 0
        self.jwks_requests = 0
        self.app = self._make_app()
        self._server = None
        self._thread = None

    # -- set-up -------------------------------------------------------------------------------

    def add_client(self, redirect_uri: str) -> RegisteredClient:
        client = RegisteredClient("rp-" + secrets.token_hex(6), secrets.token_urlsafe(24), [redirect_uri])
        self.clients[client.client_id] = client
        return client

    def add_account(self, email: str, password: str = "upstream password 1") -> Account:
        account = Account(username=email, password=password, sub="sub-" + secrets.token_hex(8), email=email)
        self.accounts[account.username] = account
        return account

    def rotate_key(self) -> None:
        """Replaces the signing key and its kid, as a provider does on key rotation (OIDC Core 10.1.1)."""
        self.key = ECKey.generate_key("P-256", private=True)
        self.kid = "upstream-" + secrets.token_hex(4)

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()

    # -- the application ----------------------------------------------------------------------

    def _make_app(self) -> Flask:
        provider = self
        app = Flask("upstream_provider")
        app.secret_key = secrets.token_bytes(32)
        # Reverify runs on the same host; keep our cookie apart from its cookies.
        app.config["SESSION_COOKIE_NAME"] = "upstream_session"

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, req):
                provider.codes[code] = IssuedCode(
                    code=code, client_id=req.client.get_client_id(), redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope, user=req.user, nonce=req.payload.data.get("nonce"),
                    code_challenge=req.payload.data.get("code_challenge"),
                    code_challenge_method=req.payload.data.get("code_challenge_method"))

            def query_authorization_code(self, code, client):
                issued = provider.codes.get(code)
                if issued and issued.client_id == client.get_client_id() and time.time() - issued.created < 60:
                    return issued
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IDToken(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return False

            def generate_user_info(self, user, scope):
                return {"sub": user.account.sub, "email": user.account.email,
                        "email_verified": user.account.email_verified}

            def encode_id_token(self, token, req):
                """Built here (not by authlib) so the misbehaving modes can tamper with any claim."""
                issued: IssuedCode = req.authorization_code
                now = int(time.time())
                claims = {
                    "iss": provider.issuer, "sub": issued.user.account.sub, "aud": issued.client_id,
                    "azp": issued.client_id, "iat": now, "exp": now + 300, "auth_time": issued.user.auth_time,
                    "nonce": issued.nonce, "amr": issued.get_amr(),
                    **self.generate_user_info(issued.user, issued.scope),
                }
                mode = provider.mode
                if mode == "wrong_nonce":
                    claims["nonce"] = secrets.token_urlsafe(16)
                elif mode == "wrong_aud":
                    claims["aud"] = "someone-else"
                    claims["azp"] = "someone-else"
                elif mode == "other_sub":
                    claims["sub"] = "sub-intruder-" + secrets.token_hex(4)
                elif mode == "no_auth_time":
                    del claims["auth_time"]
                elif mode == "huge_exp":
                    claims["exp"] = 2**63
                elif mode == "huge_iat":
                    claims["iat"] = 2**63
                elif mode == "huge_auth_time":
                    claims["auth_time"] = 2**63
                elif mode == "min_auth_time":
                    claims["auth_time"] = -(2**63)
                elif mode == "zero_auth_time":
                    claims["auth_time"] = 0
                key = provider.other_key if mode == "wrong_key" else provider.key
                return jwt.encode({"alg": "ES256", "kid": provider.kid, "typ": "JWT"}, claims, key)

        server = AuthorizationServer(app, query_client=lambda cid: provider.clients.get(cid),
                                     save_token=lambda token, req: None)
        server.register_grant(CodeGrant, [CodeChallenge(required=True), IDToken(require_nonce=True)])

        def current_user() -> LoggedIn | None:
            data = session.get("login")
            account = provider.accounts.get(data["username"]) if data else None
            return LoggedIn(account, data["auth_time"]) if account else None

        def login_page(error: str = "") -> str:
            return (
                "<!doctype html><title>Upstream sign-in</title>"
                f"<p id='error'>{error}</p>"
                f"<form id='login' method='post' action='{html.escape(request.full_path)}'>"
                "<input name='username'><input name='password' type='password'>"
                "<button type='submit'>Sign in</button></form>")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            response = app.json.response({
                "issuer": provider.issuer,
                "authorization_endpoint": provider.issuer + "/authorize",
                "token_endpoint": provider.issuer + "/token",
                "jwks_uri": provider.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["sub", "email", "email_verified", "auth_time", "amr"],
                **({"authorization_response_iss_parameter_supported": True} if provider.advertise_iss else {}),
            })
            response.headers["Cache-Control"] = "public, max-age=300"
            return response

        @app.get("/jwks")
        def jwks():
            provider.jwks_requests += 1
            public = provider.key.as_dict(private=False)
            public.update(kid=provider.kid, alg="ES256", use="sig")
            response = app.json.response({"keys": [public]})
            response.headers["Cache-Control"] = "public, max-age=300"
            return response

        def respond(user):
            """The authorization response, with the RFC 9207 ``iss`` of another provider in ``wrong_iss`` mode."""
            response = server.create_authorization_response(grant_user=user)
            iss = None
            if provider.mode == "wrong_iss":
                iss = OTHER_ISSUER
            elif provider.advertise_iss and provider.mode != "omit_iss":
                iss = provider.issuer
            if iss and response.status_code in (302, 303):
                location = response.headers["Location"]
                response.headers["Location"] = location + ("&" if "?" in location else "?") + urlencode({"iss": iss})
            return response

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            provider.authorize_requests.append(dict(request.args))
            if provider.mode in ("error", "error_wrong_iss"):
                # RFC 6749 4.1.2.1 error response, with RFC 9207 iss.
                iss = provider.issuer if provider.mode == "error" else OTHER_ISSUER
                query = urlencode({"error": "invalid_request", "error_description": provider.error_text,
                                   "state": request.args.get("state", ""), "iss": iss})
                return redirect(request.args["redirect_uri"] + "?" + query, code=302)
            if request.method == "POST":
                account = provider.accounts.get(request.form.get("username", ""))
                if not account or not hmac.compare_digest(account.password, request.form.get("password", "")):
                    return login_page("Wrong username or password."), 401
                session["login"] = {"username": account.username, "auth_time": int(time.time())}
                return respond(current_user())
            user = current_user()
            prompts = request.args.get("prompt", "").split()
            max_age = request.args.get("max_age")
            needs_login = user is None
            if provider.mode != "ignore_max_age" and user is not None:
                # OIDC Core 3.1.2.1: prompt=login, or max_age exceeded, demands an active authentication.
                if "login" in prompts:
                    needs_login = True
                if max_age is not None and time.time() - user.auth_time > int(max_age):
                    needs_login = True
            if needs_login:
                return login_page()
            return respond(user)

        @app.post("/token")
        def token():
            provider.token_requests += 1
            return server.create_token_response()

        @app.post("/test/login")
        def test_login():
            """Signs this browser in as if it had logged in ``age`` seconds ago (for the stale-auth_time case)."""
            account = provider.accounts[request.form["username"]]
            session["login"] = {"username": account.username,
                                "auth_time": int(time.time()) - int(request.form.get("age", "0"))}
            return {"ok": True}

        return app
