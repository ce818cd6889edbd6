"""The Dash application: a top bar (brand, clock, incident phase, navigation) around the
pages in `dashboard/pages/`, behind the login wall, plus the public status page."""

from __future__ import annotations

import sys
from pathlib import Path

import dash
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
    server.config[CONFIG_KEY] = ctx
    init_auth(server)
    init_status(server)
    ack.register(server, ctx, contacts=ctx.contacts, twilio_auth_token=ctx.twilio_auth_token)
    app.layout = _shell
    _shell_callbacks(app)
    # Dash has just executed the page modules for this app; their callbacks go on it.
    for page in dash.page_registry.values():
        sys.modules[page["module"]].callback.register(app)
    return app


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
