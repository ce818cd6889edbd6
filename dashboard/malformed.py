"""Malformed requests are the client's error (400), never the server's (500) (issue 16).

Two ways a request broke a route before any of its code ran:

- a raw non-ASCII byte in the query string (RFC 3986 allows only ASCII there; anything else
  is percent-encoded): werkzeug decodes `request.args` as strict UTF-8 and raised
  UnicodeDecodeError on the first route reading an argument (`?lang=`, `?next=`);
- JSON nested deeper than Python's recursion limit, small enough to pass the body limits
  (5,000 `[` are 10 KB): `request.get_json()` raised RecursionError.

And one way that broke on PostgreSQL only: a NUL character in a form field, a query
argument or a JSON string (`username=a%00`) reached a query, and PostgreSQL refuses NUL in
text (psycopg raises). No name, address, URL or text the app takes can hold a NUL, so such
a request is a 400 on every engine. (Inbound tickets and mentions are not forms: their
collectors strip NULs from a stranger's text and keep the record.)

Percent-encoded bytes that are not UTF-8 (`%ff`) already decode with replacement characters,
and bodies past their size limit are refused by `dashboard.app.limit_bodies`.
"""

from __future__ import annotations

import flask
from werkzeug.exceptions import BadRequest

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def holds_nul(value) -> bool:
    """True if a NUL is in `value` or in any key or string inside it (JSON shapes)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


class Request(flask.Request):
    """Flask's request, whose JSON nested absurdly deep, or holding a NUL, is a 400 like
    any unreadable JSON."""

    def get_json(self, *args, **kwargs):
        try:
            value = super().get_json(*args, **kwargs)
        except RecursionError:
            raise BadRequest("the JSON body is nested too deeply") from None
        if holds_nul(value):
            raise BadRequest("the JSON body holds a NUL character")
        return value


def _bad_request(error: str):
    response = flask.jsonify(error=error)
    response.status_code = 400
    return response


def refuse_malformed(server: flask.Flask) -> None:
    """Install the request class and the query-string check on `server`."""
    server.request_class = Request

    @server.before_request
    def _no_raw_bytes_or_nul():
        request = flask.request
        # The WSGI server hands the raw query as latin-1 text: non-ASCII means raw bytes.
        if not request.environ.get("QUERY_STRING", "").isascii():
            return _bad_request("malformed query string: percent-encode it")
        if holds_nul(list(request.args.items(multi=True))):
            return _bad_request("a NUL character in the query string")
        if request.mimetype in FORM_TYPES and holds_nul(list(request.form.items(multi=True))):
            return _bad_request("a NUL character in the form")
        return None
