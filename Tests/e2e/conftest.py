"""Fixtures for the Reverify end-to-end suite: a live `reverify serve`, fresh users and clients per test,
a scripted browser and an authlib relying party.

Run from the repository root:

    REVERIFY_BIN=.build/debug/reverify python3 -m pytest Tests/e2e -q -p no:cacheprovider
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reverify_e2e import (
    OUTPUT_DIR,
    Browser,
    Client,
    RelyingParty,
    ReverifyServer,
    User,
)


def pytest_configure(config):
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)


def _serve(tmp_path_factory, name: str, demo: bool) -> Iterator[ReverifyServer]:
    server = ReverifyServer(tmp_path_factory.mktemp(name), demo=demo)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[ReverifyServer]:
    """The shared server. Tests stay independent through their own users and clients."""
    yield from _serve(tmp_path_factory, "reverify", demo=False)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[ReverifyServer]:
    """A separate server with the demo relying party mounted (`serve --demo`)."""
    yield from _serve(tmp_path_factory, "reverify-demo", demo=True)


@pytest.fixture
def make_user(server) -> Callable[..., User]:
    return server.create_user


@pytest.fixture
def user(server, request) -> User:
    """A fresh user per test, so lockouts and sessions never leak between tests."""
    return server.create_user(prefix=request.node.name[:24].replace("_", "-").strip("-") or "user")


@pytest.fixture
def make_client(server) -> Callable[..., Client]:
    return server.create_client


@pytest.fixture
def confidential_client(server) -> Client:
    return server.create_client()


@pytest.fixture
def public_client(server) -> Client:
    return server.create_client(public=True)


@pytest.fixture
def browser(server) -> Browser:
    return Browser(server)


@pytest.fixture
def make_browser(server) -> Callable[[], Browser]:
    return lambda: Browser(server)


@pytest.fixture
def rp(server, confidential_client) -> RelyingParty:
    return RelyingParty(server, confidential_client)


@pytest.fixture
def public_rp(server, public_client) -> RelyingParty:
    return RelyingParty(server, public_client)


# --------------------------------------------------------------------------------------------
# A real headless Chromium (selenium)
# --------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _find(path: Path, *names: str) -> str | None:
    if path.exists():
        return str(path)
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_missing(message: str) -> None:
    """Skips locally, but fails under CI=true: a CI run must never go green without running the browser."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the browser tests must run; see scripts/lib/deps.sh)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def driver(tmp_path):
    chromium = _find(CHROMIUM, "chromium", "chromium-browser")
    chromedriver = _find(CHROMEDRIVER, "chromedriver")
    if not chromium or not chromedriver:
        browser_missing("chromium and chromedriver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'chrome-profile'}",
                     "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    service = Service(executable_path=chromedriver, log_output=str(tmp_path / "chromedriver.log"))
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()
