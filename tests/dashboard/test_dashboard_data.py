"""Dashboard without a browser: queries, figures, actions and roles, the login wall, and
the public status page (escaping, languages, only published updates)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from dashboard import actions, data, figures
from dashboard.app import create_app
from dashboard.auth import add_user, authenticate
from dashboard.context import DashboardContext
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand, suggest_updates
from responders.incidents import active_incident, declare
from responders.outbox import publish_approved
from responders.templates import TemplateLibrary
from store import Store
from store.models import (
    AlertRow,
    AuditRow,
    DraftRow,
    MentionRow,
    ScoreRow,
    StatusPostRow,
    TicketCountRow,
)

NOW = datetime(2026, 3, 10, 10, 30)
XSS = "<img src=x onerror=alert(1)><b>bold</b>"


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store("sqlite:///" + str(tmp_path / "t.db"))
    s.upgrade()
    yield s
    s.engine.dispose()


def add_mention(session, n, at, label, text="Nimbus is fine", source="x", lang="en",
                rumour=0.0, followers=10, crisis_type=None):
    m = MentionRow(source=source, external_id=f"m{n}", author=f"user{n}",
                   author_followers=followers, text=text, lang=lang, created_at=at,
                   collected_at=at, metrics={}, raw={})
    session.add(m)
    session.flush()
    p = {"negative": 0.1, "neutral": 0.1, "positive": 0.1, label: 0.8}
    session.add(ScoreRow(mention_id=m.id, label=label, rumour=rumour, crisis_type=crisis_type,
                         lang=lang, model="test", scored_at=at, **p))
    return m


@pytest.fixture
def populated(store):
    """Calm for three hours, then a burst of negative mentions and tickets in the last
    15 minutes, one alert."""
    with store.session() as s:
        n = 0
        for minute in range(0, 180, 10):  # 18 calm mentions, 1 per 10 minutes
            add_mention(s, n, NOW - timedelta(minutes=195) + timedelta(minutes=minute),
                        "neutral")
            n += 1
        for i in range(30):  # burst: 20 negative, 10 positive, 5 rumours
            label = "negative" if i < 20 else "positive"
            add_mention(s, n, NOW - timedelta(minutes=10, seconds=-i * 10), label,
                        text=f"Nimbus is down {i}" if label == "negative" else "love it",
                        rumour=0.9 if i < 5 else 0.0, followers=1000 + i, source="reddit"
                        if i % 2 else "x", lang="fr" if i % 3 == 0 else "en",
                        crisis_type="outage" if label == "negative" else None)
            n += 1
        add_mention(s, n, NOW - timedelta(minutes=2), "neutral", text=XSS)
        add_mention(s, n + 1, NOW - timedelta(minutes=1), "neutral", text="100% sure_thing")
        s.add(TicketCountRow(source="drill", minute=NOW - timedelta(minutes=5), channel="all",
                             count=12, subjects=[]))
        s.add(TicketCountRow(source="drill", minute=NOW - timedelta(minutes=100),
                             channel="all", count=3, subjects=[]))
        top = s.query(MentionRow.id).filter(MentionRow.text.like("Nimbus is down%")) \
            .order_by(MentionRow.author_followers.desc()).limit(3).all()
        s.add(AlertRow(opened_at=NOW - timedelta(minutes=8), updated_at=NOW, severity="major",
                       kinds=["mentions", "negative_share"], title="Unusual mention volume",
                       evidence={"top_mentions": [t[0] for t in top]}, status="open"))
    return store


def make_ctx(store, tmp_path=None, **kw) -> DashboardContext:
    brand = Brand()
    library = TemplateLibrary()

    def refresh(now):
        with store.session() as s:
            incident = active_incident(s)
            return len(suggest_updates(s, incident, library, brand, now)) if incident else 0

    kw.setdefault("refresh_drafts", refresh)
    kw.setdefault("publish", lambda now: publish_approved(
        store, {"statuspage": StatusPageChannel(store)}, now))
    return DashboardContext(store=store, clock=lambda: NOW, library=library, brand=brand,
                            secret_key="test-secret", **kw)


def user(name, role):
    return SimpleNamespace(username=name, role=role, is_authenticated=True)


# --- queries and figures -------------------------------------------------------------------

def test_activity_counts_every_minute(populated):
    with populated.session() as s:
        df = data.activity(s, NOW - timedelta(hours=3), NOW)
    assert len(df) == 180 and df.index[0] == NOW - timedelta(hours=3)
    assert df["negative"].sum() == 20 and df["positive"].sum() == 10
    assert df["rumours"].sum() == 5
    assert df["tickets"].sum() == 15
    burst = df.loc[NOW - timedelta(minutes=10)]
    assert burst["total"] == 6 and burst["negative"] == 6
    assert burst["negative_share"] == pytest.approx(1.0)
    assert df["negative_share"].iloc[-1] == pytest.approx(0.0)  # neutral only lately
    assert (df.loc[:NOW - timedelta(minutes=190), "total"] == 0).all()  # zero-filled


def test_kpis_compare_last_15_minutes_with_normal(populated):
    with populated.session() as s:
        k = data.kpis(s, NOW)
    assert k["mentions"] == 32 and k["mentions_normal"] == pytest.approx(18 / 12)
    assert k["negative_share"] == pytest.approx(20 / 32)
    assert k["negative_share_normal"] == 0
    assert (k["tickets"], k["tickets_normal"]) == (12, pytest.approx(3 / 12))
    assert (k["alerts_open"], k["alerts_unacknowledged"]) == (1, 1)


def test_open_alerts_carry_readable_evidence(populated):
    with populated.session() as s:
        [alert] = data.open_alerts(s)
        markers = data.alert_markers(s, NOW - timedelta(hours=3), NOW)
    assert alert["title"] == "Unusual mention volume" and alert["status"] == "open"
    assert [m["followers"] for m in alert["mentions"]] == [1019, 1018, 1017]
    assert alert["mentions"][0]["text"].startswith("Nimbus is down")
    assert markers[0]["opened_at"] == NOW - timedelta(minutes=8)


def test_mention_filters_and_literal_search(populated):
    with populated.session() as s:
        newest = data.mentions(s, limit=5)
        assert newest[0]["text"] == "100% sure_thing" and newest[1]["text"] == XSS
        assert {m["label"] for m in data.mentions(s, labels=["negative"])} == {"negative"}
        assert len(data.mentions(s, rumour_only=True)) == 5
        assert {m["source"] for m in data.mentions(s, sources=["reddit"])} == {"reddit"}
        assert {m["lang"] for m in data.mentions(s, langs=["fr"])} == {"fr"}
        assert [m["text"] for m in data.mentions(s, search="100%")] == ["100% sure_thing"]
        assert data.mentions(s, search="s_r") == []  # "_" is literal, not a wildcard
        assert [m["text"] for m in data.mentions(s, search="ONERROR")] == [XSS]
        facets = data.mention_facets(s)
    assert facets == {"sources": ["reddit", "x"], "langs": ["en", "fr"]}


def test_activity_figure_layers_and_alert_markers(populated):
    with populated.session() as s:
        df = data.activity(s, NOW - timedelta(hours=3), NOW)
        markers = data.alert_markers(s, NOW - timedelta(hours=3), NOW)
    fig = figures.activity_figure(df, markers, NOW)
    names = [t.name for t in fig.data]
    assert names == ["Negative", "Neutral", "Positive", "Negative share", "Rumours", "Tickets"]
    colours = {t.name: t.marker.color for t in fig.data if t.type == "bar"}
    assert (colours["Negative"], colours["Neutral"], colours["Positive"]) == (
        figures.RED, figures.GREY, figures.GREEN)
    assert fig.layout.barmode == "stack"
    [line] = fig.layout.shapes
    assert line.x0 == NOW - timedelta(minutes=8) and line.yref == "paper"
    assert any("alert 10:22" in (a.text or "") for a in fig.layout.annotations)
    assert figures.activity_figure(df.iloc[0:0], [], NOW).layout.annotations[0].text


def test_clock_wording():
    assert data.clock_text("ok", NOW + timedelta(minutes=12), NOW) == "due in 12 min"
    assert data.clock_text("overdue", NOW - timedelta(minutes=5), NOW) == "overdue by 5 min"
    assert data.clock_text("due", NOW, NOW) == "due now"
    assert data.clock_text("not_due", None, NOW).startswith("after resolution")
    assert data.clock_text("ok", NOW + timedelta(hours=2, minutes=5), NOW) == "due in 2 h 05 min"


def test_parse_eta():
    assert actions.parse_eta("", NOW) is None
    assert actions.parse_eta("11:45", NOW) == NOW.replace(hour=11, minute=45)
    assert actions.parse_eta("45", NOW) == NOW + timedelta(minutes=45)
    assert actions.parse_eta("1h30", NOW) == NOW + timedelta(minutes=90)
    assert actions.parse_eta("14h05", NOW) == NOW.replace(hour=14, minute=5)
    assert actions.parse_eta("00:15", NOW.replace(hour=23)) == datetime(2026, 3, 11, 0, 15)
    for bad in ("soon", "25:00", "tomorrow-ish"):
        with pytest.raises(ValueError):
            actions.parse_eta(bad, NOW)


# --- actions and roles ---------------------------------------------------------------------

def test_roles_are_checked_server_side_and_every_action_audited(populated):
    ctx = make_ctx(populated)
    with populated.session() as s:
        alert_id = s.query(AlertRow.id).scalar()
    with pytest.raises(actions.ActionError, match="viewer"):
        actions.declare_incident(ctx, user("vic", "viewer"), alert_id=alert_id, title="x",
                                 crisis_type="outage", severity="major")
    actions.acknowledge_alert(ctx, user("eve", "editor"), alert_id)
    incident_id = actions.declare_incident(
        ctx, user("eve", "editor"), alert_id=alert_id, title="Login outage",
        crisis_type="outage", severity="major",
        facts={"impact": "about 40% of customers cannot log in", "actions": ""})
    with pytest.raises(actions.ActionError, match="already part of incident"):
        actions.declare_incident(ctx, user("eve", "editor"), alert_id=alert_id, title="again",
                                 crisis_type="outage", severity="major")
    changed = actions.set_facts(
        ctx, user("eve", "editor"), incident_id,
        en={"impact": "about 40% of customers cannot log in", "known": "logins fail",
            "unknown": "the cause", "cause": "", "actions": "our engineers are investigating"},
        fr={"impact": "environ 40 % des clients ne peuvent plus se connecter", "known": "",
            "unknown": "", "cause": "", "actions": ""}, eta="")
    assert "known" in changed and "impact (fr)" in changed and "impact" not in changed
    with populated.session() as s:
        inc = data.incident(s, NOW)
        queue = data.approval_queue(s, NOW)
    assert inc["id"] == incident_id and inc["facts"]["cause"] == ""
    assert inc["translations"]["fr"]["impact"].startswith("environ 40 %")
    assert {c["audience"] for c in inc["clocks"]} == {"team", "ceo", "customers", "board"}
    status_en = next(d for d in queue if d["group"] == "status" and d["lang"] == "en")
    assert status_en["findings"] is not None and queue[0]["group"] == "status"
    with pytest.raises(actions.ActionError, match="editor"):
        actions.approve(ctx, user("eve", "editor"), status_en["id"])
    with pytest.raises(actions.ActionError, match="changed since you opened it"):
        actions.approve(ctx, user("ann", "approver"), status_en["id"], seen="old text",
                        base="old text", override_reason="ok")
    edited = status_en["body"] + "\n\nWe are sorry for the disruption."
    result = actions.approve(ctx, user("ann", "approver"), status_en["id"], seen=edited,
                             base=status_en["body"], override_reason="checked with tech lead")
    assert result == "Approved and sent."
    with populated.session() as s:
        post = s.query(StatusPostRow).one()
        sent = data.recently_sent(s)
        audit = [(a.actor, a.action) for a in s.query(AuditRow).order_by(AuditRow.id)]
    assert post.body == edited and post.lang == "en"
    assert sent[0]["status"] == "published" and sent[0]["deliveries"][0]["ok"]
    assert audit == [("eve", "alert.acknowledge"), ("eve", "incident.declare"),
                     ("eve", "incident.facts"), ("ann", "draft.edit"), ("ann", "draft.approve")]


def test_two_person_rule_refuses_approving_own_edit(populated):
    ctx = make_ctx(populated, two_person_rule=True)
    with populated.session() as s:
        incident = declare(s, title="Outage", crisis_type="outage", severity="major",
                           actor="eve", now=NOW)
    ctx.refresh_drafts(NOW)
    with populated.session() as s:
        draft = s.query(DraftRow).filter_by(channel="statuspage", lang="en").one()
        body = draft.body
    with pytest.raises(actions.ActionError, match="two-person rule"):
        actions.approve(ctx, user("ann", "approver"), draft.id, seen=body + " Edited.",
                        base=body, override_reason="fine")
    actions.reject(ctx, user("eve", "editor"), draft.id)
    with populated.session() as s:
        assert s.get(DraftRow, draft.id).status == "rejected"
    assert incident.id


# --- users and the login wall --------------------------------------------------------------

def test_add_user_and_authenticate(store):
    with store.session() as s:
        add_user(s, "alice", "correct horse", "approver", now=NOW)
        for args, message in ((("alice", "x", "viewer"), "already exists"),
                              (("bob", "", "viewer"), "password"),
                              (("", "pw", "viewer"), "username"),
                              (("bob", "pw", "superuser"), "unknown role")):
            with pytest.raises(ValueError, match=message):
                add_user(s, *args, now=NOW)
    with store.session() as s:
        assert authenticate(s, "alice", "correct horse").role == "approver"
        assert authenticate(s, "alice", "wrong") is None
        assert authenticate(s, "nobody", "correct horse") is None
        assert not s.query(AuditRow).filter(AuditRow.detail.contains("horse")).count()


@pytest.fixture
def client(populated):
    with populated.session() as s:
        add_user(s, "alice", "pw-alice", "approver", now=NOW)
    app = create_app(make_ctx(populated))
    return app.server.test_client()


def test_login_wall(client):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    assert client.get("/mentions").status_code == 302
    assert client.get("/status").status_code == 200
    assert client.get("/status.json").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.post("/_dash-update-component", json={"output": "x"}).status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401
    assert client.get("/login?next=/approvals").status_code == 200
    bad = client.post("/login", data={"username": "alice", "password": "nope", "next": "/"})
    assert bad.status_code == 401 and b"Wrong username or password" in bad.data
    ok = client.post("/login", data={"username": "alice", "password": "pw-alice",
                                     "next": "/approvals"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/approvals"
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    client.get("/logout")  # state changes are POST only: a GET (an <img src>) does nothing
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_login_never_redirects_off_site(client):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = client.post("/login", data={"username": "alice", "password": "pw-alice",
                                        "next": target})
        assert r.headers["Location"] == "/"
        client.post("/logout")


def test_failed_logins_are_throttled_per_client_and_name(client, populated):
    for _ in range(10):
        bad = client.post("/login", data={"username": "alice", "password": "guess"})
        assert bad.status_code == 401
    # over the limit: refused without checking, even the right password, and says when
    stop = client.post("/login", data={"username": "Alice ", "password": "pw-alice"})
    assert stop.status_code == 429 and b"Try again in 15 minutes" in stop.data
    assert 800 < int(stop.headers["Retry-After"]) <= 900
    with populated.session() as s:
        assert s.query(AuditRow).filter(AuditRow.action == "login.failed").count() == 10
    # the same account from elsewhere, and another account from here, are not locked out
    elsewhere = client.post("/login", data={"username": "alice", "password": "pw-alice"},
                            environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"username": "bob", "password": "x"}).status_code == 401


def test_rate_limit_window_slides_and_memory_is_bounded():
    from dashboard.ratelimit import RateLimit

    now = [0.0]
    limit = RateLimit(2, 60, max_keys=3, clock=lambda: now[0])
    limit.hit("a")
    now[0] = 30
    limit.hit("a")
    assert limit.wait("a") == pytest.approx(30)
    assert limit.take("a") == pytest.approx(30)  # refused, and not counted
    now[0] = 61  # the first hit has left the window
    assert limit.wait("a") == 0
    assert limit.take("a") == 0 and limit.wait("a") == pytest.approx(29)
    for key in "bcde":
        limit.hit(key)
    assert len(limit._events) == 3 and "a" not in limit._events


# --- public status page --------------------------------------------------------------------

def test_status_page_escapes_and_follows_language(client, populated):
    r = client.get("/status")
    assert b"All systems operational" in r.data and b'http-equiv="refresh" content="30"' \
        in r.data
    with populated.session() as s:
        incident = declare(s, title="Login <outage>", crisis_type="outage", severity="major",
                           actor="eve", now=NOW)
        for n in range(3):
            s.add(DraftRow(id=n + 1, incident_id=incident.id, kind="status",
                           audience="customers", channel="statuspage", lang="en", body="-",
                           template="-", author="eve", status="published", created_at=NOW,
                           updated_at=NOW))
        s.flush()
        s.add_all([
            StatusPostRow(draft_id=1, incident_id=1, title="Login <outage>", phase="investigating",
                          lang="en", body="We are investigating.\n" + XSS,
                          published_at=NOW - timedelta(minutes=20)),
            StatusPostRow(draft_id=2, incident_id=1, title="Login <outage>", phase="identified",
                          lang="fr", body="Nous avons identifié la cause.",
                          published_at=NOW - timedelta(minutes=5)),
        ])
    page = client.get("/status").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<img" not in page and "<b>" not in page and "Login &lt;outage&gt;" in page
    assert "Nous avons" not in page and "Ongoing incident" in page
    fr = client.get("/status?lang=fr").get_data(as_text=True)
    assert "Nous avons identifié la cause." in fr and "We are investigating" not in fr
    assert "Incident en cours" in fr and "Cause identifiée" in fr
    assert client.get("/status?lang=xx").get_data(as_text=True).count("We are investigating")
    js = client.get("/status.json").get_json()
    assert js["state"] == "incident" and js["updates"][0]["body"].endswith(XSS)
    assert js["incidents"][0]["phase"] == "identified"
    with populated.session() as s:
        s.add(StatusPostRow(draft_id=3, incident_id=1, title="Login", phase="resolved",
                            lang="en", body="Resolved.", published_at=NOW))
    assert client.get("/status.json").get_json()["state"] == "operational"


def test_french_drafts_flag_facts_still_in_english(populated):
    ctx = make_ctx(populated)
    with populated.session() as s:
        incident = declare(s, title="Outage", crisis_type="outage", severity="major",
                           actor="eve", now=NOW)
    actions.set_facts(ctx, user("eve", "editor"), incident.id,
                      en={"impact": "about 10% of customers cannot log in", "actions": "we "
                          "are rolling back"}, fr={"impact": "environ 10 % des clients"},
                      eta="")
    with populated.session() as s:
        queue = {(d["channel"], d["lang"]): d for d in data.approval_queue(s, NOW)}
    assert queue[("statuspage", "fr")]["untranslated"] == ["actions"]
    assert queue[("statuspage", "en")]["untranslated"] == []


def test_two_apps_in_one_process_each_get_the_page_callbacks(populated):
    first, second = create_app(make_ctx(populated)), create_app(make_ctx(populated))
    for app in (first, second):
        outputs = " ".join(app.callback_map)
        for component in ("overview-kpis", "mentions-table", "incident-header",
                          "approvals-queue", "shell-clock"):
            assert component in outputs


def test_a_failed_send_is_posted_by_hand_or_sent_again(populated):
    """When a channel refuses, the approver sees it in 'Needs a human', posts by hand and
    records the link, or sends again; both need an approver and are audited."""
    import sys

    from responders.channels.base import ChannelError
    from responders.outbox import needs_check

    class Down:
        name = "statuspage"

        def send(self, message, now):
            raise ChannelError("401 unauthorized", permanent=True)

    ctx = make_ctx(populated, publish=lambda now: publish_approved(
        populated, {"statuspage": Down()}, now))
    with populated.session() as s:
        alert_id = s.query(AlertRow.id).scalar()
    actions.declare_incident(ctx, user("eve", "editor"), alert_id=alert_id,
                             title="Login outage", crisis_type="outage", severity="major",
                             facts={"impact": "about 40% of customers cannot log in",
                                    "actions": "our engineers are investigating"},
                             translations={"fr": {
                                 "title": "Panne de connexion",
                                 "impact": "environ 40 % des clients ne peuvent plus se connecter",
                                 "actions": "nos ingénieurs analysent le problème"}})
    with populated.session() as s:
        queue = data.approval_queue(s, NOW)
    first, second = [d for d in queue if d["group"] == "status"][:2]
    for d in (first, second):
        actions.approve(ctx, user("ann", "approver"), d["id"], seen=d["body"], base=d["body"],
                        override_reason="checked")
    with populated.session() as s:
        checks = needs_check(s)
    assert {c["id"] for c in checks} == {first["id"], second["id"]}
    create_app(ctx)  # Dash loads page modules under its own names: use the loaded one
    approvals = next(m for n, m in sys.modules.items() if n.endswith("pages.approvals"))
    assert "401 unauthorized" in str(approvals.render_checks(checks, can_approve=True))

    with pytest.raises(actions.ActionError, match="approve"):
        actions.mark_posted(ctx, user("eve", "editor"), first["id"], "https://x.example/1")
    with pytest.raises(actions.ActionError, match="link"):
        actions.mark_posted(ctx, user("ann", "approver"), first["id"], "posted it")
    actions.mark_posted(ctx, user("ann", "approver"), first["id"], "https://status.example/1")
    actions.send_again(ctx, user("ann", "approver"), second["id"])  # fails again: refused
    with populated.session() as s:
        states = {d.id: d.status for d in s.query(DraftRow).filter(
            DraftRow.id.in_((first["id"], second["id"])))}
        audit = [a.action for a in s.query(AuditRow).order_by(AuditRow.id)][-2:]
    assert states == {first["id"]: "published", second["id"]: "failed"}
    assert audit == ["draft.posted_manually", "draft.send_again"]


def test_alert_evidence_says_its_window_and_names_the_new_words(populated):
    import sys

    create_app(make_ctx(populated))
    overview = next(m for n, m in sys.modules.items() if n.endswith("pages.overview"))
    line = overview._signal_line({"kind": "mentions", "observed": 102, "expected": 8}, [])
    assert line == "102 mentions (normal 8)"
    terms = overview._signal_line({"kind": "terms", "observed": 32, "expected": 3.2},
                                  ["panne", "503"])
    assert terms == "new words trending: panne, 503"
