"""Issue 4: SMTP delivery with STARTTLS and AUTH, against a real aiosmtpd server with a test CA."""

from __future__ import annotations

import datetime
import socket
import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mail_inbox import Inbox
from reverify_e2e import free_port, reverify_bin


def self_signed_localhost(directory):
    """A certificate for `localhost`, written with its key; the certificate doubles as the CA to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Credentials:
    def __init__(self):
        self.seen: list[tuple[str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        user = auth_data.login.decode()
        password = auth_data.password.decode()
        self.seen.append((mechanism, user))
        return AuthResult(success=(user == "relay-user" and password == "relay-secret"), handled=False)


@pytest.fixture
def tls_smtp(tmp_path):
    cert, key = self_signed_localhost(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, auth = Inbox(), Credentials()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=auth, auth_require_tls=True)
    controller.start()
    try:
        yield inbox, auth, controller.port, cert
    finally:
        controller.stop()


def mail_test(port, ca_file, recipient, *, username="relay-user", password="relay-secret", security="starttls"):
    env = {"PATH": "/usr/bin:/bin"}
    if password is not None:
        env["REVERIFY_SMTP_PASSWORD"] = password
    command = [str(reverify_bin()), "mail", "test", "--to", recipient, "--smtp-host", "localhost",
               "--smtp-port", str(port), "--smtp-security", security, "--smtp-username", username]
    if ca_file:
        command += ["--smtp-ca-file", str(ca_file)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def test_starttls_then_auth_plain_delivers(tls_smtp):
    inbox, auth, port, cert = tls_smtp
    recipient = "tls-%d@example.com" % time.time_ns()

    result = mail_test(port, cert, recipient)

    assert result.returncode == 0, result.stderr
    assert inbox.wait_for(recipient)["Subject"] == "Reverify test message"
    assert auth.seen == [("PLAIN", "relay-user")]


def test_wrong_smtp_password_is_reported_without_the_password(tls_smtp):
    inbox, _, port, cert = tls_smtp
    recipient = "tls-bad-%d@example.com" % time.time_ns()

    result = mail_test(port, cert, recipient, password="not-the-secret")

    assert result.returncode != 0
    assert "refused AUTH PLAIN" in result.stderr and "535" in result.stderr
    assert "not-the-secret" not in result.stderr
    assert inbox.count(recipient) == 0


def test_untrusted_certificate_is_refused(tls_smtp):
    inbox, _, port, _ = tls_smtp
    recipient = "tls-untrusted-%d@example.com" % time.time_ns()

    result = mail_test(port, None, recipient)

    assert result.returncode != 0
    assert inbox.count(recipient) == 0


def test_implicit_tls_delivers(tmp_path):
    cert, key = self_signed_localhost(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, auth = Inbox(), Credentials()
    # RFC 8314 implicit TLS ("SMTPS"): TLS from the first byte, no STARTTLS.
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=context,
                            authenticator=auth, auth_require_tls=False)
    controller.start()
    try:
        recipient = "smtps-%d@example.com" % time.time_ns()

        result = mail_test(controller.port, cert, recipient, security="tls")

        assert result.returncode == 0, result.stderr
        assert inbox.wait_for(recipient)["Subject"] == "Reverify test message"
        assert auth.seen == [("PLAIN", "relay-user")]
    finally:
        controller.stop()


class InjectingSMTPServer:
    """A malicious SMTP server on 127.0.0.1: its `220` to STARTTLS arrives in one write with forged replies
    after it, in the clear (CVE-2011-0411 seen from the client). A client that kept those bytes would read them
    as the server's answers over TLS. Records whether the client went on to a TLS handshake."""

    def __init__(self, cert, key):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(30)
        self.port = self.listener.getsockname()[1]
        self.commands: list[bytes] = []
        self.handshake_completed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _line(self, conn) -> bytes:
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = conn.recv(1)
            if not chunk:
                break
            data += chunk
        return data

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(15)
            conn.sendall(b"220 localhost ESMTP\r\n")
            self.commands.append(self._line(conn))  # EHLO
            conn.sendall(b"250-localhost\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
            self.commands.append(self._line(conn))  # STARTTLS
            conn.sendall(b"220 Ready to start TLS\r\n250-localhost\r\n250 AUTH PLAIN LOGIN\r\n")
            try:
                tls = self.context.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                return
            self.handshake_completed = True
            with tls:
                self.commands.append(self._line(tls))

    def stop(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


def test_starttls_reply_followed_by_injected_bytes_is_refused_before_tls(tmp_path):
    cert, key = self_signed_localhost(tmp_path)
    server = InjectingSMTPServer(cert, key)
    try:
        result = mail_test(server.port, cert, "injected-%d@example.com" % time.time_ns())
    finally:
        server.stop()

    assert result.returncode != 0
    assert "after its reply to STARTTLS" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert [c.split(b" ")[0].strip() for c in server.commands] == [b"EHLO", b"STARTTLS"], server.commands
    assert not server.handshake_completed, "the client must stop before the TLS handshake"
