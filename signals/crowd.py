"""The brand's own voice is not the crowd: posts from the brand's own accounts (its replies
to customers included) are stored and shown, but never feed a series, the emerging terms,
the rumours or the alert's evidence. Without this a brand answering 29 people with the same
sentence raised an "emerging terms" alert about its own words."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, true

from store.models import MentionRow


def own_author_names(handles: Iterable[str]) -> tuple[str, ...]:
    """Lower-case author names a handle may be stored as ("@NimbusHQ" -> "nimbushq",
    "@nimbushq"); Bluesky-style "nimbus.bsky.social" stays as it is."""
    names: set[str] = set()
    for handle in handles:
        h = (handle or "").strip().lower()
        if h.lstrip("@"):
            names.update({h.lstrip("@"), "@" + h.lstrip("@")})
    return tuple(sorted(names))


def crowd(handles: Iterable[str]):
    """A SQL condition true for mentions not written by one of ``handles``."""
    names = own_author_names(handles)
    return func.lower(MentionRow.author).notin_(names) if names else true()
