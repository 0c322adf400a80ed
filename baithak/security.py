"""HTTP security: the response headers every page and file is sent with.

Headers come from Flask-Talisman; which ones and why: CSP and init_headers().
"""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

# Content-Security-Policy (CSP Level 3, https://www.w3.org/TR/CSP3/): only
# this site's own files; no inline script, inline style attribute or on*
# handler runs, so markup that slips through escaping cannot execute. In CSP3
# 'self' also matches ws:/wss: to the same host, which covers the Socket.IO
# websocket (tests/e2e check that Chromium opens it and reports no violation).
CSP: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The chat page's URL holds a guest's name and room: send no Referer to others.
REFERRER_POLICY = "same-origin"
# HSTS lifetime in seconds: one year (hstspreload.org's minimum; Talisman's too).
HSTS_SECONDS = 365 * 24 * 60 * 60


def init_headers(app: Flask) -> Talisman:
    """Add the security headers to every response (pages and static files).

    Talisman's defaults are overridden where they would break Baithak:
    `force_https` is off (a classroom LAN is plain HTTP) and Talisman leaves
    the session cookie alone (its default marks it Secure on the first
    request, which would log everyone out over HTTP): SESSION_COOKIE_SECURE,
    _HTTPONLY and _SAMESITE stay what the config says. HSTS is sent only when
    the config marks cookies Secure (BAITHAK_SECURE_COOKIES=1: the site is
    served over HTTPS), and Talisman adds it only to responses to HTTPS
    requests (or X-Forwarded-Proto: https from a proxy); browsers ignore it
    over HTTP anyway (RFC 6797, 8.1). Not for subdomains: a school's domain
    may host other sites that are not on HTTPS.
    """
    return Talisman(
        app,
        force_https=False,
        frame_options="DENY",
        content_security_policy=CSP,
        referrer_policy=REFERRER_POLICY,
        x_content_type_options=True,
        strict_transport_security=bool(app.config.get("SESSION_COOKIE_SECURE")),
        strict_transport_security_max_age=HSTS_SECONDS,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=False,
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
