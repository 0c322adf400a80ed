"""WSGI entry point for production: `gunicorn -k eventlet -w 1 wsgi:app`.

See README, "Production". For local use, `make run` serves with `flask run`.
"""

import os
import sys

# psycopg 3 (PostgreSQL) waits for the server in C by default, where eventlet
# cannot switch greenlets: every query would stall the whole worker, and a
# wait for a row another process holds locked would stall it that long. Its
# select() wait is green once eventlet has patched select. Read when psycopg
# is first imported: before the app is made.
if "eventlet" in sys.modules:
    from eventlet import patcher

    if patcher.is_monkey_patched("select"):
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from baithak import create_app

app = create_app(os.environ.get("BAITHAK_CONFIG", "production"))
