"""A group robot's webhook for the tests: a real HTTP server on a free port of 127.0.0.1 (http.server in a
thread) that keeps every request (path, query, JSON body) and answers from a script: HTTP 200 with errcode 0, a
500, an errcode the robot APIs use for a refused message, or no answer at all (a server that hangs)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OK = (200, {"errcode": 0, "errmsg": "ok"})
SERVER_ERROR = (500, {"errcode": -1, "errmsg": "system busy"})
REFUSED = (200, {"errcode": 310000, "errmsg": "sign not match"})  # DingTalk's answer to a wrong signature


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    raw: bytes


@dataclass
class RobotSink:
    port: int
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # answers in turn; then OK
    received: list[Received] = field(default_factory=list)

    def url(self, path: str = "/robot/send?access_token=test-token") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """A local HTTP server with `handler` in a thread, for the test's duration: its port (the webhook receiver's
    too, tests/webhook_receiver.py)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def robot_sink(*script: tuple[int, dict[str, Any]]) -> Iterator[RobotSink]:
    sink = RobotSink(0, list(script))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            with lock:
                sink.received.append(Received(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                                              json.loads(raw.decode("utf-8")), raw))
                status, answer = sink.script.pop(0) if sink.script else OK
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the tests' output stays quiet
            return

    with serving(Handler) as port:
        sink.port = port
        yield sink


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a robot behind a hung proxy): its port."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]
