"""Text search by the engine (FTS5 on SQLite, tsvector and GIN on PostgreSQL), and the
0009 migration filling the roll-up and the index from what a store already holds."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, text, update

from store import rollups, upgrade
from store.models import MentionMinuteRow, MentionRow, ScoreRow
from store.search import has_fts, text_filter, words

T0 = datetime(2026, 3, 10, 9, 0)
TEXTS = (
    "Nimbus is DOWN again, cannot log in",
    "Le site est en panne depuis ce matin #NimbusDown",
    "thanks for the quick fix, sync is back",
    "apparently they got hacked?! the data leaked",
    "100% sure_thing: a “quoted” word and a don't",
    'tricky "quotes" * and : & ! | ( ) in a post',
)


def add(session, texts, first=0):
    return list(session.execute(insert(MentionRow).returning(MentionRow.id), [
        {"source": "x", "external_id": str(first + i), "author": "a", "author_followers": 0,
         "text": t, "lang": "en", "created_at": T0 + timedelta(minutes=i), "collected_at": T0,
         "metrics": {}, "raw": {}} for i, t in enumerate(texts)]).scalars())


def found(session, search) -> list[str]:
    return list(session.execute(select(MentionRow.text).where(text_filter(session, search))
                                .order_by(MentionRow.id)).scalars())


def test_words_are_letters_and_digits_lower_cased():
    assert words("  Nimbus DOWN, down! #sync_back 100% don't ") == [
        "nimbus", "down", "sync", "back", "100", "don", "t"]
    assert words("?! % _") == []


def test_search_finds_word_starts_case_insensitively(store):
    with store.session() as s:
        add(s, TEXTS)
    with store.session() as s:
        assert found(s, "down") == [TEXTS[0]]
        assert found(s, "nimb") == [TEXTS[0], TEXTS[1]]  # word starts
        assert found(s, "nimbusdown") == [TEXTS[1]]  # "#NimbusDown" is one word
        assert found(s, "PANNE matin") == [TEXTS[1]]  # every word, in any order
        assert found(s, "panne soir") == []
        assert found(s, "own") == []  # inside a word: not a word start
        assert found(s, "hacked leak") == [TEXTS[3]]
        assert found(s, "quoted") == [TEXTS[4]]
        assert found(s, "zzzz") == []


def test_query_syntax_typed_by_a_user_is_only_words(store):
    with store.session() as s:
        add(s, TEXTS)
    with store.session() as s:
        assert found(s, 'tricky "quotes" * : & ! | (') == [TEXTS[5]]
        assert found(s, "' OR 1=1 --") == []
        assert found(s, "AND OR NOT NEAR") == []  # FTS5 operators, read as words
        assert found(s, "100%") == [TEXTS[4]]
        assert found(s, "?!") == [TEXTS[3]]  # no word in it: the literal substring


def test_index_follows_inserts_updates_and_deletes(store):
    with store.session() as s:
        [a, b] = add(s, ["first words", "second words"])
    with store.session() as s:
        assert found(s, "first") == ["first words"]
        s.execute(update(MentionRow).where(MentionRow.id == a).values(text="renamed"))
        s.execute(delete(MentionRow).where(MentionRow.id == b))
    with store.session() as s:
        assert found(s, "first") == [] and found(s, "second") == []
        assert found(s, "renamed") == ["renamed"] and found(s, "words") == []


def test_sqlite_without_the_index_falls_back_to_like(sqlite_store):
    with sqlite_store.session() as s:
        add(s, TEXTS)
        s.execute(text("DROP TABLE mentions_fts"))
    with sqlite_store.session() as s:
        assert not has_fts(s)
        assert found(s, "own") == [TEXTS[0], TEXTS[1]]  # substrings, as LIKE reads them


def test_migration_backfills_rollup_and_index_of_an_existing_store(empty_store):
    upgrade(empty_store.engine, "0008")
    with empty_store.session() as s:
        ids = add(s, TEXTS)
        s.execute(insert(ScoreRow), [
            {"mention_id": i, "label": "negative" if k % 2 else "neutral",
             "negative": 0.5, "neutral": 0.3, "positive": 0.2, "rumour": 0.6 * (k % 3),
             "crisis_type": None, "lang": "en", "model": "t", "scored_at": T0}
            for k, i in enumerate(ids[:5])])
    empty_store.upgrade()
    with empty_store.session() as s:
        got = {(r.minute, r.label, bool(r.rumour)): r.mentions
               for r in s.execute(select(MentionMinuteRow)).scalars()}
        assert got == {(T0 + timedelta(minutes=k), "negative" if k % 2 else "neutral",
                        0.6 * (k % 3) >= rollups.RUMOUR_THRESHOLD): 1 for k in range(5)}
        assert found(s, "hacked") == [TEXTS[3]]
        assert s.execute(select(func.sum(MentionMinuteRow.mentions))).scalar() == 5


def test_reset_rebuilds_the_index_and_the_rollup_triggers(store):
    store.reset()
    store.reset()  # functions, FTS tables and triggers left by the first do not get in the way
    with store.session() as s:
        [i] = add(s, ["after the reset"])
        s.execute(insert(ScoreRow).values(
            mention_id=i, label="neutral", negative=0.1, neutral=0.8, positive=0.1, rumour=0.0,
            crisis_type=None, lang="en", model="t", scored_at=T0))
    with store.session() as s:
        assert found(s, "reset") == ["after the reset"]
        assert s.execute(select(func.sum(MentionMinuteRow.mentions))).scalar() == 1


def test_a_common_word_under_a_narrow_filter_still_fills_the_page(store, monkeypatch):
    """SQLite looks among a common word's latest matches only; when the other filters
    leave less than a page of them, the Mentions page widens the window."""
    from dashboard import data
    from store import search

    monkeypatch.setattr(search, "SQLITE_WINDOWS", (4, 40))
    monkeypatch.setattr(data, "SQLITE_WINDOWS", (4, 40))
    with store.session() as s:
        s.execute(insert(MentionRow), [
            {"source": "reddit" if i % 5 == 0 else "x", "external_id": str(i), "author": "a",
             "author_followers": 0, "text": f"nimbus post {i}", "lang": "en",
             "created_at": T0 + timedelta(minutes=i), "collected_at": T0, "metrics": {},
             "raw": {}} for i in range(30)])
    with store.session() as s:
        got = data.mentions(s, search="nimbus", sources=["reddit"], limit=5)
        newest = data.mentions(s, search="nimbus", limit=3)
    assert [m["text"] for m in got] == [f"nimbus post {i}" for i in (25, 20, 15, 10, 5)]
    assert [m["text"] for m in newest] == [f"nimbus post {i}" for i in (29, 28, 27)]
