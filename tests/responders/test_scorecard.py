"""The scorecard: its rules on hand-built plays (values worked out by hand in the comments),
and the same figures read back from store rows written as the dashboard writes them."""

from __future__ import annotations

from datetime import datetime, timedelta

from responders.approval import approve
from responders.incidents import Audience, declare, transition, update_facts
from responders.scorecard import IncidentPlay, Play, Send, audience_cadence, score, scorecard
from signals.alerts import acknowledge
from store.models import AlertRow, DraftRow

T0 = datetime(2026, 5, 4, 9, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_times_count_from_the_first_alert():
    card = score(Play(start=at(-60), end=at(120), first_alert=at(0), first_ack=at(4),
                      first_declared=at(9), first_public=at(25)))
    assert card["time_to_ack_s"] == 240
    assert card["time_to_declare_s"] == 540
    assert card["time_to_first_public_statement_s"] == 1500
    assert card["first_public_statement_on_target"] is True
    assert card["origin"] == "alert" and card["origin_at"] == T0.isoformat()


def test_without_an_alert_times_count_from_the_start_and_missing_moves_are_null():
    card = score(Play(start=at(0), end=at(90), first_declared=at(40)))
    assert card["origin"] == "start"
    assert card["time_to_declare_s"] == 2400
    assert card["time_to_ack_s"] is None
    assert card["time_to_first_public_statement_s"] is None
    assert card["first_public_statement_on_target"] is None
    # No incident at all: nothing was due to anyone.
    assert card["cadence_kept"] == {"team": None, "ceo": None, "customers": None,
                                    "board": None}
    assert card["warnings_overridden"] == 0


def test_a_statement_after_thirty_minutes_misses_the_target():
    card = score(Play(start=at(0), end=at(90), first_alert=at(0), first_public=at(31)))
    assert card["first_public_statement_on_target"] is False


def test_team_cadence_on_time_late_and_missed():
    # major incident: team every 45 min, grace 11.25 min; first update due at +15.
    incident = IncidentPlay("major", declared_at=at(0), sends={
        Audience.TEAM: (Send(at(10)),    # due 15: on time
                        Send(at(70)),    # due 55, overdue from 66.25: late
                        Send(at(110))),  # due 115: early, on time
    })
    # After 110 the next is due at 155, overdue at 166.25: before the end (170), missed.
    assert audience_cadence(incident, Audience.TEAM, at(170)) == (4, 2)
    # Ended at 160 the last one was due but not yet overdue: it does not count.
    assert audience_cadence(incident, Audience.TEAM, at(160)) == (3, 2)


def test_the_ceo_is_due_at_once_after_a_major_change():
    # critical: CEO every hour, grace 15 min; declaring is a major change (due at once).
    incident = IncidentPlay("critical", declared_at=at(0), major_changes=(at(0), at(30)),
                            sends={Audience.CEO: (Send(at(12)), Send(at(50)))})
    # 12 <= 0 + 15: on time. Then the change at 30 made the next due at 30, overdue at 45:
    # sent at 50, late. Next due 110, overdue 125; the end at 100 comes first.
    assert audience_cadence(incident, Audience.CEO, at(100)) == (2, 1)


def test_customers_are_due_when_the_last_update_promised():
    incident = IncidentPlay("major", declared_at=at(0), sends={
        Audience.CUSTOMERS: (Send(at(14), promised=at(30)),  # due 15: on time
                             Send(at(50)))})  # promised 30, overdue at 45: late
    assert audience_cadence(incident, Audience.CUSTOMERS, at(80)) == (2, 1)


def test_updates_after_resolution_do_not_count_and_the_board_waits_for_the_post_mortem():
    incident = IncidentPlay("minor", declared_at=at(0), resolved_at=at(40), sends={
        Audience.TEAM: (Send(at(10)), Send(at(45))),  # the second one after resolution
        Audience.BOARD: ()})
    assert audience_cadence(incident, Audience.TEAM, at(60)) == (1, 1)
    # The board is due four days after resolution (and a day's grace): not yet, then missed.
    assert audience_cadence(incident, Audience.BOARD, at(60)) == (0, 0)
    assert audience_cadence(incident, Audience.BOARD, at(40 + 5 * 24 * 60)) == (1, 0)
    briefed = IncidentPlay("minor", declared_at=at(0), resolved_at=at(40),
                           sends={Audience.BOARD: (Send(at(3 * 24 * 60)),)})
    assert audience_cadence(briefed, Audience.BOARD, at(60)) == (1, 1)


def test_cadence_kept_is_the_share_over_incidents():
    one = IncidentPlay("major", declared_at=at(0), sends={Audience.TEAM: (Send(at(10)),)})
    two = IncidentPlay("major", declared_at=at(100), resolved_at=at(140),
                       sends={Audience.TEAM: (Send(at(130)),)})  # due 115, overdue 126.25
    card = score(Play(start=at(0), end=at(150), incidents=(one, two)))
    # one: on time at 10, then due 55 overdue 66.25 missed -> (2, 1); two: late -> (1, 0)
    assert card["cadence_counts"]["team"] == {"due": 3, "on_time": 1}
    assert card["cadence_kept"]["team"] == 0.333


def _published(session, incident, audience, channel, when, promised=None):
    draft = DraftRow(incident_id=incident.id, kind="status", audience=audience,
                     channel=channel, lang="en", phase=incident.phase, body="update",
                     template="t", author="test", status="published", created_at=when,
                     updated_at=when, published_at=when, promised_next_update=promised)
    session.add(draft)
    session.flush()
    return draft


def test_scorecard_from_the_store(store):
    with store.session() as session:
        alert = AlertRow(opened_at=at(0), updated_at=at(0), severity="high", kinds=["volume"],
                         title="spike", evidence={})
        session.add(alert)
        session.flush()
        acknowledge(session, alert, actor="ana", now=at(3))
        incident = declare(session, title="Login down", crisis_type="outage",
                           severity="major", actor="ana", now=at(6), alert=alert)
        _published(session, incident, "customers", "statuspage", at(20), promised=at(60))
        _published(session, incident, "customers", "x", at(21))  # not the customers' clock
        _published(session, incident, "team", "slack", at(18))
        update_facts(session, incident, actor="ana", now=at(30), eta=at(90))  # major
        _published(session, incident, "ceo", "email", at(50))
        waiting = DraftRow(incident_id=incident.id, kind="status", audience="customers",
                           channel="statuspage", lang="en", phase="investigating",
                           body="Login is DOWN!!! We are investigating. Next update by 10:30 UTC.",
                           template="t", author="test", status="draft", created_at=at(55),
                           updated_at=at(55))
        session.add(waiting)
        session.flush()
        approve(session, waiting, approver="bo", role="approver", now=at(56),
                override_reason="exercise")
        transition(session, incident, "resolved", actor="ana", now=at(80))
        # Outside the window: an alert and an acknowledgement the next day.
        session.add(AlertRow(opened_at=at(1500), updated_at=at(1500), severity="high",
                             kinds=["volume"], title="later", evidence={}))
    with store.session() as session:
        card = scorecard(session, at(-30), at(100))
    assert card["origin"] == "alert"
    assert card["time_to_ack_s"] == 180
    assert card["time_to_declare_s"] == 360
    assert card["time_to_first_public_statement_s"] == 1200
    # team: first due 6+15=21, sent 18 on time; next due 63, overdue 74.25 < 80: missed.
    assert card["cadence_counts"]["team"] == {"due": 2, "on_time": 1}
    # customers: due 21, sent 20 (promised 60); due 60, overdue 75 < 80: missed.
    assert card["cadence_counts"]["customers"] == {"due": 2, "on_time": 1}
    # ceo: declared (major) due 6, overdue 36; the ETA at 30 does not move an earlier due;
    # sent at 50: late. Then due at the next major change, resolution at 80: ended.
    assert card["cadence_counts"]["ceo"] == {"due": 1, "on_time": 0}
    assert card["cadence_kept"]["board"] is None
    assert card["warnings_overridden"] == 1


def test_languages_that_disagree_for_long_are_contradictions():
    # customers: English moves to "fixing" at 30 and French follows at 35 (within the
    # 10-minute grace: not a contradiction); at 60 English says "resolved" and French
    # still says "fixing" until 85 (25 minutes: one contradiction); the promised times
    # of the updates at 90 differ until the incident ends at 120 (30 minutes: another).
    promise = at(150)
    incident = IncidentPlay("major", declared_at=at(0), resolved_at=at(120), sends={
        Audience.CUSTOMERS: (
            Send(at(5), lang="en", phase="investigating"),
            Send(at(6), lang="fr", phase="investigating"),
            Send(at(30), lang="en", phase="fixing"),
            Send(at(35), lang="fr", phase="fixing"),
            Send(at(60), lang="en", phase="monitoring"),
            Send(at(85), lang="fr", phase="monitoring"),
            Send(at(90), promise, lang="en", phase="monitoring"),
            Send(at(91), promise + timedelta(hours=1), lang="fr", phase="monitoring")),
        Audience.TEAM: (Send(at(10), lang="en", phase="investigating"),),  # one language
    })
    card = score(Play(start=at(0), end=at(200), first_alert=at(0), incidents=(incident,)))
    assert card["contradictions"] == 2
    assert card["contradiction_s"] == (25 + 30) * 60  # from 90: French had promised nothing


def test_the_bot_and_a_careful_team_contradict_nothing():
    incident = IncidentPlay("major", declared_at=at(0), sends={Audience.CUSTOMERS: (
        Send(at(5), lang="en", phase="investigating"),
        Send(at(5), lang="fr", phase="investigating"))})
    card = score(Play(start=at(0), end=at(60), incidents=(incident,)))
    assert (card["contradictions"], card["contradiction_s"]) == (0, 0)
