"""Status page admin: what the public status page says besides incident updates. The
comms lead sets each component's state (tied to the active incident, so the change lands
on its timeline) and schedules or cancels maintenance, written in English and French.
Text from the store is shown as text."""

from __future__ import annotations

from datetime import datetime, timedelta

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import actions, i18n, status_admin_data
from dashboard import components as ui
from dashboard.context import current
from dashboard.i18n import N_, _
from responders.statusboard import STATES
from responders.wording import Localized

# "/statuspage" (what people type) redirects here: dashboard.app.ADMIN_REDIRECTS.
dash.register_page(__name__, path="/statuspage-admin", name=N_("Status page admin"), order=5)
callback = ui.Callbacks()  # registered on the app by create_app

STATE_LABELS = {"operational": N_("Operational"), "degraded": N_("Degraded performance"),
                "partial_outage": N_("Partial outage"), "major_outage": N_("Major outage"),
                "maintenance": N_("Under maintenance")}
LANGS = (("en", N_("English")), ("fr", N_("French")))
WHEN = "%Y-%m-%d %H:%M"


def _state(state: str) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def when_in_utc(raw: str | None) -> str | None:
    """A maintenance time typed in the user's zone ("YYYY-MM-DD HH:MM") rewritten in UTC for
    `actions.schedule_maintenance`; one that names UTC, or that does not parse, passes
    unchanged (the action judges it and says what is wrong)."""
    text = (raw or "").strip()
    if not text or text.upper().endswith(("UTC", "Z")):
        return raw
    try:
        wall = datetime.strptime(text.replace("T", " ", 1), WHEN)
    except ValueError:
        return raw
    return f"{i18n.to_utc(wall):{WHEN}} UTC"


def layout(**_kwargs):
    now = current().clock()
    # Example times: tomorrow night in the user's zone, never a date already past.
    start = (i18n.naive_local(now) + timedelta(days=1)).replace(hour=22, minute=0)
    zone = i18n.zone_abbreviation(now)
    return html.Div([
        html.H1(_("Status page admin")),
        html.P([_("What customers see besides incident updates: the state of each part of "
                  "the service, and scheduled maintenance. "),
                html.A(_("Open the public page ↗"), href="/status", target="_blank",
                       id="statuspage-public-link"), " · ",
                html.A(_("in French ↗"), href="/status?lang=fr", target="_blank",
                       id="statuspage-public-link-fr")], className="muted"),
        html.Section([
            html.H2(_("Components")),
            html.Div(id="statuspage-component-flash"),
            dcc.Checklist(id="statuspage-tie", options=[], value=[]),
            html.Div(id="statuspage-components"),
        ], className="panel"),
        html.Section([
            html.H2(_("Scheduled maintenance")),
            html.Div(id="statuspage-cancel-flash"),
            html.Div(id="statuspage-maintenance"),
        ], className="panel"),
        html.Section([
            html.H2(_("Schedule maintenance")),
            html.P(_("Times are in your time zone ({zone}), written YYYY-MM-DD HH:MM. Write "
                     "the announcement in each language; customers read it as written.").format(
                         zone=zone), className="muted"),
            html.Div([
                html.Div([
                    html.Label(_("Title ({lang})").format(lang=_(label)),
                               htmlFor=f"statuspage-{lang}-title",
                               className="small-h"),
                    dcc.Input(id=f"statuspage-{lang}-title", type="text", maxLength=200,
                              className="input", style={"width": "100%"}),
                    html.Label(_("Details ({lang})").format(lang=_(label)),
                               htmlFor=f"statuspage-{lang}-body",
                               className="small-h"),
                    dcc.Textarea(id=f"statuspage-{lang}-body", className="input",
                                 style={"width": "100%", "height": "80px"}),
                ]) for lang, label in LANGS
            ]),
            html.Div([
                html.Label(_("Starts ({zone})").format(zone=zone), htmlFor="statuspage-starts",
                           className="small-h"),
                dcc.Input(id="statuspage-starts", type="text", placeholder=f"{start:{WHEN}}",
                          className="input"),
                html.Label(_("Ends ({zone})").format(zone=zone), htmlFor="statuspage-ends",
                           className="small-h"),
                dcc.Input(id="statuspage-ends", type="text",
                          placeholder=f"{start + timedelta(minutes=90):{WHEN}}",
                          className="input"),
            ]),
            html.Label(_("Components affected"), className="small-h"),
            dcc.Dropdown(id="statuspage-m-components", options=[], multi=True,
                         placeholder=_("choose the components")),
            html.Button(_("Schedule"), id="statuspage-schedule", className="btn primary"),
            html.Div(id="statuspage-schedule-flash"),
        ], className="panel"),
    ])


def render_components(rows: list[dict]):
    if not rows:
        return html.P(_("No components are configured (settings: [status] components)."),
                      className="muted")
    options = [{"label": _state(s), "value": s} for s in STATES]
    head = html.Tr([html.Th(h) for h in (_("Component"), _("Shown now"), _("Last set"),
                                         _("New state"), "")])
    body = []
    for r in rows:
        shown = _state(r["shown"])
        if r["shown"] != r["state"]:
            shown += _(" (set: {state}; maintenance in progress)").format(state=_state(r["state"]))
        body.append(html.Tr([
            html.Td([html.Div(r["name"]), html.Div(r["key"], className="muted")]),
            html.Td(shown, className=f"c-{r['shown']}"),
            html.Td(_("{time} by {user}").format(time=ui.zoned(r["updated_at"]),
                                                 user=r["updated_by"])
                    + (" · " + _("incident #{id}").format(id=r["incident_id"])
                       if r["incident_id"] else "")),
            html.Td(dcc.Dropdown(id={"type": "statuspage-state", "key": r["key"]},
                                 options=options, value=r["state"], clearable=False,
                                 style={"minWidth": "200px"})),
            html.Td(html.Button(_("Set"), id={"type": "statuspage-set", "key": r["key"]},
                                className="btn")),
        ], id=f"statuspage-component-{r['key']}"))
    return html.Table([html.Thead(head), html.Tbody(body)], className="table")


def render_maintenance(rows: list[dict], names: dict[str, str]):
    if not rows:
        return html.P(_("No maintenance is scheduled."), className="muted")
    items = []
    for m in rows:
        texts = [html.Div([html.Span(f"{lang.upper()}: ", className="muted"),
                           html.B(t.get("title", "")),
                           html.Div(t.get("body", ""), className="quote-text")])
                 for lang, t in m["texts"].items()]
        comps = ", ".join(names.get(k, k) for k in m["components"]) or _("no component")
        starts, ends = i18n.naive_local(m["starts_at"]), i18n.naive_local(m["ends_at"])
        items.append(html.Div([
            html.Div([html.Span(_("In progress · ") if m["in_progress"] else ""),
                      _("{starts} to {ends} {zone} · {components} · by {user}").format(
                          starts=f"{starts:{WHEN}}", ends=f"{ends:{WHEN}}",
                          zone=i18n.zone_abbreviation(m["starts_at"]), components=comps,
                          user=m["created_by"])], className="quote-meta"),
            *texts,
            html.Button(_("Cancel"), id={"type": "statuspage-cancel", "id": m["id"]},
                        className="btn"),
        ], className="quote", id=f"statuspage-maintenance-{m['id']}"))
    return html.Div(items)


def _clicked(ids: list[dict], clicks: list, field: str):
    """The pattern-matched button that fired: Dash's triggered id in a request; otherwise
    (a direct call) the only button clicked since the list was last rendered."""
    try:
        trigger = dash.ctx.triggered_id
    except Exception:  # noqa: BLE001 - called outside a Dash request
        trigger = None
    if isinstance(trigger, dict):
        return trigger.get(field)
    fired = [i[field] for i, n in zip(ids, clicks) if n]
    if len(fired) != 1:
        raise PreventUpdate
    return fired[0]


@callback(
    Output("statuspage-components", "children"), Output("statuspage-tie", "options"),
    Output("statuspage-tie", "value"),
    Input("statuspage-component-flash", "children"),
)
def refresh_components(_flash):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        rows = status_admin_data.components(session, now)
        incident = status_admin_data.incident(session)
    if incident is None:
        return render_components(rows), [], []
    label = _("Tie changes to incident #{id} ({title}): they go on its timeline").format(
        id=incident["id"], title=incident["title"])
    return render_components(rows), [{"label": label, "value": incident["id"]}], [incident["id"]]


@callback(
    Output("statuspage-component-flash", "children"),
    Input({"type": "statuspage-set", "key": ALL}, "n_clicks"),
    State({"type": "statuspage-set", "key": ALL}, "id"),
    State({"type": "statuspage-state", "key": ALL}, "value"),
    State({"type": "statuspage-state", "key": ALL}, "id"),
    State("statuspage-tie", "value"),
    prevent_initial_call=True,
)
def set_state(clicks, button_ids, values, value_ids, tie):
    if not any(clicks or []):
        raise PreventUpdate
    key = _clicked(button_ids, clicks, "key")
    state = dict(zip((i["key"] for i in value_ids), values)).get(key)
    ctx = current()
    try:
        changed = actions.set_component(ctx, current_user, key, state,
                                        incident_id=(tie or [None])[0])
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error")
    with ctx.store.session() as session:
        # the component's name in the reader's language (the issue 20 flash said "sync")
        name = {c["key"]: Localized(c["names"], c["name"]).in_lang(i18n.current_lang())
                for c in status_admin_data.components(session, ctx.clock())}.get(key, key)
    if not changed:
        return ui.notice(_("{component} is already shown as {state}.").format(
            component=name, state=_state(state)), "info")
    return ui.notice(_("{component} is now shown as {state} on the public page.").format(
        component=name, state=_state(state)), "info")


@callback(
    Output("statuspage-maintenance", "children"), Output("statuspage-m-components", "options"),
    Input("statuspage-cancel-flash", "children"), Input("statuspage-schedule-flash", "children"),
)
def refresh_maintenance(_cancelled, _scheduled):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        rows = status_admin_data.maintenance(session, now)
        comps = status_admin_data.components(session, now)
    names = {c["key"]: c["name"] for c in comps}
    return (render_maintenance(rows, names),
            [{"label": c["name"], "value": c["key"]} for c in comps])


@callback(
    Output("statuspage-cancel-flash", "children"),
    Input({"type": "statuspage-cancel", "id": ALL}, "n_clicks"),
    State({"type": "statuspage-cancel", "id": ALL}, "id"),
    prevent_initial_call=True,
)
def cancel(clicks, button_ids):
    if not any(clicks or []):
        raise PreventUpdate
    maintenance_id = _clicked(button_ids, clicks, "id")
    try:
        actions.cancel_maintenance(current(), current_user, maintenance_id)
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error")
    return ui.notice(_("Maintenance #{id} is cancelled; the public page no longer shows "
                       "it.").format(id=maintenance_id), "info")


@callback(
    Output("statuspage-schedule-flash", "children"),
    Input("statuspage-schedule", "n_clicks"),
    State("statuspage-en-title", "value"), State("statuspage-en-body", "value"),
    State("statuspage-fr-title", "value"), State("statuspage-fr-body", "value"),
    State("statuspage-starts", "value"), State("statuspage-ends", "value"),
    State("statuspage-m-components", "value"),
    prevent_initial_call=True,
)
def schedule(_clicks, en_title, en_body, fr_title, fr_body, starts, ends, comps):
    texts = {"en": {"title": en_title, "body": en_body},
             "fr": {"title": fr_title, "body": fr_body}}
    try:
        maintenance_id = actions.schedule_maintenance(current(), current_user, texts=texts,
                                                      starts=when_in_utc(starts),
                                                      ends=when_in_utc(ends),
                                                      components=comps or [])
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error")
    return ui.notice(_("Maintenance #{id} is scheduled and shown on the public page.").format(
        id=maintenance_id), "info")
