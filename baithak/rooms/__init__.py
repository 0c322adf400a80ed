"""The rooms feature: lobby, chat, invite and settings pages, and the chat's
Socket.IO handlers."""

from flask import Blueprint

bp = Blueprint("rooms", __name__)

from . import (  # noqa: E402,F401  (register the handlers on bp/socketio)
    events,
    invites,
    message_events,
    moderation_events,
    routes,
    settings,
)
