"""Small pieces of layout shared by pages. Every string from the store goes in as a
component child (rendered as text by React), never as HTML or Markdown."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from dash import html, no_update
from plotly.utils import PlotlyJSONEncoder

from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD

PHASE_LABELS = {
    "investigating": "Investigating", "identified": "Identified", "fixing": "Fixing",
    "monitoring": "Monitoring", "resolved": "Resolved", "postmortem": "Post-mortem",
}
AUDIENCE_LABELS = {"team": "Tech team", "ceo": "CEO", "customers": "Customers",
                   "board": "Board"}
CHANNEL_LABELS = {"statuspage": "status page", "x": "X", "reddit": "Reddit",
                  "mastodon": "Mastodon", "bluesky": "Bluesky", "slack": "Slack",
                  "email": "email", "sms": "SMS"}
LANG_LABELS = {"en": "English", "fr": "French"}


class Callbacks:
    """A page's callbacks, collected at import and registered by `create_app` on its own
    app, so two apps in one process (tests, a demo next to a live app) never share them."""

    def __init__(self):
        self.items: list = []

    def __call__(self, *args, **kwargs):
        def decorate(func):
            self.items.append((args, kwargs, func))
            return func
        return decorate

    def register(self, app) -> None:
        for args, kwargs, func in self.items:
            app.callback(*args, **kwargs)(func)


def hhmm(at: datetime | None) -> str:
    return "—" if at is None else at.strftime("%H:%M")


def ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60:02d} min ago"


def phase_badge(phase: str | None, big: bool = False):
    if not phase:
        return html.Span("No incident", className="badge phase-none" + (" big" if big else ""))
    return html.Span(PHASE_LABELS.get(phase, phase),
                     className=f"badge phase-{phase}" + (" big" if big else ""))


def severity_badge(severity: str):
    return html.Span(severity.upper(), className=f"badge sev-{severity}")


def clocks_view(clocks: list[dict], prefix: str):
    """Per-audience update clocks: one tile each, coloured by state."""
    tiles = []
    for c in clocks:
        tiles.append(html.Div([
            html.Div(AUDIENCE_LABELS.get(c["audience"], c["audience"]), className="clock-aud"),
            html.Div(c["text"], className="clock-text"),
            html.Div(
                (f"last sent {hhmm(c['last_update'])}" if c["last_update"] else "nothing sent yet")
                + " · owner: " + (f"{c['owner'].replace('_', ' ')} (not assigned)"
                                  if c["owner"] in ("commander", "comms_lead") else c["owner"]),
                className="clock-sub"),
        ], className=f"clock clock-{c['state']}", id=f"{prefix}-clock-{c['audience']}"))
    return html.Div(tiles, className="clocks")


def mention_quote(m: dict):
    """One mention as evidence: who, reach, where, and the words, as plain text."""
    meta = f"@{m['author'].lstrip('@')} · {m['followers']:,} followers · " \
           f"{CHANNEL_LABELS.get(m['source'], m['source'])} · {hhmm(m['created_at'])}"
    label = m.get("label")
    tags = []
    if label:
        tags.append(html.Span(label, className=f"tag tag-{label}"))
    if (m.get("rumour") or 0) >= RUMOUR_THRESHOLD:
        tags.append(html.Span("rumour", className="tag tag-rumour"))
    return html.Div([
        html.Div([html.Span(meta), *tags], className="quote-meta"),
        html.Div(m["text"], className="quote-text"),
    ], className="quote")


def notice(message: str | None, kind: str = "info"):
    if not message:
        return None
    return html.Div(message, className=f"notice notice-{kind}", role="status")


def redraw_if_changed(tree, drawn: str | None) -> tuple:
    """`(tree, signature)` when `tree` differs from what was drawn last (`drawn`, the
    signature kept in a dcc.Store), else `(no_update, drawn)`. Refresh callbacks use it for
    regions holding buttons: redrawing identical buttons every tick could swallow a click
    that lands mid-redraw (seen in the browser test under load)."""
    text = json.dumps(tree, cls=PlotlyJSONEncoder, sort_keys=True)
    signature = hashlib.sha256(text.encode()).hexdigest()[:16]
    return (no_update, drawn) if signature == drawn else (tree, signature)
