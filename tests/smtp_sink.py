"""A real SMTP server for the tests, on a free port of 127.0.0.1, keeping what it receives: aiosmtpd (the test
extra) or, where it is not installed yet, Python 3.11's own smtpd. Both speak SMTP over TCP to smtplib."""

from __future__ import annotations

import socket
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest


@dataclass
class Sink:
    port: int
    received: list[EmailMessage] = field(default_factory=list)

    def keep(self, data: bytes) -> None:
        self.received.append(message_from_bytes(data, policy=policy.default))  # type: ignore[arg-type]


@contextmanager
def smtp_sink() -> Iterator[Sink]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        with _stdlib_sink() as sink:
            yield sink
        return
    sink = Sink(0)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
            sink.keep(envelope.original_content or envelope.content)
            return "250 OK"

    # aiosmtpd's Controller checks it started by connecting to its port, so it needs a real one, not 0
    sink.port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _stdlib_sink() -> Iterator[Sink]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import asyncore
            import smtpd
        except ImportError:
            pytest.skip("no SMTP server to test against: install aiosmtpd (the test extra)")
    sink = Sink(0)

    class Server(smtpd.SMTPServer):
        def process_message(self, peer: Any, mailfrom: str, rcpttos: list[str], data: bytes, **kwargs: Any) -> None:
            sink.keep(data)

    socket_map: dict[int, Any] = {}
    server = Server(("127.0.0.1", 0), None, decode_data=False, map=socket_map)  # type: ignore[call-arg]
    sink.port = server.socket.getsockname()[1]
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05, "map": socket_map}, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.close()
        for channel in list(socket_map.values()):
            channel.close()
        thread.join(timeout=5)
