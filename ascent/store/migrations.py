"""Schema versions of the SQLite index, applied in order.

The database records its version in `PRAGMA user_version`. To change the schema, append a new
entry; never edit one that has shipped. A database newer than this code is refused, not touched.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE prepared_tasks (
            task_id     TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            family      TEXT NOT NULL,
            path        TEXT NOT NULL,
            checksum    TEXT NOT NULL,
            prepared_at TEXT NOT NULL,
            seconds     REAL,
            PRIMARY KEY (task_id, fingerprint)
        );
        CREATE TABLE runs (
            run_id      TEXT PRIMARY KEY,
            task_id     TEXT NOT NULL,
            family      TEXT NOT NULL,
            agent       TEXT NOT NULL,
            driver      TEXT,
            model       TEXT,
            seed        INTEGER,
            status      TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            ended_at    TEXT,
            path        TEXT NOT NULL,
            sweep_id    TEXT,
            config      TEXT NOT NULL DEFAULT '{}',
            final_score REAL,
            final_split TEXT,
            medal       TEXT,
            end_reason  TEXT
        );
        CREATE INDEX runs_task ON runs(task_id);
        CREATE INDEX runs_sweep ON runs(sweep_id);
        CREATE TABLE submissions (
            run_id        TEXT NOT NULL REFERENCES runs(run_id),
            submission_id TEXT NOT NULL,
            seq           INTEGER NOT NULL,
            created_at    TEXT NOT NULL,
            sha256        TEXT NOT NULL,
            path          TEXT NOT NULL,
            status        TEXT NOT NULL,
            score         REAL,
            split         TEXT,
            error         TEXT,
            PRIMARY KEY (run_id, submission_id)
        );
        CREATE TABLE events (
            run_id  TEXT NOT NULL,
            seq     INTEGER NOT NULL,
            ts      REAL NOT NULL,
            kind    TEXT NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        );
        CREATE INDEX events_kind ON events(run_id, kind);
        """,
    ),
    (
        2,
        """
        CREATE TABLE sweeps (
            sweep_id    TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            status      TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            executor    TEXT,
            cells       INTEGER NOT NULL DEFAULT 0,
            done        INTEGER NOT NULL DEFAULT 0,
            failed      INTEGER NOT NULL DEFAULT 0,
            retries     INTEGER NOT NULL DEFAULT 0,
            path        TEXT NOT NULL,
            spec        TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX sweeps_created ON sweeps(created_at);
        """,
    ),
]

LATEST_VERSION = MIGRATIONS[-1][0]
