"""Issue 15.5: /readyz answers 200 only when the database answers, migrations are current and a signing key
is loaded; /healthz stays liveness."""

from __future__ import annotations

import sqlite3

import requests


def test_readyz_is_ready_on_a_migrated_server_with_keys(server):
    r = requests.get(server.base_url + "/readyz", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "reasons": []}


def test_readyz_reports_a_database_migrated_by_a_newer_binary(tmp_path):
    from reverify_e2e import ReverifyServer

    other = ReverifyServer(tmp_path / "newer")
    other.start()
    try:
        with sqlite3.connect(other.db, timeout=10) as db:
            db.execute("INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')")
        r = requests.get(other.base_url + "/readyz", timeout=10)
        assert r.status_code == 503
        assert r.json()["reasons"] == ["database migrated by a newer binary: 9999_future"]
        assert requests.get(other.base_url + "/healthz", timeout=10).status_code == 200
    finally:
        other.stop()
