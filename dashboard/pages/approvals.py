"""Approvals: every message waiting for a human yes, grouped by audience, with the
linter's findings in plain words. What the approver reads is exactly what goes out."""

from __future__ import annotations

import dash
from dash import ALL, MATCH, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import actions, data
from dashboard import components as ui
from dashboard.context import current
from dashboard.i18n import N_, _
from responders.outbox import needs_check

dash.register_page(__name__, path="/approvals", name=N_("Approvals"), order=3)
callback = ui.Callbacks()  # registered on the app by create_app

REFRESH_MS = 3000
MAX_CARDS = 6  # per group: a wall of cards is not read, a short queue is
GROUP_LABELS = dict(data.GROUPS)
RULE_WORDS = {"truth": N_("Truth"), "calm": N_("Calm"), "action": N_("Action"),
              "over_promise": N_("Over-promise"), "vague": N_("Vague"),
              "blameless": N_("Blameless"), "length": N_("Length"), "linter": N_("Linter"),
              "stale": N_("Out of date"), "blame": N_("Blame"), "denial": N_("Denial"),
              "mixed_language": N_("Mixed languages"), "translate": N_("Untranslated fact")}


def layout(**_query):
    return html.Div([
        dcc.Interval(id="approvals-tick", interval=REFRESH_MS),
        dcc.Store(id="approvals-version", data=0),
        dcc.Store(id="approvals-sig"),
        html.H1(_("Approvals")),
        html.P(_("Nothing is sent until someone approves it here. Read it as the audience "
                 "will."), className="muted"),
        html.Div(id="approvals-flash"),
        html.Div(id="approvals-check"),
        html.Div(id="approvals-stale"),
        html.Div([
            html.Div(id="approvals-queue", className="col-main"),
            html.Aside([html.H2(_("Recently sent")), html.Div(id="approvals-sent")],
                       className="col-side panel"),
        ], className="incident-grid"),
    ])


# --- rendering ---------------------------------------------------------------------------

def render_findings(findings: list[dict], body: str):
    if not findings:
        return html.Div(_("✓ No problems found by the checker."), className="lint-ok")
    items = []
    for f in sorted(findings, key=lambda f: f["severity"] != "error"):
        quoted = None
        if f.get("span"):
            a, b = f["span"]
            snippet = body[a:b]
            if snippet:
                quoted = html.Span(f"“{snippet}”", className="lint-quote")
        items.append(html.Li([
            html.Span(_("✗ Must fix") if f["severity"] == "error" else _("⚠ Check"),
                      className="lint-sev"),
            html.Span(_(RULE_WORDS[f["rule"]]) if f["rule"] in RULE_WORDS else f["rule"],
                      className="lint-rule"),
            html.Span(f["message"], className="lint-msg"), quoted,
        ], className=f"lint lint-{f['severity']}"))
    return html.Ul(items, className="lints")


def _has_warnings(findings):
    return any(f["severity"] == "warning" for f in findings)


def render_broadcast_reach(info: dict, did: int):
    """Who a broadcast draft goes to, and what one SMS of it costs as sent (issue 18)."""
    langs = ", ".join(ui.lang_label(x) for x in info["langs"]) if info["langs"] else _(
        "every language")
    lines = [html.Div(_("To {segments} ({langs}) by {channels}: {n} contact(s) now.").format(
        segments=", ".join(info["segments"]), langs=langs,
        channels=", ".join(ui.channel_label(c) for c in info["channels"]),
        n=info["recipients"]))]
    lines.append(html.Div(_("Each recipient is asked to confirm (SMS YES / OUI, or a link).")
                          if info["ask_confirm"] else _("An update to read: no reply asked.")))
    if info["sms"]:
        lines.append(html.Div(_("SMS as sent: {chars} characters, {encoding}, {segments} "
                                "segment(s) each.").format(**info["sms"]),
                              id=f"approvals-sms-{did}"))
    return html.Div(lines, className="broadcast-reach muted")


def render_card(d: dict, can_edit: bool, can_approve: bool):
    did = d["id"]
    head = html.Div([
        html.Span(_("EXERCISE"), className="tag tag-exercise") if d.get("exercise") else None,
        html.Span(ui.channel_label(d["channel"]), className="chan"),
        html.Span(ui.lang_label(d["lang"]), className=f"tag lang-{d['lang']}"),
        ui.phase_badge(d["phase"]) if d["phase"] else None,
        html.Span(_("#{id} · by {author} · updated {time}").format(
            id=did, author=d["author"], time=ui.zoned(d["updated_at"])), className="muted"),
    ], className="card-head")
    parts = [head]
    if d["mention"]:
        parts.append(html.Div([html.Div(_("Replying to"), className="small-h"),
                               ui.mention_quote(d["mention"])], className="replying"))
    if d["untranslated"]:
        parts.append(ui.notice(
            _("This message is in {lang} but these facts have no translation yet, so they "
              "appear in English: {facts}. Add them on the Incident page.").format(
                lang=ui.lang_label(d["lang"]), facts=", ".join(d["untranslated"])), "error"))
    if d.get("stale"):
        parts.append(ui.notice(
            _("Cannot be approved or sent: this draft is {reason}.").format(reason=d["stale"]),
            "error"))
    if d.get("broadcast"):
        parts.append(render_broadcast_reach(d["broadcast"], did))
    if d["subject"]:
        parts.append(html.Div([_("Subject: "), html.B(d["subject"])], className="subject"))
    if d["status"] != "draft":
        parts += [html.Div(d["body"], className="body-ro"),
                  html.Div((_("Approved, waiting for the broadcast stage to send it.")
                            if d["kind"] == "broadcast" else
                            _("Approved, waiting for the outbox to send it."))
                           if d["status"] == "approved" else _("Sending…"), className="muted")]
        return html.Div(parts, className="card card-approved", id=f"approvals-card-{did}")
    rows = max(3, min(14, d["body"].count("\n") + len(d["body"]) // 120 + 1))
    parts += [
        dcc.Textarea(id={"type": "approvals-body", "draft": did}, value=d["body"], rows=rows,
                     className="input wide body", readOnly=not can_edit),
        dcc.Store(id={"type": "approvals-base", "draft": did}, data=d["body"]),
        html.Div(render_findings(d["findings"], d["body"]),
                 id={"type": "approvals-lint", "draft": did}),
        html.Div([
            html.Label(_("Reason to send despite the warnings"), className="small-h"),
            dcc.Input(id={"type": "approvals-override", "draft": did}, type="text",
                      className="input wide",
                      placeholder=_("e.g. figure confirmed by the tech lead")),
        ], id={"type": "approvals-override-box", "draft": did},
            style=None if _has_warnings(d["findings"]) else {"display": "none"}),
        html.Div([
            html.Button(_("Approve and send"), id={"type": "approvals-approve", "draft": did},
                        className="btn primary", disabled=not can_approve or bool(d.get("stale")),
                        title=d.get("stale") if d.get("stale") else (
                            None if can_approve else _("Only an approver or admin can approve"))),
            html.Button(_("Save edit"), id={"type": "approvals-save", "draft": did},
                        className="btn", disabled=not can_edit),
            html.Button(_("Reject"), id={"type": "approvals-reject", "draft": did},
                        className="btn ghost danger-text", disabled=not can_edit),
        ], className="buttons"),
        html.Div(id={"type": "approvals-msg", "draft": did}),
    ]
    return html.Div(parts, className="card", id=f"approvals-card-{did}")


def render_checks(items: list[dict], can_approve: bool):
    """Approved messages whose sending failed or could not be confirmed: a human checks
    the channel, then either records the link of a post made by hand or sends again."""
    if not items:
        return None
    cards = [html.H2(_("Needs a human · {n}").format(n=len(items)), className="group-h")]
    for d in items:
        did = d["id"]
        channel = ui.channel_label(d["channel"])
        why = (_("We could not confirm whether this reached {channel}. Look there first: if "
                 "it is posted, paste its link; if not, send it again.").format(channel=channel)
               if d["status"] == "needs_check" else
               _("Sending to {channel} failed{error}. Post it by hand and paste the link, or "
                 "send it again once fixed.").format(
                   channel=channel, error=f" ({d['error']})" if d["error"] else ""))
        cards.append(html.Div([
            html.Div([html.Span(channel, className="chan"),
                      html.Span(ui.lang_label(d["lang"]),
                                className=f"tag lang-{d['lang']}"),
                      html.Span(f"#{did}", className="muted")], className="card-head"),
            ui.notice(why, "error"),
            html.Div(d["body"], className="body-ro"),
            html.Div([
                dcc.Input(id={"type": "approvals-posted-url", "draft": did}, type="url",
                          className="input wide",
                          placeholder=_("https://... (link to the post)")),
                html.Button(_("Mark as posted"), id={"type": "approvals-posted", "draft": did},
                            className="btn primary", disabled=not can_approve),
                html.Button(_("Send again"), id={"type": "approvals-again", "draft": did},
                            className="btn", disabled=not can_approve),
            ], className="buttons"),
        ], className="card card-check", id=f"approvals-check-{did}"))
    return cards


def render_queue(queue: list[dict], role: str | None):
    can_edit = role in ("editor", "approver", "admin")
    can_approve = role in ("approver", "admin")
    if not queue:
        return html.Div(_("Nothing waiting for approval."), className="empty panel ok")
    sections = []
    for group, label in data.GROUPS:
        cards = [d for d in queue if d["group"] == group]
        if not cards:
            continue
        if group == "reply":  # answer the most-read first; the rest can wait a refresh
            cards.sort(key=lambda d: -(d["mention"] or {}).get("followers", 0))
        sections.append(html.H2(f"{_(label)} · {len(cards)}", className="group-h"))
        sections += [render_card(d, can_edit, can_approve) for d in cards[:MAX_CARDS]]
        if len(cards) > MAX_CARDS:
            sections.append(html.Div(
                _("{n} more waiting; they appear as these are handled "
                  "(most-read mentions first).").format(n=len(cards) - MAX_CARDS),
                className="muted more"))
    return sections


def render_sent(sent: list[dict]):
    if not sent:
        return html.Div(_("Nothing sent yet."), className="muted")
    items = []
    for s in sent:
        last = s["deliveries"][-1] if s["deliveries"] else None
        ok = s["status"] == "published"
        state = _("✓ sent {time}").format(time=ui.zoned(s["published_at"])) if ok else (
            _("✗ failed") + (f": {last['error']}" if last and last["error"] else ""))
        first = s["subject"] or s["body"].split("\n", 1)[0]
        items.append(html.Li([
            html.Div([html.Span(state, className="sent-ok" if ok else "sent-fail"),
                      html.Span(f" {_(GROUP_LABELS[s['group']])} · "
                                f"{ui.channel_label(s['channel'])} · "
                                f"{s['lang']} · #{s['id']}", className="muted")]),
            html.Div(first[:140] + ("…" if len(first) > 140 else ""), className="sent-text"),
            html.Div(_("{n} attempt(s)").format(n=len(s["deliveries"]))
                     + (f", id {last['external_id']}" if last and last["external_id"] else ""),
                     className="muted small"),
        ], className="sent-item"))
    return html.Ul(items, className="sent")


# --- callbacks ---------------------------------------------------------------------------

@callback(
    Output("approvals-queue", "children"), Output("approvals-sig", "data"),
    Output("approvals-stale", "children"), Output("approvals-sent", "children"),
    Output("approvals-check", "children"),
    Input("approvals-tick", "n_intervals"), Input("approvals-version", "data"),
    State("approvals-sig", "data"),
    State({"type": "approvals-body", "draft": ALL}, "value"),
    State({"type": "approvals-base", "draft": ALL}, "data"),
)
def refresh(_n, _version, old_sig, bodies, bases):
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        sig = data.queue_signature(session, now)
        sent = render_sent(data.recently_sent(session))
        sig.append([d["id"] for d in needs_check(session)])  # the check list redraws too
        forced = dash.ctx.triggered_id == "approvals-version"
        if sig == old_sig and not forced:
            return no_update, no_update, no_update, sent, no_update
        editing = any(b != base for b, base in zip(bodies or [], bases or []))
        if editing and not forced:
            return no_update, no_update, ui.notice(
                _("New or changed drafts are waiting. They appear when you save, approve or "
                  "reject the one you are editing."), "info"), sent, no_update
        queue = data.approval_queue(session, now)
        checks = needs_check(session)
    role = current_user.role if current_user.is_authenticated else None
    return (render_queue(queue, role), sig, None, sent,
            render_checks(checks, role in ("approver", "admin")))


@callback(
    Output({"type": "approvals-lint", "draft": MATCH}, "children"),
    Output({"type": "approvals-override-box", "draft": MATCH}, "style"),
    Input({"type": "approvals-body", "draft": MATCH}, "value"),
    prevent_initial_call=True,
)
def relint(body):
    draft_id = dash.ctx.triggered_id["draft"]
    ctx = current()
    now = ctx.clock()
    with ctx.store.session() as session:
        from store.models import DraftRow

        row = session.get(DraftRow, draft_id)
        if row is None or body is None:
            raise PreventUpdate
        findings = data.findings(session, row, now, body=body)
    return (render_findings(findings, body),
            None if _has_warnings(findings) else {"display": "none"})


@callback(
    Output({"type": "approvals-msg", "draft": ALL}, "children"),
    Output("approvals-flash", "children"), Output("approvals-version", "data"),
    Input({"type": "approvals-approve", "draft": ALL}, "n_clicks"),
    Input({"type": "approvals-save", "draft": ALL}, "n_clicks"),
    Input({"type": "approvals-reject", "draft": ALL}, "n_clicks"),
    State({"type": "approvals-body", "draft": ALL}, "value"),
    State({"type": "approvals-base", "draft": ALL}, "data"),
    State({"type": "approvals-override", "draft": ALL}, "value"),
    State({"type": "approvals-msg", "draft": ALL}, "id"),
    State("approvals-version", "data"),
    prevent_initial_call=True,
)
def act(_a, _s, _r, bodies, bases, overrides, msg_ids, version):
    trigger = dash.ctx.triggered_id
    if not trigger or not any(t["value"] for t in dash.ctx.triggered):
        raise PreventUpdate
    draft_id, kind = trigger["draft"], trigger["type"]
    ids = [m["draft"] for m in msg_ids]
    body_ids = [x["id"]["draft"] for x in dash.ctx.states_list[0]]
    base_ids = [x["id"]["draft"] for x in dash.ctx.states_list[1]]
    override_ids = [x["id"]["draft"] for x in dash.ctx.states_list[2]]
    body = dict(zip(body_ids, bodies)).get(draft_id)
    base = dict(zip(base_ids, bases)).get(draft_id)
    override = dict(zip(override_ids, overrides)).get(draft_id)
    ctx = current()
    messages = [no_update] * len(ids)
    try:
        if kind == "approvals-approve":
            result = actions.approve(ctx, current_user, draft_id, seen=body, base=base,
                                     override_reason=override)
            flash = _("Draft #{id}: {result}").format(id=draft_id, result=_(result))
        elif kind == "approvals-save":
            changed = actions.edit(ctx, current_user, draft_id, body or "")
            flash = (_("Draft #{id} saved; it needs approval as edited.")
                     if changed else _("Draft #{id}: no change to save.")).format(id=draft_id)
        else:
            actions.reject(ctx, current_user, draft_id)
            flash = _("Draft #{id} rejected; it will not be sent.").format(id=draft_id)
    except actions.ActionError as exc:
        if draft_id in ids:
            messages[ids.index(draft_id)] = ui.notice(str(exc), "error")
        return messages, no_update, no_update
    return messages, ui.notice(flash, "ok"), (version or 0) + 1


@callback(
    Output("approvals-flash", "children", allow_duplicate=True),
    Output("approvals-version", "data", allow_duplicate=True),
    Input({"type": "approvals-posted", "draft": ALL}, "n_clicks"),
    Input({"type": "approvals-again", "draft": ALL}, "n_clicks"),
    State({"type": "approvals-posted-url", "draft": ALL}, "value"),
    State("approvals-version", "data"),
    prevent_initial_call=True,
)
def resolve_check(_posted, _again, urls, version):
    trigger = dash.ctx.triggered_id
    if not trigger or not any(t["value"] for t in dash.ctx.triggered):
        raise PreventUpdate
    draft_id = trigger["draft"]
    url_ids = [x["id"]["draft"] for x in dash.ctx.states_list[0]]
    try:
        if trigger["type"] == "approvals-posted":
            url = dict(zip(url_ids, urls)).get(draft_id) or ""
            actions.mark_posted(current(), current_user, draft_id, url)
            flash = _("Draft #{id} recorded as posted by hand.").format(id=draft_id)
        else:
            actions.send_again(current(), current_user, draft_id)
            flash = _("Draft #{id} handed back to the outbox.").format(id=draft_id)
    except actions.ActionError as exc:
        return ui.notice(_("Draft #{id}: {error}").format(id=draft_id, error=exc), "error"), \
            no_update
    return ui.notice(flash, "ok"), (version or 0) + 1
