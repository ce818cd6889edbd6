"""The database every stage shares: tables, sessions, migrations and roll-up queries."""

from store.db import Store, make_engine, upgrade
from store.models import Base

__all__ = ["Base", "Store", "make_engine", "upgrade"]
