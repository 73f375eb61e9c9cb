"""Runs the stages of one recording in order. A stage whose key (``pipeline.core.stage``) is the
one recorded in ``manifest.json`` at its last successful run, and whose outputs exist, is skipped;
the others run, write their outputs atomically and are recorded — exactly what was hashed with
them, and a digest of what they wrote. After a stage has run, the keys of the stages after it are
planned again from that digest, so outputs that came out the same stop the re-run there.
Results of skipped stages are read back only when a later stage needs them."""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout
from rich.progress import Progress
from threadpoolctl import threadpool_limits

from ..core import captions, library, participants
from ..core.config import Settings, settings_to_json
from ..core.errors import BusyError, PipelineError
from ..core.event import Event, dated, find_sidecar, load_event, near_sidecar, shown_title
from ..core.library import LibraryError
from ..core.probe import probed
from ..core.review import ensure_template, load_review
from ..core.stage import Context, Planned, ProgressFn, Stage, plan, produced
from ..core.store import (
    HASH_CACHE,
    Manifest,
    Workspace,
    as_named,
    cached_sha256,
    remove_stale_temps,
)
from ..core.types import MediaInfo, PlacedTracks, SpeakerInfo, Transcript
from ..models import diarization
from ..outputs.formats import clock
from ..outputs.locale import language_doubt
from ..stages import STAGES
from ..stages.name import speaker_prints
from ..stages.slides import resolve_decks
from ..stages.tracks import NO_SPEECH
from . import catalog, parts

# a recording that is neither silent nor cut short, yet holds no words (extract's warnings say
# why when it is one of those): music, noise, or speech too far off or faint to be recognised
NOTHING_HEARD = (
    "no words were recognised: the transcript and the summary are empty — check that this is "
    "the recording you meant, and listen to it: speech far from the microphone may not be heard"
)


@dataclass(frozen=True)
class StageOutcome:
    """What happened to one stage of one recording: it ran, was up to date, or failed."""

    name: str
    ran: bool
    seconds: float
    error: str = ""

    @property
    def status(self) -> str:
        return "failed" if self.error else "ran" if self.ran else "skipped"


StageHook = Callable[[str, StageOutcome], None]  # (recording id, outcome)


@dataclass
class RunResult:
    rec_id: str
    recording: Path
    out_dir: Path
    transcript: Transcript
    speakers: list[SpeakerInfo]
    summary_dir: Path
    far_field: bool  # the diarization read the audio as far-field (room microphones)
    narrowband: bool  # … and as telephone-band (nothing above ≈ 4 kHz)
    stages: list[StageOutcome] = field(default_factory=list)
    review_notes: list[str] = field(default_factory=list)  # corrections that found nothing
    outputs: list[Path] = field(default_factory=list)  # the files a user reads
    warnings: list[str] = field(default_factory=list)  # doubts about the input (e.g. truncated)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None on other C libraries."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Give the heap a finished stage freed back to the system. glibc keeps it otherwise, and the
    next stage's peak stacks on top (10-min webinar: peak RSS 1.50 → 1.23 GB). What survives the
    collection (models, earlier results) is frozen until the run ends (``run_stages``), so the
    next collection looks only at what the next stage made."""
    gc.collect()
    gc.freeze()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass
class _Running:
    """A stage at work: when it started, and its progress bar (if any)."""

    name: str
    started: float
    task: Any = None


class _Book:
    """Book-keeping of one run: manifest records, progress bars, outcomes. Only the runner's
    own thread calls it (a background stage reports through its progress callback alone)."""

    def __init__(
        self,
        ctx: Context,
        manifest: Manifest,
        progress: Progress | None,
        on_stage: StageHook | None,
    ) -> None:
        self.ctx, self.manifest, self.progress, self.on_stage = ctx, manifest, progress, on_stage
        self.duration = ctx.info.duration if ctx.info else 0.0
        self.outcomes: list[StageOutcome] = []
        self.running: dict[str, _Running] = {}
        self.wrote = False  # a stage finished since the keys were last planned
        self.remade: list[str] = []  # outputs found damaged, and made again

    def skipped(self, name: str) -> None:
        self._outcome(StageOutcome(name, False, 0.0))

    def start(self, name: str) -> Callable[[float], None]:
        """The stage starts; returns its progress callback (seconds of audio done)."""
        running = self.running[name] = _Running(name, time.perf_counter())
        if self.progress is None:
            return lambda _seconds: None
        total = max(self.duration, 0.001)
        running.task = self.progress.add_task(name, total=total, unit="s audio")
        return lambda seconds: self.progress.update(running.task, completed=seconds)  # type: ignore[union-attr]

    def done(
        self, planned: Planned, outputs: Sequence[Path], facts: dict[str, Any], ended: float
    ) -> None:
        """The stage finished at ``ended`` (``time.perf_counter``): recorded in the manifest."""
        running = self.running.pop(planned.stage.name)
        seconds = round(ended - running.started, 3)
        self.manifest.record(
            running.name,
            {
                "key": planned.key,
                "status": "done",
                "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "seconds": seconds,
                "threads": self.ctx.settings.threads,
                "hashed": planned.hashed,
                "outputs": [str(p) for p in outputs],
                "produced": produced(planned.stage.written(self.ctx, planned.params)),
                **facts,
            },
        )
        self.wrote = True
        if self.progress is not None and running.task is not None:
            self.progress.update(running.task, completed=max(self.duration, 0.001))
        self._outcome(StageOutcome(running.name, True, seconds))
        release_memory()

    def failed(self, error: str, name: str | None = None) -> None:
        """Stage ``name`` failed (None: whichever were running when the run failed)."""
        for running in [self.running[name]] if name else list(self.running.values()):
            seconds = round(time.perf_counter() - running.started, 3)
            self._outcome(StageOutcome(running.name, False, seconds, error))
            del self.running[running.name]

    def _outcome(self, outcome: StageOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_stage is not None:
            self.on_stage(self.ctx.rec_id, outcome)


class Results(Mapping[str, Any]):
    """Every stage's result of one run: computed ones as they come, the others read back from
    their outputs the first time something asks (a disabled stage's result is None)."""

    def __init__(self, ctx: Context, plans: dict[str, Planned]) -> None:
        self.ctx, self.plans, self.known = ctx, plans, {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.known:
            planned = self.plans[name]
            self.known[name] = (
                planned.stage.load(self.ctx, planned.params, self.needed_by(planned.stage))
                if planned.enabled
                else None
            )
        return self.known[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.plans)

    def __len__(self) -> int:
        return len(self.plans)

    def needed_by(self, stage: Stage) -> Mapping[str, Any]:
        """The results ``stage`` declared it needs, and nothing else."""
        return _Needs(self, stage.needs)


class _Needs(Mapping[str, Any]):
    def __init__(self, results: Results, names: tuple[str, ...]) -> None:
        self.results, self.names = results, names

    def __getitem__(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(f"{name} is not among the stage's declared needs {self.names}")
        return self.results[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def run_stages(
    ctx: Context, stages: Sequence[Stage], book: _Book, seen: tuple[int, int] | None = None
) -> Results:
    """The loop: every enabled stage either is up to date or runs, writes and is recorded. A
    ``background`` stage runs in a worker thread while the loop goes on; it is waited for
    before a stage that needs it, and before the loop ends — also when a stage fails, so that
    finished work is recorded. A stage that reads the recording runs only while it is the file
    that was hashed (``seen``: its size and modification time then)."""
    recorded = book.manifest.data["stages"]
    plans = plan(ctx, stages, recorded)
    results = Results(ctx, plans)
    waiting: dict[str, tuple[Planned, list[Path], Future[tuple[Any, float]]]] = {}

    def wait_for(name: str) -> None:
        planned, outputs, job = waiting.pop(name)
        try:
            result, ended = job.result()
        except BaseException as exc:
            book.failed(str(exc) or type(exc).__name__, name)
            raise
        results.known[name] = result
        book.done(planned, outputs, planned.stage.facts(result), ended)

    with ThreadPoolExecutor(1, thread_name_prefix="stage") as worker:
        try:
            for stage in stages:
                name = stage.name
                if not plans[name].enabled:
                    stage.discard(ctx)
                    continue
                for need in stage.needs:
                    if need in waiting:
                        wait_for(need)
                if book.wrote:  # the keys again, now that earlier stages wrote what they produced
                    plans, book.wrote = plan(ctx, stages, recorded), False
                planned = plans[name]
                outputs = stage.outputs(ctx, planned.params)
                entry = book.manifest.stage(name)
                done = (
                    entry and entry.get("key") == planned.key and all(p.exists() for p in outputs)
                )
                damaged = unreadable(outputs) if done else ""
                if done and not damaged:
                    book.skipped(name)
                    continue
                if damaged:
                    book.remade.append(f"{damaged} — made again by the {name} stage")
                if stage.reads_source and seen is not None:
                    still_as_hashed(ctx.recording, seen)
                progress = book.start(name)
                if stage.background:  # its inputs are read here, not in the worker
                    inputs = {need: results[need] for need in stage.needs}
                    job = worker.submit(_execute, stage, ctx, planned.params, inputs, progress)
                    waiting[name] = (planned, outputs, job)
                    continue
                needs = results.needed_by(stage)
                result, ended = _execute(stage, ctx, planned.params, needs, progress)
                results.known[name] = result
                book.done(planned, outputs, stage.facts(result), ended)
        finally:
            error = sys.exc_info()[1]
            try:
                for name in list(waiting):
                    try:
                        wait_for(name)
                    except Exception:
                        if error is None:
                            raise
            finally:
                gc.unfreeze()  # what release_memory froze: collectable again
    return results


def identity(recording: Path) -> tuple[int, int]:
    """What tells a file changed without reading it: its size and modification time."""
    st = recording.stat()
    return st.st_size, st.st_mtime_ns


def still_as_hashed(recording: Path, seen: tuple[int, int]) -> None:
    """Raise when the recording has gone or changed since it was hashed: a stage reading it
    now would file what it reads of another file under this one's outputs (a recording moved
    away mid-run had its slides timed from speech alone, silently, and kept so)."""
    try:
        now = identity(recording)
    except OSError:
        raise PipelineError(
            "the recording is gone (moved or deleted while it was being processed)",
            recording,
            "put it back and run again (finished stages are kept)",
        ) from None
    if now != seen:
        raise PipelineError(
            "the recording changed while it was being processed",
            recording,
            "run again once it is complete (finished stages are kept)",
        )


def unreadable(outputs: Sequence[Path]) -> str:
    """The first JSON or NumPy output that does not read as one, and why ("" when all do):
    changed or damaged since its stage wrote it (an editor's save, a sync conflict, a failing
    disk), which every later reader would stumble on while the stage counted as done."""
    for path in outputs:
        try:
            if path.suffix == ".json":
                json.loads(path.read_bytes())
            elif path.suffix == ".npy":
                np.load(path, mmap_mode="r")  # the header, and the size it promises
        except ValueError as exc:
            why = str(exc) if path.suffix == ".json" else "not the array its stage wrote"
            return f"{path}: not readable ({why}), changed or damaged since it was written"
    return ""


def _execute(
    stage: Stage, ctx: Context, params: Any, inputs: Mapping[str, Any], progress: ProgressFn
) -> tuple[Any, float]:
    """One stage's work: its result, written; and when it was done (``time.perf_counter``)."""
    try:
        result = stage.run(ctx, params, inputs, progress)
        stage.write(ctx, params, result)
    except OSError as exc:
        outputs = [str(path.parent) for path in stage.outputs(ctx, params)]
        if exc.filename is None and outputs:  # a write that failed (a full disk): say where
            exc.filename = os.path.commonpath(outputs)
        raise
    return result, time.perf_counter()


def context(
    recording: Path,
    settings: Settings,
    event_file: Path | None,
    event: Event,
    sha: str,
    rec_id: str,
    info: MediaInfo | None = None,
    doubts: Sequence[str] = (),
) -> Context:
    """The context of one recording's stages: slide decks and review file read and checked (a
    ConfigError names what is wrong); ``doubts``: warnings about the recording found before."""
    summary_dir = settings.summaries_dir / rec_id
    decks = resolve_decks(settings.slides, event.slides, event_file)
    folder = settings.library or (
        (event_file.parent if event_file else Path.cwd()) / event.library if event.library else None
    )
    known, warnings = None, list(doubts)
    cues, told = captions.for_recording(recording, settings.captions, event.captions, event_file)
    warnings += told
    tracks = []
    for track in participants.near(recording):
        try:
            tracks.append((track, cached_sha256(track, settings.transcripts_dir / HASH_CACHE)))
        except OSError as exc:
            warnings.append(f"{track.name} is not used to tell who spoke: {exc.strerror}")
    if folder is not None:
        try:
            known = tuple(library.voices(folder, voice_model(), exclude=rec_id))
        except LibraryError as exc:
            warnings.append(f"the voice library is not used: {exc}")
    return Context(
        recording=recording,
        sha=sha,
        rec_id=rec_id,
        out=settings.transcripts_dir / rec_id,
        summary_dir=summary_dir,
        event=event,
        event_file=event_file,
        review=load_review(summary_dir / "review.yaml"),
        settings=settings,
        decks=tuple(decks),
        info=info,
        library=known,
        library_dir=folder,
        captions=cues,
        tracks=tuple(tracks),
        warnings=tuple(warnings),
    )


def unmatched(platform: dict[str, Any] | None) -> str | None:
    """The warning for a meeting platform's transcript, or participants' tracks, whose names
    do not follow the voices — or, for a transcript, whose words are not heard."""
    if not platform or platform["used"]:
        return None
    if platform.get("why") == "words":
        return (
            "the meeting platform's transcript was not used to name the voices: the words of "
            f"only {platform['heard']:.0%} of its cues are heard in the recording — is it this "
            "recording's?"
        )
    if platform["source"] == "tracks":
        return (
            "the participants' own tracks were not used to name the voices: who speaks in them "
            f"follows the voices on only {platform['agreement']:.0%} of their speech"
        )
    return (
        "the meeting platform's transcript was not used to name the voices: its names follow "
        f"them on only {platform['agreement']:.0%} of its speech — is it this recording's, with "
        "the recording's times?"
    )


def moved(platform: dict[str, Any] | None) -> str | None:
    """The warning for a meeting platform's transcript whose times were moved to where its
    words are heard: not this very recording's times (trimmed, started at another moment, or
    a stretch cut out)."""
    pieces = (platform or {}).get("moved") or []
    if not pieces:
        return None

    def off(seconds: float) -> str:
        if not seconds:
            return "as they are"
        return f"{abs(seconds):.1f} s {'earlier' if seconds > 0 else 'later'}"

    if len(pieces) == 1:
        return (
            f"the meeting platform's transcript's times are {off(pieces[0][1])} than where its "
            "words are heard in the recording (trimmed, or started at another moment?): they "
            "were moved to match"
        )
    said = "; ".join(f"from {clock(at)[:8]} {off(seconds)}" for at, seconds in pieces)
    return (
        f"the meeting platform's transcript's times are, {said}, against where its words are "
        "heard in the recording (stretches cut out of it?): they were moved to match"
    )


def unplaced(tracks: PlacedTracks | None) -> list[str]:
    """Warnings for the participants' tracks with speech that were not found in the recording."""
    return [
        f"{t.file} is not used to tell who spoke: {t.why}"
        + (
            f" (correlation {t.match:.2f} at best) — is it this meeting's?"
            if t.offset is not None
            else ""
        )
        for t in (tracks.tracks if tracks else [])
        if not t.used and t.why != NO_SPEECH
    ]


def replaced(earlier: list[str], settings: Settings) -> str:
    """The warning for a file that held other recordings before (``earlier``: their ids)."""
    commands = ", ".join(f"`{parts.remove_command(e, settings)}`" for e in earlier)
    return (
        f"this file held another recording before ({', '.join(earlier)}): its transcripts, "
        "summary and review file stay under that id, and review edits are not carried over — copy "
        f"those that still apply, then {commands} removes them"
    )


def misnamed(near: Path, recording: Path) -> str:
    """The warning for a file that looks meant as the recording's sidecar (``near_sidecar``)."""
    return (
        f"no event sidecar was read, though {near.name} looks like one — name it "
        f"{recording.stem}.event.yaml (or give --event {near.name}): its title, date and "
        "speakers are not used"
    )


def voice_model() -> str:
    """The identity of the speaker-embedding model whose voiceprints the library holds."""
    return diarization.identity()[diarization.EMBEDDING[0]]


def enrol(ctx: Context, results: Results) -> list[str]:
    """Store the voices of this recording's people named by evidence above the threshold, or by
    a reviewer, in the voice library (when one is in use); drop this recording's prints of people
    no longer named in it. Returns warnings."""
    if ctx.library is None or ctx.library_dir is None:
        return []
    named, params = results["name"], results.plans["name"].params
    prints = speaker_prints(named, results["diarize"])
    title = shown_title(ctx.event, ctx.recording)
    source = (ctx.rec_id, title, ctx.event.date.isoformat() if ctx.event.date else "")
    kept: set[str] = set()
    try:
        for info in named.speakers:
            sure = info.named_by == "override" or (
                info.named_by == "evidence" and info.confidence >= params.enrol_confidence
            )
            if info.name and sure and info.index in prints:
                vector, seconds = prints[info.index]
                library.enrol(
                    ctx.library_dir,
                    voice_model(),
                    info.name,
                    source,
                    seconds,
                    vector,
                    info.named_by,
                )
                kept.add(info.name)
        library.forget_recording(ctx.library_dir, voice_model(), ctx.rec_id, kept)
    except LibraryError as exc:
        return [f"no voice was enrolled: {exc}"]
    return []


# a web address given as a recording ("https://…"; a path keeps one slash of the two)
_ADDRESS = re.compile(r"(?i)(?:https?|ftps?|rtmps?|rtsp|s3|gs):/")


def run(
    recording: Path,
    settings: Settings,
    event_file: Path | None = None,
    progress: Progress | None = None,
    on_stage: StageHook | None = None,
) -> RunResult:
    """Process one recording through every stage (skipping those that are up to date); return
    where the outputs are. ``on_stage`` hears of every stage as it finishes, fails or is skipped.

    Raises ``BusyError`` when another process holds this recording's lock (the lock is a kernel
    ``flock``: a killed holder releases it, so a stale lock never blocks)."""
    recording = as_named(recording)  # "é" typed, "e" + accent on disk (a Mac's copy): found
    if not recording.exists() and (address := _ADDRESS.match(str(recording))):
        raise PipelineError(
            "a web address, not a file",
            f"{address.group(0)}/{str(recording)[address.end() :]}",  # "https://…" as given
            "download the recording first (nothing is fetched from the web) and give its path",
        )
    info, recorded = probed(recording)  # recorded: the event's date where its page gives none
    event_file = event_file or find_sidecar(recording)
    near = None if event_file else near_sidecar(recording)
    event = dated(load_event(event_file) if event_file else Event(), recorded)
    workspace = Workspace(settings.transcripts_dir)
    try:
        settings.transcripts_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PipelineError(
            f"cannot create the output folder ({exc.strerror})",
            settings.transcripts_dir,
            "choose a writable --out folder",
            exit_code=2,
        ) from None
    seen = identity(recording)
    sha = cached_sha256(recording, settings.transcripts_dir / HASH_CACHE)
    rec_id = workspace.recording_id(recording, sha)
    out = workspace.transcript_dir(rec_id)
    # a new recording where another was run from the same file: the file was replaced
    earlier = [] if out.is_dir() else workspace.earlier_versions(recording, rec_id)
    out.mkdir(parents=True, exist_ok=True)
    try:
        lock = FileLock(str(out / ".lock"), timeout=0)
        lock.acquire()
    except Timeout:
        raise BusyError(
            "this recording is being processed by another run", recording, "wait for it to finish"
        ) from None
    try:
        summary_dir = settings.summaries_dir / rec_id  # ours to clean: we hold the lock
        remove_stale_temps(out, summary_dir, summary_dir / "slides")
        ctx = context(
            recording,
            settings,
            event_file,
            event,
            sha,
            rec_id,
            info,
            [
                *([replaced(earlier, settings)] if earlier else []),
                *([misnamed(near, recording)] if near else []),
                *filter(None, [parts.alone(recording)]),
            ],
        )
        ensure_template(summary_dir / "review.yaml", rec_id)  # the settings and slides are valid
        manifest = Manifest.load(out / "manifest.json")
        _describe(manifest, ctx, recorded)
        book = _Book(ctx, manifest, progress, on_stage)
        try:
            with threadpool_limits(settings.threads):  # same numbers whatever the environment
                results = run_stages(ctx, STAGES, book, seen)
                result = _finish(ctx, manifest, results, book.outcomes, book.remade)
        except BaseException as exc:
            book.failed(str(exc) or type(exc).__name__)
            raise
    finally:
        lock.release()
    return result


def _describe(manifest: Manifest, ctx: Context, recorded: str) -> None:
    """The manifest's description of the recording (``recorded``: the day it was made, by its
    own tag) and of how it was last run."""
    assert ctx.info is not None
    manifest.data.update(
        id=ctx.rec_id,
        source={
            "name": ctx.recording.name,
            "sha256": ctx.sha,
            "size": ctx.recording.stat().st_size,
            "media": {k: v for k, v in asdict(ctx.info).items() if k != "path"},
            "recorded": recorded,
        },
        event={
            "file": str(ctx.event_file) if ctx.event_file else None,
            **ctx.event.model_dump(mode="json"),
        },
        run={
            "recording": str(ctx.recording.absolute()),
            "event_file": str(ctx.event_file.absolute()) if ctx.event_file else None,
            # relative to the transcripts folder, so that a copied or moved tree keeps it
            "summaries": os.path.relpath(
                ctx.settings.summaries_dir.absolute(), ctx.settings.transcripts_dir.absolute()
            ),
            "settings": settings_to_json(ctx.settings),
            # the voice library used (--library or the sidecar's), for `remove` to find
            "library": str(ctx.library_dir.absolute()) if ctx.library_dir else None,
        },
    )
    manifest.save()


def _finish(
    ctx: Context,
    manifest: Manifest,
    results: Results,
    outcomes: list[StageOutcome],
    remade: Sequence[str] = (),
) -> RunResult:
    """After the loop: review notes in the manifest, the catalog and index brought up to date;
    ``remade``: outputs found damaged and made again, told as warnings."""
    notes = [
        note
        for name in results
        for note in (manifest.stage(name) or {}).get("review", {}).get("not_applied", [])
    ]
    manifest.data["review"] = {"file": str(ctx.summary_dir / "review.yaml"), "not_applied": notes}
    manifest.save()
    heard = results["export"].transcript.segments or results["extract"].warnings
    warnings = [
        *remade,
        *ctx.warnings,
        *map(str, results["extract"].warnings),
        *([] if heard else [NOTHING_HEARD]),
        *filter(None, [language_doubt(results["transcribe"])]),
        *unplaced(results["tracks"]),
        *filter(None, [moved(results["name"].platform), unmatched(results["name"].platform)]),
        *enrol(ctx, results),
    ]
    catalog.publish(ctx.settings.summaries_dir, ctx.rec_id, ctx.out, ctx.settings.templates_dir)
    export = results.plans["export"]
    outputs = [
        *export.stage.outputs(ctx, export.params),
        ctx.out / "speakers.json",
        ctx.out / "manifest.json",
        ctx.summary_dir / "topics.json",
        ctx.summary_dir / "chapters.txt",
        *(ctx.summary_dir / f"summary.{ext}" for ext in ("md", "html", "docx", "pdf")),
    ]
    return RunResult(
        ctx.rec_id,
        ctx.recording,
        ctx.out,
        results["export"].transcript,
        results["name"].speakers,
        ctx.summary_dir,
        results["diarize"].far_field,
        results["diarize"].narrowband,
        outcomes,
        notes,
        outputs,
        warnings,
    )
