"""The alert lifecycle: open, correlate, update, close, acknowledge.

One open alert per situation: new signals while it is open update it. The alert carries its
evidence: every signal (kind, minute, observed vs expected, surprise), the per-minute series
around it (``evidence["series"]``), the most-read negative or rumour mentions
(``top_mentions``), the emerging terms (``emerging_terms``, most surprising first) and the
crisis type that rose against the brand's usual mix (``crisis_type``, ``signals.crisis_mix``).
Acknowledging (the dashboard, a signed link, an SMS reply) stops re-sends and escalation:
the paging stage (``responders.paging``) pages only alerts still ``open``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD
from signals import crisis_mix
from signals.crowd import crowd
from signals.detectors import Signal
from store.models import (
    AlertAckRow,
    AlertPagingRow,
    AlertRow,
    IncidentRow,
    MentionRow,
    ScoreRow,
    SignalRow,
    TimelineRow,
)

QUIET_CLOSE = timedelta(minutes=60)  # an alert with no new signal for this long is over
SEVERITY = {1: "warning", 2: "major"}  # distinct families -> severity; 3+ is critical
# Series that say the same thing count once towards severity: more people talking
# (volume, new words), more of them unhappy (share, reach), rumours, tickets.
FAMILY = {"mentions": "volume", "terms": "volume", "negative_share": "sentiment",
          "negative": "sentiment", "reach": "sentiment", "rumours": "rumours", "tickets": "tickets"}
KIND_NAMES = {"mentions": "mention volume", "negative_share": "negative sentiment",
          "negative": "negative mentions",
          "rumours": "rumours", "tickets": "support tickets",
          "reach": "reach-weighted negativity", "terms": "emerging terms"}
SERIES_BEFORE = timedelta(minutes=60)  # context kept in the evidence before the alert
SERIES_MAX = 240  # points per series in the evidence
SERIES_KEYS = ("mentions", "negative", "rumours", "tickets", "reach")
ONE_MINUTE = timedelta(minutes=1)
ACK_VIA = ("dashboard", "link", "sms")


def correlate(session: Session, signals: list[Signal], at: datetime,
              own_accounts: tuple[str, ...] = ()) -> AlertRow:
    """Fold signals into the open alert, or open one; severity grows with the number of
    distinct series involved."""
    alert = session.execute(
        select(AlertRow).where(AlertRow.status.in_(("open", "acknowledged")))
        .order_by(AlertRow.opened_at.desc()).limit(1)
    ).scalar_one_or_none()
    if alert is None:
        alert = AlertRow(opened_at=at, updated_at=at, severity="warning", kinds=[], title="",
                         evidence={"signals": []}, status="open")
        session.add(alert)
        session.flush()
    kinds = list(dict.fromkeys(alert.kinds + [s.kind for s in signals]))
    evidence = dict(alert.evidence)
    evidence["signals"] = (evidence.get("signals", []) + [
        {"kind": s.kind, "minute": s.minute.isoformat(), "observed": s.observed,
         "expected": s.expected, "surprise": s.surprise,
         **({"terms": [t for t, _ in s.terms]} if s.terms else {})} for s in signals
    ])[-200:]
    evidence["top_mentions"] = top_mentions(session, at - timedelta(minutes=15), at,
                                            own_accounts=own_accounts)
    # What kind of crisis rose, against the brand's usual mix (the week before: read once).
    history = evidence.get("crisis_history")
    evidence["crisis_type"], history = crisis_mix.alert_type(
        session, alert.opened_at, at, own_accounts,
        Counter(history) if history is not None else None)
    evidence["crisis_history"] = {t: n for t, n in history.items() if n}
    terms = dict(evidence.get("emerging_terms", {}))
    for sig in signals:
        for term, surprise in sig.terms:  # keep each term's strongest showing
            terms[term] = max(terms.get(term, 0.0), surprise)
    if terms:
        evidence["emerging_terms"] = dict(sorted(terms.items(), key=lambda kv: -kv[1])[:20])
    alert.kinds, alert.evidence, alert.updated_at = kinds, evidence, at
    alert.severity = SEVERITY.get(len({FAMILY.get(k, k) for k in kinds}), "critical")
    alert.title = headline(kinds, evidence)
    for s in signals:
        session.add(SignalRow(kind=s.kind, minute=s.minute, observed=s.observed,
                              expected=s.expected, score=s.score, alert_id=alert.id))
    return alert


# The headline's words, English; the cockpit passes its own language's (`words=`), with
# the same keys and {placeholders}.
HEADLINE_WORDS = {
    "mentions": "mentions {times}",
    "negative": "negative mentions {times}",
    "negative_share": "{share} negative (normally {normal})",
    "rumours": "rumours {times}",
    "tickets": "support tickets {times}",
    "reach": "negative posts from large accounts",
    "terms": "new words: {words}",
    "unusual": "Unusual {kinds}",
    "times": "{ratio}x normal",
    "many_times": "many times normal",
}


def _times(observed: float, expected: float, words: dict) -> str:
    ratio = observed / expected if expected > 0 else float("inf")
    if ratio == float("inf"):
        return words["many_times"]
    figure = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}".removesuffix(".0")
    return words["times"].format(ratio=figure)


def headline(kinds: list[str], evidence: dict, words: dict | None = None,
             kind_names: dict | None = None) -> str:
    """What happened, in the words a comms lead reads first ("Mentions 4x normal, 81%
    negative (normally 12%), new words: 'hacked', 'leak'"), from the strongest signal of
    each kind; which detector said what stays in the evidence below it. `words` and
    `kind_names` replace `HEADLINE_WORDS` and `KIND_NAMES` (another language)."""
    words = {**HEADLINE_WORDS, **(words or {})}
    kind_names = {**KIND_NAMES, **(kind_names or {})}
    strongest: dict[str, dict] = {}
    for sig in evidence.get("signals", []):
        if sig["surprise"] >= strongest.get(sig["kind"], {}).get("surprise", -1.0):
            strongest[sig["kind"]] = sig
    parts = []
    for kind in kinds:
        sig = strongest.get(kind)
        if sig is None:
            continue
        obs, exp = sig["observed"], sig["expected"]
        if kind in ("mentions", "negative", "rumours", "tickets"):
            parts.append(words[kind].format(times=_times(obs, exp, words)))
        elif kind == "negative_share":
            parts.append(words[kind].format(share=f"{obs:.0%}", normal=f"{exp:.0%}"))
        elif kind == "reach":
            parts.append(words[kind])
        elif kind == "terms":
            terms = list(evidence.get("emerging_terms", {}))[:3] or list(sig.get("terms", []))[:3]
            if terms:
                parts.append(words[kind].format(words=", ".join(f"'{w}'" for w in terms)))
    text = ", ".join(parts) or words["unusual"].format(
        kinds=", ".join(kind_names.get(k, k) for k in kinds))
    return (text[:1].upper() + text[1:])[:256]


def series_start(alert: AlertRow, end: datetime) -> datetime:
    """Where the evidence series of ``alert`` starts: an hour before it opened, or the latest
    SERIES_MAX minutes before ``end``."""
    return max(alert.opened_at - SERIES_BEFORE, end - SERIES_MAX * ONE_MINUTE)


def attach_series(alert: AlertRow, start: datetime, buckets: list) -> None:
    """Keep the per-minute ``buckets`` from ``start`` (``series_start``) in the alert's
    evidence, so whoever reads the alert sees the break, not just a number."""
    evidence = dict(alert.evidence)
    evidence["series"] = {"start": start.isoformat(), "step_s": 60,
                          **{k: [getattr(b, k) for b in buckets] for k in SERIES_KEYS}}
    alert.evidence = evidence


def top_mentions(session: Session, start: datetime, end: datetime, n: int = 5,
                 own_accounts: tuple[str, ...] = ()) -> list[int]:
    """Ids of the most-read negative or rumour mentions in the window, the brand's own
    posts left out: the evidence a human reads first."""
    return list(session.execute(
        select(MentionRow.id).join(ScoreRow)
        .where(MentionRow.created_at >= start, MentionRow.created_at < end,
               (ScoreRow.label == "negative") | (ScoreRow.rumour >= RUMOUR_THRESHOLD),
               crowd(own_accounts))
        .order_by(MentionRow.author_followers.desc()).limit(n)
    ).scalars())


def quiet_since(now: datetime):
    """A SQL condition true for alerts with no new signal for ``QUIET_CLOSE``: over, closed
    by the next detection run. Paging tests it too, so a worker whose detection has not run
    yet this cycle never reminds anyone of an alert another worker is closing."""
    return AlertRow.updated_at < now - QUIET_CLOSE


def close_quiet_alerts(session: Session, now: datetime) -> None:
    for alert in session.execute(
        select(AlertRow).where(AlertRow.status.in_(("open", "acknowledged")),
                               quiet_since(now))
    ).scalars():
        alert.status = "closed"


def acknowledge(session: Session, alert: AlertRow, *, actor: str, now: datetime,
                via: str = "dashboard", detail: str = "") -> bool:
    """Mark an open alert as seen by `actor`; returns False if it was not open. Stops its
    paging and, when the alert belongs to an incident, writes the incident's timeline."""
    if alert.status != "open":
        return False
    if via not in ACK_VIA:
        raise ValueError(f"unknown acknowledgement route {via!r}")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", actor, now
    session.add(AlertAckRow(alert_id=alert.id, actor=actor, via=via, at=now, detail=detail))
    paging = session.get(AlertPagingRow, alert.id)
    if paging is not None:
        paging.state = "done"
    if alert.incident_id is not None and session.get(IncidentRow, alert.incident_id):
        how = "" if via == "dashboard" else f" ({'signed link' if via == 'link' else 'SMS'})"
        session.add(TimelineRow(incident_id=alert.incident_id, at=now, actor=actor,
                                kind="alert", detail=f"Acknowledged alert #{alert.id}{how}"))
    return True
