"""Turning a service's refusal into a response: a page or JSON, with the
HTTP status its code means; and reading ids and the viewer off a request."""

from __future__ import annotations

from flask import jsonify, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from ..models import User
from ..services import ServiceError

# HTTP status per ServiceError code; anything else is a bad request.
STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "banned": 403,
    "login_required": 403,
    "invite_revoked": 410,
    "invite_expired": 410,
    "invite_used_up": 410,
    "rate_limited": 429,
}
HEADINGS = {404: "Not found", 403: "Not allowed", 410: "Link no longer works"}


def viewer() -> User | None:
    """Return the logged-in account (the object itself, not the proxy), or None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[attr-defined]
    return None


def parse_id(raw: str | None) -> int | None:
    """Return a positive decimal id from a URL, or None (which services treat
    as an id nothing has: NOT_FOUND)."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    return int(raw)


def _status(exc: ServiceError) -> int:
    return STATUS.get(exc.code, 400)


def refusal_page(exc: ServiceError) -> tuple[str, int]:
    """Return the page for a refusal. A room one may not see and one that does
    not exist get the same page, byte for byte (the message is the same)."""
    status = _status(exc)
    heading = HEADINGS.get(status, "Not possible")
    page = render_template("errors/refused.html", heading=heading, reason=exc.message)
    return page, status


def refusal_json(exc: ServiceError) -> tuple[Response, int]:
    """Return {"error", "code", ...details} with the refusal's status."""
    body = {"error": exc.message, "code": exc.code, **exc.details}
    response = jsonify(body)
    if "retryAfter" in exc.details:
        response.headers["Retry-After"] = str(exc.details["retryAfter"])
    return response, _status(exc)
