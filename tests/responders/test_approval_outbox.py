"""Nothing leaves unapproved; what is approved leaves exactly once, as approved."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from responders.approval import ApprovalError, approve, reject
from responders.channels.base import ChannelError, Delivery
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand, edit_draft, suggest_updates
from responders.incidents import declare, transition, update_facts
from responders.outbox import publish_approved
from responders.templates import TemplateLibrary
from store.models import DeliveryRow, DraftRow, StatusPostRow, TimelineRow

T0 = datetime(2026, 3, 10, 10, 0)
GOOD = ("We are investigating an issue preventing about 60% of customers from logging in "
        "or syncing files since 10:00 UTC. The cause is not yet known. Our engineers are "
        "working on it. Next update at 11:00 UTC.")


def make_draft(store, body=GOOD, author="editor", channel="statuspage"):
    with store.session() as s:
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="lead", now=T0)
        update_facts(s, incident, actor="lead", now=T0, impact="about 60% of customers")
        draft = DraftRow(incident_id=incident.id, kind="status", audience="customers",
                         channel=channel, lang="en", phase="investigating", body=body,
                         template="hand", author=author, status="draft", created_at=T0,
                         updated_at=T0)
        s.add(draft)
        s.flush()
        return draft.id


def do(store, fn, draft_id, **kw):
    with store.session() as s:
        return fn(s, s.get(DraftRow, draft_id), now=T0 + timedelta(minutes=5), **kw)


def count(store, model, *where):
    with store.session() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


class Flaky:
    """A channel that fails `failures` times, then accepts."""

    name = "statuspage"

    def __init__(self, failures: int, permanent: bool = False):
        self.failures, self.permanent, self.sent = failures, permanent, []

    def send(self, message, now):
        if self.failures:
            self.failures -= 1
            raise ChannelError("receiver down", permanent=self.permanent)
        self.sent.append(message)
        return Delivery(external_id="ok")


def test_unapproved_drafts_are_never_sent(store):
    make_draft(store)
    assert publish_approved(store, {"statuspage": StatusPageChannel(store)}, T0) == 0
    assert count(store, DeliveryRow) == count(store, StatusPostRow) == 0


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_approvers_approve(store, role):
    draft_id = make_draft(store)
    with pytest.raises(ApprovalError, match="only an approver or admin"):
        do(store, approve, draft_id, approver="someone", role=role)


def test_approved_update_reaches_status_page_exactly_once(store):
    draft_id = make_draft(store)
    do(store, approve, draft_id, approver="lead", role="approver")
    channels = {"statuspage": StatusPageChannel(store)}
    assert publish_approved(store, channels, T0 + timedelta(minutes=6)) == 1
    assert publish_approved(store, channels, T0 + timedelta(minutes=7)) == 0
    with store.session() as s:
        post = s.execute(select(StatusPostRow)).scalar_one()
        assert post.body == GOOD and post.phase == "investigating"
        assert s.get(DraftRow, draft_id).status == "published"
        kinds = [e.kind for e in s.execute(select(TimelineRow)).scalars()]
        assert "approval" in kinds and "delivery" in kinds
    assert count(store, DeliveryRow) == 1


def test_edit_after_approval_voids_it(store):
    draft_id = make_draft(store)
    do(store, approve, draft_id, approver="lead", role="approver")
    do(store, edit_draft, draft_id, body=GOOD.replace("60%", "70%"), actor="editor")
    assert publish_approved(store, {"statuspage": StatusPageChannel(store)}, T0) == 0
    with store.session() as s:
        assert s.get(DraftRow, draft_id).status == "draft"


def test_outbox_rechecks_approval_against_the_exact_body(store):
    """A draft marked approved by any other path, or changed behind the approval's back,
    goes back to the queue instead of out."""
    draft_id = make_draft(store)
    do(store, approve, draft_id, approver="lead", role="approver")
    with store.session() as s:
        s.get(DraftRow, draft_id).body = GOOD + " Sorry!"
    assert publish_approved(store, {"statuspage": StatusPageChannel(store)}, T0) == 0
    with store.session() as s:
        assert s.get(DraftRow, draft_id).status == "draft"
    assert count(store, StatusPostRow) == 0


def test_lint_errors_block_approval_and_warnings_need_a_reason(store):
    bad = make_draft(store, body=GOOD.replace("The cause is not yet known.",
                                              "This was caused by a database failure."))
    with pytest.raises(ApprovalError, match="fix before approving"):
        do(store, approve, bad, approver="lead", role="approver")
    shouting = make_draft(store, body=GOOD.replace("investigating", "INVESTIGATING"))
    with pytest.raises(ApprovalError, match="give a reason"):
        do(store, approve, shouting, approver="lead", role="approver")
    do(store, approve, shouting, approver="lead", role="approver", override_reason="ok")


def test_two_person_rule(store):
    draft_id = make_draft(store, author="lead")
    with pytest.raises(ApprovalError, match="two-person rule"):
        do(store, approve, draft_id, approver="lead", role="approver", two_person_rule=True)
    do(store, approve, draft_id, approver="other", role="approver", two_person_rule=True)


def test_transient_failures_retry_permanent_ones_stop(store):
    flaky = Flaky(failures=1)
    draft_id = make_draft(store)
    do(store, approve, draft_id, approver="lead", role="approver")
    assert publish_approved(store, {"statuspage": flaky}, T0) == 0
    assert publish_approved(store, {"statuspage": flaky}, T0) == 1
    assert len(flaky.sent) == 1
    assert count(store, DeliveryRow, DeliveryRow.ok.is_(False)) == 1

    broken = make_draft(store)
    do(store, approve, broken, approver="lead", role="approver")
    assert publish_approved(store, {"statuspage": Flaky(9, permanent=True)}, T0) == 0
    with store.session() as s:
        assert s.get(DraftRow, broken).status == "failed"


def test_rejected_drafts_are_not_sent(store):
    draft_id = make_draft(store)
    do(store, approve, draft_id, approver="lead", role="approver")
    do(store, reject, draft_id, actor="lead")
    assert publish_approved(store, {"statuspage": StatusPageChannel(store)}, T0) == 0


def test_suggestions_follow_the_incident_without_piling_up(store):
    library, brand = TemplateLibrary(), Brand()
    with store.session() as s:
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="lead", now=T0)
        update_facts(s, incident, actor="lead", now=T0,
                     impact="about 60% of customers cannot log in",
                     actions="our engineers are investigating the login service")
        first = suggest_updates(s, incident, library, brand, T0)
        assert {(d.audience, d.lang) for d in first} == {
            ("customers", "en"), ("customers", "fr"), ("team", "en"), ("ceo", "en")}
        assert all(d.body and d.phase == "investigating" for d in first)
        mine = next(d for d in first if d.audience == "team")
        edit_draft(s, mine, mine.body + " Ping me with questions.", actor="lead", now=T0)
        transition(s, incident, "identified", actor="lead", now=T0 + timedelta(minutes=20))
        update_facts(s, incident, actor="lead", now=T0 + timedelta(minutes=20),
                     cause="a faulty configuration change")
        second = suggest_updates(s, incident, library, brand, T0 + timedelta(minutes=20))
        s.flush()
        machine = [d for d in second if d.audience != "team"]
        assert all(d.phase == "identified" for d in machine)
        assert all("configuration" in d.body for d in machine if d.lang == "en")
        assert mine.body.endswith("Ping me with questions.")  # the human's edit stands
        statuses = s.execute(select(DraftRow).where(DraftRow.audience == "customers")).all()
        assert len(statuses) == 2, "refreshed in place, not duplicated"


def test_reply_queue_stays_readable(store):
    """However loud the crowd, at most `limit` new reply drafts wait; once fewer than half
    still wait, the next most-read mentions are drafted (a queue refilled after every
    approval makes the counter look stuck: issue 15)."""
    from responders.drafts import suggest_replies
    from store.models import MentionRow, ScoreRow

    library, brand = TemplateLibrary(), Brand()
    with store.session() as s:
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="lead", now=T0)
        update_facts(s, incident, actor="lead", now=T0, impact="many customers cannot log in")
        for i in range(30):
            m = MentionRow(source="x", external_id=str(i), author=f"u{i}", author_followers=i,
                           text="Nimbus is down", lang="en", created_at=T0, collected_at=T0,
                           metrics={}, raw={})
            s.add(m)
            s.flush()
            s.add(ScoreRow(mention_id=m.id, label="negative", negative=0.9, neutral=0.05,
                           positive=0.05, rumour=0.0, crisis_type="outage", lang="en",
                           model="t", scored_at=T0))
        first = suggest_replies(s, incident, library, brand, T0, limit=10)
        assert [d.mention.author for d in first][:3] == ["u29", "u28", "u27"]  # most-read first
        assert suggest_replies(s, incident, library, brand, T0, limit=10) == []
        for d in first[:5]:
            reject(s, d, actor="lead", now=T0)
        assert suggest_replies(s, incident, library, brand, T0, limit=10) == []  # 5 wait
        reject(s, first[5], actor="lead", now=T0)
        again = suggest_replies(s, incident, library, brand, T0, limit=10)
        assert len(again) == 6 and {d.mention.author for d in again} == {
            "u19", "u18", "u17", "u16", "u15", "u14"}


# --- exactly once under a crash; the human fallback ----------------------------------------

class Crash(BaseException):
    """The process dying: not an exception any code path may catch and carry on from."""


class Counting:
    """A channel that counts what it really posted, deduplicating by key if idempotent."""

    def __init__(self, name: str, idempotent: bool):
        self.name, self.idempotent, self.posts, self.keys = name, idempotent, [], set()

    def send(self, message, now):
        if not (self.idempotent and message.idempotency_key in self.keys):
            self.posts.append(message.body)
            self.keys.add(message.idempotency_key)
        return Delivery(external_id=f"{self.name}-{len(self.posts)}",
                        url=f"https://{self.name}.example/{len(self.posts)}")


def crash_once_after_send(monkeypatch):
    """Let the send happen, then kill the process before its outcome is recorded."""
    from responders import outbox

    real = outbox._record
    state = {"crashed": False}

    def record(*args, **kwargs):
        if not state["crashed"]:
            state["crashed"] = True
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "_record", record)


def test_crash_between_send_and_record_never_double_posts(store, monkeypatch):
    from responders.outbox import NEEDS_CHECK, mark_posted_manually, needs_check

    x = Counting("x", idempotent=False)
    draft_id = make_draft(store, channel="x")
    do(store, approve, draft_id, approver="lead", role="approver")
    crash_once_after_send(monkeypatch)
    with pytest.raises(Crash):
        publish_approved(store, {"x": x}, T0 + timedelta(minutes=6))
    assert len(x.posts) == 1
    with store.session() as s:
        assert s.get(DraftRow, draft_id).status == "publishing"
        [attempt] = s.execute(select(DeliveryRow)).scalars().all()
        assert attempt.finished_at is None and attempt.idempotency_key.startswith(
            f"cw-{draft_id}-x-")
    for minutes in (7, 12, 60, 600):  # restarts, soon and much later
        assert publish_approved(store, {"x": x}, T0 + timedelta(minutes=minutes)) == 0
    assert len(x.posts) == 1, "an X reply whose outcome is unknown is never re-sent alone"
    with store.session() as s:
        draft = s.get(DraftRow, draft_id)
        assert draft.status == NEEDS_CHECK
        [check] = needs_check(s)
        assert check["id"] == draft_id and check["body"] == GOOD
        assert "outcome unknown" in check["error"]
        assert any("Needs a human check" in e.detail
                   for e in s.execute(select(TimelineRow)).scalars())
        mark_posted_manually(s, draft, actor="lead", url="https://x.com/nimbushq/status/9",
                             now=T0 + timedelta(minutes=15))
    assert publish_approved(store, {"x": x}, T0 + timedelta(minutes=16)) == 0
    with store.session() as s:
        draft = s.get(DraftRow, draft_id)
        assert draft.status == "published"
        rows = s.execute(select(DeliveryRow).order_by(DeliveryRow.attempt)).scalars().all()
        assert [(r.ok, r.actor) for r in rows] == [(False, None), (True, "lead")]
        assert rows[1].url == "https://x.com/nimbushq/status/9"
        assert all(r.finished_at is not None for r in rows)
        assert len({r.idempotency_key for r in rows}) == 1
    assert len(x.posts) == 1


def test_crash_on_a_deduplicating_channel_is_retried_with_the_same_key(store, monkeypatch):
    """Mastodon through Mastodon.py against a fake server that honours Idempotency-Key."""
    from responders.channels.mastodon import MastodonChannel
    from tests.support.fake_http import FakeServer
    from tests.support.mastodon import MastodonServer

    draft_id = make_draft(store, channel="mastodon")
    do(store, approve, draft_id, approver="lead", role="approver")
    with FakeServer() as fake:
        fake.route("POST", "/api/v1/statuses", server := MastodonServer())
        channels = {"mastodon": MastodonChannel(api_base_url=fake.url, access_token="t")}
        crash_once_after_send(monkeypatch)
        with pytest.raises(Crash):
            publish_approved(store, channels, T0 + timedelta(minutes=6))
        # a restart while the send might still be in flight elsewhere: hands off
        assert publish_approved(store, channels, T0 + timedelta(minutes=7)) == 0
        assert publish_approved(store, channels, T0 + timedelta(minutes=9)) == 1
        assert publish_approved(store, channels, T0 + timedelta(minutes=10)) == 0
        keys = [r.headers["idempotency-key"] for r in fake.calls("/api/v1/statuses", "POST")]
    assert len(keys) == 2 and len(set(keys)) == 1 and server.count == 1
    with store.session() as s:
        assert s.get(DraftRow, draft_id).status == "published"
        rows = s.execute(select(DeliveryRow).order_by(DeliveryRow.attempt)).scalars().all()
        assert [r.ok for r in rows] == [False, True]
        assert "outcome unknown" in rows[0].error and rows[1].external_id == "110001"


def test_an_old_unknown_outcome_goes_to_a_human_even_on_a_deduplicating_channel(
        store, monkeypatch):
    from responders.outbox import NEEDS_CHECK, send_again

    chan = Counting("mastodon", idempotent=True)
    draft_id = make_draft(store, channel="mastodon")
    do(store, approve, draft_id, approver="lead", role="approver")
    crash_once_after_send(monkeypatch)
    with pytest.raises(Crash):
        publish_approved(store, {"mastodon": chan}, T0 + timedelta(minutes=6))
    # the server forgets idempotency keys after about an hour: do not trust it then
    assert publish_approved(store, {"mastodon": chan}, T0 + timedelta(hours=3)) == 0
    with store.session() as s:
        assert s.get(DraftRow, draft_id).status == NEEDS_CHECK
        send_again(s, s.get(DraftRow, draft_id), actor="lead", now=T0 + timedelta(hours=3))
    assert publish_approved(store, {"mastodon": chan}, T0 + timedelta(hours=3)) == 1
    assert len(chan.posts) == 1  # the key deduplicated the human-requested resend


def test_post_manually_only_what_was_approved(store):
    from responders.outbox import OutboxError, mark_posted_manually

    draft_id = make_draft(store, channel="reddit")
    with store.session() as s:
        draft = s.get(DraftRow, draft_id)
        with pytest.raises(OutboxError, match="only an approved draft"):
            mark_posted_manually(s, draft, actor="lead", url="https://reddit.com/r/x/1", now=T0)
    do(store, approve, draft_id, approver="lead", role="approver")
    with store.session() as s:
        draft = s.get(DraftRow, draft_id)
        with pytest.raises(OutboxError, match="link"):
            mark_posted_manually(s, draft, actor="lead", url="javascript:alert(1)", now=T0)
        draft.body = GOOD + " Edited behind the approval's back."
        with pytest.raises(OutboxError, match="no approval"):
            mark_posted_manually(s, draft, actor="lead", url="https://reddit.com/r/x/1", now=T0)
        draft.body = GOOD
        mark_posted_manually(s, draft, actor="lead", url="https://reddit.com/r/x/1", now=T0)
        assert draft.status == "published" and draft.published_at == T0
    # API access lost: the outbox has nothing left to send for it
    assert publish_approved(store, {}, T0 + timedelta(minutes=1)) == 0
    assert count(store, DeliveryRow) == 1


def test_idempotency_key_is_stable_per_message_and_changes_with_the_text(store):
    from responders.outbox import idempotency_key

    draft_id = make_draft(store, channel="x")
    with store.session() as s:
        draft = s.get(DraftRow, draft_id)
        key = idempotency_key(draft)
        assert key == idempotency_key(draft) and str(draft_id) in key and "x" in key
        draft.body = GOOD + " More."
        assert idempotency_key(draft) != key
