"""The profiles feature: a page per account, and editing one's own."""

from flask import Blueprint

bp = Blueprint("profiles", __name__)

from . import routes  # noqa: E402,F401  (register the routes on bp)
