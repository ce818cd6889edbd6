"""Alert titles in the reader's language: `signals.alerts.headline` stores the English title
when the alert opens; the cockpit writes it again from the same evidence with the words of
the user's language (`signals.alerts.HEADLINE_WORDS`, same keys and placeholders)."""

from __future__ import annotations

from dashboard.i18n import N_, _
from signals.alerts import headline

WORDS = {
    "mentions": N_("mentions {times}"),
    "negative": N_("negative mentions {times}"),
    "negative_share": N_("{share} negative (normally {normal})"),
    "rumours": N_("rumours {times}"),
    "tickets": N_("support tickets {times}"),
    "reach": N_("negative posts from large accounts"),
    "terms": N_("new words: {words}"),
    "unusual": N_("Unusual {kinds}"),
    "times": N_("{ratio}x normal"),
    "many_times": N_("many times normal"),
}
KIND_NAMES = {
    "mentions": N_("mention volume"), "negative_share": N_("negative sentiment"),
    "negative": N_("negative mentions"), "rumours": N_("rumours"),
    "tickets": N_("support tickets"), "reach": N_("reach-weighted negativity"),
    "terms": N_("emerging terms"),
}


def alert_title(kinds: list[str], evidence: dict | None, stored: str) -> str:
    """The title of an alert with these `kinds` and `evidence` in the current user's
    language; `stored` (the English title kept on the alert) when it carries no signals."""
    if not kinds or not (evidence or {}).get("signals"):
        return stored
    return headline(list(kinds), evidence, words={k: _(v) for k, v in WORDS.items()},
                    kind_names={k: _(v) for k, v in KIND_NAMES.items()})
