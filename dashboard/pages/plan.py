"""Plan: the crisis plan, ready before it happens (issue 19).

The plan's health first (what would fail us today), then the risk register sorted by risk
(probability x impact); choosing a risk shows its prepared messages (the templates of its
crisis type, rendered with example facts and linted), the segments to reach with how many
reachable contacts each holds, and its playbook, with "Mark reviewed" and "Mark exercised".
Approvers and admins add and edit risks (the same validation as `crisiswatch plan import`)
and review the plan updates post-mortems propose; editors close post-mortem actions.
Everything from the store is rendered as text."""

from __future__ import annotations

from datetime import datetime

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import components as ui
from dashboard import plan_data
from dashboard.context import current
from dashboard.i18n import N_, _, current_lang
from dashboard.stored_texts import say
from responders import lessons, plan
from responders.contacts import SEGMENTS
from responders.incidents import CRISIS_TYPES
from responders.plan_health import confirm_contacts
from responders.postmortem import add_action
from responders.templates import LANGS
from store.models import IncidentRow

dash.register_page(__name__, path="/plan", name="Plan", order=8)
callback = ui.Callbacks()  # registered on the app by create_app

EDIT_ROLES = ("approver", "admin")
ACTION_ROLES = ("editor", "approver", "admin")
AUDIENCE_LABELS = {"status": N_("Status page"), "team": N_("Tech team"), "ceo": N_("CEO"),
                   "customers": N_("Customers (e-mail)"), "sms": N_("SMS")}
ROLE_LABELS = {"commander": N_("Incident commander"), "comms_lead": N_("Comms lead"),
               "tech_lead": N_("Tech lead"), "legal": N_("Legal"), "support_lead": N_("Support lead"),
               "spokesperson": N_("Spokesperson"), "scribe": N_("Scribe")}
HEALTH_LABELS = {
    "no_messages": N_("No prepared message"), "template_missing": N_("Template missing"),
    "template_lint": N_("Template fails the linter"), "segment_empty": N_("Nobody to reach"),
    "contact_unconfirmed": N_("Contact not confirmed for a year"),
    "exercise_overdue": N_("Exercise overdue"), "review_overdue": N_("Not reviewed for a year"),
    "action_overdue": N_("Post-mortem action overdue"), "action_open": N_("Post-mortem action open"),
    "update_open": N_("Plan update to review"),
}
# The health findings' details (responders.plan_health.DETAILS), worded here.
HEALTH_DETAILS = {
    "no_messages": N_("no prepared message: the first public words would be written under "
                      "pressure"),
    "template_missing": N_("{what}: no template (tried {tried})"),
    "template_lint": N_("{what}: {template} fails the linter ({rules}): {message}"),
    "segment_empty": N_("nobody reachable in segment {segment} (needed by {risks})"),
    "contact_unconfirmed": N_("details last confirmed {day} ({segments})"),
    "exercise_overdue": N_("exercise every {every} days; last exercised {day}"),
    "review_overdue": N_("last reviewed {day}"),
    "action_overdue": N_("{text} (owner {owner}, {due}; incident #{incident})"),
    "action_open": N_("{text} (owner {owner}, {due}; incident #{incident})"),
    "update_open": N_("{change}{where}: {text} ({origin})"),
}
# Words shown through _() from the data: actions' states, plan update kinds, outcomes.
DATA_WORDS = (N_("register"), N_("template"), N_("added"), N_("updated"), N_("unchanged"))
ACTION_STATES = {"overdue": N_("overdue"), "due": N_("due soon"), "open": N_("open")}
SEVERE = ("no_messages", "template_missing", "template_lint", "segment_empty",
          "exercise_overdue", "action_overdue")


def _options(values, labels=None):
    return [{"label": _(labels[v]) if labels else v, "value": v} for v in values]


def _form():
    scale = [{"label": str(n), "value": n} for n in plan.SCALE]
    return html.Div(className="card", id="plan-form", children=[
        html.Div(style={"display": "grid", "gridTemplateColumns": "repeat(4, 1fr)",
                        "gap": "10px"}, children=[
            html.Div([html.Label(_("Key")), dcc.Input(id="plan-key", type="text",
                                                      placeholder=_("e.g. login-down"),
                                                      style={"width": "100%"})]),
            html.Div([html.Label(_("Crisis type")),
                      dcc.Dropdown(id="plan-type", options=[
                          {"label": ui.crisis_type_label(t), "value": t} for t in CRISIS_TYPES],
                                   value="outage", clearable=False)]),
            html.Div([html.Label(_("Probability (1-5)")),
                      dcc.Dropdown(id="plan-probability", options=scale, value=3,
                                   clearable=False)]),
            html.Div([html.Label(_("Impact (1-5)")),
                      dcc.Dropdown(id="plan-impact", options=scale, value=3,
                                   clearable=False)]),
            html.Div([html.Label(_("Owner")), dcc.Input(id="plan-owner", type="text",
                                                        style={"width": "100%"})]),
            html.Div([html.Label(_("Exercise every (days)")),
                      dcc.Input(id="plan-every", type="number", min=1, max=3650,
                                style={"width": "100%"})]),
            html.Div([html.Label(_("Languages")),
                      dcc.Checklist(id="plan-langs", options=_options(LANGS),
                                    value=list(LANGS), inline=True)]),
        ]),
        html.Label(_("Scenario")),
        dcc.Textarea(id="plan-scenario", style={"width": "100%", "height": "48px"}),
        html.Label(_("Segments to reach")),
        dcc.Checklist(id="plan-segments", options=_options(SEGMENTS, ui.SEGMENT_LABELS), value=[], inline=True),
        html.Label(_("Prepared messages: audiences")),
        dcc.Checklist(id="plan-audiences", inline=True, value=["status"],
                      options=_options(plan.MESSAGE_AUDIENCES, AUDIENCE_LABELS)),
        html.Label(_("... for the phases")),
        dcc.Checklist(id="plan-phases", inline=True, value=["investigating"],
                      options=_options(plan.PHASES, ui.PHASE_LABELS)),
        html.Label(_("Playbook: one first action per line, as 'role: action' (roles: {roles})")
                   .format(roles=", ".join(plan.ROLES))),
        dcc.Textarea(id="plan-playbook", style={"width": "100%", "height": "96px"}),
        html.Button(_("Save risk"), id="plan-save", className="btn primary"),
        html.Div(id="plan-form-flash"),
    ])


def layout(**_kwargs):
    return html.Div([
        html.H1(_("Crisis plan")),
        html.P(_("The crisis is won before it starts: every likely crisis ranked by "
                 "probability x impact, with its messages prepared and linted, the people "
                 "to reach and each role's first actions."), className="muted"),
        html.H2(_("Plan health")),
        html.Div(id="plan-health"),
        html.H2(_("Risk register")),
        html.Div(id="plan-register"),
        html.Label(_("Risk")),
        dcc.Dropdown(id="plan-select", clearable=False, placeholder=_("Choose a risk"),
                     style={"maxWidth": "520px"}),
        html.Div(id="plan-detail"),
        html.Div([html.Button(_("Mark reviewed"), id="plan-reviewed", className="btn"),
                  html.Button(_("Mark exercised"), id="plan-exercised", className="btn",
                              style={"marginLeft": "8px"})], style={"margin": "8px 0"}),
        html.Div(id="plan-risk-flash"),
        html.H2(_("Lessons fed back")),
        html.Div(id="plan-lessons"),
        html.Div(id="plan-lessons-flash"),
        html.Div(className="card", children=[
            html.H3(_("From a post-mortem")),
            html.Label(_("Incident")),
            dcc.Dropdown(id="plan-incident", placeholder=_("Choose an incident"),
                         style={"maxWidth": "520px"}),
            html.Label(_("What to do or change")),
            dcc.Input(id="plan-lesson-text", type="text", style={"width": "100%"}),
            html.Div(style={"display": "flex", "gap": "10px", "alignItems": "end"}, children=[
                html.Div([html.Label(_("Action owner (a role or a team)")),
                          dcc.Input(id="plan-lesson-owner", type="text")]),
                html.Div([html.Label(_("Due (YYYY-MM-DD)")),
                          dcc.Input(id="plan-lesson-due", type="text")]),
                html.Button(_("Add action"), id="plan-add-action", className="btn"),
                html.Div([html.Label(_("or a plan update for the risk")),
                          dcc.Dropdown(id="plan-lesson-risk", placeholder=_("Choose a risk"),
                                       style={"minWidth": "200px"})]),
                html.Button(_("Propose plan update"), id="plan-add-update", className="btn"),
            ]),
            html.Div(id="plan-add-flash"),
        ]),
        html.H2(_("Add or edit a risk")),
        _form(),
    ])


def _day(at: datetime | None) -> str:
    return _("never") if at is None else f"{at:%Y-%m-%d}"


def health_detail(kind: str, params: dict) -> str:
    """A finding's detail in the user's language."""
    values = dict(params)
    if "day" in values:
        values["day"] = values["day"] or _("never")
    if kind.startswith("action_"):
        values["due"] = (_("due {day}").format(day=values["due_day"]) if values["due_day"]
                         else _("no due date"))
    if "segment" in values:
        values["segment"] = ui.segment_label(values["segment"])
    if values.get("segments"):  # the contact's segments, joined by the health check
        values["segments"] = ", ".join(map(ui.segment_label, values["segments"].split(", ")))
    if kind == "update_open":
        values["change"] = _(values["change"])
        values["origin"] = (_("incident #{n}").format(n=values["incident"])
                            if values["incident"] else _("added by hand"))
    return _(HEALTH_DETAILS[kind]).format(**values)


def render_health(rows: list[dict]):
    if not rows:
        return ui.notice(_("The plan is healthy: every risk has linted messages, people to "
                           "reach and a recent exercise; no lesson is waiting."), "ok")
    head = html.Tr([html.Th(_("Finding")), html.Th(_("About")), html.Th(_("Detail")),
                    html.Th("")])
    body = []
    for f in rows:
        button = ""
        if f["kind"] == "contact_unconfirmed":
            button = html.Button(_("Details confirmed"), className="btn",
                                 id={"type": "plan-confirm", "ref": f["ref"]})
        body.append(html.Tr([
            html.Td(_(HEALTH_LABELS[f["kind"]]),
                    className="tag tag-negative" if f["kind"] in SEVERE else "tag"),
            html.Td(ui.segment_label(f["subject"]) if f["kind"] == "segment_empty"
                    else f["subject"]),
            html.Td(health_detail(f["kind"], f["params"])),
            html.Td(button),
        ], className=f"plan-finding plan-finding-{f['kind']}"))
    return html.Div([html.P(_("{n} finding(s)").format(n=len(rows)), className="muted",
                            id="plan-health-count"),
                     html.Table([html.Thead(head), html.Tbody(body)], className="table")])


def render_register(rows: list[dict], now: datetime):
    if not rows:
        return html.P(_("No risk yet: add one below or run `crisiswatch plan import "
                        "FILE.yaml`."), className="muted")
    head = html.Tr([html.Th(h) for h in (_("Risk"), _("Type"), _("Scenario"),
                                          _("Probability"), _("Impact"), _("Owner"),
                                          _("Last reviewed"), _("Exercise due"),
                                          _("Messages"))])
    body = []
    for r in rows:
        due = r["exercise_due"]
        late = due is not None and due <= now
        body.append(html.Tr([
            html.Td(html.Strong(str(r["score"])), className="plan-score"),
            html.Td(ui.crisis_type_label(r["crisis_type"])),
            html.Td([html.Strong(r["key"]), html.Br(), r["scenario"]]),
            html.Td(str(r["probability"])), html.Td(str(r["impact"])), html.Td(r["owner"]),
            html.Td(_day(r["last_reviewed"])),
            html.Td(_("not scheduled") if due is None else _day(due),
                    style={"color": "#991b1b", "fontWeight": "700"} if late else None),
            html.Td(str(r["messages"])),
        ], className="plan-risk", **{"data-key": r["key"]}))
    return html.Table([html.Thead(head), html.Tbody(body)], className="table",
                      id="plan-register-table")


def _message(m):
    title = f"{_(AUDIENCE_LABELS[m.audience])} · {_(ui.PHASE_LABELS[m.phase])} · {m.lang}"
    if m.template is None:
        status = html.Span(_("missing"), className="tag tag-negative")
    elif m.errors:
        status = html.Span(_("{n} error(s)").format(n=len(m.errors)), className="tag tag-negative")
    elif m.warnings:
        status = html.Span(_("{n} warning(s)").format(n=len(m.warnings)), className="tag")
    else:
        status = html.Span(_("linted clean"), className="tag tag-positive")
    inner = [html.P(m.missing, className="muted")] if m.template is None else [
        html.Div(m.template, className="muted small"),
        html.Div(_("Subject: {s}").format(s=m.subject), className="small") if m.subject else None,
        html.Pre(m.body, style={"whiteSpace": "pre-wrap", "fontFamily": "inherit"}),
        html.Ul([html.Li(f"{f.severity}: {f.rule}: {f.message}") for f in m.findings])
        if m.findings else None,
    ]
    return html.Details([html.Summary([title, " ", status])] + inner,
                        className="plan-message")


def render_detail(detail: dict | None):
    if detail is None:
        return html.P(_("Choose a risk to see what is prepared for it."), className="muted")
    record = detail["record"]
    messages = detail["messages"]
    failing = sum(1 for m in messages if m.template is None or m.errors)
    playbook = record["playbook"]
    return html.Div(className="card", id="plan-risk-card", children=[
        html.H3(f"{record['key']} · {_('risk')} {detail['score']} "
                f"({record['probability']} x {record['impact']}) · {record['owner']}"),
        html.P(record["scenario"]),
        html.H4(_("Prepared messages ({n}, {bad} failing)").format(n=len(messages),
                                                                   bad=failing)),
        html.Div([_message(m) for m in messages], id="plan-messages") if messages else
        ui.notice(_("No prepared message for this risk."), "error"),
        html.H4(_("Contacts to reach")),
        html.Ul([html.Li(_("{segment}: {n} reachable").format(segment=ui.segment_label(s),
                                                              n=n),
                         style=None if n else {"color": "#991b1b", "fontWeight": "700"})
                 for s, n in detail["segments"]], id="plan-segments-list")
        if detail["segments"] else html.P(_("No segment chosen."), className="muted"),
        html.H4(_("Playbook: first actions")),
        html.Div([html.Div([html.Strong(_(ROLE_LABELS[role])),
                            html.Ol([html.Li(a) for a in actions])])
                  for role, actions in playbook.items()], id="plan-playbook-view")
        if playbook else html.P(_("No playbook yet."), className="muted"),
    ])


def render_lessons(data: dict, now: datetime):
    actions, updates = data["actions"], data["updates"]
    out = [html.H3(_("Post-mortem actions not done ({n})").format(n=len(actions)))]
    if actions:
        rows = [html.Tr([
            html.Td(f"#{a['id']}"), html.Td(a["text"]), html.Td(a["owner"]),
            html.Td(_day(a["due_at"]) if a["due_at"] else _("no date")),
            html.Td(_(ACTION_STATES[a["state"]]), className="tag tag-negative" if a["state"] == "overdue"
                    else "tag"),
            html.Td(f"#{a['incident_id']} {a['incident_title']}"),
            html.Td(html.Button(_("Done"), className="btn",
                                id={"type": "plan-action-done", "id": a["id"]})),
        ], className=f"plan-action plan-action-{a['state']}") for a in actions]
        out.append(html.Table([html.Thead(html.Tr([html.Th(h) for h in (
            "", _("Action"), _("Owner"), _("Due"), _("State"), _("Incident"), "")])),
            html.Tbody(rows)], className="table", id="plan-actions"))
    else:
        out.append(html.P(_("Every post-mortem action is done."), className="muted"))
    out.append(html.H3(_("Plan updates to review ({n})").format(n=len(updates))))
    if not updates:
        out.append(html.P(_("No plan update waiting."), className="muted"))
    for u in updates:
        target = u["template"] or (u["risk"] and _("risk {key}").format(key=u["risk"])) or \
            _("new risk")
        out.append(html.Div(className="card plan-update", children=[
            html.Div([html.Span(_(u["kind"]), className="tag"), " ", html.Strong(target),
                      " · " + (_("incident #{n}").format(n=u["incident_id"])
                               if u["incident_id"] else "")]),
            html.P(u["text"]),
            html.P(_("Proposed changes: {c}").format(
                c=", ".join(f"{k} = {v}" for k, v in u["changes"].items())),
                className="muted small") if u["changes"] else None,
            html.Button(_("Apply"), className="btn primary",
                        id={"type": "plan-update-apply", "id": u["id"]}),
            html.Button(_("Dismiss"), className="btn", style={"marginLeft": "8px"},
                        id={"type": "plan-update-dismiss", "id": u["id"]}),
        ]))
    return out


@callback(
    Output("plan-health", "children"), Output("plan-register", "children"),
    Output("plan-select", "options"), Output("plan-select", "value"),
    Output("plan-lessons", "children"), Output("plan-incident", "options"),
    Output("plan-lesson-risk", "options"),
    Input("plan-form-flash", "children"), Input("plan-risk-flash", "children"),
    Input("plan-lessons-flash", "children"), Input("plan-add-flash", "children"),
    State("plan-select", "value"),
)
def refresh(_form_flash, _risk_flash, _lessons_flash, _add_flash, selected):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        health = plan_data.health_rows(session, ctx.library, now, current_lang())
        rows = plan_data.register_rows(session, now)
        lessons_data = plan_data.lessons(session, now)
        incidents = plan_data.incidents(session)
    keys = [r["key"] for r in rows]
    options = [{"label": f"{r['score']} · {r['key']}", "value": r["key"]} for r in rows]
    value = selected if selected in keys else (keys[0] if keys else None)
    return (render_health(health), render_register(rows, now), options, value,
            render_lessons(lessons_data, now),
            [{"label": f"#{i['id']} {i['title']} ({i['phase']})", "value": i["id"]}
             for i in incidents],
            [{"label": k, "value": k} for k in keys])


@callback(Output("plan-detail", "children"), Input("plan-select", "value"),
          Input("plan-risk-flash", "children"), Input("plan-form-flash", "children"))
def show(key, _flash, _saved):
    if not key:
        return render_detail(None)
    ctx = current()
    with ctx.store.session() as session:
        return render_detail(plan_data.risk_detail(session, ctx.library, key, ctx.clock(),
                                                   current_lang()))


@callback(
    Output("plan-key", "value"), Output("plan-type", "value"), Output("plan-scenario", "value"),
    Output("plan-probability", "value"), Output("plan-impact", "value"),
    Output("plan-owner", "value"), Output("plan-every", "value"),
    Output("plan-langs", "value"), Output("plan-segments", "value"),
    Output("plan-audiences", "value"), Output("plan-phases", "value"),
    Output("plan-playbook", "value"),
    Input("plan-select", "value"),
)
def fill_form(key):
    """The chosen risk in the form, to edit it (or to start a new one from it)."""
    if not key:
        raise PreventUpdate
    ctx = current()
    with ctx.store.session() as session:
        row = plan.find(session, key)
        if row is None:
            raise PreventUpdate
        r = plan.to_record(row)
    audiences = [a for a in plan.MESSAGE_AUDIENCES if any(m["audience"] == a
                                                           for m in r["messages"])]
    phases = [p for p in plan.PHASES if any(m["phase"] == p for m in r["messages"])]
    book = "\n".join(f"{role}: {a}" for role, actions in r["playbook"].items() for a in actions)
    return (r["key"], r["crisis_type"], r["scenario"], r["probability"], r["impact"],
            r["owner"], r["exercise_every_days"], r["languages"], r["segments"], audiences,
            phases, book)


def parse_playbook(text: str) -> tuple[dict, list[str]]:
    """'role: action' lines -> {role: [actions]}; lines without a colon are reported."""
    book: dict[str, list[str]] = {}
    problems = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        role, sep, action = line.partition(":")
        if not sep:
            problems.append(_("playbook line {n}: write 'role: action'").format(n=n))
            continue
        book.setdefault(role.strip().lower().replace(" ", "_"), []).append(action.strip())
    return book, problems


def _allowed(roles) -> bool:
    user = current_user
    return getattr(user, "is_authenticated", False) and user.role in roles


@callback(
    Output("plan-form-flash", "children"), Input("plan-save", "n_clicks"),
    State("plan-key", "value"), State("plan-type", "value"), State("plan-scenario", "value"),
    State("plan-probability", "value"), State("plan-impact", "value"),
    State("plan-owner", "value"), State("plan-every", "value"), State("plan-langs", "value"),
    State("plan-segments", "value"), State("plan-audiences", "value"),
    State("plan-phases", "value"), State("plan-playbook", "value"),
    prevent_initial_call=True,
)
def save(clicks, key, crisis_type, scenario, probability, impact, owner, every, langs,
         segments, audiences, phases, playbook):
    if not clicks:
        raise PreventUpdate
    if not _allowed(EDIT_ROLES):
        return ui.notice(_("Only approvers and admins change the plan."), "error")
    book, problems = parse_playbook(playbook)
    if problems:
        return ui.notice("; ".join(problems), "error")
    ctx = current()
    now = ctx.clock()
    record = {"key": (key or "").strip(), "crisis_type": crisis_type, "scenario": scenario,
              "probability": probability, "impact": impact, "owner": owner,
              "exercise_every_days": every, "languages": langs or [],
              "segments": segments or [], "playbook": book,
              "messages": [{"audience": a, "phase": p} for p in (phases or [])
                           for a in (audiences or [])]}
    try:
        with ctx.store.session() as session:
            existing = plan.find(session, record["key"]) if record["key"] else None
            if existing is not None:  # the form does not show these: keep them
                record["last_reviewed"] = existing.last_reviewed_at
                record["last_exercised"] = existing.last_exercised_at
            _row, outcome = plan.save(session, record, actor=current_user.username, now=now)
    except plan.PlanError as exc:
        return html.Div([ui.notice(_("Not saved:"), "error"),
                         html.Ul([html.Li(r) for r in exc.reasons], id="plan-form-errors")])
    return ui.notice(_("Risk {key}: {outcome}.").format(key=record["key"], outcome=_(outcome)),
                     "ok")


@callback(
    Output("plan-risk-flash", "children"),
    Input("plan-reviewed", "n_clicks"), Input("plan-exercised", "n_clicks"),
    Input({"type": "plan-confirm", "ref": ALL}, "n_clicks"),
    State("plan-select", "value"), prevent_initial_call=True,
)
def mark(_reviewed, _exercised, confirms, key):
    trigger = dash.ctx.triggered_id
    if trigger is None or not dash.ctx.triggered[0]["value"]:
        raise PreventUpdate
    if not _allowed(EDIT_ROLES):
        return ui.notice(_("Only approvers and admins change the plan."), "error")
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        if isinstance(trigger, dict):  # a contact's details were checked
            contact_id = int(trigger["ref"].split(":", 1)[1])
            confirm_contacts(session, [contact_id], now=now)
            return ui.notice(_("Contact details confirmed."), "ok")
        row = plan.find(session, key) if key else None
        if row is None:
            return ui.notice(_("Choose a risk first."), "error")
        if trigger == "plan-reviewed":
            plan.mark_reviewed(session, row, actor=current_user.username, now=now)
            return ui.notice(_("Risk {key} reviewed today.").format(key=key), "ok")
        plan.mark_exercised(session, row, actor=current_user.username, now=now)
        return ui.notice(_("Risk {key} exercised today.").format(key=key), "ok")


@callback(
    Output("plan-lessons-flash", "children"),
    Input({"type": "plan-action-done", "id": ALL}, "n_clicks"),
    Input({"type": "plan-update-apply", "id": ALL}, "n_clicks"),
    Input({"type": "plan-update-dismiss", "id": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def close(_done, _apply, _dismiss):
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not dash.ctx.triggered[0]["value"]:
        raise PreventUpdate
    kind = trigger["type"]
    if not _allowed(ACTION_ROLES if kind == "plan-action-done" else EDIT_ROLES):
        return ui.notice(_("You may not do that with your role."), "error")
    ctx = current()
    now, actor = ctx.clock(), current_user.username
    try:
        with ctx.store.session() as session:
            if kind == "plan-action-done":
                lessons.close_action(session, trigger["id"], actor=actor, now=now)
                return ui.notice(_("Action #{n} done.").format(n=trigger["id"]), "ok")
            if kind == "plan-update-apply":
                lessons.apply_update(session, trigger["id"], actor=actor, now=now)
                return ui.notice(_("Plan update #{n} applied.").format(n=trigger["id"]), "ok")
            lessons.dismiss_update(session, trigger["id"], actor=actor, now=now)
            return ui.notice(_("Plan update #{n} dismissed.").format(n=trigger["id"]), "ok")
    except lessons.LessonError as exc:
        return ui.notice(say(exc.wording), "error")


@callback(
    Output("plan-add-flash", "children"),
    Input("plan-add-action", "n_clicks"), Input("plan-add-update", "n_clicks"),
    State("plan-incident", "value"), State("plan-lesson-text", "value"),
    State("plan-lesson-owner", "value"), State("plan-lesson-due", "value"),
    State("plan-lesson-risk", "value"), prevent_initial_call=True,
)
def add_lesson(_action, _update, incident_id, text, owner, due, risk_key):
    trigger = dash.ctx.triggered_id
    if trigger is None or not dash.ctx.triggered[0]["value"]:
        raise PreventUpdate
    if not _allowed(ACTION_ROLES if trigger == "plan-add-action" else EDIT_ROLES):
        return ui.notice(_("You may not do that with your role."), "error")
    ctx = current()
    now, actor = ctx.clock(), current_user.username
    with ctx.store.session() as session:
        incident = session.get(IncidentRow, incident_id) if incident_id else None
        if trigger == "plan-add-action":
            if incident is None:
                return ui.notice(_("Choose the incident the action comes from."), "error")
            try:
                due_at = datetime.fromisoformat(due.strip()) if (due or "").strip() else None
                row = add_action(session, incident, text=text, owner=owner, due_at=due_at,
                                 actor=actor, now=now)
            except ValueError as exc:
                return ui.notice(_("Not added: {why}").format(why=exc), "error")
            return ui.notice(_("Action #{n} added.").format(n=row.id), "ok")
        risk = plan.find(session, risk_key) if risk_key else None
        try:
            row = lessons.propose(session, kind="register", text=text, actor=actor, now=now,
                                  incident=incident, risk=risk)
        except lessons.LessonError as exc:
            return ui.notice(_("Not proposed: {why}").format(why=say(exc.wording)), "error")
        return ui.notice(_("Plan update #{n} proposed.").format(n=row.id), "ok")

