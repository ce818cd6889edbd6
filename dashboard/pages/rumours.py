"""Rumours: the claims people repeat, how loud each is, the statement that answers it, and
whether it dies down after that statement. Text is shown as text."""

from __future__ import annotations

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update
from flask_login import current_user

from dashboard import components as ui
from dashboard import figures, i18n, rumour_data
from dashboard.actions import ActionError, audit, require
from dashboard.context import current
from dashboard.i18n import N_, _
from responders import rumours
from responders.approval import EDITOR_ROLES
from store.models import RumourClaimRow, StatusPostRow

dash.register_page(__name__, path="/rumours", name=N_("Rumours"), order=4)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 5000


def layout(**_query):
    return html.Div([
        dcc.Interval(id="rumours-tick", interval=REFRESH_MS),
        html.H1(_("Rumours")),
        html.P(_("Claims repeated in mentions flagged as rumours, grouped across languages. "
                 "Link each to the statement that answers it: replies to the claim then cite "
                 "it, and the chart shows whether the claim dies down."), className="muted"),
        html.Div(id="rumours-flash"),
        html.Div([
            html.Div(id="rumours-list", className="col-main"),
            html.Aside([
                html.H2(_("Claim")),
                dcc.Dropdown(id="rumours-claim", placeholder=_("choose a claim"),
                             clearable=False),
                dcc.Graph(id="rumours-volume", config={"displayModeBar": False},
                          style=HIDDEN),
                html.Div(id="rumours-statement"),
                html.Label(_("Answered by (a published status-page update)"),
                           className="small-h"),
                dcc.Dropdown(id="rumours-post", placeholder=_("choose the statement")),
                html.Button(_("Link statement"), id="rumours-link", className="btn primary"),
                html.Div(id="rumours-mentions"),
            ], className="col-side panel"),
        ], className="incident-grid"),
    ])


def _rate(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def _trend(row) -> str:
    if row["statement_url"] is None:
        return _("not answered yet")
    if row["decaying"] is None:
        return _("answered; too early to tell")
    return _("decaying") if row["decaying"] else _("not decaying")


def render_list(rows: list[dict]):
    if not rows:
        return html.P(_("No rumours so far."), className="muted")
    head = html.Tr([html.Th(h) for h in (_("Claim"), _("Lang"), _("Mentions"), _("Last seen"),
                                         _("Per 10 min before → after"), _("Statement"))])
    body = [html.Tr([
        html.Td(r["text"], className="quote-text"), html.Td(r["lang"]),
        html.Td(str(r["mentions"])), html.Td(ui.zoned(r["last_seen"])),
        html.Td(f"{_rate(r['before_rate'])} → {_rate(r['after_rate'])}"),
        html.Td([html.Div(_trend(r)),
                 html.A(r["statement_url"], href=r["statement_url"], target="_blank",
                        rel="noopener noreferrer") if r["statement_url"] else None]),
    ], id=f"rumours-row-{r['id']}") for r in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="table")


def volume_figure(volume: dict) -> go.Figure:
    """The claim's mentions per 10 minutes, purple before its statement and grey after, a
    dashed line at the statement. The empty buckets before the claim first appeared are
    left out (one kept), so the claim fills the chart instead of its right edge."""
    buckets = volume["buckets"]
    first = next((i for i, b in enumerate(buckets) if b["count"]), 0)
    buckets = buckets[max(0, first - 1):]
    zone = i18n.current_zone()
    fig = go.Figure(go.Bar(
        x=[i18n.naive_local(b["start"], zone) for b in buckets],
        y=[b["count"] for b in buckets],
        marker_color=["#7c3aed" if not b["after"] else "#a3a3a3" for b in buckets],
        hovertemplate="%{x|%H:%M}: %{y} " + _("mentions") + "<extra></extra>"))
    if volume["statement_at"] is not None:
        fig.add_vline(x=i18n.naive_local(volume["statement_at"], zone), line_dash="dash",
                      line_color="#0f172a")
    fig.update_layout(margin={"l": 30, "r": 10, "t": 10, "b": 40}, height=240,
                      plot_bgcolor="white", paper_bgcolor="white", bargap=0.1,
                      yaxis_title=_("per 10 min"), xaxis_tickformat="%H:%M",
                      xaxis_title=figures.time_axis_title(
                          buckets[0]["start"] if buckets else None, zone))
    return fig


HIDDEN = {"display": "none"}
SHOWN = {"height": "260px"}


def no_claim(message: str | None = None, kind: str = "empty"):
    """The side panel with no claim to chart: the graph hidden (never an empty grey grid)
    and a sentence in its place."""
    text = message or _("No rumour yet. When mentions repeat a claim, its volume shows here.")
    return go.Figure(), HIDDEN, html.Div(text, className=f"empty rumours-empty {kind}"), None


def chosen_claim(current_value, rows: list[dict]):
    """The claim the side panel shows: the one chosen if it still exists, else the loudest
    (`rows` come loudest first), so the chart is useful before any click."""
    ids = [r["id"] for r in rows]
    if current_value in ids:
        return current_value
    return ids[0] if ids else None


@callback(
    Output("rumours-list", "children"), Output("rumours-claim", "options"),
    Output("rumours-post", "options"), Output("rumours-claim", "value"),
    Input("rumours-tick", "n_intervals"), Input("rumours-flash", "children"),
    State("rumours-claim", "value"),
)
def refresh(_n, _flash, claim_id):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        rows = rumour_data.claim_rows(session, now)
        posts = rumour_data.statement_options(session)
    options = [{"label": f"#{r['id']} · {r['mentions']} · {r['text'][:60]}", "value": r["id"]}
               for r in rows]
    chosen = chosen_claim(claim_id, rows)
    return render_list(rows), options, posts, no_update if chosen == claim_id else chosen


@callback(
    Output("rumours-volume", "figure"), Output("rumours-volume", "style"),
    Output("rumours-statement", "children"), Output("rumours-mentions", "children"),
    Input("rumours-claim", "value"), Input("rumours-tick", "n_intervals"),
    Input("rumours-flash", "children"),
)
def show_claim(claim_id, _n, _flash):
    if claim_id is None:
        return no_claim()
    ctx = current()
    with ctx.store.session() as session:
        detail = rumour_data.claim_detail(session, claim_id, ctx.clock())
    if detail is None:
        return no_claim(_("That claim no longer exists."), "notice-error")
    statement = (html.Div([_("Answered by "), html.A(detail["statement_url"],
                                                  href=detail["statement_url"],
                                                  target="_blank", rel="noopener noreferrer"),
                           _(" (linked by {user})").format(user=detail["linked_by"])],
                          className="muted")
                 if detail["statement_url"] else html.Div(_("Not answered yet."),
                                                          className="muted"))
    quotes = [ui.mention_quote(m) for m in detail["mentions"][:8]]
    return volume_figure(detail["volume"]), SHOWN, statement, html.Div(quotes)


@callback(
    Output("rumours-flash", "children"),
    Input("rumours-link", "n_clicks"),
    State("rumours-claim", "value"), State("rumours-post", "value"),
    prevent_initial_call=True,
)
def link(_clicks, claim_id, post_id):
    if claim_id is None or post_id is None:
        return ui.notice(_("Choose a claim and the statement that answers it."), "error")
    ctx = current()
    now = ctx.clock()
    try:
        require(current_user, EDITOR_ROLES, N_("link a statement"))
        with ctx.store.session() as session:
            claim = session.get(RumourClaimRow, claim_id)
            post = session.get(StatusPostRow, post_id)
            if claim is None or post is None:
                raise ActionError(_("That claim or statement no longer exists."))
            url = rumours.link_statement(session, claim, actor=current_user.username, now=now,
                                         status_url=ctx.brand.status_url, post=post)
            audit(session, actor=current_user.username, action="rumour.link",
                  target=f"rumour:{claim_id}", detail=url, now=now)
    except (ActionError, ValueError) as exc:
        return ui.notice(str(exc), "error")
    return ui.notice(_("Linked: replies to this claim now cite {url}").format(url=url), "info")
