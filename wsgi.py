"""WSGI entry point: `gunicorn -k eventlet -w 1 wsgi:app` (see README).

Run directly (`python wsgi.py`), it serves with Flask-SocketIO's own runner.
"""

import os

from baithak import create_app
from baithak.extensions import socketio

app = create_app(os.environ.get("BAITHAK_CONFIG", "production"))

if __name__ == "__main__":
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
    )
