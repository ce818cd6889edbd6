"""Users, passwords and the login wall.

Every route needs a logged-in user except the public status page (`/status`,
`/status.json`) and `/login` itself. Pages redirect to /login; Dash's own endpoints
(`/_dash-*`) answer 401 so a callback can never run anonymously. Callbacks check the
user's role again server-side (`dashboard.actions.require`): the layout hiding a button
is a convenience, not the control.

Cookies are SameSite=Lax and HttpOnly, and every state change is a POST (login, logout,
Dash callbacks), so another site cannot make a logged-in browser act; logout also refuses
another origin of the same site. Logout ends the session server-side: the cookie names the
user's session generation, which logout bumps (`end_sessions`).

Failed logins are throttled (`LOGIN_FAILURES_PER_USER`, `LOGIN_FAILURES_PER_CLIENT`) in the
database (`dashboard.ratelimit.DbRateLimit`: one conditional UPSERT per limit, taken before
the password is checked), so parallel requests and several web processes share one count:
past the limit the form answers 429 without checking the password, and says when to retry.
The per-user limit is keyed by client address too, so nobody can lock a colleague out from
elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode, urlsplit

import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from markupsafe import escape
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from collectors.webhook import WEBHOOK_PATH
from dashboard import actions
from dashboard.context import current
from dashboard.i18n import _, current_lang
from dashboard.public.page import PUBLIC_PATHS as STATUS_PATHS
from dashboard.public.page import PUBLIC_PREFIXES as STATUS_PREFIXES
from dashboard.ratelimit import DbRateLimit, client_address, retry_after, retry_minutes
from store.models import UserRow

ROLES = ("viewer", "editor", "approver", "admin")
PUBLIC_PATHS = (*STATUS_PATHS, WEBHOOK_PATH, "/login", "/favicon.ico")
# Routes that carry their own proof instead of a session: a signed acknowledgement link,
# a signed SMS reply from the provider.
PUBLIC_PREFIXES = ("/ack/", "/alerts/sms", *STATUS_PREFIXES)
# Failed logins allowed per 15 minutes: for one user name from one client address, and
# for one client address whatever the names (guessing across accounts).
LOGIN_FAILURES_PER_USER = 10
LOGIN_FAILURES_PER_CLIENT = 50
LOGIN_WINDOW_S = 15 * 60
# A hash computed once so a login for an unknown user costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("crisiswatch-timing-equaliser")


def add_user(session: Session, username: str, password: str, role: str,
             now: datetime) -> UserRow:
    """Create a user; ValueError on an empty name or password, unknown role, or duplicate."""
    username = (username or "").strip()
    if not username:
        raise ValueError("username must not be empty")
    if not password:
        raise ValueError("password must not be empty")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if session.execute(select(UserRow).where(UserRow.username == username)).first():
        raise ValueError(f"user {username!r} already exists")
    user = UserRow(username=username, password_hash=generate_password_hash(password),
                   role=role, created_at=now)
    session.add(user)
    session.flush()
    actions.audit(session, actor="cli", action="user.add", target=username,
                  detail=f"role={role}", now=now)
    return user


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The user if the password matches, else None."""
    user = session.execute(
        select(UserRow).where(UserRow.username == (username or "").strip())
    ).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


class User(UserMixin):
    """The logged-in user as flask-login sees it (a detached copy, no session needed).

    The id kept in the session cookie is "<user id>.<session generation>": logging out
    bumps the user's generation in the database, so every copy of an earlier cookie stops
    loading a user (server-side revocation, on every web process)."""

    def __init__(self, id: int, username: str, role: str, generation: int = 0,
                 lang: str | None = None, timezone: str | None = None):
        self.id, self.username, self.role, self.generation = id, username, role, generation
        self.lang, self.timezone = lang, timezone  # None: the brand's (dashboard.i18n)

    def get_id(self) -> str:
        return f"{self.id}.{self.generation}"


def same_origin(request: flask.Request) -> bool:
    """True unless the browser says the request comes from another origin (its `Origin`,
    else its `Referer`). SameSite=Lax stops other sites, not other origins of the same site
    (a sibling subdomain); this does."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True  # not a browser acting for a page (a browser sends Origin on POST)
    parts = urlsplit(source)
    return source != "null" and f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def end_sessions(session: Session, user_id: int) -> None:
    """Revoke every session of `user_id` (each cookie carries the generation it was made at)."""
    session.execute(update(UserRow).where(UserRow.id == user_id)
                    .values(session_generation=UserRow.session_generation + 1))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so /login?next= cannot send anyone elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


def init_auth(server: flask.Flask) -> None:
    """Install flask-login, the login/logout routes and the login wall on `server`."""
    server.config.update(
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_HTTPONLY=True,
    )
    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(user_id: str):
        try:
            uid, generation = (int(part) for part in user_id.split("."))
        except ValueError:
            return None  # also a cookie from before generations: sign in again
        with current().store.session() as session:
            row = session.get(UserRow, uid)
            if row is None or row.session_generation != generation:
                return None  # logged out since this cookie was made
            return User(row.id, row.username, row.role, row.session_generation,
                        row.lang, row.timezone)

    @server.before_request
    def login_wall():
        path = flask.request.path
        if (path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
                or current_user.is_authenticated):
            return None
        if path.startswith(("/_dash-", "/_reload-hash")):
            return flask.jsonify(error="login required"), 401
        nxt = flask.request.full_path.rstrip("?")
        return flask.redirect("/login?" + urlencode({"next": nxt}))

    per_user = DbRateLimit("login-user", LOGIN_FAILURES_PER_USER, LOGIN_WINDOW_S)
    per_client = DbRateLimit("login-client", LOGIN_FAILURES_PER_CLIENT, LOGIN_WINDOW_S)

    @server.route("/login", methods=["GET", "POST"])
    def login():
        ctx = current()
        nxt = _safe_next(flask.request.values.get("next"))
        error = ""
        if flask.request.method == "POST":
            username = flask.request.form.get("username", "")
            password = flask.request.form.get("password", "")
            now = ctx.clock()
            client = client_address()
            user_key = (client, username.strip().lower())
            # A slot is taken before the password is checked (one atomic statement per
            # limit) and given back if the password was right: parallel guesses cannot
            # all pass the check before any of them is counted.
            wait = per_client.take(ctx.store, client)
            if not wait:
                wait = per_user.take(ctx.store, user_key)
                if wait:
                    per_client.give_back(ctx.store, client)
            if wait:
                minutes = retry_minutes(wait)
                page = _login_page(ctx.brand.name, nxt, (
                    _("Too many failed attempts. Try again in {n} minutes.") if minutes > 1
                    else _("Too many failed attempts. Try again in 1 minute.")).format(
                        n=minutes))
                return page, 429, retry_after(wait)
            with ctx.store.session() as session:
                row = authenticate(session, username, password)
                actions.audit(session, actor=username.strip()[:64] or "?",
                              action="login" if row else "login.failed", target="dashboard",
                              detail="", now=now)
                user = User(row.id, row.username, row.role, row.session_generation) \
                    if row else None
            if user is not None:
                per_user.give_back(ctx.store, user_key)
                per_client.give_back(ctx.store, client)
                flask.session.clear()
                login_user(user)
                return flask.redirect(nxt)
            error = _("Wrong username or password.")
        return _login_page(ctx.brand.name, nxt, error), (401 if error else 200)

    @server.route("/logout", methods=["POST"])
    def logout():
        if not same_origin(flask.request):
            return "Cross-origin logout refused.", 403
        if current_user.is_authenticated:
            ctx = current()
            with ctx.store.session() as session:
                end_sessions(session, current_user.id)
                actions.audit(session, actor=current_user.username, action="logout",
                              target="dashboard", detail="", now=ctx.clock())
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")


def _login_page(brand: str, nxt: str, error: str) -> str:
    err = f'<p class="err" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="{current_lang()}"><head><meta charset="utf-8">
<title>{escape(_("Sign in"))} · {escape(brand)} crisiswatch</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#0f172a;
margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;color:#0f172a}}
form{{background:#fff;padding:32px 36px;border-radius:10px;width:320px;
box-shadow:0 10px 30px rgba(0,0,0,.35)}}
h1{{font-size:20px;margin:0 0 4px}} p.sub{{margin:0 0 20px;color:#475569;font-size:14px}}
label{{display:block;font-size:14px;font-weight:600;margin:12px 0 4px}}
input{{width:100%;box-sizing:border-box;padding:9px 10px;font-size:16px;border:1px solid #94a3b8;
border-radius:6px}} button{{margin-top:20px;width:100%;padding:10px;font-size:16px;
font-weight:700;background:#1d4ed8;color:#fff;border:0;border-radius:6px;cursor:pointer}}
.err{{background:#fee2e2;color:#991b1b;padding:8px 10px;border-radius:6px;font-size:14px}}
</style></head><body>
<form method="post" action="/login">
<h1>{escape(brand)} crisiswatch</h1><p class="sub">{escape(_("Sign in to the crisis cockpit"))}</p>{err}
<input type="hidden" name="next" value="{escape(nxt)}">
<label for="username">{escape(_("Username"))}</label>
<input id="username" name="username" autocomplete="username" autofocus required>
<label for="password">{escape(_("Password"))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{escape(_("Sign in"))}</button>
</form></body></html>"""
