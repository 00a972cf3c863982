"""An integrator's webhook receiver for the tests: a real HTTP server on a free port of 127.0.0.1 (http.server in
a thread) that checks each delivery's signature as docs/api.md tells a receiver to (HMAC-SHA256 over "<t>.<body>"
with the secret it was given), keeps what it accepted, and answers from a script: 200, a 500, or a hang longer
than the sender's timeout. A delivery whose signature does not verify is answered 401 and kept apart."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.robot_sink import serving

HANG = -1  # a script entry: answer nothing for `hang_seconds` (then 200, too late)


def verified(secret: str, header: str, body: bytes, tolerance: float = 300.0) -> bool:
    """The receiver's check, written from docs/api.md alone (not lawflow's code)."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [v for k, v in fields if k == "t"]
    if len(stamps) != 1 or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    mac = hmac.new(secret.encode(), stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(mac, v) for k, v in fields if k == "v1")


@dataclass
class Delivery:
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes


@dataclass
class Receiver:
    port: int
    secrets: list[str] = field(default_factory=list)  # any one verifying is enough
    script: list[int] = field(default_factory=list)  # statuses in turn (HANG: no answer in time); then 200
    hang_seconds: float = 1.0
    accepted: list[Delivery] = field(default_factory=list)  # verified and answered 200
    answered: list[tuple[int, Delivery]] = field(default_factory=list)  # every request and its answer
    forged: list[Delivery] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lawflow-hook"

    def bodies(self) -> list[dict[str, Any]]:
        return [d.body for d in self.accepted]


@contextmanager
def webhook_receiver(*script: int) -> Iterator[Receiver]:
    receiver = Receiver(0, script=list(script))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            delivery = Delivery({k.lower(): v for k, v in self.headers.items()}, json.loads(raw.decode()), raw)
            header = delivery.headers.get("x-lawflow-signature", "")
            with lock:
                status = receiver.script.pop(0) if receiver.script else 200
                if not any(verified(s, header, raw) for s in receiver.secrets):
                    receiver.forged.append(delivery)
                    status = 401
                receiver.answered.append((status, delivery))
                if status == 200:
                    receiver.accepted.append(delivery)
            if status == HANG:
                time.sleep(receiver.hang_seconds)
                status = 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the tests' output stays quiet
            return

    with serving(Handler) as port:
        receiver.port = port
        yield receiver
