"""The catalog: every processed webinar in one SQLite file (``summaries/catalog.sqlite``), with
full-text search (FTS5) over transcript segments — speaker, topic, time — and over summaries.

Indexing is incremental (a webinar is re-indexed only when its outputs changed) and each webinar
is replaced in one transaction, so an interrupted re-index leaves the previous state intact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..core.errors import PipelineError
from ..core.store import atomic_write
from ..outputs.locale import page_date, percent, translations
from ..outputs.render import environment, render_index

CATALOG_NAME = "catalog.sqlite"
ELSEWHERE = "give --summaries DIR, the folder `run` or `batch` wrote the summaries to"
WAIT_SECONDS = 60.0  # how long a run waits for another one writing the catalog
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS webinars (
    id TEXT PRIMARY KEY, key TEXT NOT NULL, title TEXT, date TEXT, duration REAL,
    speakers TEXT, topics TEXT, indexed_at TEXT
);
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    text, speaker, topic, webinar UNINDEXED, kind UNINDEXED, start UNINDEXED, segment UNINDEXED,
    tokenize = 'porter unicode61'
);
"""


@dataclass(frozen=True)
class Hit:
    """One search result: where in which webinar, who said it, and a link into the page."""

    webinar: str
    title: str
    date: str
    kind: str  # "segment" or "summary"
    speaker: str
    topic: str
    start: float
    text: str
    snippet: str
    takeaway: bool = False  # a segment that holds one of the summary's takeaways

    @property
    def link(self) -> str:
        """Relative to the summaries folder: the reviewer page, at this moment of the recording."""
        return f"{self.webinar}/summary.html#t={self.start:.2f}"


@contextlib.contextmanager
def connect(summaries: Path) -> Iterator[sqlite3.Connection]:
    """The catalog database (created on first use); waits for other writers instead of failing."""
    path = summaries / CATALOG_NAME
    try:
        summaries.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=WAIT_SECONDS)
    except (OSError, sqlite3.Error) as exc:
        raise PipelineError(f"cannot open the catalog ({exc})", path, "check the folder") from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            db.executescript(
                "DROP TABLE IF EXISTS webinars; DROP TABLE IF EXISTS passages;"
                + _SCHEMA
                + f"PRAGMA user_version={SCHEMA_VERSION};"
            )
        yield db
    except sqlite3.DatabaseError as exc:
        raise _failure(exc, path) from None
    finally:
        db.close()


def _failure(exc: sqlite3.DatabaseError, path: Path) -> Exception:
    """What went wrong with the catalog, as the error that says what to do about it."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    if code == sqlite3.SQLITE_FULL:  # told as every other full disk is
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return PipelineError(
            f"the catalog is busy: another run has been writing it for {WAIT_SECONDS:.0f} s",
            path,
            "run again when it has finished (finished stages are kept)",
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return PipelineError(
            f"the catalog is unreadable ({exc})", path, "delete it; `cli.py reindex` rebuilds it"
        )
    return PipelineError(
        f"cannot update the catalog ({exc})", path, "check the folder's permissions and free space"
    )


def _stamp(*paths: Path) -> str:
    """Changes whenever one of the files changes (size and modification time)."""
    return "|".join(f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths)


def _segment_topics(topics: dict[str, Any]) -> dict[int, str]:
    """The most frequent sentence topic of each transcript segment."""
    votes: dict[int, Counter[str]] = {}
    for row in topics.get("sentences", []):
        votes.setdefault(row["segment"], Counter())[row["topic"]] += 1
    return {seg: counts.most_common(1)[0][0] for seg, counts in votes.items()}


def index_webinar(db: sqlite3.Connection, rec_id: str, summary_dir: Path, out_dir: Path) -> bool:
    """(Re-)index one webinar if its outputs changed; True when it was (re-)indexed."""
    files = [summary_dir / "summary.json", summary_dir / "topics.json", out_dir / "transcript.json"]
    if not all(p.exists() for p in files):
        return False
    key = _stamp(*files)
    known = db.execute("SELECT key FROM webinars WHERE id = ?", (rec_id,)).fetchone()
    if known and known[0] == key:
        return False
    summary, topics, transcript = (_read(p) for p in files)
    try:
        rows = _passages(rec_id, summary, topics, transcript)
    except (KeyError, TypeError, AttributeError) as exc:  # JSON, but not as the stages write it
        raise _damaged(summary_dir, f"a field is missing or malformed: {exc}") from None
    with db:  # one transaction: the webinar is replaced whole or not at all
        db.execute("DELETE FROM passages WHERE webinar = ?", (rec_id,))
        db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute(
            "INSERT OR REPLACE INTO webinars VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec_id,
                key,
                summary.get("title", rec_id),
                summary.get("date", ""),
                summary.get("duration", 0.0),
                json.dumps(summary.get("speakers", [])),
                json.dumps(summary.get("topic_share", {})),
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ),
        )
    return True


class Damaged(PipelineError):
    """A webinar's output that does not read as its stage wrote it."""


def _damaged(path: Path, why: str) -> Damaged:
    return Damaged(
        f"not indexed: {why}, changed or damaged since it was written",
        path,
        "run its recording again (`cli.py run`): what is damaged is made anew",
    )


def _read(path: Path) -> dict[str, Any]:
    """A webinar's JSON output; ``Damaged``, naming it, when it does not read as one."""
    try:
        data = json.loads(path.read_bytes())
    except ValueError as exc:
        raise _damaged(path, f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _damaged(path, "not the JSON object the stages write")
    return data


def _passages(
    rec_id: str, summary: dict[str, Any], topics: dict[str, Any], transcript: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The catalog's rows of one webinar: each segment said, each takeaway, the abstract."""
    topic_of = _segment_topics(topics)
    rows = [
        (
            seg["text"],
            seg.get("speaker") or "",
            topic_of.get(seg["id"], ""),
            rec_id,
            "segment",
            seg["start"],
            seg["id"],
        )
        for seg in transcript["segments"]
    ]
    points = [p for group in summary.get("takeaways", {}).values() for p in group]
    rows += [
        (p["text"], p.get("speaker") or "", p.get("topic", ""), rec_id, "summary", p["start"], -1)
        for p in points
    ]
    if summary.get("abstract"):
        rows.append((summary["abstract"], "", "", rec_id, "summary", 0.0, -1))
    return rows


def reindex(summaries: Path, transcripts: Path) -> tuple[int, int, list[Damaged]]:
    """Bring the catalog up to date with every processed webinar; drop webinars whose outputs
    are gone. Returns (re-indexed, removed, the webinars whose outputs could not be read — the
    others are indexed all the same). No summaries folder is refused (the wrong folder: no
    catalog is made there)."""
    if not summaries.is_dir():
        raise PipelineError("no summaries folder here", summaries, ELSEWHERE, exit_code=2)
    done = removed = 0
    unread: list[Damaged] = []
    with connect(summaries) as db:
        present = {p.parent.name for p in summaries.glob("*/summary.json")}
        for rec_id in sorted(present):
            try:
                done += index_webinar(db, rec_id, summaries / rec_id, transcripts / rec_id)
            except Damaged as exc:
                unread.append(exc)
        for (rec_id,) in db.execute("SELECT id FROM webinars").fetchall():
            if rec_id not in present:
                with db:
                    db.execute("DELETE FROM passages WHERE webinar = ?", (rec_id,))
                    db.execute("DELETE FROM webinars WHERE id = ?", (rec_id,))
                removed += 1
    return done, removed, unread


def fts_query(text: str) -> str:
    """User words → an FTS5 query: every word must occur in what was said (quoted, so no
    operator injection; not in the speaker's name nor the topic's key, which ``--speaker`` and
    ``--topic`` filter by: "green" found every passage on the green transition)."""
    words = [w.replace('"', '""') for w in text.split()]
    quoted = " ".join(f'"{w}"' for w in words if w.strip('"'))
    return f"text : ({quoted})" if quoted else ""


def search(
    summaries: Path,
    text: str,
    speaker: str | None = None,
    topic: str | None = None,
    since: dt.date | None = None,
    limit: int = 20,
) -> list[Hit]:
    """Passages matching every word of ``text`` (stemmed), best first, with optional filters."""
    query = fts_query(text)
    if not query:
        raise PipelineError("empty search", fix="give one or more words", exit_code=2)
    sql = (
        "SELECT p.webinar, w.title, w.date, p.kind, p.speaker, p.topic, p.start, p.text, "
        "snippet(passages, 0, '[', ']', '…', 12) FROM passages p JOIN webinars w "
        "ON w.id = p.webinar WHERE passages MATCH ?"
    )
    args: list[Any] = [query]
    if speaker:
        sql += " AND p.speaker LIKE ?"
        args.append(f"%{speaker}%")
    if topic:
        sql += " AND p.topic = ?"
        args.append(topic)
    if since:
        sql += " AND w.date >= ?"
        args.append(since.isoformat())
    sql += " ORDER BY bm25(passages), p.webinar, p.start LIMIT ?"
    args.append(2 * limit)  # room for the takeaways folded into the segments that said them
    if not (summaries / CATALOG_NAME).exists():  # not "no matches": nothing was searched
        if any(summaries.glob("*/summary.json")):
            raise PipelineError("no search catalog", summaries, "`cli.py reindex` builds it")
        raise PipelineError("no processed webinars here", summaries, ELSEWHERE)
    with connect(summaries) as db:
        return folded([Hit(*row) for row in db.execute(sql, args).fetchall()])[:limit]


def _plain(text: str) -> str:
    return " ".join(text.casefold().split())


def folded(hits: list[Hit]) -> list[Hit]:
    """One hit per passage: a takeaway found in a segment that was found too is that segment's
    hit, which says so (``takeaway``) — the same words were listed twice, each a hit."""
    segments = [h for h in hits if h.kind == "segment"]
    hosts: set[int] = set()
    kept = []
    for hit in hits:
        host = None
        if hit.kind == "summary":
            host = next(
                (
                    s
                    for s in segments
                    if s.webinar == hit.webinar
                    and s.start <= hit.start + 0.01
                    and _plain(hit.text) in _plain(s.text)
                ),
                None,
            )
        if host is None:
            kept.append(hit)
        else:
            hosts.add(id(host))
    return [replace(h, takeaway=True) if id(h) in hosts else h for h in kept]


def passages_for_index(summaries: Path) -> list[list[Any]]:
    """Transcript segments of every webinar, compact, for the client-side search of index.html:
    [webinar, start, speaker, topic, text]."""
    if not (summaries / CATALOG_NAME).exists():
        return []
    with connect(summaries) as db:
        rows = db.execute(
            "SELECT webinar, start, speaker, topic, text FROM passages WHERE kind = 'segment' "
            "ORDER BY webinar, start"
        ).fetchall()
    return [[w, round(s, 2), spk, topic, text] for w, s, spk, topic, text in rows]


def _theme_titles(path: Path) -> dict[str, str]:
    """The themes' titles a webinar's topics were read with ("Green transition", not "green");
    none when its topics.json is missing or unreadable."""
    try:
        themes = json.loads(path.read_text(encoding="utf-8")).get("themes", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return themes if isinstance(themes, dict) else {}


def write_index(summaries: Path, templates: Path | None = None) -> None:
    """Rebuild summaries/index.html from every summaries/*/summary.json and the catalog's
    passages (searched in the page itself); its fixed words, themes and dates in the language of
    the summaries when they all share one, else in English."""
    found = []
    for path in sorted(summaries.glob("*/summary.json")):
        try:
            found.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    languages = {data.get("language", "en") for _, data in found}
    language = languages.pop() if len(languages) == 1 else "en"
    gettext = translations(language).gettext
    entries = []
    for path, data in found:
        share = data.get("topic_share", {})
        titles = _theme_titles(path.parent / "topics.json")
        topics = [
            f"{gettext(titles.get(k, k))} {percent(v, language)}"
            for k, v in sorted(share.items(), key=lambda kv: -kv[1])
        ]
        entries.append(
            {
                "id": path.parent.name,
                "title": data.get("title", path.parent.name),
                "date": data.get("date", ""),
                "duration": data.get("duration", 0.0),
                "speakers": data.get("speakers", []),
                "topics": topics,
            }
        )
    # newest first; on one day, and undated ones last, by title from A to Z
    entries.sort(key=lambda e: e["title"].casefold())
    entries.sort(key=lambda e: e["date"] or "", reverse=True)
    for entry in entries:
        with contextlib.suppress(ValueError):  # a date as the sidecar wrote it, if not ISO
            entry["date"] = entry["date"] and page_date(
                dt.date.fromisoformat(entry["date"]), language
            )
    env = environment(templates, language)
    page = render_index(entries, passages_for_index(summaries), env)
    target = summaries / "index.html"
    if not target.exists() or target.read_text(encoding="utf-8") != page:
        atomic_write(target, page)


def publish(summaries: Path, rec_id: str, out: Path, templates: Path | None = None) -> None:
    """Add (or refresh) this webinar in the search catalog, then rebuild the index page."""
    with connect(summaries) as db:
        index_webinar(db, rec_id, summaries / rec_id, out)
    write_index(summaries, templates)
