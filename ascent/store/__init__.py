"""The run store: a SQLite index (WAL mode) beside run folders on disk."""

from ascent.store.db import Store, open_store

__all__ = ["Store", "open_store"]
