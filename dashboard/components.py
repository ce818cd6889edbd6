"""Small pieces of layout shared by pages. Every string from the store goes in as a
component child (rendered as text by React), never as HTML or Markdown."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from dash import html, no_update
from plotly.utils import PlotlyJSONEncoder

from dashboard import i18n, post_links
from dashboard.i18n import N_, _
from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD

# A dcc.Store in the shell; a page callback that changes the incident (declare, phase)
# writes to it (`Output(SHELL_REFRESH, "data", allow_duplicate=True)`) so the header redraws
# at once.
SHELL_REFRESH = "shell-refresh"

PHASE_LABELS = {
    "investigating": N_("Investigating"), "identified": N_("Identified"), "fixing": N_("Fixing"),
    "monitoring": N_("Monitoring"), "resolved": N_("Resolved"), "postmortem": N_("Post-mortem"),
}
AUDIENCE_LABELS = {"team": N_("Tech team"), "ceo": N_("CEO"), "customers": N_("Customers"),
                   "board": N_("Board")}
CHANNEL_LABELS = {"statuspage": N_("status page"), "x": "X", "reddit": "Reddit",
                  "mastodon": "Mastodon", "bluesky": "Bluesky", "slack": "Slack",
                  "email": N_("email"), "sms": N_("SMS")}
LANG_LABELS = {"en": N_("English"), "fr": N_("French")}
# Broadcast segments (responders.contacts.SEGMENTS): the English is the segment's own name,
# as the contacts CSV writes it, so English screens read as before.
SEGMENT_LABELS = {"staff": N_("staff"), "on-call": N_("on-call"),
                  "management": N_("management"), "board": N_("board"),
                  "customers": N_("customers"), "key-accounts": N_("key-accounts"),
                  "partners": N_("partners"), "investors": N_("investors"),
                  "regulators": N_("regulators"), "press": N_("press")}
# Incident severities (responders.incidents.SEVERITIES) and alert severities.
SEVERITY_LABELS = {"minor": N_("minor"), "major": N_("major"), "critical": N_("critical"),
                   "warning": N_("warning")}
CRISIS_TYPE_LABELS = {"outage": N_("outage"), "degraded": N_("degraded service"),
                      "data_leak": N_("data leak"), "billing": N_("billing"),
                      "defect": N_("defect"), "controversy": N_("controversy"),
                      "maintenance": N_("maintenance")}
# A rumour score as words: "likely" is the flag every stage uses (sentiment.rumour.THRESHOLD);
# "possible" is a display band below it, scores a reader may want to check by hand. The
# rumour head averages two parts (version 4), so plain complaints score 0.2-0.4: at 0.45 it
# tags 6.7 % of 1,500 real support tweets "possible" (at 0.3 it was 43 %; "likely" 4.1 %).
POSSIBLE_RUMOUR = 0.45
RUMOUR_WORDS = {"likely": N_("likely"), "possible": N_("possible"), "unlikely": N_("unlikely")}
RUMOUR_TAGS = {"likely": N_("likely rumour"), "possible": N_("possible rumour"),
               "unlikely": N_("unlikely rumour")}
# Unassigned roles a clock falls back to.
OWNER_ROLES = {"commander": N_("incident commander (not assigned)"),
               "comms_lead": N_("comms lead (not assigned)")}


# The tables above hold the English; these show them in the user's language.
def phase_label(phase: str) -> str:
    return _(PHASE_LABELS.get(phase, phase))


def audience_label(audience: str) -> str:
    return _(AUDIENCE_LABELS.get(audience, audience))


def segment_label(segment: str) -> str:
    """A broadcast segment in the reader's language; a name with no label as written."""
    return _(SEGMENT_LABELS.get(segment, segment))


def channel_label(channel: str) -> str:
    return _(CHANNEL_LABELS.get(channel, channel))


def lang_label(lang: str) -> str:
    return _(LANG_LABELS.get(lang, lang))


def severity_label(severity: str) -> str:
    return _(SEVERITY_LABELS.get(severity, severity))


def crisis_type_label(crisis_type: str) -> str:
    return _(CRISIS_TYPE_LABELS.get(crisis_type, crisis_type.replace("_", " ")))


def rumour_band(score: float | None) -> str | None:
    """"likely", "possible" or "unlikely" for a stored rumour score; None when unscored."""
    if score is None:
        return None
    if score >= RUMOUR_THRESHOLD:
        return "likely"
    return "possible" if score >= POSSIBLE_RUMOUR else "unlikely"


def rumour_hover(score: float) -> str:
    """The number behind the word, for a tooltip: "rumour score 0.94 (likely from 0.50,
    possible from 0.30)"."""
    return _("rumour score {score} (likely from {likely}, possible from {possible})").format(
        score=f"{score:.2f}", likely=f"{RUMOUR_THRESHOLD:.2f}", possible=f"{POSSIBLE_RUMOUR:.2f}")


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
    """A stored (naive UTC) time as "14:30" in the user's time zone; say the zone nearby
    (`zoned`) or once per table header."""
    return i18n.hhmm(at)


def zoned(at: datetime | None) -> str:
    """A stored time as "14:30 CET": the user's zone, named."""
    return i18n.clock_text(at)


def ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("{minutes} min ago").format(minutes=minutes)
    return _("{hours} h {minutes} min ago").format(hours=minutes // 60,
                                                   minutes=f"{minutes % 60:02d}")


def phase_badge(phase: str | None, big: bool = False):
    if not phase:
        return html.Span(_("No incident"), className="badge phase-none"
                         + (" big" if big else ""))
    return html.Span(phase_label(phase),
                     className=f"badge phase-{phase}" + (" big" if big else ""))


def severity_badge(severity: str):
    return html.Span(severity_label(severity).upper(), className=f"badge sev-{severity}")


def clocks_view(clocks: list[dict], prefix: str):
    """Per-audience update clocks: one tile each, coloured by state."""
    tiles = []
    for c in clocks:
        tiles.append(html.Div([
            html.Div(audience_label(c["audience"]), className="clock-aud"),
            html.Div(c["text"], className="clock-text"),
            html.Div(
                (_("last sent {time}").format(time=zoned(c["last_update"]))
                 if c["last_update"] else _("nothing sent yet"))
                + " · " + _("owner: {owner}").format(
                    owner=_(OWNER_ROLES[c["owner"]]) if c["owner"] in OWNER_ROLES
                    else c["owner"]),
                className="clock-sub"),
        ], className=f"clock clock-{c['state']}", id=f"{prefix}-clock-{c['audience']}"))
    return html.Div(tiles, className="clocks")


def mention_quote(m: dict):
    """One mention as evidence: who, reach, where, and the words, as plain text."""
    meta = " · ".join([f"@{m['author'].lstrip('@')}",
                       _("{n} followers").format(n=f"{m['followers']:,}"),
                       channel_label(m["source"]), zoned(m["created_at"])])
    label = m.get("label")
    tags = []
    if label:
        tags.append(html.Span(_(label), className=f"tag tag-{label}"))
    # Evidence calls a post a rumour only at the model's decision threshold: below it the
    # head says "not a rumour", and a plain complaint tagged "possible rumour" under an
    # alert reads as hearsay (the Mentions table still shows every band, with the number).
    if rumour_band(m.get("rumour")) == "likely":
        tags.append(html.Span(_(RUMOUR_TAGS["likely"]), className="tag tag-rumour rumour-likely",
                              title=rumour_hover(m["rumour"])))
    link = post_link(m)
    return html.Div([
        html.Div([html.Span(meta), *tags, link], className="quote-meta"),
        html.Div(m["text"], className="quote-text"),
    ], className="quote")


def post_link(m: dict, text: str | None = None):
    """A link to the mention's original post, opened in a new tab that cannot reach back
    into the cockpit (rel=noopener noreferrer); None when no safe URL is known."""
    url = post_links.post_url(m.get("source"), m.get("external_id"), m.get("url"))
    if url is None:
        return None
    return html.A(text or _("original post ↗"), href=url, target="_blank",
                  rel="noopener noreferrer", className="post-link", title=url)


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
