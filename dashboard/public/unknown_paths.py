"""Unknown paths under the public namespaces answer 404 (issue 16).

Dash serves its index page for every path no other route claims, which under `/status/...`,
`/login/...` or `/ack/...` showed anyone the cockpit's shell and its library versions. A
path inside one of PUBLIC_NAMESPACES that only Dash's catch-all would answer is not a page
of the app: 404, for every method and whether logged in or not, before the login wall (an
anonymous visitor is not sent to log in for a page that does not exist).
"""

from __future__ import annotations

import flask

# The path roots the routes anyone can reach live under: the status page and its feeds and
# subscriptions, login and logout, the acknowledgement links and the inbound SMS hook.
PUBLIC_NAMESPACES = ("/status", "/login", "/logout", "/ack", "/alerts/sms")
# The rule Dash registers to serve its index for any path (`<path:path>` under its prefix).
DASH_CATCH_ALL = "/<path:path>"

NOT_FOUND = ("<!doctype html><html lang=en><meta charset=utf-8><title>Not found</title>"
             "<p>Not found. The status page is at <a href=\"/status\">/status</a>.</p>")


# The login wall lets through anything starting with these letters (dashboard.auth).
PUBLIC_LETTERS = ("/alerts/sms",)


def in_public_namespace(path: str) -> bool:
    """True for a namespace root itself and anything below it (`/status/x`,
    `/status.json/x`), not for a page that merely starts with the same letters
    (`/statuspage-admin` is a dashboard page), except PUBLIC_LETTERS."""
    return path.startswith(PUBLIC_LETTERS) or any(
        path == root or path.startswith((root + "/", root + ".")) for root in PUBLIC_NAMESPACES)


def init_unknown_paths(server: flask.Flask) -> None:
    """Install the 404 on `server`; must be registered before the login wall."""

    @server.before_request
    def _unknown_public_path():
        rule = flask.request.url_rule
        if in_public_namespace(flask.request.path) and (
                rule is None or rule.rule == DASH_CATCH_ALL):
            return flask.Response(NOT_FOUND, status=404, mimetype="text/html")
        return None
