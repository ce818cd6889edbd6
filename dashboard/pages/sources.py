"""Sources: is every feed of mentions and tickets alive? Last success, lag, last error,
quarantined payloads; a source stopped by a permanent error is an alert at the top. Below,
the pipeline's stages as the workers report them (`responders.stage_health`): a stage
failing, or that no worker has run lately, is an alert too. Text from the store (error
messages) is shown as text."""

from __future__ import annotations

import dash
from dash import Input, Output, dash_table, dcc, html

from dashboard import components as ui
from dashboard import source_data
from dashboard.context import current
from dashboard.i18n import N_, _

dash.register_page(__name__, path="/sources", name=N_("Sources"), order=6)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 5000
COLUMNS = [("source", N_("Source")), ("state", N_("State")),
           ("last_success", N_("Last success")), ("lag", N_("Lag")),
           ("collected", N_("Collected")), ("quarantined", N_("Quarantined")),
           ("last_error", N_("Last error"))]
STATE_WORDS = {"stopped": N_("stopped"), "failing": N_("failing"), "stale": N_("stale"),
               "ok": N_("ok")}
STATE_STYLES = {"stopped": ("#fee2e2", "#991b1b"), "failing": ("#ffedd5", "#9a3412"),
                "stale": ("#fef9c3", "#854d0e"), "ok": ("#dcfce7", "#166534")}
STAGE_COLUMNS = [("stage", N_("Stage")), ("state", N_("State")), ("last_ok", N_("Last success")),
                 ("failing", N_("Failing")), ("last_error", N_("Last error")),
                 ("worker", N_("Worker"))]
# The stages by what they do (their `worker --stages` names are in the Worker's log).
STAGE_NAMES = {"collect": N_("Collecting"), "score": N_("Scoring"), "detect": N_("Detection"),
               "page": N_("Paging"), "cell": N_("Cell paging"), "draft": N_("Drafting"),
               "remind": N_("Reminders"), "broadcast": N_("Broadcasts"),
               "publish": N_("Publishing")}
STAGE_WORDS = {"failing": N_("failing"), "stalled": N_("stalled"), "ok": N_("ok"),
               "never": N_("never run")}
STAGE_STYLES = {"failing": STATE_STYLES["stopped"], "stalled": STATE_STYLES["stale"],
                "ok": STATE_STYLES["ok"], "never": ("#f1f5f9", "#475569")}
TABLE_STYLE = {
    "sort_action": "none", "cell_selectable": False, "style_as_list_view": True,
    "style_table": {"overflowX": "auto"},
    "style_header": {"fontWeight": "700", "backgroundColor": "#f1f5f9",
                     "borderBottom": "2px solid #cbd5e1"},
    "style_cell": {"fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
                   "fontSize": "14px", "padding": "6px 8px", "textAlign": "left",
                   "whiteSpace": "nowrap", "color": "#0f172a"},
}


def _state_colours(words: dict, styles: dict) -> list[dict]:
    """Colour the State cells, which hold the translated word."""
    return [{"if": {"filter_query": f'{{state}} = "{_(words[state])}"', "column_id": "state"},
             "backgroundColor": bg, "color": fg, "fontWeight": "700"}
            for state, (bg, fg) in styles.items()]


def layout(**_query):
    return html.Div([
        dcc.Interval(id="sources-tick", interval=REFRESH_MS),
        html.H1(_("Sources")),
        html.Div(id="sources-alert"),
        html.P(_("Each source collects incrementally from where it stopped. A permanent error "
                 "(refused credentials, suspended access) stops that source only; fix it, then "
                 "run `crisiswatch sources check`."), className="muted"),
        dash_table.DataTable(
            id="sources-table",
            columns=[{"name": _(name), "id": cid} for cid, name in COLUMNS],
            data=[], **TABLE_STYLE,
            style_cell_conditional=[
                {"if": {"column_id": "last_error"}, "whiteSpace": "normal", "minWidth": "320px"},
                {"if": {"column_id": "collected"}, "textAlign": "right"},
                {"if": {"column_id": "quarantined"}, "textAlign": "right"},
            ],
            style_data_conditional=_state_colours(STATE_WORDS, STATE_STYLES),
        ),
        html.Div(id="sources-empty", className="muted"),
        html.H2(_("Pipeline stages")),
        html.P(_("As the workers report them. A stage that keeps failing pages the admins "
                 "([alerting] admins); one no worker has run for 10 minutes is stalled: "
                 "start `crisiswatch worker` or `crisiswatch run`."), className="muted"),
        dash_table.DataTable(
            id="stages-table",
            columns=[{"name": _(name), "id": cid} for cid, name in STAGE_COLUMNS],
            data=[], **TABLE_STYLE,
            style_cell_conditional=[
                {"if": {"column_id": "last_error"}, "whiteSpace": "normal", "minWidth": "320px"}],
            style_data_conditional=_state_colours(STAGE_WORDS, STAGE_STYLES),
        ),
    ])


def alert_banner(stopped: list[dict]):
    """The source-health alert: one line per source stopped by a permanent error."""
    if not stopped:
        return None
    return html.Div([
        html.Strong(_("{n} source(s) stopped: ").format(n=len(stopped))),
        *[html.Div(s["error"] if s["error"].startswith(f"{s['source']}:")
                   else f"{s['source']}: {s['error']}", className="sources-stopped")
          for s in stopped],
        html.Div(_("The other sources go on. Fix the credentials or access, then run "
                   "`crisiswatch sources check`."))
    ], className="notice notice-error", role="alert", id="sources-alert-box")


def rows_for_table(rows: list[dict], now) -> list[dict]:
    return [{
        "source": r["source"],
        "state": _(STATE_WORDS[r["state"]]) if r["state"] in STATE_WORDS else r["state"],
        "last_success": (f"{ui.zoned(r['last_success'])} ({ui.ago(r['last_success'], now)})"
                         if r["last_success"] else _("never")),
        "lag": "—" if r["lag_minutes"] is None else _("{m} min").format(m=r["lag_minutes"]),
        "collected": f"{r['collected']:,}", "quarantined": f"{r['quarantined']:,}",
        "last_error": (f"{ui.zoned(r['last_error_at'])}: {r['last_error']}"
                       if r["last_error"] else ""),
    } for r in rows]


def stage_rows_for_table(rows: list[dict], now) -> list[dict]:
    return [{
        "stage": _(STAGE_NAMES[r["stage"]]) if r["stage"] in STAGE_NAMES else r["stage"],
        "state": _(STAGE_WORDS[r["state"]]),
        "last_ok": (f"{ui.zoned(r['last_ok'])} ({ui.ago(r['last_ok'], now)})"
                    if r["last_ok"] else _("never")),
        "failing": (_("since {when}, {n} time(s) in a row").format(
            when=ui.zoned(r["failing_since"]), n=r["failures"]) if r["failing_since"] else ""),
        "last_error": r["last_error"], "worker": r["worker"],
    } for r in rows]


def stage_banner(stages: list[dict]):
    """One line per stage failing or stalled (none reported yet is not an alarm)."""
    bad = [s for s in stages if s["state"] in ("failing", "stalled")]
    if not bad:
        return None
    return html.Div([
        html.Strong(_("{n} pipeline stage(s) need attention: ").format(n=len(bad))),
        *[html.Div(f"{_(STAGE_NAMES.get(s['stage'], s['stage']))}: "
                   f"{_(STAGE_WORDS[s['state']])}"
                   + (f" ({s['last_error']})" if s["last_error"] else ""),
                   className="stages-bad") for s in bad],
    ], className="notice notice-error", role="alert", id="stages-alert-box")


@callback(
    Output("sources-table", "data"), Output("sources-alert", "children"),
    Output("sources-empty", "children"), Output("stages-table", "data"),
    Input("sources-tick", "n_intervals"),
)
def refresh(_n):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        rows = source_data.source_health(session, now)
        stopped = source_data.stopped_sources(session)
        stages = source_data.stage_health(session, now, ctx.stages)
    empty = "" if rows else _("No source has collected yet: configure [sources.*] and run "
                              "`crisiswatch collect` or `crisiswatch run`.")
    banners = [b for b in (alert_banner(stopped), stage_banner(stages)) if b is not None]
    return (rows_for_table(rows, now), banners or None, empty,
            stage_rows_for_table(stages, now))
