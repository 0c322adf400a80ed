"""WSGI entry point for production: `gunicorn -k eventlet -w 1 wsgi:app`.

See README, "Production". For local use, `make run` serves with `flask run`.
"""

import os

from baithak import create_app

app = create_app(os.environ.get("BAITHAK_CONFIG", "production"))
