"""gunicorn settings for Baithak; gunicorn reads ./gunicorn.conf.py by itself.

Command-line flags win over these (`make serve` passes -b). One eventlet
worker: presence lives in the worker's memory (README, "Production").
"""

worker_class = "eventlet"  # removed in gunicorn 26: requirements pin 25.x
workers = 1
# Connections the worker serves at once (gunicorn's default: 1,000, which one
# machine's idle sockets could fill); each is a file descriptor, so the
# process's `ulimit -n` must allow as many. Per IP address:
# BAITHAK_MAX_CONNECTIONS_PER_IP.
worker_connections = 5000
# After SIGTERM, baithak.shutdown closes every connection within ~5 s; this is
# the bound on the whole stop.
graceful_timeout = 10
# gunicorn 25's control socket (~/.gunicorn/gunicorn.ctl) is one path shared
# by every gunicorn on the machine, and a SIGTERM that arrives before its
# thread is up makes the stop wait 2 s longer; Baithak does not use it.
control_socket_disable = True


def post_worker_init(worker):  # noqa: ANN001, ANN201 (gunicorn's hook signature)
    """Stop gracefully on SIGTERM (baithak/shutdown.py); keep the garbage
    collector's pauses short (baithak/gcpause.py)."""
    from baithak import gcpause, shutdown

    shutdown.install(worker)
    gcpause.tune()
