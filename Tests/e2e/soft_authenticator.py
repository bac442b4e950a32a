"""A software WebAuthn authenticator and client (W3C WebAuthn L3) for the e2e tests.

It answers the options Reverify's pages carry with the JSON a browser's `PublicKeyCredential.toJSON()`
produces, built independently of Reverify: CBOR by `cbor2`, keys and signatures by `cryptography`. Each
knob breaks one rule, so a test can hand Reverify tampered data: another origin, another RP ID hash, a
broken signature, a counter that goes backwards, no user verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT, FLAG_ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80


class SoftAuthenticator:
    """One credential on one authenticator; `alg` is a COSE algorithm (-7 ES256, -8 EdDSA, -257 RS256)."""

    def __init__(self, origin: str, alg: int = -7, backup_eligible: bool = False, user_verified: bool = True):
        self.origin = origin
        self.alg = alg
        self.backup_eligible = backup_eligible
        self.user_verified = user_verified
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_handle: bytes | None = None
        if alg == -7:
            self.key = ec.generate_private_key(ec.SECP256R1())
        elif alg == -8:
            self.key = ed25519.Ed25519PrivateKey.generate()
        elif alg == -257:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(f"unsupported alg {alg}")

    def cose_key(self) -> bytes:
        public = self.key.public_key()
        if self.alg == -7:
            numbers = public.public_numbers()
            key = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        elif self.alg == -8:
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            key = {1: 1, 3: -8, -1: 6, -2: raw}
        else:
            numbers = public.public_numbers()
            key = {1: 3, 3: -257, -1: numbers.n.to_bytes(256, "big"), -2: numbers.e.to_bytes(3, "big")}
        return cbor2.dumps(key, canonical=True)

    def _flags(self, attested: bool) -> int:
        flags = FLAG_UP | (FLAG_UV if self.user_verified else 0)
        if self.backup_eligible:
            flags |= FLAG_BE | FLAG_BS
        return flags | (FLAG_AT if attested else 0)

    def _auth_data(self, rp_id: str, attested: bool, rp_id_hash: bytes | None = None) -> bytes:
        data = (rp_id_hash or hashlib.sha256(rp_id.encode()).digest()) + bytes([self._flags(attested)])
        data += struct.pack(">I", self.sign_count)
        if attested:
            data += bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self.cose_key()
        return data

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def sign(self, data: bytes) -> bytes:
        if self.alg == -7:
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.alg == -8:
            return self.key.sign(data)
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def create(self, options: dict, *, origin: str | None = None, rp_id: str | None = None, fmt: str = "none") -> dict:
        """navigator.credentials.create(): the registration response for creation options (JSON form)."""
        rp_id = rp_id or options["rp"]["id"]
        self.user_handle = b64url_decode(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": {}, "authData": self._auth_data(rp_id, attested=True)})
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self, options: dict, *, origin: str | None = None, rp_id_hash: bytes | None = None, tamper_signature: bool = False,
        sign_count: int | None = None,
    ) -> dict:
        """navigator.credentials.get(): an assertion for request options (JSON form). Advances the counter
        unless `sign_count` forces a value."""
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._auth_data(options["rpId"], attested=False, rp_id_hash=rp_id_hash)
        signature = self.sign(auth_data + hashlib.sha256(client_data).digest())
        if tamper_signature:
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                "signature": b64url(signature), "userHandle": b64url(self.user_handle) if self.user_handle else None,
            },
        }
