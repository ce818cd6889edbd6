"""Rumours: clustered into claims across English and French (retweets folded), linked to
the statement that answers them, cited by replies, and measured before and after."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from dashboard import rumour_data
from responders import rumours
from responders.drafts import Brand, suggest_replies
from responders.incidents import declare, update_facts
from responders.templates import TemplateLibrary
from store.models import (
    DraftRow,
    MentionRow,
    RumourClaimRow,
    RumourMentionRow,
    ScoreRow,
    StatusPostRow,
    TimelineRow,
    UserRow,
)

T0 = datetime(2026, 3, 10, 10, 0)
HACK = [
    ("en", "apparently @nimbushq got hacked and all our data is being sold"),
    ("en", "heard Nimbus was hacked?? customer data sold on the dark web"),
    ("fr", "Nimbus aurait été piraté, les données clients sont vendues"),
    ("en", "RT @leaky: apparently @nimbushq got hacked and all our data is being sold"),
]
BANKRUPT = [("en", "Nimbus is going bankrupt, shutting down next week"),
            ("fr", "Nimbus en faillite ? fermeture la semaine prochaine")]


def add(session, n, text, lang="en", at=T0, rumour=0.9, followers=100, source="x"):
    m = MentionRow(source=source, external_id=f"r{n}", author=f"user{n}",
                   author_followers=followers, text=text, lang=lang, created_at=at,
                   collected_at=at, metrics={}, raw={})
    session.add(m)
    session.flush()
    session.add(ScoreRow(mention_id=m.id, label="negative", negative=0.8, neutral=0.1,
                         positive=0.1, rumour=rumour, crisis_type="data_leak", lang=lang,
                         model="t", scored_at=at))
    return m


def claim_texts(session):
    out = {}
    for claim in rumours.claims(session):
        members = session.execute(select(MentionRow.text).join(
            RumourMentionRow, RumourMentionRow.mention_id == MentionRow.id)
            .where(RumourMentionRow.claim_id == claim.id)).scalars().all()
        out[claim.id] = sorted(members)
    return sorted(out.values(), key=len, reverse=True)


def test_claims_group_the_same_rumour_across_languages_and_retweets(store):
    with store.session() as s:
        for i, (lang, text) in enumerate(HACK + BANKRUPT):
            add(s, i, text, lang, at=T0 + timedelta(minutes=i))
        add(s, 99, "Nimbus is down again, so annoying", rumour=0.1)  # not a rumour
        assert rumours.cluster_pending(s, T0 + timedelta(hours=1), brand_words=("nimbus",)) == 6
        assert rumours.cluster_pending(s, T0 + timedelta(hours=1)) == 0  # idempotent
        groups = claim_texts(s)
        assert groups == [sorted(t for _, t in HACK), sorted(t for _, t in BANKRUPT)]
        loudest = rumours.claims(s)[0]
        assert loudest.mentions == 4 and loudest.first_seen == T0
        assert loudest.last_seen == T0 + timedelta(minutes=3)
        assert not loudest.text.startswith("RT @")


def test_unrelated_rumours_stay_apart_and_empty_text_is_its_own_claim():
    a = rumours.terms("they got hacked, passwords leaked")
    b = rumours.terms("ils ont été piratés, les mots de passe ont fuité")
    c = rumours.terms("the CEO was arrested by the police")
    assert rumours.cosine(a, b) > rumours.cosine(a, c)
    assert rumours.cosine(a, c) < rumours.THRESHOLD
    assert rumours.terms("") == {} and rumours.cosine({}, a) == 0.0


def test_linked_statement_is_cited_by_replies(store):
    library, brand = TemplateLibrary(), Brand(status_url="https://status.nimbus.example/status")
    with store.session() as s:
        incident = declare(s, title="Rumoured breach", crisis_type="outage", severity="major",
                           actor="lead", now=T0)
        update_facts(s, incident, actor="lead", now=T0, impact="logins fail for some regions",
                     actions="we are investigating the login service")
        add(s, 0, HACK[0][1], followers=50)  # the claim's source: never answered
        first = add(s, 1, HACK[0][1], followers=500, at=T0 + timedelta(minutes=1))
        [reply] = suggest_replies(s, incident, library, brand, T0 + timedelta(minutes=2),
                                  limit=1)
        assert reply.body.endswith(brand.status_url)  # no statement yet: the status page
        statement = DraftRow(incident_id=incident.id, kind="status", audience="customers",
                             channel="statuspage", lang="en", phase="investigating",
                             body="We have found no sign of a breach.", template="-",
                             author="lead", status="published", created_at=T0,
                             updated_at=T0, published_at=T0 + timedelta(minutes=5))
        s.add(statement)
        s.flush()
        post = StatusPostRow(draft_id=statement.id, incident_id=incident.id, title="t",
                             phase="investigating", lang="en", body=statement.body,
                             published_at=T0 + timedelta(minutes=5))
        s.add(post)
        s.flush()
        claim = rumours.claim_of(s, first, T0)
        url = rumours.link_statement(s, claim, actor="lead", now=T0 + timedelta(minutes=6),
                                     status_url=brand.status_url, draft=statement)
        assert url == f"https://status.nimbus.example/status#update-{post.id}"
        assert claim.statement_post_id == post.id and claim.linked_by == "lead"
        assert any("answered by" in e.detail for e in s.execute(select(TimelineRow)).scalars())
        add(s, 2, HACK[1][1], followers=400)
        replies = suggest_replies(s, incident, library, brand, T0 + timedelta(minutes=7))
        [second] = [d for d in replies if d.mention.external_id == "r2"]
        assert second.body.endswith(url)


def test_statement_must_be_public(store):
    with store.session() as s:
        m = add(s, 1, HACK[0][1])
        claim = rumours.claim_of(s, m, T0)
        draft = DraftRow(kind="status", audience="customers", channel="statuspage", lang="en",
                         body="x", template="-", author="lead", status="draft",
                         created_at=T0, updated_at=T0)
        s.add(draft)
        s.flush()
        with pytest.raises(ValueError, match="once it is published"):
            rumours.link_statement(s, claim, actor="lead", now=T0, status_url="https://s",
                                   draft=draft)
        with pytest.raises(ValueError, match="public link"):
            rumours.link_statement(s, claim, actor="lead", now=T0, status_url="https://s",
                                   url="javascript:alert(1)")
        rumours.link_statement(s, claim, actor="lead", now=T0, status_url="https://s",
                               url="https://x.com/nimbushq/status/1")
        assert claim.statement_url == "https://x.com/nimbushq/status/1"


def test_volume_before_and_after_the_statement_shows_decay(store):
    statement_at = T0 + timedelta(hours=1)
    with store.session() as s:
        n = 0
        for minute in range(0, 60, 2):  # 5 per 10 minutes for the hour before
            add(s, n, HACK[n % 3][1], HACK[n % 3][0], at=T0 + timedelta(minutes=minute))
            n += 1
        for minute in range(0, 60, 20):  # then 1 per 20 minutes
            add(s, n, HACK[n % 3][1], HACK[n % 3][0], at=statement_at + timedelta(minutes=minute))
            n += 1
        rumours.cluster_pending(s, statement_at + timedelta(hours=2))
        [claim] = rumours.claims(s)
        now = statement_at + timedelta(hours=1)
        quiet = rumours.volume(s, claim, now)
        assert quiet["statement_at"] is None and quiet["decaying"] is None
        rumours.link_statement(s, claim, actor="lead", now=statement_at, status_url="https://s",
                               url="https://status.example/#update-1")
        v = rumours.volume(s, claim, now)
        assert v["statement_at"] == statement_at
        before = [b["count"] for b in v["buckets"] if not b["after"]]
        after = [b["count"] for b in v["buckets"] if b["after"]]
        assert before == [0] * 6 + [5] * 6 and after == [1, 0, 1, 0, 1, 0]
        assert v["before_rate"] == 5 and v["after_rate"] == 0.5 and v["decaying"] is True
        assert all(b["start"] != statement_at or b["after"] for b in v["buckets"])


def test_dashboard_rows(store):
    with store.session() as s:
        for i, (lang, text) in enumerate(HACK):
            add(s, i, text, lang, at=T0 + timedelta(minutes=i))
        rumours.cluster_pending(s, T0 + timedelta(hours=1))
        rows = rumour_data.claim_rows(s, T0 + timedelta(hours=1))
        assert rows[0]["mentions"] == 4 and rows[0]["statement_url"] is None
        assert rows[0]["decaying"] is None
        detail = rumour_data.claim_detail(s, rows[0]["id"], T0 + timedelta(hours=1))
        assert len(detail["mentions"]) == 4 and detail["volume"]["buckets"]
        assert rumour_data.statement_options(s) == []
        assert s.get(RumourClaimRow, rows[0]["id"]) is not None


def test_rumours_page_renders_and_links(store):
    """The page module through the real app: the list, the chart and the link action."""
    import sys

    from dashboard.app import create_app
    from dashboard.auth import add_user
    from dashboard.context import DashboardContext

    with store.session() as s:
        for i, (lang, text) in enumerate(HACK):
            add(s, i, text, lang, at=T0 + timedelta(minutes=i))
        add_user(s, "eve", "pw-eve", "editor", now=T0)
        incident = declare(s, title="t", crisis_type="outage", severity="major", actor="eve",
                           now=T0)
        draft = DraftRow(incident_id=incident.id, kind="status", audience="customers",
                         channel="statuspage", lang="en", body="No breach <b>found</b>.",
                         template="-", author="eve", status="published", created_at=T0,
                         updated_at=T0, published_at=T0 + timedelta(minutes=5))
        s.add(draft)
        s.flush()
        s.add(StatusPostRow(draft_id=draft.id, incident_id=incident.id, title="t",
                            phase="investigating", lang="en", body=draft.body,
                            published_at=T0 + timedelta(minutes=5)))
        rumours.cluster_pending(s, T0 + timedelta(hours=1))  # the pipeline's draft stage
    ctx = DashboardContext(store=store, clock=lambda: T0 + timedelta(hours=1),
                           library=TemplateLibrary(), brand=Brand(), secret_key="k")
    app = create_app(ctx)
    app.server.testing = True  # a server error fails the test with its traceback
    client = app.server.test_client()
    signed_in = client.post("/login", data={"username": "eve", "password": "pw-eve",
                                            "next": "/"})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[-300:]
    page_response = client.get("/rumours")
    assert page_response.status_code == 200, (page_response.headers, client.get_cookie("session"))
    page = next(m for name, m in sys.modules.items() if name.endswith("pages.rumours"))
    from flask_login import login_user

    from dashboard.auth import User

    with store.session() as s:
        uid = s.execute(select(UserRow.id).where(UserRow.username == "eve")).scalar_one()
        post_id = s.execute(select(StatusPostRow.id)).scalar_one()
    with app.server.test_request_context("/_dash-update-component"):
        login_user(User(uid, "eve", "editor"))
        _listing, options, posts, chosen = page.refresh(0, None, None)
        assert len(options) == 1 and posts[0]["value"] == post_id
        assert "<b>" in posts[0]["label"]  # plain text in a dropdown label, not HTML
        claim_id = options[0]["value"]
        assert chosen == claim_id  # the loudest claim is shown before any click
        figure, _style, statement, _quotes = page.show_claim(claim_id, 0, None)
        bars = figure["data"][0] if isinstance(figure, dict) else figure.data[0]
        assert sum(bars["y"]) == 4
        flash = page.link(1, claim_id, post_id)
        assert "now cite" in str(flash)
        _, _, statement, _ = page.show_claim(claim_id, 0, flash)
        assert f"#update-{post_id}" in str(statement)
        login_user(User(uid, "vic", "viewer"))
        assert "you need to be" in str(page.link(1, claim_id, post_id))
