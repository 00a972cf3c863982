"""The notices' mail server as an office's real one is set up: STARTTLS with the server's certificate checked, and a
login (workflow/timers/mail.py connect()), against a real SMTP server the test starts (aiosmtpd) with a certificate
of its own CA. A wrong password or a server that offers no STARTTLS when the settings ask for it fails the attempt
(retried, then a dead letter), never a silent downgrade to the clear."""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.smtp_sink import _free_port
from workflow.timers import mail

pytestmark = pytest.mark.one_database  # no database: the SMTP conversation
aiosmtpd = pytest.importorskip("aiosmtpd")  # the test extra (pyproject.toml); smtpd has no STARTTLS


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): the file the operator names as the office's CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.houlong.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "mail.pem", folder / "mail.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@contextmanager
def tls_server(folder: Path, *, starttls: bool = True) -> Iterator[tuple[int, list[Any], Path]]:
    """An SMTP server on 127.0.0.1 that requires STARTTLS (unless not offered) and the login lawflow / s3cret."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert_file, key_file = _certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
            received.append((session.authenticated, envelope.content))
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"lawflow", b"s3cret"), handled=False)

    port = _free_port()
    kwargs: dict[str, Any] = {"authenticator": authenticator, "auth_required": True}
    kwargs |= {"tls_context": context, "require_starttls": True} if starttls else {"auth_require_tls": False}
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port, received, cert_file
    finally:
        controller.stop()


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "lawflow@houlong.gov.cn", "chenjing@houlong.gov.cn", "提醒"
    message.set_content("合法性审查完成日期将至")
    return message


def test_starttls_with_the_offices_ca_and_a_login_delivers(tmp_path, monkeypatch) -> None:
    with tls_server(tmp_path) as (port, received, ca):
        monkeypatch.setenv("LAWFLOW_SMTP_CA_FILE", str(ca))
        server = mail.Server("127.0.0.1", port, "lawflow@houlong.gov.cn", "starttls", "lawflow", "s3cret")
        mail.send((server, _message()))
    assert len(received) == 1 and received[0][0] is True  # sent after the login, over TLS
    assert b"Subject:" in received[0][1]


def test_a_certificate_the_system_does_not_trust_fails_the_attempt(tmp_path, monkeypatch) -> None:
    with tls_server(tmp_path) as (port, received, _ca):
        monkeypatch.delenv("LAWFLOW_SMTP_CA_FILE", raising=False)
        server = mail.Server("127.0.0.1", port, "lawflow@houlong.gov.cn", "starttls", "lawflow", "s3cret")
        with pytest.raises(ssl.SSLError):
            mail.send((server, _message()))
    assert received == []


def test_a_wrong_password_fails_the_attempt(tmp_path, monkeypatch) -> None:
    with tls_server(tmp_path) as (port, received, ca):
        monkeypatch.setenv("LAWFLOW_SMTP_CA_FILE", str(ca))
        server = mail.Server("127.0.0.1", port, "lawflow@houlong.gov.cn", "starttls", "lawflow", "wrong")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            mail.send((server, _message()))
    assert received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # that server's point
def test_a_server_without_starttls_is_never_used_in_the_clear_when_starttls_is_asked(tmp_path) -> None:
    with tls_server(tmp_path, starttls=False) as (port, received, _ca):
        server = mail.Server("127.0.0.1", port, "lawflow@houlong.gov.cn", "starttls", "lawflow", "s3cret")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            mail.send((server, _message()))
    assert received == []
