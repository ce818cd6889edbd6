"""Incident: the phase, the facts every message is built from, who does what, and the
timeline. The facts form is rendered once per visit so the 3 s refresh never eats typing."""

from __future__ import annotations

import re

import dash
from dash import ALL, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import actions, data, i18n, status_admin_data, stored_texts
from dashboard import components as ui
from dashboard.context import current
from dashboard.i18n import N_, _
from responders.incidents import fact_word
from responders.wording import Localized

dash.register_page(__name__, path="/incident", name=N_("Incident"), order=2)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
TEXT_FACTS = (
    ("impact", N_("Impact"), N_("who cannot do what, with a figure (e.g. about 60% of "
                                "customers cannot log in)")),
    ("known", N_("What we know"), N_("what is confirmed, since when")),
    ("unknown", N_("What we do not know yet"),
     N_("e.g. the cause and how long the repair will take")),
    ("cause", N_("Cause"), N_("leave empty while the cause is not confirmed")),
    ("actions", N_("What we are doing"), N_("e.g. our engineers are rolling back the change")),
)
PHASE_HINTS = {
    "identified": N_("cause found"), "fixing": N_("fix in progress"),
    "monitoring": N_("fix deployed, watching"), "resolved": N_("service back to normal"),
    "postmortem": N_("write the post-mortem"), "investigating": N_("start over"),
}
ROLES = (("commander", N_("Incident commander")), ("comms_lead", N_("Comms lead")),
         ("tech_lead", N_("Tech lead")))
TIMELINE_KINDS = {  # responders.incidents.record(kind=...) and the alert lifecycle
    "declared": N_("declared"), "phase": N_("phase"), "facts": N_("facts"),
    "roles": N_("roles"), "component": N_("component"), "draft": N_("draft"),
    "outbox": N_("outbox"), "reminder": N_("reminder"), "alert": N_("alert"),
    "alerting": N_("alerting"), "broadcast": N_("broadcast"), "regulator": N_("regulator"),
    "postmortem": N_("post-mortem"), "cell": N_("crisis cell"), "handover": N_("handover"),
    "exercise": N_("exercise"),
}


def layout(**_query):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        inc = data.incident(session, now)
        comps = status_admin_data.components(session, now)
    if inc is None:
        return html.Div([
            html.H1(_("Incident")),
            html.Div([_("No incident has been declared. Declare one from an alert on the "),
                      dcc.Link(_("Overview"), href="/"), "."], className="empty panel"),
        ])
    return html.Div([
        dcc.Interval(id="incident-tick", interval=REFRESH_MS),
        dcc.Store(id="incident-id", data=inc["id"]),
        dcc.Store(id="incident-version", data=0),
        dcc.Store(id="incident-phase-drawn"),
        html.Div(id="incident-header"),
        html.Div(id="incident-flash"),
        html.Div([
            html.Div([
                html.Section([html.H2(_("Phase")), html.Div(id="incident-phase")],
                             className="panel"),
                _facts_form(inc, ctx.playbook_facts),
                _components_form(inc, comps),
                _roles_form(inc),
            ], className="col-main"),
            html.Div([
                html.Section([html.H2(_("Next update owed")),
                              html.Div(id="incident-clocks")], className="panel"),
                html.Section([html.H2(_("Timeline")), html.Div(id="incident-timeline")],
                             className="panel"),
            ], className="col-side"),
        ], className="incident-grid"),
    ])


def _suggested(playbook_facts, lang: str = "en") -> dict:
    if playbook_facts is None:
        return {}
    try:
        s = dict(playbook_facts() or {})
    except Exception:  # noqa: BLE001 - a suggestion must never block the form
        return {}
    if lang != "en":
        return s.get(lang) or {}
    return s.get("facts") or s.get("en") or s


def _fact_field(name: str, label: str, lang: str, value: str, placeholder: str):
    """One fact in one language: English facts are `incident-fact-<name>`, French ones
    `incident-fr-<name>` (empty French = the English is used)."""
    prefix = "incident-fact" if lang == "en" else "incident-fr"
    return html.Div([
        html.Label(_(label) if lang == "en" else _("{label} (French)").format(label=_(label)),
                   htmlFor=f"{prefix}-{name}"),
        dcc.Textarea(id=f"{prefix}-{name}", value=value, rows=2, className="input wide",
                     placeholder=placeholder),
        html.Div(id=f"{prefix}-{name}-note", className="fact-note") if name == "unknown"
        else None,
    ], className=f"field fact-{lang}")


def _facts_form(inc: dict, playbook_facts):
    """Both languages' facts side by side, the reader's language first: a French reader
    never has to unfold anything to see or write the French."""
    values = {"en": inc["facts"], "fr": inc["translations"].get("fr", {})}
    hints = {"en": _suggested(playbook_facts), "fr": _suggested(playbook_facts, "fr")}
    langs = ("fr", "en") if i18n.current_lang() == "fr" else ("en", "fr")
    cells = [html.Div(ui.lang_label(lang), className=f"lang-h lang-h-{lang}") for lang in langs]
    for name, label, placeholder in TEXT_FACTS:
        for lang in langs:
            cells.append(_fact_field(name, label, lang, values[lang].get(name) or "",
                                     fact_placeholder(name, lang, hints[lang],
                                                      values[lang].get("cause"),
                                                      _(placeholder))))
    eta = i18n.hhmm(inc["facts"]["eta"]) if inc["facts"]["eta"] else ""
    return html.Section([
        html.H2(_("Facts")),
        html.P(_("Every message is written from these. Say what we know, what we don't, and "
                 "what we are doing. An empty French fact uses the English one."),
               className="muted"),
        html.Div(cells, className="facts-grid"),
        html.Div([
            html.Label(_("ETA ({zone})").format(zone=i18n.zone_abbreviation(
                inc["facts"]["eta"] or inc["declared_at"])), htmlFor="incident-fact-eta"),
            dcc.Input(id="incident-fact-eta", value=eta, type="text", className="input short",
                      placeholder=_("14:30 or 45")),
            html.Span(_(" a time (HH:MM) or minutes from now; empty = not known yet. "
                        "An ETA you are not sure of does more harm than none."),
                      className="muted"),
        ], className="field"),
        html.Div([html.Button(_("Save facts"), id="incident-facts-save",
                              className="btn primary"),
                  html.Span(id="incident-facts-msg")], className="buttons"),
    ], className="panel facts")


# --- the cause and what is still unknown ----------------------------------------------------

# "the cause" as people write it in "what we do not know yet", per language.
CAUSE_WORDS = {"en": re.compile(r"\b(?:cause|why)\b", re.IGNORECASE),
               "fr": re.compile(r"\b(?:cause|origine|pourquoi)\b", re.IGNORECASE)}


def has_text(value: str | None) -> bool:
    """A fact is filled in when it holds a letter or digit: "A bad change.  " is, ".  " and
    blanks are not."""
    return bool(re.search(r"\w", value or ""))


def names_cause(unknown: str | None, lang: str) -> bool:
    """Whether "what we do not know yet" still speaks of the cause (or why)."""
    return bool(CAUSE_WORDS.get(lang, CAUSE_WORDS["en"]).search(unknown or ""))


def fact_placeholder(name: str, lang: str, hint: dict, cause: str | None,
                     default: str) -> str:
    """The grey example in a fact's box: the playbook's suggestion, else `default`; for
    "what we do not know yet" once the cause is filled in, an example that no longer names
    it (the suggestion written before the cause was found would contradict it)."""
    suggestion = hint.get(name) if isinstance(hint.get(name), str) else None
    if name == "unknown" and has_text(cause):
        if suggestion and not names_cause(suggestion, lang):
            return suggestion
        return _("e.g. how long the repair will take") if lang == "en" \
            else "ex. la durée de la réparation"
    if suggestion:
        return suggestion
    if lang == "fr":
        return "vide = cause pas encore connue" if name == "cause" \
            else "vide = la version anglaise est utilisée"
    return default


def unknown_note(cause: str | None, unknown: str | None, lang: str) -> str | None:
    """A warning under "what we do not know yet" when it still names the cause although
    the cause is filled in: messages would say both."""
    if has_text(cause) and names_cause(unknown, lang):
        return _("The cause is filled in, but this still says it is unknown: say what is "
                 "still unknown now.")
    return None


@callback(
    Output("incident-fact-unknown", "placeholder"),
    Output("incident-fact-unknown-note", "children"),
    Output("incident-fr-unknown", "placeholder"), Output("incident-fr-unknown-note", "children"),
    Input("incident-fact-cause", "value"), Input("incident-fact-unknown", "value"),
    Input("incident-fr-cause", "value"), Input("incident-fr-unknown", "value"),
)
def follow_cause(cause, unknown, cause_fr, unknown_fr):
    """As the cause is typed (in either language), "what we do not know yet" stops
    suggesting the cause, and says so when its text still names it."""
    hints = {"en": _suggested(current().playbook_facts),
             "fr": _suggested(current().playbook_facts, "fr")}
    default = _({n: h for n, _label, h in TEXT_FACTS}["unknown"])
    return (fact_placeholder("unknown", "en", hints["en"], cause, default),
            unknown_note(cause, unknown, "en"),
            fact_placeholder("unknown", "fr", hints["fr"], cause_fr, default),
            unknown_note(cause_fr, unknown_fr, "fr"))


COMPONENT_STATES = (("operational", N_("Operational")),
                    ("degraded", N_("Degraded performance")),
                    ("partial_outage", N_("Partial outage")), ("major_outage", N_("Major outage")),
                    ("maintenance", N_("Under maintenance")))


def _components_form(inc: dict, comps: list[dict]):
    """What the public page shows for each component, changed with every update."""
    if not comps:
        return None
    rows = [html.Div([
        html.Label(c["name"], htmlFor=f"incident-comp-{c['key']}"),
        dcc.Dropdown(id={"type": "incident-comp", "key": c["key"]}, clearable=False,
                     options=[{"label": _(label), "value": v}
                              for v, label in COMPONENT_STATES],
                     value=c["state"]),
    ], className="third") for c in comps]
    return html.Section([
        html.H2(_("Status page components")),
        html.P(_("What customers see for each component under this incident; change it with "
                 "every update. While the incident is open, at least one stays affected."),
               className="muted"),
        html.Div(rows, className="row"),
        html.Div([html.Button(_("Update components"), id="incident-comps-save",
                              className="btn"),
                  html.Span(id="incident-comps-msg")], className="buttons"),
    ], className="panel components")


@callback(
    Output("incident-comps-msg", "children"),
    Output("incident-version", "data", allow_duplicate=True),
    Input("incident-comps-save", "n_clicks"),
    State({"type": "incident-comp", "key": ALL}, "value"),
    State({"type": "incident-comp", "key": ALL}, "id"),
    State("incident-id", "data"), State("incident-version", "data"),
    prevent_initial_call=True,
)
def save_components(n, states, ids, incident_id, version):
    if not n:
        raise PreventUpdate
    wanted = {i["key"]: v for i, v in zip(ids, states, strict=True) if v}
    try:
        changed = actions.set_incident_components(current(), current_user, incident_id, wanted)
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error"), no_update
    with current().store.session() as session:  # the components by name, in the reader's language
        names = {c["key"]: Localized(c["names"], c["key"])
                 for c in status_admin_data.components(session, current().clock())}
    return (ui.notice(_("Status page updated: {changes}").format(
                changes=stored_texts.listed(names.get(k, k) for k in changed))
            if changed else _("Nothing changed."), "ok"), (version or 0) + 1)


def _roles_form(inc: dict):
    fields = []
    for name, label in ROLES:
        fields.append(html.Div([
            html.Label(_(label), htmlFor=f"incident-role-{name}"),
            dcc.Input(id=f"incident-role-{name}", value=inc[name] or "", type="text",
                      className="input wide", placeholder=_("name")),
        ], className="third"))
    return html.Section([
        html.H2(_("Roles")), html.Div(fields, className="row"),
        html.Div([html.Button(_("Save roles"), id="incident-roles-save", className="btn"),
                  html.Span(id="incident-roles-msg")], className="buttons"),
        # The same holders as the crisis cell's; the other roles, pages and handovers there.
        html.P(dcc.Link(_("The whole crisis cell: every role, on-duty time, handovers"),
                        href="/cell"), className="muted"),
    ], className="panel")


def render_header(inc: dict, now):
    return html.Div([
        html.H1([html.Span(f"#{inc['id']} ", className="muted"), inc["title"]]),
        html.Div([
            ui.phase_badge(inc["phase"], big=True), ui.severity_badge(inc["severity"]),
            html.Span(ui.crisis_type_label(inc["crisis_type"]), className="tag"),
            html.Span(_("declared {time} by {user} ({ago})").format(
                time=ui.zoned(inc["declared_at"]), user=inc["declared_by"],
                ago=ui.ago(inc["declared_at"], now)), className="muted"),
            dcc.Link(_("{n} draft(s) waiting for approval →").format(n=inc["drafts_waiting"]),
                     href="/approvals",
                     className="btn" + (" primary" if inc["drafts_waiting"] else " ghost")),
        ], className="inc-badges"),
    ], className="incident-header")


def render_phase(inc: dict, can_edit: bool):
    current_phase = html.Div([_("Now: "), ui.phase_badge(inc["phase"], big=True)],
                             className="phase-now")
    if not inc["transitions"]:
        return [current_phase, html.Div(_("Final phase: nothing comes after."),
                                        className="muted")]
    buttons = [
        html.Button([html.Span(ui.phase_label(p), className="to"),
                     html.Span(_(PHASE_HINTS[p]) if p in PHASE_HINTS else "",
                               className="hint")],
                    id={"type": "incident-phase", "to": p}, disabled=not can_edit,
                    className=f"btn phase-btn phase-btn-{p}")
        for p in inc["transitions"]
    ]
    return [current_phase, html.Div(_("Move to:"), className="small-h"),
            html.Div(buttons, className="buttons")]


def render_timeline(events: list[dict]):
    if not events:
        return html.Div(_("Nothing yet."), className="muted")
    return html.Ol([
        html.Li([html.Span(ui.hhmm(e["at"]), className="t-at", title=ui.zoned(e["at"])),
                 html.Span(_(TIMELINE_KINDS[e["kind"]]) if e["kind"] in TIMELINE_KINDS
                           else e["kind"], className=f"t-kind t-{e['kind']}"),
                 # t-said: in the reader's language (stored with its key); t-detail: a
                 # row from before the keys, shown as stored
                 html.Span(e["detail"], className="t-said" if e.get("said") else "t-detail"),
                 html.Span(e["actor"], className="t-actor")], className="t-item")
        for e in events
    ], className="timeline")


_WALL_CLOCK = re.compile(r"^\s*(\d{1,2})\s*[:hH]\s*(\d{2})\s*$")


def eta_in_utc(text: str | None, now) -> str | None:
    """The ETA field as typed, with a time of day ("14:30", "14h30") read in the user's
    zone and rewritten in UTC for `actions.parse_eta`; durations ("45") and anything else
    pass unchanged (parse_eta judges them)."""
    m = _WALL_CLOCK.match(text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        return text
    wall = i18n.naive_local(now).replace(hour=int(m.group(1)), minute=int(m.group(2)),
                                        second=0, microsecond=0)
    return f"{i18n.to_utc(wall):%H:%M} UTC"


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.role in ("editor", "approver",
                                                                     "admin")


@callback(
    Output("incident-header", "children"), Output("incident-phase", "children"),
    Output("incident-phase-drawn", "data"),
    Output("incident-clocks", "children"), Output("incident-timeline", "children"),
    Input("incident-tick", "n_intervals"), Input("incident-version", "data"),
    State("incident-id", "data"), State("incident-phase-drawn", "data"),
)
def refresh(_n, _version, incident_id, drawn):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        inc = data.incident(session, now, incident_id)
        events = data.timeline(session, incident_id) if inc else []
    if inc is None:
        raise PreventUpdate
    return (render_header(inc, now), *ui.redraw_if_changed(render_phase(inc, _can_edit()), drawn),
            ui.clocks_view(inc["clocks"], "incident"), render_timeline(events))


@callback(
    Output("incident-flash", "children"), Output("incident-version", "data"),
    Output(ui.SHELL_REFRESH, "data", allow_duplicate=True),  # the header shows the new phase
    Input({"type": "incident-phase", "to": ALL}, "n_clicks"),
    State("incident-id", "data"), State("incident-version", "data"),
    prevent_initial_call=True,
)
def change_phase(_clicks, incident_id, version):
    trigger = dash.ctx.triggered_id
    if not trigger or not any(t["value"] for t in dash.ctx.triggered):
        raise PreventUpdate
    try:
        actions.set_phase(current(), current_user, incident_id, trigger["to"])
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error"), no_update, no_update
    label = ui.phase_label(trigger["to"])
    return html.Div([_("Phase is now {phase}. The suggested updates were rewritten: ").format(
                         phase=label),
                     dcc.Link(_("review and approve them"), href="/approvals"), "."],
                    className="notice notice-ok", role="status"), (version or 0) + 1, \
        trigger["to"]


@callback(
    Output("incident-facts-msg", "children"),
    Output("incident-version", "data", allow_duplicate=True),
    Input("incident-facts-save", "n_clicks"),
    *[State(f"incident-fact-{name}", "value") for name, _label, _hint in TEXT_FACTS],
    State("incident-fact-eta", "value"),
    *[State(f"incident-fr-{name}", "value") for name, _label, _hint in TEXT_FACTS],
    State("incident-id", "data"), State("incident-version", "data"),
    prevent_initial_call=True,
)
def save_facts(n, *values):
    if not n:
        raise PreventUpdate
    names = [name for name, _label, _hint in TEXT_FACTS]
    en = dict(zip(names, values[:5]))
    eta = values[5]
    fr = dict(zip(names, values[6:11]))
    incident_id, version = values[11], values[12]
    try:
        changed = actions.set_facts(current(), current_user, incident_id, en=en, fr=fr,
                                    eta=eta_in_utc(eta, current().clock()))
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error"), no_update
    if not changed:
        return ui.notice(_("Nothing changed."), "info"), no_update
    return (ui.notice(_("Saved ({changes}). Drafts rewritten from the new facts.").format(
        changes=stored_texts.listed(fact_word(c) for c in changed)), "ok"), (version or 0) + 1)


@callback(
    Output("incident-roles-msg", "children"),
    Output("incident-version", "data", allow_duplicate=True),
    Input("incident-roles-save", "n_clicks"),
    State("incident-role-commander", "value"), State("incident-role-comms_lead", "value"),
    State("incident-role-tech_lead", "value"), State("incident-id", "data"),
    State("incident-version", "data"),
    prevent_initial_call=True,
)
def save_roles(n, commander, comms_lead, tech_lead, incident_id, version):
    if not n:
        raise PreventUpdate
    try:
        changed = actions.set_roles(current(), current_user, incident_id, commander=commander,
                                    comms_lead=comms_lead, tech_lead=tech_lead)
    except actions.ActionError as exc:
        return ui.notice(str(exc), "error"), no_update
    return ui.notice(_("Saved.") if changed else _("Nothing changed."), "ok"), \
        (version or 0) + 1
