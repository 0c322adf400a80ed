"""Start Baithak the production way for a benchmark, and stop it.

gunicorn with its one eventlet worker (gunicorn.conf.py), BAITHAK_CONFIG=
production, a long random SECRET_KEY, a fresh SQLite database (after `flask
init-db`) in a temporary folder, on a free loopback port. The chat rate limits
are raised, not switched off: the load generator sends from one IP address at
rates no person would, and the limiter must still run, since the product is
what is measured.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baithak.config import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Every chat limit (DEFAULT_LIMITS: send, join, create room; per connection and
# per IP) gets this: far above anything the bench sends, yet checked.
BENCH_LIMIT = "1000000/second"


class ServerError(RuntimeError):
    """The server did not start (its log is in the message)."""


@dataclass
class Server:
    """A running Baithak: its URL, the gunicorn master, the worker, the log."""

    url: str
    master: subprocess.Popen[bytes]
    worker_pid: int
    log_path: Path

    def log(self) -> str:
        """Return what the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        """True while the master and its worker both run."""
        return self.master.poll() is None and _pid_alive(self.worker_pid)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_environment(folder: Path, database_url: str | None = None) -> dict[str, str]:
    """The server's environment: production, fresh database (a SQLite file in
    `folder` unless `database_url` is given), raised limits."""
    return {
        **os.environ,
        "FLASK_APP": "baithak",
        "BAITHAK_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'baithak.sqlite3'}",
        **dict.fromkeys(DEFAULT_LIMITS, BENCH_LIMIT),
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _children(pid: int) -> list[int]:
    """The process ids whose parent is `pid` (from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent; the name (field 2) may hold spaces and ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def _wait_ready(server: Server, timeout: float) -> None:
    """Wait until the worker answers HTTP (the master listens before it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.master.poll() is not None:
            raise ServerError(f"server exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise ServerError(f"server did not answer within {timeout} s:\n{server.log()}")


def _worker_pid(master: subprocess.Popen[bytes], log: str) -> int:
    children = _children(master.pid)
    if len(children) != 1:
        raise ServerError(f"expected one gunicorn worker, found {children}:\n{log}")
    return children[0]


@contextmanager
def baithak_server(
    folder: Path, port: int | None = None, database_url: str | None = None
) -> Iterator[Server]:
    """Run `flask init-db` on a new database in `folder` (or the empty one at
    `database_url`), then gunicorn; yield the running Server; stop it (and
    its worker) afterwards, always."""
    folder.mkdir(parents=True, exist_ok=True)
    environ = bench_environment(folder, database_url)
    init = subprocess.run(
        [str(BIN / "flask"), "init-db"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if init.returncode != 0:
        output = (init.stdout + init.stderr).decode(errors="replace")
        raise ServerError(f"flask init-db failed:\n{output}")
    port = port or free_port()
    log_path = folder / "server.log"
    # gunicorn.conf.py: one eventlet worker, no control socket, graceful stop.
    command = [
        str(BIN / "gunicorn"),
        "--config", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}",
        "wsgi:app",
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        master = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, worker included
        )
    server = Server(f"http://127.0.0.1:{port}", master, 0, log_path)
    try:
        _wait_ready(server, timeout=30)
        server.worker_pid = _worker_pid(master, server.log())
        yield server
    finally:
        stop(master)


def stop(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM the process group (gunicorn's graceful stop), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a worker may outlive its master
    process.wait()
