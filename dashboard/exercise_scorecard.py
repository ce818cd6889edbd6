"""How a scorecard is shown: tiles for the times (against the 30-minute target), the
cadence kept per audience, what was sent over warnings and the stale messages avoided;
and the table of finished exercises. Pure rendering of `dashboard.exercise_data` dicts."""

from __future__ import annotations

from dash import dcc, html

from dashboard import components as ui
from dashboard.i18n import N_, _

TIMES = (("time_to_ack_s", N_("Time to acknowledge")),
         ("time_to_declare_s", N_("Time to declare")),
         ("time_to_first_public_statement_s", N_("Time to first public statement")))
AUDIENCES = ("team", "ceo", "customers", "board")


def duration(seconds: float | None) -> str:
    """"4 min 30 s", "1 h 05 min", "—" for never; a negative time is said as "before"."""
    if seconds is None:
        return "—"
    before = seconds < 0
    s = round(abs(seconds))
    text = (_("{h} h {m} min").format(h=s // 3600, m=f"{s % 3600 // 60:02d}") if s >= 3600
            else _("{m} min {s} s").format(m=s // 60, s=f"{s % 60:02d}") if s >= 60
            else _("{s} s").format(s=s))
    return _("{time} before").format(time=text) if before else text


def share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def render_scorecard(ex: dict):
    card = ex["scorecard"]
    origin = (_("from the first alert") if card.get("origin") == "alert"
              else _("from the start (no alert came)"))
    target = card["first_public_statement_target_s"]
    tiles = []
    for key, label in TIMES:
        value = card.get(key)
        state = "none" if value is None else "ok"
        if key == "time_to_first_public_statement_s" and value is not None:
            state = "ok" if value <= target else "late"
        tiles.append(html.Div([
            html.Div(_(label), className="score-label"),
            html.Div(duration(value), className="score-value", id=f"score-{key}"),
            html.Div(origin if value is not None else _("never happened"),
                     className="score-sub"),
        ], className=f"score score-{state}"))
    counts = card.get("cadence_counts", {})
    for audience in AUDIENCES:
        kept = card["cadence_kept"].get(audience)
        c = counts.get(audience, {"due": 0, "on_time": 0})
        tiles.append(html.Div([
            html.Div(_("{audience}: cadence kept").format(
                audience=ui.audience_label(audience)), className="score-label"),
            html.Div(share(kept), className="score-value", id=f"score-cadence-{audience}"),
            html.Div(_("{ok} of {due} updates on time").format(ok=c["on_time"], due=c["due"])
                     if c["due"] else _("none was due"), className="score-sub"),
        ], className="score " + ("score-none" if kept is None else
                                 "score-ok" if kept >= 0.8 else "score-late")))
    tiles.append(html.Div([
        html.Div(_("Sent over linter warnings"), className="score-label"),
        html.Div(str(card["warnings_overridden"]), className="score-value",
                 id="score-warnings_overridden"),
        html.Div(_("approvals that overrode a warning"), className="score-sub"),
    ], className="score " + ("score-ok" if card["warnings_overridden"] == 0
                             else "score-late")))
    tiles.append(html.Div([
        html.Div(_("Stale messages avoided"), className="score-label"),
        html.Div(str(card.get("stale_voided", 0)), className="score-value"),
        html.Div(_("drafts withdrawn before they went out"), className="score-sub"),
    ], className="score score-ok"))
    contradictions = card.get("contradictions", 0)  # scorecards kept before it: none counted
    tiles.append(html.Div([
        html.Div(_("Languages contradicting each other"), className="score-label"),
        html.Div(str(contradictions), className="score-value", id="score-contradictions"),
        html.Div(_("{minutes} min in all with another phase or next update in one language")
                 .format(minutes=round(card.get("contradiction_s", 0) / 60))
                 if contradictions else _("each language said the same"),
                 className="score-sub"),
    ], className="score " + ("score-ok" if contradictions == 0 else "score-late")))
    meta = _("{source} · speed ×{speed} · started {start} by {who}").format(
        source=ex["scenario"] or ex["recording_name"] or "", speed=ex["speed"],
        start=ui.zoned(ex["started_at"]), who=ex["started_by"])
    if ex["finished_at"]:
        meta += " · " + _("finished {time}").format(time=ui.zoned(ex["finished_at"]))
    else:
        meta += " · " + _("still running: these figures are live")
    return html.Div([html.P(meta, className="muted"),
                     html.Div(tiles, className="scores")])


def render_history(exercises: list[dict]):
    """Finished exercises, most recent first, each linking to its scorecard."""
    if not exercises:
        return html.P(_("No finished exercise yet."), className="muted",
                      id="exercises-history-empty")
    head = html.Tr([html.Th(h) for h in (
        _("Exercise"), _("Played"), _("Speed"), _("Acknowledged"), _("Declared"),
        _("First statement"), _("Customers cadence"), _("Over warnings"))])
    rows = []
    for e in exercises:
        c = e["scorecard"] or {}
        rows.append(html.Tr([
            html.Td(dcc.Link(f"#{e['id']} {e['name']}", href=f"/exercises?id={e['id']}")),
            html.Td(f"{e['started_at']:%Y-%m-%d} {ui.zoned(e['started_at'])} · "
                    f"{e['scenario'] or e['recording_name']}"),
            html.Td(f"×{e['speed']}"),
            html.Td(duration(c.get("time_to_ack_s"))),
            html.Td(duration(c.get("time_to_declare_s"))),
            html.Td(duration(c.get("time_to_first_public_statement_s"))),
            html.Td(share((c.get("cadence_kept") or {}).get("customers"))),
            html.Td(str(c.get("warnings_overridden", "—"))),
        ], className="exercise-row"))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="table",
                      id="exercises-history-table")
