"""Mentions: what people actually say, newest first, filterable. Text is shown as text."""

from __future__ import annotations

import dash
from dash import Input, Output, dash_table, dcc, html

from dashboard import components as ui
from dashboard import data, i18n
from dashboard.context import current
from dashboard.i18n import N_, _
from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD

dash.register_page(__name__, path="/mentions", name=N_("Mentions"), order=1)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
LIMIT = 300
COLUMNS = [
    ("time", N_("Time ({zone})")), ("source", N_("Source")), ("author", N_("Author")),
    ("followers", N_("Followers")), ("lang", N_("Lang")), ("label", N_("Sentiment")),
    ("rumour", N_("Rumour")), ("crisis_type", N_("Crisis type")), ("text", N_("Text")),
]
SENTIMENTS = {"negative": N_("negative"), "neutral": N_("neutral"),
              "positive": N_("positive"), None: N_("pending")}
LABEL_STYLES = {"negative": ("#fee2e2", "#991b1b"), "neutral": ("#f1f5f9", "#334155"),
                "positive": ("#dcfce7", "#166534")}


def layout(**_query):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        facets = data.mention_facets(session)
    zone = i18n.zone_abbreviation(now)
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
        html.Div(id="mentions-count", className="muted"),
        dash_table.DataTable(
            id="mentions-table",
            columns=[{"name": _(name).format(zone=zone), "id": cid} for cid, name in COLUMNS],
            data=[], page_size=50, sort_action="none", cell_selectable=False,
            style_as_list_view=True,
            style_table={"overflowX": "auto"},
            style_header={"fontWeight": "700", "backgroundColor": "#f1f5f9",
                          "borderBottom": "2px solid #cbd5e1"},
            style_cell={"fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', "fontSize": "14px", "padding": "6px 8px",
                        "textAlign": "left", "whiteSpace": "nowrap", "color": "#0f172a"},
            style_cell_conditional=[
                {"if": {"column_id": "text"}, "whiteSpace": "normal", "minWidth": "380px",
                 "width": "50%"},
                {"if": {"column_id": "followers"}, "textAlign": "right"},
                {"if": {"column_id": "rumour"}, "textAlign": "right"},
            ],
            style_data_conditional=[  # the cells hold the translated label
                *({"if": {"filter_query": f'{{label}} = "{_(SENTIMENTS[label])}"',
                          "column_id": "label"},
                   "backgroundColor": bg, "color": fg, "fontWeight": "700"}
                  for label, (bg, fg) in LABEL_STYLES.items()),
                {"if": {"filter_query": f"{{rumour}} >= {RUMOUR_THRESHOLD}", "column_id": "rumour"},
                 "backgroundColor": "#ede9fe", "color": "#5b21b6", "fontWeight": "700"},
            ],
        ),
    ])


@callback(
    Output("mentions-table", "data"), Output("mentions-count", "children"),
    Input("mentions-tick", "n_intervals"), Input("mentions-search", "value"),
    Input("mentions-source", "value"), Input("mentions-lang", "value"),
    Input("mentions-label", "value"), Input("mentions-rumour", "value"),
)
def refresh(_n, search, sources, langs, labels, rumour):
    ctx = current()
    with ctx.store.session() as session:
        rows = data.mentions(session, sources=sources, langs=langs, labels=labels,
                             rumour_only=bool(rumour), search=search, limit=LIMIT)
    table = [{
        "time": i18n.hhmm(m["created_at"], seconds=True), "source": m["source"],
        "author": "@" + m["author"].lstrip("@"), "followers": f"{m['followers']:,}",
        "lang": m["lang"] or "", "label": _(SENTIMENTS.get(m["label"], m["label"])),
        "rumour": m["rumour"] if m["rumour"] is not None else "",
        "crisis_type": ui.crisis_type_label(m["crisis_type"]) if m["crisis_type"] else "",
        "text": m["text"],
    } for m in rows]
    count = (_("{n} mentions shown, newest first").format(n=len(rows))
             + (_(" (the {limit} newest that match)").format(limit=LIMIT)
                if len(rows) == LIMIT else ""))
    return table, count
