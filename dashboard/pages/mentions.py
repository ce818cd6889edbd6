"""Mentions: what people actually say, newest first, filterable, fifty to a page. Text is
shown as text; rumour scores as words (the number on hover); each row links to the original
post when its URL is known (`dashboard.post_links`), in a new tab. During an incident an
editor can ask for a reply to any post, one from before the onset included (the pipeline
drafts replies only to posts since the onset): it joins the approvals queue."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import actions, data, i18n
from dashboard import components as ui
from dashboard.context import current
from dashboard.i18n import N_, _
from responders.incidents import active_incident
from signals.crowd import own_author_names

dash.register_page(__name__, path="/mentions", name=N_("Mentions"), order=1)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
LIMIT = 300
PAGE_SIZE = 50
COLUMNS = [
    ("time", N_("Time ({zone})")), ("source", N_("Source")), ("author", N_("Author")),
    ("followers", N_("Followers")), ("lang", N_("Lang")), ("label", N_("Sentiment")),
    ("rumour", N_("Rumour")), ("crisis_type", N_("Crisis type")), ("text", N_("Text")),
    ("post", N_("Post")),
]
SENTIMENTS = {"negative": N_("negative"), "neutral": N_("neutral"),
              "positive": N_("positive"), None: N_("pending")}
FILTERS = ("mentions-search", "mentions-source", "mentions-lang", "mentions-label",
           "mentions-rumour")


def layout(**_query):
    with current().store.session() as session:
        facets = data.mention_facets(session)
    return html.Div([
        dcc.Interval(id="mentions-tick", interval=REFRESH_MS),
        html.H1(_("Mentions")),
        html.Div([
            html.Div([html.Label(_("Search text")),
                      dcc.Input(id="mentions-search", type="search", debounce=True,
                                placeholder=_("words in the mention"),
                                className="input wide")],
                     className="filter grow"),
            html.Div([html.Label(_("Source")),
                      dcc.Dropdown(id="mentions-source", multi=True, placeholder=_("all"),
                                   options=facets["sources"])], className="filter"),
            html.Div([html.Label(_("Language")),
                      dcc.Dropdown(id="mentions-lang", multi=True, placeholder=_("all"),
                                   options=facets["langs"])], className="filter"),
            html.Div([html.Label(_("Sentiment")),
                      dcc.Dropdown(id="mentions-label", multi=True, placeholder=_("all"),
                                   options=[{"label": _(SENTIMENTS[v]), "value": v}
                                            for v in ("negative", "neutral", "positive")])],
                     className="filter"),
            html.Div([html.Label(_("Rumours")),
                      dcc.Checklist(id="mentions-rumour", options=[
                          {"label": _(" rumours only"), "value": "yes"}], value=[])],
                     className="filter"),
        ], className="filters panel"),
        html.Div(id="mentions-notice"),
        html.Div(id="mentions-count", className="muted"),
        dcc.Store(id="mentions-page", data=0),
        dcc.Store(id="mentions-drawn"),
        html.Div(id="mentions-table", className="mentions-table-wrap"),
        html.Div([
            html.Button(_("← Newer"), id="mentions-newer", className="btn", disabled=True),
            html.Span(id="mentions-rows", className="muted"),
            html.Button(_("Older →"), id="mentions-older", className="btn", disabled=True),
        ], className="buttons pager"),
    ])


def _cell(column: str, children, class_name: str = "", title: str | None = None):
    # data-dash-column: the same hook as a DataTable cell, for tests reading a column.
    return html.Td(children, className=f"c-{column} {class_name}".strip(), title=title,
                   **{"data-dash-column": column})


def render_row(m: dict, can_reply: bool = False):
    """One mention as a table row: text as text, the rumour score as a word (number on
    hover), a link to the original post when one is known, and with `can_reply` a button
    asking for a reply (not on the brand's own posts: `m["own"]`)."""
    label = m["label"]
    band = ui.rumour_band(m["rumour"])
    return html.Tr([
        _cell("time", i18n.hhmm(m["created_at"], seconds=True), title=ui.zoned(m["created_at"])),
        _cell("source", ui.channel_label(m["source"])),
        _cell("author", "@" + m["author"].lstrip("@")),
        _cell("followers", f"{m['followers']:,}", "num"),
        _cell("lang", m["lang"] or ""),
        _cell("label", _(SENTIMENTS.get(label, label or "pending")),
              f"sent-{label or 'pending'}"),
        _cell("rumour", _(ui.RUMOUR_WORDS[band]) if band else "", f"rumour-{band or 'none'}",
              ui.rumour_hover(m["rumour"]) if band else None),
        _cell("crisis_type", ui.crisis_type_label(m["crisis_type"]) if m["crisis_type"]
              else ""),
        _cell("text", m["text"], "quote-text"),
        _cell("post", ui.post_link(m, _("open ↗")) or html.Span("—", className="muted",
                                                              title=_("no link known"))),
        *([_cell("reply", "" if m.get("own") else html.Button(
            _("Draft a reply"), id={"type": "mentions-reply", "mention": m["id"]},
            className="btn btn-small"))] if can_reply else []),
    ], id=f"mentions-row-{m['id']}")


def render_table(rows: list[dict], zone: str, can_reply: bool = False):
    columns = COLUMNS + ([("reply", N_("Reply"))] if can_reply else [])
    head = html.Tr([html.Th(_(name).format(zone=zone), className=f"c-{cid}")
                    for cid, name in columns])
    return html.Table([html.Thead(head),
                       html.Tbody([render_row(m, can_reply) for m in rows])],
                      className="table mentions")


def replies_possible(session) -> bool:
    """Whether this user may ask for replies now: an editor or more, during an incident."""
    role = current_user.role if current_user.is_authenticated else None
    return role in actions.EDITOR_ROLES and active_incident(session) is not None


def page_after(trigger, page: int | None, total: int) -> int:
    """The page to show: a pager click moves one page, a filter change goes back to the
    newest, a tick stays; always within the rows there are."""
    page = page or 0
    if trigger == "mentions-older":
        page += 1
    elif trigger == "mentions-newer":
        page -= 1
    elif trigger in FILTERS:
        page = 0
    last = max(0, (total - 1) // PAGE_SIZE)
    return min(max(page, 0), last)


@callback(
    Output("mentions-table", "children"), Output("mentions-drawn", "data"),
    Output("mentions-count", "children"), Output("mentions-page", "data"),
    Output("mentions-rows", "children"), Output("mentions-newer", "disabled"),
    Output("mentions-older", "disabled"),
    Input("mentions-tick", "n_intervals"), Input("mentions-search", "value"),
    Input("mentions-source", "value"), Input("mentions-lang", "value"),
    Input("mentions-label", "value"), Input("mentions-rumour", "value"),
    Input("mentions-newer", "n_clicks"), Input("mentions-older", "n_clicks"),
    State("mentions-page", "data"), State("mentions-drawn", "data"),
)
def refresh(_n, search, sources, langs, labels, rumour, _newer, _older, page, drawn):
    ctx = current()
    with ctx.store.session() as session:
        rows = data.mentions(session, sources=sources, langs=langs, labels=labels,
                             rumour_only=bool(rumour), search=search, limit=LIMIT)
        can_reply = replies_possible(session)
    page = page_after(dash.ctx.triggered_id, page, len(rows))
    shown = rows[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    if can_reply:
        own = set(own_author_names(ctx.brand.own_accounts))
        shown = [{**m, "own": m["author"].lower() in own} for m in shown]
    table = render_table(shown, i18n.zone_abbreviation(ctx.clock()), can_reply)
    count = (_("{n} mentions shown, newest first").format(n=len(rows))
             + (_(" (the {limit} newest that match)").format(limit=LIMIT)
                if len(rows) == LIMIT else ""))
    where = _("rows {first}–{last}").format(first=page * PAGE_SIZE + 1 if shown else 0,
                                           last=page * PAGE_SIZE + len(shown))
    return (*ui.redraw_if_changed(table, drawn), count, page, where, page == 0,
            (page + 1) * PAGE_SIZE >= len(rows))


@callback(
    Output("mentions-notice", "children"),
    Input({"type": "mentions-reply", "mention": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask_for_reply(_clicks):
    trigger = dash.ctx.triggered_id
    if not trigger or not any(t["value"] for t in dash.ctx.triggered):
        raise PreventUpdate  # a redraw, not a click
    try:
        draft_id = actions.draft_reply(current(), current_user, trigger["mention"])
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error")
    return ui.notice(_("Reply drafted (#{id}): it waits in Approvals.").format(id=draft_id),
                     "ok")
