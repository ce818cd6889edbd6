"""An alert's crisis type is the type that rose against the brand's usual mix, not the type
its everyday chatter already has most of (on real support tweets "outage" is ~30 %)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import insert

from signals import crisis_mix
from store.models import MentionRow, ScoreRow

WEEK = 7 * 24 * 60.0


def test_a_rare_type_that_multiplied_beats_the_usual_grumbling():
    # A week of ~20 posts a day, 45 % typed outage; in the hour of the breach claim many
    # more outage-typed posts than usual (people cannot log in either), and 6 about leaks.
    history = Counter(outage=63, billing=20, data_leak=1, **{"": 56})
    window = Counter(outage=9, data_leak=6, **{"": 3})
    assert crisis_mix.rising_type(window, history, 60, WEEK) == "data_leak"
    # The commonest type of the window says outage.
    assert Counter({t: n for t, n in window.items() if t}).most_common(1)[0][0] == "outage"


def test_a_real_outage_is_still_an_outage():
    history = Counter(outage=63, billing=20, data_leak=1, **{"": 56})
    window = Counter(outage=40, data_leak=2, billing=1)
    assert crisis_mix.rising_type(window, history, 60, WEEK) == "outage"


def test_without_history_or_rise_the_commonest_type_is_the_answer():
    window = Counter(outage=3, billing=5)
    assert crisis_mix.rising_type(window, Counter(), 60, 0) == "billing"
    # Nothing above its usual rate: the commonest again, not an arbitrary type.
    history = Counter(outage=10_000, billing=10_000)
    assert crisis_mix.rising_type(window, history, 60, WEEK) == "billing"
    assert crisis_mix.rising_type(Counter({"": 9}), history, 60, WEEK) is None


def _post(session, i, at, author, crisis_type):
    mid = session.execute(insert(MentionRow).returning(MentionRow.id), [{
        "source": "x", "external_id": str(i), "author": author, "author_followers": 0,
        "text": f"post {i}", "lang": "en", "created_at": at, "collected_at": at,
        "metrics": {}, "raw": {}}]).scalar_one()
    session.add(ScoreRow(mention_id=mid, label="negative", negative=0.8, neutral=0.1,
                         positive=0.1, rumour=0.0, crisis_type=crisis_type, lang="en",
                         model="test", scored_at=at))


def test_alert_type_reads_the_rollup_and_ignores_the_brands_own_posts(store):
    opened = datetime(2026, 3, 10, 12, 0)
    with store.session() as s:
        i = 0
        for day in range(1, 7):  # six days of ordinary chatter: 9 outage, 11 untyped a day
            for k in range(20):
                i += 1
                _post(s, i, opened - timedelta(days=day, minutes=60 + 37 * k), f"u{i}",
                      "outage" if k < 9 else None)
        for k in range(6):  # the claim: six posts about leaked data, three usual outages
            i += 1
            _post(s, i, opened - timedelta(minutes=25 - 4 * k), f"c{i}", "data_leak")
        for k in range(3):
            i += 1
            _post(s, i, opened - timedelta(minutes=20 - 5 * k), f"o{i}", "outage")
        for k in range(29):  # the brand answers 29 people, its replies typed outage
            i += 1
            _post(s, i, opened - timedelta(minutes=20) + timedelta(seconds=40 * k),
                  "NimbusHQ", "outage")
        s.commit()
    with store.session() as s:
        rose, history = crisis_mix.alert_type(s, opened, opened + timedelta(minutes=10),
                                              own_accounts=("@nimbushq",))
        assert rose == "data_leak"
        assert history["outage"] == 54 and history[""] == 66
        # The brand's replies counted as the crowd would have made it an outage.
        assert crisis_mix.alert_type(s, opened, opened + timedelta(minutes=10))[0] == "outage"
        # The history handed back is reused as it is.
        again, same = crisis_mix.alert_type(s, opened, opened + timedelta(minutes=10),
                                            ("@nimbushq",), history)
        assert again == "data_leak" and same is history
