"""gunicorn.conf.py under gunicorn 25 refuses a second worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from baithak.config import DEFAULT_LIMITS

from .live_server import LIVE_SECRET_KEY, ROOT, free_port

pytestmark = pytest.mark.server

BIN = Path(sys.executable).parent


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


def test_gunicorn_refuses_more_than_one_worker(tmp_path) -> None:
    port = free_port()
    env = environment(tmp_path, GUNICORN_CMD_ARGS=f"-w 2 -b 127.0.0.1:{port}")
    done = subprocess.run(
        [str(BIN / "gunicorn"), "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Baithak runs one worker per gunicorn, not 2" in done.stderr
