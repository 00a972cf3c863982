"""Ed25519 keys and signatures for audit checkpoints (pyca/cryptography).

The signature covers ``canonical_bytes(body)`` of the checkpoint body, exactly what the offline verifier
(and ``openssl pkeyutl -verify -rawin``) checks. The private key file must belong to the OS user that runs
the checkpoint job, not to the web process (audit-design §2.4, key custody).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow.audit.canonical import canonical_bytes, checkpoint_body, key_id, public_key_pem

__all__ = [
    "SigningKeyError",
    "generate_key_file",
    "key_id_for",
    "load_private_key",
    "public_pem",
    "public_raw",
    "sign",
    "verify",
]


class SigningKeyError(Exception):
    """A key file cannot be created or used; the message names the file."""


def generate_key_file(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Create a new Ed25519 key as an unencrypted PKCS#8 PEM file with mode 0600.

    Refuses to overwrite an existing file: replacing a signing key silently would orphan old checkpoints.
    """
    p = Path(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(p, flags, 0o600)  # created 0600 atomically: never readable by others, not even briefly
    except FileExistsError:
        raise SigningKeyError(f"{p}: refusing to overwrite an existing key file") from None
    except OSError as e:
        raise SigningKeyError(f"{p}: cannot create the key file: {e.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(pem)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as e:
        os.close(fd)
        p.unlink(missing_ok=True)
        raise SigningKeyError(f"{p}: cannot write the key file: {e.strerror}") from None
    os.close(fd)
    return key


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from a PEM (or DER) file; errors name the file and the reason."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"{p}: signing key file not found") from None
    except PermissionError:
        raise SigningKeyError(f"{p}: permission denied reading the signing key file") from None
    except OSError as e:
        raise SigningKeyError(f"{p}: cannot read the signing key file: {e.strerror}") from None
    loader = (
        serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    )
    try:
        key = loader(data, password=None)
    except TypeError:
        raise SigningKeyError(f"{p}: the key is encrypted; an unencrypted key file is expected") from None
    except (ValueError, UnsupportedAlgorithm) as e:
        raise SigningKeyError(f"{p}: not a readable private key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{p}: not an Ed25519 key ({type(key).__name__})")
    return key


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key (what export ``key`` records carry, base64-encoded)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM, for ``openssl pkeyutl -verify -pubin -inkey pub.pem``."""
    return public_key_pem(public_raw(key))


def key_id_for(origin: str, key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The checkpoint ``key_id`` of ``key`` for this log ``origin``."""
    return key_id(origin, public_raw(key))


def sign(private_key: Ed25519PrivateKey, body: Mapping[str, Any]) -> str:
    """Base64 Ed25519 signature over ``canonical_bytes`` of the checkpoint body (extra keys ignored)."""
    return base64.b64encode(private_key.sign(canonical_bytes(checkpoint_body(body)))).decode("ascii")


def verify(public_key_raw: bytes, body: Mapping[str, Any], signature_b64: str) -> bool:
    """True when ``signature_b64`` is a valid signature of the checkpoint body by this key."""
    try:
        sig = base64.b64decode(signature_b64, validate=True)
        if len(sig) != 64 or base64.b64encode(sig).decode("ascii") != signature_b64:
            return False  # refuse non-canonical base64 so one signature has one spelling
        Ed25519PublicKey.from_public_bytes(bytes(public_key_raw)).verify(
            sig, canonical_bytes(checkpoint_body(body))
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
