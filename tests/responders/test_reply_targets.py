"""Issue 15, item 5: replies go to the right people.

Each mention is categorised on its own words, never by the incident's type alone; posts
from before the incident's onset get no reply unless chosen; the source of a rumour claim
is never thanked nor reassured; claims are grouped across languages.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from responders import rumours
from responders.drafts import Brand, draft_reply_to, onset, reply_category, suggest_replies
from responders.incidents import declare, update_facts
from responders.templates import TemplateLibrary
from store.models import AlertRow, MentionRow, ScoreRow, SignalRow

T0 = datetime(2026, 12, 3, 10, 0)
LIB, BRAND = TemplateLibrary(), Brand()


def score(label="negative", rumour=0.0, crisis_type="data_leak"):
    return ScoreRow(label=label, negative=0.8, neutral=0.1, positive=0.1, rumour=rumour,
                    crisis_type=crisis_type, lang="en", model="t", scored_at=T0)


def test_each_mention_is_categorised_on_its_own_words_not_the_incident_type():
    # During a data-leak incident (crisis_type="data_leak"), with a scorer leaning data_leak:
    cases = {
        "How much are the cancellation fees if I leave Nimbus?": "billing",
        "Quels sont les frais de résiliation chez Nimbus ?": "billing",
        "Nimbus is down again, I can't log in": "outage_complaint",
        "Is my data safe? Were passwords leaked?": "data_leak_worry",
        "Mes données personnelles ont-elles fuité ?": "data_leak_worry",
    }
    for text, expected in cases.items():
        assert reply_category(text, score(), "data_leak") == expected, text
    neutral = score(label="neutral", crisis_type=None)
    assert reply_category("Lovely weather in Lyon today, Nimbus team lunch", neutral,
                          "data_leak") is None  # unrelated: no reply
    assert reply_category("Is it true Nimbus got hacked?", score(rumour=0.9),
                          "data_leak") == "rumour"


def add(s, n, text, at, lang="en", followers=100, rumour=0.0, crisis_type="outage"):
    m = MentionRow(source="x", external_id=f"m{n}", author=f"user{n}", author_followers=followers,
                   text=text, lang=lang, created_at=at, collected_at=at, metrics={}, raw={})
    s.add(m)
    s.flush()
    s.add(ScoreRow(mention_id=m.id, label="negative", negative=0.8, neutral=0.1, positive=0.1,
                   rumour=rumour, crisis_type=crisis_type, lang=lang, model="t", scored_at=at))
    s.flush()
    return m


def test_no_reply_to_posts_from_before_the_onset_unless_chosen(store):
    with store.session() as s:
        alert = AlertRow(opened_at=T0 - timedelta(minutes=10), updated_at=T0, severity="major",
                         kinds=["volume"], title="t", evidence={}, status="open")
        s.add(alert)
        s.flush()
        s.add(SignalRow(kind="volume", minute=T0 - timedelta(minutes=14), observed=9,
                        expected=2, score=0.99, alert_id=alert.id))
        inc = declare(s, title="Data leak claim", crisis_type="data_leak", severity="major",
                      actor="lead", now=T0, alert=alert)
        update_facts(s, inc, actor="lead", now=T0, impact="no impact confirmed so far")
        assert onset(s, inc) == T0 - timedelta(minutes=14)
        early = add(s, 1, "Cancellation fees at Nimbus are outrageous",
                    T0 - timedelta(hours=2), followers=9000)
        add(s, 2, "Nimbus is down, I can't log in", T0 - timedelta(minutes=12))
        drafted = suggest_replies(s, inc, LIB, BRAND, T0 + timedelta(minutes=5))
        assert [d.mention.external_id for d in drafted] == ["m2"]
        # ...unless a human chooses to answer it: then on its own words (billing).
        chosen = draft_reply_to(s, inc, early, LIB, BRAND, T0 + timedelta(minutes=6))
        assert chosen.template.split("/")[-1].startswith("billing.")


def test_the_source_of_a_claim_is_never_thanked_or_reassured(store):
    with store.session() as s:
        inc = declare(s, title="Data leak claim", crisis_type="data_leak", severity="major",
                      actor="lead", now=T0)
        update_facts(s, inc, actor="lead", now=T0, impact="no impact confirmed so far")
        researcher = add(s, 1, "I found Nimbus customer data for sale on a forum",
                         T0 + timedelta(minutes=1), followers=50_000, rumour=0.9,
                         crisis_type="data_leak")
        add(s, 2, "Apparently Nimbus customer data is for sale??", T0 + timedelta(minutes=3),
            followers=300, rumour=0.9, crisis_type="data_leak")
        drafted = suggest_replies(s, inc, LIB, BRAND, T0 + timedelta(minutes=5))
        assert [d.mention.external_id for d in drafted] == ["m2"]
        assert rumours.is_claim_source(s, researcher, T0 + timedelta(minutes=5))


def test_the_hacked_claim_is_one_claim_in_english_and_french(store):
    """The drill's outage rumour: two rows before (cosine 0.31 < 0.45)."""
    texts = [("en", ("Apparently the Nimbus outage is because they got hacked, unconfirmed "
                     "but a friend who works there says so")),
             ("fr", ("Apparemment la panne Nimbus serait due à un piratage, rien de confirmé "
                     "mais on me l'a dit")),
             ("en", "Is it true Nimbus got hacked?"),
             ("fr", "C'est vrai que Nimbus s'est fait pirater ?")]
    with store.session() as s:
        for i, (lang, text) in enumerate(texts):
            add(s, i, text, T0 + timedelta(minutes=i), lang=lang, rumour=0.9)
        add(s, 9, "Nimbus is going bankrupt, shutting down next week", T0, rumour=0.9)
        rumours.cluster_pending(s, T0 + timedelta(hours=1), brand_words=("Nimbus",))
        groups = []
        for claim in rumours.claims(s):
            groups.append(sorted(m.lang for m in rumours.claim_mentions(s, claim)))
        # "hacked, so the outage" and "is it true they got hacked?": each one claim in both
        # languages; the bankruptcy rumour apart.
        assert sorted(groups) == [["en"], ["en", "fr"], ["en", "fr"]]


CORRECTION = {
    "en": "About the claim that {{ mention.text }}: {% if facts.cause %}the cause is "
          "{{ facts.cause }}.{% else %}we have no sign of that; the cause is still being "
          "investigated.{% endif %} Our statement: {{ statement_url }}",
    "fr": "À propos de l'affirmation « {{ mention.text }} » : {% if facts.cause %}la cause est "
          "{{ facts.cause }}.{% else %}nous n'en avons aucun signe ; la cause est en cours "
          "d'analyse.{% endif %} Notre déclaration : {{ statement_url }}",
}


def test_each_claim_gets_one_correction_per_language_citing_the_statement(store, tmp_path):
    """Corrections are drafted from `replies/<type|generic>/correction.<lang>.j2` (the wording
    belongs to the templates; here a test root), one per claim and language, citing the
    statement that answers the claim, and rewritten when the facts change."""
    from responders.drafts import suggest_corrections

    root = tmp_path / "templates"
    (root / "replies" / "generic").mkdir(parents=True)
    for lang, text in CORRECTION.items():
        (root / "replies" / "generic" / f"correction.{lang}.j2").write_text(text)
    library = TemplateLibrary(root=root)
    with store.session() as s:
        inc = declare(s, title="Outage", crisis_type="outage", severity="major", actor="lead",
                      now=T0)
        update_facts(s, inc, actor="lead", now=T0, impact="logins fail")
        first = add(s, 1, "Nimbus got hacked, that's why it is down", T0 + timedelta(minutes=1),
                    rumour=0.9)
        add(s, 2, "Nimbus s'est fait pirater, d'où la panne", T0 + timedelta(minutes=2),
            lang="fr", rumour=0.9)
        rumours.cluster_pending(s, T0 + timedelta(minutes=3), brand_words=("Nimbus",))
        assert suggest_corrections(s, inc, library, BRAND, T0 + timedelta(minutes=3)) == []
        claim = rumours.claim_of(s, first, T0)
        rumours.link_statement(s, claim, actor="lead", now=T0 + timedelta(minutes=4),
                               status_url=BRAND.status_url,
                               url="https://status.nimbus.example/status#update-1")
        drafts = suggest_corrections(s, inc, library, BRAND, T0 + timedelta(minutes=5))
        assert sorted(d.lang for d in drafts) == ["en", "fr"]
        assert {d.claim_id for d in drafts} == {claim.id}
        assert all(d.body.endswith("https://status.nimbus.example/status#update-1")
                   for d in drafts)
        assert len(rumours.claims(s)) == 1  # the English and French claims are one
        assert suggest_corrections(s, inc, library, BRAND, T0 + timedelta(minutes=6)) == drafts
        update_facts(s, inc, actor="lead", now=T0 + timedelta(minutes=7),
                     cause="a failed database update")
        again = suggest_corrections(s, inc, library, BRAND, T0 + timedelta(minutes=8))
        assert [d.id for d in again] == [d.id for d in drafts]  # rewritten in place
        assert all("failed database update" in d.body for d in again)
