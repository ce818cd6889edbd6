"""Which kind of crisis rose: the crisis type of an alert, read against the brand's usual mix.

A brand's ordinary chatter already has crisis types: on real data 30-50 % of everyday
customer-service complaints read as "outage" (a parcel not delivered, a login that failed
once). So the most frequent type among an alert's mentions says what people usually grumble
about, not what changed. ``rising_type`` names the type whose count in the alert's window
stands furthest above what the brand's own history predicts for a window that long.

Contract: ``rising_type(window, history, window_minutes, history_minutes) -> str | None``
over per-type mention counts (``counts`` reads them from the store's per-minute roll-up,
the brand's own posts taken away). The measure is the Poisson log-likelihood ratio of the
window's count against the history's rate, ``o ln(o/e) - (o - e)`` for ``o > e``: large
for a rare type that multiplied and for a common one that rose by many posts, small for a
common type at its usual level. With no history (a new install, a drill) the most frequent
type of the window is the answer. None when the window has no typed mention.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signals.crowd import own_author_names
from store.models import MentionMinuteRow, MentionRow, ScoreRow

HISTORY = timedelta(days=7)  # the brand's usual mix: the week before the window
WINDOW_BEFORE = timedelta(minutes=30)  # the alert's window opens this long before it did
PRIOR = 0.5  # posts of a type the history never saw are expected at this many per history


def rising_type(window: Counter, history: Counter, window_minutes: float,
                history_minutes: float) -> str | None:
    """The type that rose most in ``window`` against ``history`` (see the module doc)."""
    typed = {t: n for t, n in window.items() if t and n > 0}
    if not typed:
        return None
    commonest = max(sorted(typed), key=typed.get)  # ties by name
    if not history_minutes or not sum(history.values()):
        return commonest  # no history to rise against
    scale = window_minutes / history_minutes

    def rise(t: str) -> float:
        o, e = typed[t], (history.get(t, 0) + PRIOR) * scale
        return o * math.log(o / e) - (o - e) if o > e else 0.0

    best = max(sorted(typed), key=lambda t: (rise(t), typed[t]))
    return best if rise(best) > 0 else commonest


def counts(session: Session, start: datetime, end: datetime,
           own_accounts: tuple[str, ...] = ()) -> Counter:
    """Scored mentions per stored crisis type ('' = none) created in [start, end) (whole
    minutes, from the roll-up), the brand's own posts (read raw: few) taken away."""
    out = Counter({t: int(n) for t, n in session.execute(
        select(MentionMinuteRow.crisis_type, func.sum(MentionMinuteRow.mentions))
        .where(MentionMinuteRow.minute >= start, MentionMinuteRow.minute < end)
        .group_by(MentionMinuteRow.crisis_type))})
    names = own_author_names(own_accounts)
    if names:
        out.subtract(Counter(t or "" for (t,) in session.execute(
            select(ScoreRow.crisis_type).join(MentionRow)
            .where(MentionRow.created_at >= start, MentionRow.created_at < end,
                   func.lower(MentionRow.author).in_(names)))))
    return out


def alert_type(session: Session, opened_at: datetime, at: datetime,
               own_accounts: tuple[str, ...] = (),
               history: Counter | None = None) -> tuple[str | None, Counter]:
    """(rising type, history counts) for an alert opened at ``opened_at`` and seen until
    ``at``. Pass back the returned history on later updates of the same alert: it does not
    change, and at volume it is the costly read."""
    start = opened_at - WINDOW_BEFORE
    if history is None:
        history = counts(session, start - HISTORY, start, own_accounts)
    window = counts(session, start, max(at, opened_at), own_accounts)
    window_minutes = max((max(at, opened_at) - start).total_seconds() / 60, 1.0)
    first = session.execute(select(func.min(MentionMinuteRow.minute))).scalar()
    history_minutes = 0.0
    if first is not None and first < start:
        history_minutes = (start - max(first, start - HISTORY)).total_seconds() / 60
    return rising_type(window, history, window_minutes, history_minutes), history
