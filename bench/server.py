"""Start Baithak the production way for a benchmark, and stop it.

gunicorn with its one eventlet worker (gunicorn.conf.py), BAITHAK_CONFIG=
production, a long random SECRET_KEY, a fresh SQLite database (after `flask
init-db`) in a temporary folder, on a free loopback port. The chat rate limits
are raised, not switched off: the load generator sends from one IP address at
rates no person would, and the limiter must still run, since the product is
what is measured.

Scale-out (`baithak_cluster`): N such gunicorns on N free ports sharing
Flask-SocketIO's Redis message queue (a channel of its own per run,
BAITHAK_REDIS_PREFIX) and a fresh PostgreSQL database (created for the run,
dropped after it), behind an nginx that spreads the connections over them
round-robin; loadgen then gets nginx's URL. With one process the queue and
PostgreSQL may be on without nginx, to show what the queue itself costs.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
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
# Scale-out runs: the Redis of the message queue and the PostgreSQL server in
# which each run creates (and drops) a database of its own.
REDIS_URL = os.environ.get("BAITHAK_BENCH_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get(
    "BAITHAK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1"
)
NGINX = os.environ.get("BAITHAK_BENCH_NGINX", "nginx")


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


@dataclass
class Shared:
    """What several processes share: the queue's Redis URL and channel prefix,
    and the database."""

    queue_url: str
    prefix: str
    database_url: str


def bench_environment(
    folder: Path, shared: Shared | None = None, database_url: str | None = None
) -> dict[str, str]:
    """The server's environment: production, fresh database (a SQLite file in
    `folder` unless `database_url` is given), raised limits; with `shared`,
    the message queue and its PostgreSQL database."""
    environ = {
        **os.environ,
        "FLASK_APP": "baithak",
        "BAITHAK_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'baithak.sqlite3'}",
        **dict.fromkeys(DEFAULT_LIMITS, BENCH_LIMIT),
    }
    if shared is not None:
        environ |= {
            "DATABASE_URL": shared.database_url,
            "SOCKETIO_MESSAGE_QUEUE": shared.queue_url,
            "BAITHAK_REDIS_PREFIX": shared.prefix,
        }
    return environ


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
    _wait_answer(server.url, server.master, "server", server.log, timeout)


def _wait_answer(
    url: str,
    process: subprocess.Popen[bytes],
    what: str,
    log: Callable[[], str],
    timeout: float,
) -> None:
    """Wait until GET `url`/ answers 200; raise ServerError with `log()` if
    `process` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{what} exited early:\n{log()}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise ServerError(f"{what} did not answer within {timeout} s:\n{log()}")


def _worker_pid(master: subprocess.Popen[bytes], log: str) -> int:
    children = _children(master.pid)
    if len(children) != 1:
        raise ServerError(f"expected one gunicorn worker, found {children}:\n{log}")
    return children[0]


def _init_db(environ: dict[str, str]) -> None:
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


def _start_gunicorn(
    environ: dict[str, str], port: int, log_path: Path
) -> subprocess.Popen[bytes]:
    # gunicorn.conf.py: one eventlet worker, no control socket, graceful stop.
    command = [
        str(BIN / "gunicorn"),
        "--config", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}",
        "wsgi:app",
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, worker included
        )


@contextmanager
def baithak_server(
    folder: Path, port: int | None = None, database_url: str | None = None
) -> Iterator[Server]:
    """Run `flask init-db` on a new database in `folder` (or the empty one at
    `database_url`), then gunicorn; yield the running Server; stop it (and
    its worker) afterwards, always."""
    folder.mkdir(parents=True, exist_ok=True)
    environ = bench_environment(folder, database_url=database_url)
    _init_db(environ)
    port = port or free_port()
    log_path = folder / "server.log"
    master = _start_gunicorn(environ, port, log_path)
    server = Server(f"http://127.0.0.1:{port}", master, 0, log_path)
    try:
        _wait_ready(server, timeout=30)
        server.worker_pid = _worker_pid(master, server.log())
        yield server
    finally:
        stop(master)


@dataclass
class Cluster:
    """Baithak as N processes: the URL to give loadgen (nginx's, or the only
    server's), the servers, and nginx when it is in front."""

    url: str
    servers: list[Server]
    shared: Shared | None
    nginx: subprocess.Popen[bytes] | None = None
    nginx_log: Path | None = None

    @property
    def worker_pids(self) -> list[int]:
        """Every gunicorn worker (what loadgen's --pid sums)."""
        return [server.worker_pid for server in self.servers]

    def nginx_pids(self) -> list[int]:
        """nginx's master and its worker(s), when it runs."""
        if self.nginx is None:
            return []
        return [self.nginx.pid, *_children(self.nginx.pid)]

    def alive(self) -> bool:
        """True while every server (and nginx) runs."""
        nginx_up = self.nginx is None or self.nginx.poll() is None
        return nginx_up and all(server.alive() for server in self.servers)

    def describe(self) -> str:
        """One line: how many processes, queue, database, proxy."""
        return describe(
            len(self.servers), self.shared is not None, self.nginx is not None
        )


def describe(processes: int, queue: bool, proxy: bool) -> str:
    """What the Baithak side of a run is, in words (the table's header)."""
    queue = queue or processes > 1
    proxy = proxy or processes > 1
    plural = "es" if processes > 1 else ""
    return ", ".join(
        [
            f"{processes} process{plural} (gunicorn, one eventlet worker"
            + (" each)" if processes > 1 else ")"),
            "Redis message queue, PostgreSQL" if queue else "no message queue, SQLite",
            "behind nginx (round-robin)" if proxy else "no proxy",
        ]
    )


def nginx_binary() -> str | None:
    """The nginx executable ($BAITHAK_BENCH_NGINX, PATH, /usr/sbin), or None."""
    return shutil.which(NGINX) or shutil.which(NGINX, path="/usr/sbin:/sbin")


@contextmanager
def shared_store(
    redis_url: str = REDIS_URL, postgres_url: str = POSTGRES_URL
) -> Iterator[Shared]:
    """A new PostgreSQL database and a Redis prefix of their own for one run;
    drop the database and delete the prefix's keys afterwards, always."""
    import psycopg  # the app's own PostgreSQL driver (requirements.txt)
    import redis

    token = secrets.token_hex(4)
    name = f"baithak_bench_{token}"
    shared = Shared(redis_url, f"baithak-bench-{token}", f"{postgres_url}/{name}")
    try:
        admin = psycopg.connect(f"{postgres_url}/postgres", autocommit=True)
    except psycopg.Error as error:
        raise ServerError(f"PostgreSQL at {postgres_url}: {error}") from error
    try:
        client = redis.Redis.from_url(redis_url)
        client.ping()
    except redis.RedisError as error:
        admin.close()
        raise ServerError(f"Redis at {redis_url}: {error}") from error
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield shared
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            keys = list(client.scan_iter(match=f"{shared.prefix}:*"))
            if keys:
                client.delete(*keys)
    finally:
        admin.close()
        client.close()


NGINX_CONF = """\
    # Written by bench/server.py for one bench run, then deleted.
    daemon off;
    master_process on;
    worker_processes 1;
    worker_rlimit_nofile 20000;
    pid {tmp}/nginx.pid;
    error_log {tmp}/nginx-error.log warn;
    events {{ worker_connections 10000; }}
    http {{
        access_log off;
        client_body_temp_path {tmp}/body;
        proxy_temp_path {tmp}/proxy;
        fastcgi_temp_path {tmp}/fastcgi;
        uwsgi_temp_path {tmp}/uwsgi;
        scgi_temp_path {tmp}/scgi;
        # Round-robin: loadgen's websocket clients make one HTTP request
        # each (the upgrade), so no stickiness is needed. Long-polling
        # would need ip_hash or a cookie (docs/deployment.md).
        upstream baithak {{
    {servers}
        }}
        map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
        server {{
            listen 127.0.0.1:{port};
            location / {{
                proxy_pass http://baithak;
                proxy_http_version 1.1;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $connection_upgrade;
                proxy_set_header Host $http_host;
                proxy_buffering off;
                proxy_read_timeout 3600s;
                proxy_send_timeout 3600s;
            }}
        }}
    }}
"""


def _start_nginx(
    folder: Path, ports: list[int]
) -> tuple[subprocess.Popen[bytes], str, Path]:
    binary = nginx_binary()
    if binary is None:
        raise ServerError(
            "nginx not found: several processes need it in front (make nginx, "
            "or apt-get install nginx; BAITHAK_BENCH_NGINX= points to another)"
        )
    tmp = folder / "nginx"
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
    conf = tmp / "nginx.conf"
    conf.write_text(
        textwrap.dedent(NGINX_CONF).format(tmp=tmp, port=port, servers=servers)
    )
    log_path = tmp / "nginx.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [
                binary,
                "-p",
                str(tmp),
                "-c",
                str(conf),
                "-e",
                str(tmp / "nginx-error.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{port}", tmp / "nginx-error.log"


@contextmanager
def baithak_cluster(
    folder: Path, processes: int = 1, queue: bool = False, proxy: bool = False
) -> Iterator[Cluster]:
    """Baithak as `processes` gunicorns (each with one eventlet worker). With
    `queue` (always when several): the Redis message queue and a new
    PostgreSQL database (shared_store), `flask init-db` once; with `proxy`
    (always when several): nginx in front. One process without either is
    exactly baithak_server. Everything is stopped afterwards, always."""
    if processes > 1:
        queue = proxy = True
    folder.mkdir(parents=True, exist_ok=True)
    if not queue and not proxy:
        with baithak_server(folder) as server:
            yield Cluster(server.url, [server], None)
        return
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(shared_store()) if queue else None
        environ = bench_environment(folder, shared)
        _init_db(environ)
        servers = []
        for index in range(1, processes + 1):
            port = free_port()
            log_path = folder / f"server-{index}.log"
            master = _start_gunicorn(environ, port, log_path)
            stack.callback(stop, master)
            servers.append(Server(f"http://127.0.0.1:{port}", master, 0, log_path))
        for server in servers:
            _wait_ready(server, timeout=30)
            server.worker_pid = _worker_pid(server.master, server.log())
        cluster = Cluster(servers[0].url, servers, shared)
        if proxy:
            ports = [int(server.url.rsplit(":", 1)[1]) for server in servers]
            nginx, url, nginx_log = _start_nginx(folder, ports)
            stack.callback(stop, nginx, 10)
            cluster.url, cluster.nginx, cluster.nginx_log = url, nginx, nginx_log
            _wait_proxy(cluster, nginx, timeout=15)
        yield cluster


def _wait_proxy(
    cluster: Cluster, nginx: subprocess.Popen[bytes], timeout: float
) -> None:
    """Wait until nginx answers with a server's page."""

    def log() -> str:
        path = cluster.nginx_log
        return path.read_text(errors="replace") if path else ""

    _wait_answer(cluster.url, nginx, "nginx", log, timeout)


def stop(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM the process group (gunicorn's graceful stop), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a worker may outlive its master
    process.wait()
