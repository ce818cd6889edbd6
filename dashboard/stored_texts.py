"""Sentences other layers wrote, in the reader's language (issue 20): timeline entries,
drafts' stale and void reasons, refusals raised by the responders and by `dashboard.actions`.

They arrive as a `responders.wording.Wording` (an English template, which is the gettext
msgid, and its parameters) or as its JSON (`timeline.detail_key`/`detail_params`,
`drafts.void_key`/`void_params`).
`say()` translates the template with the cockpit's catalogue (the French of the
responders' sentences is in `locale/fr/stored.po`, of the dashboard's refusals in
`locale/fr/actions.po`) and each parameter by its kind:

- a `Word` ("fixing" as a phase) by its vocabulary's label below, then the catalogue:
  "Correction en cours" (in English too the label, "Fixing", not the key "fixing");
- a `Localized` name (a status-page component) in the reader's language;
- a `Moment` (a time inside the sentence) in the reader's time zone, with its zone, as the
  cockpit shows every time: "11:30 CET" ("11 mars 11:30 CET" with the day);
- a nested `Wording` the same way; a list joined by commas; anything else as is.

A row written before the keys existed has none: its stored text is shown as written. A
template whose French lost a placeholder (the catalogue test forbids it) shows English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.components import (
    AUDIENCE_LABELS,
    CHANNEL_LABELS,
    CRISIS_TYPE_LABELS,
    LANG_LABELS,
    PHASE_LABELS,
    SEGMENT_LABELS,
    SEVERITY_LABELS,
)
from dashboard.i18n import N_, clock_text, current_lang, current_zone, translate
from responders.cell import LABELS as CELL_ROLE_LABELS  # English; French in locale/fr/cell.po
from responders.key_accounts import LABELS as KEY_TASK_LABELS  # French in broadcasts.po
from responders.wording import Localized, Moment, Word, Wording

# The same English as the status admin page's labels (one msgid, one French).
STATE_LABELS = {"operational": N_("Operational"), "degraded": N_("Degraded performance"),
                "partial_outage": N_("Partial outage"), "major_outage": N_("Major outage"),
                "maintenance": N_("Under maintenance")}
USER_ROLE_LABELS = {"viewer": N_("viewer"), "editor": N_("editor"), "approver": N_("approver"),
                    "admin": N_("admin")}
DRAFT_STATUS_LABELS = {"draft": N_("awaiting approval"), "approved": N_("approved"),
                       "publishing": N_("being sent"), "published": N_("sent"),
                       "failed": N_("failed"), "rejected": N_("rejected"),
                       "needs_check": N_("unconfirmed")}
FACT_LABELS = {"impact": N_("impact"), "known": N_("what is known"),
               "unknown": N_("what is not known yet"), "cause": N_("cause"),
               "actions": N_("actions"), "eta": N_("ETA"), "title": N_("title")}
PAGE_KIND_LABELS = {"page": N_("first page"), "resend": N_("repeated page"),
                    "escalate": N_("escalation"), "update": N_("follow-up")}
PLAN_UPDATE_LABELS = {"applied": N_("applied"), "dismissed": N_("dismissed")}
UPDATE_KIND_LABELS = {"team": N_("team update"), "ceo": N_("CEO update"),
                      "customers": N_("status page update"), "board": N_("board post-mortem")}
CLOCK_STATE_LABELS = {"due": N_("due"), "overdue": N_("overdue")}
VOCABULARY_LABELS: dict[str, Mapping[str, str]] = {
    "phase": PHASE_LABELS, "state": STATE_LABELS, "severity": SEVERITY_LABELS,
    "crisis_type": CRISIS_TYPE_LABELS, "audience": AUDIENCE_LABELS, "channel": CHANNEL_LABELS,
    "lang": LANG_LABELS, "role": USER_ROLE_LABELS, "status": DRAFT_STATUS_LABELS,
    "fact": FACT_LABELS, "cell_role": CELL_ROLE_LABELS, "page_kind": PAGE_KIND_LABELS,
    "update_state": PLAN_UPDATE_LABELS, "update_kind": UPDATE_KIND_LABELS,
    "clock_state": CLOCK_STATE_LABELS, "key_task": KEY_TASK_LABELS, "segment": SEGMENT_LABELS,
}


def say(said: Wording | Mapping | None, text: str = "", lang: str | None = None) -> str:
    """`said` (a Wording, or its JSON) in `lang` (default: the current user's), its times
    in the current user's zone; `text` when there is none (a row from before the keys)."""
    if said is None:
        return text
    wording = said if isinstance(said, Wording) else Wording.from_json(said)
    return render(wording, lang or current_lang())


def from_row(key: str | None, params: Mapping | None, text: str) -> str:
    """A stored row's sentence (`detail_key`, `detail_params`, `detail`) for the reader."""
    return say({"key": key, "params": params or {}} if key else None, text)


def listed(values, lang: str | None = None) -> str:
    """Words, names or wordings, each in the reader's language, joined by commas."""
    return _param(list(values), lang or current_lang())


def render(wording: Wording, lang: str) -> str:
    template = translate(wording.key, lang)
    if not wording.params:
        return template
    values = {name: _param(value, lang) for name, value in wording.params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a catalogue entry out of step: English
        return wording.key.format(**values)


def _param(value: Any, lang: str) -> str:
    if isinstance(value, Moment):
        return clock_text(value.at, current_zone(), date=value.date, lang=lang)
    if isinstance(value, Localized):
        return value.in_lang(lang)
    if isinstance(value, Word):
        label = VOCABULARY_LABELS.get(value.vocabulary, {}).get(value.value, value.value)
        return translate(label, lang)
    if isinstance(value, Wording):
        return render(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(_param(v, lang) for v in value)
    return "" if value is None else str(value)
