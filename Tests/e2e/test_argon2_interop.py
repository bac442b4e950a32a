"""Password hashes interoperate with the reference Argon2 binding (argon2-cffi) in both directions."""

from __future__ import annotations

import argon2
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from argon2.low_level import Type

from reverify_e2e import PASSWORD, Redirect, RelyingParty


def test_hash_written_by_reverify_verifies_with_argon2_cffi(server, user):
    phc = server.password_hash(user.email)
    assert phc.startswith("$argon2id$v=19$"), phc

    parameters = argon2.extract_parameters(phc)
    assert parameters.type is Type.ID
    assert parameters.version == 19
    assert parameters.memory_cost >= 19456, parameters  # OWASP minimum: 19 MiB
    assert parameters.time_cost >= 2, parameters
    assert parameters.parallelism >= 1
    assert parameters.salt_len >= 16
    assert parameters.hash_len >= 32

    hasher = PasswordHasher()
    assert hasher.verify(phc, PASSWORD) is True
    with pytest.raises(VerifyMismatchError):
        hasher.verify(phc, PASSWORD + "!")


def test_users_get_distinct_salts(server, make_user):
    first, second = make_user(prefix="salt-a"), make_user(prefix="salt-b")
    assert first.password == second.password
    assert server.password_hash(first.email) != server.password_hash(second.email)


def test_hash_written_by_argon2_cffi_lets_the_user_sign_in(server, user, confidential_client, browser):
    new_password = "written by argon2-cffi 2024"
    # argon2-cffi's own defaults (m=65536, t=3, p=4), which differ from Reverify's parameters.
    phc = PasswordHasher(type=Type.ID).hash(new_password)
    assert argon2.extract_parameters(phc).type is Type.ID
    server.set_password_hash(user.email, phc)
    user.password = new_password

    rp = RelyingParty(server, confidential_client)
    request = rp.authorization_request()

    # The old password no longer works: Reverify really reads the hash we stored.
    page = browser.open(request.url)
    assert page.is_sign_in
    wrong = browser.submit_password(page, PASSWORD, email=user.email)
    assert wrong.status == 401 and wrong.has("error")

    # The re-rendered page carries a fresh form; signing in with the new password succeeds.
    result = browser.submit_password(wrong, new_password, email=user.email)
    assert isinstance(result, Redirect), f"sign-in with the argon2-cffi hash failed: {result.status} {result.html}"
    tokens = rp.exchange(request, result)
    claims = rp.validate_tokens(tokens, nonce=request.nonce)
    assert claims["sub"] == user.id
    assert claims["amr"] == ["pwd"]

    # The sign-in rehashed the password with Reverify's own parameters (m=19456 KiB, t=2, p=1 by default),
    # and the new hash still verifies with argon2-cffi.
    stored = server.password_hash(user.email)
    assert stored != phc
    parameters = argon2.extract_parameters(stored)
    assert (parameters.type, parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        Type.ID, 19456, 2, 1)
    assert PasswordHasher().verify(stored, new_password)
