"""Secrets on disk are the owner's alone (issue 9 item 11): the database (signing keys, webhook and upstream
secrets), its -wal/-shm files and the folder `migrate` creates for it are 0600/0700, and so is the mail outbox
(live codes and links), whatever the umask. Checked with stat on a live server's files."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from reverify_e2e import Browser, HostedPage, RelyingParty, ReverifyServer


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """The common default umask (files 0644): the server must not rely on a strict one."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def fresh_server(tmp_path, loose_umask):
    """A server whose database folder does not exist yet (`./data` under its working directory, like the
    default), and whose mail goes to the default outbox `./data/mail`."""
    server = ReverifyServer(tmp_path / "work")
    server.db = str(server.workdir / "data" / "reverify.sqlite")
    assert not (server.workdir / "data").exists()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_database_its_folder_and_wal_files_are_owner_only(fresh_server):
    db = Path(fresh_server.db)
    fresh_server.create_user(prefix="modes")  # a write, so the WAL is in use
    assert mode(db.parent) == 0o700, oct(mode(db.parent))
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert path.exists(), f"{path} missing (is the database in WAL mode?)"
        assert mode(path) == 0o600, f"{path} is {oct(mode(path))}"


def test_mail_outbox_folder_and_messages_are_owner_only(fresh_server):
    user = fresh_server.create_user(prefix="outbox")
    rp = RelyingParty(fresh_server, fresh_server.create_client())
    browser = Browser(fresh_server)
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, HostedPage) and page.is_sign_in, page
    sent = browser.post_form(page, "/email", email=user.email)
    assert isinstance(sent, HostedPage) and sent.status == 200, sent

    # Mail leaves off the request path: wait for the message (and its index entry), not for the page.
    outbox = fresh_server.workdir / "data" / "mail"
    deadline = time.monotonic() + 15
    messages: list[Path] = []
    while time.monotonic() < deadline:
        messages = sorted(p for p in outbox.glob("*") if not p.name.startswith(".")) if outbox.exists() else []
        if {p.suffix for p in messages} == {".eml", ".json"}:
            break
        time.sleep(0.1)
    assert {p.suffix for p in messages} == {".eml", ".json"}, messages
    assert mode(outbox) == 0o700, oct(mode(outbox))
    for path in messages:
        assert mode(path) == 0o600, f"{path} is {oct(mode(path))}"


def test_an_existing_world_readable_database_is_tightened(tmp_path, loose_umask):
    server = ReverifyServer(tmp_path / "old")
    server.cli("migrate")
    os.chmod(server.db, 0o644)
    server.cli("migrate")
    assert mode(Path(server.db)) == 0o600
