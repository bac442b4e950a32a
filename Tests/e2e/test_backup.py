"""Issue 15.4: online backup and restore. A backup taken while the server is under load is a consistent copy;
restore refuses while a server uses the database; after restoring, a refresh chain continues from the copy."""

from __future__ import annotations

import subprocess
import threading

import pytest
import requests

from reverify_e2e import Browser, RelyingParty, ReverifyServer


def load(server: ReverifyServer, stop: threading.Event, counts: dict[str, int]) -> None:
    """Sign-ins and refreshes of another user, bounded in count, until told to stop."""
    user = server.create_user(prefix="load")
    rp = RelyingParty(server, server.create_client())
    for _ in range(200):
        if stop.is_set():
            return
        request = rp.authorization_request()
        tokens = rp.exchange(request, Browser(server).sign_in(request.url, user))
        rp.refresh(tokens["refresh_token"])
        counts["flows"] = counts.get("flows", 0) + 1


def test_backup_under_load_restores_and_continues_a_refresh_chain(tmp_path):
    server = ReverifyServer(tmp_path / "live")
    server.start()
    try:
        user = server.create_user(prefix="backup")
        rp = RelyingParty(server, server.create_client())
        request = rp.authorization_request()
        first = rp.exchange(request, Browser(server).sign_in(request.url, user))
        current = rp.refresh(first["refresh_token"])  # the chain's token at backup time

        stop, counts = threading.Event(), {}
        worker = threading.Thread(target=load, args=(server, stop, counts))
        worker.start()
        try:
            while counts.get("flows", 0) < 1:
                threading.Event().wait(0.05)
            backup = tmp_path / "backup.sqlite"
            result = server.cli("backup", "--to", str(backup))
            assert "backed up" in result.stdout
            during = counts["flows"]
        finally:
            stop.set()
            worker.join(timeout=120)
        assert counts["flows"] >= during >= 1  # the server served flows while the copy was taken

        # The live chain moves on after the backup.
        later = rp.refresh(current["refresh_token"])
        assert later["refresh_token"] != current["refresh_token"]

        # A backup never overwrites a file; restore is refused while the server runs, changing nothing.
        again = server.cli("backup", "--to", str(backup), check=False)
        assert again.returncode != 0 and "already exists" in again.stderr
        refused = server.cli("restore", "--from", str(backup), check=False)
        assert refused.returncode != 0
        assert len(refused.stderr.strip().splitlines()) == 1 and "in use" in refused.stderr
        assert rp.refresh_raw(later["refresh_token"]).status_code == 200
    finally:
        server.stop()

    restored = server.cli("restore", "--from", str(backup))
    assert "restored" in restored.stdout
    server.start()
    try:
        # The token that was current in the copy continues the chain; the ones issued after the backup do not exist.
        continued = rp.refresh(current["refresh_token"])
        claims = rp.validate_id_token(continued["id_token"], None)
        assert claims["auth_time"] == rp.validate_id_token(first["id_token"], request.nonce)["auth_time"]
        assert rp.refresh(continued["refresh_token"])["access_token"]
        assert rp.refresh_raw(later["refresh_token"]).json()["error"] == "invalid_grant"
    finally:
        server.stop()


def test_restore_refuses_a_file_that_is_not_a_reverify_database(tmp_path):
    server = ReverifyServer(tmp_path / "db")
    server.cli("migrate")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = server.cli("restore", "--from", str(junk), check=False)
    assert result.returncode != 0 and "not a Reverify database" in result.stderr
