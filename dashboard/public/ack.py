"""Acknowledging an alert without opening the dashboard: a signed link, an SMS reply.

- `GET /ack/<token>` shows the alert and one button; `POST /ack/<token>` acknowledges. A
  GET never changes anything, because mail scanners and Slack's link previews fetch every
  link they see, and an alert acknowledged by a robot is worse than none.
- `GET|POST /ack/b/<token>`: the same for a broadcast's confirmation link (issue 18).
- `GET|POST /ack/c/<token>`: the same for a crisis-cell page (issue 19): the POST takes the
  role (`responders.cell_paging.ack_by_link`).
- `POST /alerts/sms` is the inbound webhook for SMS replies (Twilio's form POST). The
  `X-Twilio-Signature` header (base64 HMAC-SHA1 of the URL followed by the sorted form
  fields, keyed with the auth token) is checked before anything is read; without an auth
  token configured the route refuses everything. Unknown senders get an empty answer. YES
  answers the latest alert page or broadcast awaiting that number, STOP opts out
  (`responders.broadcasts.sms_reply`).

Both routes must be outside the login wall (they carry their own credentials): the
dashboard's auth must treat `/ack/` and `/alerts/sms` as public.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from xml.sax.saxutils import escape

import flask

from dashboard.context import DashboardContext
from responders import broadcasts, cell_paging
from responders.alerting import Contact, ack_by_link, ack_key, read_ack_token
from store.models import AlertRow, CellPageRow

SMS_PATH = "/alerts/sms"

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>crisiswatch · alert</title>
<style>body{font-family:system-ui,sans-serif;max-width:560px;margin:40px auto;padding:0 16px;
color:#0f172a}button{font-size:18px;padding:10px 18px;border-radius:8px;border:0;
background:#1d4ed8;color:#fff;cursor:pointer}.muted{color:#475569}</style></head><body>
<h1>{{ heading }}</h1>{% if detail %}<p class="muted">{{ detail }}</p>{% endif %}
{% if form %}<form method="post"><button type="submit" id="ack">{{ label }}</button></form>
{% endif %}</body></html>"""


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def register(server: flask.Flask, ctx: DashboardContext, *, contacts: Sequence[Contact] = (),
             twilio_auth_token: str | None = None, sms_url: str | None = None,
             ack_secret: str | None = None) -> None:
    """Add the acknowledgement routes. `ack_secret` defaults to the key the alerting stage
    derives from the same app secret (`responders.alerting.ack_key`); `sms_url` is the
    public URL Twilio posts to (default: the URL of the request as Flask sees it)."""
    secret = ack_secret or ack_key(ctx.secret_key)
    contacts = list(contacts)

    def page(heading: str, detail: str = "", form: bool = False, status: int = 200,
             label: str = "Acknowledge"):
        response = flask.make_response(flask.render_template_string(
            PAGE, heading=heading, detail=detail, form=form, label=label), status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        return response

    @server.route("/ack/<token>", methods=["GET", "POST"])
    def ack_link(token: str):
        read = read_ack_token(secret, token)
        if read is None:
            return page("This acknowledgement link is not valid.", status=404)
        if flask.request.method == "GET":
            with ctx.store.session() as session:
                alert = session.get(AlertRow, read[0])
                if alert is None:
                    return page("This alert no longer exists.", status=404)
                title, severity, status = alert.title, alert.severity, alert.status
            if status != "open":
                return page(f"Alert #{read[0]} is {status}.", title)
            return page(f"Alert #{read[0]} ({severity})", f"{title}. Acknowledging as "
                        f"{read[1]} stops re-sends and escalation.", form=True)
        with ctx.store.session() as session:
            _, text = ack_by_link(session, secret, token, ctx.clock())
        return page(text)

    @server.route("/ack/c/<token>", methods=["GET", "POST"])
    def cell_link(token: str):
        """A crisis-cell page's link: GET shows the role and a button, POST takes it."""
        read = cell_paging.read_ack_token(secret, token)
        if read is None:
            return page("This acknowledgement link is not valid.", status=404)
        with ctx.store.session() as session:
            if flask.request.method == "POST":
                return page(cell_paging.ack_by_link(session, secret, token, ctx.clock())[1])
            row = session.get(CellPageRow, read[0])
            if row is None:
                return page("This page no longer exists.", status=404)
            state, role, incident_id = row.state, row.role, row.incident_id
        label = cell_paging.LABELS[role]
        if state != "paging":
            return page(f"The {label} page of incident #{incident_id} is {state}.")
        return page(f"{label}, incident #{incident_id}", f"Acknowledging as {read[1]} "
                    "makes you the role's holder from now; the deputies are not paged.",
                    form=True)

    @server.route("/ack/b/<token>", methods=["GET", "POST"])
    def broadcast_link(token: str):
        """A broadcast's confirmation link: GET shows the message and a button, POST
        confirms (link previews and mail scanners only GET)."""
        with ctx.store.session() as session:
            recipient = broadcasts.read_link(session, secret, token)
            if recipient is None:
                return page("This confirmation link is not valid.", status=404)
            if flask.request.method == "POST":
                return page(broadcasts.confirm_by_link(session, secret, token, ctx.clock())[1])
            state, name = recipient.state, recipient.name
        if state == "confirmed":
            return page("Already confirmed. Thank you.")
        return page(f"Message #{recipient.broadcast_id}", f"Confirm that {name} has read "
                    "it: re-sends stop.", form=True, label="Confirm")

    @server.route(SMS_PATH, methods=["POST"])
    def sms_inbound():
        if not twilio_auth_token:
            return flask.Response("SMS acknowledgement is not configured", 403)
        params = {k: flask.request.form[k] for k in flask.request.form}
        expected = twilio_signature(twilio_auth_token, sms_url or flask.request.url, params)
        given = flask.request.headers.get("X-Twilio-Signature", "")
        if not hmac.compare_digest(expected, given):
            return flask.Response("bad signature", 403)
        with ctx.store.session() as session:
            # YES answers the latest alert page or broadcast awaiting this number; STOP opts out
            reply = broadcasts.sms_reply(session, contacts, params.get("From", ""),
                                         params.get("Body", ""), ctx.clock())
        body = f"<Message>{escape(reply)}</Message>" if reply else ""
        return flask.Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}'
                              "</Response>", 200, mimetype="application/xml")
