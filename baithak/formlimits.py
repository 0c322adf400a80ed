"""Rate limits on the forms that change state (Flask-Limiter): who a request
counts against, the limits' settings, and the page a refused request gets.

The routes declare their limits with `limiter.limit(setting(...), ...)`; the
numbers come from the config (BAITHAK_RATELIMIT_*, see baithak/config.py) when
a request arrives, so each app, and each test, can set its own. Only POSTs
count: reading a page is never refused.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, current_app, render_template, request
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from .extensions import limiter
from .services.names import clean, fold

# The settings holding limit strings, checked when the app starts.
SETTINGS = (
    "BAITHAK_RATELIMIT_LOGIN_IP",
    "BAITHAK_RATELIMIT_LOGIN_USERNAME",
    "BAITHAK_RATELIMIT_REGISTER",
)
# Longest attempted username kept as a counter key, in characters (real ones
# have at most 32; longer ones still count, under their first 64 characters).
USERNAME_KEY_LENGTH = 64


def client_address() -> str:
    """Count against the client's IP address (a classroom behind NAT shares one;
    behind a reverse proxy every client has the proxy's)."""
    return f"ip:{request.remote_addr or 'unknown'}"


def attempted_username() -> str:
    """Count against the username typed in the login form, compared as logging
    in compares it (trimmed, case-folded), wherever the attempts come from."""
    typed = fold(clean(request.form.get("username", "")))
    return f"username:{typed[:USERNAME_KEY_LENGTH]}"


def setting(name: str) -> Callable[[], str]:
    """Return a limit provider that reads config[`name`] at request time."""
    return lambda: current_app.config[name]


def init_app(app: Flask) -> None:
    """Check every limit setting, bind the limiter, and serve the 429 page.

    Raise RuntimeError naming a setting whose value is not a limit string, so
    a typo stops the start instead of failing each request.
    """
    for name in SETTINGS:
        value = app.config[name]
        try:
            parse_many(value)
        except ValueError:
            raise RuntimeError(
                f"{name}: {value!r} is not a rate limit; write e.g. "
                "'10 per minute' or '20 per minute; 200 per day'"
            ) from None
    limiter.init_app(app)
    app.register_error_handler(429, too_many_requests)


def retry_after() -> int:
    """Return the whole seconds until the limit that refused this request
    lets the next one through (at least 1)."""
    limit = limiter.current_limit
    if limit is None or not limit.breached:
        return 60
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def wait_text(seconds: int) -> str:
    """Return `seconds` as a person reads a wait: "1 second", "45 seconds",
    "3 minutes" (rounded up from 90 seconds on)."""
    if seconds < 90:
        return f"{seconds} second" + ("" if seconds == 1 else "s")
    return f"{math.ceil(seconds / 60)} minutes"


def too_many_requests(error: TooManyRequests) -> tuple[str, int, dict[str, str]]:
    """The 429 page: which limit refused the request and when to try again,
    in words and in the Retry-After header (RFC 9110, 10.2.3: seconds)."""
    seconds = retry_after()
    html = render_template(
        "errors/429.html",
        reason=error.description,
        wait=wait_text(seconds),
        back=request.full_path.rstrip("?"),
    )
    return html, 429, {"Retry-After": str(seconds)}
