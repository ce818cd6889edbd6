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
from dashboard import data, i18n, preferences
from dashboard.auth import init_auth
from dashboard.context import CONFIG_KEY, DashboardContext, current
from dashboard.exercise_banner import exercise_banner
from dashboard.i18n import N_, _
from dashboard.malformed import refuse_malformed
from dashboard.public import ack
from dashboard.public.page import init_status
from dashboard.public.unknown_paths import init_unknown_paths

HERE = Path(__file__).resolve().parent
REFRESH_MS = 3000
SHELL_REFRESH = ui.SHELL_REFRESH
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
    refuse_malformed(server)  # raw bytes in the query, absurdly deep JSON: 400, not 500
    security_headers(server)
    init_unknown_paths(server)  # before the login wall: a page that does not exist is a 404
    init_auth(server)
    preferences.init_preferences(server)
    init_status(server)
    redirects(server)
    ack.register(server, ctx, contacts=ctx.contacts, twilio_auth_token=ctx.twilio_auth_token)
    app.layout = _shell
    _shell_callbacks(app)
    # Dash has just executed the page modules for this app; their callbacks go on it.
    for page in dash.page_registry.values():
        sys.modules[page["module"]].callback.register(app)
    return app


# Paths people type for a page that lives elsewhere (issue 20: "/statuspage" answered 404).
# A Flask rule of its own, not Dash's `redirect_from`: that one registers on whichever app
# imported the page module first, and several apps share one process in tests.
ADMIN_REDIRECTS = {"/statuspage": "/statuspage-admin"}


def redirects(server: flask.Flask) -> None:
    for source, target in ADMIN_REDIRECTS.items():
        server.add_url_rule(source, f"redirect{source.replace('/', '_')}",
                            lambda target=target: flask.redirect(target))


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


# The menu groups, in order, and where each page goes. A page may name its group itself
# (`dash.register_page(..., nav_group="prepare")`); pages in neither land under "More".
# Menus open on hover and on keyboard focus (dashboard/assets/menus.css), so the bar holds
# three buttons whatever the number of pages and never wraps.
NAV_GROUPS = (("watch", N_("Watch")), ("respond", N_("Respond")), ("prepare", N_("Prepare")),
              ("more", N_("More")))
ROLE_LABELS = {"viewer": N_("viewer"), "editor": N_("editor"), "approver": N_("approver"),
               "admin": N_("admin")}
NAV_GROUP_BY_PATH = {"/": "watch", "/mentions": "watch", "/rumours": "watch",
                     "/sources": "watch", "/incident": "respond", "/approvals": "respond",
                     "/broadcasts": "respond", "/statuspage-admin": "respond",
                     "/cell": "respond", "/plan": "prepare", "/exercises": "prepare"}
APPROVALS_PATH = "/approvals"


def nav_groups() -> list[tuple[str, str, list[dict]]]:
    """`(key, English label, pages)` for each non-empty menu, pages in their `order`."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)
    grouped = {key: [] for key, _label in NAV_GROUPS}
    for page in pages:
        key = page.get("nav_group") or NAV_GROUP_BY_PATH.get(page["path"], "more")
        grouped.get(key, grouped["more"]).append(page)
    return [(key, label, grouped[key]) for key, label in NAV_GROUPS if grouped[key]]


def _nav_links(pathname: str | None, waiting: int):
    menus = []
    for key, label, pages in nav_groups():
        current_page = next((p for p in pages if p["path"] == pathname), None)
        items = []
        for page in pages:
            children = [_(page["name"])]
            if page["path"] == APPROVALS_PATH and waiting:
                children.append(html.Span(str(waiting), className="count"))
            items.append(dcc.Link(children, href=page["path"], className="menu-link"
                                  + (" active" if page is current_page else "")))
        has_waiting = waiting and any(p["path"] == APPROVALS_PATH for p in pages)
        # The group's name only: the open page is highlighted in its menu and titled on
        # the page itself (its name here too would wrap the bar at 1280 px in French).
        button = [html.Span(_(label), className="menu-label")]
        if has_waiting:
            button.append(html.Span(str(waiting), className="count",
                                    title=_("{n} waiting for approval").format(n=waiting)))
        button.append(html.Span("▾", className="menu-caret", **{"aria-hidden": "true"}))
        menus.append(html.Div([
            html.Button(button, type="button", className="menu-button", id=f"shell-menu-{key}",
                        title=_(current_page["name"]) if current_page else None,
                        **{"aria-haspopup": "true"}),
            html.Div(items, className="menu-items"),
        ], className="menu" + (" active" if current_page is not None else "")))
    menus.append(html.A(_("Public status ↗"), href="/status", target="_blank",
                        className="menu-external", id="shell-public-status",
                        title=_("What customers see, without login (opens a new tab)")))
    return menus


def _phase(incident: dict | None):
    if incident and incident["active"]:
        return html.Div([html.Span(_("Incident #{id}").format(id=incident["id"]),
                                   className="inc-no"),
                         ui.phase_badge(incident["phase"])], className="phase-wrap")
    return html.Div([ui.phase_badge(None)], className="phase-wrap")


def _header_state(ctx: DashboardContext, pathname: str | None):
    """(clock text, zone, phase, nav) as of now: drawn in the first response and on every
    tick, navigation and incident change, so the phase is never a stale "No incident"."""
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = data.incident(session, now)
        waiting = data.waiting_count(session)
    return (i18n.hhmm(now, seconds=True), i18n.zone_abbreviation(now), _phase(incident),
            _nav_links(pathname, waiting))


def _user_menu(ctx: DashboardContext, user):
    if user is None:
        return html.Div(className="user")
    lang = getattr(user, "lang", None) or i18n.current_lang()
    zone = getattr(user, "timezone", None) or i18n.current_zone().key
    return html.Div([
        html.Button([html.Span(user.username, className="who"),
                     html.Span("▾", className="menu-caret")], type="button",
                    className="menu-button", id="shell-user-button",
                    **{"aria-haspopup": "true"}),
        html.Div([
            html.Div(_("Signed in as {user} · {role}").format(user=user.username,
                                                              role=_(ROLE_LABELS.get(
                                                                  user.role, user.role))),
                     className="menu-note"),
            html.Form([
                html.Label(_("Language"), htmlFor="shell-lang"),
                html.Select([html.Option(name, value=code, selected=code == lang)
                             for code, name in i18n.LANG_NAMES.items()],
                            id="shell-lang", name="lang"),
                html.Label(_("Time zone"), htmlFor="shell-timezone"),
                html.Select([html.Option(z, value=z, selected=z == zone)
                             for z in preferences.zone_choices(ctx.brand, zone)],
                            id="shell-timezone", name="timezone"),
                html.Button(_("Apply"), type="submit", className="btn", id="shell-prefs-save"),
            ], method="POST", action=preferences.PATH, className="prefs"),
            html.Form(html.Button(_("Sign out"), type="submit", className="btn-link"),
                      method="POST", action="/logout", className="logout"),
        ], className="menu-items menu-right"),
    ], className="menu user-menu")


def _shell():
    ctx = current()
    user = current_user if current_user.is_authenticated else None
    path = flask.request.path if flask.has_request_context() else None
    clock, zone, phase, nav = _header_state(ctx, path) if user else ("", "", None, [])
    return html.Div([
        dcc.Interval(id="shell-tick", interval=REFRESH_MS),
        # Pages that change the incident (declare, phase) bump this so the header follows
        # at once, not at the next tick.
        dcc.Store(id=SHELL_REFRESH, data=0),
        html.Header([
            html.Div([html.Span(ctx.brand.name, className="brand-name"),
                      html.Span("crisiswatch", className="brand-sub")], className="brand"),
            html.Nav(nav, id="shell-nav", className="menus", **{"aria-label": _("Pages")}),
            html.Div([
                html.Div(phase, id="shell-phase", className="shell-phase"),
                html.Div([html.Div(clock, id="shell-clock", className="clock-now"),
                          html.Div(zone, id="shell-zone", className="clock-tz",
                                   title=i18n.current_zone().key)],
                         className="shell-clock"),
                _user_menu(ctx, user),
            ], className="topbar-right"),
        ], className="topbar", lang=i18n.current_lang()),
        # While a team exercise runs, every page says so (issue 19).
        html.Div(exercise_banner(ctx) if user else None, id="shell-exercise",
                 lang=i18n.current_lang()),
        html.Main(dash.page_container, className="content", lang=i18n.current_lang()),
    ])


def _shell_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("shell-clock", "children"), Output("shell-zone", "children"),
        Output("shell-phase", "children"), Output("shell-nav", "children"),
        Input("shell-tick", "n_intervals"), Input("_pages_location", "pathname"),
        Input(SHELL_REFRESH, "data"),
    )
    def _tick(_n, pathname, _refresh):
        return _header_state(current(), pathname)

    @app.callback(Output("shell-exercise", "children"), Input("shell-tick", "n_intervals"),
                  Input("_pages_location", "pathname"))
    def _exercise(_n, _pathname):
        return exercise_banner(current())
