"""Full-text search over ``mentions.text`` by the database engine (migration 0009).

``text_filter(session, search)`` is a WHERE clause selecting the mentions whose text holds
every word of ``search`` as the start of one of its words, case-insensitively: "nimb down"
finds "Nimbus is DOWN again". Words are runs of letters and digits ("don't" is "don" and
"t", "#nimbusdown" is "nimbusdown"); accents count ("securite" does not find "sécurité").

- SQLite: the FTS5 index ``mentions_fts`` (``"word"*`` prefix queries), kept by triggers;
  a very common word is looked for among its latest ``window`` matches (``SQLITE_WINDOWS``:
  the caller widens it when a page is not filled).
- PostgreSQL: the GIN index over ``to_tsvector('simple', text)`` (``word:*`` queries).
- Neither (a SQLite build without FTS5, another engine), or a search with no word in it
  ("?!", "100%"): a literal, case-insensitive substring match (LIKE), a full scan.

The query is built from the words only, so nothing a user types reaches the engine's query
syntax.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.orm import Session

from store.models import MentionRow

FTS_TABLE = "mentions_fts"
# Tables the engine creates for the search index, not declared in store.models (FTS5 adds
# its shadow tables mentions_fts_data, _idx, _docsize, _config).
ENGINE_TABLE_PREFIX = FTS_TABLE
# SQLite: a word found in more mentions than the window is looked for among the latest
# stored `window` of them only (FTS5 streams matches newest id first), so "nimbus" on a
# million mentions sorts 5,000 candidates, not all of them (22 ms of CPU against 52 ms for
# 20,000 at 300,000 mentions). The newest-first list is then exact unless older posts
# were stored after newer ones (an import of old history). A caller whose other filters
# leave less than a page of those tries the next, wider window.
SQLITE_WINDOWS = (5_000, 40_000)
PG_INDEX = "ix_mentions_text_search"  # GIN over to_tsvector('simple', text)
WORD = re.compile(r"[^\W_]+")


def words(search: str) -> list[str]:
    """The words of ``search``, lower-cased, in order, each once."""
    return list(dict.fromkeys(w.casefold() for w in WORD.findall(search)))


def has_fts(session: Session) -> bool:
    """True when this SQLite database carries the FTS5 index."""
    return session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"),
        {"n": FTS_TABLE}).first() is not None


def uses_window(session: Session, search: str) -> bool:
    """True when ``text_filter`` looks among the latest ``window`` matches only (SQLite's
    FTS5): a caller that got less than a page may widen the window."""
    return (bool(words(search)) and session.get_bind().dialect.name == "sqlite"
            and has_fts(session))


def text_filter(session: Session, search: str,
                window: int = SQLITE_WINDOWS[0]) -> ColumnElement[bool]:
    """A WHERE clause on ``MentionRow`` matching ``search`` (see the module docstring)."""
    found = words(search)
    dialect = session.get_bind().dialect.name
    if found and dialect == "postgresql":
        query = " & ".join(f"{w}:*" for w in found)
        return func.to_tsvector(literal_column("'simple'"), MentionRow.text).op("@@")(
            func.to_tsquery(literal_column("'simple'"), query))
    if found and dialect == "sqlite" and has_fts(session):
        query = " ".join(f'"{w}"*' for w in found)
        return MentionRow.id.in_(
            select(literal_column("rowid")).select_from(text(FTS_TABLE))
            .where(text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=query))
            .order_by(literal_column("rowid").desc()).limit(window))
    needle = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return MentionRow.text.ilike(f"%{needle}%", escape="\\")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object`` hook: False for the search structures store.models
    cannot declare (the FTS5 tables, the PostgreSQL expression index); everything else is
    compared."""
    if not reflected or compare_to is not None or name is None:
        return True
    if type_ == "table":
        return not name.startswith(ENGINE_TABLE_PREFIX)
    return not (type_ == "index" and name == PG_INDEX)
