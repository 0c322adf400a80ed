"""Start the real Baithak server in a subprocess, the README's production way."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import socketio

from baithak.config import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Every server started in this test session, oldest first: a failing test's
# report gets the logs of those it started (tests/conftest.py).
STARTED: list[LiveServer] = []
# Set so the work tree's instance/ stays clean; long and random-looking, as
# production requires (baithak.security.check_secret_key), and used nowhere else.
LIVE_SECRET_KEY = "live-test-only-7Yq2Vn9Xk4Rb8Wm3Tz6Ld1Hs5Gp0Fc"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(eq=False)
class LiveServer:
    """A running server: its base URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Return everything the server printed so far."""
        return self.log_path.read_text(errors="replace")


def _wait_until_listening(server: LiveServer, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen within {timeout}s:\n{server.log()}")


def _command(kind: str, port: int) -> list[str]:
    if kind == "gunicorn":  # README, "Production"
        # gunicorn.conf.py (read from ROOT) does the rest.
        return [
            str(BIN / "gunicorn"), "-k", "eventlet", "-w", "1",
            "-b", f"127.0.0.1:{port}", "wsgi:app",
        ]  # fmt: skip
    if kind == "flask":  # README, quick start (`make run`)
        return [str(BIN / "flask"), "run", "--port", str(port)]
    raise ValueError(kind)


@contextmanager
def live_server(
    tmp_path: Path, kind: str = "gunicorn", port: int | None = None, **env: str
) -> Iterator[LiveServer]:
    """Run `flask init-db`, then serve on a free loopback port with a fresh
    SQLite file in `tmp_path`: kind "gunicorn" is `gunicorn -k eventlet -w 1
    wsgi:app`, kind "flask" is `flask run`. Stopped afterwards. The same
    `tmp_path` (and `port`) again restarts a server on the same database."""
    port = port or free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'baithak.sqlite3'}",
        "FLASK_APP": "baithak",
        "BAITHAK_CONFIG": "production" if kind == "gunicorn" else "development",
        "SECRET_KEY": LIVE_SECRET_KEY,
        # Tests seed rooms quickly; the rate-limit tests pass the limits in `env`.
        **{key: "" for key in DEFAULT_LIMITS},
        **env,
    }
    subprocess.run(
        [str(BIN / "flask"), "init-db"],
        cwd=ROOT,
        env=environ,
        check=True,
        capture_output=True,
    )
    log_path = tmp_path / "server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            _command(kind, port),
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: worker included
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    STARTED.append(server)
    try:
        _wait_until_listening(server, port, timeout=20)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process it started (gunicorn's worker too)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a worker may outlive its master
    process.wait()


class Person:
    """A python-socketio client that records what it receives."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: list[tuple[str, dict]] = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in ("message", "locationMessage", "roomData", "removed", "shutdown"):
            self.sio.on(name, self._recorder(name))
        self.sio.connect(
            url, headers=headers or {}, transports=["websocket"], wait_timeout=10
        )
        assert self.sio.transport() == "websocket"

    def _recorder(self, name: str):
        def record(data: dict) -> None:
            with self.changed:
                self.events.append((name, data))
                self.changed.notify_all()

        return record

    def wait_for(self, predicate, timeout: float = 5.0):
        """Return the first recorded (event, data) matching predicate; wait for it."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for event in self.events:
                    if predicate(*event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"not received; got {self.events}")
                self.changed.wait(remaining)
