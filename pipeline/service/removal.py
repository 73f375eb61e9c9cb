"""A processed recording's outputs removed (`cli.py remove ID`): its transcripts folder, its
summaries folder (the summary, the reviewer page, the review file), its place in the search
catalog and the index page, and the voiceprints the voice library learned from it — for a
webinar processed twice under two ids (a part later joined, a file replaced), or one that
should not be listed or kept. The recording itself is never touched."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from ..core import library
from ..core.errors import BusyError, PipelineError
from ..core.library import LibraryError
from ..core.review import TEMPLATE
from ..core.store import HASH_CACHE, cached_sha256, read_json
from . import catalog
from .state import mark_removed, summaries_of


@dataclass(frozen=True)
class Removal:
    """What removing a recording's outputs takes away: the folders there are, whether a
    reviewer's work is among them (a review file with corrections, a speakers file), and whose
    voiceprints the voice library learned from it (``unread``: why the library could not be
    read)."""

    rec_id: str
    transcripts: Path
    summaries: Path
    folders: tuple[Path, ...]
    reviewed: tuple[Path, ...]
    library: Path | None = None
    voices: tuple[str, ...] = ()
    unread: str = ""
    recording: str = ""  # the file its last run read, if it still holds it (as a batch names it)


def removal(
    rec_id: str, transcripts: Path, summaries: Path | None = None, voices: Path | None = None
) -> Removal:
    """What ``remove`` would take away for ``rec_id``; ``summaries`` None: the folder its last
    run wrote to; ``voices`` None: the voice library its last run used, if any. An id that is no
    processed recording's is refused."""
    manifest = transcripts / rec_id / "manifest.json"
    if rec_id in ("", ".", "..") or "/" in rec_id or not manifest.is_file():
        raise PipelineError(
            f"no processed recording '{rec_id}'",
            transcripts,
            "see `cli.py status` for ids",
            exit_code=2,
        )
    try:
        data = read_json(manifest)
        run = data.get("run") or {}
    except (OSError, ValueError, AttributeError):
        data, run = {}, {}  # a damaged manifest: its outputs can be removed all the same
    summaries = summaries or summaries_of(run, transcripts)
    given, voices = voices, voices or _library_of(data)
    learned, unread = (), ""
    if voices and not (voices / library.FILE_NAME).is_file():
        if given:
            raise PipelineError(
                "no voice library here", given, "give the folder it was processed with", exit_code=2
            )
        unread = f"it is no longer at {voices} — give its folder with --library DIR"
    elif voices:
        try:
            learned = tuple(library.learned_from(voices, rec_id))
        except LibraryError as exc:
            unread = str(exc)
    folders = tuple(f for f in (summaries / rec_id, transcripts / rec_id) if f.is_dir())
    review, speakers = summaries / rec_id / "review.yaml", summaries / rec_id / "speakers.yaml"
    reviewed = tuple(
        path
        for path, untouched in ((review, TEMPLATE.format(rec_id=rec_id)), (speakers, None))
        if path.is_file() and path.read_text(encoding="utf-8", errors="replace") != untouched
    )
    return Removal(
        rec_id, transcripts, summaries, folders, reviewed, voices, learned, unread,
        _still_there(data, transcripts),
    )  # fmt: skip


def _still_there(manifest: dict, transcripts: Path) -> str:
    """The recording its last run read, when that file still holds it (not a version exported
    again since under the same name): "" otherwise."""
    recording, sha = (
        (manifest.get("run") or {}).get("recording"),
        (manifest.get("source") or {}).get("sha256"),
    )
    if not recording or not sha or not Path(recording).is_file():
        return ""
    try:
        return recording if cached_sha256(Path(recording), transcripts / HASH_CACHE) == sha else ""
    except OSError:
        return ""


def _library_of(manifest: dict) -> Path | None:
    """The voice library folder a recording's last run used: as it recorded it, or (a run from
    before it did) from its settings or its event sidecar's ``library:``."""
    run = manifest.get("run") or {}
    given = run.get("library") or (run.get("settings") or {}).get("library")
    if given:
        return Path(given)
    listed, sidecar = (manifest.get("event") or {}).get("library"), run.get("event_file")
    return Path(sidecar).parent / listed if listed and sidecar else None


def remove(plan: Removal) -> tuple[int, int]:
    """Delete the voiceprints learned from the recording, then ``plan``'s folders — the
    summaries first, so that one stopped half-way is still listed and removed by running it
    again — while holding the recording's lock (never under a run processing it); mark it
    removed in the batch state (a batch leaves it until it is run again); then bring the
    catalog and index page up to date. Returns the catalog's (re-indexed, removed) counts."""
    lock = FileLock(str(plan.transcripts / plan.rec_id / ".lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BusyError(
            "this recording is being processed by a run", plan.rec_id, "wait for it to finish"
        ) from None
    try:
        if plan.voices and plan.library:
            library.forget_learned_from(plan.library, plan.rec_id)
        for folder in plan.folders:
            shutil.rmtree(folder)
        mark_removed(plan.transcripts, plan.rec_id, plan.recording)  # a batch leaves it
    finally:
        lock.release()
    if not plan.summaries.is_dir():
        return 0, 0
    changed, removed, _unread = catalog.reindex(plan.summaries, plan.transcripts)
    catalog.write_index(plan.summaries)
    return changed, removed
