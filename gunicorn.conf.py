"""gunicorn settings for Baithak; gunicorn reads ./gunicorn.conf.py by itself.

One gunicorn = one eventlet worker = one Baithak process. Several workers in
one gunicorn do not work: gunicorn hands each new connection to any worker,
so a long-polling client's next request lands on a worker that does not know
its session. To use more processes (or machines), run one gunicorn per port
behind nginx with sticky sessions and a Redis message queue
(docs/deployment.md, deploy/).

Where to listen is not set here: `-b 127.0.0.1:5001` on the command line
(`make serve` and deploy/systemd/baithak@.service pass it), or
GUNICORN_CMD_ARGS="-b 127.0.0.1:5001" in the environment. gunicorn applies
this file, then GUNICORN_CMD_ARGS, then the command line: the later wins.
With neither, gunicorn listens on 127.0.0.1:8000, or on 0.0.0.0:$PORT (every
interface) when PORT is set.
"""

worker_class = "eventlet"  # removed in gunicorn 26: requirements pin 25.x
workers = 1
# Connections the worker serves at once (gunicorn's default: 1,000, which one
# machine's idle sockets could fill); each is a file descriptor, so the
# process's `ulimit -n` (LimitNOFILE= in the systemd unit) must allow as many.
# Per IP address: BAITHAK_MAX_CONNECTIONS_PER_IP, counted per process.
worker_connections = 5000
# After SIGTERM, baithak.shutdown closes every connection within ~5 s; this is
# the bound on the whole stop (the systemd unit's TimeoutStopSec is above it).
graceful_timeout = 10
# gunicorn 25's control socket (~/.gunicorn/gunicorn.ctl) is one path shared
# by every gunicorn on the machine, and a SIGTERM that arrives before its
# thread is up makes the stop wait 2 s longer; Baithak does not use it.
control_socket_disable = True


def on_starting(server):  # noqa: ANN001, ANN201 (gunicorn's hook signature)
    """Refuse to start with more than one worker (`-w 4`, GUNICORN_CMD_ARGS):
    long-polling clients would fail (see above)."""
    if server.cfg.workers != 1:
        raise RuntimeError(
            f"Baithak runs one worker per gunicorn, not {server.cfg.workers}: "
            "for more processes run one gunicorn per port behind nginx "
            "(docs/deployment.md)"
        )


def post_worker_init(worker):  # noqa: ANN001, ANN201 (gunicorn's hook signature)
    """Stop gracefully on SIGTERM (baithak/shutdown.py); keep the garbage
    collector's pauses short (baithak/gcpause.py)."""
    from baithak import gcpause, shutdown

    shutdown.install(worker)
    gcpause.tune()
