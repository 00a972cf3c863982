"""Ed25519 key files and checkpoint signatures (workflow.audit.signing), and OpenSSL interoperability."""

from __future__ import annotations

import base64
import hashlib
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from workflow.audit import signing
from workflow.audit.verifier import (
    CHECKPOINT_FORMAT,
    OPENSSL_RECIPE,
    canonical_bytes,
    key_id,
    public_key_pem,
    verify_signature,
)

ORIGIN = "lawflow.example/qingshui-town"


def body_for(key: Ed25519PrivateKey, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "format": CHECKPOINT_FORMAT,
        "origin": ORIGIN,
        "tree_size": 10,
        "root": "ab" * 32,
        "issued_at": "2026-11-29T23:09:39.123456Z",
        "prev_checkpoint": None,
        "key_id": signing.key_id_for(ORIGIN, key),
    }
    body.update(changes)
    return body


def test_generate_key_file_is_private_and_refuses_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    key = signing.generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    loaded = signing.load_private_key(path)
    assert signing.public_raw(loaded) == signing.public_raw(key)
    before = path.read_bytes()
    with pytest.raises(signing.SigningKeyError, match=f"{path}: refusing to overwrite"):
        signing.generate_key_file(path)
    assert path.read_bytes() == before


def test_generate_key_file_in_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(signing.SigningKeyError, match="cannot create the key file"):
        signing.generate_key_file(tmp_path / "nope" / "k.pem")


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(signing.SigningKeyError, match=f"{missing}: signing key file not found"):
        signing.load_private_key(missing)

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    with pytest.raises(signing.SigningKeyError, match=f"{garbage}: not a readable private key"):
        signing.load_private_key(garbage)

    ec_file = tmp_path / "ec.pem"
    ec_file.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(signing.SigningKeyError, match=f"{ec_file}: not an Ed25519 key"):
        signing.load_private_key(ec_file)

    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(signing.SigningKeyError, match=f"{encrypted}: the key is encrypted"):
        signing.load_private_key(encrypted)


def test_sign_and_verify_roundtrip() -> None:
    key = Ed25519PrivateKey.generate()
    raw = signing.public_raw(key)
    body = body_for(key)
    sig = signing.sign(key, body)
    assert len(base64.b64decode(sig)) == 64
    assert signing.verify(raw, body, sig)
    # The signature covers exactly canonical_bytes(body): key order and extra record keys do not matter.
    assert signing.verify(raw, dict(reversed(list(body.items()))), sig)
    assert signing.verify(raw, {**body, "type": "checkpoint", "signature": sig}, sig)
    key.public_key().verify(base64.b64decode(sig), canonical_bytes(body))
    # The stdlib verifier module agrees (it uses cryptography when importable).
    assert verify_signature(raw, body, sig) is True

    assert not signing.verify(raw, body_for(key, tree_size=11), sig)
    assert not signing.verify(signing.public_raw(Ed25519PrivateKey.generate()), body, sig)
    bad = bytearray(base64.b64decode(sig))
    bad[10] ^= 1
    assert not signing.verify(raw, body, base64.b64encode(bytes(bad)).decode())
    assert not signing.verify(raw, body, sig[:-4])
    assert not signing.verify(raw, body, "not base64!")
    # The last base64 character of a 64-byte value carries 4 unused bits: a second spelling of the same
    # signature is refused, so a signature has one canonical text.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    alt = sig[:-3] + alphabet[alphabet.index(sig[-3]) ^ 1] + sig[-2:]
    assert base64.b64decode(alt) == base64.b64decode(sig)
    assert not signing.verify(raw, body, alt)
    assert verify_signature(raw, body, alt) is False


def test_key_id_and_pem() -> None:
    key = Ed25519PrivateKey.generate()
    raw = signing.public_raw(key)
    assert len(raw) == 32
    expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + raw).digest()[:8].hex()
    assert key_id(ORIGIN, raw) == signing.key_id_for(ORIGIN, key) == expected
    assert key_id("other.origin", raw) != expected
    cryptography_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key_pem(raw).encode() == cryptography_pem == signing.public_pem(key).encode()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_recipe_verifies_our_signatures(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    body = body_for(key)
    (tmp_path / "checkpoint.bin").write_bytes(canonical_bytes(body))
    (tmp_path / "checkpoint.sig").write_bytes(base64.b64decode(signing.sign(key, body)))
    (tmp_path / "pub.pem").write_text(signing.public_pem(key))
    ok = subprocess.run(OPENSSL_RECIPE.split(), cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    (tmp_path / "checkpoint.bin").write_bytes(canonical_bytes(body_for(key, tree_size=11)))
    bad = subprocess.run(OPENSSL_RECIPE.split(), cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0 and "Signature Verification Failure" in bad.stdout + bad.stderr
