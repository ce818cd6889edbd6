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


def with_normal_share(evidence: dict, normal_share: float | None) -> dict:
    """`evidence` with every negative-share signal's "normal" replaced by `normal_share`
    (unchanged when None). The detector tests the share against its own smoothed and floored
    reference; the cockpit shows one "normal" negative share per screen, the overview's
    (`dashboard.data.kpis`: the three hours before the situation began), so the alert and the
    figure above it never disagree."""
    if normal_share is None:
        return evidence
    return {**evidence, "signals": [
        {**sig, "expected": normal_share} if sig.get("kind") == "negative_share" else sig
        for sig in evidence.get("signals", [])]}


def alert_title(kinds: list[str], evidence: dict | None, stored: str,
                normal_share: float | None = None) -> str:
    """The title of an alert with these `kinds` and `evidence` in the current user's
    language; `stored` (the English title kept on the alert) when it carries no signals.
    `normal_share`: the negative share said to be normal (`with_normal_share`)."""
    if not kinds or not (evidence or {}).get("signals"):
        return stored
    return headline(list(kinds), with_normal_share(evidence, normal_share),
                    words={k: _(v) for k, v in WORDS.items()},
                    kind_names={k: _(v) for k, v in KIND_NAMES.items()})
