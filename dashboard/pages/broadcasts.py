"""Broadcasts: messages to segments, each recipient asked to confirm (issue 18).

Live (every few seconds): per broadcast and segment, recipients, sent, delivered, confirmed
(with a bar), re-sent, escalated, held by quiet hours, and those who never answered or could
not be reached; the contacts per segment. An editor or approver writes a new broadcast from
the active incident: segments, channels in preference order, the text (linted: errors
refuse it). It then waits on the Approvals page like every message; once approved (warnings
need a reason there), the broadcast stage of the pipeline does the sending. Everything from
the store is rendered as text."""

from __future__ import annotations

from collections import Counter

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from sqlalchemy import select

from dashboard import components as ui
from dashboard import i18n, stored_texts
from dashboard.context import current
from dashboard.i18n import N_, _
from responders import regulators
from responders.broadcasts import CHANNELS, BroadcastError, by_segment, create_broadcast
from responders.contacts import SEGMENTS, find_contact
from responders.incidents import active_incident, latest_resolved
from responders.key_accounts import LABELS, complete
from responders.key_accounts import plan as key_account_plan
from store.models import BroadcastRow, ContactRow, DraftRow, RegulatorClockRow

dash.register_page(__name__, path="/broadcasts", name=N_("Broadcasts"), order=7)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
FIGURES = [("recipients", N_("Recipients")), ("sent", N_("Sent")),
           ("delivered", N_("Delivered")), ("confirmed", N_("Confirmed")),
           ("resent", N_("Re-sent")), ("escalated", N_("Escalated")),
           ("held", N_("Held (quiet hours)")), ("unconfirmed", N_("No answer")),
           ("failed", N_("Unreachable")), ("stale", N_("Out of date")),
           ("opted_out", N_("Opted out")), ("informed", N_("Informed (no reply asked)"))]
# responders.key_accounts.LABELS and regulators.LABELS, shown in the user's language.
TASK_LABELS = {"call": N_("Call the client personally"),
               "channel": N_("Open the shared channel"),
               "update": N_("Update in the shared channel"),
               "followup": N_("Personal follow-up")}
REGULATOR_LABELS = {"eu-gdpr": N_("GDPR art. 33 (EU supervisory authority, e.g. the CNIL)"),
                    "uk-gdpr": N_("UK GDPR art. 33 (the ICO)"),
                    "ch-ndsg": N_("nFADP art. 24 (the FDPIC)")}
CLOCK_STATES = {"ok": N_("on time"), "due": N_("due"), "overdue": N_("overdue"),
                "done": N_("done"), "notified": N_("notified")}


def _task(task: str) -> str:
    return _(TASK_LABELS[task]) if task in TASK_LABELS else LABELS.get(task, task)


def _clock_state(state: str) -> str:
    return _(CLOCK_STATES[state]) if state in CLOCK_STATES else state


def layout(**_query):
    return html.Div([
        dcc.Interval(id="broadcasts-tick", interval=REFRESH_MS),
        html.H1(_("Broadcasts")),
        html.P(_("Each recipient is asked to confirm: an SMS reply YES / OUI, or the link in "
                 "the e-mail or Slack message. Those who do not are re-sent the message, then "
                 "reached on their other channel. Quiet hours hold non-critical messages."),
               className="muted"),
        html.Div(id="broadcasts-list"),
        html.H2(_("Key accounts")),
        html.P(_("The owner calls the client first, then opens the shared channel and keeps "
                 "the client informed there every 2 hours; after resolution, the personal "
                 "follow-up."), className="muted"),
        html.Div(id="broadcasts-keyaccounts"),
        html.Div(id="broadcasts-ka-flash"),
        html.H2(_("Regulator")),
        html.Div(id="broadcasts-regulator"),
        html.H2(_("Contacts")),
        html.Div(id="broadcasts-contacts"),
        dcc.Upload(id="broadcasts-upload", multiple=False, className="card",
                   children=html.Div([_("Import contacts: drop a CSV here or "),
                                      html.A(_("choose a file")),
                                      _(" (name, segments, email, phone, lang, tz, "
                                        "organisation, owner; segments separated by ;).")])),
        html.Div(id="broadcasts-import-report"),
        html.H2(_("New broadcast")),
        html.Div(className="card", children=[
            html.Label(_("Segments")),
            dcc.Checklist(id="broadcasts-segments", inline=True, value=["staff"],
                          options=[{"label": ui.segment_label(s), "value": s}
                                   for s in SEGMENTS]),
            html.Label(_("Channels (in order of preference)")),
            dcc.Checklist(id="broadcasts-channels", inline=True, value=list(CHANNELS),
                          options=[{"label": ui.channel_label(c), "value": c}
                                   for c in CHANNELS]),
            html.Label(_("Language")),
            dcc.RadioItems(id="broadcasts-lang", inline=True, value="en",
                           options=[{"label": ui.lang_label("en"), "value": "en"},
                                    {"label": ui.lang_label("fr"), "value": "fr"}]),
            html.Label(_("Subject (e-mail)")),
            dcc.Input(id="broadcasts-subject", type="text", style={"width": "100%"}),
            html.Label(_("Message")),
            dcc.Textarea(id="broadcasts-body", style={"width": "100%", "height": "110px"}),
            html.P(_("It goes to the Approvals page: nothing is sent before an approver "
                     "approves it there (and gives a reason for any lint warning)."),
                   className="muted"),
            html.Button(_("Queue for approval"), id="broadcasts-send", className="btn"),
            html.Div(id="broadcasts-flash"),
        ]),
    ])


def render_broadcasts(broadcasts: list[dict], rows: list[dict]):
    if not broadcasts:
        return html.P(_("No broadcast yet."), className="muted", id="broadcasts-empty")
    out = []
    for b in broadcasts:
        mine = [r for r in rows if r["broadcast"] == b["id"]]
        header = html.Tr([html.Th(_("Segment")),
                          *[html.Th(_(label)) for _key, label in FIGURES]])
        body = []
        for r in mine:
            share = r["confirmed"] / r["recipients"] if r["recipients"] else 0
            body.append(html.Tr([
                html.Td(ui.segment_label(r["segment"])),
                *[html.Td(str(r[key]), className=f"broadcasts-{key}")
                  for key, _label in FIGURES[:4]],
                *[html.Td(str(r[key])) for key, _label in FIGURES[4:]],
            ], className="broadcasts-row", **{"data-segment": r["segment"]}))
            body.append(html.Tr(html.Td(colSpan=len(FIGURES) + 1, children=html.Div(
                html.Div(style={"width": f"{share:.0%}", "height": "6px",
                                "background": "#16a34a"}),
                style={"background": "#e2e8f0", "height": "6px"},
                title=_("{share} confirmed").format(share=f"{share:.0%}")))))
        out.append(html.Div(className="card", id=f"broadcast-{b['id']}", children=[
            html.H3(f"#{b['id']} · {', '.join(map(ui.segment_label, b['segments']))} · "
                    f"{ui.severity_label(b['severity'])} · {ui.zoned(b['created_at'])} · "
                    + state_text(b),
                    className=f"broadcast-state-{b['state']}"),
            html.P(b["body"], className="broadcasts-text"),
            html.Table([html.Thead(header), html.Tbody(body)], className="table"),
        ]))
    return out


def state_text(b: dict) -> str:
    """Where the broadcast stands: waiting for approval (or withdrawn, why in the reader's
    language), or approved by whom."""
    if b["state"] != "awaiting":
        return _("approved by {approver}").format(approver=b["approved_by"])
    if b["draft_status"] == "rejected":
        why = stored_texts.from_row(b["void_key"], b["void_params"], b["void_reason"] or "")
        return _("withdrawn, not sent: {reason}").format(
            reason=why or _("rejected on the Approvals page"))
    if b["draft_status"] == "approved":
        return _("approved; the broadcast stage sends it on its next run")
    return _("written by {author}, waiting for approval on the Approvals page").format(
        author=b["created_by"])


def render_contacts(counts: Counter, opted_out: int):
    if not counts:
        return html.P(_("No contacts: run `crisiswatch contacts import FILE.csv`."),
                      className="muted")
    return html.P("; ".join(f"{ui.segment_label(s)}: {counts[s]}" for s in SEGMENTS
                            if counts[s])
                  + (" · " + _("{n} opted out").format(n=opted_out) if opted_out else ""))


STATE_STYLE = {"ok": "#166534", "due": "#854d0e", "overdue": "#991b1b", "done": "#475569",
               "notified": "#475569"}


def render_key_accounts(rows: list, now):
    if not rows:
        return html.P(_("No incident, or no key account (segment key-accounts)."),
                      className="muted")
    head = html.Tr([html.Th(h) for h in (_("Client"), _("Owner"), _("Next"), _("Due"),
                                         _("State"), "")])
    body = [html.Tr([
        html.Td(f"{r.organisation or r.name} ({r.name})"), html.Td(r.owner),
        html.Td(_task(r.next_task) if r.next_task else "—"),
        html.Td(i18n.clock_text(r.due_at, date=True) if r.due_at else "—"),
        html.Td(_clock_state(r.state), className="ka-state",
                style={"color": STATE_STYLE[r.state], "fontWeight": "700"}),
        html.Td(html.Button(_("Done"), id={"type": "broadcasts-ka-done", "contact": r.contact_id,
                                        "task": r.next_task}, className="btn")
                if r.next_task else ""),
    ], className="ka-row") for r in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="table")


def render_regulator(clocks: list[dict]):
    if not clocks:
        return html.P(_("No regulator clock (a data-leak incident starts one: GDPR art. 33, "
                        "72 hours from awareness)."), className="muted")
    column = 1 if i18n.current_lang() == "fr" else 0  # CHECKLIST holds (English, French)
    return [html.Div(className="card", children=[
        html.Strong(_(REGULATOR_LABELS[c["jurisdiction"]]) + ": "
                    if c["jurisdiction"] in REGULATOR_LABELS
                    else f"{regulators.LABELS.get(c['jurisdiction'], c['jurisdiction'])}: "),
        html.Span(_("due by {time} ({state})").format(
                      time=i18n.clock_text(c["due_at"], date=True),
                      state=_clock_state(c["state"])),
                  style={"color": STATE_STYLE[c["state"]], "fontWeight": "700"},
                  id=f"regulator-{c['jurisdiction']}"),
        html.P(_("Aware since {time}.").format(time=i18n.clock_text(c["aware_at"], date=True))
               + (" " + _("Still missing: {items}.").format(
                   items=", ".join(regulators.CHECKLIST[k][column].lower()
                                   for k in c["missing"]))
                  if c["missing"] else " " + _("Notification complete.")), className="muted"),
    ]) for c in clocks]


@callback(
    Output("broadcasts-list", "children"), Output("broadcasts-contacts", "children"),
    Output("broadcasts-keyaccounts", "children"), Output("broadcasts-regulator", "children"),
    Input("broadcasts-tick", "n_intervals"), Input("broadcasts-flash", "children"),
    Input("broadcasts-ka-flash", "children"), Input("broadcasts-import-report", "children"),
)
def refresh(_n, _flash, _ka, _imported):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = active_incident(session) or latest_resolved(session)
        accounts = key_account_plan(session, incident, now) if incident else []
        clocks = [{"jurisdiction": c.jurisdiction, "due_at": c.due_at, "aware_at": c.aware_at,
                   "state": regulators.state(c, now), "missing": regulators.missing(c)}
                  for c in session.execute(select(RegulatorClockRow).where(
                      RegulatorClockRow.incident_id == incident.id)).scalars()] \
            if incident else []
        broadcasts = [{"id": b.id, "segments": b.segments, "severity": b.severity,
                       "created_at": b.created_at, "approved_by": b.approved_by,
                       "created_by": b.created_by, "state": b.state, "body": b.body,
                       "draft_status": status, "void_reason": void_reason,
                       "void_key": void_key, "void_params": void_params}
                      for b, status, void_reason, void_key, void_params in session.execute(
            select(BroadcastRow, DraftRow.status, DraftRow.void_reason, DraftRow.void_key,
                   DraftRow.void_params)
            .outerjoin(DraftRow, DraftRow.id == BroadcastRow.draft_id)
            .order_by(BroadcastRow.id.desc()).limit(20)).all()]
        rows = by_segment(session)
        counts: Counter = Counter()
        opted_out = 0
        for segments, out in session.execute(select(ContactRow.segments,
                                                    ContactRow.opted_out_at)):
            if out is not None:
                opted_out += 1
                continue
            counts.update(segments or [])
    return (render_broadcasts(broadcasts, rows), render_contacts(counts, opted_out),
            render_key_accounts(accounts, now), render_regulator(clocks))


@callback(
    Output("broadcasts-ka-flash", "children"),
    Input({"type": "broadcasts-ka-done", "contact": ALL, "task": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def key_account_done(clicks):
    trigger = dash.ctx.triggered_id
    if not trigger or not any(clicks or []) or not dash.ctx.triggered[0]["value"]:
        raise PreventUpdate
    user = current_user
    if not getattr(user, "is_authenticated", False) or \
            user.role not in ("editor", "approver", "admin"):
        return ui.notice(_("Editors and approvers record key-account tasks."), "error")
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = active_incident(session) or latest_resolved(session)
        contact = find_contact(session, str(trigger["contact"]))
        if incident is None or contact is None:
            return ui.notice(_("That key account or incident no longer exists."), "error")
        complete(session, incident, contact, trigger["task"], actor=user.username, now=now)
        name = contact.organisation or contact.name
    return ui.notice(_("{client}: {task} recorded.").format(
        client=name, task=_task(trigger["task"]).lower()), "info")


@callback(
    Output("broadcasts-flash", "children"),
    Input("broadcasts-send", "n_clicks"),
    State("broadcasts-segments", "value"), State("broadcasts-channels", "value"),
    State("broadcasts-lang", "value"), State("broadcasts-subject", "value"),
    State("broadcasts-body", "value"),
    prevent_initial_call=True,
)
def send(clicks, segments, channels, lang, subject, body):
    if not clicks:
        raise PreventUpdate
    user = current_user
    if not getattr(user, "is_authenticated", False):
        return ui.notice(_("Your session has ended: sign in again."), "error")
    ctx = current()
    # keep the page's order of preference, whatever order the boxes were ticked in
    chosen = [c for c in CHANNELS if c in (channels or [])]
    try:
        with ctx.store.session() as session:
            broadcast = create_broadcast(
                session, segments=[s for s in SEGMENTS if s in (segments or [])],
                body=body or "", author=user.username, role=user.role, now=ctx.clock(),
                incident=active_incident(session), subject=subject or "", lang=lang or "en",
                channels=chosen)
            bid = broadcast.id
    except BroadcastError as exc:
        return ui.notice(_("Not queued: {reason}").format(reason=stored_texts.say(exc.wording)),
                         "error")
    return ui.notice(_("Broadcast #{id} is waiting for approval on the Approvals page.")
                     .format(id=bid), "info")


IMPORT_ROLES = ("approver", "admin")


@callback(
    Output("broadcasts-import-report", "children"),
    Input("broadcasts-upload", "contents"), State("broadcasts-upload", "filename"),
    prevent_initial_call=True,
)
def import_contacts(contents, filename):
    """The same import as `crisiswatch contacts import`, report included."""
    import base64
    import binascii

    from responders.contacts import ContactError, import_csv

    if not contents:
        raise PreventUpdate
    user = current_user
    if not getattr(user, "is_authenticated", False) or user.role not in IMPORT_ROLES:
        return ui.notice(_("Only approvers and admins import contacts."), "error")
    try:
        text = base64.b64decode(contents.partition(",")[2]).decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        return ui.notice(_("{file}: not a UTF-8 CSV file; nothing imported.").format(
            file=filename), "error")
    ctx = current()
    try:
        with ctx.store.session() as session:
            report = import_csv(session, text, ctx.clock())
    except ContactError as exc:
        return ui.notice(_("{file}: {error}; nothing imported.").format(file=filename,
                                                                         error=exc), "error")
    first, *refused = report.lines()
    return html.Div([ui.notice(f"{filename}: {first}.", "error" if refused else "info"),
                     html.Ul([html.Li(line) for line in refused], id="broadcasts-refused")
                     if refused else None])
