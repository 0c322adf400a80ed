"""The rooms feature: lobby and chat pages, and the chat's Socket.IO handlers."""

from flask import Blueprint

bp = Blueprint("rooms", __name__)

from . import events, message_events, moderation_events, routes  # noqa: E402,F401  (register the handlers on bp/socketio)
