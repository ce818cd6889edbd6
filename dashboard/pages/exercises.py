"""Exercises: the facilitator starts a team exercise (a drill scenario or a recorded past
crisis, at a chosen speed), adds injects while the team plays in the normal screens (a
journalist's question, an ETA that slips), finishes it, and reads the scorecard.

`/exercises` is the facilitator's page: the start form or the running exercise with its
injects, then the finished exercises and their progress. `/exercises?id=N` is one
exercise's scorecard (times, cadence kept, warnings overridden) with its timeline chart.
Text from the store (names, questions, timeline entries) is rendered as text."""

from __future__ import annotations

from datetime import datetime

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from collectors.drill_script import SCENARIOS
from dashboard import components as ui
from dashboard import exercise_actions as actions
from dashboard import exercise_data
from dashboard.actions import ActionError
from dashboard.context import current
from dashboard.exercise_figures import progress_figure, timeline_figure
from dashboard.exercise_scorecard import render_history, render_scorecard
from dashboard.i18n import N_, _
from responders.exercises import SPEEDS

dash.register_page(__name__, path="/exercises", name=N_("Exercises"), order=8.5,
                   nav_group="prepare")
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
SCENARIO_LABELS = {"outage": N_("Outage: login and sync down"),
                   "data-leak": N_("Data leak: customer data exposed")}


def layout(id=None, **_kw):  # `id`: the query string's, /exercises?id=3
    if id is not None:
        return scorecard_layout(id)
    return html.Div([
        dcc.Interval(id="exercises-tick", interval=REFRESH_MS),
        html.H1(_("Exercises")),
        html.P(_("Rehearse with the whole team: the exercise plays a scenario or a recorded "
                 "past crisis into the normal screens, at the speed you choose. Nothing "
                 "leaves the machine while it runs: every message goes to the exercise log. "
                 "At the end, the scorecard."), className="muted"),
        html.Div(id="exercises-start-card", className="card", children=start_form()),
        html.Div(id="exercises-play-card", className="card exercise-play",
                 style={"display": "none"}, children=play_panel()),
        # Outside the play card, which hides once the exercise is finished.
        html.Div(id="exercises-finish-flash"),
        html.H2(_("Progress across exercises")),
        dcc.Graph(id="exercises-progress", config={"displayModeBar": False}),
        html.Div(id="exercises-history"),
    ])


def start_form():
    return [
        html.H2(_("Start an exercise")),
        html.Label(_("Name"), htmlFor="exercises-name"),
        dcc.Input(id="exercises-name", type="text", maxLength=128, style={"width": "100%"},
                  placeholder=_("e.g. Q3 outage drill, support and comms")),
        html.Label(_("What to play")),
        dcc.RadioItems(id="exercises-source", inline=True, value="scenario", options=[
            {"label": _("A drill scenario"), "value": "scenario"},
            {"label": _("A recorded past crisis"), "value": "recording"}]),
        html.Div(id="exercises-scenario-box", children=[
            dcc.RadioItems(id="exercises-scenario", value="outage", options=[
                {"label": _(SCENARIO_LABELS.get(s, s)), "value": s} for s in SCENARIOS]),
        ]),
        html.Div(id="exercises-recording-box", style={"display": "none"}, children=[
            dcc.Upload(id="exercises-upload", multiple=False, className="upload",
                       children=html.Div([_("Drop a recording here or "), html.A(_("choose a "
                                          "file")), _(" (.jsonl or .csv, the format of "
                                                      "`crisiswatch replay`).")])),
            html.Div(id="exercises-upload-report"),
        ]),
        html.Label(_("Speed"), htmlFor="exercises-speed"),
        dcc.RadioItems(id="exercises-speed", inline=True, value=1, options=[
            {"label": _("real time") if s == 1 else _("{n}× faster").format(n=s), "value": s}
            for s in SPEEDS]),
        html.P(_("The speed compresses what the scenario says and does; the team's clocks "
                 "(acknowledge, declare, update cadences) run in real time."),
               className="muted small"),
        html.Button(_("Start the exercise"), id="exercises-start", className="btn"),
        html.Div(id="exercises-start-flash"),
    ]


def play_panel():
    return [
        html.Div(id="exercises-status"),
        html.H3(_("Inject: a journalist's question")),
        html.Div(className="inject-row", children=[
            dcc.Input(id="exercises-q-author", type="text", maxLength=128,
                      placeholder=_("who asks (e.g. jdupont_lemonde)"),
                      style={"width": "360px"}),
            dcc.Input(id="exercises-q-followers", type="number", min=0, value=50000,
                      placeholder=_("followers"), style={"width": "180px"}),
            html.Span(_("followers"), className="muted"),
        ]),
        dcc.Textarea(id="exercises-q-text", style={"width": "100%", "height": "70px"},
                     placeholder=_("@brand Is customer data exposed? When will you say "
                                   "more?")),
        html.Button(_("Send the question"), id="exercises-q-send", className="btn"),
        html.H3(_("Inject: the ETA slips")),
        html.Div(className="inject-row", children=[
            dcc.Input(id="exercises-eta-minutes", type="number", min=1, value=45,
                      style={"width": "140px"}),
            html.Span(_("minutes later than announced"), className="muted"),
            html.Button(_("Slip the ETA"), id="exercises-eta-send", className="btn"),
        ]),
        html.Div(id="exercises-inject-flash"),
        html.Div(id="exercises-injects"),
        html.H3(_("End")),
        html.Button(_("Finish and score"), id="exercises-finish", className="btn btn-danger"),
    ]


def scorecard_layout(exercise_id):
    ctx = current()
    try:
        key = int(exercise_id)
    except (TypeError, ValueError):
        key = None
    with ctx.store.session() as session:
        ex = exercise_data.exercise(session, key, ctx.clock()) if key is not None else None
    if ex is None:
        return html.Div([html.H1(_("Exercise not found")),
                         dcc.Link(_("All exercises"), href="/exercises")])
    card = ex["scorecard"]
    origin = ui_origin(card, ex)
    return html.Div([
        html.Div(dcc.Link(_("← All exercises"), href="/exercises"), className="small"),
        html.H1([html.Span(_("EXERCISE"), className="tag tag-exercise"), " ",
                 _("Scorecard · {name}").format(name=ex["name"])], id="exercises-scorecard-h"),
        render_scorecard(ex),
        html.H2(_("Timeline")),
        dcc.Graph(id="exercises-timeline", config={"displayModeBar": False},
                  figure=timeline_figure(ex["timeline"], origin,
                                         card["first_public_statement_target_s"])),
    ], id="exercises-scorecard")


def ui_origin(card: dict, ex: dict) -> datetime:
    """What the chart counts minutes from: the scorecard's origin."""
    return datetime.fromisoformat(card["origin_at"]) if card.get("origin_at") else \
        ex["started_at"]


@callback(
    Output("exercises-scenario-box", "style"), Output("exercises-recording-box", "style"),
    Input("exercises-source", "value"),
)
def choose_source(source):
    hidden, shown = {"display": "none"}, {}
    return (shown, hidden) if source == "scenario" else (hidden, shown)


@callback(
    Output("exercises-upload-report", "children"),
    Input("exercises-upload", "contents"), State("exercises-upload", "filename"),
    prevent_initial_call=True,
)
def read_upload(contents, filename):
    try:
        good, bad = actions.parse_recording(contents, filename)
    except ActionError as exc:
        return ui.notice(str(exc), "error")
    text = _("{name}: {good} posts to play").format(name=filename, good=len(good))
    if bad:
        text += " " + _("({bad} unreadable, left out)").format(bad=bad)
    return ui.notice(text, "info" if good else "error")


@callback(
    Output("exercises-start-flash", "children"),
    Input("exercises-start", "n_clicks"),
    State("exercises-name", "value"), State("exercises-source", "value"),
    State("exercises-scenario", "value"), State("exercises-speed", "value"),
    State("exercises-upload", "contents"), State("exercises-upload", "filename"),
    prevent_initial_call=True,
)
def start(_n, name, source, scenario, speed, contents, filename):
    ctx = current()
    user = current_user if current_user.is_authenticated else None
    try:
        if source == "recording":
            good, _bad = actions.parse_recording(contents, filename)
            ex_id = actions.start(ctx, user, name=name or "", speed=int(speed),
                                  recording=(good, filename))
        else:
            ex_id = actions.start(ctx, user, name=name or "", speed=int(speed),
                                  scenario=scenario)
    except ActionError as exc:
        return ui.notice(str(exc), "error")
    return ui.notice(_("Exercise #{id} started: the team plays on the usual pages.").format(
        id=ex_id), "success")


@callback(
    Output("exercises-inject-flash", "children"),
    Input("exercises-q-send", "n_clicks"), Input("exercises-eta-send", "n_clicks"),
    State("exercises-q-author", "value"), State("exercises-q-followers", "value"),
    State("exercises-q-text", "value"), State("exercises-eta-minutes", "value"),
    prevent_initial_call=True,
)
def inject(_q, _eta, author, followers, text, minutes):
    ctx = current()
    user = current_user if current_user.is_authenticated else None
    with ctx.store.session() as session:
        running = exercise_data.running(session)
    if running is None:
        return ui.notice(_("No exercise is running."), "error")
    try:
        if dash.ctx.triggered_id == "exercises-q-send":
            actions.inject_question(ctx, user, running["id"], text=text or "",
                                    author=author or "", followers=int(followers or 0))
            return ui.notice(_("The question has arrived in the mentions."), "success")
        actions.inject_eta_slip(ctx, user, running["id"], minutes=int(minutes or 0))
        return ui.notice(_("The ETA has slipped by {n} min.").format(n=int(minutes)),
                         "success")
    except ActionError as exc:
        return ui.notice(str(exc), "error")


@callback(
    Output("exercises-finish-flash", "children"),
    Input("exercises-finish", "n_clicks"),
    prevent_initial_call=True,
)
def finish(_n):
    ctx = current()
    user = current_user if current_user.is_authenticated else None
    with ctx.store.session() as session:
        running = exercise_data.running(session)
    if running is None:
        raise PreventUpdate
    try:
        actions.finish(ctx, user, running["id"])
    except ActionError as exc:
        return ui.notice(str(exc), "error")
    return html.Div([_("Exercise finished. "),
                     dcc.Link(_("Read the scorecard"), href=f"/exercises?id={running['id']}",
                              id="exercises-scorecard-link")], className="notice notice-success")


@callback(
    Output("exercises-start-card", "style"), Output("exercises-play-card", "style"),
    Output("exercises-status", "children"), Output("exercises-injects", "children"),
    Output("exercises-history", "children"), Output("exercises-progress", "figure"),
    Input("exercises-tick", "n_intervals"), Input("exercises-start-flash", "children"),
    Input("exercises-inject-flash", "children"), Input("exercises-finish-flash", "children"),
)
def refresh(*_inputs):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        running = exercise_data.running(session)
        done = exercise_data.finished(session)
    history = render_history(list(reversed(done)))
    progress = progress_figure(done)
    if running is None:
        return {}, {"display": "none"}, None, None, history, progress
    status = html.Div([
        html.Span(_("EXERCISE"), className="tag tag-exercise"), " ",
        html.Strong(running["name"]), " · ",
        html.Span(_("started {time} ({ago}) by {who}").format(
            time=ui.zoned(running["started_at"]), ago=ui.ago(running["started_at"], now),
            who=running["started_by"])), " · ",
        html.Span(_("speed ×{n}").format(n=running["speed"])), " · ",
        dcc.Link(_("live scorecard"), href=f"/exercises?id={running['id']}"),
    ], id="exercises-running")
    injected = html.Ul([html.Li(f"{ui.hhmm(i['at'])} · " + (
        _("question from {who}: {text}").format(who=i["detail"].get("author"),
                                                text=i["detail"].get("text"))
        if i["kind"] == "question" else
        _("ETA slipped by {n} min").format(n=i["detail"].get("minutes"))))
        for i in running["injects"]]) if running["injects"] else None
    return {"display": "none"}, {}, status, injected, history, progress
