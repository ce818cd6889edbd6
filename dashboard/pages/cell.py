"""Crisis cell: who holds each role of the incident now, for how long, and the handovers.

Live (every few seconds): per role (incident commander, comms lead, tech lead, legal,
support lead, spokesperson, scribe) the holder and their time on duty (flagged once it
reaches the configured fatigue time), and the page: who is being paged (primary or which
deputy) with a button to record their acknowledgement, or who acknowledged. Below, the
handover form (role, new holder, a note: all three on the timeline) and every shift so far.
Everything from the store is rendered as text."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from sqlalchemy import select

from dashboard import actions
from dashboard import components as ui
from dashboard.context import current
from dashboard.i18n import N_, _
from responders.cell import ROLES, cell_view, duration_text, history
from responders.incidents import active_incident
from store.models import IncidentRow

dash.register_page(__name__, path="/cell", name=N_("Cell"), order=2.5)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
# responders.cell.LABELS, marked here for the catalogue (one per role of ROLES)
ROLE_LABELS = {"commander": N_("Incident commander"), "comms_lead": N_("Comms lead"),
               "tech_lead": N_("Tech lead"), "legal": N_("Legal"),
               "support_lead": N_("Support lead"), "spokesperson": N_("Spokesperson"),
               "scribe": N_("Scribe")}
PAGE_STATES = {"paging": N_("paging"), "acknowledged": N_("acknowledged"),
               "exhausted": N_("nobody answered"), "covered": N_("taken by hand")}


def layout(**_kw):
    return html.Div([
        dcc.Interval(id="cell-tick", interval=REFRESH_MS),
        dcc.Store(id="cell-drawn"),
        html.H1(_("Crisis cell")),
        html.P(_("On declaration every role's primary is paged; whoever does not acknowledge "
                 "in time is replaced by the next deputy. A holder on duty for too long is "
                 "reminded to hand over."), className="muted"),
        html.Div(id="cell-incident"),
        html.Div(id="cell-roles"),
        html.Div(id="cell-ack-flash"),
        html.H2(_("Hand over a role")),
        html.Div(className="card", children=[
            html.Label(_("Role"), htmlFor="cell-role"),
            dcc.Dropdown(id="cell-role", clearable=False, value="commander",
                         options=[{"label": _(ROLE_LABELS[r]), "value": r} for r in ROLES]),
            html.Label(_("New holder"), htmlFor="cell-new-holder"),
            dcc.Input(id="cell-new-holder", type="text", style={"width": "100%"},
                      maxLength=128),
            html.Label(_("Handover note: what the next holder must know"),
                       htmlFor="cell-note"),
            dcc.Textarea(id="cell-note", style={"width": "100%", "height": "90px"}),
            html.Button(_("Hand over"), id="cell-handover", className="btn"),
            html.Div(id="cell-flash"),
        ]),
        html.H2(_("Shifts")),
        html.Div(id="cell-history"),
    ])


def _incident(session) -> IncidentRow | None:
    """The active incident, else the latest (its cell stays readable after resolution)."""
    return active_incident(session) or session.execute(
        select(IncidentRow).order_by(IncidentRow.declared_at.desc()).limit(1)
    ).scalar_one_or_none()


def _row_state(view) -> str:
    """`paging` (someone is being called) or `unfilled` (nobody answered and nobody holds
    the role): the rows that need someone's eye; else `idle`."""
    if view.page_state == "paging":
        return "paging"
    return "unfilled" if view.page_state == "exhausted" and not view.holder else "idle"


def render_roles(views, now):
    head = html.Tr([html.Th(_("Role")), html.Th(_("Holder")), html.Th(_("On duty")),
                    html.Th(_("Page")), html.Th(_("Primary, then deputies")), html.Th("")])
    rows = []
    for v in views:
        if v.holder:
            duty = [_("since {time}").format(time=ui.zoned(v.since)), " · ",
                    duration_text(v.on_duty)]
            if v.tired:
                duty += [" ", html.Span(_("time to hand over"), className="tag tag-tired")]
        else:
            duty = ["—"]
        page, button = "—", ""
        if v.page_state == "paging" and v.paged:
            who = _("primary") if v.paged_level == 0 else _("deputy {n}").format(n=v.paged_level)
            page = _("paging {person} ({who})").format(person=v.paged, who=who)
            button = html.Button(_("{person} acknowledged").format(person=v.paged),
                                 id={"type": "cell-ack", "page": v.page_id, "person": v.paged},
                                 className="btn btn-small")
        elif v.page_state:
            page = _(PAGE_STATES[v.page_state])
        rows.append(html.Tr([
            html.Td(_(ROLE_LABELS[v.role])),
            html.Td(v.holder or _("nobody"), className="cell-holder"),
            html.Td(duty, className="cell-duty"), html.Td(page, className="cell-page"),
            html.Td(", ".join(v.roster) or _("not configured")), html.Td(button),
        ], className=f"cell-row cell-{_row_state(v)}",
            **{"data-role": v.role}))
    return html.Div(html.Table([html.Thead(head), html.Tbody(rows)], className="cell-table"),
                    className="panel")


def render_history(shifts, now):
    if not shifts:
        return html.P(_("Nobody holds a role yet."), className="muted")
    head = html.Tr([html.Th(_("Role")), html.Th(_("Holder")), html.Th(_("From")),
                    html.Th(_("To")), html.Th(_("Handed to")), html.Th(_("Note"))])
    body = [html.Tr([
        html.Td(_(ROLE_LABELS[s.role])), html.Td(s.holder), html.Td(ui.zoned(s.started_at)),
        html.Td(ui.zoned(s.ended_at) if s.ended_at else _("on duty")),
        html.Td(s.handed_to or ""), html.Td(s.note or ""),
    ]) for s in shifts]
    return html.Div(html.Table([html.Thead(head), html.Tbody(body)], className="cell-table"),
                    className="panel")


@callback(
    Output("cell-incident", "children"), Output("cell-roles", "children"),
    Output("cell-drawn", "data"), Output("cell-history", "children"),
    Input("cell-tick", "n_intervals"), Input("cell-flash", "children"),
    Input("cell-ack-flash", "children"), State("cell-drawn", "data"),
)
def refresh(_n, _flash, _ack, drawn):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = _incident(session)
        if incident is None:
            empty = html.P(_("No incident has been declared."), className="empty panel")
            return empty, None, None, None
        views = cell_view(session, incident, now, ctx.cell)
        shifts = history(session, incident.id)
        header = html.P([ui.phase_badge(incident.phase), " ",
                         _("Incident #{id}: {title}").format(id=incident.id,
                                                             title=incident.title)],
                        id="cell-incident-title")
    roles, signature = ui.redraw_if_changed(render_roles(views, now), drawn)
    return header, roles, signature, render_history(shifts, now)


@callback(
    Output("cell-ack-flash", "children"),
    Input({"type": "cell-ack", "page": ALL, "person": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def acknowledge(clicks):
    trigger = dash.ctx.triggered_id
    if not trigger or not any(clicks or []) or not dash.ctx.triggered[0]["value"]:
        raise PreventUpdate
    try:
        done = actions.acknowledge_cell_page(current(), current_user, int(trigger["page"]),
                                             str(trigger["person"]))
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error")
    if not done:
        return ui.notice(_("That page had already ended."), "info")
    return ui.notice(_("{person} is on duty.").format(person=trigger["person"]), "info")


@callback(
    Output("cell-flash", "children"), Output("cell-note", "value"),
    Input("cell-handover", "n_clicks"),
    State("cell-role", "value"), State("cell-new-holder", "value"), State("cell-note", "value"),
    prevent_initial_call=True,
)
def hand_over(clicks, role, new_holder, note):
    if not clicks:
        raise PreventUpdate
    ctx = current()
    with ctx.store.session() as session:
        found = _incident(session)
    if found is None:
        return ui.notice(_("No incident has been declared."), "error"), dash.no_update
    try:
        actions.hand_over(ctx, current_user, found.id, role or "", new_holder or "",
                          note or "")
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error"), dash.no_update  # the note is kept
    return ui.notice(_("{role} handed over to {person}.").format(
        role=_(ROLE_LABELS[role]), person=(new_holder or "").strip()), "info"), ""
