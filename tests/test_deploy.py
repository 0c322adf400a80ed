"""The deployment files start a real server: deploy/systemd/baithak@.service's
command line (from this checkout instead of /opt/baithak) under gunicorn 25
with gunicorn.conf.py, and gunicorn.conf.py refuses a second worker
(docs/deployment.md)."""

from __future__ import annotations

import configparser
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import socketio

from baithak.config import DEFAULT_LIMITS

from .live_server import LIVE_SECRET_KEY, ROOT, free_port

pytestmark = pytest.mark.server

BIN = Path(sys.executable).parent
UNIT = ROOT / "deploy" / "systemd" / "baithak@.service"
INSTALLED = "/opt/baithak"  # where the unit expects the project


def read_unit(path: Path) -> configparser.ConfigParser:
    """Parse a systemd unit (case-sensitive keys, `%` not special)."""
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(path)
    return unit


def here(value: str) -> str:
    """The unit's paths, in this checkout and its venv."""
    return value.replace(f"{INSTALLED}/.venv/bin", str(BIN)).replace(
        INSTALLED, str(ROOT)
    )


def environment(tmp_path: Path, **more: str) -> dict[str, str]:
    """What /etc/baithak/env would hold, on a fresh SQLite file."""
    return {
        **os.environ,
        "BAITHAK_CONFIG": "production",
        "FLASK_APP": "baithak",
        "SECRET_KEY": LIVE_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'baithak.sqlite3'}",
        **{key: "" for key in DEFAULT_LIMITS},
        **more,
    }


def wait_for_ready(notify: socket.socket, process: subprocess.Popen[bytes]) -> str:
    """Return what the service told systemd (sd_notify) once it says READY=1."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited before it was ready"
        try:
            state = notify.recv(4096).decode()
        except TimeoutError:
            continue
        if "READY=1" in state.split("\n"):
            return state
    raise AssertionError("no READY=1 within 20 s (Type=notify would time out)")


def test_the_systemd_units_command_serves_and_stops_cleanly(tmp_path) -> None:
    unit = read_unit(UNIT)
    service = unit["Service"]
    port = free_port()
    command = [here(arg) for arg in shlex.split(service["ExecStart"])]
    command = [arg.replace("%i", str(port)) for arg in command]
    assert Path(command[0]).is_file(), command[0]
    env = environment(tmp_path, NOTIFY_SOCKET=str(tmp_path / "notify"))
    cwd = here(service["WorkingDirectory"])
    subprocess.run(
        [str(BIN / "flask"), "init-db"],
        cwd=cwd, env=env, check=True, capture_output=True,
    )  # fmt: skip
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(env["NOTIFY_SOCKET"])
    notify.settimeout(0.2)
    log_path = tmp_path / "server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_ready(notify, process)
        url = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            assert response.status == 200
        client = socketio.Client(reconnection=False)
        client.connect(url, transports=["websocket"], wait_timeout=10)
        try:
            error, _ = client.call("join", {"username": "Asha", "room": "Deploy"})
            assert error is None
            error, sent = client.call("sendMessage", "hello from the unit")
            assert error is None and sent["seq"] >= 1, sent
        finally:
            client.disconnect()

        # KillMode=mixed: KillSignal to gunicorn's master only. A graceful
        # stop must exit 0 (Restart=on-failure would restart anything else)
        # well within TimeoutStopSec, after which systemd sends SIGKILL.
        assert service["KillMode"] == "mixed"
        started = time.monotonic()
        process.send_signal(getattr(signal, service["KillSignal"]))
        timeout_stop = float(service["TimeoutStopSec"])
        returncode = process.wait(timeout=timeout_stop)
        stopped_in = time.monotonic() - started
        log = log_path.read_text(errors="replace")
        assert returncode == 0, log
        assert "Using worker: eventlet" in log  # gunicorn.conf.py, gunicorn 25
        assert stopped_in < timeout_stop / 2, f"stop took {stopped_in:.1f} s"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        notify.close()


def test_gunicorn_refuses_more_than_one_worker(tmp_path) -> None:
    port = free_port()
    env = environment(tmp_path, GUNICORN_CMD_ARGS=f"-w 2 -b 127.0.0.1:{port}")
    done = subprocess.run(
        [str(BIN / "gunicorn"), "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Baithak runs one worker per gunicorn, not 2" in done.stderr
