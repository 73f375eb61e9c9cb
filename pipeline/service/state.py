"""What is known about every recording: the batch's last outcome of each
(``<transcripts>/batch.sqlite``), the manifests, and whether each finished stage is still up to
date — its key computed now, with the settings of the recording's last run, against the one
recorded — and if not, why."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.config import settings_from_json
from ..core.errors import PipelineError
from ..core.event import Event, dated, load_event
from ..core.probe import MEDIA_SUFFIXES
from ..core.stage import explain, only_waits, plan
from ..core.store import Manifest
from ..stages import STAGES
from . import copies
from .runner import StageOutcome, context

STATE_NAME = "batch.sqlite"
STAGE_NAMES = [s.name for s in STAGES]


@dataclass
class Outcome:
    """What became of one recording in a batch."""

    recording: str
    # done | failed | busy (another run has it) | duplicate (same content or sound as another) |
    # part (a participant's own track of a webinar, or a part of a joined recording) |
    # removed (its outputs removed by `cli.py remove`: not processed again by a batch)
    status: str
    rec_id: str | None = None
    stages: list[StageOutcome] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 1
    error: str = ""
    warnings: list[str] = field(default_factory=list)  # doubts about the input (e.g. truncated)
    repeated: bool = False  # failed just as on the batch run before: nothing new to report

    @property
    def ran(self) -> list[str]:
        return [s.name for s in self.stages if s.ran]


def discover(folder: Path, outputs: tuple[Path, ...] = ()) -> list[Path]:
    """Media files under ``folder`` (recursively, hidden files and folders skipped), sorted.
    A linked folder (``recordings/nas -> /mnt/share/webinars``) is searched like any other, each
    real folder once (a link back up the tree ends there). Nothing inside the ``outputs``
    folders counts: with the transcripts kept inside the recordings folder, each run's
    ``audio.wav`` would otherwise be a new recording next time."""
    if not folder.is_dir():
        raise PipelineError("not a folder", folder, "give the folder of recordings", exit_code=2)
    mine = [out.resolve() for out in outputs]
    seen: set[Path] = set()
    found = []
    for top, folders, files in os.walk(folder, followlinks=True):
        here = Path(top).resolve()
        if here in seen or any(here.is_relative_to(out) for out in mine):
            folders.clear()
            continue
        seen.add(here)
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in files:
            path = Path(top, name)
            if name.startswith(".") or path.suffix.lower() not in MEDIA_SUFFIXES:
                continue
            if path.is_file() and not any(path.resolve().is_relative_to(out) for out in mine):
                found.append(path)
    return sorted(found)


def settling(recordings: list[Path], seconds: float, now: float) -> dict[Path, tuple[float, Path]]:
    """The recordings changed less than ``seconds`` before ``now`` (or after it, by less), with
    how long ago and which file: still being copied in or recorded, so not to be taken yet — a
    half-copied file is refused as unreadable, or, in a format that plays as it grows, processed
    as a short recording of its own. A webinar waits while a participant's own track of it does
    (Zoom writes them one after another): read half-written, it would be read again whole. A
    file that cannot be read is left to the run to report."""
    waiting = {}
    for path in recordings:
        with contextlib.suppress(OSError):
            ago = now - path.stat().st_mtime
            if abs(ago) < seconds:
                waiting[path] = (ago, path)
    for track, webinar in copies.participant_tracks(recordings).items():
        if track in waiting:
            waiting.setdefault(webinar, waiting[track])
    return waiting


@contextlib.contextmanager
def state_db(transcripts: Path) -> Iterator[sqlite3.Connection]:
    """The last outcome of every recording the batch has seen."""
    transcripts.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(transcripts / STATE_NAME, timeout=60)
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS recordings (path TEXT PRIMARY KEY, id TEXT, status TEXT, "
            "stage TEXT, error TEXT, attempts INTEGER, seconds REAL, updated TEXT)"
        )
        yield db
    finally:
        db.close()


def record(transcripts: Path, outcome: Outcome) -> bool:
    """Keep ``outcome`` as the recording's last; whether it failed exactly as the last one had
    (same stage, same error: nothing new to tell anyone)."""
    failed = next((s.name for s in outcome.stages if s.error), "open" if outcome.error else "")
    with state_db(transcripts) as db, db:
        last = db.execute(
            "SELECT status, stage, error FROM recordings WHERE path = ?", (outcome.recording,)
        ).fetchone()
        db.execute(
            "INSERT OR REPLACE INTO recordings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                outcome.recording,
                outcome.rec_id,
                outcome.status,
                failed,
                outcome.error,
                outcome.attempts,
                outcome.seconds,
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ),
        )
    return outcome.status == "failed" and last == ("failed", failed, outcome.error)


REMOVED = (
    "its outputs were removed (`cli.py remove`, {day}) — a batch does not process it again; "
    "`cli.py run` it to process it again"
)


def mark_removed(transcripts: Path, rec_id: str, recording: str) -> None:
    """After ``cli.py remove``: the batch state says the recording's outputs were removed — its
    rows by id, or a row for its file when no batch had seen it — so that a batch leaves it."""
    if not recording and not (transcripts / STATE_NAME).exists():
        return  # no batch saw it, and its file is gone or holds another version now
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    told = REMOVED.format(day=now[:10])
    with state_db(transcripts) as db, db:
        marked = db.execute(
            "UPDATE recordings SET status = 'removed', stage = 'open', error = ?, updated = ? "
            "WHERE id = ? AND status NOT IN ('part', 'duplicate')",  # left already, and why
            (told, now, rec_id),
        ).rowcount
        if not marked and recording:  # another version of the file may hold its row: kept
            db.execute(
                "INSERT OR IGNORE INTO recordings VALUES (?, ?, 'removed', 'open', ?, 1, 0.0, ?)",
                (recording, rec_id, told, now),
            )


def removed(transcripts: Path) -> dict[str, str]:
    """{id: what the batch says of it} of the recordings whose outputs ``cli.py remove`` took
    away and no run has made again."""
    if not (transcripts / STATE_NAME).exists():
        return {}
    with state_db(transcripts) as db:
        rows = db.execute("SELECT id, error FROM recordings WHERE status = 'removed'").fetchall()
    return {i: told for i, told in rows if i and not (transcripts / i / "manifest.json").exists()}


def why_stale(manifest: Manifest, summaries: Path) -> dict[str, list[str]]:
    """Per enabled stage, why it would run if the recording were run again with the settings of
    its last run (code, parameters, upstream stages, packages, models); empty lists: up to date.
    A sidecar, review file or deck that cannot be read now is given as the reason."""
    last = manifest.data.get("run")
    source = manifest.data.get("source", {})
    if not last or "sha256" not in source:
        return {
            name: ["finished by an older version that kept no record of it"] for name in STAGE_NAMES
        }
    settings = replace(
        settings_from_json(last["settings"]),
        transcripts_dir=manifest.path.parent.parent,
        summaries_dir=summaries,
    )
    event_file = Path(last["event_file"]) if last.get("event_file") else None
    try:
        event = dated(load_event(event_file) if event_file else Event(), source.get("recorded", ""))
        ctx = context(
            Path(last["recording"]),
            settings,
            event_file,
            event,
            source["sha256"],
            manifest.path.parent.name,
        )
        plans = plan(ctx, STAGES, manifest.data["stages"])
    except PipelineError as exc:
        return {"run": [f"cannot be checked: {exc}"]}
    return {
        name: explain(manifest.stage(name), planned, planned.stage.outputs(ctx, planned.params))
        for name, planned in plans.items()
        if planned.enabled
    }


@dataclass
class StatusRow:
    """One recording as ``cli.py status`` shows it."""

    recording: str
    id: str | None
    state: str  # done | stale | failed | busy | duplicate | part | removed | pending | new
    done: list[str]
    pending: list[str]  # stages to run (not run yet, or stale)
    duration: float | None
    processing_seconds: float
    error: str = ""
    failed_stage: str = ""
    why: dict[str, list[str]] = field(default_factory=dict)  # stage → reasons it would run
    # of ``pending``, those that run only if what an upstream stage writes changes
    waiting: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summaries_of(run: dict[str, Any], transcripts: Path) -> Path:
    """The summaries folder a recording's last run wrote to (kept in its manifest's ``run``
    relative to the ``transcripts`` folder); ``summaries/`` for a manifest from before."""
    kept = run.get("summaries")
    return Path(os.path.normpath(transcripts / kept)) if kept else Path("summaries")


def _manifest_row(path: Path, summaries: Path | None) -> StatusRow:
    manifest = Manifest.load(path)
    stages = manifest.data["stages"]
    if summaries is None:  # the summaries folder the recording was processed with
        summaries = summaries_of(manifest.data.get("run") or {}, path.parent.parent)
    why = {name: reasons for name, reasons in why_stale(manifest, summaries).items() if reasons}
    done = [n for n in STAGE_NAMES if stages.get(n, {}).get("status") == "done" and n not in why]
    never = any(stages.get(n, {}).get("status") != "done" for n in why)
    source = manifest.data.get("source", {})
    return StatusRow(
        recording=source.get("name", path.parent.name),
        id=path.parent.name,
        state="done" if not why else "pending" if never else "stale",
        done=done,
        pending=list(why),
        duration=source.get("media", {}).get("duration"),
        processing_seconds=round(sum(s.get("seconds", 0.0) for s in stages.values()), 1),
        why=why,
        waiting=[name for name, reasons in why.items() if only_waits(reasons)],
    )


def status(
    transcripts: Path, summaries: Path | None, recordings: Path | None = None
) -> list[StatusRow]:
    """Every recording known to the outputs (manifests), the batch state, or the recordings
    folder (files never processed are "new"). ``summaries``: None, each recording's own (the
    folder its last run wrote to)."""
    by_id = {
        p.parent.name: _manifest_row(p, summaries)
        for p in sorted(transcripts.glob("*/manifest.json"))
    }
    extra: list[StatusRow] = []
    seen: set[str] = set()
    if (transcripts / STATE_NAME).exists():
        with state_db(transcripts) as db:
            states = db.execute("SELECT path, id, status, stage, error FROM recordings").fetchall()
        for path, rec_id, state, stage, error in states:
            seen.add(path)
            row = by_id.get(rec_id or "")
            if row is None:
                left = state in ("duplicate", "part", "removed")  # nothing a batch would run
                pending = [] if left else list(STAGE_NAMES)
                stage = "" if left else stage
                extra.append(
                    StatusRow(Path(path).name, rec_id, state, [], pending, None, 0.0, error, stage)
                )
            elif state == "failed":
                row.state, row.error, row.failed_stage = state, error, stage
            elif state == "part":  # processed, then joined with other parts: superseded
                row.state, row.error = state, error
    names = {row.recording for row in by_id.values()}
    if recordings is not None and recordings.is_dir():
        for path in discover(recordings, (transcripts, summaries or Path("summaries"))):
            if str(path.absolute()) not in seen and path.name not in names:
                extra.append(StatusRow(path.name, None, "new", [], list(STAGE_NAMES), None, 0.0))
    return sorted([*by_id.values(), *extra], key=lambda r: (r.recording, r.id or ""))
