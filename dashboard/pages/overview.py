"""Overview: is something happening, how bad, and what is owed to whom. Read in seconds."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import dash
from dash import ALL, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import actions, data, figures, status_admin_data
from dashboard import components as ui
from dashboard.context import current
from dashboard.i18n import N_, _
from responders.incidents import CRISIS_TYPES, SEVERITIES

AFFECTED_STATES = (("degraded", N_("Degraded performance")),
                   ("partial_outage", N_("Partial outage")), ("major_outage", N_("Major outage")))

dash.register_page(__name__, path="/", name=N_("Overview"), order=0)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
CHART_SPAN = timedelta(hours=3)  # the longest the chart looks back
# While something is under way the chart opens this long before it began (or an hour back,
# whichever is earlier): enough calm to see the break, the crisis the widest part.
CHART_LEAD = timedelta(minutes=40)
CHART_MIN_SPAN = timedelta(hours=1)
ALERT_TO_INCIDENT_SEVERITY = {"warning": "minor", "major": "major", "critical": "critical"}


def layout(**_query):
    return html.Div([
        dcc.Interval(id="overview-tick", interval=REFRESH_MS),
        dcc.Store(id="overview-version", data=0),
        dcc.Store(id="overview-declare-alert"),
        dcc.Store(id="overview-live-drawn"),
        html.Div(id="overview-kpis", className="kpis"),
        html.Div([
            html.Section([dcc.Graph(id="overview-activity", config={"displayModeBar": False},
                                    figure=figures.empty_figure(_("Loading…")))],
                         className="panel chart"),
            html.Aside([
                html.Div(id="overview-flash"),
                _declare_form(_components()),
                html.Div(id="overview-live"),
            ], className="side"),
        ], className="overview-grid"),
    ])


def _components() -> list[dict]:
    ctx = current()
    with ctx.store.session() as session:
        return status_admin_data.components(session, ctx.clock())


def _declare_form(components: list[dict] | None = None):
    options = [{"label": ui.crisis_type_label(t), "value": t} for t in CRISIS_TYPES]
    comps = components or []
    return html.Div([
        html.H2(_("Declare an incident")),
        html.Label(_("Title (what customers notice)"), htmlFor="overview-declare-title"),
        dcc.Input(id="overview-declare-title", type="text", className="input wide",
                  placeholder=_("e.g. Login and file sync outage")),
        html.Label(_("Title in French (titre en français)"),
                   htmlFor="overview-declare-title-fr"),
        dcc.Input(id="overview-declare-title-fr", type="text", className="input wide",
                  placeholder="ex. Panne de connexion et de synchronisation"),
        html.Div([
            html.Label(_("Affected on the status page")),
            dcc.Checklist(id="overview-declare-components",
                          options=[{"label": c["name"], "value": c["key"]} for c in comps],
                          value=[], className="checklist", inline=True),
            dcc.Dropdown(id="overview-declare-component-state", clearable=False,
                         options=[{"label": _(label), "value": v}
                                  for v, label in AFFECTED_STATES],
                         value="partial_outage"),
        ], style=None if comps else {"display": "none"}),
        html.Div([
            html.Div([html.Label(_("Crisis type")),
                      dcc.Dropdown(id="overview-declare-type", options=options,
                                   value="outage", clearable=False)], className="half"),
            html.Div([html.Label(_("Severity")),
                      dcc.Dropdown(id="overview-declare-severity", clearable=False,
                                   options=[{"label": ui.severity_label(s), "value": s}
                                            for s in SEVERITIES],
                                   value="major")], className="half"),
        ], className="row"),
        html.Label(_("Impact so far (optional)"), htmlFor="overview-declare-impact"),
        dcc.Input(id="overview-declare-impact", type="text", className="input wide",
                  placeholder=_("who cannot do what, with a figure if known")),
        html.Label(_("What we are doing (optional)"), htmlFor="overview-declare-actions"),
        dcc.Input(id="overview-declare-actions", type="text", className="input wide",
                  placeholder=_("e.g. our engineers are investigating the login service")),
        # Shown when an incident is already active: declaring a second one takes a tick.
        html.Div(dcc.Checklist(
            id="overview-declare-second", value=[], className="checklist",
            options=[{"label": _("Yes, this is a separate incident: declare a second one"),
                      "value": "yes"}]),
            id="overview-declare-second-wrap", style={"display": "none"}),
        html.Div([
            html.Button(_("Declare incident"), id="overview-declare-submit",
                        className="btn danger"),
            html.Button(_("Cancel"), id="overview-declare-cancel", className="btn ghost"),
        ], className="buttons"),
        html.Div(id="overview-declare-error"),
    ], id="overview-declare", className="panel declare", style={"display": "none"})


# --- rendering ---------------------------------------------------------------------------

def _ratio_class(value, normal, floor):
    if value is None or normal is None:
        return ""
    if value >= max(3 * normal, floor):
        return " hot"
    if value >= max(1.5 * normal, floor / 2):
        return " warm"
    return ""


def _kpi(label, value, sub, extra_class="", id_=None):
    return html.Div([html.Div(label, className="kpi-label"),
                     html.Div(value, className="kpi-value"),
                     html.Div(sub, className="kpi-sub")], className="kpi" + extra_class,
                    id=id_)


def render_kpis(k: dict):
    share = k["negative_share"]
    share_normal = k["negative_share_normal"]
    return [
        _kpi(_("Mentions · last 15 min"), f"{k['mentions']:,}",
             _("normally ~{n}").format(n=f"{k['mentions_normal']:.0f}"),
             _ratio_class(k["mentions"], k["mentions_normal"], 20), "overview-kpi-mentions"),
        _kpi(_("Negative share · 15 min"), "—" if share is None else f"{share:.0%}",
             _("normally {n}").format(n="—" if share_normal is None
                                      else f"{share_normal:.0%}"),
             "" if share is None else _ratio_class(share, share_normal or 0.0, 0.3),
             "overview-kpi-negative"),
        _kpi(_("Open alerts"), str(k["alerts_open"]),
             _("{n} not acknowledged").format(n=k["alerts_unacknowledged"])
             if k["alerts_unacknowledged"]
             else _("all acknowledged") if k["alerts_open"] else _("nothing unusual"),
             " hot" if k["alerts_unacknowledged"] else (" warm" if k["alerts_open"] else ""),
             "overview-kpi-alerts"),
        _kpi(_("Support tickets · 15 min"), f"{k['tickets']:,}",
             _("normally ~{n}").format(n=f"{k['tickets_normal']:.0f}"),
             _ratio_class(k["tickets"], k["tickets_normal"], 10), "overview-kpi-tickets"),
    ]


# Count series are tested over the detector's 5-minute window; say so, or "102 mentions"
# reads as a rate next to the 15-minute figures above.
# What a count signal counted. No window in the words: the live detector fires on whichever
# of its windows (5 minutes to a day) broke from normal, and the observed and normal figures
# are that window's totals.
SIGNAL_WORDS = {
    "mentions": (N_("mentions"), "{:.0f}"),
    "negative": (N_("negative mentions"), "{:.0f}"),
    "negative_share": (N_("negative"), "{:.0%}"),
    "rumours": (N_("rumour posts"), "{:.0f}"),
    "tickets": (N_("support tickets"), "{:.0f}"),
    "reach": (N_("negative posts, weighted by audience"), "{:.0f}"),
}


def _signal_line(s: dict, terms: list[str]) -> str:
    if s["kind"] == "terms":
        return _("new words trending: {terms}").format(terms=", ".join(terms)) if terms \
            else _("new words trending")
    unit, fmt = SIGNAL_WORDS.get(s["kind"], (s["kind"], "{:.1f}"))
    return _("{observed} {unit} (normal {expected})").format(
        observed=fmt.format(s["observed"]), unit=_(unit), expected=fmt.format(s["expected"]))


def render_alerts(alerts: list[dict], now, can_edit: bool):
    if not alerts:
        return html.Div(_("No open alerts. Everything looks normal."), className="empty ok")
    cards = []
    for a in alerts:
        status = _("acknowledged by {user}").format(user=a["acknowledged_by"]) \
            if a["acknowledged_by"] else _("not acknowledged")
        buttons = []
        if can_edit and a["status"] == "open":
            buttons.append(html.Button(_("Acknowledge"), className="btn",
                                       id={"type": "overview-ack", "alert": a["id"]}))
        if a["incident_id"] is None:
            if can_edit:
                buttons.append(html.Button(_("Declare incident…"), className="btn danger",
                                           id={"type": "overview-declare-open",
                                               "alert": a["id"]}))
        else:
            buttons.append(dcc.Link(_("Part of incident #{id} →").format(id=a["incident_id"]),
                                    href="/incident", className="btn ghost"))
        cards.append(html.Div([
            html.Div([ui.severity_badge(a["severity"]),
                      html.Span(a["title"], className="alert-title")], className="alert-head"),
            html.Div([_("Opened {time} ({ago}) · {status}").format(
                time=ui.zoned(a["opened_at"]), ago=ui.ago(a["opened_at"], now), status=status),
                *([" · ", html.Span(_("rising: {type}").format(
                    type=ui.crisis_type_label(a["crisis_type"])), className="alert-rising",
                    title=_("The kind of trouble that rose most against this brand's usual "
                            "mix of the past week"))] if a.get("crisis_type") else [])],
                className="alert-meta"),
            html.Ul([html.Li(_signal_line(s, a.get("terms", []))) for s in a["signals"]],
                    className="signals"),
            html.Div([html.Div(_("What people say (most read first)"), className="small-h"),
                      *[ui.mention_quote(m) for m in a["mentions"][:3]]])
            if a["mentions"] else None,
            html.Div(buttons, className="buttons"),
        ], className=f"alert alert-{a['severity']} alert-{a['status']}",
            id=f"overview-alert-{a['id']}"))
    return cards


def render_incident(inc: dict | None, now):
    if inc is None:
        return html.Div(_("No incident declared."), className="empty")
    return html.Div([
        html.Div([html.Span(f"#{inc['id']} ", className="muted"),
                  html.Span(inc["title"], className="inc-title")]),
        html.Div([ui.phase_badge(inc["phase"]), ui.severity_badge(inc["severity"]),
                  html.Span(_("declared {time} by {user}").format(
                      time=ui.zoned(inc["declared_at"]), user=inc["declared_by"]),
                      className="muted")], className="inc-badges"),
        html.Div(_("Next update owed to each audience"), className="small-h"),
        ui.clocks_view(inc["clocks"], "overview"),
        html.Div([
            dcc.Link(_("{n} draft(s) waiting for approval →").format(n=inc["drafts_waiting"]),
                     href="/approvals", className="btn" + (" primary" if inc["drafts_waiting"]
                                                         else " ghost")),
            dcc.Link(_("Facts and phase →"), href="/incident", className="btn ghost"),
        ], className="buttons"),
    ], className="panel incident-card" + ("" if inc["active"] else " closed"))


# --- callbacks ---------------------------------------------------------------------------

def chart_start(crisis_start, now):
    """Where the activity chart begins: the last CHART_SPAN when all is calm; while a
    situation is under way (`crisis_start`, from `data.kpis`), CHART_LEAD before it began or
    CHART_MIN_SPAN back, whichever is earlier, never more than CHART_SPAN: the crisis gets
    the room, not the calm hours before it."""
    if crisis_start is None:
        return now - CHART_SPAN
    return max(now - CHART_SPAN, min(now - CHART_MIN_SPAN, crisis_start - CHART_LEAD))


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.role in ("editor", "approver",
                                                                     "admin")


@callback(
    Output("overview-kpis", "children"), Output("overview-activity", "figure"),
    Output("overview-live", "children"), Output("overview-live-drawn", "data"),
    Input("overview-tick", "n_intervals"), Input("overview-version", "data"),
    State("overview-live-drawn", "data"),
)
def refresh(_n, _version, drawn):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        k = data.kpis(session, now)
        start = chart_start(k["crisis_start"], now)
        df = data.activity(session, start, now)
        markers = data.alert_markers(session, start, now)
        # The alert states the same "normal" negative share as the figure above it.
        alerts = data.open_alerts(session, normal_share=k["negative_share_normal"])
        inc = data.incident(session, now)
    alerts_part = [html.H2(_("Alerts")),
                   html.Div(render_alerts(alerts, now, _can_edit()), id="overview-alerts")]
    incident_part = [html.H2(_("Incident")),
                     html.Div(render_incident(inc, now), id="overview-incident")]
    # Once an incident runs, what is owed to whom matters more than the alert that started it.
    live = incident_part + alerts_part if inc and inc["active"] else alerts_part + incident_part
    return (render_kpis(k), figures.activity_figure(df, markers, now),
            *ui.redraw_if_changed(live, drawn))


def _suggestion(alert: dict | None) -> dict:
    ctx = current()
    s = {}
    if ctx.playbook_facts is not None:
        try:
            s = dict(ctx.playbook_facts() or {})
        except Exception:  # noqa: BLE001 - a suggestion must never block declaring
            s = {}
    facts = s.get("facts") or s.get("en") or {}
    # The type that rose against the brand's usual mix (signals.crisis_mix), else the
    # commonest among the alert's top mentions (alerts stored before it was kept).
    types = Counter(m["crisis_type"] for m in (alert or {}).get("mentions", [])
                    if m.get("crisis_type"))
    rose = (alert or {}).get("crisis_type")
    return {
        "title": s.get("title") or "",
        "crisis_type": s.get("crisis_type") if s.get("crisis_type") in CRISIS_TYPES
        else rose if rose in CRISIS_TYPES
        else (types.most_common(1)[0][0] if types else "outage"),
        "severity": s.get("severity") if s.get("severity") in SEVERITIES
        else ALERT_TO_INCIDENT_SEVERITY.get((alert or {}).get("severity"), "major"),
        "impact": facts.get("impact") or s.get("impact") or "",
        "actions": facts.get("actions") or s.get("actions") or "",
        "title_fr": (s.get("fr") or {}).get("title") or "",
        "components": dict(s.get("components") or {}),
    }


@callback(
    Output("overview-flash", "children"), Output("overview-version", "data"),
    Output("overview-declare", "style"), Output("overview-declare-alert", "data"),
    Output("overview-declare-title", "value"), Output("overview-declare-type", "value"),
    Output("overview-declare-severity", "value"), Output("overview-declare-impact", "value"),
    Output("overview-declare-actions", "value"), Output("overview-declare-title-fr", "value"),
    Output("overview-declare-components", "value"),
    Output("overview-declare-component-state", "value"),
    Input({"type": "overview-ack", "alert": ALL}, "n_clicks"),
    Input({"type": "overview-declare-open", "alert": ALL}, "n_clicks"),
    State("overview-version", "data"),
    prevent_initial_call=True,
)
def alert_action(_acks, _declares, version):
    trigger = dash.ctx.triggered_id
    if not trigger or not any(t["value"] for t in dash.ctx.triggered):
        raise PreventUpdate
    ctx = current()
    keep = [no_update] * 10
    if trigger["type"] == "overview-ack":
        try:
            actions.acknowledge_alert(ctx, current_user, trigger["alert"])
        except actions.ActionError as exc:
            return ui.notice(str(exc), "error"), no_update, *keep
        return (ui.notice(_("Alert acknowledged by {user}.").format(user=current_user.username),
                          "ok"),
                (version or 0) + 1, *keep)
    with ctx.store.session() as session:
        alert = next((a for a in data.open_alerts(session, limit=50)
                      if a["id"] == trigger["alert"]), None)
    s = _suggestion(alert)
    configured = {c["key"] for c in _components()}
    affected = {k: v for k, v in s["components"].items() if k in configured}
    worst = max(affected.values(), key=[v for v, _label in AFFECTED_STATES].index,
                default="partial_outage") if all(
        v in dict(AFFECTED_STATES) for v in affected.values()) else "partial_outage"
    return (None, no_update, {"display": "block"}, trigger["alert"], s["title"],
            s["crisis_type"], s["severity"], s["impact"], s["actions"], s["title_fr"],
            sorted(affected), worst)


@callback(
    Output("overview-flash", "children", allow_duplicate=True),
    Output("overview-version", "data", allow_duplicate=True),
    Output("overview-declare", "style", allow_duplicate=True),
    Output("overview-declare-error", "children"),
    Output(ui.SHELL_REFRESH, "data", allow_duplicate=True),  # the header shows the phase now
    Output("overview-declare-second-wrap", "style"),
    Output("overview-declare-second", "value"),
    Input("overview-declare-submit", "n_clicks"), Input("overview-declare-cancel", "n_clicks"),
    State("overview-declare-alert", "data"), State("overview-declare-title", "value"),
    State("overview-declare-type", "value"), State("overview-declare-severity", "value"),
    State("overview-declare-impact", "value"), State("overview-declare-actions", "value"),
    State("overview-declare-title-fr", "value"), State("overview-declare-components", "value"),
    State("overview-declare-component-state", "value"),
    State("overview-version", "data"), State("overview-declare-second", "value"),
    prevent_initial_call=True,
)
def declare(submit, cancel, alert_id, title, crisis_type, severity, impact, actions_,
            title_fr, affected, affected_state, version, second):
    hidden = {"display": "none"}
    if dash.ctx.triggered_id == "overview-declare-cancel":
        return None, no_update, hidden, None, no_update, hidden, []
    if not submit:
        raise PreventUpdate
    try:
        incident_id = actions.declare_incident(
            current(), current_user, alert_id=alert_id, title=title, crisis_type=crisis_type,
            severity=severity, facts={"impact": impact, "actions": actions_},
            translations={"fr": {"title": title_fr}},
            components={key: affected_state or "partial_outage" for key in affected or []},
            confirm_second="yes" in (second or []))
    except actions.SecondIncident as exc:
        warning = _("Incident #{id} ({title}) is still active. A second incident splits the "
                    "response: add what is new to #{id}, or tick the box below and declare "
                    "again.").format(id=exc.active_id, title=exc.title)
        return (no_update, no_update, no_update, ui.notice(warning, "error"), no_update,
                {"display": "block"}, [])
    except actions.ActionError as exc:
        return (no_update, no_update, no_update, ui.notice(str(exc), "error"), no_update,
                no_update, no_update)
    flash = html.Div([
        _("Incident #{id} declared. Suggested updates are being drafted: ").format(
            id=incident_id),
        dcc.Link(_("fill in the facts"), href="/incident"), _(" then "),
        dcc.Link(_("approve the first updates"), href="/approvals"), ".",
    ], className="notice notice-ok", role="status")
    return flash, (version or 0) + 1, hidden, None, incident_id, hidden, []
