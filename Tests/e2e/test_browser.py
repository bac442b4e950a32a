"""The demo relying party driven in a real headless Chromium: sign in, then "Confirm it's you".

Screenshots land in Tests/e2e/output/ (gitignored): signin.png and reauth.png.
Response headers are invisible to WebDriver; test_step_up_flow checks CSP, X-Frame-Options and
Cache-Control with requests instead. The `driver` fixture lives in conftest.py (shared with
test_browser_cross_origin.py); without a browser it skips locally and fails under CI=true.
"""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import browser_missing
from reverify_e2e import OUTPUT_DIR, Redirect, RelyingParty


def test_a_missing_browser_fails_under_ci_and_only_skips_elsewhere(monkeypatch):
    def outcome() -> type[BaseException] | None:
        try:
            browser_missing("chromium and chromedriver are not installed")
        except BaseException as raised:  # pytest's skip and fail outcomes are BaseExceptions
            return type(raised)
        return None

    monkeypatch.setenv("CI", "true")
    assert outcome() is pytest.fail.Exception
    monkeypatch.delenv("CI")
    assert outcome() is pytest.skip.Exception


def _screenshot(driver, name: str) -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / name
    if path.exists():
        path.unlink()
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    return path


def test_demo_delete_account_signs_in_then_confirm_its_you_in_chromium(driver, demo_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    server = demo_server
    user = server.create_user(prefix="chromium")
    wait = WebDriverWait(driver, 20)

    # 1. The demo app asks for a verification no older than 60 s; there is no session, so: sign in.
    driver.get(server.issuer + "/demo")
    wait.until(EC.element_to_be_clickable((By.ID, "delete-account"))).click()
    email_input = wait.until(EC.visibility_of_element_located((By.ID, "email")))
    assert urllib.parse.urlsplit(driver.current_url).path.startswith("/reauth/req_"), driver.current_url
    assert driver.title.startswith("Sign in")
    assert "Reverify demo app" in driver.find_element(By.TAG_NAME, "main").text
    email_input.send_keys(user.email)
    driver.find_element(By.ID, "password").send_keys(user.password)
    signin_png = _screenshot(driver, "signin.png")
    before = int(time.time())
    driver.find_element(By.ID, "submit").click()

    auth_time_element = wait.until(EC.visibility_of_element_located((By.ID, "auth-time")))
    assert urllib.parse.urlsplit(driver.current_url).path == "/demo/callback"
    assert not driver.find_elements(By.ID, "error"), driver.find_element(By.TAG_NAME, "main").text
    first_auth_time = int(auth_time_element.text)
    assert before - 2 <= first_auth_time <= int(time.time()) + 2
    assert driver.find_element(By.ID, "amr").text.strip() == "pwd"
    assert user.email in driver.find_element(By.TAG_NAME, "main").text

    # 2. A relying party that insists on a fresh login (prompt=login): "Confirm it's you" names the user.
    #    Its redirect URI is the demo's landing page, so the browser ends somewhere that exists.
    client = server.create_client(redirect_uri=server.issuer + "/demo", post_logout_redirect_uri=None,
                                  name="Browser step-up app")
    rp = RelyingParty(server, client)
    request = rp.authorization_request(prompt="login")
    time.sleep(1.1)  # so the re-authentication gets a later auth_time than the sign-in
    driver.get(request.url)
    signed_in_email = wait.until(EC.visibility_of_element_located((By.ID, "signed-in-email")))
    assert "Confirm it" in driver.title
    assert "Confirm it's you" in driver.find_element(By.TAG_NAME, "h1").text
    assert signed_in_email.text == user.email
    assert not driver.find_elements(By.ID, "email"), "the re-auth page must not ask for the email again"
    driver.find_element(By.ID, "password").send_keys(user.password)
    reauth_png = _screenshot(driver, "reauth.png")
    driver.find_element(By.ID, "submit").click()

    wait.until(lambda d: "code=" in d.current_url)
    landed = driver.current_url
    tokens = rp.exchange(request, Redirect(302, landed, {}))
    claims = rp.validate_tokens(tokens, nonce=request.nonce)
    assert claims["sub"] == user.id
    assert claims["auth_time"] > first_auth_time
    assert claims["amr"] == ["pwd"]

    # 3. Back in the demo, the fresh re-authentication satisfies max_age=60 without any page.
    driver.get(server.issuer + "/demo")
    wait.until(EC.element_to_be_clickable((By.ID, "delete-account"))).click()
    auth_time_element = wait.until(EC.visibility_of_element_located((By.ID, "auth-time")))
    assert int(auth_time_element.text) == claims["auth_time"]
    assert driver.find_element(By.ID, "amr").text.strip() == "pwd"

    for png in (signin_png, reauth_png):
        assert png.exists() and png.stat().st_size > 1000, png
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
