"""Issue 15.3: secrets at rest. With a master key, signing-key private keys, webhook signing secrets and
upstream client secrets are AES-256-GCM sealed in the database: a copy of the database file reveals none of
them. A missing or wrong key stops every command with one line, changing nothing."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import requests

from reverify_e2e import ReverifyServer, free_port, reverify_bin


def reverify(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(reverify_bin()), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def init_key(path: Path) -> Path:
    result = reverify("secrets", "init-master-key", str(path))
    assert result.returncode == 0, result.stderr
    return path


def database_bytes(server: ReverifyServer) -> bytes:
    """The database as a thief would copy it: the main file plus any write-ahead log beside it."""
    copy = server.workdir / "stolen.sqlite"
    shutil.copyfile(server.db, copy)
    data = copy.read_bytes()
    wal = Path(server.db + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def file_digest(path: str) -> str:
    """The database's content (every row of every table, WAL included), not its pages on disk, which a
    checkpoint may rewrite without changing anything."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
    finally:
        db.close()


def add_secrets(server: ReverifyServer) -> dict[str, bytes]:
    """A webhook endpoint and an upstream provider; returns the secret bytes that must never be stored."""
    endpoint = server.cli_json("webhooks", "add", "--url", f"http://127.0.0.1:{free_port()}/hook", "--allow-private")
    whsec = endpoint["secret"]
    upstream_secret = "upstream-client-secret-" + os.urandom(8).hex()
    server.cli("upstreams", "add", "--name", "Corp", "--issuer", "https://idp.example.com", "--client-id", "rp",
               "--client-secret-stdin", input=upstream_secret)
    raw = base64.b64decode(whsec.removeprefix("whsec_") + "==")
    return {"whsec": whsec.encode(), "whsec base64": whsec.removeprefix("whsec_").encode(), "whsec bytes": raw,
            "upstream secret": upstream_secret.encode()}


def assert_no_secret_in(data: bytes, secrets: dict[str, bytes]) -> None:
    assert b"-----BEGIN" not in data and b"PRIVATE KEY" not in data
    found = [name for name, value in secrets.items() if value in data]
    assert found == [], f"in the copied database: {found}"


def refused(server: ReverifyServer, key: Path | None, expected: str) -> None:
    """Every command on the database stops with one line and a non-zero exit, and the file is untouched."""
    before = file_digest(server.db)
    env = {k: v for k, v in os.environ.items() if k != "REVERIFY_MASTER_KEY_FILE"}
    if key is not None:
        env["REVERIFY_MASTER_KEY_FILE"] = str(key)
    for args in (["serve", "--port", str(free_port())], ["keys", "list"], ["migrate"], ["secrets", "status"]):
        result = subprocess.run([str(reverify_bin()), *args, "--database", server.db], capture_output=True, text=True,
                                timeout=60, env=env, stdin=subprocess.DEVNULL)
        assert result.returncode != 0, args
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
    assert file_digest(server.db) == before


def test_init_master_key_creates_32_owner_only_bytes_and_never_overwrites(tmp_path):
    key = init_key(tmp_path / "master.key")
    assert len(key.read_bytes()) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    again = reverify("secrets", "init-master-key", str(key))
    assert again.returncode != 0 and "already exists" in again.stderr
    assert key.read_bytes() == before


def test_copied_database_holds_no_secret_and_a_missing_or_wrong_key_changes_nothing(tmp_path):
    key = init_key(tmp_path / "master.key")
    server = ReverifyServer(tmp_path / "sealed", env={"REVERIFY_MASTER_KEY_FILE": str(key)})
    server.start()
    try:
        secrets = add_secrets(server)
        kids = {k["kid"] for k in requests.get(server.base_url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
        assert len(kids) == 2  # ES256 and RS256, generated at start and sealed
    finally:
        server.stop()
    assert "stored unencrypted" not in server.log_path.read_text()
    assert_no_secret_in(database_bytes(server), secrets)

    # Without a key, and with another key: one line, non-zero exit, the file untouched.
    refused(server, None, "encrypted secrets")
    refused(server, init_key(tmp_path / "wrong.key"), "does not decrypt")

    # With the right key it serves the same keys again.
    server.env["REVERIFY_MASTER_KEY_FILE"] = str(key)
    server.start()
    try:
        assert requests.get(server.base_url + "/readyz", timeout=10).status_code == 200
        again = {k["kid"] for k in requests.get(server.base_url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
        assert again == kids
    finally:
        server.stop()


def test_server_without_a_key_says_so_once_and_secrets_encrypt_seals_existing_rows(tmp_path):
    server = ReverifyServer(tmp_path / "plain")
    server.start()
    try:
        secrets = add_secrets(server)
    finally:
        server.stop()
    assert server.log_path.read_text().count("stored unencrypted") == 1
    assert b"-----BEGIN" in database_bytes(server)  # the baseline: without a key they are in the clear

    key = init_key(tmp_path / "master.key")
    result = server.cli("secrets", "encrypt", "--master-key-file", str(key))
    assert "encrypted 4 secrets" in result.stdout  # two signing keys, one webhook secret, one upstream secret
    assert_no_secret_in(database_bytes(server), secrets)
    status = server.cli_json("secrets", "status", "--master-key-file", str(key))
    assert status == {"encrypted": 4, "unencrypted": 0}


def test_rotate_master_key_moves_every_secret_to_the_new_key(tmp_path):
    old = init_key(tmp_path / "old.key")
    server = ReverifyServer(tmp_path / "rotate", env={"REVERIFY_MASTER_KEY_FILE": str(old)})
    server.start()
    try:
        kids = {k["kid"] for k in requests.get(server.base_url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
    finally:
        server.stop()
    new = init_key(tmp_path / "new.key")
    result = server.cli("secrets", "rotate-master-key", "--new", str(new))
    assert "re-encrypted 2 secrets" in result.stdout

    refused(server, old, "does not decrypt")
    server.env["REVERIFY_MASTER_KEY_FILE"] = str(new)
    server.start()
    try:
        assert requests.get(server.base_url + "/readyz", timeout=10).status_code == 200
        again = {k["kid"] for k in requests.get(server.base_url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
        assert again == kids
    finally:
        server.stop()
