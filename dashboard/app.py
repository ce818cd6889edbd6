"""The Dash application: a top bar (brand, clock, incident phase, navigation) around the
pages in `dashboard/pages/`, behind the login wall, plus the public status page."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import dash
import flask
from dash import Input, Output, dcc, html
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import components as ui
from dashboard import data
from dashboard.auth import init_auth
from dashboard.context import CONFIG_KEY, DashboardContext, current
from dashboard.public import ack
from dashboard.public.page import init_status

HERE = Path(__file__).resolve().parent
REFRESH_MS = 3000
# Request bodies: at most MAX_REQUEST_BYTES anywhere (Dash callbacks carry page state), and
# far less on the routes anyone can reach without logging in. Over the limit: 413, before
# the body is read (Content-Length) or as soon as it passes the limit (chunked).
MAX_REQUEST_BYTES = 4 * 1024 * 1024
PUBLIC_BODY_LIMITS = {"/login": 16 * 1024, "/status/subscribe": 16 * 1024,
                      "/status/subscribe/webhook": 16 * 1024}


def create_app(ctx: DashboardContext) -> dash.Dash:
    """Build the app for `ctx`; the Flask server is `app.server`."""
    app = dash.Dash(
        __name__, use_pages=True, pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"), title=f"{ctx.brand.name} · crisiswatch",
        update_title=None, suppress_callback_exceptions=True, serve_locally=True,
    )
    server = app.server
    if ctx.trusted_proxies:  # the client's address, not the proxy's, for rate limits
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=ctx.trusted_proxies,
                                   x_proto=ctx.trusted_proxies)
    server.secret_key = ctx.secret_key
    if ctx.secure_cookies:  # served over HTTPS: the session cookie never travels in clear
        server.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    server.config[CONFIG_KEY] = ctx
    limit_bodies(server)
    security_headers(server)
    init_auth(server)
    init_status(server)
    ack.register(server, ctx, contacts=ctx.contacts, twilio_auth_token=ctx.twilio_auth_token)
    app.layout = _shell
    _shell_callbacks(app)
    # Dash has just executed the page modules for this app; their callbacks go on it.
    for page in dash.page_registry.values():
        sys.modules[page["module"]].callback.register(app)
    return app


def limit_bodies(server: flask.Flask, limits: dict[str, int] | None = None,
                 default: int = MAX_REQUEST_BYTES) -> None:
    """A request-size limit on every route of `server` (413 past it)."""
    limits = PUBLIC_BODY_LIMITS if limits is None else limits
    server.config["MAX_CONTENT_LENGTH"] = default

    @server.before_request
    def _body_limit():
        request = flask.request
        limit = limits.get(request.path, default)
        request.max_content_length = limit
        if request.content_length is not None:
            return _too_large(limit) if request.content_length > limit else None
        if request.environ.get("wsgi.input_terminated"):
            # A chunked body: read at most limit + 1 bytes, refuse past the limit (werkzeug
            # alone would cut it silently), and hand the rest of the app a sized body.
            raw = request.environ["wsgi.input"].read(limit + 1)
            if len(raw) > limit:
                return _too_large(limit)
            request.environ.update({"wsgi.input": io.BytesIO(raw),
                                    "CONTENT_LENGTH": str(len(raw))})
            request.environ.pop("wsgi.input_terminated", None)
            request.__dict__.pop("content_length", None)
        return None

    @server.errorhandler(413)
    def _413(_exc):
        return _too_large(flask.request.max_content_length or default)


# Not a script policy (Dash renders with inline bootstrapping): no framing by anyone (click-
# jacking), no plugins, no <base> or form targets elsewhere. Routes with a stricter policy of
# their own (the public pages) keep it.
CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def security_headers(server: flask.Flask) -> None:
    @server.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _too_large(limit: int):
    response = flask.jsonify(error="request body too large", max_bytes=limit)
    response.status_code = 413
    response.headers["Connection"] = "close"
    return response


def _nav_links(pathname: str | None, waiting: int):
    links = []
    for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0):
        label = page["name"]
        children = [label]
        if page["path"] == "/approvals" and waiting:
            children.append(html.Span(str(waiting), className="count"))
        active = pathname == page["path"]
        links.append(dcc.Link(children, href=page["path"],
                              className="nav-link" + (" active" if active else "")))
    links.append(html.A("Public status ↗", href="/status", target="_blank",
                        className="nav-link ext"))
    return links


def _shell():
    ctx = current()
    user = current_user if current_user.is_authenticated else None
    return html.Div([
        dcc.Interval(id="shell-tick", interval=REFRESH_MS),
        html.Header([
            html.Div([html.Span(ctx.brand.name, className="brand-name"),
                      html.Span("crisiswatch", className="brand-sub")], className="brand"),
            html.Nav(_nav_links(None, 0), id="shell-nav", className="nav"),
            html.Div([
                html.Div(id="shell-phase", className="shell-phase"),
                html.Div([html.Div(id="shell-clock", className="clock-now"),
                          html.Div("UTC", className="clock-tz")], className="shell-clock"),
                html.Div([
                    html.Span(f"{user.username} · {user.role}" if user else "", className="who"),
                    html.Form(html.Button("Sign out", type="submit", className="btn-link"),
                              method="POST", action="/logout", className="logout"),
                ], className="user"),
            ], className="topbar-right"),
        ], className="topbar"),
        html.Main(dash.page_container, className="content"),
    ])


def _shell_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("shell-clock", "children"), Output("shell-phase", "children"),
        Output("shell-nav", "children"),
        Input("shell-tick", "n_intervals"), Input("_pages_location", "pathname"),
    )
    def _tick(_n, pathname):
        ctx = current()
        now = ctx.clock()
        with ctx.store.session() as session:
            incident = data.incident(session, now)
            waiting = data.waiting_count(session)
        if incident and incident["active"]:
            phase = html.Div([html.Span(f"Incident #{incident['id']}", className="inc-no"),
                              ui.phase_badge(incident["phase"])], className="phase-wrap")
        else:
            phase = html.Div([ui.phase_badge(None)], className="phase-wrap")
        return now.strftime("%H:%M:%S"), phase, _nav_links(pathname, waiting)
