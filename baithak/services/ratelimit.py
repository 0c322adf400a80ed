"""Rate limits for chat actions (sending, joining, creating rooms, reacting).

Built on the `limits` package (the one Flask-Limiter uses for the HTTP
pages), with its sliding-window counter: O(1) per check, and a window's
allowance is never exceeded by more than the rounding of the previous
window's share. Each action has rules written in `limits` notation, e.g.
"5/second;60/minute": a burst allowance plus a steady rate. Storage is
BAITHAK_RATELIMIT_STORAGE_URI (memory://, this process's; redis://...
shares the counts between processes at a cost: baithak/config.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse_many, storage, strategies

from . import ServiceError

# Each action's refusal. Its limits are the settings BAITHAK_RATELIMIT_<ACTION>
# (one account, or one guest connection) and BAITHAK_RATELIMIT_<ACTION>_IP.
ACTIONS = {
    "send": "You are sending messages too fast",
    "join": "Too many joins",
    "create_room": "Too many new rooms",
    "history": "Too many history requests",
    "moderate": "Too many moderation actions",
    # Counted when a join code is wrong: guessing codes stays hopeless (31**6
    # codes), while a class typing the right one from one address costs nothing.
    "join_code": "Too many wrong join codes",
    "react": "You are reacting too fast",
    "presence": "Too many presence updates",
    "typing": "Too many typing updates",
}


def setting_names(action: str) -> tuple[str, str]:
    """Return the config keys of `action`'s limits: (own, per IP)."""
    own = f"BAITHAK_RATELIMIT_{action.upper()}"
    return own, f"{own}_IP"


@dataclass(frozen=True)
class Who:
    """Whom a limit counts: the connection (sid; None for an HTTP request),
    the account (None for a guest), and the IP address."""

    sid: str | None
    user_id: int | None
    ip: str | None


class RateLimits:
    """The app's rate limiter: one per app, made by `init_app`."""

    def __init__(self, uri: str, rules: dict[str, tuple[list[RateLimitItem], ...]]):
        self._limiter = strategies.SlidingWindowCounterRateLimiter(
            storage.storage_from_string(uri)
        )
        self._rules = rules

    def hit(self, action: str, who: Who, count: bool = True) -> None:
        """Count one `action` by `who`, or raise ServiceError("rate_limited").

        Counted per account (or per connection for a guest; a guest's HTTP
        request has none) and per IP. The error's details carry `retryAfter`,
        whole seconds until it would pass. A refused action is not counted;
        with `count` False nothing is (a check before an action that counts
        only when it fails).
        """
        own, per_ip = self._rules[action]
        keys = []
        if who.user_id is not None:
            keys.append((own, ("user", str(who.user_id))))
        elif who.sid is not None:
            keys.append((own, ("sid", who.sid)))
        if who.ip:
            keys.append((per_ip, ("ip", who.ip)))
        checks = [(rule, key) for rules, key in keys for rule in rules]
        refused = [(r, k) for r, k in checks if not self._limiter.test(r, action, *k)]
        if refused:
            reset = max(self._limiter.get_window_stats(r, action, *k).reset_time
                        for r, k in refused)  # fmt: skip
            retry = max(1, math.ceil(reset - time.time()))
            raise ServiceError(
                f"{ACTIONS[action]}; try again in {retry} s.",
                "rate_limited",
                details={"retryAfter": retry},
            )
        for rule, key in checks if count else ():
            self._limiter.hit(rule, action, *key)


def init_app(app: Flask) -> None:
    """Build the app's limiter from its config (rules parsed once, here).

    Raise RuntimeError naming a setting that is not a rate limit, so a typo
    stops the start instead of failing each event.
    """
    rules = {
        action: tuple(_rules(app, key) for key in setting_names(action))
        for action in ACTIONS
    }
    app.extensions["baithak.ratelimit"] = RateLimits(
        app.config["BAITHAK_RATELIMIT_STORAGE_URI"], rules
    )


def _rules(app: Flask, key: str) -> list[RateLimitItem]:
    value = app.config[key]
    if not value:
        return []  # "" switches the limit off
    try:
        return parse_many(value)
    except ValueError:
        raise RuntimeError(
            f"{key}: {value!r} is not a rate limit; write e.g. '5/second;60/minute'"
        ) from None


def hit(action: str, who: Who) -> None:
    """Count one `action` by `who` in the current app; see RateLimits.hit."""
    current_app.extensions["baithak.ratelimit"].hit(action, who)


def check(action: str, who: Who) -> None:
    """Raise ServiceError("rate_limited") if `who` is over `action`'s limits
    now, counting nothing."""
    current_app.extensions["baithak.ratelimit"].hit(action, who, count=False)
