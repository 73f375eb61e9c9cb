"""The voice library (opt-in, local): voiceprints of people named in earlier webinars, so that
later webinars can recognise them by voice. One SQLite file, ``<DIR>/voices.sqlite``.

A voiceprint is biometric data: a 192-number CAM++ speaker embedding per person and recording
(the mean of that person's turns), with the seconds of speech it came from, the recording's id,
title and date, and the embedding model's identity. Nothing else is stored (no audio, no words),
nothing leaves the machine, ``forget`` deletes a person everywhere in the file, and
``forget_learned_from`` every print a removed recording gave. Deleted prints are overwritten in
the file (SQLite's ``secure_delete``), not left in its free pages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import PipelineError

FILE_NAME = "voices.sqlite"
SCHEMA_VERSION = 1
_INFO = "CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS prints (
    name TEXT NOT NULL, recording TEXT NOT NULL, title TEXT, date TEXT, seconds REAL NOT NULL,
    vector BLOB NOT NULL, enrolled_at TEXT NOT NULL, how TEXT NOT NULL,
    PRIMARY KEY (name, recording)
);
"""


@dataclass(frozen=True)
class Voice:
    """One person's voice as the library knows it: the seconds-weighted mean of their prints."""

    name: str
    vector: np.ndarray  # normalised
    seconds: float
    recordings: tuple[tuple[str, str, str], ...]  # (id, title, date) of each print's recording


class LibraryError(PipelineError):
    """The library cannot be used (unreadable, or made with another embedding model)."""


@contextlib.contextmanager
def _connect(folder: Path, model: str) -> Iterator[sqlite3.Connection]:
    """The library (created empty on first use), refused when made with another model."""
    path = folder / FILE_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=60)
        db.execute("PRAGMA secure_delete = ON")
    except (OSError, sqlite3.Error) as exc:
        raise LibraryError(
            f"cannot open the voice library ({exc})", path, "check the folder"
        ) from None
    try:
        db.executescript(_INFO)
        known = dict(db.execute("SELECT key, value FROM info").fetchall())
        if not known:
            with db:
                db.executemany(
                    "INSERT INTO info VALUES (?, ?)",
                    [("schema", str(SCHEMA_VERSION)), ("model", model)],
                )
        elif known.get("model") != model:
            raise LibraryError(
                f"the voice library was made with another embedding model ({known.get('model')})",
                path,
                "use another --library folder, or delete this one and enrol again",
            )
        db.executescript(_SCHEMA)
        yield db
    except sqlite3.DatabaseError as exc:
        raise LibraryError(
            f"the voice library is unreadable ({exc})", path, "delete it and enrol the voices again"
        ) from None
    finally:
        db.close()


def voices(folder: Path, model: str, exclude: str = "") -> list[Voice]:
    """Every person in the library, with prints from recordings other than ``exclude``."""
    with _connect(folder, model) as db:
        rows = db.execute(
            "SELECT name, recording, title, date, seconds, vector FROM prints "
            "WHERE recording != ? ORDER BY name, recording",
            (exclude,),
        ).fetchall()
    by_name: dict[str, list[tuple]] = {}
    for row in rows:
        by_name.setdefault(row[0], []).append(row)
    out = []
    for name, prints in by_name.items():
        total = sum(p[4] for p in prints)
        mean = sum(np.frombuffer(p[5], np.float32) * p[4] for p in prints)
        out.append(
            Voice(
                name,
                (mean / (np.linalg.norm(mean) + 1e-9)).astype(np.float32),
                round(total, 1),
                tuple((p[1], p[2] or "", p[3] or "") for p in prints),
            )
        )
    return out


def enrol(
    folder: Path,
    model: str,
    name: str,
    recording: tuple[str, str, str],
    seconds: float,
    vector: np.ndarray,
    how: str,
) -> None:
    """Store (or replace) ``name``'s print from ``recording`` (id, title, date)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    vector = (vector / (np.linalg.norm(vector) + 1e-9)).astype(np.float32)
    with _connect(folder, model) as db, db:
        db.execute(
            "INSERT OR REPLACE INTO prints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, *recording, round(seconds, 1), vector.tobytes(), now, how),
        )


def forget_recording(folder: Path, model: str, recording: str, keep: set[str]) -> None:
    """Drop this recording's prints of people no longer named in it (a reviewer renamed them)."""
    with _connect(folder, model) as db, db:
        for (name,) in db.execute(
            "SELECT name FROM prints WHERE recording = ?", (recording,)
        ).fetchall():
            if name not in keep:
                db.execute("DELETE FROM prints WHERE name = ? AND recording = ?", (name, recording))


def learned_from(folder: Path, recording: str) -> list[str]:
    """Whose prints the library holds from ``recording``."""
    with _connect_any(folder) as db:
        rows = db.execute(
            "SELECT name FROM prints WHERE recording = ? ORDER BY name", (recording,)
        ).fetchall()
    return [name for (name,) in rows]


def forget_learned_from(folder: Path, recording: str) -> int:
    """Delete every print ``recording`` gave, whatever the model (its outputs are being removed).
    Returns how many were deleted."""
    with _connect_any(folder) as db, db:
        return db.execute("DELETE FROM prints WHERE recording = ?", (recording,)).rowcount


def people(folder: Path) -> list[tuple[str, int, float, str]]:
    """(name, recordings, seconds, last enrolled) of everyone in the library."""
    with _connect_any(folder) as db:
        return db.execute(
            "SELECT name, COUNT(*), ROUND(SUM(seconds), 1), MAX(enrolled_at) FROM prints "
            "GROUP BY name ORDER BY name"
        ).fetchall()


def prints_of(folder: Path, name: str) -> list[tuple[str, str, str, float, str, str]]:
    """(recording id, title, date, seconds, enrolled at, how) of each of ``name``'s prints: what
    the library holds about a person, for them to be told."""
    with _connect_any(folder) as db:
        return db.execute(
            "SELECT recording, title, date, seconds, enrolled_at, how FROM prints WHERE name = ? "
            "ORDER BY enrolled_at, recording",
            (name,),
        ).fetchall()


def forget(folder: Path, name: str) -> int:
    """Delete every print of ``name`` (the file is vacuumed: the bytes are gone). Returns how
    many prints were deleted."""
    with _connect_any(folder) as db:
        with db:
            deleted = db.execute("DELETE FROM prints WHERE name = ?", (name,)).rowcount
        db.execute("VACUUM")
    return deleted


@contextlib.contextmanager
def _connect_any(folder: Path) -> Iterator[sqlite3.Connection]:
    """The library whatever its model (for listing and forgetting)."""
    path = folder / FILE_NAME
    if not path.exists():
        raise LibraryError("no voice library here", folder, "give the folder used with --library")
    try:
        db = sqlite3.connect(path, timeout=60)
        db.execute("PRAGMA secure_delete = ON")
        db.execute("SELECT COUNT(*) FROM prints").fetchone()
    except sqlite3.DatabaseError as exc:
        raise LibraryError(
            f"the voice library is unreadable ({exc})", path, "delete it and enrol the voices again"
        ) from None
    try:
        yield db
    finally:
        db.close()
