"""Smoke run of the benchmark harness (bench/): the shared yardstick's loadgen.js
against the real server started the bench's way (bench/server.py: gunicorn +
eventlet, production config, raised rate limits), with a tiny load.

Only correctness is asserted (nothing lost, duplicated or reordered, every ack
ok and in time, every payload as the protocol says): timings on a shared
2-core machine prove nothing. Needs node and the yardstick's node_modules,
which `make test` installs (`make yardstick`); without them this skips, or
fails in CI ($CI set).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bench import yardstick
from bench.server import baithak_server

from . import testdb

pytestmark = pytest.mark.server

CLIENTS = 20


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"bench smoke test cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def node() -> str:
    """The node binary, with the yardstick set up in bench/.yardstick/."""
    binary = yardstick.node_binary()
    if binary is None:
        _unavailable("node not found: the bench needs Node 18+ with npm")
    if not yardstick.is_ready():
        _unavailable(
            f"the yardstick is not set up in {yardstick.DEST}: run `make yardstick` "
            f"(make test does; it copies {yardstick.source_dir()} and runs npm ci)"
        )
    return binary


def test_loadgen_classroom_smoke_run_loses_nothing(node, tmp_path) -> None:
    report_path = tmp_path / "smoke.json"
    database = testdb.database_uri(tmp_path, "bench")  # SQLite unless PostgreSQL mode
    with baithak_server(tmp_path / "server", database_url=database) as server:
        command = [
            node, str(yardstick.DEST / "loadgen.js"),
            "--url", server.url, "--scenario", "classroom",
            "--clients", str(CLIENTS), "--senders", "4", "--duration", "3",
            "--pid", str(server.worker_pid), "--label", "smoke",
            "--json", str(report_path), "--max-time", "60",
        ]  # fmt: skip
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=90, check=False
        )
        alive = server.alive()
        log = server.log()
    context = f"loadgen:\n{run.stdout}\n{run.stderr}\nserver log:\n{log[-5000:]}"
    assert run.returncode == 0, context
    assert alive, f"the server's worker died\n{context}"
    report = json.loads(report_path.read_text())
    messages, deliveries = report["messages"], report["deliveries"]

    assert report["connect"]["joined"] == CLIENTS, context
    assert report["errors"] == {}, context  # connection errors, disconnects
    assert messages["sent"] > 0 and deliveries["received"] > 0, context
    assert deliveries["lost"] == 0, context
    assert deliveries["duplicated"] == 0, context
    assert deliveries["reordered"] == 0, context
    assert deliveries["unexpected"] == 0, context  # refused, then delivered
    assert deliveries["unacked"] == 0, context
    assert messages["ackTimeouts"] == 0, context
    # Numbers in loadgen's texts (a fractional ms time) are not read as
    # leetspeak swear words: no error at all (services/profanity.py).
    assert messages["ackErrors"] == {}, context
    assert report["payloadErrors"] == {}, context
