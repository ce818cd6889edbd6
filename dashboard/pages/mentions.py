"""Mentions: what people actually say, newest first, filterable. Text is shown as text."""

from __future__ import annotations

import dash
from dash import Input, Output, dash_table, dcc, html

from dashboard import components as ui
from dashboard import data
from dashboard.context import current
from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD

dash.register_page(__name__, path="/mentions", name="Mentions", order=1)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
LIMIT = 300
COLUMNS = [
    ("time", "Time"), ("source", "Source"), ("author", "Author"), ("followers", "Followers"),
    ("lang", "Lang"), ("label", "Sentiment"), ("rumour", "Rumour"),
    ("crisis_type", "Crisis type"), ("text", "Text"),
]
LABEL_STYLES = {"negative": ("#fee2e2", "#991b1b"), "neutral": ("#f1f5f9", "#334155"),
                "positive": ("#dcfce7", "#166534")}


def layout(**_):
    ctx = current()
    with ctx.store.session() as session:
        facets = data.mention_facets(session)
    return html.Div([
        dcc.Interval(id="mentions-tick", interval=REFRESH_MS),
        html.H1("Mentions"),
        html.Div([
            html.Div([html.Label("Search text"),
                      dcc.Input(id="mentions-search", type="search", debounce=True,
                                placeholder="words in the mention", className="input wide")],
                     className="filter grow"),
            html.Div([html.Label("Source"),
                      dcc.Dropdown(id="mentions-source", multi=True, placeholder="all",
                                   options=facets["sources"])], className="filter"),
            html.Div([html.Label("Language"),
                      dcc.Dropdown(id="mentions-lang", multi=True, placeholder="all",
                                   options=facets["langs"])], className="filter"),
            html.Div([html.Label("Sentiment"),
                      dcc.Dropdown(id="mentions-label", multi=True, placeholder="all",
                                   options=["negative", "neutral", "positive"])],
                     className="filter"),
            html.Div([html.Label("Rumours"),
                      dcc.Checklist(id="mentions-rumour", options=[
                          {"label": " rumours only", "value": "yes"}], value=[])],
                     className="filter"),
        ], className="filters panel"),
        html.Div(id="mentions-count", className="muted"),
        dash_table.DataTable(
            id="mentions-table",
            columns=[{"name": name, "id": cid} for cid, name in COLUMNS],
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
            style_data_conditional=[
                *({"if": {"filter_query": f'{{label}} = "{label}"', "column_id": "label"},
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
        "time": m["created_at"].strftime("%H:%M:%S"), "source": m["source"],
        "author": "@" + m["author"].lstrip("@"), "followers": f"{m['followers']:,}",
        "lang": m["lang"] or "", "label": m["label"] or "pending",
        "rumour": m["rumour"] if m["rumour"] is not None else "",
        "crisis_type": (m["crisis_type"] or "").replace("_", " "), "text": m["text"],
    } for m in rows]
    count = (f"{len(rows)} mentions shown, newest first"
             + (f" (the {LIMIT} newest that match)" if len(rows) == LIMIT else ""))
    return table, count
