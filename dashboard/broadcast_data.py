"""What an approver needs to know about a broadcast draft before saying yes (issue 18): who it
goes to (segments, channels, the languages it serves, how many contacts), and for SMS what
one message costs as it will be sent (characters, GSM-7 or UCS-2, segments billed). Plain
dicts out, like every dashboard query."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders.broadcasts import langs_served, sms_preview
from responders.contacts import channels_of, in_segments
from store.models import BroadcastRow, DraftRow


def broadcast_info(session: Session, draft: DraftRow, body: str | None = None,
                   public_langs: tuple[str, ...] = ("en", "fr")) -> dict:
    """{segments, channels, langs (None: every language), ask_confirm, recipients (the
    contacts it would reach now), sms (None, or {chars, encoding, segments}) of `body`
    (default: the draft's text)}. A hand-written broadcast has its own row; a
    machine-written update goes to its segment on its channel, in the languages it serves
    (`public_langs`: the brand's)."""
    row = session.execute(select(BroadcastRow).where(BroadcastRow.draft_id == draft.id)
                          ).scalar_one_or_none()
    if row is not None:
        segments, channels = list(row.segments), list(row.channels)
        langs, ask = row.only_langs, row.ask_confirm
    else:
        segments, channels = [draft.audience], [draft.channel]
        langs, ask = langs_served(draft.lang, public_langs), False
    recipients = sum(
        1 for c in in_segments(session, segments)
        if (not langs or c.lang in langs) and set(channels) & set(channels_of(c)))
    text = draft.body if body is None else body
    return {"segments": segments, "channels": channels, "langs": langs, "ask_confirm": ask,
            "recipients": recipients,
            "sms": sms_preview(text, draft.lang, ask) if "sms" in channels else None}
