"""Issue 15.6: the shipped systemd unit is valid (systemd-analyze verify) and carries the hardening the README
documents."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest

from reverify_e2e import REPO_ROOT, reverify_bin

UNIT = REPO_ROOT / "Resources" / "systemd" / "reverify.service"


def service_section() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = None
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_unit_runs_hardened_with_its_state_in_state_directory():
    service = service_section()
    assert service["DynamicUser"] == ["yes"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["StateDirectory"] == ["reverify"]
    assert service["CapabilityBoundingSet"] == [""]
    environment = dict(value.split("=", 1) for value in service["Environment"])
    assert environment["REVERIFY_DATABASE"].startswith("/var/lib/reverify/")
    assert environment["REVERIFY_MASTER_KEY_FILE"].startswith("/var/lib/reverify/")


def test_systemd_analyze_verifies_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The unit names the installed binary; point it at the one under test so verify can check it exists.
    unit = tmp_path / "reverify.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/reverify", str(reverify_bin().resolve())))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reverify.service" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_unit_commands_parse(tmp_path):
    """The flags the unit passes are ones `reverify serve` accepts."""
    service = service_section()
    start = service["ExecStart"][0].split()
    assert start[:2] == ["/usr/local/bin/reverify", "serve"]
    result = subprocess.run([str(reverify_bin()), "serve", "--help"], capture_output=True, text=True, timeout=60)
    for flag in (word for word in start[2:] if word.startswith("--")):
        assert flag in result.stdout, flag
